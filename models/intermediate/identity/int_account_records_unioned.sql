{#- Every CRM company record in one shape: HubSpot companies and Salesforce accounts, deleted (archived) ones
    included and flagged (of the CRMs switched on: vars `hubspot_enabled`, `salesforce_enabled`). -#}

with

{%- if var('hubspot_enabled') %}

    hubspot_companies as (
        select
            company_id,
            company_name,
            normalized_company_name,
            domain,
            industry,
            employee_count,
            annual_revenue,
            annual_revenue_currency,
            country_code,
            created_at,
            updated_at,
            is_deleted
        from {{ ref('stg_hubspot__companies') }}
    ),

{%- endif %}

{%- if var('salesforce_enabled') %}

    salesforce_accounts as (
        select
            account_id,
            account_name,
            normalized_company_name,
            domain,
            industry,
            employee_count,
            annual_revenue,
            annual_revenue_currency,
            country_code,
            created_at,
            updated_at,
            is_deleted
        from {{ ref('stg_salesforce__accounts') }}
    ),

{%- endif %}

{%- if var('hubspot_enabled') %}

    hubspot_company_records as (
        select
            'hubspot' as source_system,
            'companies' as source_object,
            company_id as source_record_id,
            company_name as account_name,
            normalized_company_name,
            domain,
            industry,
            employee_count,
            annual_revenue,
            annual_revenue_currency,
            country_code,
            created_at,
            updated_at,
            is_deleted
        from hubspot_companies
    ),

{%- endif %}

{%- if var('salesforce_enabled') %}

    salesforce_account_records as (
        select
            'salesforce' as source_system,
            'Account' as source_object,
            account_id as source_record_id,
            account_name,
            normalized_company_name,
            domain,
            industry,
            employee_count,
            annual_revenue,
            annual_revenue_currency,
            country_code,
            created_at,
            updated_at,
            is_deleted
        from salesforce_accounts
    ),

{%- endif %}

unioned as (
    {%- if var('hubspot_enabled') %}
        select * from hubspot_company_records
    {%- endif %}
    {%- if var('hubspot_enabled') and var('salesforce_enabled') %}
        union all
    {%- endif %}
    {%- if var('salesforce_enabled') %}
        select * from salesforce_account_records
    {%- endif %}
),

final as (
    select
        {{ dbt.concat(["source_system", "':'", "source_object", "':'", "source_record_id"]) }} as account_record_id,
        source_system,
        source_object,
        source_record_id,
        account_name,
        nullif(normalized_company_name, '') as normalized_company_name,
        nullif(domain, '') as domain,  -- noqa: RF04
        industry,
        employee_count,
        annual_revenue,
        annual_revenue_currency,
        country_code,
        created_at,
        updated_at,
        coalesce(is_deleted, false) as is_deleted
    from unioned
)

select * from final
