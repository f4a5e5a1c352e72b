{{ config(enabled=var('salesforce_enabled')) }}

with

sync_people as (
    select * from {{ ref('sync_people') }}
),

salesforce_leads as (
    select * from {{ ref('stg_salesforce__leads') }}
),

final as (
    select
        sync_people.salesforce_lead_id,
        sync_people.person_id,
        sync_people.lead_score,
        sync_people.lead_grade,
        sync_people.priority_tier,
        sync_people.predictive_probability,
        sync_people.top_reasons,
        sync_people.first_touch_channel,
        sync_people.data_driven_channel,
        cast(sync_people.became_mql_at as date) as became_mql_date,
        cast(sync_people.became_sql_at as date) as became_sql_date
    from sync_people
    inner join salesforce_leads
        on sync_people.salesforce_lead_id = salesforce_leads.lead_id
    -- Salesforce refuses updates to converted leads: their contact carries the scores.
    where not salesforce_leads.is_converted and not salesforce_leads.is_deleted
)

select * from final
