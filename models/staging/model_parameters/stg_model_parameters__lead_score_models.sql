with

lead_score_models as (
    select
        model_name,
        intercept,
        lead_score_platt_intercept,
        lead_score_platt_slope,
        fit_score_platt_intercept,
        fit_score_platt_slope,
        engagement_score_platt_intercept,
        engagement_score_platt_slope,
        training_snapshots,
        training_rows,
        training_positives,
        as_of_date,
        cutoff_date
    from {{ source('model_parameters', 'lead_score_models') }}
),

final as (
    select * from lead_score_models
)

select * from final
