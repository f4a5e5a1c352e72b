{#- One row per opportunity and conversion type: `pipeline` when the opportunity was created, `revenue` when it
    closed won. Each carries the opportunity's amount in the reporting currency, when the opportunity was
    created and when its lead was created (the milestones of W-shaped attribution). -#}

with

opportunities as (
    select
        opportunity_id,
        primary_person_id,
        created_at,
        closed_at,
        is_won,
        amount_reporting,
        reporting_currency
    from {{ ref('int_opportunities_enriched') }}
),

opportunity_people as (
    select
        opportunity_id,
        person_id
    from {{ ref('int_opportunity_people_bridged') }}
),

lifecycles as (
    select
        person_id,
        became_lead_at
    from {{ ref('int_people_lifecycle_dated') }}
),

-- The earliest lead creation among the people linked to each opportunity.
linked_lead_creations as (
    select
        opportunity_people.opportunity_id,
        min(lifecycles.became_lead_at) as became_lead_at
    from opportunity_people
    inner join lifecycles
        on opportunity_people.person_id = lifecycles.person_id
    group by opportunity_people.opportunity_id
),

-- The lead creation of an opportunity: its own person's (primary contact, else converted lead), else the
-- earliest of the people linked to it.
lead_creations as (
    select
        opportunities.opportunity_id,
        coalesce(primary_lifecycles.became_lead_at, linked_lead_creations.became_lead_at) as lead_created_at
    from opportunities
    left join lifecycles as primary_lifecycles
        on opportunities.primary_person_id = primary_lifecycles.person_id
    left join linked_lead_creations
        on opportunities.opportunity_id = linked_lead_creations.opportunity_id
),

pipeline_conversions as (
    select
        opportunity_id,
        'pipeline' as conversion_type,
        created_at as converted_at
    from opportunities
),

revenue_conversions as (
    select
        opportunity_id,
        'revenue' as conversion_type,
        closed_at as converted_at
    from opportunities
    where
        is_won
        and closed_at is not null
),

conversions as (
    select * from pipeline_conversions
    union all
    select * from revenue_conversions
),

final as (
    select
        {{ dbt.hash(dbt.concat(['conversions.opportunity_id', "'|'", 'conversions.conversion_type'])) }}
            as conversion_id,
        conversions.opportunity_id,
        conversions.conversion_type,
        conversions.converted_at,
        opportunities.created_at as opportunity_created_at,
        lead_creations.lead_created_at,
        opportunities.amount_reporting as amount,
        opportunities.reporting_currency
    from conversions
    inner join opportunities
        on conversions.opportunity_id = opportunities.opportunity_id
    left join lead_creations
        on conversions.opportunity_id = lead_creations.opportunity_id
)

select * from final
