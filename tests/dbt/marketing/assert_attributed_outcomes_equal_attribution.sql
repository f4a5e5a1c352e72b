{#- Fails with every attribution model and conversion type whose outcomes do not add up. In
    fct_attributed_outcomes, the channels other than `Unattributed` must equal fct_attribution's totals, and all
    channels together every conversion of the type (int_attribution_conversions_listed): amounts to the cent,
    conversions (sums of credits) to 1e-6; a model of fct_attribution missing there fails too. In
    rpt_marketing_roi (model `report`), pipeline and won revenue must equal every pipeline and revenue
    conversion's amount, and opportunities and customers their counts. -#}

with

attribution as (
    select
        attribution_model,
        conversion_type,
        credit,
        attributed_amount
    from {{ ref('fct_attribution') }}
),

conversions as (
    select
        conversion_type,
        amount
    from {{ ref('int_attribution_conversions_listed') }}
),

outcomes as (
    select
        channel,
        attribution_model,
        conversion_type,
        attributed_conversions,
        attributed_amount
    from {{ ref('fct_attributed_outcomes') }}
),

roi as (
    select
        attributed_opportunities,
        pipeline_amount,
        attributed_customers,
        won_revenue
    from {{ ref('rpt_marketing_roi') }}
),

attribution_totals as (
    select
        attribution_model,
        conversion_type,
        sum(credit) as attributed_conversions,
        coalesce(sum(attributed_amount), 0) as attributed_amount
    from attribution
    group by
        attribution_model,
        conversion_type
),

conversion_totals as (
    select
        conversion_type,
        count(*) as conversions,
        coalesce(sum(amount), 0) as amount
    from conversions
    group by conversion_type
),

outcome_totals as (
    select
        attribution_model,
        conversion_type,
        sum(case when channel <> 'Unattributed' then attributed_conversions else 0 end) as attributed_conversions,
        sum(case when channel <> 'Unattributed' then attributed_amount else 0 end) as attributed_amount,
        sum(attributed_conversions) as all_conversions,
        sum(attributed_amount) as all_amount
    from outcomes
    group by
        attribution_model,
        conversion_type
),

report_totals as (
    select
        'pipeline' as conversion_type,
        coalesce(sum(attributed_opportunities), 0) as all_conversions,
        coalesce(sum(pipeline_amount), 0) as all_amount
    from roi
    union all
    select
        'revenue' as conversion_type,
        coalesce(sum(attributed_customers), 0) as all_conversions,
        coalesce(sum(won_revenue), 0) as all_amount
    from roi
),

outcome_failures as (
    select
        attribution_totals.attribution_model,
        attribution_totals.conversion_type,
        attribution_totals.attributed_amount as expected_amount,
        outcome_totals.attributed_amount as actual_amount,
        conversion_totals.amount as conversion_amount,
        outcome_totals.all_amount as actual_all_amount,
        conversion_totals.conversions,
        outcome_totals.all_conversions as actual_all_conversions
    from attribution_totals
    inner join conversion_totals
        on attribution_totals.conversion_type = conversion_totals.conversion_type
    left join outcome_totals
        on
            attribution_totals.attribution_model = outcome_totals.attribution_model
            and attribution_totals.conversion_type = outcome_totals.conversion_type
    where
        outcome_totals.attribution_model is null
        or abs(attribution_totals.attributed_amount - outcome_totals.attributed_amount) >= 0.01
        or abs(conversion_totals.amount - outcome_totals.all_amount) >= 0.01
        or abs(attribution_totals.attributed_conversions - outcome_totals.attributed_conversions) > 0.000001
        or abs(conversion_totals.conversions - outcome_totals.all_conversions) > 0.000001
),

report_failures as (
    select
        'report' as attribution_model,
        conversion_totals.conversion_type,
        conversion_totals.amount as expected_amount,
        report_totals.all_amount as actual_amount,
        conversion_totals.amount as conversion_amount,
        report_totals.all_amount as actual_all_amount,
        conversion_totals.conversions,
        report_totals.all_conversions as actual_all_conversions
    from conversion_totals
    inner join report_totals
        on conversion_totals.conversion_type = report_totals.conversion_type
    where
        abs(conversion_totals.amount - report_totals.all_amount) >= 0.01
        or abs(conversion_totals.conversions - report_totals.all_conversions) > 0.000001
),

final as (
    select * from outcome_failures
    union all
    select * from report_failures
)

select * from final
