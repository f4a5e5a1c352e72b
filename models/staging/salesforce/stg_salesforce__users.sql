with

source as (
    select
        id,
        first_name,
        last_name,
        name,
        email,
        title,
        department,
        is_active,
        manager_id,
        created_date,
        last_modified_date,
        system_modstamp
    from {{ source('salesforce', 'user') }}
),

final as (
    select
        id as user_id,
        first_name,
        last_name,
        name as full_name,
        {{ normalize_email('email') }} as email,
        title,
        department,
        is_active,
        manager_id,
        {{ to_utc('created_date') }} as created_at,
        {{ to_utc('last_modified_date') }} as updated_at,
        {{ to_utc('system_modstamp') }} as system_modstamp_at
    from source
)

select * from final
