{#- Fails when the total spend, impressions or clicks of fct_marketing_performance_monthly or of rpt_marketing_roi
    differ from the mart fct_ad_performance_daily's: spend to the cent, impressions and clicks exactly. Each mart
    holds every measure once, so the plain sum over all its rows is the total. -#}

with

ad_spend_days as (
    select
        spend_reporting,
        impressions,
        clicks
    from {{ ref('fct_ad_performance_daily') }}
),

performance as (
    select
        spend,
        impressions,
        clicks
    from {{ ref('fct_marketing_performance_monthly') }}
),

roi as (
    select
        spend,
        impressions,
        clicks
    from {{ ref('rpt_marketing_roi') }}
),

ad_spend_totals as (
    select
        coalesce(sum(spend_reporting), 0) as spend,
        coalesce(sum(impressions), 0) as impressions,
        coalesce(sum(clicks), 0) as clicks
    from ad_spend_days
),

mart_totals as (
    select
        'fct_marketing_performance_monthly' as mart,
        coalesce(sum(spend), 0) as spend,
        coalesce(sum(impressions), 0) as impressions,
        coalesce(sum(clicks), 0) as clicks
    from performance
    union all
    select
        'rpt_marketing_roi' as mart,
        coalesce(sum(spend), 0) as spend,
        coalesce(sum(impressions), 0) as impressions,
        coalesce(sum(clicks), 0) as clicks
    from roi
),

final as (
    select
        mart_totals.mart,
        ad_spend_totals.spend as ad_spend,
        ad_spend_totals.impressions as ad_impressions,
        ad_spend_totals.clicks as ad_clicks,
        mart_totals.spend as mart_spend,
        mart_totals.impressions as mart_impressions,
        mart_totals.clicks as mart_clicks
    from mart_totals
    cross join ad_spend_totals
    where
        abs(ad_spend_totals.spend - mart_totals.spend) >= 0.01
        or ad_spend_totals.impressions <> mart_totals.impressions
        or ad_spend_totals.clicks <> mart_totals.clicks
)

select * from final
