with

source as (
    select
        id,
        account_id,
        name,
        objective,
        status,
        configured_status,
        effective_status,
        buying_type,
        start_time,
        stop_time,
        created_time,
        updated_time
    from {{ source('facebook_ads', 'campaigns') }}
),

final as (
    select
        cast(id as {{ dbt.type_string() }}) as campaign_id,
        cast(account_id as {{ dbt.type_string() }}) as ad_account_id,
        name as campaign_name,
        objective,
        status as campaign_status,
        configured_status,
        effective_status,
        buying_type,
        {{ to_utc('start_time') }} as start_at,
        {{ to_utc('stop_time') }} as stop_at,
        {{ to_utc('created_time') }} as created_at,
        {{ to_utc('updated_time') }} as updated_at
    from source
)

select * from final
