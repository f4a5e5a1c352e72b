with

source as (
    select
        ad_id,
        date_start,
        date_stop,
        account_id,
        account_currency,
        account_timezone,
        campaign_id,
        campaign_name,
        adset_id,
        adset_name,
        ad_name,
        objective,
        impressions,
        clicks,
        spend,
        leads,
        leads_7d_click,
        leads_1d_view
    from {{ source('facebook_ads', 'ads_insights') }}
),

final as (
    select
        cast(ad_id as {{ dbt.type_string() }}) as ad_id,
        cast(adset_id as {{ dbt.type_string() }}) as ad_set_id,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(account_id as {{ dbt.type_string() }}) as ad_account_id,
        date_start as report_date,
        date_stop as report_end_date,
        account_timezone as account_time_zone,
        ad_name,
        adset_name as ad_set_name,
        campaign_name,
        objective,
        impressions,
        clicks,
        cast(spend as decimal(38, 6)) as spend,
        account_currency as currency_code,
        leads,
        leads_7d_click,
        leads_1d_view
    from source
)

select * from final
