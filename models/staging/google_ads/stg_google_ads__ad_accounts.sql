with

source as (
    select
        id,
        resource_name,
        descriptive_name,
        currency_code,
        time_zone,
        manager,
        status,
        tracking_url_template,
        final_url_suffix
    from {{ source('google_ads', 'customers') }}
),

final as (
    select
        cast(id as {{ dbt.type_string() }}) as ad_account_id,
        descriptive_name as account_name,
        currency_code,
        time_zone,
        status as account_status,
        manager as is_manager,
        nullif(trim(tracking_url_template), '') as tracking_url_template,
        nullif(trim(final_url_suffix), '') as final_url_suffix,
        resource_name
    from source
)

select * from final
