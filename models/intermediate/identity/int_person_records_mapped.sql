{#- The person crosswalk: one row per usable CRM person record -> person_id.

    Records are the same person when (1) their normalised valid e-mails are equal (across HubSpot contacts,
    Salesforce leads and contacts; duplicates differing in case or spaces fold together), (2) one is a HubSpot
    contact merged into the other, or (3) one is a Salesforce lead converted into the other, whatever their
    e-mails say. The relation is closed transitively by label propagation: every record starts with its valid
    e-mail as label, and each round takes the smallest label over its links, then over its e-mail group. A
    component's label is its smallest e-mail; `tests/dbt/identity/` checks that the rounds below converged.

    Usable: not a test record, and its component holds at least one valid e-mail. A record with an invalid or
    missing e-mail is still usable when a merge or a lead conversion ties it to such a component; otherwise it
    is left out (it is in int_records_quarantined). Deleted (archived) and merged-away records stay in, flagged,
    so they are countable; downstream models drop them with `is_deleted` / `is_merged`.

    person_id: a hash of the person's canonical e-mail, the valid e-mail of its earliest created record. It
    depends only on the data, never on the day of the build. -#}

{%- set link_rounds = 4 -%}

with

person_records as (
    select
        person_record_id,
        source_system,
        source_object,
        source_record_id,
        email,
        is_valid_email,
        is_test_record,
        is_deleted,
        is_merged,
        merged_into_record_id,
        converted_contact_id,
        created_at,
        updated_at
    from {{ ref('int_person_records_unioned') }}
),

candidate_records as (
    select
        person_record_id,
        source_system,
        source_object,
        source_record_id,
        email,
        is_valid_email,
        is_deleted,
        is_merged,
        merged_into_record_id,
        converted_contact_id,
        created_at,
        updated_at
    from person_records
    -- Test records belong to nobody.
    where not is_test_record
),

hubspot_merge_links as (
    select
        merged_records.person_record_id,
        survivor_records.person_record_id as linked_record_id
    from candidate_records as merged_records
    inner join candidate_records as survivor_records
        on
            merged_records.merged_into_record_id = survivor_records.source_record_id
            and survivor_records.source_system = 'hubspot'
            and survivor_records.source_object = 'contacts'
    where merged_records.is_merged
),

lead_conversion_links as (
    select
        lead_records.person_record_id,
        contact_records.person_record_id as linked_record_id
    from candidate_records as lead_records
    inner join candidate_records as contact_records
        on
            lead_records.converted_contact_id = contact_records.source_record_id
            and contact_records.source_system = 'salesforce'
            and contact_records.source_object = 'Contact'
    where
        lead_records.source_system = 'salesforce'
        and lead_records.source_object = 'Lead'
),

record_links as (
    select
        person_record_id,
        linked_record_id
    from hubspot_merge_links

    union all

    select
        person_record_id,
        linked_record_id
    from lead_conversion_links
),

both_way_links as (
    select
        person_record_id,
        linked_record_id
    from record_links

    union all

    select
        linked_record_id as person_record_id,
        person_record_id as linked_record_id
    from record_links
),

-- Each record is linked to itself too, so one join per round gives its own label and its links' labels.
links_with_self as (
    select
        person_record_id,
        linked_record_id
    from both_way_links

    union all

    select
        person_record_id,
        person_record_id as linked_record_id
    from candidate_records
),

record_labels_0 as (
    select
        person_record_id,
        case when is_valid_email then email end as identity_label
    from candidate_records
),

{#- Each round reads the previous round once (a join, then a window over the e-mail group rather than a
    second join to a grouped copy): Spark inlines every reference to a CTE, so two references per round
    would double the plan at each round (Spark ran out of memory planning it). -#}
{% for round in range(1, link_rounds + 1) %}
    linked_labels_{{ round }} as (
        select
            links_with_self.person_record_id,
            min(record_labels_{{ round - 1 }}.identity_label) as identity_label
        from links_with_self
        inner join record_labels_{{ round - 1 }}
            on links_with_self.linked_record_id = record_labels_{{ round - 1 }}.person_record_id
        group by links_with_self.person_record_id
    ),

    -- Then the smallest label of the record's e-mail group (records sharing a valid e-mail).
    record_labels_{{ round }} as (
        select
            linked_labels_{{ round }}.person_record_id,
            case
                when candidate_records.is_valid_email
                    then min(linked_labels_{{ round }}.identity_label) over (
                        partition by candidate_records.is_valid_email, candidate_records.email
                    )
                else linked_labels_{{ round }}.identity_label
            end as identity_label
        from linked_labels_{{ round }}
        inner join candidate_records
            on linked_labels_{{ round }}.person_record_id = candidate_records.person_record_id
    ),

{% endfor %}
resolved_records as (
    select
        candidate_records.person_record_id,
        candidate_records.source_system,
        candidate_records.source_object,
        candidate_records.source_record_id,
        candidate_records.email,
        candidate_records.is_valid_email,
        candidate_records.is_deleted,
        candidate_records.is_merged,
        candidate_records.created_at,
        candidate_records.updated_at,
        record_labels_{{ link_rounds }}.identity_label
    from candidate_records
    inner join record_labels_{{ link_rounds }}
        on candidate_records.person_record_id = record_labels_{{ link_rounds }}.person_record_id
    where record_labels_{{ link_rounds }}.identity_label is not null
),

ranked_email_records as (
    select
        identity_label,
        email,
        row_number() over (
            partition by identity_label
            order by
                case when created_at is null then 1 else 0 end,
                created_at,
                person_record_id
        ) as creation_rank
    from resolved_records
    where is_valid_email
),

person_keys as (
    select
        identity_label,
        email as canonical_email,
        {{ dbt.hash('email') }} as person_id
    from ranked_email_records
    where creation_rank = 1
),

final as (
    select
        resolved_records.person_record_id,
        person_keys.person_id,
        resolved_records.source_system,
        resolved_records.source_object,
        resolved_records.source_record_id,
        resolved_records.email,
        resolved_records.is_valid_email,
        person_keys.canonical_email,
        resolved_records.is_deleted,
        resolved_records.is_merged,
        resolved_records.created_at,
        resolved_records.updated_at,
        case
            when resolved_records.is_merged then 'hubspot_merge'
            when
                resolved_records.is_valid_email
                and resolved_records.email = person_keys.canonical_email
                then 'email'
            else 'lead_conversion'
        end as match_rule
    from resolved_records
    inner join person_keys
        on resolved_records.identity_label = person_keys.identity_label
)

select * from final
