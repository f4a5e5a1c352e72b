with

source as (
    select
        id,
        hs_merged_object_ids
    from {{ source('hubspot', 'contacts') }}
),

survivors as (
    select
        id as contact_id,
        hs_merged_object_ids as merged_contact_ids
    from source
    where nullif(trim(hs_merged_object_ids), '') is not null
),

split_ids as (
    {{ unnest_split('survivors', ['contact_id'], 'merged_contact_ids', ';', 'merged_contact_id') }}
),

final as (
    select distinct
        contact_id,
        trim(merged_contact_id) as merged_contact_id
    from split_ids
    where nullif(trim(merged_contact_id), '') is not null
)

select * from final
