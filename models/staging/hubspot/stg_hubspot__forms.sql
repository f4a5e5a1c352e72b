with

source as (
    select
        id,
        name,
        form_type,
        created_at,
        updated_at,
        archived
    from {{ source('hubspot', 'forms') }}
),

final as (
    select
        id as form_id,
        nullif(trim(name), '') as form_name,
        nullif(trim(form_type), '') as form_type,
        {{ to_utc('created_at') }} as created_at,
        {{ to_utc('updated_at') }} as updated_at,
        coalesce(archived, false) as is_deleted
    from source
)

select * from final
