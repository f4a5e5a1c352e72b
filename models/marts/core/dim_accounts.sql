{#- One row per resolved account (company), deleted ones kept and flagged: its surviving attributes across
    Salesforce and HubSpot (int_accounts_resolved) and the CRM records it was resolved from. -#}

with

accounts as (
    select
        account_id,
        account_name,
        domain,
        industry,
        employee_count,
        annual_revenue,
        annual_revenue_currency,
        country_code,
        salesforce_account_id,
        hubspot_company_id,
        salesforce_account_count,
        hubspot_company_count,
        deleted_record_count,
        record_count,
        is_deleted,
        first_seen_at,
        last_updated_at
    from {{ ref('int_accounts_resolved') }}
),

final as (
    select
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(account_name as {{ dbt.type_string() }}) as account_name,
        cast(domain as {{ dbt.type_string() }}) as domain,  -- noqa: RF04
        cast(industry as {{ dbt.type_string() }}) as industry,
        cast(employee_count as {{ dbt.type_bigint() }}) as employee_count,
        cast(annual_revenue as decimal(18, 2)) as annual_revenue,
        cast(annual_revenue_currency as {{ dbt.type_string() }}) as annual_revenue_currency,
        cast(country_code as {{ dbt.type_string() }}) as country_code,
        cast(salesforce_account_id as {{ dbt.type_string() }}) as salesforce_account_id,
        cast(hubspot_company_id as {{ dbt.type_string() }}) as hubspot_company_id,
        cast(salesforce_account_count as {{ dbt.type_bigint() }}) as salesforce_account_count,
        cast(hubspot_company_count as {{ dbt.type_bigint() }}) as hubspot_company_count,
        cast(deleted_record_count as {{ dbt.type_bigint() }}) as deleted_record_count,
        cast(record_count as {{ dbt.type_bigint() }}) as record_count,
        cast(is_deleted as {{ dbt.type_boolean() }}) as is_deleted,
        cast(first_seen_at as {{ dbt.type_timestamp() }}) as first_seen_at,
        cast(last_updated_at as {{ dbt.type_timestamp() }}) as last_updated_at
    from accounts
)

select * from final
