{#- One row per journey and conversion type, converting or not: the ordered channels of the journey, as
    the data-driven models (int_attribution_channels_credited.py) read them.
    - Converting: each conversion's journey (int_attribution_journeys_joined).
    - Non-converting: every person with touches (outside web sessions) linked to no opportunity converting
      with that type; their path is their touches within var('attribution_lookback_days') days before
      their last touch. -#}

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
        channel_platform
    from {{ ref('int_attribution_journeys_joined') }}
),

conversions as (
    select
        opportunity_id,
        conversion_type
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
        -- The same key as int_attribution_journeys_joined.channel_platform.
        case
            when platform is null then coalesce(channel, '(none)')
            else {{ dbt.concat(["coalesce(channel, '(none)')", "' / '", 'platform']) }}
        end as channel_platform
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
        touchpoints.channel_platform
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
        {{ dbt.listagg('channel_platform', separator, 'order by touched_at, touchpoint_id') }}
            as channel_platform_path,
        count(*) as touch_count
    from person_touches
    group by person_id
),

non_converting_paths as (
    select
        conversion_types.conversion_type,
        cast(null as {{ dbt.type_string() }}) as conversion_id,
        person_paths.person_id,
        false as is_conversion,
        person_paths.channel_path,
        person_paths.channel_platform_path,
        person_paths.touch_count
    from person_paths
    cross join conversion_types
    left join converted_people
        on
            conversion_types.conversion_type = converted_people.conversion_type
            and person_paths.person_id = converted_people.person_id
    where converted_people.person_id is null
),

converting_paths as (
    select
        conversion_type,
        conversion_id,
        cast(null as {{ dbt.type_string() }}) as person_id,
        true as is_conversion,
        {{ dbt.listagg("coalesce(channel, '(none)')", separator, 'order by touch_number') }} as channel_path,
        {{ dbt.listagg('channel_platform', separator, 'order by touch_number') }} as channel_platform_path,
        count(*) as touch_count
    from journeys
    group by conversion_type, conversion_id
),

final as (
    select * from converting_paths
    union all
    select * from non_converting_paths
)

select * from final
