{{ config(enabled=var('hubspot_enabled')) }}

with

sync_people as (
    select * from {{ ref('sync_people') }}
),

hubspot_contacts as (
    select * from {{ ref('stg_hubspot__contacts') }}
),

final as (
    select
        sync_people.hubspot_contact_id,
        sync_people.person_id,
        sync_people.lead_score,
        sync_people.lead_grade,
        sync_people.priority_tier,
        sync_people.predictive_probability,
        sync_people.top_reasons,
        sync_people.first_touch_channel,
        sync_people.data_driven_channel,
        sync_people.became_mql_at,
        sync_people.became_sql_at,
        hubspot_contacts.became_mql_at as crm_became_mql_at,
        hubspot_contacts.became_sql_at as crm_became_sql_at
    from sync_people
    inner join hubspot_contacts
        on sync_people.hubspot_contact_id = hubspot_contacts.contact_id
)

select * from final
