{#- One row per conversion and touchpoint in its journey: the touches of every person linked to the
    opportunity from var('attribution_lookback_days') days before the opportunity was created up to the
    conversion (its own instant included), in time order: for a pipeline conversion the window before
    the creation, for a revenue conversion the same window and the sales cycle after it. Touches inside a web session (a form submitted or an e-mail clicked in
    it) are left out: the session is that touch. Conversions without a touch in the window have no rows
    here and stay unattributed (see int_attribution_conversions_listed). -#}

{%- set lookback_days = var('attribution_lookback_days') %}

with

conversions as (
    select
        conversion_id,
        opportunity_id,
        conversion_type,
        converted_at,
        opportunity_created_at,
        lead_created_at,
        amount,
        reporting_currency
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
        touchpoint_type,
        channel,
        campaign_key,
        ad_id,
        platform,
        channel_platform
    from {{ ref('int_touchpoints_unioned') }}
    where not is_part_of_web_session
),

windowed as (
    select
        conversions.conversion_id,
        conversions.opportunity_id,
        conversions.conversion_type,
        conversions.converted_at,
        conversions.opportunity_created_at,
        conversions.lead_created_at,
        conversions.amount,
        conversions.reporting_currency,
        touchpoints.touchpoint_id,
        touchpoints.person_id,
        touchpoints.touched_at,
        touchpoints.touchpoint_type,
        touchpoints.channel,
        touchpoints.campaign_key,
        touchpoints.ad_id,
        touchpoints.platform,
        touchpoints.channel_platform
    from conversions
    inner join opportunity_people
        on conversions.opportunity_id = opportunity_people.opportunity_id
    inner join touchpoints
        on opportunity_people.person_id = touchpoints.person_id
    where
        touchpoints.touched_at <= conversions.converted_at
        and touchpoints.touched_at
        >= {{ dbt.dateadd('day', -1 * lookback_days, 'conversions.opportunity_created_at') }}
),

-- A touch reached through two links of the same opportunity counts once.
deduplicated as (
    select
        windowed.*,
        row_number() over (
            partition by windowed.conversion_id, windowed.touchpoint_id
            order by windowed.person_id
        ) as duplicate_rank
    from windowed
),

ordered as (
    select
        conversion_id,
        opportunity_id,
        conversion_type,
        converted_at,
        opportunity_created_at,
        lead_created_at,
        amount,
        reporting_currency,
        touchpoint_id,
        person_id,
        touched_at,
        touchpoint_type,
        channel,
        campaign_key,
        ad_id,
        platform,
        channel_platform,
        row_number() over (
            partition by conversion_id
            order by touched_at, touchpoint_id
        ) as touch_number,
        count(*) over (partition by conversion_id) as touch_count
    from deduplicated
    where duplicate_rank = 1
),

-- The W-shaped milestones: the last touch at or before the lead's and the opportunity's creation.
milestones as (
    select
        conversion_id,
        max(case when touched_at <= lead_created_at then touch_number end) as lead_creation_touch_number,
        max(case when touched_at <= opportunity_created_at then touch_number end)
            as opportunity_creation_touch_number
    from ordered
    group by conversion_id
),

final as (
    select
        ordered.conversion_id,
        ordered.touchpoint_id,
        ordered.opportunity_id,
        ordered.conversion_type,
        ordered.converted_at,
        ordered.amount,
        ordered.reporting_currency,
        ordered.person_id,
        ordered.touched_at,
        ordered.touchpoint_type,
        ordered.channel,
        ordered.campaign_key,
        ordered.ad_id,
        ordered.platform,
        ordered.channel_platform,
        -- The channel with the ad platform of a paid touch (`Paid Social / linkedin_ads`): the players
        -- of the data-driven model, which keeps the platforms of a channel apart.
        case
            when ordered.platform is null then ordered.channel
            else {{ dbt.concat(['ordered.channel', "' / '", 'ordered.platform']) }}
        end as attribution_channel,
        ordered.touch_number,
        ordered.touch_count,
        cast({{ dbt.datediff('ordered.touched_at', 'ordered.converted_at', 'second') }} as {{ type_double() }})
        / 86400 as days_before_conversion,
        coalesce(ordered.touch_number = milestones.lead_creation_touch_number, false)
            as is_lead_creation_touch,
        coalesce(ordered.touch_number = milestones.opportunity_creation_touch_number, false)
            as is_opportunity_creation_touch
    from ordered
    inner join milestones
        on ordered.conversion_id = milestones.conversion_id
)

select * from final
