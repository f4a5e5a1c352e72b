{#- One row per Google Ads ad and day (ad_daily_metrics), plus one row per campaign and day for what the
    campaign's own daily figures hold beyond its ads' (Performance Max, campaigns without ads: null ad group
    and ad, `is_campaign_level`), so spend adds up at every grain. The columns int_ad_spend_days_unioned
    unions. -#}

{{ config(enabled=var('google_ads_enabled')) }}

with

google_ad_metrics as (
    select
        ad_account_id,
        campaign_id,
        ad_group_id,
        ad_id,
        report_date,
        account_time_zone,
        impressions,
        clicks,
        spend,
        currency_code,
        conversions
    from {{ ref('stg_google_ads__ad_daily_metrics') }}
),

google_campaign_metrics as (
    select
        ad_account_id,
        campaign_id,
        report_date,
        account_time_zone,
        impressions,
        clicks,
        spend,
        currency_code,
        conversions
    from {{ ref('stg_google_ads__campaign_daily_metrics') }}
),

google_ads as (
    select
        ad_group_id,
        ad_id,
        campaign_id,
        ad_name,
        utm_campaign
    from {{ ref('stg_google_ads__ads') }}
),

google_ad_groups as (
    select
        ad_group_id,
        ad_group_name
    from {{ ref('stg_google_ads__ad_groups') }}
),

google_campaigns as (
    select
        campaign_id,
        campaign_name,
        utm_campaign
    from {{ ref('stg_google_ads__campaigns') }}
),

-- A campaign's utm_campaign, for rows whose ad carries none: the one its ads carry (every ad of a campaign
-- carries the same: tests/dbt/ad_spend/assert_utm_campaign_keys_one_campaign.sql), else, for a campaign
-- without ads (Performance Max), the campaign's own.
google_ad_utms_by_campaign as (
    select
        campaign_id,
        min(lower(utm_campaign)) as utm_campaign
    from google_ads
    where utm_campaign is not null
    group by campaign_id
),

google_campaign_utms as (
    select
        google_campaigns.campaign_id,
        coalesce(google_ad_utms_by_campaign.utm_campaign, lower(google_campaigns.utm_campaign)) as utm_campaign
    from google_campaigns
    left join google_ad_utms_by_campaign
        on google_campaigns.campaign_id = google_ad_utms_by_campaign.campaign_id
),

google_ad_days as (
    select
        'google_ads' as platform,
        google_ad_metrics.ad_account_id,
        google_ad_metrics.campaign_id,
        google_campaigns.campaign_name,
        google_ad_metrics.ad_group_id,
        google_ad_groups.ad_group_name,
        google_ad_metrics.ad_id,
        google_ads.ad_name,
        google_ad_metrics.report_date,
        google_ad_metrics.account_time_zone,
        google_ad_metrics.account_time_zone as report_time_zone,
        google_ad_metrics.spend,
        google_ad_metrics.currency_code,
        google_ad_metrics.impressions,
        google_ad_metrics.clicks,
        cast(google_ad_metrics.conversions as decimal(38, 6)) as platform_conversions,
        coalesce(lower(google_ads.utm_campaign), google_campaign_utms.utm_campaign) as utm_campaign,
        false as is_campaign_level
    from google_ad_metrics
    left join google_ads
        on
            google_ad_metrics.ad_group_id = google_ads.ad_group_id
            and google_ad_metrics.ad_id = google_ads.ad_id
    left join google_ad_groups
        on google_ad_metrics.ad_group_id = google_ad_groups.ad_group_id
    left join google_campaigns
        on google_ad_metrics.campaign_id = google_campaigns.campaign_id
    left join google_campaign_utms
        on google_ad_metrics.campaign_id = google_campaign_utms.campaign_id
),

google_ad_days_by_campaign as (
    select
        campaign_id,
        report_date,
        sum(impressions) as impressions,
        sum(clicks) as clicks,
        sum(spend) as spend,
        sum(platform_conversions) as conversions
    from google_ad_days
    group by
        campaign_id,
        report_date
),

-- What a campaign's own daily figures hold beyond its ads' (each metric apart, never below zero).
google_campaign_remainders as (
    select
        google_campaign_metrics.ad_account_id,
        google_campaign_metrics.campaign_id,
        google_campaign_metrics.report_date,
        google_campaign_metrics.account_time_zone,
        google_campaign_metrics.currency_code,
        cast(greatest(
            google_campaign_metrics.impressions - coalesce(google_ad_days_by_campaign.impressions, 0), 0
        ) as {{ dbt.type_bigint() }}) as impressions,
        cast(greatest(
            google_campaign_metrics.clicks - coalesce(google_ad_days_by_campaign.clicks, 0), 0
        ) as {{ dbt.type_bigint() }}) as clicks,
        greatest(google_campaign_metrics.spend - coalesce(google_ad_days_by_campaign.spend, 0), 0) as spend,
        greatest(
            cast(google_campaign_metrics.conversions as decimal(38, 6))
            - coalesce(google_ad_days_by_campaign.conversions, 0),
            0
        ) as conversions
    from google_campaign_metrics
    left join google_ad_days_by_campaign
        on
            google_campaign_metrics.campaign_id = google_ad_days_by_campaign.campaign_id
            and google_campaign_metrics.report_date = google_ad_days_by_campaign.report_date
),

google_campaign_remainder_days as (
    select
        'google_ads' as platform,
        google_campaign_remainders.ad_account_id,
        google_campaign_remainders.campaign_id,
        google_campaigns.campaign_name,
        cast(null as {{ dbt.type_string() }}) as ad_group_id,
        cast(null as {{ dbt.type_string() }}) as ad_group_name,
        cast(null as {{ dbt.type_string() }}) as ad_id,
        cast(null as {{ dbt.type_string() }}) as ad_name,
        google_campaign_remainders.report_date,
        google_campaign_remainders.account_time_zone,
        google_campaign_remainders.account_time_zone as report_time_zone,
        google_campaign_remainders.spend,
        google_campaign_remainders.currency_code,
        google_campaign_remainders.impressions,
        google_campaign_remainders.clicks,
        google_campaign_remainders.conversions as platform_conversions,
        google_campaign_utms.utm_campaign,
        true as is_campaign_level
    from google_campaign_remainders
    left join google_campaigns
        on google_campaign_remainders.campaign_id = google_campaigns.campaign_id
    left join google_campaign_utms
        on google_campaign_remainders.campaign_id = google_campaign_utms.campaign_id
    where
        google_campaign_remainders.impressions > 0
        or google_campaign_remainders.clicks > 0
        or google_campaign_remainders.spend > 0
        or google_campaign_remainders.conversions > 0
),

unioned as (
    select * from google_ad_days
    union all
    select * from google_campaign_remainder_days
),

final as (
    select
        platform,
        ad_account_id,
        campaign_id,
        campaign_name,
        ad_group_id,
        ad_group_name,
        ad_id,
        ad_name,
        report_date,
        account_time_zone,
        report_time_zone,
        spend,
        currency_code,
        impressions,
        clicks,
        platform_conversions,
        utm_campaign,
        is_campaign_level
    from unioned
)

select * from final
