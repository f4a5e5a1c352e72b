{#- One row per Meta (Facebook) ad and day (ads insights), with its campaign, ad set and ad names and the
    utm_campaign of its link: the columns int_ad_spend_days_unioned unions. -#}

{{ config(enabled=var('facebook_ads_enabled')) }}

with

facebook_insights as (
    select
        ad_account_id,
        campaign_id,
        ad_set_id,
        ad_id,
        report_date,
        account_time_zone,
        ad_name,
        ad_set_name,
        campaign_name,
        impressions,
        clicks,
        spend,
        currency_code,
        leads
    from {{ ref('stg_facebook_ads__ad_daily_insights') }}
),

facebook_ads as (
    select
        ad_id,
        campaign_id,
        ad_name,
        utm_campaign
    from {{ ref('stg_facebook_ads__ads') }}
),

facebook_ad_sets as (
    select
        ad_set_id,
        ad_set_name
    from {{ ref('stg_facebook_ads__ad_sets') }}
),

facebook_campaigns as (
    select
        campaign_id,
        campaign_name
    from {{ ref('stg_facebook_ads__campaigns') }}
),

-- A campaign's utm_campaign, for rows whose ad carries none: the one its ads carry (every ad of a campaign
-- carries the same: tests/dbt/ad_spend/assert_utm_campaign_keys_one_campaign.sql).
facebook_campaign_utms as (
    select
        campaign_id,
        min(lower(utm_campaign)) as utm_campaign
    from facebook_ads
    where utm_campaign is not null
    group by campaign_id
),

facebook_ad_days as (
    select
        facebook_insights.ad_account_id,
        facebook_insights.campaign_id,
        facebook_insights.ad_set_id as ad_group_id,
        facebook_insights.ad_id,
        facebook_insights.report_date,
        facebook_insights.account_time_zone,
        facebook_insights.account_time_zone as report_time_zone,
        facebook_insights.spend,
        facebook_insights.currency_code,
        facebook_insights.impressions,
        facebook_insights.clicks,
        'facebook_ads' as platform,
        false as is_campaign_level,
        cast(facebook_insights.leads as decimal(38, 6)) as platform_conversions,
        coalesce(facebook_campaigns.campaign_name, facebook_insights.campaign_name) as campaign_name,
        coalesce(facebook_ad_sets.ad_set_name, facebook_insights.ad_set_name) as ad_group_name,
        coalesce(facebook_ads.ad_name, facebook_insights.ad_name) as ad_name,
        coalesce(lower(facebook_ads.utm_campaign), facebook_campaign_utms.utm_campaign) as utm_campaign
    from facebook_insights
    left join facebook_ads
        on facebook_insights.ad_id = facebook_ads.ad_id
    left join facebook_ad_sets
        on facebook_insights.ad_set_id = facebook_ad_sets.ad_set_id
    left join facebook_campaigns
        on facebook_insights.campaign_id = facebook_campaigns.campaign_id
    left join facebook_campaign_utms
        on facebook_insights.campaign_id = facebook_campaign_utms.campaign_id
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
    from facebook_ad_days
)

select * from final
