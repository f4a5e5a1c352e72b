with

source as (
    select
        id,
        account_id,
        campaign_id,
        name,
        status,
        configured_status,
        effective_status,
        created_time,
        updated_time
    from {{ source('facebook_ads', 'ad_sets') }}
),

final as (
    select
        cast(id as {{ dbt.type_string() }}) as ad_set_id,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(account_id as {{ dbt.type_string() }}) as ad_account_id,
        name as ad_set_name,
        status as ad_set_status,
        configured_status,
        effective_status,
        {{ to_utc('created_time') }} as created_at,
        {{ to_utc('updated_time') }} as updated_at
    from source
)

select * from final
