with

source as (
    select
        id,
        campaign_id,
        lead_id,
        contact_id,
        lead_or_contact_id,
        status,
        has_responded,
        first_responded_date,
        created_date,
        last_modified_date,
        system_modstamp,
        is_deleted
    from {{ source('salesforce', 'campaign_member') }}
),

final as (
    select
        id as campaign_member_id,
        campaign_id,
        lead_id,
        contact_id,
        lead_or_contact_id,
        status as member_status,
        has_responded,
        first_responded_date,
        {{ to_utc('created_date') }} as created_at,
        {{ to_utc('last_modified_date') }} as updated_at,
        {{ to_utc('system_modstamp') }} as system_modstamp_at,
        is_deleted
    from source
)

select * from final
