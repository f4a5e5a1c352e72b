{#- One row per conversion action of a Google Ads account: what counts as a conversion, and its default
    value in the account's currency. -#}

with

source as (
    select
        id,
        resource_name,
        customer_id,
        name,
        category,
        type,
        status,
        default_value,
        include_in_conversions_metric
    from {{ source('google_ads', 'conversion_actions') }}
),

final as (
    select
        cast(id as {{ dbt.type_string() }}) as conversion_action_id,
        cast(customer_id as {{ dbt.type_string() }}) as ad_account_id,
        name as conversion_action_name,
        category as conversion_action_category,
        type as conversion_action_type,
        status as conversion_action_status,
        default_value,
        coalesce(include_in_conversions_metric, false) as is_counted_in_conversions,
        resource_name
    from source
)

select * from final
