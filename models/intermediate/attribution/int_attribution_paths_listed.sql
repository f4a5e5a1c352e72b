{#- One row per journey and conversion type, converting or not: the ordered channels of the journey, as
    the data-driven models' training (gtm/training/attribution.py) reads them.
    - Converting: each conversion's journey (int_attribution_journeys_joined).
    - Non-converting: every person with touches (outside web sessions) linked to no opportunity converting
      with that type; their path is their touches within var('attribution_lookback_days') days before
      their last touch.
    Each also carries its history: every touch up to the conversion (converting) or ever (non-converting),
    with no lookback window, which the data-driven model's conversion-probability fit reads. -#}

{%- set lookback_days = var('attribution_lookback_days') %}
{%- set separator = "' > '" %}

with

journeys as (
    select
        conversion_id,
        conversion_type,
        touchpoint_id,
        touch_number,
        channel,
        attribution_channel
    from {{ ref('int_attribution_journeys_joined') }}
),

conversions as (
    select
        conversion_id,
        opportunity_id,
        conversion_type,
        converted_at
    from {{ ref('int_attribution_conversions_listed') }}
),

opportunity_people as (
    select
        opportunity_id,
        person_id
    from {{ ref('int_opportunity_people_bridged') }}
),

touchpoints as (
    select
        touchpoint_id,
        person_id,
        touched_at,
        coalesce(channel, '(none)') as channel,
        -- The same key as int_attribution_journeys_joined.attribution_channel.
        case
            when platform is null then coalesce(channel, '(none)')
            else {{ dbt.concat(["coalesce(channel, '(none)')", "' / '", 'platform']) }}
        end as attribution_channel
    from {{ ref('int_touchpoints_unioned') }}
    where not is_part_of_web_session
),

conversion_types as (
    select distinct conversion_type
    from conversions
),

converted_people as (
    select distinct
        conversions.conversion_type,
        opportunity_people.person_id
    from conversions
    inner join opportunity_people
        on conversions.opportunity_id = opportunity_people.opportunity_id
),

last_touches as (
    select
        person_id,
        max(touched_at) as last_touched_at
    from touchpoints
    group by person_id
),

person_touches as (
    select
        touchpoints.person_id,
        touchpoints.touchpoint_id,
        touchpoints.touched_at,
        touchpoints.channel,
        touchpoints.attribution_channel
    from touchpoints
    inner join last_touches
        on touchpoints.person_id = last_touches.person_id
    where
        touchpoints.touched_at
        >= {{ dbt.dateadd('day', -1 * lookback_days, 'last_touches.last_touched_at') }}
),

-- A person's window is the same for every conversion type; only whether it converted differs.
person_paths as (
    select
        person_id,
        {{ dbt.listagg('channel', separator, 'order by touched_at, touchpoint_id') }} as channel_path,
        {{ dbt.listagg('attribution_channel', separator, 'order by touched_at, touchpoint_id') }}
            as attribution_channel_path,
        count(*) as touch_count
    from person_touches
    group by person_id
),

person_histories as (
    select
        person_id,
        {{ dbt.listagg('attribution_channel', separator, 'order by touched_at, touchpoint_id') }}
            as history_attribution_channel_path
    from touchpoints
    group by person_id
),

-- Every touch of a conversion's people up to the conversion, with no lookback window; a touch reached
-- through two people of the opportunity counts once.
conversion_history_touches as (
    select distinct
        conversions.conversion_id,
        touchpoints.touchpoint_id,
        touchpoints.touched_at,
        touchpoints.attribution_channel
    from conversions
    inner join opportunity_people
        on conversions.opportunity_id = opportunity_people.opportunity_id
    inner join touchpoints
        on opportunity_people.person_id = touchpoints.person_id
    where touchpoints.touched_at <= conversions.converted_at
),

conversion_histories as (
    select
        conversion_id,
        {{ dbt.listagg('attribution_channel', separator, 'order by touched_at, touchpoint_id') }}
            as history_attribution_channel_path
    from conversion_history_touches
    group by conversion_id
),

non_converting_paths as (
    select
        conversion_types.conversion_type,
        cast(null as {{ dbt.type_string() }}) as conversion_id,
        person_paths.person_id,
        false as is_conversion,
        person_paths.channel_path,
        person_paths.attribution_channel_path,
        person_paths.touch_count,
        person_histories.history_attribution_channel_path
    from person_paths
    inner join person_histories
        on person_paths.person_id = person_histories.person_id
    cross join conversion_types
    left join converted_people
        on
            conversion_types.conversion_type = converted_people.conversion_type
            and person_paths.person_id = converted_people.person_id
    where converted_people.person_id is null
),

converting_journeys as (
    select
        conversion_type,
        conversion_id,
        {{ dbt.listagg("coalesce(channel, '(none)')", separator, 'order by touch_number') }} as channel_path,
        {{ dbt.listagg('attribution_channel', separator, 'order by touch_number') }} as attribution_channel_path,
        count(*) as touch_count
    from journeys
    group by conversion_type, conversion_id
),

converting_paths as (
    select
        converting_journeys.conversion_type,
        converting_journeys.conversion_id,
        cast(null as {{ dbt.type_string() }}) as person_id,
        true as is_conversion,
        converting_journeys.channel_path,
        converting_journeys.attribution_channel_path,
        converting_journeys.touch_count,
        conversion_histories.history_attribution_channel_path
    from converting_journeys
    inner join conversion_histories
        on converting_journeys.conversion_id = conversion_histories.conversion_id
),

final as (
    select * from converting_paths
    union all
    select * from non_converting_paths
)

select * from final
