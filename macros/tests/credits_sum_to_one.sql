{#- Fails with every conversion and attribution model of `model` whose credits do not add up to 1 (within
    1e-9), and with every conversion that has a journey in `journeys` but no credits in one of the models. -#}
{% test credits_sum_to_one(model, journeys) %}

with

journeys as (
    select distinct conversion_id
    from {{ journeys }}
),

credits as (
    select
        conversion_id,
        attribution_model,
        credit
    from {{ model }}
),

models as (
    select distinct attribution_model
    from credits
),

totals as (
    select
        conversion_id,
        attribution_model,
        sum(credit) as total_credit
    from credits
    group by
        conversion_id,
        attribution_model
),

expected as (
    select
        journeys.conversion_id,
        models.attribution_model
    from journeys
    cross join models
),

final as (
    select
        expected.conversion_id,
        expected.attribution_model,
        totals.total_credit
    from expected
    left join totals
        on
            expected.conversion_id = totals.conversion_id
            and expected.attribution_model = totals.attribution_model
    where
        totals.total_credit is null
        or abs(totals.total_credit - 1) > 1e-9
)

select * from final

{% endtest %}
