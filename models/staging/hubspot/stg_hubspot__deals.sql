with

source as (
    select
        id,
        dealname,
        amount,
        dealstage,
        pipeline,
        closedate,
        hubspot_owner_id,
        salesforce_opportunity_id,
        created_at,
        updated_at,
        archived,
        archived_at
    from {{ source('hubspot', 'deals') }}
),

final as (
    select
        id as deal_id,
        nullif(trim(dealname), '') as deal_name,
        {{ dbt.safe_cast("nullif(trim(amount), '')", 'decimal(18, 2)') }} as amount,
        '{{ var("hubspot_portal_currency") }}' as amount_currency,
        nullif(trim(dealstage), '') as deal_stage_id,
        nullif(trim(pipeline), '') as pipeline_id,
        cast({{ parse_timestamp_utc('closedate') }} as date) as close_date,
        {{ parse_timestamp_utc('closedate') }} as close_at,
        nullif(trim(hubspot_owner_id), '') as owner_id,
        nullif(trim(salesforce_opportunity_id), '') as salesforce_opportunity_id,
        {{ to_utc('created_at') }} as created_at,
        {{ to_utc('updated_at') }} as updated_at,
        coalesce(archived, false) as is_deleted,
        {{ to_utc('archived_at') }} as archived_at
    from source
)

select * from final
