-- The segment "tier-1 open leads that nobody in sales has contacted (a Salesforce task or event) in the
-- last `sync_uncontacted_days` days before `as_of_date`": one row per person in it.
{{ config(enabled=var('salesforce_enabled')) }}

with

sync_people as (
    select * from {{ ref('sync_people') }}
),

lead_scores as (
    select * from {{ ref('fct_lead_scores') }}
),

person_records as (
    select * from {{ ref('int_person_records_mapped') }}
),

tasks as (
    select * from {{ ref('stg_salesforce__tasks') }}
),

events as (
    select * from {{ ref('stg_salesforce__events') }}
),

activities as (
    select
        coalesce(tasks.lead_id, tasks.contact_id) as record_id,
        tasks.activity_date
    from tasks
    where not tasks.is_deleted and tasks.activity_date is not null
    union all
    select
        coalesce(events.lead_id, events.contact_id) as record_id,
        events.activity_date
    from events
    where not events.is_deleted and events.activity_date is not null
),

recent_contacts as (
    select distinct person_records.person_id
    from activities
    inner join person_records
        on
            activities.record_id = person_records.source_record_id
            and person_records.source_system = 'salesforce'
    where
        activities.activity_date > {{ dbt.dateadd(
            'day', '-' ~ var('sync_uncontacted_days'), "cast('" ~ var('as_of_date') ~ "' as date)"
        ) }}
        and activities.activity_date <= cast('{{ var("as_of_date") }}' as date)
),

final as (
    select
        sync_people.person_id,
        sync_people.hubspot_contact_id,
        coalesce(sync_people.salesforce_contact_id, sync_people.salesforce_lead_id) as salesforce_record_id,
        case
            when sync_people.salesforce_contact_id is not null then 'Contact'
            when sync_people.salesforce_lead_id is not null then 'Lead'
        end as salesforce_record_type,
        sync_people.lead_score,
        cast('{{ var("as_of_date") }}' as date) as as_of_date
    from sync_people
    inner join lead_scores
        on sync_people.person_id = lead_scores.person_id
    left join recent_contacts
        on sync_people.person_id = recent_contacts.person_id
    where
        sync_people.priority_tier = 1
        and lead_scores.is_open_lead
        and recent_contacts.person_id is null
)

select * from final
