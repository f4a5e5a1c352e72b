-- The bridge holds exactly the distinct (opportunity, person) pairs that Salesforce links: live contact
-- roles of live opportunities whose contact maps to a person, and leads converted into a live opportunity
-- whose lead maps to a person. Fails with every pair missing from, or extra in, the bridge.

-- Runs only when the sources it reads are switched on (vars `<source>_enabled`).
{{ config(enabled=var('salesforce_enabled')) }}

with

person_records as (
    select
        source_object,
        source_record_id,
        person_id
    from {{ ref('int_person_records_mapped') }}
    where
        source_system = 'salesforce'
        and not is_deleted
),

live_opportunities as (
    select opportunity_id
    from {{ ref('stg_salesforce__opportunities') }}
    where not is_deleted
),

role_pairs as (
    select
        contact_roles.opportunity_id,
        person_records.person_id
    from {{ ref('stg_salesforce__opportunity_contact_roles') }} as contact_roles
    inner join person_records
        on
            contact_roles.contact_id = person_records.source_record_id
            and person_records.source_object = 'Contact'
    where not contact_roles.is_deleted
),

lead_pairs as (
    select
        leads.converted_opportunity_id as opportunity_id,
        person_records.person_id
    from {{ ref('stg_salesforce__leads') }} as leads
    inner join person_records
        on
            leads.lead_id = person_records.source_record_id
            and person_records.source_object = 'Lead'
    where
        leads.is_converted
        and leads.converted_opportunity_id is not null
),

expected as (
    select distinct
        all_pairs.opportunity_id,
        all_pairs.person_id
    from (
        select
            role_pairs.opportunity_id,
            role_pairs.person_id
        from role_pairs
        union all
        select
            lead_pairs.opportunity_id,
            lead_pairs.person_id
        from lead_pairs
    ) as all_pairs
    where all_pairs.opportunity_id in (select live_opportunities.opportunity_id from live_opportunities)
),

bridge as (
    select
        opportunity_id,
        person_id
    from {{ ref('int_opportunity_people_bridged') }}
)

select
    coalesce(expected.opportunity_id, bridge.opportunity_id) as opportunity_id,
    coalesce(expected.person_id, bridge.person_id) as person_id,
    expected.person_id is not null as is_expected,
    bridge.person_id is not null as is_in_bridge
from expected
full outer join bridge
    on
        expected.opportunity_id = bridge.opportunity_id
        and expected.person_id = bridge.person_id
where
    expected.person_id is null
    or bridge.person_id is null
