{#- Fails with every attribution model and conversion type whose attributed amount (pipeline or won revenue)
    or attributed conversions in fct_marketing_roi differ from fct_attribution's totals: amounts to the cent,
    conversions (sums of credits) to 1e-6. Also checks that `pipeline_amount` and `won_revenue` carry the
    amount on their own type's rows. -#}

with

attribution as (
    select
        attribution_model,
        conversion_type,
        credit,
        attributed_amount
    from {{ ref('fct_attribution') }}
),

marketing_roi as (
    select
        attribution_model,
        conversion_type,
        attributed_conversions,
        attributed_amount,
        pipeline_amount,
        won_revenue
    from {{ ref('fct_marketing_roi') }}
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

roi_totals as (
    select
        attribution_model,
        conversion_type,
        sum(attributed_conversions) as attributed_conversions,
        sum(attributed_amount) as attributed_amount,
        coalesce(sum(pipeline_amount), 0) + coalesce(sum(won_revenue), 0) as typed_amount
    from marketing_roi
    group by
        attribution_model,
        conversion_type
),

final as (
    select
        attribution_totals.attribution_model,
        attribution_totals.conversion_type,
        attribution_totals.attributed_amount as attribution_amount,
        roi_totals.attributed_amount as roi_amount,
        roi_totals.typed_amount as roi_typed_amount,
        attribution_totals.attributed_conversions as attribution_conversions,
        roi_totals.attributed_conversions as roi_conversions
    from attribution_totals
    left join roi_totals
        on
            attribution_totals.attribution_model = roi_totals.attribution_model
            and attribution_totals.conversion_type = roi_totals.conversion_type
    where
        roi_totals.attribution_model is null
        or abs(attribution_totals.attributed_amount - roi_totals.attributed_amount) >= 0.01
        or abs(attribution_totals.attributed_amount - roi_totals.typed_amount) >= 0.01
        or abs(attribution_totals.attributed_conversions - roi_totals.attributed_conversions) > 0.000001
)

select * from final
