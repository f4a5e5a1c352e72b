{#- One row per (opportunity, person) linked in Salesforce: through a contact role (of the person's
    contact) or as the lead converted into the opportunity. A person linked several ways (two roles, or a
    role and the converted lead) is one row, so joining opportunities to people through it never fans out
    beyond the people actually on the opportunity. With HubSpot as the only CRM, a deal's associated
    contacts are its contact roles (the first one primary) and no lead is converted. -#}

with

opportunities as (
    select opportunity_id
    {%- if var('salesforce_enabled') %}
        from {{ ref('stg_salesforce__opportunities') }}
    {%- else %}
        from {{ ref('int_deals_mapped') }}
    {%- endif %}
    where not is_deleted
),

{%- if var('salesforce_enabled') %}

    contact_roles as (
        select
            opportunity_contact_role_id,
            opportunity_id,
            contact_id,
            contact_role,
            is_primary,
            created_at
        from {{ ref('stg_salesforce__opportunity_contact_roles') }}
        where not is_deleted
    ),

    leads as (
        select
            lead_id,
            converted_opportunity_id,
            converted_date
        from {{ ref('stg_salesforce__leads') }}
        where
            is_converted
            and converted_opportunity_id is not null
    ),

{%- else %}

    deal_contact_associations as (
        select
            deal_id,
            contact_id,
            association_type_id
        from {{ ref('stg_hubspot__deal_contact_associations') }}
    ),

    deals as (
        select
            opportunity_id,
            created_at
        from {{ ref('int_deals_mapped') }}
    ),

    -- HubSpot alone: a deal's associated contacts are its contact roles, linked when the deal was created; the
    -- first (lowest association type, then contact id) is the primary one. HubSpot names no role.
    contact_roles as (
        select
            {{ dbt.concat(['deal_contact_associations.deal_id', "':'", 'deal_contact_associations.contact_id']) }}
                as opportunity_contact_role_id,
            deal_contact_associations.deal_id as opportunity_id,
            deal_contact_associations.contact_id,
            cast(null as {{ dbt.type_string() }}) as contact_role,
            row_number() over (
                partition by deal_contact_associations.deal_id
                order by
                    deal_contact_associations.association_type_id,
                    deal_contact_associations.contact_id
            ) = 1 as is_primary,
            deals.created_at
        from deal_contact_associations
        inner join deals
            on deal_contact_associations.deal_id = deals.opportunity_id
    ),

{%- endif %}

person_records as (
    select
        source_object,
        source_record_id,
        person_id
    from {{ ref('int_person_records_mapped') }}
    where
        source_system = '{{ "salesforce" if var("salesforce_enabled") else "hubspot" }}'
        and not is_deleted
),

role_links as (
    select
        contact_roles.opportunity_id,
        person_records.person_id,
        'contact_role' as link_source,
        contact_roles.is_primary,
        contact_roles.contact_role,
        contact_roles.created_at as linked_at
    from contact_roles
    inner join person_records
        on
            contact_roles.contact_id = person_records.source_record_id
            and person_records.source_object = '{{ "Contact" if var("salesforce_enabled") else "contacts" }}'
),

{%- if var('salesforce_enabled') %}

    lead_links as (
        select
            leads.converted_opportunity_id as opportunity_id,
            person_records.person_id,
            'converted_lead' as link_source,
            false as is_primary,
            cast(null as {{ dbt.type_string() }}) as contact_role,
            cast(leads.converted_date as {{ dbt.type_timestamp() }}) as linked_at
        from leads
        inner join person_records
            on
                leads.lead_id = person_records.source_record_id
                and person_records.source_object = 'Lead'
    ),

{%- endif %}

links as (
    select * from role_links
    {%- if var('salesforce_enabled') %}
        union all
        select * from lead_links
    {%- endif %}
),

-- The role shown for a person with several: the primary one, else the earliest.
ranked_roles as (
    select
        opportunity_id,
        person_id,
        contact_role,
        row_number() over (
            partition by opportunity_id, person_id
            order by
                case when is_primary then 0 else 1 end,
                linked_at,
                contact_role
        ) as role_rank
    from links
    where link_source = 'contact_role'
),

per_person as (
    select
        links.opportunity_id,
        links.person_id,
        max(case when links.link_source = 'contact_role' and links.is_primary then 1 else 0 end)
        = 1 as is_primary_contact,
        max(case when links.link_source = 'contact_role' then 1 else 0 end) = 1 as has_contact_role,
        max(case when links.link_source = 'converted_lead' then 1 else 0 end) = 1 as is_converted_lead,
        min(links.linked_at) as linked_at
    from links
    inner join opportunities
        on links.opportunity_id = opportunities.opportunity_id
    group by
        links.opportunity_id,
        links.person_id
),

final as (
    select
        {{ dbt.hash(dbt.concat(['per_person.opportunity_id', "'|'", 'per_person.person_id'])) }}
            as opportunity_person_id,
        per_person.opportunity_id,
        per_person.person_id,
        case
            when per_person.is_primary_contact then 'primary_contact_role'
            when per_person.is_converted_lead then 'converted_lead'
            else 'contact_role'
        end as link_type,
        per_person.is_primary_contact,
        per_person.has_contact_role,
        per_person.is_converted_lead,
        ranked_roles.contact_role,
        per_person.linked_at
    from per_person
    left join ranked_roles
        on
            per_person.opportunity_id = ranked_roles.opportunity_id
            and per_person.person_id = ranked_roles.person_id
            and ranked_roles.role_rank = 1
)

select * from final
