"""Data-driven attribution: Markov (order 1, exact removal effects) and Shapley (exact, path-based).

One row per conversion x touchpoint x attribution model ('markov', 'shapley'), with the touch's
share of the conversion (`credit`; credits sum to 1 per conversion and model). See the doc block
`attribution__algorithmic` for the rules.

Paths are aggregated before any modelling (path -> conversions, non-conversions; channel set ->
credits), so the Python part works on a few hundred distinct paths whatever the number of journeys,
and the per-touch rows are produced by one SQL join in DuckDB. Everything is deterministic: no
sampling, no simulation.

The math lives in plain functions below (no dbt, no DuckDB) so tests/test_attribution_models.py can
load this file with importlib and check them against hand-solved cases and a brute-force Shapley
reference.
"""

from itertools import pairwise
from math import factorial

START = "(start)"


# ---------------------------------------------------------------------------------------------
# Markov


def markov_transition_counts(paths):
    """Count order-1 transitions over aggregated paths.

    `paths`: iterable of (channels, conversions, non_conversions); `channels` is the ordered
    sequence of channels of a journey. Each path contributes `conversions + non_conversions`
    transitions start -> c1 -> ... -> cn, then `conversions` transitions cn -> conversion and
    `non_conversions` transitions cn -> null. Returns (channels sorted, {state: {next_state:
    count}}, {state: conv count}). Self-transitions (a channel followed by itself) are counted; they
    do not change absorption probabilities.
    """
    transitions = {}
    to_conversion = {}
    channels = set()
    for path, conversions, non_conversions in paths:
        path = list(path)
        total = conversions + non_conversions
        if not path or total <= 0:
            continue
        channels.update(path)
        states = [START, *path]
        for origin, target in pairwise(states):
            row = transitions.setdefault(origin, {})
            row[target] = row.get(target, 0) + total
        last = states[-1]
        to_conversion[last] = to_conversion.get(last, 0) + conversions
        # Out-degree also counts the transitions to null; keep them under the key None.
        row = transitions.setdefault(last, {})
        row[None] = row.get(None, 0) + non_conversions
    return sorted(channels), transitions, to_conversion


def markov_conversion_probability(channels, transitions, to_conversion, removed=None):
    """Solve P(conversion from start) exactly in the absorbing chain (numpy.linalg.solve).

    Transient states: start and every channel except `removed`; absorbing: conversion and null.
    Removing a channel sends every transition into it to null. With Q the transient-to-transient
    block and r the transient-to-conversion column, the absorption probabilities x solve (I - Q) x =
    r (x = N r with N = (I - Q)^-1 the fundamental matrix); the answer is x[start].
    """
    import numpy

    states = [START] + [channel for channel in channels if channel != removed]
    index = {state: position for position, state in enumerate(states)}
    size = len(states)
    matrix = numpy.eye(size)
    rhs = numpy.zeros(size)
    for state in states:
        row = transitions.get(state, {})
        out_count = sum(row.values()) + to_conversion.get(state, 0)
        if out_count == 0:
            continue
        origin = index[state]
        for target, count in row.items():
            if target is not None and target in index:
                matrix[origin, index[target]] -= count / out_count
        rhs[origin] = to_conversion.get(state, 0) / out_count
    solution = numpy.linalg.solve(matrix, rhs)
    return float(solution[0])


def markov_removal_effects(paths):
    """Compute each channel's removal effect: 1 - P(conversion without it) / P(conversion).

    Returns (P(conversion), {channel: removal effect}). With no conversions every effect is 0.
    """
    channels, transitions, to_conversion = markov_transition_counts(paths)
    if not channels:
        return 0.0, {}
    base = markov_conversion_probability(channels, transitions, to_conversion)
    effects = {}
    for channel in channels:
        if base <= 0:
            effects[channel] = 0.0
            continue
        without = markov_conversion_probability(
            channels, transitions, to_conversion, removed=channel
        )
        effects[channel] = 1.0 - without / base
    return base, effects


def normalise_shares(weights):
    """Scale non-negative weights to sum to 1; equal shares when they are all zero.

    Markov removal effects and count-based Shapley values are never negative; a negative weight
    can only be a floating-point rounding error around 0 and counts as 0.
    """
    positive = {key: max(value, 0.0) for key, value in weights.items()}
    total = sum(positive.values())
    if total <= 0:
        return {key: 1.0 / len(weights) for key in weights} if weights else {}
    return {key: value / total for key, value in positive.items()}


def markov_path_credits(channel_set, shares):
    """Credit a conversion's channels with the Markov shares, renormalised over its channels.

    The global shares of the channels on the path, scaled to sum to 1 (an equal split if they all
    have share 0).
    """
    channel_set = sorted(set(channel_set))
    return normalise_shares({channel: shares.get(channel, 0.0) for channel in channel_set})


# --------------------------------------------------------------------------------------------
# Shapley


def shapley_values(players, value):
    """Compute the exact Shapley values of the game (players, value: frozenset -> float).

    phi_i = sum over S subset of N - {i} of |S|! (n - |S| - 1)! / n! * (v(S + i) - v(S)). Uses bit
    masks: O(n 2^n) evaluations of cached coalition values, no cap on n.
    """
    players = sorted(players)
    size = len(players)
    values = [
        value(frozenset(p for bit, p in enumerate(players) if mask >> bit & 1))
        for mask in range(1 << size)
    ]
    return _shapley_from_mask_values(players, values)


def _shapley_from_mask_values(players, values):
    size = len(players)
    weights = [
        factorial(count) * factorial(size - count - 1) / factorial(size) for count in range(size)
    ]
    result = {}
    for bit, player in enumerate(players):
        flag = 1 << bit
        total = 0.0
        for mask in range(1 << size):
            if mask & flag:
                continue
            total += weights[bin(mask).count("1")] * (values[mask | flag] - values[mask])
        result[player] = total
    return result


def shapley_coalition_values(players, set_counts):
    """Coalition values of the path-based game over `players` (a channel set).

    `set_counts`: {frozenset of channels: (conversions, non_conversions)} over all journeys. The
    value of a coalition S is the number of conversions of the journeys whose channel set is a
    subset of S (Zhao et al. 2018): sum over T subset of S of conversions(T). It never decreases as
    channels join, so every marginal contribution, and every Shapley value, is >= 0. Subset sums by
    a zeta transform over the players' bit masks. Returns the list of values indexed by mask (bit i
    = players[i]).
    """
    players = sorted(players)
    size = len(players)
    index = {player: bit for bit, player in enumerate(players)}
    conversions = [0.0] * (1 << size)
    for channel_set, (converted, _not_converted) in set_counts.items():
        if not channel_set or any(channel not in index for channel in channel_set):
            continue
        mask = 0
        for channel in channel_set:
            mask |= 1 << index[channel]
        conversions[mask] += converted
    for bit in range(size):
        flag = 1 << bit
        for mask in range(1 << size):
            if mask & flag:
                conversions[mask] += conversions[mask ^ flag]
    return conversions


def shapley_path_credits(channel_set, set_counts):
    """Credit a conversion's channels with the Shapley values of its path's game, normalised.

    The Shapley values of the game restricted to the channels on its path add up to v(path)
    (efficiency) and are never negative, so divided by v(path) they are shares summing to 1. A path
    that never converted (v = 0, not a conversion's path) gives an equal split.
    """
    players = sorted(set(channel_set))
    values = shapley_coalition_values(players, set_counts)
    return normalise_shares(_shapley_from_mask_values(players, values))


# ------------------------------------------------------------------------------------------ dbt
# model

_PATHS_SQL = """
with

touches as (
    select
        person_id,
        touchpoint_id,
        touched_at,
        coalesce(channel, '(none)') as channel
    from __attr_touchpoints
    where not is_part_of_web_session
),

conversion_types as (
    select distinct conversion_type
    from __attr_conversions
),

converted_people as (
    select distinct
        conversions.conversion_type,
        bridged.person_id
    from __attr_conversions as conversions
    inner join __attr_bridged as bridged
        on conversions.opportunity_id = bridged.opportunity_id
),

-- Every person's path: their touches within the lookback window before their last touch (a join to
-- each person's last touch costs less than a window over every touch).
last_touches as (
    select
        person_id,
        max(touched_at) as last_touched_at
    from touches
    group by person_id
),

person_paths as (
    select
        touches.person_id,
        list(touches.channel order by touches.touched_at, touches.touchpoint_id) as path
    from touches
    inner join last_touches
        on touches.person_id = last_touches.person_id
    where touches.touched_at >= last_touches.last_touched_at - to_days(cast(? as integer))
    group by touches.person_id
),

-- Non-converting journeys: the path of every person with touches who is linked to no opportunity
-- converting with this conversion type.
non_converting_paths as (
    select
        conversion_types.conversion_type,
        person_paths.path,
        0 as is_conversion
    from person_paths
    cross join conversion_types
    left join converted_people
        on
            conversion_types.conversion_type = converted_people.conversion_type
            and person_paths.person_id = converted_people.person_id
    where converted_people.person_id is null
),

converting_paths as (
    select
        conversion_type,
        list(coalesce(channel, '(none)') order by touch_number) as path,
        1 as is_conversion
    from __attr_journeys
    group by conversion_type, conversion_id
),

paths as (
    select * from converting_paths
    union all
    select * from non_converting_paths
)

select
    conversion_type,
    path,
    array_to_string(list_sort(list_distinct(path)), chr(31)) as channel_set_key,
    list_sort(list_distinct(path)) as channel_set,
    sum(is_conversion) as conversions,
    sum(1 - is_conversion) as non_conversions
from paths
group by conversion_type, path
order by conversion_type, channel_set_key, conversions, non_conversions
"""

_TOUCH_ROWS_SQL = """
with

journeys as (
    select
        conversion_id,
        conversion_type,
        opportunity_id,
        touchpoint_id,
        coalesce(channel, '(none)') as channel
    from __attr_journeys
),

keyed as (
    select
        journeys.*,
        array_to_string(
            list_sort(
                list_distinct(list(journeys.channel) over (partition by journeys.conversion_id))
            ),
            chr(31)
        ) as channel_set_key,
        count(*) over (partition by journeys.conversion_id, journeys.channel) as channel_touches
    from journeys
)

select
    keyed.conversion_id,
    keyed.conversion_type,
    keyed.opportunity_id,
    keyed.touchpoint_id,
    credits.attribution_model,
    credits.channel_credit / keyed.channel_touches as credit
from keyed
inner join __attr_channel_credits as credits
    on
        keyed.conversion_type = credits.conversion_type
        and keyed.channel_set_key = credits.channel_set_key
        and keyed.channel = credits.channel
"""


def channel_credits_by_set(path_rows):
    """Credit each channel of each converting channel set, per conversion type and model.

    `path_rows`: aggregated paths (conversion_type, path, channel_set_key, channel_set, conversions,
    non_conversions). Returns a list of (conversion_type, attribution_model, channel_set_key,
    channel, channel_credit).
    """
    by_type = {}
    for conversion_type, path, key, channel_set, conversions, non_conversions in path_rows:
        by_type.setdefault(conversion_type, []).append(
            (list(path), key, tuple(channel_set), int(conversions), int(non_conversions))
        )
    rows = []
    for conversion_type in sorted(by_type):
        type_paths = by_type[conversion_type]
        _, effects = markov_removal_effects(
            [
                (path, conversions, non_conversions)
                for path, _, _, conversions, non_conversions in type_paths
            ]
        )
        shares = normalise_shares(effects)
        set_counts = {}
        converting_sets = {}
        for _, key, channel_set, conversions, non_conversions in type_paths:
            converted, not_converted = set_counts.get(frozenset(channel_set), (0, 0))
            set_counts[frozenset(channel_set)] = (
                converted + conversions,
                not_converted + non_conversions,
            )
            if conversions > 0:
                converting_sets[key] = channel_set
        for key in sorted(converting_sets):
            channel_set = converting_sets[key]
            for model_name, credits in (
                ("markov", markov_path_credits(channel_set, shares)),
                ("shapley", shapley_path_credits(channel_set, set_counts)),
            ):
                for channel in sorted(credits):
                    rows.append((conversion_type, model_name, key, channel, credits[channel]))
    return rows


def model(dbt, session):
    """Aggregate paths in SQL, credit channel sets in Python, split over touches in SQL."""
    dbt.config(materialized="table")
    # var("attribution_lookback_days") through the YAML `meta` config (dbt parses literal calls).
    lookback_days = int(dbt.config.meta_get("lookback_days", 90))

    session.register("__attr_journeys", dbt.ref("int_attribution_journeys_joined"))
    session.register("__attr_conversions", dbt.ref("int_attribution_conversions_listed"))
    session.register("__attr_touchpoints", dbt.ref("int_touchpoints_unioned"))
    session.register("__attr_bridged", dbt.ref("int_opportunity_people_bridged"))

    path_rows = session.execute(_PATHS_SQL, [lookback_days]).fetchall()
    credit_rows = channel_credits_by_set(path_rows)

    # One Arrow table, not row-by-row inserts (executemany costs about 0.5 ms a row).
    import pyarrow

    columns = ["conversion_type", "attribution_model", "channel_set_key", "channel"]
    credits = pyarrow.table(
        {
            **{
                name: pyarrow.array([row[index] for row in credit_rows], pyarrow.string())
                for index, name in enumerate(columns)
            },
            "channel_credit": pyarrow.array([row[4] for row in credit_rows], pyarrow.float64()),
        }
    )
    session.register("__attr_channel_credits", credits)

    return session.sql(_TOUCH_ROWS_SQL)
