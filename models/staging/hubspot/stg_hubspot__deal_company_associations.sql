with

source as (
    select
        from_id,
        to_id,
        type_id,
        category,
        label
    from {{ source('hubspot', 'deals_to_companies') }}
),

final as (
    select
        from_id as deal_id,
        to_id as company_id,
        type_id as association_type_id,
        category as association_category,
        nullif(trim(label), '') as association_label,
        coalesce(type_id = 5, false) as is_primary
    from source
)

select * from final
