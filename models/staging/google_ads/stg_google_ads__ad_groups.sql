with

source as (
    select
        id,
        resource_name,
        customer_id,
        campaign_id,
        name,
        status,
        type,
        tracking_url_template,
        final_url_suffix,
        url_custom_parameters
    from {{ source('google_ads', 'ad_groups') }}
),

final as (
    select
        cast(id as {{ dbt.type_string() }}) as ad_group_id,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(customer_id as {{ dbt.type_string() }}) as ad_account_id,
        name as ad_group_name,
        status as ad_group_status,
        type as ad_group_type,
        nullif(trim(tracking_url_template), '') as tracking_url_template,
        nullif(trim(final_url_suffix), '') as final_url_suffix,
        {{ json_text('url_custom_parameters') }} as url_custom_parameters,
        resource_name
    from source
)

select * from final
