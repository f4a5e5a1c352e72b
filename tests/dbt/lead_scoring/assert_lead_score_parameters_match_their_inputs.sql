{#- Fails with every predictive lead-score model (`holdout`, `production`) whose stored parameters (schema
    model_parameters, written by the training step of `gtm build` / `gtm run`) were not trained on the
    snapshots int_lead_score_inputs_joined holds now, or for other dates: a model missing, training rows or
    positives that differ from its training pool's, or an as-of or cutoff date other than the project's vars. -#}

with

inputs as (
    select
        is_labelled_by_cutoff,
        is_labelled,
        became_opportunity_within_horizon
    from {{ ref('int_lead_score_inputs_joined') }}
),

lead_score_models as (
    select
        model_name,
        training_rows,
        training_positives,
        as_of_date,
        cutoff_date
    from {{ ref('stg_model_parameters__lead_score_models') }}
),

pools as (
    select
        'holdout' as model_name,
        count(*) as training_rows,
        sum(case when became_opportunity_within_horizon then 1 else 0 end) as training_positives
    from inputs
    where is_labelled_by_cutoff
    union all
    select
        'production' as model_name,
        count(*) as training_rows,
        sum(case when became_opportunity_within_horizon then 1 else 0 end) as training_positives
    from inputs
    where is_labelled
),

final as (
    select
        pools.model_name,
        pools.training_rows,
        pools.training_positives,
        lead_score_models.training_rows as trained_rows,
        lead_score_models.training_positives as trained_positives,
        lead_score_models.as_of_date,
        lead_score_models.cutoff_date
    from pools
    left join lead_score_models
        on pools.model_name = lead_score_models.model_name
    where
        lead_score_models.model_name is null
        or lead_score_models.training_rows != pools.training_rows
        or lead_score_models.training_positives != pools.training_positives
        or lead_score_models.as_of_date != cast('{{ var("as_of_date") }}' as date)
        or lead_score_models.cutoff_date != cast('{{ var("lead_scoring_cutoff_date") }}' as date)
)

select * from final
