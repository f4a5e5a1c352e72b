{#- One row per stage an opportunity entered, in order: when it entered and left the stage. Salesforce's
    history rows that only change the amount, close date or probability are not stage entries; deleted
    opportunities and their history are left out. With HubSpot as the only CRM, whose stage history the
    warehouse does not load, each deal has one entry: its current stage (int_deals_mapped). -#}

{%- set as_of_at = "cast('" ~ var('as_of_date') ~ "' as " ~ dbt.type_timestamp() ~ ")" %}

with

stage_history as (
    {%- if var('salesforce_enabled') %}
        select
            opportunity_history_id,
            opportunity_id,
            stage_name,
            is_stage_change,
            amount,
            amount_currency,
            probability,
            forecast_category,
            created_at,
            is_deleted
        from {{ ref('stg_salesforce__opportunity_stage_history') }}
    {%- else %}
    -- HubSpot alone: a deal's current stage is its one known entry (int_deals_mapped).
        select
            opportunity_id as opportunity_history_id,
            opportunity_id,
            stage_name,
            true as is_stage_change,
            amount,
            amount_currency,
            probability,
            forecast_category,
            stage_entered_at as created_at,
            is_deleted
        from {{ ref('int_deals_mapped') }}
    {%- endif %}
),

opportunities as (
    select
        opportunity_id,
        is_deleted
    {%- if var('salesforce_enabled') %}
        from {{ ref('stg_salesforce__opportunities') }}
    {%- else %}
        from {{ ref('int_deals_mapped') }}
    {%- endif %}
),

stage_entries as (
    select
        stage_history.opportunity_history_id,
        stage_history.opportunity_id,
        stage_history.stage_name,
        stage_history.amount,
        stage_history.amount_currency,
        stage_history.probability,
        stage_history.forecast_category,
        stage_history.created_at as entered_at
    from stage_history
    inner join opportunities
        on stage_history.opportunity_id = opportunities.opportunity_id
    where
        stage_history.is_stage_change
        and not stage_history.is_deleted
        and not opportunities.is_deleted
),

sequenced as (
    select
        opportunity_history_id,
        opportunity_id,
        stage_name,
        amount,
        amount_currency,
        probability,
        forecast_category,
        entered_at,
        row_number() over (
            partition by opportunity_id
            order by entered_at, opportunity_history_id
        ) as stage_sequence,
        lead(entered_at) over (
            partition by opportunity_id
            order by entered_at, opportunity_history_id
        ) as exited_at
    from stage_entries
),

final as (
    select
        opportunity_history_id as opportunity_stage_id,
        opportunity_id,
        cast(stage_sequence as {{ dbt.type_int() }}) as stage_sequence,
        stage_name,
        entered_at,
        exited_at,
        exited_at is null as is_current,
        -- Closed stages (probability 0 or 100 %, forecast Closed or Omitted) are never left.
        forecast_category in ('Closed', 'Omitted') as is_closed_stage,
        stage_name = 'Closed Won' or (probability = 1 and forecast_category = 'Closed') as is_won_stage,
        -- Days spent in the stage; an open stage counts up to var('as_of_date'), a closed one has none.
        case
            when exited_at is not null
                then {{ dbt.datediff('entered_at', 'exited_at', 'day') }}
            when forecast_category not in ('Closed', 'Omitted')
                then {{ dbt.datediff('entered_at', as_of_at, 'day') }}
        end as days_in_stage,
        probability,
        forecast_category,
        amount,
        amount_currency
    from sequenced
)

select * from final
