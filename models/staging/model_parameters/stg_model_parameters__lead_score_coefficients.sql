with

lead_score_coefficients as (
    select
        model_name,
        feature_name,
        feature_group,
        feature_group_order,
        source_column,
        category_level,
        is_other_level,
        is_log_scaled,
        feature_mean,
        feature_scale,
        coefficient
    from {{ source('model_parameters', 'lead_score_coefficients') }}
),

final as (
    select * from lead_score_coefficients
)

select * from final
