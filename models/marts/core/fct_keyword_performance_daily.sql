{#- One row per report day x Google Ads keyword: what each search keyword cost and brought, with its campaign
    and ad group, spend kept exact in the account's currency and rounded to cents in the reporting currency.
    A keyword's ad group adds up to that ad group's rows in fct_ad_performance_daily. -#}

{{ config(enabled=var('google_ads_enabled')) }}

with

keyword_days as (
    select
        keyword_id,
        ad_group_id,
        campaign_id,
        ad_account_id,
        keyword_text,
        keyword_match_type,
        keyword_status,
        report_date,
        account_time_zone,
        impressions,
        clicks,
        spend,
        currency_code,
        conversions,
        conversion_value
    from {{ ref('stg_google_ads__keyword_daily_metrics') }}
),

campaigns as (
    select
        campaign_id,
        campaign_name
    from {{ ref('stg_google_ads__campaigns') }}
),

ad_groups as (
    select
        ad_group_id,
        ad_group_name
    from {{ ref('stg_google_ads__ad_groups') }}
),

-- The campaign's key, as every mart joins campaigns (dim_campaigns: one per platform campaign).
campaign_keys as (
    select
        campaign_id,
        campaign_key
    from {{ ref('dim_campaigns') }}
    where platform = 'google_ads'
),

final as (
    select
        {{ dbt.hash(dbt.concat([
            'keyword_days.ad_group_id', "'|'",
            'keyword_days.keyword_id', "'|'",
            'cast(keyword_days.report_date as ' ~ dbt.type_string() ~ ')'
        ])) }} as keyword_day_id,
        cast(keyword_days.report_date as date) as report_date,
        cast('google_ads' as {{ dbt.type_string() }}) as platform,
        cast(keyword_days.ad_account_id as {{ dbt.type_string() }}) as ad_account_id,
        cast(campaign_keys.campaign_key as {{ dbt.type_string() }}) as campaign_key,
        cast(keyword_days.campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(campaigns.campaign_name as {{ dbt.type_string() }}) as campaign_name,
        cast(keyword_days.ad_group_id as {{ dbt.type_string() }}) as ad_group_id,
        cast(ad_groups.ad_group_name as {{ dbt.type_string() }}) as ad_group_name,
        cast(keyword_days.keyword_id as {{ dbt.type_string() }}) as keyword_id,
        cast(keyword_days.keyword_text as {{ dbt.type_string() }}) as keyword_text,
        cast(keyword_days.keyword_match_type as {{ dbt.type_string() }}) as keyword_match_type,
        cast(keyword_days.keyword_status as {{ dbt.type_string() }}) as keyword_status,
        cast(keyword_days.account_time_zone as {{ dbt.type_string() }}) as account_time_zone,
        cast(keyword_days.spend as decimal(38, 6)) as spend,
        cast(keyword_days.currency_code as {{ dbt.type_string() }}) as currency_code,
        {{ to_reporting_currency('keyword_days.spend', 'keyword_days.currency_code', 'keyword_days.report_date') }}
            as spend_reporting,
        cast('{{ var("reporting_currency") }}' as {{ dbt.type_string() }}) as reporting_currency,
        cast(keyword_days.impressions as {{ dbt.type_bigint() }}) as impressions,
        cast(keyword_days.clicks as {{ dbt.type_bigint() }}) as clicks,
        cast(keyword_days.conversions as decimal(38, 6)) as platform_conversions,
        cast(keyword_days.conversion_value as decimal(38, 6)) as platform_conversion_value
    from keyword_days
    left join campaigns
        on keyword_days.campaign_id = campaigns.campaign_id
    left join ad_groups
        on keyword_days.ad_group_id = ad_groups.ad_group_id
    left join campaign_keys
        on keyword_days.campaign_id = campaign_keys.campaign_id
)

select * from final
