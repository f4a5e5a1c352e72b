{#- One row per HubSpot deal in the shape of a Salesforce opportunity: what the funnel models read as the
    opportunities when HubSpot is the only CRM (var `hubspot_enabled` on, `salesforce_enabled` off). The
    deal's pipeline stage gives the stage name (its label), probability, whether it is closed and won, and
    the forecast category Salesforce would show (`Closed` won, `Omitted` lost, else `Pipeline`); its account
    is its primary company (else its first associated one). HubSpot keeps no stage history in the loaded
    tables, so the deal's current stage is its one known stage entry: entered at the close for a closed deal
    (HubSpot's `closedate`, set on the move to a closed stage), else at its last modification. -#}

{{ config(enabled=var('hubspot_enabled') and not var('salesforce_enabled')) }}

with

deals as (
    select
        deal_id,
        deal_name,
        amount,
        amount_currency,
        deal_stage_id,
        pipeline_id,
        close_date,
        close_at,
        owner_id,
        created_at,
        updated_at,
        is_deleted
    from {{ ref('stg_hubspot__deals') }}
),

pipeline_stages as (
    select
        pipeline_id,
        deal_stage_id,
        deal_stage_label,
        probability,
        is_closed,
        is_won
    from {{ ref('stg_hubspot__deal_pipeline_stages') }}
),

company_associations as (
    select
        deal_id,
        company_id,
        is_primary
    from {{ ref('stg_hubspot__deal_company_associations') }}
),

-- The deal's account: its primary company, else the smallest associated company id.
ranked_companies as (
    select
        deal_id,
        company_id,
        row_number() over (
            partition by deal_id
            order by
                case when is_primary then 0 else 1 end,
                company_id
        ) as company_rank
    from company_associations
),

joined as (
    select
        deals.deal_id as opportunity_id,
        ranked_companies.company_id as account_id,
        deals.deal_name as opportunity_name,
        deals.amount,
        deals.amount_currency,
        deals.close_date,
        deals.close_at,
        pipeline_stages.probability,
        deals.owner_id,
        deals.created_at,
        deals.updated_at,
        deals.is_deleted,
        coalesce(pipeline_stages.deal_stage_label, deals.deal_stage_id) as stage_name,
        deals.amount is null as has_missing_amount,
        coalesce(pipeline_stages.is_closed, false) as is_closed,
        coalesce(pipeline_stages.is_won, false) as is_won
    from deals
    left join pipeline_stages
        on
            deals.pipeline_id = pipeline_stages.pipeline_id
            and deals.deal_stage_id = pipeline_stages.deal_stage_id
    left join ranked_companies
        on
            deals.deal_id = ranked_companies.deal_id
            and ranked_companies.company_rank = 1
),

final as (
    select
        opportunity_id,
        account_id,
        opportunity_name,
        stage_name,
        amount,
        amount_currency,
        has_missing_amount,
        close_date,
        probability,
        is_closed,
        is_won,
        case
            when is_won then 'Closed'
            when is_closed then 'Omitted'
            else 'Pipeline'
        end as forecast_category,
        cast(null as {{ dbt.type_string() }}) as lead_source,
        cast(null as {{ dbt.type_string() }}) as campaign_id,
        cast(null as {{ dbt.type_string() }}) as opportunity_type,
        owner_id,
        created_at,
        updated_at,
        -- Never before the deal's creation (a close date set to the day of creation is midnight).
        case
            when is_closed and close_at >= created_at then close_at
            when is_closed then created_at
            when updated_at >= created_at then updated_at
            else created_at
        end as stage_entered_at,
        is_deleted
    from joined
)

select * from final
