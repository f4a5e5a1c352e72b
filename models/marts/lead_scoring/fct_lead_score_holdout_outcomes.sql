{#- One row per person of the hold-out snapshot (open leads at var('lead_scoring_cutoff_date')): every score as it
    stood at the cutoff, computed from events strictly before it (the predictive one by the `holdout` model,
    trained only on snapshots whose label windows ended by the cutoff), and whether the person became an
    opportunity within var('lead_scoring_horizon_days') days from it. What rpt_lead_score_evaluation measures. -#}

with

features as (
    select
        person_id,
        snapshot_date,
        became_opportunity_within_horizon
    from {{ ref('int_lead_score_features_snapshotted') }}
    where is_holdout
),

lifecycles as (
    select
        person_id,
        became_opportunity_at
    from {{ ref('int_people_lifecycle_dated') }}
),

rules as (
    select
        person_id,
        snapshot_date,
        fit_score,
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
        fit_score_probability,
        engagement_score_probability,
        training_snapshots,
        training_rows,
        training_positives
    from {{ ref('int_lead_scores_predicted') }}
    where model_name = 'holdout'
),

final as (
    select
        cast(features.person_id as {{ dbt.type_string() }}) as person_id,
        cast(features.snapshot_date as date) as cutoff_date,
        cast({{ var('lead_scoring_horizon_days') }} as {{ dbt.type_int() }}) as horizon_days,
        cast(features.became_opportunity_within_horizon as {{ dbt.type_boolean() }})
            as became_opportunity_within_horizon,
        cast(lifecycles.became_opportunity_at as {{ dbt.type_timestamp() }}) as became_opportunity_at,
        cast(predictions.predictive_probability as {{ type_double() }}) as predictive_probability,
        cast(rules.lead_score as {{ type_double() }}) as lead_score,
        cast(predictions.lead_score_probability as {{ type_double() }}) as lead_score_probability,
        cast(rules.fit_score as {{ type_double() }}) as fit_score,
        cast(predictions.fit_score_probability as {{ type_double() }}) as fit_score_probability,
        cast(rules.engagement_score as {{ type_double() }}) as engagement_score,
        cast(predictions.engagement_score_probability as {{ type_double() }}) as engagement_score_probability,
        cast(rules.lead_grade as {{ dbt.type_string() }}) as lead_grade,
        cast(rules.priority_tier as {{ dbt.type_int() }}) as priority_tier,
        cast(predictions.training_snapshots as {{ dbt.type_int() }}) as training_snapshots,
        cast(predictions.training_rows as {{ dbt.type_int() }}) as training_rows,
        cast(predictions.training_positives as {{ dbt.type_int() }}) as training_positives
    from features
    inner join rules
        on
            features.person_id = rules.person_id
            and features.snapshot_date = rules.snapshot_date
    inner join predictions
        on
            features.person_id = predictions.person_id
            and features.snapshot_date = predictions.snapshot_date
    left join lifecycles
        on features.person_id = lifecycles.person_id
)

select * from final
