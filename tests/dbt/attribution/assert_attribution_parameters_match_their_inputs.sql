{#- Fails with every conversion type whose stored attribution parameters (schema model_parameters, written by
    the training step of `gtm build` / `gtm run`) were not trained on the paths int_attribution_paths_listed
    holds now: a conversion type without parameters, or whose journey or conversion counts differ. A plain
    `dbt build` after the data changed scores with the last trained parameters; this says so. -#}

with

paths as (
    select
        conversion_type,
        is_conversion
    from {{ ref('int_attribution_paths_listed') }}
),

markov_shares as (
    select
        conversion_type,
        training_journeys,
        training_conversions
    from {{ ref('stg_model_parameters__attribution_markov_shares') }}
),

data_driven_coefficients as (
    select
        conversion_type,
        training_journeys,
        training_conversions
    from {{ ref('stg_model_parameters__attribution_data_driven_coefficients') }}
),

current_counts as (
    select
        conversion_type,
        count(*) as journeys,
        sum(case when is_conversion then 1 else 0 end) as conversions
    from paths
    group by conversion_type
),

trained_counts as (
    select distinct
        'markov' as attribution_model,
        conversion_type,
        training_journeys,
        training_conversions
    from markov_shares
    union all
    select distinct
        'data_driven' as attribution_model,
        conversion_type,
        training_journeys,
        training_conversions
    from data_driven_coefficients
),

models as (
    select 'markov' as attribution_model
    union all
    select 'data_driven' as attribution_model
),

final as (
    select
        models.attribution_model,
        current_counts.conversion_type,
        current_counts.journeys,
        current_counts.conversions,
        trained_counts.training_journeys,
        trained_counts.training_conversions
    from current_counts
    cross join models
    left join trained_counts
        on
            current_counts.conversion_type = trained_counts.conversion_type
            and models.attribution_model = trained_counts.attribution_model
    where
        trained_counts.training_journeys is null
        or trained_counts.training_journeys != current_counts.journeys
        or trained_counts.training_conversions != current_counts.conversions
)

select * from final
