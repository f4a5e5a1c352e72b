{#- One row per LinkedIn creative and day (creative analytics), its levels mapped to the others': campaign
    group -> campaign, campaign -> ad group, creative -> ad. The columns int_ad_spend_days_unioned unions. -#}

{{ config(enabled=var('linkedin_ads_enabled')) }}

with

linkedin_analytics as (
    select
        ad_account_id,
        creative_id,
        report_date,
        report_time_zone,
        impressions,
        clicks,
        spend,
        currency_code,
        conversions
    from {{ ref('stg_linkedin_ads__creative_daily_analytics') }}
),

linkedin_creatives as (
    select
        creative_id,
        campaign_id,
        campaign_group_id,
        creative_name,
        utm_campaign
    from {{ ref('stg_linkedin_ads__creatives') }}
),

linkedin_campaigns as (
    select
        campaign_id,
        campaign_group_id,
        campaign_name
    from {{ ref('stg_linkedin_ads__campaigns') }}
),

linkedin_campaign_groups as (
    select
        campaign_group_id,
        campaign_group_name
    from {{ ref('stg_linkedin_ads__campaign_groups') }}
),

linkedin_ad_accounts as (
    select
        ad_account_id,
        time_zone
    from {{ ref('stg_linkedin_ads__ad_accounts') }}
),

-- A campaign's utm_campaign, for rows whose ad carries none: the one its ads carry (every ad of a campaign
-- carries the same: tests/dbt/ad_spend/assert_utm_campaign_keys_one_campaign.sql).
linkedin_campaign_group_utms as (
    select
        campaign_group_id,
        min(lower(utm_campaign)) as utm_campaign
    from linkedin_creatives
    where utm_campaign is not null
    group by campaign_group_id
),

linkedin_ad_days as (
    select
        linkedin_analytics.ad_account_id,
        linkedin_campaigns.campaign_group_id as campaign_id,
        linkedin_campaign_groups.campaign_group_name as campaign_name,
        linkedin_creatives.campaign_id as ad_group_id,
        linkedin_campaigns.campaign_name as ad_group_name,
        linkedin_analytics.creative_id as ad_id,
        linkedin_creatives.creative_name as ad_name,
        linkedin_analytics.report_date,
        linkedin_analytics.report_time_zone,
        linkedin_analytics.spend,
        linkedin_analytics.currency_code,
        linkedin_analytics.impressions,
        linkedin_analytics.clicks,
        'linkedin_ads' as platform,
        false as is_campaign_level,
        cast(linkedin_analytics.conversions as decimal(38, 6)) as platform_conversions,
        coalesce(linkedin_ad_accounts.time_zone, 'UTC') as account_time_zone,
        coalesce(lower(linkedin_creatives.utm_campaign), linkedin_campaign_group_utms.utm_campaign) as utm_campaign
    from linkedin_analytics
    left join linkedin_creatives
        on linkedin_analytics.creative_id = linkedin_creatives.creative_id
    left join linkedin_campaigns
        on linkedin_creatives.campaign_id = linkedin_campaigns.campaign_id
    left join linkedin_campaign_groups
        on linkedin_campaigns.campaign_group_id = linkedin_campaign_groups.campaign_group_id
    left join linkedin_campaign_group_utms
        on linkedin_campaigns.campaign_group_id = linkedin_campaign_group_utms.campaign_group_id
    left join linkedin_ad_accounts
        on linkedin_analytics.ad_account_id = linkedin_ad_accounts.ad_account_id
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
    from linkedin_ad_days
)

select * from final
