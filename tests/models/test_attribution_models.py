"""The data-driven attribution models (Markov, Shapley) of
models/intermediate/attribution/int_touchpoints_attributed_algorithmically.py.

dbt Python models cannot import project modules, so the math lives in the model file; it is loaded
here with importlib and checked against hand-solved chains, hand-computed Shapley games and a
brute-force Shapley reference (every ordering of the players, exact fractions). The whole model
(paths SQL, Python, per-touch split) also runs on an in-memory DuckDB with a stand-in for dbt's
`dbt` object.
"""

import itertools
import random
from datetime import datetime, timedelta
from fractions import Fraction
from math import factorial

import pytest

numpy = pytest.importorskip("numpy")
duckdb = pytest.importorskip("duckdb")

from attribution_peers import FakeDbt, load_model_module  # noqa: E402

algo = load_model_module()


def approx(expected):
    return pytest.approx(expected, abs=1e-12)


# ---------------------------------------------------------------------------------------------
# Markov


def test_markov_hand_solved_two_channel_chain():
    # Journeys: A > B converts, A does not, B converts.
    # start -> A 2/3, start -> B 1/3; A -> B 1/2, A -> null 1/2; B -> conversion 1.
    # x_B = 1, x_A = 1/2, P = 2/3 * 1/2 + 1/3 * 1 = 2/3 (the overall conversion rate, as it must
    # be).
    # Without A: start -> A goes to null, P = 1/3: effect 1 - (1/3) / (2/3) = 1/2.
    # Without B: x_A = 0, P = 0: effect 1. Shares: A 1/3, B 2/3.
    paths = [(["A", "B"], 1, 0), (["A"], 0, 1), (["B"], 1, 0)]
    probability, effects = algo.markov_removal_effects(paths)
    assert probability == approx(2 / 3)
    assert effects == {"A": approx(1 / 2), "B": approx(1.0)}
    shares = algo.normalise_shares(effects)
    assert shares == {"A": approx(1 / 3), "B": approx(2 / 3)}
    assert algo.markov_path_credits(["A", "B"], shares) == {"A": approx(1 / 3), "B": approx(2 / 3)}
    assert algo.markov_path_credits(["B"], shares) == {"B": approx(1.0)}


def test_markov_hand_solved_chain_with_a_cycle():
    # Journeys: A > B > A converts, B does not.
    # start -> A 1/2, start -> B 1/2; A -> B 1/2, A -> conversion 1/2; B -> A 1/2, B -> null 1/2.
    # x_A = x_B / 2 + 1/2, x_B = x_A / 2 -> x_A = 2/3, x_B = 1/3, P = 1/2.
    # Without A: P = 0 (effect 1). Without B: x_A = 1/2, P = 1/4 (effect 1/2). Shares A 2/3, B 1/3.
    paths = [(["A", "B", "A"], 1, 0), (["B"], 0, 1)]
    probability, effects = algo.markov_removal_effects(paths)
    assert probability == approx(1 / 2)
    assert effects == {"A": approx(1.0), "B": approx(1 / 2)}
    assert algo.normalise_shares(effects) == {"A": approx(2 / 3), "B": approx(1 / 3)}


def test_markov_self_loops_do_not_change_removal_effects():
    plain = [(["A", "B"], 3, 1), (["B", "C"], 1, 4), (["C"], 0, 5), (["A", "C", "B"], 2, 2)]
    looped = [
        (["A", "A", "B"], 3, 1),
        (["B", "C", "C", "C"], 1, 4),
        (["C"], 0, 5),
        (["A", "C", "B", "B"], 2, 2),
    ]
    base_plain, effects_plain = algo.markov_removal_effects(plain)
    base_looped, effects_looped = algo.markov_removal_effects(looped)
    assert base_plain == approx(base_looped)
    assert effects_plain == {channel: approx(value) for channel, value in effects_looped.items()}


def test_markov_probability_equals_the_conversion_rate_and_is_deterministic():
    rng = random.Random(7)
    channels = ["A", "B", "C", "D", "E"]
    paths = [
        (
            [rng.choice(channels) for _ in range(rng.randint(1, 6))],
            rng.randint(0, 3),
            rng.randint(0, 5),
        )
        for _ in range(200)
    ]
    conversions = sum(path[1] for path in paths)
    journeys = sum(path[1] + path[2] for path in paths)
    probability, effects = algo.markov_removal_effects(paths)
    # Every journey ends in conversion or null, so the chain's P(conversion) is the observed rate.
    assert probability == approx(conversions / journeys)
    assert algo.markov_removal_effects(paths) == (probability, effects)
    assert all(0 <= effect <= 1 for effect in effects.values())


def _removal_effects_by_fundamental_matrix(paths):
    """Reference: build the full absorbing-chain matrix and invert (I - Q) explicitly: N = (I -
    Q)^-1, B = N R, P = B[start, conversion].
    """
    channels, transitions, to_conversion = algo.markov_transition_counts(paths)

    def probability(removed):
        states = [algo.START] + [channel for channel in channels if channel != removed]
        position = {state: index for index, state in enumerate(states)}
        transient = numpy.zeros((len(states), len(states)))
        absorbing = numpy.zeros((len(states), 2))
        for state in states:
            row = transitions.get(state, {})
            out_count = sum(row.values()) + to_conversion.get(state, 0)
            if not out_count:
                continue
            for target, count in row.items():
                if target in position:
                    transient[position[state], position[target]] = count / out_count
                else:
                    absorbing[position[state], 1] += count / out_count
            absorbing[position[state], 0] = to_conversion.get(state, 0) / out_count
        fundamental = numpy.linalg.inv(numpy.eye(len(states)) - transient)
        return (fundamental @ absorbing)[0, 0]

    base = probability(None)
    return {channel: 1 - probability(channel) / base for channel in channels}


def test_markov_matches_the_explicit_fundamental_matrix():
    rng = random.Random(11)
    channels = ["A", "B", "C", "D"]
    paths = [
        (
            [rng.choice(channels) for _ in range(rng.randint(1, 5))],
            rng.randint(0, 2),
            rng.randint(0, 4),
        )
        for _ in range(60)
    ]
    _, effects = algo.markov_removal_effects(paths)
    reference = _removal_effects_by_fundamental_matrix(paths)
    assert effects == {
        channel: pytest.approx(value, abs=1e-9) for channel, value in reference.items()
    }


def test_markov_path_credits_renormalise_over_the_channels_present():
    shares = {"A": 0.5, "B": 0.3, "C": 0.2}
    assert algo.markov_path_credits(["C", "A", "C"], shares) == {
        "A": approx(0.5 / 0.7),
        "C": approx(0.2 / 0.7),
    }
    # A channel with no removal effect on a path of such channels only: equal split.
    assert algo.markov_path_credits(["X", "Y"], {"X": 0.0, "Y": 0.0}) == {"X": 0.5, "Y": 0.5}


# --------------------------------------------------------------------------------------------
# Shapley


def _brute_force_shapley(players, value):
    """Average marginal contribution over every ordering of the players, in exact fractions."""
    players = sorted(players)
    totals = {player: Fraction(0) for player in players}
    for order in itertools.permutations(players):
        coalition = frozenset()
        for player in order:
            grown = coalition | {player}
            totals[player] += value(grown) - value(coalition)
            coalition = grown
    count = factorial(len(players))
    return {player: total / count for player, total in totals.items()}


def _conversion_count_value(set_counts):
    def value(coalition):
        return sum(Fraction(c) for s, (c, _) in set_counts.items() if s and s <= coalition)

    return value


def test_shapley_hand_computed_two_channel_games():
    # {A}: 1 of 4 convert, {B}: 1 of 2, {A, B}: 2 of 2. v(A) = 1, v(B) = 1, v(AB) = 1 + 1 + 2 = 4.
    # phi_A = 1/2 * 1 + 1/2 * (4 - 1) = 2 = phi_B: credits 1/2 each; non-conversions do not count.
    set_counts = {frozenset("A"): (1, 3), frozenset("B"): (1, 1), frozenset("AB"): (2, 0)}
    values = algo.shapley_coalition_values(["A", "B"], set_counts)
    assert values == [0.0, 1.0, 1.0, 4.0]
    assert algo.shapley_path_credits(["A", "B"], set_counts) == {
        "A": approx(1 / 2),
        "B": approx(1 / 2),
    }
    assert algo.shapley_path_credits(["A"], set_counts) == {"A": approx(1.0)}

    # {A}: 3 conversions, {A, B}: 1, no {B}: v(A) = 3, v(B) = 0, v(AB) = 4.
    # phi_A = 1/2 * 3 + 1/2 * (4 - 0) = 7/2, phi_B = 1/2 * 0 + 1/2 * (4 - 3) = 1/2: A 7/8, B 1/8.
    # (A conversion-rate value would give B a negative value here: 1 of 4 {A, B} journeys convert.)
    set_counts = {frozenset("A"): (3, 0), frozenset("AB"): (1, 3)}
    values = algo.shapley_coalition_values(["A", "B"], set_counts)
    raw = algo._shapley_from_mask_values(["A", "B"], values)
    assert raw == {"A": approx(7 / 2), "B": approx(1 / 2)}
    assert algo.shapley_path_credits(["A", "B"], set_counts) == {
        "A": approx(7 / 8),
        "B": approx(1 / 8),
    }


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("seed", range(6))
def test_shapley_matches_brute_force_on_paths_of_up_to_five_channels(size, seed):
    rng = random.Random(1000 * size + seed)
    universe = [
        "Direct",
        "Email",
        "Organic Search",
        "Paid Search",
        "Paid Social",
        "Referral",
        "Events",
    ]
    players = rng.sample(universe, size)
    set_counts = {}
    for _ in range(40):
        channel_set = frozenset(rng.sample(universe, rng.randint(1, 4)))
        converted, not_converted = set_counts.get(channel_set, (0, 0))
        set_counts[channel_set] = (converted + rng.randint(0, 3), not_converted + rng.randint(0, 6))
    # The path itself converted at least once.
    converted, not_converted = set_counts.get(frozenset(players), (0, 0))
    set_counts[frozenset(players)] = (converted + 1, not_converted)

    value = _conversion_count_value(set_counts)
    reference = _brute_force_shapley(players, value)

    values = algo.shapley_coalition_values(players, set_counts)
    ordered = sorted(players)
    for mask, computed in enumerate(values):
        coalition = frozenset(player for bit, player in enumerate(ordered) if mask >> bit & 1)
        assert computed == pytest.approx(float(value(coalition)), abs=1e-12)
    raw = algo._shapley_from_mask_values(ordered, values)
    assert raw == {
        player: pytest.approx(float(phi), abs=1e-12) for player, phi in reference.items()
    }
    # The generic entry point gives the same values.
    assert algo.shapley_values(players, lambda s: float(value(s))) == {
        player: pytest.approx(float(phi), abs=1e-12) for player, phi in reference.items()
    }
    # Efficiency: the values add up to v(path); none is negative; credits are them over v(path).
    total = value(frozenset(players))
    assert sum(raw.values()) == pytest.approx(float(total), abs=1e-12)
    assert all(phi >= 0 for phi in reference.values())
    expected = {player: float(phi / total) for player, phi in reference.items()}
    credits = algo.shapley_path_credits(players, set_counts)
    assert credits == {
        player: pytest.approx(share, abs=1e-12) for player, share in expected.items()
    }
    assert sum(credits.values()) == pytest.approx(1.0, abs=1e-12)


def test_shapley_has_no_channel_cap():
    # Eight channels on one path: every channel keeps credit (no 4-channel cap that drops the early
    # ones, as marketing-attribution-models does).
    channels = [f"C{index}" for index in range(8)]
    set_counts = {frozenset(channels): (5, 0)}
    for channel in channels:
        set_counts[frozenset([channel])] = (0, 1)
    credits = algo.shapley_path_credits(channels, set_counts)
    assert credits == {channel: approx(1 / 8) for channel in channels}


# ------------------------------------------------------------------------------- the model, end to
# end


T0 = datetime(2026, 3, 1)


def _world(session, journeys, non_converting):
    """journeys: {conversion_id: (conversion_type, [channel, ...])} (one person per opportunity);
    non_converting: {person_id: [(channel, days after T0, is_part_of_web_session), ...]}.
    """
    session.execute(
        "create table int_attribution_journeys_joined (conversion_id varchar, "
        "conversion_type varchar, opportunity_id varchar, touchpoint_id varchar, "
        "touched_at timestamp, channel varchar, touch_number integer, touch_count integer)"
    )
    session.execute(
        "create table int_attribution_conversions_listed (conversion_id varchar, "
        "opportunity_id varchar, conversion_type varchar)"
    )
    session.execute(
        "create table int_touchpoints_unioned (touchpoint_id varchar, person_id varchar, "
        "touched_at timestamp, channel varchar, is_part_of_web_session boolean)"
    )
    session.execute(
        "create table int_opportunity_people_bridged (opportunity_id varchar, person_id varchar)"
    )
    for conversion_id, (conversion_type, channels) in journeys.items():
        opportunity_id = f"opp_{conversion_id}"
        person_id = f"person_{conversion_id}"
        session.execute(
            "insert into int_attribution_conversions_listed values (?, ?, ?)",
            [conversion_id, opportunity_id, conversion_type],
        )
        session.execute(
            "insert into int_opportunity_people_bridged values (?, ?)", [opportunity_id, person_id]
        )
        for number, channel in enumerate(channels, start=1):
            touchpoint_id = f"{conversion_id}_t{number}"
            touched_at = T0 + timedelta(days=number)
            session.execute(
                "insert into int_attribution_journeys_joined values (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    conversion_id,
                    conversion_type,
                    opportunity_id,
                    touchpoint_id,
                    touched_at,
                    channel,
                    number,
                    len(channels),
                ],
            )
            session.execute(
                "insert into int_touchpoints_unioned values (?, ?, ?, ?, false)",
                [touchpoint_id, person_id, touched_at, channel],
            )
    for person_id, touches in non_converting.items():
        for number, (channel, days, in_session) in enumerate(touches, start=1):
            session.execute(
                "insert into int_touchpoints_unioned values (?, ?, ?, ?, ?)",
                [
                    f"{person_id}_t{number}",
                    person_id,
                    T0 + timedelta(days=days),
                    channel,
                    in_session,
                ],
            )


def _run_model(journeys, non_converting, lookback_days=90):
    session = duckdb.connect()
    _world(session, journeys, non_converting)
    relation = algo.model(FakeDbt(session, {"lookback_days": str(lookback_days)}), session)
    rows = relation.fetchall()
    columns = [column[0] for column in relation.description]
    assert columns == [
        "conversion_id",
        "conversion_type",
        "opportunity_id",
        "touchpoint_id",
        "attribution_model",
        "credit",
    ]
    return {(row[0], row[3], row[4]): row[5] for row in rows}


def test_model_hand_computed_credits():
    # Pipeline: c2 = A > B converts, c1 = B converts; a non-converting person touched A (the
    # two-channel chain solved above: Markov shares A 1/3, B 2/3).
    # Shapley: conversions {A, B}: 1, {B}: 1 -> v(A) = 0, v(B) = 1, v(AB) = 2;
    # phi_A = 1/2 * 0 + 1/2 * (2 - 1) = 1/2, phi_B = 1/2 * 1 + 1/2 * 2 = 3/2: A 1/4, B 3/4.
    credits = _run_model(
        {"c2": ("pipeline", ["A", "B"]), "c1": ("pipeline", ["B"])},
        {"n1": [("A", 0, False)]},
    )
    assert credits == {
        ("c2", "c2_t1", "markov"): approx(1 / 3),
        ("c2", "c2_t2", "markov"): approx(2 / 3),
        ("c1", "c1_t1", "markov"): approx(1.0),
        ("c2", "c2_t1", "shapley"): approx(1 / 4),
        ("c2", "c2_t2", "shapley"): approx(3 / 4),
        ("c1", "c1_t1", "shapley"): approx(1.0),
    }


def test_model_journeys_of_one_two_three_and_five_touches():
    journeys = {
        "one": ("pipeline", ["A"]),
        "two": ("pipeline", ["A", "B"]),
        "three": ("pipeline", ["B", "A", "B"]),
        "five": ("pipeline", ["A", "B", "C", "A", "B"]),
        "won": ("revenue", ["C", "A", "C"]),
    }
    non_converting = {
        "n1": [("B", 0, False), ("C", 3, False)],
        "n2": [("C", 1, False)],
        "n3": [("A", 0, False), ("A", 2, False)],
    }
    credits = _run_model(journeys, non_converting)

    # Expected from the (separately tested) functions over the same aggregated paths. Revenue: every
    # person but the one with the won opportunity has a non-converting journey for it.
    pipeline_paths = [
        (["A"], 1, 0),
        (["A", "B"], 1, 0),
        (["B", "A", "B"], 1, 0),
        (["A", "B", "C", "A", "B"], 1, 0),
        (["B", "C"], 0, 1),
        (["C"], 0, 1),
        (["A", "A"], 0, 1),
        (["C", "A", "C"], 0, 1),
    ]
    revenue_paths = [
        (["C", "A", "C"], 1, 0),
        (["A"], 0, 1),
        (["A", "B"], 0, 1),
        (["B", "A", "B"], 0, 1),
        (["A", "B", "C", "A", "B"], 0, 1),
        (["B", "C"], 0, 1),
        (["C"], 0, 1),
        (["A", "A"], 0, 1),
    ]
    expected = {}
    for conversion_type, paths in (("pipeline", pipeline_paths), ("revenue", revenue_paths)):
        shares = algo.normalise_shares(algo.markov_removal_effects(paths)[1])
        set_counts = {}
        for path, converted, not_converted in paths:
            before = set_counts.get(frozenset(path), (0, 0))
            set_counts[frozenset(path)] = (before[0] + converted, before[1] + not_converted)
        for conversion_id, (journey_type, channels) in journeys.items():
            if journey_type != conversion_type:
                continue
            for model_name, channel_credits in (
                ("markov", algo.markov_path_credits(channels, shares)),
                ("shapley", algo.shapley_path_credits(channels, set_counts)),
            ):
                for number, channel in enumerate(channels, start=1):
                    expected[(conversion_id, f"{conversion_id}_t{number}", model_name)] = (
                        channel_credits[channel] / channels.count(channel)
                    )
    assert credits == {key: pytest.approx(value, abs=1e-12) for key, value in expected.items()}

    # One touch: all the credit. Same channel, same credit. Every conversion's credits sum to 1.
    assert credits[("one", "one_t1", "markov")] == approx(1.0)
    assert credits[("one", "one_t1", "shapley")] == approx(1.0)
    assert credits[("five", "five_t1", "markov")] == approx(credits[("five", "five_t4", "markov")])
    assert credits[("three", "three_t1", "shapley")] == approx(
        credits[("three", "three_t3", "shapley")]
    )
    for conversion_id in journeys:
        for model_name in ("markov", "shapley"):
            total = sum(
                value
                for key, value in credits.items()
                if key[0] == conversion_id and key[2] == model_name
            )
            assert total == pytest.approx(1.0, abs=1e-9)


def test_model_non_converting_journeys_window_and_web_sessions():
    journeys = {"c": ("pipeline", ["A", "B"]), "d": ("pipeline", ["B"])}
    # n1's A touch is 200 days before its last touch (outside a 90-day window) and its second A
    # touch is
    # inside a web session: its null path is just [B]. n2's path is [A].
    with_noise = _run_model(
        journeys,
        {"n1": [("A", -200, False), ("A", 0, True), ("B", 0, False)], "n2": [("A", 5, False)]},
    )
    clean = _run_model(journeys, {"n1": [("B", 0, False)], "n2": [("A", 5, False)]})
    assert with_noise == {key: approx(value) for key, value in clean.items()}
    # A longer window takes the old touch in and changes the Markov shares.
    wide = _run_model(
        journeys,
        {"n1": [("A", -200, False), ("A", 0, True), ("B", 0, False)], "n2": [("A", 5, False)]},
        lookback_days=365,
    )
    assert wide[("c", "c_t1", "markov")] != pytest.approx(clean[("c", "c_t1", "markov")], abs=1e-6)
