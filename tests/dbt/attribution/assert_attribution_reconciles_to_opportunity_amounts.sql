{#- Fails with every attribution model and conversion type where the amount attributed in fct_attribution
    plus the unattributed amount (conversions with no touch in the window) differs from the total amount of
    the conversions by a cent or more; also with every conversion whose attributed amounts in a model do not
    add up to its amount exactly. -#}

with

conversions as (
    select
        conversion_id,
        conversion_type,
        amount
    from {{ ref('int_attribution_conversions_listed') }}
),

journeys as (
    select distinct conversion_id
    from {{ ref('int_attribution_journeys_joined') }}
),

attribution as (
    select
        conversion_id,
        conversion_type,
        attribution_model,
        attributed_amount
    from {{ ref('fct_attribution') }}
),

models as (
    select distinct attribution_model
    from attribution
),

conversion_totals as (
    select
        conversions.conversion_type,
        sum(conversions.amount) as total_amount,
        sum(case when journeys.conversion_id is null then conversions.amount end) as unattributed_amount
    from conversions
    left join journeys
        on conversions.conversion_id = journeys.conversion_id
    group by conversions.conversion_type
),

attributed_totals as (
    select
        conversion_type,
        attribution_model,
        sum(attributed_amount) as attributed_amount
    from attribution
    group by
        conversion_type,
        attribution_model
),

type_mismatches as (
    select
        conversion_totals.conversion_type,
        models.attribution_model,
        cast(null as {{ dbt.type_string() }}) as conversion_id,
        conversion_totals.total_amount,
        coalesce(attributed_totals.attributed_amount, 0) as attributed_amount,
        coalesce(conversion_totals.unattributed_amount, 0) as unattributed_amount
    from conversion_totals
    cross join models
    left join attributed_totals
        on
            conversion_totals.conversion_type = attributed_totals.conversion_type
            and models.attribution_model = attributed_totals.attribution_model
    where
        abs(
            coalesce(attributed_totals.attributed_amount, 0)
            + coalesce(conversion_totals.unattributed_amount, 0)
            - coalesce(conversion_totals.total_amount, 0)
        )
        >= 0.01
),

conversion_sums as (
    select
        conversion_id,
        attribution_model,
        sum(attributed_amount) as attributed_amount
    from attribution
    group by
        conversion_id,
        attribution_model
),

conversion_mismatches as (
    select
        conversions.conversion_type,
        conversion_sums.attribution_model,
        conversions.conversion_id,
        conversions.amount as total_amount,
        conversion_sums.attributed_amount,
        0 as unattributed_amount
    from conversion_sums
    inner join conversions
        on conversion_sums.conversion_id = conversions.conversion_id
    where conversion_sums.attributed_amount <> conversions.amount
),

final as (
    select * from type_mismatches
    union all
    select * from conversion_mismatches
)

select * from final
