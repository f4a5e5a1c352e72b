-- No join fans out and nothing is dropped between the identity models:
-- the union has one row per staged person record (contacts + merged-away contacts not in raw + leads + contacts),
-- the crosswalk one row per union record that the quarantine does not exclude,
-- and the people's record counts add up to the crosswalk's rows, per kind.
-- Fails with one row per check whose two sides differ.

-- Runs only when the sources it reads are switched on (vars `<source>_enabled`).
{{ config(enabled=var('hubspot_enabled') and var('salesforce_enabled')) }}

with

hubspot_contacts as (
    select contact_id
    from {{ ref('stg_hubspot__contacts') }}
),

hubspot_contact_merges as (
    select merged_contact_id
    from {{ ref('stg_hubspot__contact_merges') }}
),

salesforce_leads as (
    select lead_id
    from {{ ref('stg_salesforce__leads') }}
),

salesforce_contacts as (
    select contact_id
    from {{ ref('stg_salesforce__contacts') }}
),

merged_contacts_not_in_raw as (
    select hubspot_contact_merges.merged_contact_id
    from hubspot_contact_merges
    left join hubspot_contacts
        on hubspot_contact_merges.merged_contact_id = hubspot_contacts.contact_id
    where hubspot_contacts.contact_id is null
),

staged_counts as (
    select
        (select count(*) from hubspot_contacts)
        + (select count(*) from merged_contacts_not_in_raw)
        + (select count(*) from salesforce_leads)
        + (select count(*) from salesforce_contacts) as staged_records
),

union_counts as (
    select
        count(*) as union_records,
        sum(case when is_merged then 1 else 0 end) as merged_records
    from {{ ref('int_person_records_unioned') }}
),

excluded_counts as (
    select count(*) as excluded_records
    from (
        select distinct
            source_system,
            source_table,
            record_id
        from {{ ref('int_records_quarantined') }}
        where
            is_record_excluded
            and source_table in ('contacts', 'Lead', 'Contact')
    ) as excluded
),

crosswalk_counts as (
    select
        count(*) as crosswalk_records,
        sum(case when is_deleted then 1 else 0 end) as deleted_records,
        sum(case when is_merged then 1 else 0 end) as merged_records,
        sum(case when source_object = 'contacts' and not is_deleted and not is_merged then 1 else 0 end)
            as active_hubspot_contacts,
        sum(case when source_object = 'Lead' and not is_deleted then 1 else 0 end) as active_leads,
        sum(case when source_object = 'Contact' and not is_deleted then 1 else 0 end) as active_contacts
    from {{ ref('int_person_records_mapped') }}
),

people_counts as (
    select
        sum(record_count) as records,
        sum(deleted_record_count) as deleted_records,
        sum(merged_record_count) as merged_records,
        sum(hubspot_contact_count) as active_hubspot_contacts,
        sum(salesforce_lead_count) as active_leads,
        sum(salesforce_contact_count) as active_contacts
    from {{ ref('int_people_resolved') }}
),

checks as (
    select
        'union rows = staged person records' as check_name,
        union_counts.union_records as actual,
        staged_counts.staged_records as expected
    from union_counts
    cross join staged_counts

    union all

    select
        'crosswalk rows = union rows - excluded records' as check_name,
        crosswalk_counts.crosswalk_records as actual,
        union_counts.union_records - excluded_counts.excluded_records as expected
    from crosswalk_counts
    cross join union_counts
    cross join excluded_counts

    union all

    select
        'people record_count = crosswalk rows' as check_name,
        people_counts.records as actual,
        crosswalk_counts.crosswalk_records as expected
    from people_counts
    cross join crosswalk_counts

    union all

    select
        'people deleted_record_count = deleted crosswalk rows' as check_name,
        people_counts.deleted_records as actual,
        crosswalk_counts.deleted_records as expected
    from people_counts
    cross join crosswalk_counts

    union all

    select
        'people merged_record_count = merged crosswalk rows' as check_name,
        people_counts.merged_records as actual,
        crosswalk_counts.merged_records as expected
    from people_counts
    cross join crosswalk_counts

    union all

    select
        'people hubspot_contact_count = active HubSpot contacts' as check_name,
        people_counts.active_hubspot_contacts as actual,
        crosswalk_counts.active_hubspot_contacts as expected
    from people_counts
    cross join crosswalk_counts

    union all

    select
        'people salesforce_lead_count = active leads' as check_name,
        people_counts.active_leads as actual,
        crosswalk_counts.active_leads as expected
    from people_counts
    cross join crosswalk_counts

    union all

    select
        'people salesforce_contact_count = active contacts' as check_name,
        people_counts.active_contacts as actual,
        crosswalk_counts.active_contacts as expected
    from people_counts
    cross join crosswalk_counts
)

select * from checks
where actual is distinct from expected
