with

source as (
    select
        id,
        who_id,
        what_id,
        subject,
        type,
        start_date_time,
        end_date_time,
        activity_date,
        owner_id,
        is_archived,
        created_date,
        last_modified_date,
        system_modstamp,
        is_deleted
    from {{ source('salesforce', 'event') }}
),

final as (
    select
        id as event_id,
        who_id,
        -- WhoId and WhatId are polymorphic: the first three characters of a Salesforce id name its object.
        case when who_id like '00Q%' then who_id end as lead_id,
        case when who_id like '003%' then who_id end as contact_id,
        what_id,
        case when what_id like '006%' then what_id end as opportunity_id,
        case when what_id like '001%' then what_id end as account_id,
        subject,
        type as event_type,
        {{ to_utc('start_date_time') }} as started_at,
        {{ to_utc('end_date_time') }} as ended_at,
        activity_date,
        owner_id,
        is_archived,
        {{ to_utc('created_date') }} as created_at,
        {{ to_utc('last_modified_date') }} as updated_at,
        {{ to_utc('system_modstamp') }} as system_modstamp_at,
        is_deleted
    from source
)

select * from final
