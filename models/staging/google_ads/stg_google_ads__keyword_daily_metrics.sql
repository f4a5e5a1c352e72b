{#- One row per keyword per report day (Google's keyword_view): the search ads' figures split by the keyword
    that triggered them, with the keyword's text, match type and status as of the load. -#}

with

source as (
    select
        customer_id,
        currency_code,
        time_zone,
        campaign_id,
        ad_group_id,
        criterion_id,
        keyword_text,
        match_type,
        status,
        date,
        impressions,
        clicks,
        cost_micros,
        conversions,
        conversions_value
    from {{ source('google_ads', 'keyword_metrics_daily') }}
),

final as (
    select
        cast(criterion_id as {{ dbt.type_string() }}) as keyword_id,
        cast(ad_group_id as {{ dbt.type_string() }}) as ad_group_id,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(customer_id as {{ dbt.type_string() }}) as ad_account_id,
        keyword_text,
        match_type as keyword_match_type,
        status as keyword_status,
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
