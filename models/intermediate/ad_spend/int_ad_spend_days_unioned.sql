{#- Daily ad spend of every platform at one grain: date x platform x account x campaign x ad group x ad.
    Google's campaign-level figures beyond the sum of its ad-level rows (Performance Max, campaigns without
    ads) become one row per campaign and day with null ad group and ad, so spend adds up at every grain. -#}

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

-- A campaign's utm_campaign, for rows whose ad carries none (Google's campaign-level remainders): the one its
-- ads carry (every ad of a campaign carries the same: tests/dbt/ad_spend/assert_utm_campaign_keys_one_campaign.sql),
-- else, for a Google campaign without ads (Performance Max), the campaign's own.
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

facebook_campaign_utms as (
    select
        campaign_id,
        min(lower(utm_campaign)) as utm_campaign
    from facebook_ads
    where utm_campaign is not null
    group by campaign_id
),

linkedin_campaign_group_utms as (
    select
        campaign_group_id,
        min(lower(utm_campaign)) as utm_campaign
    from linkedin_creatives
    where utm_campaign is not null
    group by campaign_group_id
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

facebook_ad_days as (
    select
        'facebook_ads' as platform,
        facebook_insights.ad_account_id,
        facebook_insights.campaign_id,
        coalesce(facebook_campaigns.campaign_name, facebook_insights.campaign_name) as campaign_name,
        facebook_insights.ad_set_id as ad_group_id,
        coalesce(facebook_ad_sets.ad_set_name, facebook_insights.ad_set_name) as ad_group_name,
        facebook_insights.ad_id,
        coalesce(facebook_ads.ad_name, facebook_insights.ad_name) as ad_name,
        facebook_insights.report_date,
        facebook_insights.account_time_zone,
        facebook_insights.account_time_zone as report_time_zone,
        facebook_insights.spend,
        facebook_insights.currency_code,
        facebook_insights.impressions,
        facebook_insights.clicks,
        cast(facebook_insights.leads as decimal(38, 6)) as platform_conversions,
        coalesce(lower(facebook_ads.utm_campaign), facebook_campaign_utms.utm_campaign) as utm_campaign,
        false as is_campaign_level
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

-- LinkedIn's levels map to the others': campaign group -> campaign, campaign -> ad group, creative -> ad.
linkedin_ad_days as (
    select
        'linkedin_ads' as platform,
        linkedin_analytics.ad_account_id,
        linkedin_campaigns.campaign_group_id as campaign_id,
        linkedin_campaign_groups.campaign_group_name as campaign_name,
        linkedin_creatives.campaign_id as ad_group_id,
        linkedin_campaigns.campaign_name as ad_group_name,
        linkedin_analytics.creative_id as ad_id,
        linkedin_creatives.creative_name as ad_name,
        linkedin_analytics.report_date,
        coalesce(linkedin_ad_accounts.time_zone, 'UTC') as account_time_zone,
        linkedin_analytics.report_time_zone,
        linkedin_analytics.spend,
        linkedin_analytics.currency_code,
        linkedin_analytics.impressions,
        linkedin_analytics.clicks,
        cast(linkedin_analytics.conversions as decimal(38, 6)) as platform_conversions,
        coalesce(lower(linkedin_creatives.utm_campaign), linkedin_campaign_group_utms.utm_campaign) as utm_campaign,
        false as is_campaign_level
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

unioned as (
    select * from google_ad_days
    union all
    select * from google_campaign_remainder_days
    union all
    select * from facebook_ad_days
    union all
    select * from linkedin_ad_days
),

final as (
    select
        {{ dbt.hash(dbt.concat([
            'platform', "'|'",
            'ad_account_id', "'|'",
            "coalesce(campaign_id, '')", "'|'",
            "coalesce(ad_group_id, '')", "'|'",
            "coalesce(ad_id, '')", "'|'",
            'cast(report_date as ' ~ dbt.type_string() ~ ')'
        ])) }} as ad_spend_id,
        platform,
        ad_account_id,
        campaign_id,
        campaign_name,
        ad_group_id,
        ad_group_name,
        ad_id,
        ad_name,
        is_campaign_level,
        report_date,
        account_time_zone,
        report_time_zone,
        spend,
        currency_code,
        {{ to_reporting_currency('spend', 'currency_code', 'report_date') }} as spend_reporting,
        '{{ var("reporting_currency") }}' as reporting_currency,
        impressions,
        clicks,
        platform_conversions,
        utm_campaign,
        case
            when utm_campaign is not null then {{ dbt.concat(['platform', "':'", 'utm_campaign']) }}
        end as campaign_key
    from unioned
)

select * from final
