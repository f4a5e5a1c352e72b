with

source as (
    select
        sobject,
        id,
        deleted_date
    from {{ source('salesforce', 'deleted_records') }}
),

final as (
    select
        sobject as object_name,
        id as record_id,
        {{ to_utc('deleted_date') }} as deleted_at
    from source
)

select * from final
