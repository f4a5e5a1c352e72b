with

attribution_markov_shares as (
    select
        conversion_type,
        channel,
        removal_effect,
        channel_share,
        training_journeys,
        training_conversions,
        training_distinct_paths
    from {{ source('model_parameters', 'attribution_markov_shares') }}
),

final as (
    select * from attribution_markov_shares
)

select * from final
