{#- Fails with every attribution model and conversion type whose total spend, impressions or clicks in
    fct_marketing_roi differ from the mart fct_ad_performance_daily's: spend to the cent, impressions and
    clicks exactly. Also fails when a model or type is missing while there is spend. -#}

with

ad_spend_days as (
    select
        spend_reporting,
        impressions,
        clicks
    from {{ ref('fct_ad_performance_daily') }}
),

marketing_roi as (
    select
        attribution_model,
        conversion_type,
        spend,
        impressions,
        clicks
    from {{ ref('fct_marketing_roi') }}
),

ad_spend_totals as (
    select
        coalesce(sum(spend_reporting), 0) as spend,
        coalesce(sum(impressions), 0) as impressions,
        coalesce(sum(clicks), 0) as clicks
    from ad_spend_days
),

{%- set attribution_models = var('attribution_models') %}

model_types as (
    {%- for attribution_model in attribution_models %}
        select
            '{{ attribution_model }}' as attribution_model,
            'pipeline' as conversion_type
        union all
        select
            '{{ attribution_model }}' as attribution_model,
            'revenue' as conversion_type
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

roi_totals as (
    select
        attribution_model,
        conversion_type,
        sum(spend) as spend,
        sum(impressions) as impressions,
        sum(clicks) as clicks
    from marketing_roi
    group by
        attribution_model,
        conversion_type
),

final as (
    select
        model_types.attribution_model,
        model_types.conversion_type,
        ad_spend_totals.spend as ad_spend,
        ad_spend_totals.impressions as ad_impressions,
        ad_spend_totals.clicks as ad_clicks,
        coalesce(roi_totals.spend, 0) as roi_spend,
        coalesce(roi_totals.impressions, 0) as roi_impressions,
        coalesce(roi_totals.clicks, 0) as roi_clicks
    from model_types
    cross join ad_spend_totals
    left join roi_totals
        on
            model_types.attribution_model = roi_totals.attribution_model
            and model_types.conversion_type = roi_totals.conversion_type
    where
        abs(ad_spend_totals.spend - coalesce(roi_totals.spend, 0)) >= 0.01
        or ad_spend_totals.impressions <> coalesce(roi_totals.impressions, 0)
        or ad_spend_totals.clicks <> coalesce(roi_totals.clicks, 0)
)

select * from final
