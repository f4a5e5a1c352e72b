{#- One row per Salesforce opportunity that is not deleted (int_opportunities_enriched): its account, the
    person it belongs to, its amount in its own and the reporting currency, its current stage, when it was
    created and closed, and whether its conversions have an attribution journey (a touch of a linked person
    within the lookback window, int_attribution_journeys_joined); those without one are the unattributed
    amount of fct_attribution. -#}

with

opportunities as (
    select
        opportunity_id,
        opportunity_name,
        account_id,
        salesforce_account_id,
        primary_person_id,
        linked_people,
        opportunity_type,
        lead_source,
        salesforce_campaign_id,
        owner_id,
        created_at,
        closed_at,
        close_date,
        amount,
        amount_currency,
        amount_reporting,
        reporting_currency,
        has_missing_amount,
        probability,
        forecast_category,
        is_closed,
        is_won,
        stage_name,
        stage_entered_at,
        stages_entered,
        days_in_pipeline,
        updated_at
    from {{ ref('int_opportunities_enriched') }}
),

conversions as (
    select
        conversion_id,
        opportunity_id,
        conversion_type
    from {{ ref('int_attribution_conversions_listed') }}
),

journeys as (
    select
        conversion_id,
        touchpoint_id
    from {{ ref('int_attribution_journeys_joined') }}
),

journey_touches as (
    select
        conversion_id,
        count(*) as touches
    from journeys
    group by conversion_id
),

-- Touches in each conversion type's journey, per opportunity (null: no such conversion).
opportunity_journeys as (
    select
        conversions.opportunity_id,
        sum(
            case when conversions.conversion_type = 'pipeline' then coalesce(journey_touches.touches, 0) end
        ) as pipeline_journey_touches,
        sum(
            case when conversions.conversion_type = 'revenue' then coalesce(journey_touches.touches, 0) end
        ) as revenue_journey_touches
    from conversions
    left join journey_touches
        on conversions.conversion_id = journey_touches.conversion_id
    group by conversions.opportunity_id
),

joined as (
    select
        opportunities.opportunity_id,
        opportunities.opportunity_name,
        opportunities.account_id,
        opportunities.salesforce_account_id,
        opportunities.primary_person_id,
        opportunities.linked_people,
        opportunities.opportunity_type,
        opportunities.lead_source,
        opportunities.salesforce_campaign_id,
        case
            when opportunities.salesforce_campaign_id is not null
                then {{ dbt.concat(["'salesforce:'", 'opportunities.salesforce_campaign_id']) }}
        end as campaign_key,
        opportunities.owner_id,
        opportunities.created_at,
        opportunities.closed_at,
        opportunities.close_date,
        opportunities.amount,
        opportunities.amount_currency,
        opportunities.amount_reporting,
        opportunities.reporting_currency,
        opportunities.has_missing_amount,
        opportunities.probability,
        opportunities.forecast_category,
        opportunities.stage_name,
        opportunities.stage_entered_at,
        opportunities.stages_entered,
        opportunities.is_closed,
        opportunities.is_won,
        opportunities.days_in_pipeline,
        coalesce(opportunity_journeys.pipeline_journey_touches, 0) as pipeline_journey_touches,
        coalesce(opportunity_journeys.revenue_journey_touches, 0) as revenue_journey_touches,
        coalesce(opportunity_journeys.pipeline_journey_touches, 0) > 0 as has_attribution_journey,
        coalesce(opportunity_journeys.revenue_journey_touches, 0) > 0 as has_revenue_attribution_journey,
        opportunities.updated_at
    from opportunities
    left join opportunity_journeys
        on opportunities.opportunity_id = opportunity_journeys.opportunity_id
),

final as (
    select
        cast(opportunity_id as {{ dbt.type_string() }}) as opportunity_id,
        cast(opportunity_name as {{ dbt.type_string() }}) as opportunity_name,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(salesforce_account_id as {{ dbt.type_string() }}) as salesforce_account_id,
        cast(primary_person_id as {{ dbt.type_string() }}) as primary_person_id,
        cast(linked_people as {{ dbt.type_bigint() }}) as linked_people,
        cast(opportunity_type as {{ dbt.type_string() }}) as opportunity_type,
        cast(lead_source as {{ dbt.type_string() }}) as lead_source,
        cast(salesforce_campaign_id as {{ dbt.type_string() }}) as salesforce_campaign_id,
        cast(campaign_key as {{ dbt.type_string() }}) as campaign_key,
        cast(owner_id as {{ dbt.type_string() }}) as owner_id,
        cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
        cast(closed_at as {{ dbt.type_timestamp() }}) as closed_at,
        cast(close_date as date) as close_date,
        cast(amount as decimal(18, 2)) as amount,
        cast(amount_currency as {{ dbt.type_string() }}) as amount_currency,
        cast(amount_reporting as decimal(18, 2)) as amount_reporting,
        cast(reporting_currency as {{ dbt.type_string() }}) as reporting_currency,
        cast(has_missing_amount as {{ dbt.type_boolean() }}) as has_missing_amount,
        cast(probability as {{ type_double() }}) as probability,
        cast(forecast_category as {{ dbt.type_string() }}) as forecast_category,
        cast(stage_name as {{ dbt.type_string() }}) as stage_name,
        cast(stage_entered_at as {{ dbt.type_timestamp() }}) as stage_entered_at,
        cast(stages_entered as {{ dbt.type_bigint() }}) as stages_entered,
        cast(is_closed as {{ dbt.type_boolean() }}) as is_closed,
        cast(is_won as {{ dbt.type_boolean() }}) as is_won,
        cast(days_in_pipeline as {{ dbt.type_bigint() }}) as days_in_pipeline,
        cast(pipeline_journey_touches as {{ dbt.type_bigint() }}) as pipeline_journey_touches,
        cast(revenue_journey_touches as {{ dbt.type_bigint() }}) as revenue_journey_touches,
        cast(has_attribution_journey as {{ dbt.type_boolean() }}) as has_attribution_journey,
        cast(
            has_revenue_attribution_journey as {{ dbt.type_boolean() }}
        ) as has_revenue_attribution_journey,
        cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at
    from joined
)

select * from final
