with

source as (
    select
        campaign_id,
        date,
        account_id,
        impressions,
        clicks,
        cost_in_local_currency,
        cost_in_usd,
        external_website_conversions,
        currency,
        time_zone
    from {{ source('linkedin_ads', 'campaign_analytics_daily') }}
),

final as (
    select
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(account_id as {{ dbt.type_string() }}) as ad_account_id,
        date as report_date,
        coalesce(time_zone, 'UTC') as report_time_zone,
        impressions,
        clicks,
        cast(cost_in_local_currency as decimal(38, 6)) as spend,
        currency as currency_code,
        cast(cost_in_usd as decimal(38, 6)) as spend_usd,
        external_website_conversions as conversions
    from source
)

select * from final
