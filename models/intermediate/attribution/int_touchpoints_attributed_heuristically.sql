{#- One row per conversion, touchpoint of its journey and rule-based attribution model: the touch's share of
    the conversion (`credit`, summing to 1 per conversion and model). Models (weights are vars, see
    `_attribution__docs.md`):
    - first_touch, last_touch: all credit to the first (last) touch;
    - linear: equal shares;
    - position_based: var('attribution_position_weights') to the first touch, the middle touches (shared) and
      the last touch; one touch takes everything, two touches split the first and last weights (0.5/0.5);
    - w_shaped: var('attribution_w_shaped_weights') to the first touch, the lead-creation touch and the
      opportunity-creation touch (a touch playing several roles adds their weights), the rest shared equally
      by the other touches; when no other touch exists, the milestone weights are scaled up to 1;
    - time_decay: each touch weighs 2^(-days before the conversion / var('attribution_half_life_days')),
      normalised to 1. -#}

{%- set position_weights = var('attribution_position_weights') %}
{%- set w_shaped_weights = var('attribution_w_shaped_weights') %}
{%- set half_life_days = var('attribution_half_life_days') %}
{%- set position_total = position_weights[0] + position_weights[1] + position_weights[2] %}

with

journeys as (
    select
        conversion_id,
        conversion_type,
        opportunity_id,
        touchpoint_id,
        touch_number,
        touch_count,
        days_before_conversion,
        is_lead_creation_touch,
        is_opportunity_creation_touch
    from {{ ref('int_attribution_journeys_joined') }}
),

first_touch as (
    select
        conversion_id,
        conversion_type,
        opportunity_id,
        touchpoint_id,
        'first_touch' as attribution_model,
        case when touch_number = 1 then 1.0 else 0.0 end as credit
    from journeys
),

last_touch as (
    select
        conversion_id,
        conversion_type,
        opportunity_id,
        touchpoint_id,
        'last_touch' as attribution_model,
        case when touch_number = touch_count then 1.0 else 0.0 end as credit
    from journeys
),

linear as (
    select
        conversion_id,
        conversion_type,
        opportunity_id,
        touchpoint_id,
        'linear' as attribution_model,
        1.0 / touch_count as credit
    from journeys
),

position_based as (
    select
        conversion_id,
        conversion_type,
        opportunity_id,
        touchpoint_id,
        'position_based' as attribution_model,
        case
            when touch_count = 1 then 1.0
            when touch_count = 2 and touch_number = 1
                then {{ position_weights[0] }} / ({{ position_weights[0] }} + {{ position_weights[2] }})
            when touch_count = 2
                then {{ position_weights[2] }} / ({{ position_weights[0] }} + {{ position_weights[2] }})
            when touch_number = 1 then {{ position_weights[0] }} / {{ position_total }}
            when touch_number = touch_count then {{ position_weights[2] }} / {{ position_total }}
            else {{ position_weights[1] }} / {{ position_total }} / (touch_count - 2)
        end as credit
    from journeys
),

w_shaped_milestones as (
    select
        conversion_id,
        conversion_type,
        opportunity_id,
        touchpoint_id,
        case when touch_number = 1 then {{ w_shaped_weights[0] }} else 0 end
        + case when is_lead_creation_touch then {{ w_shaped_weights[1] }} else 0 end
        + case when is_opportunity_creation_touch then {{ w_shaped_weights[2] }} else 0 end
            as milestone_weight
    from journeys
),

w_shaped_totals as (
    select
        conversion_id,
        conversion_type,
        opportunity_id,
        touchpoint_id,
        milestone_weight,
        sum(milestone_weight) over (partition by conversion_id) as milestone_total,
        sum(case when milestone_weight = 0 then 1 else 0 end) over (partition by conversion_id) as other_touches
    from w_shaped_milestones
),

w_shaped as (
    select
        conversion_id,
        conversion_type,
        opportunity_id,
        touchpoint_id,
        'w_shaped' as attribution_model,
        case
            when other_touches = 0 then 1.0 * milestone_weight / milestone_total
            when milestone_weight > 0 then 1.0 * milestone_weight
            else (1.0 - milestone_total) / other_touches
        end as credit
    from w_shaped_totals
),

time_decay_weights as (
    select
        conversion_id,
        conversion_type,
        opportunity_id,
        touchpoint_id,
        power(2.0, -1.0 * days_before_conversion / {{ half_life_days }}) as decay_weight
    from journeys
),

time_decay as (
    select
        conversion_id,
        conversion_type,
        opportunity_id,
        touchpoint_id,
        'time_decay' as attribution_model,
        decay_weight / sum(decay_weight) over (partition by conversion_id) as credit
    from time_decay_weights
),

unioned as (
    select * from first_touch
    union all
    select * from last_touch
    union all
    select * from linear
    union all
    select * from position_based
    union all
    select * from w_shaped
    union all
    select * from time_decay
),

final as (
    select
        conversion_id,
        conversion_type,
        opportunity_id,
        touchpoint_id,
        attribution_model,
        cast(credit as {{ type_double() }}) as credit
    from unioned
)

select * from final
