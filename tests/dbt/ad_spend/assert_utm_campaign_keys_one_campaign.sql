-- The join key of ad spend to touchpoints (platform + lower(utm_campaign), see int_ad_spend_days_unioned's
-- campaign_key) names exactly one campaign: every ad of a campaign carries the same utm_campaign, and no two
-- campaigns of a platform share one (Google campaigns without ads counted with their own utm_campaign).
-- Fails with one row per campaign with several keys and per key with several campaigns.

-- Runs only when the sources it reads are switched on (vars `<source>_enabled`).
{{ config(enabled=var('google_ads_enabled') and var('facebook_ads_enabled') and var('linkedin_ads_enabled')) }}

with

google_ads as (
    select
        campaign_id,
        utm_campaign
    from {{ ref('stg_google_ads__ads') }}
),

google_campaigns as (
    select
        campaign_id,
        utm_campaign
    from {{ ref('stg_google_ads__campaigns') }}
),

facebook_ads as (
    select
        campaign_id,
        utm_campaign
    from {{ ref('stg_facebook_ads__ads') }}
),

linkedin_creatives as (
    select
        campaign_group_id,
        utm_campaign
    from {{ ref('stg_linkedin_ads__creatives') }}
),

ad_utms as (
    select
        'google_ads' as platform,
        campaign_id,
        lower(utm_campaign) as utm_campaign
    from google_ads
    where utm_campaign is not null

    union all

    select
        'google_ads' as platform,
        google_campaigns.campaign_id,
        lower(google_campaigns.utm_campaign) as utm_campaign
    from google_campaigns
    where
        google_campaigns.utm_campaign is not null
        and not exists (
            select 1
            from google_ads
            where
                google_ads.campaign_id = google_campaigns.campaign_id
                and google_ads.utm_campaign is not null
        )

    union all

    select
        'facebook_ads' as platform,
        campaign_id,
        lower(utm_campaign) as utm_campaign
    from facebook_ads
    where utm_campaign is not null

    union all

    select
        'linkedin_ads' as platform,
        campaign_group_id as campaign_id,
        lower(utm_campaign) as utm_campaign
    from linkedin_creatives
    where utm_campaign is not null
),

campaigns_with_several_keys as (
    select
        platform,
        'campaign with several utm_campaign values' as problem,
        campaign_id as offending_value,
        count(distinct utm_campaign) as distinct_count
    from ad_utms
    group by
        platform,
        campaign_id
    having count(distinct utm_campaign) > 1
),

keys_with_several_campaigns as (
    select
        platform,
        'utm_campaign shared by several campaigns' as problem,
        utm_campaign as offending_value,
        count(distinct campaign_id) as distinct_count
    from ad_utms
    group by
        platform,
        utm_campaign
    having count(distinct campaign_id) > 1
),

final as (
    select * from campaigns_with_several_keys
    union all
    select * from keys_with_several_campaigns
)

select * from final
