{#- One row per person known by var('as_of_date') (not deleted): their rules-based scores (fit, engagement,
    combined lead score, grade, priority tier), their predictive probability of becoming an opportunity within
    var('lead_scoring_horizon_days') days (open leads only, from the `production` model), and the top three
    contributing signals of each. Sales sort by `call_priority_rank` (1 = call first): open leads by the
    predictive probability. See the doc blocks `lead_scoring__rules` and `lead_scoring__predictive`. -#}

{%- set fit_attributes = {
    'industry': 'lower(features.industry)',
    'company_size': 'features.company_size_band',
    'country': 'lower(features.country_code)',
    'seniority': 'features.seniority',
    'email_type': 'features.email_type',
} -%}
{%- set signal_types = [
    'web_visit',
    'form_submission',
    'email_open',
    'email_click',
    'webinar_attendance',
    'event_attendance',
    'content_download',
] -%}

with

features as (
    select
        person_id,
        snapshot_date,
        is_open_lead,
        industry,
        company_size_band,
        country_code,
        seniority,
        email_type,
        {%- for attribute in fit_attributes %}
            {{ attribute }}_points,
        {%- endfor %}
        {%- for signal_type in signal_types %}
            {{ signal_type }}_count,
            {{ signal_type }}_points,
        {%- endfor %}
        last_signal_at
    from {{ ref('int_lead_score_features_snapshotted') }}
    where is_as_of
),

rules as (
    select
        person_id,
        snapshot_date,
        fit_points,
        fit_score,
        engagement_points,
        engagement_score,
        lead_score,
        lead_grade,
        priority_tier
    from {{ ref('int_lead_scores_calculated') }}
),

predictions as (
    select
        person_id,
        cast(snapshot_date as date) as snapshot_date,
        predictive_probability,
        lead_score_probability,
        top_predictive_signal_1,
        top_predictive_signal_1_contribution,
        top_predictive_signal_2,
        top_predictive_signal_2_contribution,
        top_predictive_signal_3,
        top_predictive_signal_3_contribution
    from {{ ref('int_lead_scores_predicted') }}
    where model_name = 'production'
),

lifecycles as (
    select
        person_id,
        lifecycle_stage
    from {{ ref('int_people_lifecycle_dated') }}
),

-- The rules score's parts, one row each: every fit attribute's points and every signal's decayed points.
rule_contributions as (
    {%- for attribute, value in fit_attributes.items() %}
        select
            features.person_id,
            {{ dbt.concat(["'" ~ attribute ~ ": '", "coalesce(" ~ value ~ ", '(missing)')"]) }} as signal_name,
            features.{{ attribute }}_points as points
        from features
        union all
    {%- endfor %}
    {%- for signal_type in signal_types %}
        select
            features.person_id,
            '{{ signal_type }}' as signal_name,
            features.{{ signal_type }}_points as points
        from features
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

-- The largest contributions first (ties by name); parts worth 0 explain nothing and are left out.
rule_contributions_ranked as (
    select
        person_id,
        signal_name,
        points,
        row_number() over (partition by person_id order by points desc, signal_name asc) as contribution_rank
    from rule_contributions
    where points != 0
),

top_rule_signals as (
    select
        person_id,
        max(case when contribution_rank = 1 then signal_name end) as top_rule_signal_1,
        max(case when contribution_rank = 1 then points end) as top_rule_signal_1_points,
        max(case when contribution_rank = 2 then signal_name end) as top_rule_signal_2,
        max(case when contribution_rank = 2 then points end) as top_rule_signal_2_points,
        max(case when contribution_rank = 3 then signal_name end) as top_rule_signal_3,
        max(case when contribution_rank = 3 then points end) as top_rule_signal_3_points
    from rule_contributions_ranked
    where contribution_rank <= 3
    group by person_id
),

-- The order sales should work the list in: open leads by the predictive probability (the score measured
-- best on the hold-out, rpt_lead_score_evaluation), ties by the lead score, then by person.
call_order as (
    select
        features.person_id,
        row_number() over (
            order by predictions.predictive_probability desc, rules.lead_score desc, features.person_id asc
        ) as call_priority_rank
    from features
    inner join rules
        on
            features.person_id = rules.person_id
            and features.snapshot_date = rules.snapshot_date
    inner join predictions
        on
            features.person_id = predictions.person_id
            and features.snapshot_date = predictions.snapshot_date
    where features.is_open_lead
),

final as (
    select
        cast(features.person_id as {{ dbt.type_string() }}) as person_id,
        cast(features.snapshot_date as date) as as_of_date,
        cast(lifecycles.lifecycle_stage as {{ dbt.type_string() }}) as lifecycle_stage,
        cast(features.is_open_lead as {{ dbt.type_boolean() }}) as is_open_lead,
        cast(features.industry as {{ dbt.type_string() }}) as industry,
        cast(features.company_size_band as {{ dbt.type_string() }}) as company_size_band,
        cast(features.country_code as {{ dbt.type_string() }}) as country_code,
        cast(features.seniority as {{ dbt.type_string() }}) as seniority,
        cast(features.email_type as {{ dbt.type_string() }}) as email_type,
        cast(rules.fit_points as {{ type_double() }}) as fit_points,
        cast(rules.fit_score as {{ type_double() }}) as fit_score,
        cast(rules.engagement_points as {{ type_double() }}) as engagement_points,
        cast(rules.engagement_score as {{ type_double() }}) as engagement_score,
        cast(rules.lead_score as {{ type_double() }}) as lead_score,
        cast(rules.lead_grade as {{ dbt.type_string() }}) as lead_grade,
        cast(rules.priority_tier as {{ dbt.type_int() }}) as priority_tier,
        {%- for rank in range(1, 4) %}
            cast(top_rule_signals.top_rule_signal_{{ rank }} as {{ dbt.type_string() }}) as top_rule_signal_{{ rank }},
            cast(top_rule_signals.top_rule_signal_{{ rank }}_points as {{ type_double() }})
                as top_rule_signal_{{ rank }}_points,
        {%- endfor %}
        cast(predictions.predictive_probability as {{ type_double() }}) as predictive_probability,
        cast(predictions.lead_score_probability as {{ type_double() }}) as lead_score_probability,
        cast(call_order.call_priority_rank as {{ dbt.type_int() }}) as call_priority_rank,
        {%- for rank in range(1, 4) %}
            cast(predictions.top_predictive_signal_{{ rank }} as {{ dbt.type_string() }})
                as top_predictive_signal_{{ rank }},
            cast(predictions.top_predictive_signal_{{ rank }}_contribution as {{ type_double() }})
                as top_predictive_signal_{{ rank }}_contribution,
        {%- endfor %}
        cast(features.last_signal_at as {{ dbt.type_timestamp() }}) as last_signal_at
    from features
    inner join rules
        on
            features.person_id = rules.person_id
            and features.snapshot_date = rules.snapshot_date
    left join predictions
        on
            features.person_id = predictions.person_id
            and features.snapshot_date = predictions.snapshot_date
    left join lifecycles
        on features.person_id = lifecycles.person_id
    left join top_rule_signals
        on features.person_id = top_rule_signals.person_id
    left join call_order
        on features.person_id = call_order.person_id
)

select * from final
