{#- One row per conversion, data-driven attribution model (`markov`, `shapley`, `data_driven`) and channel on
    its path: the channel's share of the conversion (1 per conversion and model), applied in SQL from what the
    training step stored (gtm/training/attribution.py; schema model_parameters).
    - markov: the channels' removal-effect shares (per conversion type), renormalised over the conversion's
      channels (an equal split when they all have share 0);
    - shapley: 1/k to each of the k distinct channels (the count-based Shapley value; no parameters);
    - data_driven: the exact Shapley values of the fitted probability sigmoid(b0 + sum beta_c log(1 + touches_c))
      over the subsets of the conversion's channel keys (channel with its ad platform), v(S) = p(S) - p({}),
      scaled to sum to 1 (an equal split when every beta is 0). Subsets from
      int_attribution_channel_subsets_enumerated; a channel key without a coefficient has beta 0. -#}

with

conversions as (
    select
        conversion_id,
        conversion_type
    from {{ ref('int_attribution_paths_listed') }}
    where is_conversion
),

journeys as (
    select
        conversion_id,
        attribution_channel,
        coalesce(channel, '(none)') as channel
    from {{ ref('int_attribution_journeys_joined') }}
),

markov_shares as (
    select
        conversion_type,
        channel,
        channel_share
    from {{ ref('stg_model_parameters__attribution_markov_shares') }}
),

data_driven_coefficients as (
    select
        conversion_type,
        channel_key,
        coefficient,
        intercept
    from {{ ref('stg_model_parameters__attribution_data_driven_coefficients') }}
),

subsets as (
    select
        player_count,
        subset_mask,
        subset_size,
        player_position,
        player_bit,
        shapley_weight
    from {{ ref('int_attribution_channel_subsets_enumerated') }}
),

conversion_channels as (
    select distinct
        conversions.conversion_id,
        conversions.conversion_type,
        journeys.channel
    from conversions
    inner join journeys
        on conversions.conversion_id = journeys.conversion_id
),

markov_weighted as (
    select
        conversion_channels.conversion_id,
        conversion_channels.conversion_type,
        conversion_channels.channel,
        coalesce(markov_shares.channel_share, 0) as channel_share,
        sum(coalesce(markov_shares.channel_share, 0))
            over (partition by conversion_channels.conversion_id)
            as total_share,
        count(*) over (partition by conversion_channels.conversion_id) as channel_count
    from conversion_channels
    left join markov_shares
        on
            conversion_channels.conversion_type = markov_shares.conversion_type
            and conversion_channels.channel = markov_shares.channel
),

markov_and_shapley as (
    select
        conversion_id,
        conversion_type,
        'markov' as attribution_model,
        channel as channel_key,
        false as is_platform_split,
        case
            when total_share > 0 then channel_share / total_share
            else cast(1 as {{ type_double() }}) / channel_count
        end as channel_credit
    from markov_weighted
    union all
    select
        conversion_id,
        conversion_type,
        'shapley' as attribution_model,
        channel as channel_key,
        false as is_platform_split,
        cast(1 as {{ type_double() }}) / channel_count as channel_credit
    from markov_weighted
),

-- The data-driven game's players: each channel key of the conversion, its position, and its term of the sum.
touch_counts as (
    select
        conversions.conversion_id,
        conversions.conversion_type,
        journeys.attribution_channel as channel_key,
        count(*) as touches
    from conversions
    inner join journeys
        on conversions.conversion_id = journeys.conversion_id
    group by conversions.conversion_id, conversions.conversion_type, journeys.attribution_channel
),

intercepts as (
    select distinct
        conversion_type,
        intercept
    from data_driven_coefficients
),

players as (
    select
        touch_counts.conversion_id,
        touch_counts.conversion_type,
        touch_counts.channel_key,
        intercepts.intercept,
        coalesce(data_driven_coefficients.coefficient, 0) * ln(1 + touch_counts.touches) as contribution,
        row_number() over (
            partition by touch_counts.conversion_id order by touch_counts.channel_key
        ) - 1 as player_position,
        count(*) over (partition by touch_counts.conversion_id) as player_count
    from touch_counts
    left join data_driven_coefficients
        on
            touch_counts.conversion_type = data_driven_coefficients.conversion_type
            and touch_counts.channel_key = data_driven_coefficients.channel_key
    left join intercepts
        on touch_counts.conversion_type = intercepts.conversion_type
),

-- v(T) for every non-empty subset T of a conversion's players: p(T) - p({}).
subset_values as (
    select
        players.conversion_id,
        subsets.subset_mask,
        1.0 / (1.0 + exp(-(max(players.intercept) + sum(players.contribution))))
        - 1.0 / (1.0 + exp(-max(players.intercept))) as subset_value
    from players
    inner join subsets
        on
            players.player_count = subsets.player_count
            and players.player_position = subsets.player_position
    group by players.conversion_id, subsets.subset_mask
),

-- Each player's Shapley value: its weighted marginal contributions v(T) - v(T without it) over T holding it.
shapley_values as (
    select
        players.conversion_id,
        players.channel_key,
        sum(
            subsets.shapley_weight
            * (with_player.subset_value - coalesce(without_player.subset_value, 0))
        ) as shapley_value
    from players
    inner join subsets
        on
            players.player_count = subsets.player_count
            and players.player_position = subsets.player_position
    inner join subset_values as with_player
        on
            players.conversion_id = with_player.conversion_id
            and subsets.subset_mask = with_player.subset_mask
    left join subset_values as without_player
        on
            players.conversion_id = without_player.conversion_id
            and subsets.subset_mask - subsets.player_bit = without_player.subset_mask
    group by players.conversion_id, players.channel_key
),

-- Every player, with its value: none for a conversion with more channel keys than the subsets enumerate
-- (its credits stay null and the not_null check fails rather than crediting it approximately).
data_driven as (
    select
        players.conversion_id,
        players.conversion_type,
        players.channel_key,
        players.player_count,
        greatest(shapley_values.shapley_value, 0) as shapley_value,
        sum(greatest(shapley_values.shapley_value, 0))
            over (partition by players.conversion_id)
            as total_value
    from players
    left join shapley_values
        on
            players.conversion_id = shapley_values.conversion_id
            and players.channel_key = shapley_values.channel_key
),

final as (
    select * from markov_and_shapley
    union all
    select
        conversion_id,
        conversion_type,
        'data_driven' as attribution_model,
        channel_key,
        true as is_platform_split,
        case
            when player_count > {{ var('attribution_data_driven_max_channels') }} then null
            when total_value > 0 then shapley_value / total_value
            else cast(1 as {{ type_double() }}) / player_count
        end as channel_credit
    from data_driven
)

select * from final
