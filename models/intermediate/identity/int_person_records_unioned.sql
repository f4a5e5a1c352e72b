{#- Every CRM person record in one shape: HubSpot contacts (active and archived), the HubSpot contacts merged
    away into a survivor (no longer in raw: only their id and survivor are known), Salesforce leads and
    Salesforce contacts, of the CRMs switched on (vars `hubspot_enabled`, `salesforce_enabled`). Nothing is
    filtered: test, invalid, deleted and merged records are all here, flagged. -#}

with

{%- if var('hubspot_enabled') %}

    hubspot_contacts as (
        select
            contact_id,
            email,
            is_valid_email,
            is_test_record,
            email_domain,
            first_name,
            last_name,
            job_title,
            phone_e164,
            country_code,
            company_name,
            primary_company_id,
            created_at,
            updated_at,
            is_deleted
        from {{ ref('stg_hubspot__contacts') }}
    ),

{%- endif %}

{%- if var('hubspot_enabled') %}

    hubspot_contact_merges as (
        select
            contact_id,
            merged_contact_id
        from {{ ref('stg_hubspot__contact_merges') }}
    ),

{%- endif %}

{%- if var('salesforce_enabled') %}

    salesforce_leads as (
        select
            lead_id,
            email,
            is_valid_email,
            is_test_record,
            email_domain,
            first_name,
            last_name,
            title,
            phone_e164,
            country_code,
            company_name,
            converted_account_id,
            converted_contact_id,
            created_at,
            updated_at,
            is_deleted
        from {{ ref('stg_salesforce__leads') }}
    ),

{%- endif %}

{%- if var('salesforce_enabled') %}

    salesforce_contacts as (
        select
            contact_id,
            account_id,
            email,
            is_valid_email,
            is_test_record,
            email_domain,
            first_name,
            last_name,
            title,
            phone_e164,
            country_code,
            created_at,
            updated_at,
            is_deleted
        from {{ ref('stg_salesforce__contacts') }}
    ),

{%- endif %}

{%- if var('salesforce_enabled') %}

    salesforce_accounts as (
        select
            account_id,
            account_name
        from {{ ref('stg_salesforce__accounts') }}
    ),

{%- endif %}

{%- if var('hubspot_enabled') %}

    hubspot_contact_records as (
        select
            'hubspot' as source_system,
            'contacts' as source_object,
            contact_id as source_record_id,
            email,
            is_valid_email,
            is_test_record,
            is_deleted,
            false as is_merged,
            cast(null as {{ dbt.type_string() }}) as merged_into_record_id,
            cast(null as {{ dbt.type_string() }}) as converted_contact_id,
            first_name,
            last_name,
            job_title as title,
            phone_e164,
            country_code,
            company_name,
            email_domain,
            case
                when primary_company_id is not null
                    then {{ dbt.concat(["'hubspot:companies:'", "primary_company_id"]) }}
            end as account_record_id,
            created_at,
            updated_at
        from hubspot_contacts
    ),

{%- endif %}

{%- if var('hubspot_enabled') %}

    merged_hubspot_contact_records as (
    -- The loader hard-deletes a contact merged into another (HubSpot no longer returns it); the survivor's
    -- `hs_merged_object_ids` still names it, so it stays a record pointing at its survivor.
        select
            'hubspot' as source_system,
            'contacts' as source_object,
            hubspot_contact_merges.merged_contact_id as source_record_id,
            cast(null as {{ dbt.type_string() }}) as email,
            cast(null as {{ dbt.type_boolean() }}) as is_valid_email,
            false as is_test_record,
            false as is_deleted,
            true as is_merged,
            hubspot_contact_merges.contact_id as merged_into_record_id,
            cast(null as {{ dbt.type_string() }}) as converted_contact_id,
            cast(null as {{ dbt.type_string() }}) as first_name,
            cast(null as {{ dbt.type_string() }}) as last_name,
            cast(null as {{ dbt.type_string() }}) as title,
            cast(null as {{ dbt.type_string() }}) as phone_e164,
            cast(null as {{ dbt.type_string() }}) as country_code,
            cast(null as {{ dbt.type_string() }}) as company_name,
            cast(null as {{ dbt.type_string() }}) as email_domain,
            cast(null as {{ dbt.type_string() }}) as account_record_id,
            cast(null as {{ dbt.type_timestamp() }}) as created_at,
            cast(null as {{ dbt.type_timestamp() }}) as updated_at
        from hubspot_contact_merges
        left join hubspot_contacts
            on hubspot_contact_merges.merged_contact_id = hubspot_contacts.contact_id
        where hubspot_contacts.contact_id is null
    ),

{%- endif %}

{%- if var('salesforce_enabled') %}

    salesforce_lead_records as (
        select
            'salesforce' as source_system,
            'Lead' as source_object,
            lead_id as source_record_id,
            email,
            is_valid_email,
            is_test_record,
            is_deleted,
            false as is_merged,
            cast(null as {{ dbt.type_string() }}) as merged_into_record_id,
            converted_contact_id,
            first_name,
            last_name,
            title,
            phone_e164,
            country_code,
            company_name,
            email_domain,
            case
                when converted_account_id is not null
                    then {{ dbt.concat(["'salesforce:Account:'", "converted_account_id"]) }}
            end as account_record_id,
            created_at,
            updated_at
        from salesforce_leads
    ),

{%- endif %}

{%- if var('salesforce_enabled') %}

    salesforce_contact_records as (
        select
            'salesforce' as source_system,
            'Contact' as source_object,
            salesforce_contacts.contact_id as source_record_id,
            salesforce_contacts.email,
            salesforce_contacts.is_valid_email,
            salesforce_contacts.is_test_record,
            salesforce_contacts.is_deleted,
            false as is_merged,
            cast(null as {{ dbt.type_string() }}) as merged_into_record_id,
            cast(null as {{ dbt.type_string() }}) as converted_contact_id,
            salesforce_contacts.first_name,
            salesforce_contacts.last_name,
            salesforce_contacts.title,
            salesforce_contacts.phone_e164,
            salesforce_contacts.country_code,
            salesforce_accounts.account_name as company_name,
            salesforce_contacts.email_domain,
            case
                when salesforce_contacts.account_id is not null
                    then {{ dbt.concat(["'salesforce:Account:'", "salesforce_contacts.account_id"]) }}
            end as account_record_id,
            salesforce_contacts.created_at,
            salesforce_contacts.updated_at
        from salesforce_contacts
        left join salesforce_accounts
            on salesforce_contacts.account_id = salesforce_accounts.account_id
    ),

{%- endif %}

unioned as (
    {%- if var('hubspot_enabled') %}
        select * from hubspot_contact_records
        union all
        select * from merged_hubspot_contact_records
    {%- endif %}
    {%- if var('hubspot_enabled') and var('salesforce_enabled') %}
        union all
    {%- endif %}
    {%- if var('salesforce_enabled') %}
        select * from salesforce_lead_records
        union all
        select * from salesforce_contact_records
    {%- endif %}
),

final as (
    select
        {{ dbt.concat(["source_system", "':'", "source_object", "':'", "source_record_id"]) }} as person_record_id,
        source_system,
        source_object,
        source_record_id,
        email,
        coalesce(is_valid_email, false) as is_valid_email,
        coalesce(is_test_record, false) as is_test_record,
        coalesce(is_deleted, false) as is_deleted,
        is_merged,
        merged_into_record_id,
        converted_contact_id,
        first_name,
        last_name,
        title,
        phone_e164,
        country_code,
        company_name,
        email_domain,
        account_record_id,
        created_at,
        updated_at
    from unioned
)

select * from final
