{#- One row per month x channel x campaign x attribution model x conversion type: what was spent and what it
    brought. See _marketing__models.yml for each measure; in short:
    - a campaign's channel is the one its touchpoints carry most often (ties to the first name), else the one
      its ad platform's touchpoints carry most often, else `Other`; every measure with a campaign_key is booked
      under that channel, so a campaign's spend and its outcomes share a row;
    - spend, impressions and clicks: int_ad_spend_days_unioned by the month of report_date (the ad account's
      day); touchpoints: by the month they happened in;
    - new leads, MQLs, SQLs, opportunities and customers: people (not deleted) whose lifecycle date falls in
      the month, credited to the channel and campaign of their first touchpoint ever when that touch came no
      later than the date, else to the channel `Unattributed`;
    - attributed pipeline and won revenue: fct_attribution's amounts by the month of the conversion (the
      opportunity's creation for `pipeline`, its close for `revenue`), not of the touch; conversions with no
      touch in the lookback window under the channel `Unattributed`, so every model adds up to the total;
    - the measures that do not depend on the model (spend to customers) repeat on every model x conversion
      type row by design: filter to one model and one conversion type before adding them up. -#}

{%- set attribution_models = var('attribution_models') -%}
{%- set conversion_types = ['pipeline', 'revenue'] %}

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

attribution as (
    select
        conversion_id,
        conversion_type,
        attribution_model,
        credit,
        attributed_amount,
        channel,
        campaign_key
    from {{ ref('fct_attribution') }}
),

conversions as (
    select
        conversion_id,
        conversion_type,
        converted_at,
        amount
    from {{ ref('int_attribution_conversions_listed') }}
),

-- The attribution models and conversion types every model-independent measure is repeated for.
attribution_models as (
    {%- for attribution_model in attribution_models %}
        select '{{ attribution_model }}' as attribution_model
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

conversion_types as (
    {%- for conversion_type in conversion_types %}
        select '{{ conversion_type }}' as conversion_type
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

model_types as (
    select
        attribution_models.attribution_model,
        conversion_types.conversion_type
    from attribution_models
    cross join conversion_types
),

-- The channel of each paid campaign and of each ad platform: the one their touchpoints carry most often.
campaign_channels_ranked as (
    select
        campaign_key,
        channel,
        row_number() over (
            partition by campaign_key
            order by count(*) desc, channel asc
        ) as channel_rank
    from touchpoints
    where campaign_key is not null
    group by
        campaign_key,
        channel
),

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

campaign_platforms as (
    select
        campaign_key,
        platform
    from ad_spend_days
    where campaign_key is not null
    union all
    select
        campaign_key,
        platform
    from touchpoints
    where campaign_key is not null
),

campaigns as (
    select
        campaign_key,
        max(platform) as platform
    from campaign_platforms
    group by campaign_key
),

campaign_channels as (
    select
        campaigns.campaign_key,
        coalesce(campaign_channels_ranked.channel, platform_channels_ranked.channel, 'Other') as channel
    from campaigns
    left join campaign_channels_ranked
        on
            campaigns.campaign_key = campaign_channels_ranked.campaign_key
            and campaign_channels_ranked.channel_rank = 1
    left join platform_channels_ranked
        on
            campaigns.platform = platform_channels_ranked.platform
            and platform_channels_ranked.channel_rank = 1
),

-- Spend without a campaign_key (an ad whose campaign carries no utm_campaign) goes to its platform's channel.
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
    {%- for stage in ['lead', 'mql', 'sql', 'opportunity', 'customer'] %}
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

-- A person with no touch by the stage date counts under the channel `Unattributed`, so that the
-- month's totals hold everyone.
stage_facts as (
    select
        cast({{ dbt.date_trunc('month', 'stages_reached.reached_at') }} as date) as month_start_date,
        coalesce(first_touches.channel, 'Unattributed') as channel,
        first_touches.campaign_key,
        0 as spend,
        0 as impressions,
        0 as clicks,
        0 as touchpoints,
        case when stages_reached.lifecycle_stage = 'lead' then 1 else 0 end as new_leads,
        case when stages_reached.lifecycle_stage = 'mql' then 1 else 0 end as new_mqls,
        case when stages_reached.lifecycle_stage = 'sql' then 1 else 0 end as new_sqls,
        case when stages_reached.lifecycle_stage = 'opportunity' then 1 else 0 end as new_opportunities,
        case when stages_reached.lifecycle_stage = 'customer' then 1 else 0 end as new_customers
    from stages_reached
    left join first_touches
        on
            stages_reached.person_id = first_touches.person_id
            and stages_reached.reached_at >= first_touches.touched_at
),

independent_facts as (
    select * from spend_facts
    union all
    select * from touch_facts
    union all
    select * from stage_facts
),

independent_monthly as (
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
    from independent_facts
    group by
        month_start_date,
        channel,
        campaign_key
),

independent_rows as (
    select
        independent_monthly.month_start_date,
        independent_monthly.channel,
        independent_monthly.campaign_key,
        model_types.attribution_model,
        model_types.conversion_type,
        independent_monthly.spend,
        independent_monthly.impressions,
        independent_monthly.clicks,
        independent_monthly.touchpoints,
        independent_monthly.new_leads,
        independent_monthly.new_mqls,
        independent_monthly.new_sqls,
        independent_monthly.new_opportunities,
        independent_monthly.new_customers,
        cast(0 as double precision) as attributed_conversions,
        cast(0 as decimal(18, 2)) as attributed_amount
    from independent_monthly
    cross join model_types
),

attributed_rows as (
    select
        cast({{ dbt.date_trunc('month', 'conversions.converted_at') }} as date) as month_start_date,
        coalesce(campaign_channels.channel, attribution.channel) as channel,
        attribution.campaign_key,
        attribution.attribution_model,
        attribution.conversion_type,
        0 as spend,
        0 as impressions,
        0 as clicks,
        0 as touchpoints,
        0 as new_leads,
        0 as new_mqls,
        0 as new_sqls,
        0 as new_opportunities,
        0 as new_customers,
        attribution.credit as attributed_conversions,
        coalesce(attribution.attributed_amount, 0) as attributed_amount
    from attribution
    inner join conversions
        on attribution.conversion_id = conversions.conversion_id
    left join campaign_channels
        on attribution.campaign_key = campaign_channels.campaign_key
),

-- Conversions with no touch in the lookback window (no row in fct_attribution): their whole amount,
-- under the channel `Unattributed`, in every model, so each model's amounts add up to the total.
unattributed_rows as (
    select
        cast({{ dbt.date_trunc('month', 'conversions.converted_at') }} as date) as month_start_date,
        'Unattributed' as channel,
        cast(null as {{ dbt.type_string() }}) as campaign_key,
        attribution_models.attribution_model,
        conversions.conversion_type,
        0 as spend,
        0 as impressions,
        0 as clicks,
        0 as touchpoints,
        0 as new_leads,
        0 as new_mqls,
        0 as new_sqls,
        0 as new_opportunities,
        0 as new_customers,
        cast(1 as double precision) as attributed_conversions,
        coalesce(conversions.amount, 0) as attributed_amount
    from conversions
    cross join attribution_models
    where not exists (
        select 1
        from attribution
        where
            attribution.conversion_id = conversions.conversion_id
            and attribution.attribution_model = attribution_models.attribution_model
    )
),

all_rows as (
    select * from independent_rows
    union all
    select * from attributed_rows
    union all
    select * from unattributed_rows
),

aggregated as (
    select
        month_start_date,
        channel,
        campaign_key,
        attribution_model,
        conversion_type,
        sum(spend) as spend,
        sum(impressions) as impressions,
        sum(clicks) as clicks,
        sum(touchpoints) as touchpoints,
        sum(new_leads) as new_leads,
        sum(new_mqls) as new_mqls,
        sum(new_sqls) as new_sqls,
        sum(new_opportunities) as new_opportunities,
        sum(new_customers) as new_customers,
        sum(attributed_conversions) as attributed_conversions,
        sum(attributed_amount) as attributed_amount
    from all_rows
    group by
        month_start_date,
        channel,
        campaign_key,
        attribution_model,
        conversion_type
),

amounts as (
    select
        month_start_date,
        channel,
        campaign_key,
        attribution_model,
        conversion_type,
        spend,
        impressions,
        clicks,
        touchpoints,
        new_leads,
        new_mqls,
        new_sqls,
        new_opportunities,
        new_customers,
        attributed_conversions,
        attributed_amount,
        case when conversion_type = 'pipeline' then attributed_amount end as pipeline_amount,
        case when conversion_type = 'revenue' then attributed_amount end as won_revenue
    from aggregated
),

final as (
    select
        cast(month_start_date as date) as month_start_date,
        cast(channel as {{ dbt.type_string() }}) as channel,
        cast(campaign_key as {{ dbt.type_string() }}) as campaign_key,
        cast(attribution_model as {{ dbt.type_string() }}) as attribution_model,
        cast(conversion_type as {{ dbt.type_string() }}) as conversion_type,
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
        cast(attributed_conversions as double precision) as attributed_conversions,
        cast(attributed_amount as decimal(18, 2)) as attributed_amount,
        cast(pipeline_amount as decimal(18, 2)) as pipeline_amount,
        cast(won_revenue as decimal(18, 2)) as won_revenue,
        cast(round(spend / nullif(new_leads, 0), 2) as decimal(18, 2)) as cost_per_lead,
        cast(round(spend / nullif(new_opportunities, 0), 2) as decimal(18, 2)) as cost_per_opportunity,
        cast(round(spend / nullif(new_customers, 0), 2) as decimal(18, 2)) as cac,
        cast(won_revenue as double precision) / nullif(cast(spend as double precision), 0) as roas,
        (cast(pipeline_amount as double precision) - cast(spend as double precision))
        / nullif(cast(spend as double precision), 0) as pipeline_roi
    from amounts
)

select * from final
