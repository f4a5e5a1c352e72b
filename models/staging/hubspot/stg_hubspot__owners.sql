with

source as (
    select
        id,
        email,
        first_name,
        last_name,
        user_id,
        created_at,
        updated_at,
        archived
    from {{ source('hubspot', 'owners') }}
),

final as (
    select
        id as owner_id,
        {{ normalize_email('email') }} as email,
        nullif(trim(first_name), '') as first_name,
        nullif(trim(last_name), '') as last_name,
        cast(user_id as {{ dbt.type_string() }}) as user_id,
        {{ to_utc('created_at') }} as created_at,
        {{ to_utc('updated_at') }} as updated_at,
        coalesce(archived, false) as is_deleted
    from source
)

select * from final
