{#- One row per number of players k (1 to var('attribution_data_driven_max_channels')), non-empty subset of
    players 0..k-1 (a bit mask below 2^k) and member of that subset: the spine over which the data-driven
    attribution (int_attribution_channels_credited) computes exact Shapley values. For a member i of subset T,
    `shapley_weight` is |S|! (k - |S| - 1)! / k! with S = T without i: the weight of i's marginal
    contribution v(T) - v(S). Built from integer sums only (no bit operators), so every engine computes it
    alike; the weights are rendered as exact decimal strings (the float Python computes), cast to a double. -#}

{%- set max_players = var('attribution_data_driven_max_channels') | int %}
{%- set weights = [] %}
{%- for player_count in range(1, max_players + 1) %}
    {%- set pascal = namespace(combinations=1) %}
    {%- for coalition_size in range(player_count) %}
        {#- 1 / (k * C(k - 1, s)) = s! (k - s - 1)! / k!, divided as Python divides integers. -#}
        {%- do weights.append((player_count, coalition_size, 1 / (player_count * pascal.combinations))) %}
        {%- set pascal.combinations = pascal.combinations * (player_count - 1 - coalition_size)
            // (coalition_size + 1) %}
    {%- endfor %}
{%- endfor %}

with

bits as (
    select 0 as is_set
    union all
    select 1 as is_set
),

-- One row per bit mask below 2^max: each bit set or not, the mask and its size as sums of those bits.
masks as (
    select
        {%- for position in range(max_players) %}
            bit_{{ position }}.is_set as is_set_{{ position }},
        {%- endfor %}
        0
        {%- for position in range(max_players) %}
            + bit_{{ position }}.is_set * {{ 2 ** position }}
        {%- endfor %} as subset_mask,
        0
        {%- for position in range(max_players) %}
            + bit_{{ position }}.is_set
        {%- endfor %} as subset_size
    from
        bits as bit_0
        {%- for position in range(1, max_players) %}
        cross join bits as bit_{{ position }}
        {%- endfor %}
),

members as (
    {%- for position in range(max_players) %}
        select
            subset_mask,
            subset_size,
            {{ position }} as player_position,
            {{ 2 ** position }} as player_bit
        from masks
        where is_set_{{ position }} = 1
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

player_counts as (
    {%- for player_count in range(1, max_players + 1) %}
        select
            {{ player_count }} as player_count,
            {{ 2 ** player_count }} as mask_limit
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

shapley_weights as (
    {%- for player_count, coalition_size, weight in weights %}
        select
            {{ player_count }} as player_count,
            {{ coalition_size }} as coalition_size,
            cast('{{ weight }}' as {{ type_double() }}) as shapley_weight
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

final as (
    select
        player_counts.player_count,
        members.subset_mask,
        members.subset_size,
        members.player_position,
        members.player_bit,
        shapley_weights.shapley_weight
    from members
    inner join player_counts
        on members.subset_mask < player_counts.mask_limit
    inner join shapley_weights
        on
            player_counts.player_count = shapley_weights.player_count
            and members.subset_size - 1 = shapley_weights.coalition_size
)

select * from final
