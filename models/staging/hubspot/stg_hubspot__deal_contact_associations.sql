with

source as (
    select
        from_id,
        to_id,
        type_id,
        category
    from {{ source('hubspot', 'deals_to_contacts') }}
),

final as (
    select
        from_id as deal_id,
        to_id as contact_id,
        type_id as association_type_id,
        category as association_category,
        cast(null as {{ dbt.type_string() }}) as association_label
    from source
)

select * from final
