with

source as (
    select
        id,
        opportunity_id,
        contact_id,
        role,
        is_primary,
        created_date,
        last_modified_date,
        system_modstamp,
        is_deleted
    from {{ source('salesforce', 'opportunity_contact_role') }}
),

final as (
    select
        id as opportunity_contact_role_id,
        opportunity_id,
        contact_id,
        role as contact_role,
        is_primary,
        {{ to_utc('created_date') }} as created_at,
        {{ to_utc('last_modified_date') }} as updated_at,
        {{ to_utc('system_modstamp') }} as system_modstamp_at,
        is_deleted
    from source
)

select * from final
