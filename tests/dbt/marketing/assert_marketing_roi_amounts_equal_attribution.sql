{#- Fails with every attribution model and conversion type whose amounts or conversions in fct_marketing_roi do
    not add up: the channels other than `Unattributed` must equal fct_attribution's totals, and all channels
    together must equal every conversion of the type (int_attribution_conversions_listed): amounts to the cent,
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

conversions as (
    select
        conversion_type,
        amount
    from {{ ref('int_attribution_conversions_listed') }}
),

marketing_roi as (
    select
        channel,
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

conversion_totals as (
    select
        conversion_type,
        count(*) as conversions,
        coalesce(sum(amount), 0) as amount
    from conversions
    group by conversion_type
),

roi_totals as (
    select
        attribution_model,
        conversion_type,
        sum(case when channel <> 'Unattributed' then attributed_conversions else 0 end) as attributed_conversions,
        sum(case when channel <> 'Unattributed' then attributed_amount else 0 end) as attributed_amount,
        sum(attributed_conversions) as all_conversions,
        sum(attributed_amount) as all_amount,
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
        conversion_totals.amount as conversion_amount,
        roi_totals.all_amount as roi_all_amount,
        roi_totals.typed_amount as roi_typed_amount,
        attribution_totals.attributed_conversions as attribution_conversions,
        roi_totals.attributed_conversions as roi_conversions,
        conversion_totals.conversions,
        roi_totals.all_conversions as roi_all_conversions
    from attribution_totals
    inner join conversion_totals
        on attribution_totals.conversion_type = conversion_totals.conversion_type
    left join roi_totals
        on
            attribution_totals.attribution_model = roi_totals.attribution_model
            and attribution_totals.conversion_type = roi_totals.conversion_type
    where
        roi_totals.attribution_model is null
        or abs(attribution_totals.attributed_amount - roi_totals.attributed_amount) >= 0.01
        or abs(conversion_totals.amount - roi_totals.all_amount) >= 0.01
        or abs(conversion_totals.amount - roi_totals.typed_amount) >= 0.01
        or abs(attribution_totals.attributed_conversions - roi_totals.attributed_conversions) > 0.000001
        or abs(conversion_totals.conversions - roi_totals.all_conversions) > 0.000001
)

select * from final
