{#- One row per month x channel x campaign: what marketing spent and the funnel it fed, measures that no
    attribution model changes (attributed outcomes are in fct_attributed_outcomes; rpt_marketing_roi joins the
    two for one model). See _marketing__models.yml; in short:
    - a campaign's measures are booked under its channel (int_campaign_channels_assigned); spend without a
      campaign_key under its ad platform's most frequent touch channel, else `Other`;
    - spend, impressions and clicks: int_ad_spend_days_unioned by the month of report_date (the ad account's
      day); touchpoints: by the month they happened in;
    - new leads, MQLs, SQLs, opportunities and customers: people (not deleted) whose lifecycle date falls in
      the month, credited to the channel and campaign of their first touchpoint ever when that touch came no
      later than the date, else to the channel `Unattributed`. -#}

{%- set stages = ['lead', 'mql', 'sql', 'opportunity', 'customer'] -%}

with

ad_spend_days as (
    select
        report_date,
        platform,
        campaign_key,
        spend_reporting,
        impressions,
        clicks
    from {{ ref('int_ad_spend_days_unioned') }}
),

touchpoints as (
    select
        touchpoint_id,
        person_id,
        touched_at,
        channel,
        platform,
        campaign_key
    from {{ ref('int_touchpoints_unioned') }}
),

campaign_channels as (
    select
        campaign_key,
        channel
    from {{ ref('int_campaign_channels_assigned') }}
),

lifecycles as (
    select
        person_id,
        became_lead_at,
        became_mql_at,
        became_sql_at,
        became_opportunity_at,
        became_customer_at
    from {{ ref('int_people_lifecycle_dated') }}
),

people as (
    select person_id
    from {{ ref('int_people_resolved') }}
    where not is_deleted
),

-- Spend without a campaign_key (an ad whose campaign carries no utm_campaign) goes to the channel its ad
-- platform's touchpoints carry most often.
platform_channels_ranked as (
    select
        platform,
        channel,
        row_number() over (
            partition by platform
            order by count(*) desc, channel asc
        ) as channel_rank
    from touchpoints
    where platform is not null
    group by
        platform,
        channel
),

platform_channels as (
    select
        platform,
        channel
    from platform_channels_ranked
    where channel_rank = 1
),

spend_facts as (
    select
        cast({{ dbt.date_trunc('month', 'ad_spend_days.report_date') }} as date) as month_start_date,
        coalesce(campaign_channels.channel, platform_channels.channel, 'Other') as channel,
        ad_spend_days.campaign_key,
        coalesce(ad_spend_days.spend_reporting, 0) as spend,
        coalesce(ad_spend_days.impressions, 0) as impressions,
        coalesce(ad_spend_days.clicks, 0) as clicks,
        0 as touchpoints,
        0 as new_leads,
        0 as new_mqls,
        0 as new_sqls,
        0 as new_opportunities,
        0 as new_customers
    from ad_spend_days
    left join campaign_channels
        on ad_spend_days.campaign_key = campaign_channels.campaign_key
    left join platform_channels
        on ad_spend_days.platform = platform_channels.platform
),

-- Each touch under its campaign's channel when it has a campaign, else its own.
touches_channelled as (
    select
        touchpoints.touchpoint_id,
        touchpoints.person_id,
        touchpoints.touched_at,
        touchpoints.campaign_key,
        coalesce(campaign_channels.channel, touchpoints.channel) as channel
    from touchpoints
    left join campaign_channels
        on touchpoints.campaign_key = campaign_channels.campaign_key
),

touch_facts as (
    select
        cast({{ dbt.date_trunc('month', 'touched_at') }} as date) as month_start_date,
        channel,
        campaign_key,
        0 as spend,
        0 as impressions,
        0 as clicks,
        1 as touchpoints,
        0 as new_leads,
        0 as new_mqls,
        0 as new_sqls,
        0 as new_opportunities,
        0 as new_customers
    from touches_channelled
),

first_touches_ranked as (
    select
        person_id,
        touched_at,
        channel,
        campaign_key,
        row_number() over (
            partition by person_id
            order by touched_at asc, touchpoint_id asc
        ) as touch_rank
    from touches_channelled
),

first_touches as (
    select
        person_id,
        touched_at,
        channel,
        campaign_key
    from first_touches_ranked
    where touch_rank = 1
),

-- One row per person and lifecycle stage reached, with the date it was reached.
stages_reached as (
    {%- for stage in stages %}
        select
            lifecycles.person_id,
            '{{ stage }}' as lifecycle_stage,
            lifecycles.became_{{ stage }}_at as reached_at
        from lifecycles
        inner join people
            on lifecycles.person_id = people.person_id
        where lifecycles.became_{{ stage }}_at is not null
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

-- A person with no touch by the stage date counts under the channel `Unattributed`, so that the month's
-- totals hold everyone.
stage_facts as (
    select
        cast({{ dbt.date_trunc('month', 'stages_reached.reached_at') }} as date) as month_start_date,
        coalesce(first_touches.channel, 'Unattributed') as channel,
        first_touches.campaign_key,
        0 as spend,
        0 as impressions,
        0 as clicks,
        0 as touchpoints,
        case when stages_reached.lifecycle_stage = 'lead' then 1 else 0 end
            as new_leads,
        case when stages_reached.lifecycle_stage = 'mql' then 1 else 0 end
            as new_mqls,
        case when stages_reached.lifecycle_stage = 'sql' then 1 else 0 end
            as new_sqls,
        case when stages_reached.lifecycle_stage = 'opportunity' then 1 else 0 end
            as new_opportunities,
        case when stages_reached.lifecycle_stage = 'customer' then 1 else 0 end
            as new_customers
    from stages_reached
    left join first_touches
        on
            stages_reached.person_id = first_touches.person_id
            and stages_reached.reached_at >= first_touches.touched_at
),

all_facts as (
    select * from spend_facts
    union all
    select * from touch_facts
    union all
    select * from stage_facts
),

aggregated as (
    select
        month_start_date,
        channel,
        campaign_key,
        sum(spend) as spend,
        sum(impressions) as impressions,
        sum(clicks) as clicks,
        sum(touchpoints) as touchpoints,
        sum(new_leads) as new_leads,
        sum(new_mqls) as new_mqls,
        sum(new_sqls) as new_sqls,
        sum(new_opportunities) as new_opportunities,
        sum(new_customers) as new_customers
    from all_facts
    group by
        month_start_date,
        channel,
        campaign_key
),

final as (
    select
        cast(month_start_date as date) as month_start_date,
        cast(channel as {{ dbt.type_string() }}) as channel,
        cast(campaign_key as {{ dbt.type_string() }}) as campaign_key,
        cast(spend as decimal(18, 2)) as spend,
        '{{ var("reporting_currency") }}' as reporting_currency,
        cast(impressions as {{ dbt.type_bigint() }}) as impressions,
        cast(clicks as {{ dbt.type_bigint() }}) as clicks,
        cast(touchpoints as {{ dbt.type_bigint() }}) as touchpoints,
        cast(new_leads as {{ dbt.type_bigint() }}) as new_leads,
        cast(new_mqls as {{ dbt.type_bigint() }}) as new_mqls,
        cast(new_sqls as {{ dbt.type_bigint() }}) as new_sqls,
        cast(new_opportunities as {{ dbt.type_bigint() }}) as new_opportunities,
        cast(new_customers as {{ dbt.type_bigint() }}) as new_customers,
        cast(round(spend / nullif(new_leads, 0), 2) as decimal(18, 2)) as cost_per_lead
    from aggregated
)

select * from final
