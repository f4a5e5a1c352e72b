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

-- Salesforce allows one membership per person and campaign; a double registration (a sync or
-- import artefact) would count the same response twice. Keep one: live before deleted, a response
-- before a registration, then the earliest created.
ranked as (
    select
        source.*,
        row_number() over (
            partition by source.campaign_id, source.lead_or_contact_id
            order by
                source.is_deleted asc,
                source.has_responded desc,
                source.created_date asc,
                source.id asc
        ) as membership_rank
    from source
),

deduplicated as (
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
    from ranked
    where membership_rank = 1
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
    from deduplicated
)

select * from final
