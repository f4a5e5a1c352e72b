with

source as (
    select
        customer_id,
        currency_code,
        time_zone,
        campaign_id,
        ad_group_id,
        ad_id,
        date,
        impressions,
        clicks,
        cost_micros,
        conversions,
        conversions_value
    from {{ source('google_ads', 'ad_metrics_daily') }}
),

final as (
    select
        cast(ad_id as {{ dbt.type_string() }}) as ad_id,
        cast(ad_group_id as {{ dbt.type_string() }}) as ad_group_id,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(customer_id as {{ dbt.type_string() }}) as ad_account_id,
        date as report_date,
        time_zone as account_time_zone,
        impressions,
        clicks,
        -- Exact: micros times 10^-6 stays a decimal (a division would go through a float on DuckDB).
        cast(cast(cost_micros as decimal(38, 0)) * cast(0.000001 as decimal(38, 6)) as decimal(38, 6)) as spend,
        currency_code,
        conversions,
        conversions_value as conversion_value
    from source
)

select * from final
