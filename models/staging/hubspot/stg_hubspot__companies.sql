with

source as (
    select
        id,
        name,
        domain,
        industry,
        numberofemployees,
        annualrevenue,
        country,
        lifecyclestage,
        hubspot_owner_id,
        created_at,
        updated_at,
        archived,
        archived_at
    from {{ source('hubspot', 'companies') }}
),

with_country_code as (
    select
        source.*,
        {{ country_code('source.country') }} as looked_up_country_code
    from source
),

final as (
    select
        id as company_id,
        nullif(trim(name), '') as company_name,
        {{ normalize_company_name('name') }} as normalized_company_name,
        {{ domain_from_url('domain') }} as domain,  -- noqa: RF04
        {{ industry('industry') }} as industry,
        {{ dbt.safe_cast("nullif(trim(numberofemployees), '')", dbt.type_int()) }} as employee_count,
        {{ dbt.safe_cast("nullif(trim(annualrevenue), '')", 'decimal(18, 2)') }} as annual_revenue,
        '{{ var("hubspot_portal_currency") }}' as annual_revenue_currency,
        nullif(trim(country), '') as country,
        looked_up_country_code as country_code,
        nullif(trim(lifecyclestage), '') as lifecycle_stage,
        nullif(trim(hubspot_owner_id), '') as owner_id,
        {{ to_utc('created_at') }} as created_at,
        {{ to_utc('updated_at') }} as updated_at,
        coalesce(archived, false) as is_deleted,
        {{ to_utc('archived_at') }} as archived_at
    from with_country_code
)

select * from final
