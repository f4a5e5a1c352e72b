with

source as (
    select
        pipeline_id,
        pipeline_label,
        stage_id,
        label,
        display_order,
        is_closed,
        probability,
        archived
    from {{ source('hubspot', 'deal_pipeline_stages') }}
),

renamed as (
    select
        pipeline_id,
        nullif(trim(pipeline_label), '') as pipeline_label,
        stage_id as deal_stage_id,
        nullif(trim(label), '') as deal_stage_label,
        cast(display_order as {{ dbt.type_int() }}) as display_order,
        coalesce(lower(trim(is_closed)) = 'true', false) as is_closed,
        {{ dbt.safe_cast("nullif(trim(probability), '')", 'decimal(5, 4)') }} as probability,
        coalesce(archived, false) as is_deleted
    from source
),

final as (
    select
        pipeline_id,
        pipeline_label,
        deal_stage_id,
        deal_stage_label,
        display_order,
        is_closed,
        probability,
        is_deleted,
        coalesce(is_closed and probability = 1, false) as is_won
    from renamed
)

select * from final
