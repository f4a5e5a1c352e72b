{#- One row per resolved person, deleted ones kept and flagged: their surviving attributes across Salesforce
    and HubSpot (int_people_resolved), their CRM records, and when they reached each lifecycle stage
    (int_people_lifecycle_dated). -#}

with

people as (
    select
        person_id,
        email,
        email_domain,
        first_name,
        last_name,
        title,
        phone_e164,
        country_code,
        company_name,
        account_id,
        account_match_rule,
        hubspot_contact_id,
        salesforce_lead_id,
        salesforce_contact_id,
        salesforce_account_id,
        hubspot_contact_count,
        salesforce_lead_count,
        salesforce_contact_count,
        deleted_record_count,
        merged_record_count,
        record_count,
        is_deleted,
        first_seen_at,
        last_updated_at
    from {{ ref('int_people_resolved') }}
),

lifecycles as (
    select
        person_id,
        lifecycle_stage,
        became_lead_at,
        became_mql_at,
        became_sql_at,
        became_opportunity_at,
        became_customer_at,
        has_mql_signal,
        has_sql_signal
    from {{ ref('int_people_lifecycle_dated') }}
),

joined as (
    select
        people.person_id,
        people.email,
        people.email_domain,
        people.first_name,
        people.last_name,
        people.title,
        people.phone_e164,
        people.country_code,
        people.company_name,
        people.account_id,
        people.account_match_rule,
        people.hubspot_contact_id,
        people.salesforce_lead_id,
        people.salesforce_contact_id,
        people.salesforce_account_id,
        people.hubspot_contact_count,
        people.salesforce_lead_count,
        people.salesforce_contact_count,
        people.deleted_record_count,
        people.merged_record_count,
        people.record_count,
        people.is_deleted,
        lifecycles.lifecycle_stage,
        lifecycles.became_lead_at,
        lifecycles.became_mql_at,
        lifecycles.became_sql_at,
        lifecycles.became_opportunity_at,
        lifecycles.became_customer_at,
        lifecycles.has_mql_signal,
        lifecycles.has_sql_signal,
        people.first_seen_at,
        people.last_updated_at
    from people
    left join lifecycles
        on people.person_id = lifecycles.person_id
),

final as (
    select
        cast(person_id as {{ dbt.type_string() }}) as person_id,
        cast(email as {{ dbt.type_string() }}) as email,
        cast(email_domain as {{ dbt.type_string() }}) as email_domain,
        cast(first_name as {{ dbt.type_string() }}) as first_name,
        cast(last_name as {{ dbt.type_string() }}) as last_name,
        cast(title as {{ dbt.type_string() }}) as title,
        cast(phone_e164 as {{ dbt.type_string() }}) as phone_e164,
        cast(country_code as {{ dbt.type_string() }}) as country_code,
        cast(company_name as {{ dbt.type_string() }}) as company_name,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(account_match_rule as {{ dbt.type_string() }}) as account_match_rule,
        cast(hubspot_contact_id as {{ dbt.type_string() }}) as hubspot_contact_id,
        cast(salesforce_lead_id as {{ dbt.type_string() }}) as salesforce_lead_id,
        cast(salesforce_contact_id as {{ dbt.type_string() }}) as salesforce_contact_id,
        cast(salesforce_account_id as {{ dbt.type_string() }}) as salesforce_account_id,
        cast(hubspot_contact_count as {{ dbt.type_bigint() }}) as hubspot_contact_count,
        cast(salesforce_lead_count as {{ dbt.type_bigint() }}) as salesforce_lead_count,
        cast(salesforce_contact_count as {{ dbt.type_bigint() }}) as salesforce_contact_count,
        cast(deleted_record_count as {{ dbt.type_bigint() }}) as deleted_record_count,
        cast(merged_record_count as {{ dbt.type_bigint() }}) as merged_record_count,
        cast(record_count as {{ dbt.type_bigint() }}) as record_count,
        cast(is_deleted as {{ dbt.type_boolean() }}) as is_deleted,
        cast(lifecycle_stage as {{ dbt.type_string() }}) as lifecycle_stage,
        cast(became_lead_at as {{ dbt.type_timestamp() }}) as became_lead_at,
        cast(became_mql_at as {{ dbt.type_timestamp() }}) as became_mql_at,
        cast(became_sql_at as {{ dbt.type_timestamp() }}) as became_sql_at,
        cast(became_opportunity_at as {{ dbt.type_timestamp() }}) as became_opportunity_at,
        cast(became_customer_at as {{ dbt.type_timestamp() }}) as became_customer_at,
        cast(coalesce(has_mql_signal, false) as {{ dbt.type_boolean() }}) as has_mql_signal,
        cast(coalesce(has_sql_signal, false) as {{ dbt.type_boolean() }}) as has_sql_signal,
        cast(first_seen_at as {{ dbt.type_timestamp() }}) as first_seen_at,
        cast(last_updated_at as {{ dbt.type_timestamp() }}) as last_updated_at
    from joined
)

select * from final
