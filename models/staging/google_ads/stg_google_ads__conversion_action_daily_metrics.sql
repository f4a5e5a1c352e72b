{#- One row per ad per conversion action per report day: the ad's conversions (and their value) segmented by
    the conversion action that counted them. Every action here counts in the ad's `conversions`. -#}

with

source as (
    select
        customer_id,
        currency_code,
        time_zone,
        campaign_id,
        ad_group_id,
        ad_id,
        conversion_action_id,
        conversion_action_name,
        conversion_action_category,
        date,
        conversions,
        conversions_value
    from {{ source('google_ads', 'conversion_action_metrics_daily') }}
),

final as (
    select
        cast(ad_id as {{ dbt.type_string() }}) as ad_id,
        cast(ad_group_id as {{ dbt.type_string() }}) as ad_group_id,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(customer_id as {{ dbt.type_string() }}) as ad_account_id,
        cast(conversion_action_id as {{ dbt.type_string() }}) as conversion_action_id,
        conversion_action_name,
        conversion_action_category,
        date as report_date,
        time_zone as account_time_zone,
        conversions,
        conversions_value as conversion_value,
        currency_code
    from source
)

select * from final
