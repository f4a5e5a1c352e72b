-- Every CRM person record in staging (HubSpot contacts, the contacts merged away into them, Salesforce leads
-- and contacts) is either in the person crosswalk or excluded in the quarantine with a reason, never both and
-- never neither. Fails with one row per record that breaks this.

-- Runs only when the sources it reads are switched on (vars `<source>_enabled`).
{{ config(enabled=var('hubspot_enabled') and var('salesforce_enabled')) }}

with

staged_records as (
    select
        'hubspot' as source_system,
        'contacts' as source_object,
        contact_id as source_record_id
    from {{ ref('stg_hubspot__contacts') }}

    union distinct

    select
        'hubspot' as source_system,
        'contacts' as source_object,
        merged_contact_id as source_record_id
    from {{ ref('stg_hubspot__contact_merges') }}

    union all

    select
        'salesforce' as source_system,
        'Lead' as source_object,
        lead_id as source_record_id
    from {{ ref('stg_salesforce__leads') }}

    union all

    select
        'salesforce' as source_system,
        'Contact' as source_object,
        contact_id as source_record_id
    from {{ ref('stg_salesforce__contacts') }}
),

mapped_records as (
    select
        source_system,
        source_object,
        source_record_id
    from {{ ref('int_person_records_mapped') }}
),

excluded_records as (
    select distinct
        source_system,
        source_table as source_object,
        record_id as source_record_id
    from {{ ref('int_records_quarantined') }}
    where is_record_excluded
),

checked as (
    select
        staged_records.source_system,
        staged_records.source_object,
        staged_records.source_record_id,
        mapped_records.source_record_id is not null as is_mapped,
        excluded_records.source_record_id is not null as is_excluded
    from staged_records
    left join mapped_records
        on
            staged_records.source_system = mapped_records.source_system
            and staged_records.source_object = mapped_records.source_object
            and staged_records.source_record_id = mapped_records.source_record_id
    left join excluded_records
        on
            staged_records.source_system = excluded_records.source_system
            and staged_records.source_object = excluded_records.source_object
            and staged_records.source_record_id = excluded_records.source_record_id
)

select * from checked
where is_mapped = is_excluded
