"""Training of the data-driven attribution models: Markov removal effects and the fitted model.

`train` reads every journey's paths (int_attribution_paths_listed: ordered channels, converting or
not) and returns the parameters the SQL model int_attribution_channels_credited applies on every
engine (docs/engines.md): each channel's Markov share (removal effects, an exact linear solve per
removed channel) and the data-driven model's intercept and non-negative coefficients (a constrained
Newton fit). Shapley needs no training: it is 1/k per distinct channel, plain SQL.

Paths are aggregated before any modelling, so the numerical work runs on the distinct paths,
whatever the number of journeys. Everything is deterministic: no sampling, no simulation, no
random start, no clock.

`credit_conversions` applies the same parameters in Python, exactly as the SQL model does: the
reference that tests/models/test_attribution_models.py checks against hand-solved cases and
brute-force Shapley values, and compares with what the SQL model built. The build never runs it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from math import factorial
from typing import Any

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
    """Coalition values of the count-based game of Zhao et al. (2018) over `players`.

    `set_counts`: {frozenset of channels: (conversions, non_conversions)} over all journeys. The
    value of a coalition S is the number of conversions of the journeys whose channel set is a
    subset of S: sum over T subset of S of conversions(T). Subset sums by a zeta transform over the
    players' bit masks. Returns the list of values indexed by mask (bit i = players[i]).
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


def shapley_conversion_credits(channel_set):
    """Credit a conversion's Shapley values: 1 / k to each of the k distinct channels on its path.

    The game of the whole data set, v(S) = conversions of the journeys whose channel set is a
    subset of S, is the sum over conversions of the unanimity game of each conversion's channel set
    T (1 when T is a subset of S, else 0). The Shapley value is additive and gives each member of T
    1 / |T| in T's unanimity game, so these credits, summed over the conversions, are exactly the
    Shapley values of the whole game (Zhao et al. 2018's simplified formula).
    """
    channels = sorted(set(channel_set))
    return {channel: 1.0 / len(channels) for channel in channels}


# --------------------------------------------------------------------------------------------
# Data-driven: a fitted conversion model, credited by the Shapley values of its prediction

# An L2 penalty on the channel coefficients (not the intercept), in units of journeys: negligible
# against thousands of journeys, it keeps a channel seen only on converting paths finite.
RIDGE = 1.0


def channel_counts(path):
    """{channel: touches} of a path (a sequence of channels)."""
    counts = {}
    for channel in path:
        counts[channel] = counts.get(channel, 0) + 1
    return counts


def channel_features(counts, channels):
    """Return a path's features: log(1 + touches) per channel (diminishing returns)."""
    from math import log1p

    return [log1p(counts.get(channel, 0)) for channel in channels]


def fit_conversion_model(features, conversions, non_conversions, ridge=RIDGE):
    """Fit P(conversion) = sigmoid(b0 + sum_c beta_c x_c) with beta_c >= 0 by exact Newton steps.

    `features`: one row per distinct path (x_c per channel); `conversions`, `non_conversions`: its
    journeys that converted and did not. Maximises the binomial likelihood minus ridge/2 |beta|^2
    with every channel coefficient bounded below by 0 (a touch is not allowed to lower the odds):
    Newton steps on the free coefficients (a coefficient at 0 whose gradient points below 0 is held
    there), projected onto the bound with step halving until the objective falls. Starts from
    beta = 0 and the overall conversion rate; deterministic. Returns (b0, [beta_c]).
    """
    import numpy

    data = numpy.asarray(features, dtype=float).reshape(len(conversions), -1)
    converted = numpy.asarray(conversions, dtype=float)
    journeys = converted + numpy.asarray(non_conversions, dtype=float)
    design = numpy.hstack([numpy.ones((len(data), 1)), data])
    size = design.shape[1]
    penalty = numpy.full(size, float(ridge))
    penalty[0] = 0.0
    rate = min(max(converted.sum() / max(journeys.sum(), 1.0), 1e-9), 1 - 1e-9)
    theta = numpy.zeros(size)
    theta[0] = numpy.log(rate / (1 - rate))

    def objective(candidate):
        linear = design @ candidate
        return float(
            journeys @ numpy.logaddexp(0.0, linear)
            - converted @ linear
            + 0.5 * penalty @ (candidate * candidate)
        )

    current = objective(theta)
    for _ in range(200):
        probability = 1.0 / (1.0 + numpy.exp(-(design @ theta)))
        gradient = design.T @ (journeys * probability - converted) + penalty * theta
        hessian = design.T @ (design * (journeys * probability * (1 - probability))[:, None])
        hessian += numpy.diag(penalty)
        free = numpy.ones(size, dtype=bool)
        free[1:] = ~((theta[1:] <= 0) & (gradient[1:] > 0))
        step = numpy.zeros(size)
        step[free] = numpy.linalg.solve(hessian[numpy.ix_(free, free)], gradient[free])
        length = 1.0
        while True:
            candidate = theta - length * step
            candidate[1:] = numpy.maximum(candidate[1:], 0.0)
            value = objective(candidate)
            if value <= current or length < 1e-12:
                break
            length /= 2
        moved = float(numpy.max(numpy.abs(candidate - theta)))
        theta, current = candidate, min(value, current)
        if moved < 1e-12:
            break
    return float(theta[0]), [float(beta) for beta in theta[1:]]


def data_driven_path_credits(paths, intercept, coefficients):
    """Credit each path's channels by the Shapley values of the fitted probability.

    `paths`: a list of {channel: touches}; `coefficients`: {channel: beta_c}. For a path with
    channels P, the game is v(S) = p(S) - p({}) over S subset of P, p(S) = sigmoid(b0 + sum over c
    in S of beta_c log(1 + touches_c)): the predicted conversion probability with only S's touches
    (the counterfactual of removing the others). Its exact Shapley values add up to v(P); divided
    by v(P) they are the credits. All beta_c >= 0, so v never falls as a channel joins and no
    credit is negative; a path whose channels all have beta = 0 (v(P) = 0) is split equally.
    Vectorised over the paths sharing a channel set. Returns a list of {channel: credit}.
    """
    import numpy

    results = [None] * len(paths)
    groups = {}
    for position, counts in enumerate(paths):
        groups.setdefault(tuple(sorted(counts)), []).append(position)
    for channels, positions in groups.items():
        size = len(channels)
        masks = numpy.arange(1 << size)
        members = (masks[:, None] >> numpy.arange(size)[None, :]) & 1
        contributions = numpy.array(
            [
                [
                    coefficients.get(channel, 0.0) * numpy.log1p(paths[p][channel])
                    for channel in channels
                ]
                for p in positions
            ]
        )
        base = 1.0 / (1.0 + numpy.exp(-intercept))
        values = 1.0 / (1.0 + numpy.exp(-(intercept + contributions @ members.T))) - base
        sizes = members.sum(axis=1)
        weights = numpy.array(
            [
                factorial(count) * factorial(size - count - 1) / factorial(size)
                for count in range(size)
            ]
        )
        shapley = numpy.zeros((len(positions), size))
        for bit in range(size):
            without = masks[(masks >> bit & 1) == 0]
            shapley[:, bit] = (values[:, without | 1 << bit] - values[:, without]) @ weights[
                sizes[without]
            ]
        for row, position in enumerate(positions):
            results[position] = normalise_shares(
                {channel: float(shapley[row, bit]) for bit, channel in enumerate(channels)}
            )
    return results


# ------------------------------------------------------------------------------------ training

SEPARATOR = " > "
MODELS = ("markov", "shapley", "data_driven")


@dataclass(frozen=True)
class Journey:
    """One row of int_attribution_paths_listed, its paths split into channels."""

    conversion_type: str
    conversion_id: str | None
    is_conversion: bool
    path: tuple[str, ...]
    platform_path: tuple[str, ...]
    history: tuple[str, ...]


@dataclass(frozen=True)
class Parameters:
    """What `train` learnt for one conversion type, and what it learnt it from."""

    conversion_type: str
    markov_effects: dict[str, float]
    """Removal effect of each channel of the paths."""
    markov_shares: dict[str, float]
    """The removal effects scaled to sum to 1."""
    intercept: float
    coefficients: dict[str, float]
    """The data-driven model's coefficient of each channel key (with its ad platform)."""
    journeys: int
    conversions: int
    distinct_paths: int
    distinct_histories: int


def journeys_from_rows(rows: Iterable[Sequence[Any]]) -> list[Journey]:
    """Turn rows of int_attribution_paths_listed into journeys, the paths split on SEPARATOR.

    Each row: (conversion_type, conversion_id, is_conversion, channel_path,
    attribution_channel_path, history_attribution_channel_path).
    """
    return [
        Journey(
            str(conversion_type),
            None if conversion_id is None else str(conversion_id),
            bool(is_conversion),
            tuple(str(path).split(SEPARATOR)),
            tuple(str(platform_path).split(SEPARATOR)),
            tuple(str(history).split(SEPARATOR)),
        )
        for conversion_type, conversion_id, is_conversion, path, platform_path, history in rows
    ]


def train(journeys: Iterable[Journey]) -> list[Parameters]:
    """Train both models for each conversion type, in conversion-type order.

    Markov plays on the journeys' channels. The data-driven model fits its conversion probability
    on the histories (every touch up to the conversion, or ever for a journey that did not
    convert: no window anchored on a burst of touches), on channel keys with their ad platform.
    """
    by_type: dict[str, list[Journey]] = {}
    for journey in journeys:
        by_type.setdefault(journey.conversion_type, []).append(journey)
    trained = []
    for conversion_type in sorted(by_type):
        type_journeys = by_type[conversion_type]
        markov_paths: dict[tuple[str, ...], tuple[int, int]] = {}
        histories: dict[tuple[str, ...], tuple[int, int]] = {}
        for journey in type_journeys:
            for paths, key in ((markov_paths, journey.path), (histories, journey.history)):
                converted, not_converted = paths.get(key, (0, 0))
                paths[key] = (
                    converted + journey.is_conversion,
                    not_converted + (not journey.is_conversion),
                )
        _, effects = markov_removal_effects(
            [(list(path), *counts) for path, counts in sorted(markov_paths.items())]
        )
        ordered = sorted(histories.items())
        counts = [channel_counts(path) for path, _ in ordered]
        channels = sorted({channel for path_counts in counts for channel in path_counts})
        intercept, betas = fit_conversion_model(
            [channel_features(path_counts, channels) for path_counts in counts],
            [converted for _, (converted, _) in ordered],
            [not_converted for _, (_, not_converted) in ordered],
        )
        trained.append(
            Parameters(
                conversion_type=conversion_type,
                markov_effects=effects,
                markov_shares=normalise_shares(effects),
                intercept=intercept,
                coefficients=dict(zip(channels, betas, strict=True)),
                journeys=len(type_journeys),
                conversions=sum(journey.is_conversion for journey in type_journeys),
                distinct_paths=len(markov_paths),
                distinct_histories=len(histories),
            )
        )
    return trained


# ------------------------------------------------------------------ reference crediting (tests)


def credit_conversions(journeys: Iterable[Journey]) -> list[tuple]:
    """Train, then credit every converting journey's channels in the three models, in Python.

    The reference of what int_attribution_channels_credited (SQL) computes from the stored
    parameters. The data-driven model credits the channels with their ad platform
    (`attribution_channel`) of each conversion's journey. Returns rows (conversion_id,
    conversion_type, attribution_model, channel_key, is_platform_split, channel_credit), sorted.
    """
    journeys = list(journeys)
    parameters = {trained.conversion_type: trained for trained in train(journeys)}
    rows = []
    for conversion_type in sorted(parameters):
        trained = parameters[conversion_type]
        converting = sorted(
            (
                journey
                for journey in journeys
                if journey.conversion_type == conversion_type and journey.is_conversion
            ),
            key=lambda journey: str(journey.conversion_id),
        )
        platform_paths = sorted({journey.platform_path for journey in converting})
        fitted = dict(
            zip(
                platform_paths,
                data_driven_path_credits(
                    [channel_counts(path) for path in platform_paths],
                    trained.intercept,
                    trained.coefficients,
                ),
                strict=True,
            )
        )
        for journey in converting:
            for model_name, credits, split in (
                ("markov", markov_path_credits(journey.path, trained.markov_shares), False),
                ("shapley", shapley_conversion_credits(journey.path), False),
                ("data_driven", fitted[journey.platform_path], True),
            ):
                for channel in sorted(credits):
                    rows.append(
                        (
                            journey.conversion_id,
                            conversion_type,
                            model_name,
                            channel,
                            split,
                            credits[channel],
                        )
                    )
    return rows
