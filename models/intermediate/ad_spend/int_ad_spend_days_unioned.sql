{#- Daily ad spend of every platform at one grain: date x platform x account x campaign x ad group x ad, from
    one model per platform (Google's campaign-level remainders included), with the spend in the reporting
    currency and the campaign key touchpoints join on. -#}

with

google_ads_spend_days as (
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
    from {{ ref('int_google_ads_spend_days_listed') }}
),

facebook_ads_spend_days as (
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
    from {{ ref('int_facebook_ads_spend_days_listed') }}
),

linkedin_ads_spend_days as (
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
    from {{ ref('int_linkedin_ads_spend_days_listed') }}
),

unioned as (
    select * from google_ads_spend_days
    union all
    select * from facebook_ads_spend_days
    union all
    select * from linkedin_ads_spend_days
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
