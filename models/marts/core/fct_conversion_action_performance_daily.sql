{#- One row per report day x Google Ads ad x conversion action: the ad's self-reported conversions and their
    value split by the conversion action that counted them (a demo request, a sales contact, a trial signup).
    Per ad and day the conversions add up to platform_conversions in fct_ad_performance_daily. -#}

{{ config(enabled=var('google_ads_enabled')) }}

with

action_days as (
    select
        ad_id,
        ad_group_id,
        campaign_id,
        ad_account_id,
        conversion_action_id,
        conversion_action_name,
        conversion_action_category,
        report_date,
        account_time_zone,
        conversions,
        conversion_value,
        currency_code
    from {{ ref('stg_google_ads__conversion_action_daily_metrics') }}
),

campaigns as (
    select
        campaign_id,
        campaign_name
    from {{ ref('stg_google_ads__campaigns') }}
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
            'action_days.ad_group_id', "'|'",
            'action_days.ad_id', "'|'",
            'action_days.conversion_action_id', "'|'",
            'cast(action_days.report_date as ' ~ dbt.type_string() ~ ')'
        ])) }} as conversion_action_day_id,
        cast(action_days.report_date as date) as report_date,
        cast('google_ads' as {{ dbt.type_string() }}) as platform,
        cast(action_days.ad_account_id as {{ dbt.type_string() }}) as ad_account_id,
        cast(campaign_keys.campaign_key as {{ dbt.type_string() }}) as campaign_key,
        cast(action_days.campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(campaigns.campaign_name as {{ dbt.type_string() }}) as campaign_name,
        cast(action_days.ad_group_id as {{ dbt.type_string() }}) as ad_group_id,
        cast(action_days.ad_id as {{ dbt.type_string() }}) as ad_id,
        cast(action_days.conversion_action_id as {{ dbt.type_string() }}) as conversion_action_id,
        cast(action_days.conversion_action_name as {{ dbt.type_string() }}) as conversion_action_name,
        cast(action_days.conversion_action_category as {{ dbt.type_string() }}) as conversion_action_category,
        cast(action_days.account_time_zone as {{ dbt.type_string() }}) as account_time_zone,
        cast(action_days.conversions as decimal(38, 6)) as platform_conversions,
        cast(action_days.conversion_value as decimal(38, 6)) as platform_conversion_value,
        cast(action_days.currency_code as {{ dbt.type_string() }}) as currency_code,
        {{ to_reporting_currency(
            'action_days.conversion_value', 'action_days.currency_code', 'action_days.report_date'
        ) }} as platform_conversion_value_reporting,
        cast('{{ var("reporting_currency") }}' as {{ dbt.type_string() }}) as reporting_currency
    from action_days
    left join campaigns
        on action_days.campaign_id = campaigns.campaign_id
    left join campaign_keys
        on action_days.campaign_id = campaign_keys.campaign_id
)

select * from final
