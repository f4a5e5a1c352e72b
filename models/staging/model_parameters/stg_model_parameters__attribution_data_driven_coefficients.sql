with

attribution_data_driven_coefficients as (
    select
        conversion_type,
        channel_key,
        coefficient,
        intercept,
        training_journeys,
        training_conversions,
        training_distinct_paths
    from {{ source('model_parameters', 'attribution_data_driven_coefficients') }}
),

final as (
    select * from attribution_data_driven_coefficients
)

select * from final
