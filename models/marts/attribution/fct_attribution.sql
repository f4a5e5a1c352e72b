{#- One row per conversion, touchpoint of its journey and attribution model: the touch's credit and the
    amount it earns, with when the conversion happened and the touch's person, channel, campaign and ad
    platform. Rule-based models come from int_touchpoints_attributed_heuristically, Markov, Shapley and
    the data-driven model from int_touchpoints_attributed_algorithmically.
    Amounts are split to the cent: each touch gets its credit times the conversion's amount rounded down to
    the cent, and the cents left over go one each to the touches whose exact share lost the most (largest
    remainder; ties to the earlier touch), so a conversion's attributed amounts add up to its amount
    exactly in every model.
    Conversions without a touch in the window have no rows: they are the unattributed amount
    (tests/dbt/attribution/assert_attribution_reconciles_to_opportunity_amounts.sql). -#}

with

heuristic_credits as (
    select
        conversion_id,
        conversion_type,
        opportunity_id,
        touchpoint_id,
        attribution_model,
        credit
    from {{ ref('int_touchpoints_attributed_heuristically') }}
),

algorithmic_credits as (
    select
        conversion_id,
        conversion_type,
        opportunity_id,
        touchpoint_id,
        attribution_model,
        credit
    from {{ ref('int_touchpoints_attributed_algorithmically') }}
),

journeys as (
    select
        conversion_id,
        touchpoint_id,
        converted_at,
        person_id,
        touched_at,
        touch_number,
        channel,
        campaign_key,
        platform,
        amount,
        reporting_currency
    from {{ ref('int_attribution_journeys_joined') }}
),

credits as (
    select * from heuristic_credits
    union all
    select * from algorithmic_credits
),

joined as (
    select
        credits.conversion_id,
        credits.conversion_type,
        credits.opportunity_id,
        credits.touchpoint_id,
        journeys.converted_at,
        journeys.person_id,
        journeys.touched_at,
        journeys.touch_number,
        credits.attribution_model,
        credits.credit,
        journeys.amount,
        journeys.reporting_currency,
        journeys.channel,
        journeys.campaign_key,
        journeys.platform,
        cast(journeys.amount as {{ type_double() }}) * 100 * credits.credit as exact_cents
    from credits
    inner join journeys
        on
            credits.conversion_id = journeys.conversion_id
            and credits.touchpoint_id = journeys.touchpoint_id
),

floored as (
    select
        joined.*,
        floor(joined.exact_cents) as floored_cents
    from joined
),

-- The cents that rounding down left over, per conversion and model (fewer than its touches), and the
-- order in which touches take one each: largest remainder first, ties to the earlier touch.
remainders as (
    select
        floored.*,
        round(floored.amount * 100)
        - sum(floored.floored_cents) over (
            partition by floored.conversion_id, floored.attribution_model
        ) as leftover_cents,
        row_number() over (
            partition by floored.conversion_id, floored.attribution_model
            order by floored.exact_cents - floored.floored_cents desc, floored.touch_number
        ) as remainder_rank
    from floored
),

allocated as (
    select
        remainders.*,
        remainders.floored_cents
        + case when remainders.remainder_rank <= remainders.leftover_cents then 1 else 0 end as allocated_cents
    from remainders
),

final as (
    select
        cast(conversion_id as {{ dbt.type_string() }}) as conversion_id,
        cast(conversion_type as {{ dbt.type_string() }}) as conversion_type,
        cast(opportunity_id as {{ dbt.type_string() }}) as opportunity_id,
        cast(converted_at as {{ dbt.type_timestamp() }}) as converted_at,
        cast(converted_at as date) as conversion_date,
        cast(touchpoint_id as {{ dbt.type_string() }}) as touchpoint_id,
        cast(person_id as {{ dbt.type_string() }}) as person_id,
        cast(touched_at as {{ dbt.type_timestamp() }}) as touched_at,
        cast(attribution_model as {{ dbt.type_string() }}) as attribution_model,
        cast(credit as {{ type_double() }}) as credit,
        cast(allocated_cents / 100 as decimal(18, 2)) as attributed_amount,
        cast(reporting_currency as {{ dbt.type_string() }}) as reporting_currency,
        cast(channel as {{ dbt.type_string() }}) as channel,
        cast(campaign_key as {{ dbt.type_string() }}) as campaign_key,
        cast(platform as {{ dbt.type_string() }}) as platform
    from allocated
)

select * from final
