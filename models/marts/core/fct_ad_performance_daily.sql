{#- One row per report day x ad platform x ad account x campaign x ad group x ad: the unified daily ad spend
    (int_ad_spend_days_unioned), every column, with its campaign's key into dim_campaigns. Spend is kept
    exact in the account's currency and rounded to cents in the reporting currency. -#}

with

ad_spend_days as (
    select
        ad_spend_id,
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
        spend_reporting,
        reporting_currency,
        impressions,
        clicks,
        platform_conversions,
        utm_campaign,
        campaign_key
    from {{ ref('int_ad_spend_days_unioned') }}
),

final as (
    select
        cast(ad_spend_id as {{ dbt.type_string() }}) as ad_spend_id,
        cast(report_date as date) as report_date,
        cast(platform as {{ dbt.type_string() }}) as platform,
        cast(ad_account_id as {{ dbt.type_string() }}) as ad_account_id,
        cast(campaign_key as {{ dbt.type_string() }}) as campaign_key,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(campaign_name as {{ dbt.type_string() }}) as campaign_name,
        cast(ad_group_id as {{ dbt.type_string() }}) as ad_group_id,
        cast(ad_group_name as {{ dbt.type_string() }}) as ad_group_name,
        cast(ad_id as {{ dbt.type_string() }}) as ad_id,
        cast(ad_name as {{ dbt.type_string() }}) as ad_name,
        cast(utm_campaign as {{ dbt.type_string() }}) as utm_campaign,
        cast(is_campaign_level as {{ dbt.type_boolean() }}) as is_campaign_level,
        cast(account_time_zone as {{ dbt.type_string() }}) as account_time_zone,
        cast(report_time_zone as {{ dbt.type_string() }}) as report_time_zone,
        cast(spend as decimal(38, 6)) as spend,
        cast(currency_code as {{ dbt.type_string() }}) as currency_code,
        cast(spend_reporting as decimal(18, 2)) as spend_reporting,
        cast(reporting_currency as {{ dbt.type_string() }}) as reporting_currency,
        cast(impressions as {{ dbt.type_bigint() }}) as impressions,
        cast(clicks as {{ dbt.type_bigint() }}) as clicks,
        cast(platform_conversions as decimal(38, 6)) as platform_conversions
    from ad_spend_days
)

select * from final
