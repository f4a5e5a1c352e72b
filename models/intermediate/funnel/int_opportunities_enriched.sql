{#- One row per Salesforce opportunity that is not deleted: its account (Salesforce's and the resolved
    one), the person it belongs to, when it was created and closed, its amount in its own and the reporting
    currency, its current stage and how long it has been (or was) in the pipeline. Ages count up to
    var('as_of_date'), never to the day of the build. With HubSpot as the only CRM (var `salesforce_enabled`
    off), the opportunities are HubSpot's deals (int_deals_mapped) and the account their company's. -#}

{%- set as_of_at = "cast('" ~ var('as_of_date') ~ "' as " ~ dbt.type_timestamp() ~ ")" %}

with

opportunities as (
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
        forecast_category,
        lead_source,
        campaign_id,
        opportunity_type,
        owner_id,
        created_at,
        updated_at
    {%- if var('salesforce_enabled') %}
        from {{ ref('stg_salesforce__opportunities') }}
    {%- else %}
        from {{ ref('int_deals_mapped') }}
    {%- endif %}
    where not is_deleted
),

stages as (
    select
        opportunity_id,
        stage_sequence,
        stage_name,
        entered_at,
        is_current,
        is_closed_stage
    from {{ ref('int_opportunity_stages_sequenced') }}
),

opportunity_people as (
    select
        opportunity_id,
        person_id,
        link_type,
        is_primary_contact,
        is_converted_lead,
        linked_at
    from {{ ref('int_opportunity_people_bridged') }}
),

account_records as (
    select
        source_record_id,
        account_id
    from {{ ref('int_account_records_mapped') }}
    {%- if var('salesforce_enabled') %}
        where
            source_system = 'salesforce'
            and source_object = 'Account'
    {%- else %}
        where
            source_system = 'hubspot'
            and source_object = 'companies'
    {%- endif %}
),

current_stages as (
    select
        opportunity_id,
        stage_name,
        entered_at,
        is_closed_stage
    from stages
    where is_current
),

stage_counts as (
    select
        opportunity_id,
        count(*) as stages_entered
    from stages
    group by opportunity_id
),

-- The person an opportunity belongs to: its primary contact, else the lead converted into it.
ranked_people as (
    select
        opportunity_id,
        person_id,
        row_number() over (
            partition by opportunity_id
            order by
                case
                    when is_primary_contact then 0
                    when is_converted_lead then 1
                    else 2
                end,
                linked_at,
                person_id
        ) as person_rank
    from opportunity_people
    where is_primary_contact or is_converted_lead
),

people_counts as (
    select
        opportunity_id,
        count(*) as linked_people
    from opportunity_people
    group by opportunity_id
),

joined as (
    select
        opportunities.opportunity_id,
        opportunities.opportunity_name,
        {%- if var('salesforce_enabled') %}
            opportunities.account_id as salesforce_account_id,
        {%- else %}
            cast(null as {{ dbt.type_string() }}) as salesforce_account_id,
        {%- endif %}
        account_records.account_id,
        ranked_people.person_id as primary_person_id,
        coalesce(people_counts.linked_people, 0) as linked_people,
        opportunities.opportunity_type,
        opportunities.lead_source,
        opportunities.campaign_id as salesforce_campaign_id,
        opportunities.owner_id,
        opportunities.created_at,
        -- A closed opportunity closed when it entered its closing stage (the close date when no history says).
        case
            when opportunities.is_closed
                then coalesce(
                    case when current_stages.is_closed_stage then current_stages.entered_at end,
                    cast(opportunities.close_date as {{ dbt.type_timestamp() }})
                )
        end as closed_at,
        opportunities.close_date,
        opportunities.amount,
        opportunities.amount_currency,
        opportunities.has_missing_amount,
        opportunities.probability,
        opportunities.forecast_category,
        opportunities.is_closed,
        opportunities.is_won,
        opportunities.stage_name,
        current_stages.entered_at as stage_entered_at,
        coalesce(stage_counts.stages_entered, 0) as stages_entered,
        opportunities.updated_at
    from opportunities
    left join account_records
        on opportunities.account_id = account_records.source_record_id
    left join ranked_people
        on
            opportunities.opportunity_id = ranked_people.opportunity_id
            and ranked_people.person_rank = 1
    left join people_counts
        on opportunities.opportunity_id = people_counts.opportunity_id
    left join current_stages
        on opportunities.opportunity_id = current_stages.opportunity_id
    left join stage_counts
        on opportunities.opportunity_id = stage_counts.opportunity_id
),

final as (
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
        -- Converted at the rate of the day it closed (an open one: of var('as_of_date')).
        {{ to_reporting_currency('amount', 'amount_currency', 'coalesce(closed_at, ' ~ as_of_at ~ ')') }}
            as amount_reporting,
        '{{ var("reporting_currency") }}' as reporting_currency,
        has_missing_amount,
        probability,
        forecast_category,
        is_closed,
        is_won,
        stage_name,
        stage_entered_at,
        stages_entered,
        {{ dbt.datediff('created_at', 'coalesce(closed_at, ' ~ as_of_at ~ ')', 'day') }} as days_in_pipeline,
        updated_at
    from joined
)

select * from final
