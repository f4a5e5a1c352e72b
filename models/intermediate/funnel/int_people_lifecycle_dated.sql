{#- One row per resolved person: when they became a lead, a marketing-qualified lead (MQL), a sales-qualified
    lead (SQL), an opportunity and a customer, taken across both CRMs from the person's records that are not
    deleted. Each stage is the earliest of its own signals and of every later stage's (reaching a stage
    means having passed the earlier ones no later), so the dates never run backwards:
    - lead: the creation of any of the person's HubSpot contacts, Salesforce leads or contacts, and HubSpot's
      lead date;
    - MQL: HubSpot's MQL date; the creation of a Salesforce lead, which the marketing-automation sync creates
      at MQL, except leads from the sources in var('pre_mql_lead_sources') (created at an event or a
      syndicated download, before any qualification);
    - SQL: HubSpot's SQL date; the conversion of the person's Salesforce lead (the converted contact's
      creation when it was created that day, else the conversion date);
    - opportunity: HubSpot's opportunity date; the creation of an opportunity the person is the primary
      contact of, or their lead was converted into (other contact roles do not make a colleague an
      opportunity);
    - customer: HubSpot's customer date; the close of such an opportunity when won.
    Only the CRMs switched on give signals (vars `hubspot_enabled`, `salesforce_enabled`); with HubSpot alone,
    the opportunities are HubSpot deals and their primary contacts (int_opportunities_enriched). -#}

with

person_records as (
    select
        source_system,
        source_object,
        source_record_id,
        person_id
    from {{ ref('int_person_records_mapped') }}
    where not is_deleted
),

people as (
    select person_id
    from {{ ref('int_people_resolved') }}
),

{%- if var('hubspot_enabled') %}

    hubspot_contacts as (
        select
            contact_id,
            created_at,
            became_lead_at,
            became_mql_at,
            became_sql_at,
            became_opportunity_at,
            became_customer_at
        from {{ ref('stg_hubspot__contacts') }}
        where not is_deleted
    ),

{%- endif %}

{%- if var('salesforce_enabled') %}

    salesforce_leads as (
        select
            lead_id,
            lead_source,
            is_converted,
            converted_date,
            converted_contact_id,
            created_at
        from {{ ref('stg_salesforce__leads') }}
        where not is_deleted
    ),

{%- endif %}

{%- if var('salesforce_enabled') %}

    salesforce_contacts as (
        select
            contact_id,
            created_at
        from {{ ref('stg_salesforce__contacts') }}
        where not is_deleted
    ),

{%- endif %}

opportunity_people as (
    select
        opportunity_id,
        person_id
    from {{ ref('int_opportunity_people_bridged') }}
    where is_primary_contact or is_converted_lead
),

opportunities as (
    select
        opportunity_id,
        created_at,
        closed_at,
        is_won
    from {{ ref('int_opportunities_enriched') }}
),

-- Every dated signal as (person, stage reached, when); stages ranked 1 lead ... 5 customer.
{%- if var('hubspot_enabled') %}

    hubspot_signals as (
        select
            person_records.person_id,
            hubspot_contacts.created_at,
            hubspot_contacts.became_lead_at,
            hubspot_contacts.became_mql_at,
            hubspot_contacts.became_sql_at,
            hubspot_contacts.became_opportunity_at,
            hubspot_contacts.became_customer_at
        from hubspot_contacts
        inner join person_records
            on
                hubspot_contacts.contact_id = person_records.source_record_id
                and person_records.source_system = 'hubspot'
                and person_records.source_object = 'contacts'
    ),

{%- endif %}

{%- if var('salesforce_enabled') %}

    lead_signals as (
        select
            person_records.person_id,
            salesforce_leads.created_at,
            coalesce(salesforce_leads.lead_source, '') not in (
                {%- for lead_source in var('pre_mql_lead_sources') %}
                    '{{ lead_source }}'{{ ',' if not loop.last }}
                {%- endfor %}
            ) as is_created_at_mql,
            case
                when salesforce_leads.is_converted
                    then coalesce(
                        case
                            when cast(converted_contacts.created_at as date) = salesforce_leads.converted_date
                                then converted_contacts.created_at
                        end,
                        cast(salesforce_leads.converted_date as {{ dbt.type_timestamp() }})
                    )
            end as converted_at
        from salesforce_leads
        inner join person_records
            on
                salesforce_leads.lead_id = person_records.source_record_id
                and person_records.source_system = 'salesforce'
                and person_records.source_object = 'Lead'
        left join salesforce_contacts as converted_contacts
            on salesforce_leads.converted_contact_id = converted_contacts.contact_id
    ),

{%- endif %}

{%- if var('salesforce_enabled') %}

    contact_signals as (
        select
            person_records.person_id,
            salesforce_contacts.created_at
        from salesforce_contacts
        inner join person_records
            on
                salesforce_contacts.contact_id = person_records.source_record_id
                and person_records.source_system = 'salesforce'
                and person_records.source_object = 'Contact'
    ),

{%- endif %}

opportunity_signals as (
    select
        opportunity_people.person_id,
        opportunities.created_at,
        case when opportunities.is_won then opportunities.closed_at end as won_at
    from opportunity_people
    inner join opportunities
        on opportunity_people.opportunity_id = opportunities.opportunity_id
),

signals as (
    select
        person_id,
        4 as stage_rank,
        created_at as signal_at
    from opportunity_signals

    union all

    select
        person_id,
        5 as stage_rank,
        won_at as signal_at
    from opportunity_signals
    {%- if var('hubspot_enabled') %}

        union all

        select
            person_id,
            1 as stage_rank,
            created_at as signal_at
        from hubspot_signals

        union all

        select
            person_id,
            1 as stage_rank,
            became_lead_at as signal_at
        from hubspot_signals

        union all

        select
            person_id,
            2 as stage_rank,
            became_mql_at as signal_at
        from hubspot_signals

        union all

        select
            person_id,
            3 as stage_rank,
            became_sql_at as signal_at
        from hubspot_signals

        union all

        select
            person_id,
            4 as stage_rank,
            became_opportunity_at as signal_at
        from hubspot_signals

        union all

        select
            person_id,
            5 as stage_rank,
            became_customer_at as signal_at
        from hubspot_signals
    {%- endif %}
    {%- if var('salesforce_enabled') %}

        union all

        select
            person_id,
            1 as stage_rank,
            created_at as signal_at
        from lead_signals

        union all

        select
            person_id,
            2 as stage_rank,
            created_at as signal_at
        from lead_signals
        where is_created_at_mql

        union all

        select
            person_id,
            3 as stage_rank,
            converted_at as signal_at
        from lead_signals

        union all

        select
            person_id,
            1 as stage_rank,
            created_at as signal_at
        from contact_signals
    {%- endif %}
),

-- A stage is reached at its earliest signal or any later stage's (min over ranks at or above it).
stages as (
    select
        person_id,
        min(case when stage_rank >= 1 then signal_at end) as became_lead_at,
        min(case when stage_rank >= 2 then signal_at end) as became_mql_at,
        min(case when stage_rank >= 3 then signal_at end) as became_sql_at,
        min(case when stage_rank >= 4 then signal_at end) as became_opportunity_at,
        min(case when stage_rank >= 5 then signal_at end) as became_customer_at,
        max(case when stage_rank = 2 and signal_at is not null then 1 else 0 end) = 1 as has_mql_signal,
        max(case when stage_rank = 3 and signal_at is not null then 1 else 0 end) = 1 as has_sql_signal
    from signals
    group by person_id
),

final as (
    select
        people.person_id,
        stages.became_lead_at,
        stages.became_mql_at,
        stages.became_sql_at,
        stages.became_opportunity_at,
        stages.became_customer_at,
        case
            when stages.became_customer_at is not null then 'customer'
            when stages.became_opportunity_at is not null then 'opportunity'
            when stages.became_sql_at is not null then 'sql'
            when stages.became_mql_at is not null then 'mql'
            when stages.became_lead_at is not null then 'lead'
        end as lifecycle_stage,
        -- Whether MQL and SQL were recorded as such, rather than implied by a later stage.
        coalesce(stages.has_mql_signal, false) as has_mql_signal,
        coalesce(stages.has_sql_signal, false) as has_sql_signal
    from people
    left join stages
        on people.person_id = stages.person_id
)

select * from final
