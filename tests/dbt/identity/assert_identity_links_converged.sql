-- The person crosswalk closes its rules transitively: records sharing a valid e-mail, a merged-away contact and
-- its survivor, and a converted lead and its contact always have the same person_id when both are mapped, and
-- one end is never mapped without the other. Fails with one row per broken link (more label-propagation
-- rounds are needed in int_person_records_mapped when this fails on a link that should hold).

with

records as (
    select
        person_record_id,
        source_system,
        source_object,
        source_record_id,
        email,
        is_valid_email,
        is_test_record,
        merged_into_record_id,
        converted_contact_id
    from {{ ref('int_person_records_unioned') }}
),

crosswalk as (
    select
        person_record_id,
        person_id
    from {{ ref('int_person_records_mapped') }}
),

email_links as (
    select
        'email' as link_type,
        records.person_record_id,
        min(records.person_record_id) over (partition by records.email) as linked_record_id
    from records
    where
        records.is_valid_email
        and not records.is_test_record
),

merge_links as (
    select
        'hubspot_merge' as link_type,
        merged_records.person_record_id,
        survivor_records.person_record_id as linked_record_id
    from records as merged_records
    inner join records as survivor_records
        on
            merged_records.merged_into_record_id = survivor_records.source_record_id
            and survivor_records.source_object = 'contacts'
    where not survivor_records.is_test_record
),

conversion_links as (
    select
        'lead_conversion' as link_type,
        lead_records.person_record_id,
        contact_records.person_record_id as linked_record_id
    from records as lead_records
    inner join records as contact_records
        on
            lead_records.converted_contact_id = contact_records.source_record_id
            and contact_records.source_object = 'Contact'
    where
        lead_records.source_object = 'Lead'
        and not lead_records.is_test_record
        and not contact_records.is_test_record
),

links as (
    select
        link_type,
        person_record_id,
        linked_record_id
    from email_links

    union all

    select
        link_type,
        person_record_id,
        linked_record_id
    from merge_links

    union all

    select
        link_type,
        person_record_id,
        linked_record_id
    from conversion_links
),

checked as (
    select
        links.link_type,
        links.person_record_id,
        links.linked_record_id,
        record_side.person_id,
        linked_side.person_id as linked_person_id
    from links
    left join crosswalk as record_side
        on links.person_record_id = record_side.person_record_id
    left join crosswalk as linked_side
        on links.linked_record_id = linked_side.person_record_id
)

select * from checked
where person_id is distinct from linked_person_id
