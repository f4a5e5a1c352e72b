-- Unified ad spend equals the raw tables per platform x ad account x currency x report day: spend to the cent,
-- impressions and clicks exactly. Raw Google per campaign and day is the larger of the campaign-level figure and
-- the sum of the ad-level rows, each metric apart (a campaign-day with only one of the two counts that one).
-- Fails with one row per group that differs or exists on one side only.

-- It reads every platform's raw tables: it runs when all three are switched on (tests/models/
-- test_source_subsets.py reconciles a subset's spend with its raw tables).
{{ config(enabled=var('google_ads_enabled') and var('facebook_ads_enabled') and var('linkedin_ads_enabled')) }}

with

google_ad_rows as (
    select
        customer_id,
        campaign_id,
        currency_code,
        date,
        sum(cast(cost_micros as decimal(38, 0))) as cost_micros,
        sum(impressions) as impressions,
        sum(clicks) as clicks
    from {{ source('google_ads', 'ad_metrics_daily') }}
    group by
        customer_id,
        campaign_id,
        currency_code,
        date
),

google_campaign_rows as (
    select
        customer_id,
        campaign_id,
        currency_code,
        date,
        cast(cost_micros as decimal(38, 0)) as cost_micros,
        impressions,
        clicks
    from {{ source('google_ads', 'campaign_metrics_daily') }}
),

google_raw as (
    select
        'google_ads' as platform,
        cast(coalesce(google_campaign_rows.customer_id, google_ad_rows.customer_id) as {{ dbt.type_string() }})
            as ad_account_id,
        coalesce(google_campaign_rows.currency_code, google_ad_rows.currency_code) as currency_code,
        coalesce(google_campaign_rows.date, google_ad_rows.date) as report_date,
        greatest(coalesce(google_campaign_rows.cost_micros, 0), coalesce(google_ad_rows.cost_micros, 0))
            as cost_micros,
        greatest(coalesce(google_campaign_rows.impressions, 0), coalesce(google_ad_rows.impressions, 0))
            as impressions,
        greatest(coalesce(google_campaign_rows.clicks, 0), coalesce(google_ad_rows.clicks, 0)) as clicks
    from google_campaign_rows
    full outer join google_ad_rows
        on
            google_campaign_rows.campaign_id = google_ad_rows.campaign_id
            and google_campaign_rows.date = google_ad_rows.date
),

raw_totals as (
    select
        platform,
        ad_account_id,
        currency_code,
        report_date,
        sum(cost_micros) / 1000000.0 as spend,
        sum(impressions) as impressions,
        sum(clicks) as clicks
    from google_raw
    group by
        platform,
        ad_account_id,
        currency_code,
        report_date

    union all

    select
        'facebook_ads' as platform,
        cast(account_id as {{ dbt.type_string() }}) as ad_account_id,
        account_currency as currency_code,
        date_start as report_date,
        sum(spend) as spend,
        sum(impressions) as impressions,
        sum(clicks) as clicks
    from {{ source('facebook_ads', 'ads_insights') }}
    group by
        account_id,
        account_currency,
        date_start

    union all

    select
        'linkedin_ads' as platform,
        cast(account_id as {{ dbt.type_string() }}) as ad_account_id,
        currency as currency_code,
        date as report_date,
        sum(cost_in_local_currency) as spend,
        sum(impressions) as impressions,
        sum(clicks) as clicks
    from {{ source('linkedin_ads', 'creative_analytics_daily') }}
    group by
        account_id,
        currency,
        date
),

unified_totals as (
    select
        platform,
        ad_account_id,
        currency_code,
        report_date,
        sum(spend) as spend,
        sum(impressions) as impressions,
        sum(clicks) as clicks
    from {{ ref('int_ad_spend_days_unioned') }}
    group by
        platform,
        ad_account_id,
        currency_code,
        report_date
),

compared as (
    select
        raw_totals.spend as raw_spend,
        unified_totals.spend as unified_spend,
        raw_totals.impressions as raw_impressions,
        unified_totals.impressions as unified_impressions,
        raw_totals.clicks as raw_clicks,
        unified_totals.clicks as unified_clicks,
        coalesce(raw_totals.platform, unified_totals.platform) as platform,
        coalesce(raw_totals.ad_account_id, unified_totals.ad_account_id) as ad_account_id,
        coalesce(raw_totals.currency_code, unified_totals.currency_code) as currency_code,
        coalesce(raw_totals.report_date, unified_totals.report_date) as report_date
    from raw_totals
    full outer join unified_totals
        on
            raw_totals.platform = unified_totals.platform
            and raw_totals.ad_account_id = unified_totals.ad_account_id
            and raw_totals.currency_code = unified_totals.currency_code
            and raw_totals.report_date = unified_totals.report_date
)

select * from compared
where
    raw_spend is null
    or unified_spend is null
    or abs(raw_spend - unified_spend) >= 0.005
    or raw_impressions != unified_impressions
    or raw_clicks != unified_clicks
