{#- One row per month x channel x campaign: spend and funnel (fct_marketing_performance_monthly) beside the
    pipeline, won revenue, opportunities and customers ONE attribution model credits (fct_attributed_outcomes),
    with the ratios that follow: cost per lead, cost per opportunity, CAC, ROAS and pipeline ROI. The model is
    the first of var('marketing_roi_attribution_models') that fct_attribution holds (`attribution_model` says
    which). CAC and ROAS count customers and revenue with that same model: a customer is a won opportunity
    (a `revenue` conversion), credited like its revenue. Every row adds: no measure repeats. With no ad
    platform switched on (vars `<platform>_enabled`) spend is 0 and the cost ratios are null: spend is
    unknown, not free. -#}

{%- set preferred_models = var('marketing_roi_attribution_models') -%}
{%- set has_spend = var('google_ads_enabled') or var('facebook_ads_enabled') or var('linkedin_ads_enabled') -%}

with

performance as (
    select
        month_start_date,
        channel,
        campaign_key,
        spend,
        impressions,
        clicks,
        touchpoints,
        new_leads,
        new_mqls,
        new_sqls
    from {{ ref('fct_marketing_performance_monthly') }}
),

outcomes as (
    select
        month_start_date,
        channel,
        campaign_key,
        attribution_model,
        conversion_type,
        attributed_conversions,
        attributed_amount
    from {{ ref('fct_attributed_outcomes') }}
),

-- Each model of the var's list that the outcomes hold, with its place in the list.
available_models as (
    select
        attribution_model,
        case
            {%- for model_name in preferred_models %}
                when attribution_model = '{{ model_name }}' then {{ loop.index }}
            {%- endfor %}
        end as preference
    from outcomes
    group by attribution_model
),

available_models_ranked as (
    select
        attribution_model,
        row_number() over (order by preference asc) as preference_rank
    from available_models
    where preference is not null
),

chosen_model as (
    select attribution_model
    from available_models_ranked
    where preference_rank = 1
),

performance_facts as (
    select
        month_start_date,
        channel,
        campaign_key,
        spend,
        impressions,
        clicks,
        touchpoints,
        new_leads,
        new_mqls,
        new_sqls,
        cast(0 as {{ type_double() }}) as attributed_opportunities,
        cast(0 as decimal(18, 2)) as pipeline_amount,
        cast(0 as {{ type_double() }}) as attributed_customers,
        cast(0 as decimal(18, 2)) as won_revenue
    from performance
),

outcome_facts as (
    select
        outcomes.month_start_date,
        outcomes.channel,
        outcomes.campaign_key,
        cast(0 as decimal(18, 2)) as spend,
        0 as impressions,
        0 as clicks,
        0 as touchpoints,
        0 as new_leads,
        0 as new_mqls,
        0 as new_sqls,
        case when outcomes.conversion_type = 'pipeline' then outcomes.attributed_conversions else 0 end
            as attributed_opportunities,
        case when outcomes.conversion_type = 'pipeline' then outcomes.attributed_amount else 0 end
            as pipeline_amount,
        case when outcomes.conversion_type = 'revenue' then outcomes.attributed_conversions else 0 end
            as attributed_customers,
        case when outcomes.conversion_type = 'revenue' then outcomes.attributed_amount else 0 end as won_revenue
    from outcomes
    inner join chosen_model
        on outcomes.attribution_model = chosen_model.attribution_model
),

all_facts as (
    select * from performance_facts
    union all
    select * from outcome_facts
),

aggregated as (
    select
        month_start_date,
        channel,
        campaign_key,
        sum(spend) as spend,
        -- The spend the cost ratios divide: unknown (null) when no ad platform is loaded.
        {% if has_spend %}sum(spend){% else %}cast(null as decimal(18, 2)){% endif %} as ratio_spend,
        sum(impressions) as impressions,
        sum(clicks) as clicks,
        sum(touchpoints) as touchpoints,
        sum(new_leads) as new_leads,
        sum(new_mqls) as new_mqls,
        sum(new_sqls) as new_sqls,
        sum(attributed_opportunities) as attributed_opportunities,
        sum(pipeline_amount) as pipeline_amount,
        sum(attributed_customers) as attributed_customers,
        sum(won_revenue) as won_revenue
    from all_facts
    group by
        month_start_date,
        channel,
        campaign_key
),

final as (
    select
        cast(aggregated.month_start_date as date) as month_start_date,
        cast(aggregated.channel as {{ dbt.type_string() }}) as channel,
        cast(aggregated.campaign_key as {{ dbt.type_string() }}) as campaign_key,
        cast(chosen_model.attribution_model as {{ dbt.type_string() }}) as attribution_model,
        cast(aggregated.spend as decimal(18, 2)) as spend,
        '{{ var("reporting_currency") }}' as reporting_currency,
        cast(aggregated.impressions as {{ dbt.type_bigint() }}) as impressions,
        cast(aggregated.clicks as {{ dbt.type_bigint() }}) as clicks,
        cast(aggregated.touchpoints as {{ dbt.type_bigint() }}) as touchpoints,
        cast(aggregated.new_leads as {{ dbt.type_bigint() }}) as new_leads,
        cast(aggregated.new_mqls as {{ dbt.type_bigint() }}) as new_mqls,
        cast(aggregated.new_sqls as {{ dbt.type_bigint() }}) as new_sqls,
        cast(aggregated.attributed_opportunities as {{ type_double() }}) as attributed_opportunities,
        cast(aggregated.pipeline_amount as decimal(18, 2)) as pipeline_amount,
        cast(aggregated.attributed_customers as {{ type_double() }}) as attributed_customers,
        cast(aggregated.won_revenue as decimal(18, 2)) as won_revenue,
        cast(round(aggregated.ratio_spend / nullif(aggregated.new_leads, 0), 2) as decimal(18, 2)) as cost_per_lead,
        cast(
            {{ round_number(
                'cast(aggregated.ratio_spend as ' ~ type_double() ~ ') / nullif(aggregated.attributed_opportunities, 0)', 2
            ) }}
            as decimal(18, 2)
        ) as cost_per_opportunity,
        cast(
            {{ round_number(
                'cast(aggregated.ratio_spend as ' ~ type_double() ~ ') / nullif(aggregated.attributed_customers, 0)', 2
            ) }}
            as decimal(18, 2)
        ) as cac,
        cast(aggregated.won_revenue as {{ type_double() }})
        / nullif(cast(aggregated.ratio_spend as {{ type_double() }}), 0) as roas,
        (cast(aggregated.pipeline_amount as {{ type_double() }}) - cast(aggregated.ratio_spend as {{ type_double() }}))
        / nullif(cast(aggregated.ratio_spend as {{ type_double() }}), 0) as pipeline_roi
    from aggregated
    cross join chosen_model
)

select * from final
