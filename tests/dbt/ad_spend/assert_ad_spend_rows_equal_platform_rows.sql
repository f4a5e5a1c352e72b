-- No join fan-out and nothing dropped: the unified model has, per platform, exactly one row per raw daily
-- row (Google: ad-level rows, plus one per campaign-day whose campaign-level figures exceed the sum of its
-- ad-level rows in any metric). Fails with one row per platform whose counts differ.

-- It reads every platform's raw tables: it runs when all three are switched on (tests/models/
-- test_source_subsets.py reconciles a subset's spend with its raw tables).
{{ config(enabled=var('google_ads_enabled') and var('facebook_ads_enabled') and var('linkedin_ads_enabled')) }}

with

google_ad_rows_by_campaign as (
    select
        campaign_id,
        date,
        sum(impressions) as impressions,
        sum(clicks) as clicks,
        sum(cost_micros) as cost_micros,
        sum(cast(conversions as decimal(38, 6))) as conversions
    from {{ source('google_ads', 'ad_metrics_daily') }}
    group by
        campaign_id,
        date
),

google_campaign_remainders as (
    select google_campaign_rows.campaign_id
    from {{ source('google_ads', 'campaign_metrics_daily') }} as google_campaign_rows
    left join google_ad_rows_by_campaign
        on
            google_campaign_rows.campaign_id = google_ad_rows_by_campaign.campaign_id
            and google_campaign_rows.date = google_ad_rows_by_campaign.date
    where
        google_campaign_rows.impressions > coalesce(google_ad_rows_by_campaign.impressions, 0)
        or google_campaign_rows.clicks > coalesce(google_ad_rows_by_campaign.clicks, 0)
        or google_campaign_rows.cost_micros > coalesce(google_ad_rows_by_campaign.cost_micros, 0)
        -- Conversions are floats: compare at the precision the model keeps (6 decimals).
        or cast(google_campaign_rows.conversions as decimal(38, 6))
        > coalesce(google_ad_rows_by_campaign.conversions, 0)
),

platform_rows as (
    select
        'google_ads' as platform,
        (select count(*) from {{ source('google_ads', 'ad_metrics_daily') }})
        + (select count(*) from google_campaign_remainders) as raw_rows

    union all

    select
        'facebook_ads' as platform,
        count(*) as raw_rows
    from {{ source('facebook_ads', 'ads_insights') }}

    union all

    select
        'linkedin_ads' as platform,
        count(*) as raw_rows
    from {{ source('linkedin_ads', 'creative_analytics_daily') }}
),

unified_rows as (
    select
        platform,
        count(*) as unified_rows
    from {{ ref('int_ad_spend_days_unioned') }}
    group by platform
),

compared as (
    select
        platform_rows.platform,
        platform_rows.raw_rows,
        coalesce(unified_rows.unified_rows, 0) as unified_rows
    from platform_rows
    left join unified_rows
        on platform_rows.platform = unified_rows.platform
)

select * from compared
where raw_rows != unified_rows
