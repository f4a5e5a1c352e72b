"""The data-driven attribution models (Markov, Shapley, data-driven), and the demo world's true
channel contributions they are measured against (gtm_demo/truth_contributions.py).

The training and its Python reference of the crediting (gtm/training/attribution.py) are checked
against hand-solved chains, hand-computed Shapley games and a brute-force Shapley reference (every
ordering of the players, exact fractions), on hand-built paths tables. On a real scale-0.1 build,
the SQL model int_attribution_channels_credited (which applies the stored parameters) equals the
Python reference on the same paths, and the Shapley totals equal a brute-force Shapley of the whole
data set's game.
"""

import itertools
import json
import random
from fractions import Fraction
from math import exp, factorial, log1p

import pytest

numpy = pytest.importorskip("numpy")
duckdb = pytest.importorskip("duckdb")

from attribution_peers import load_model_module  # noqa: E402

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
# Shapley: the count-based game of the whole data set (Zhao et al. 2018)


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


def _shapley_totals(conversion_sets):
    """Sum each conversion's Shapley credits per channel."""
    totals = {}
    for channel_set in conversion_sets:
        for channel, credit in algo.shapley_conversion_credits(channel_set).items():
            totals[channel] = totals.get(channel, 0.0) + credit
    return totals


def test_shapley_hand_computed_whole_data_set_game():
    # Conversions: {A} once, {A, B} twice, {B, C} once; non-conversions do not count.
    # v(A) = 1, v(B) = 0, v(C) = 0, v(AB) = 3, v(AC) = 1, v(BC) = 1, v(ABC) = 4.
    # phi_A = 1/3 * 1 + 1/6 * (3 - 0) + 1/6 * (1 - 0) + 1/3 * (4 - 1) = 1/3 + 1/2 + 1/6 + 1 = 2
    # phi_B = 1/3 * 0 + 1/6 * (3 - 1) + 1/6 * (1 - 0) + 1/3 * (4 - 1) = 0 + 1/3 + 1/6 + 1 = 3/2
    # phi_C = 1/3 * 0 + 1/6 * (1 - 1) + 1/6 * (1 - 0) + 1/3 * (4 - 3) = 1/6 + 1/3 = 1/2
    set_counts = {
        frozenset("A"): (1, 5),
        frozenset("AB"): (2, 1),
        frozenset("BC"): (1, 0),
        frozenset("C"): (0, 7),
    }
    values = algo.shapley_coalition_values(["A", "B", "C"], set_counts)
    assert values == [0.0, 1.0, 0.0, 3.0, 0.0, 1.0, 1.0, 4.0]
    reference = _brute_force_shapley(["A", "B", "C"], _conversion_count_value(set_counts))
    assert reference == {"A": Fraction(2), "B": Fraction(3, 2), "C": Fraction(1, 2)}
    conversions = [set("A"), set("AB"), set("AB"), set("BC")]
    assert _shapley_totals(conversions) == {"A": approx(2.0), "B": approx(1.5), "C": approx(0.5)}
    # Each conversion: 1 / k to each of its k distinct channels.
    assert algo.shapley_conversion_credits(["A", "B", "A"]) == {"A": 0.5, "B": 0.5}
    assert algo.shapley_conversion_credits(["C"]) == {"C": 1.0}


@pytest.mark.parametrize("seed", range(6))
def test_shapley_totals_equal_the_brute_force_shapley_of_the_whole_game(seed):
    rng = random.Random(seed)
    universe = ["Direct", "Email", "Organic Search", "Paid Search", "Paid Social"]
    conversions = [frozenset(rng.sample(universe, rng.randint(1, 4))) for _ in range(60)]
    set_counts = {}
    for channel_set in conversions:
        converted, not_converted = set_counts.get(channel_set, (0, 0))
        set_counts[channel_set] = (converted + 1, not_converted + rng.randint(0, 3))
    players = sorted({channel for channel_set in conversions for channel in channel_set})
    reference = _brute_force_shapley(players, _conversion_count_value(set_counts))
    totals = _shapley_totals(conversions)
    assert totals == {
        player: pytest.approx(float(phi), abs=1e-12) for player, phi in reference.items()
    }
    # The bit-mask solver on the zeta-transformed values agrees too, and efficiency holds.
    raw = algo._shapley_from_mask_values(
        players, algo.shapley_coalition_values(players, set_counts)
    )
    assert raw == {player: pytest.approx(float(phi), abs=1e-9) for player, phi in reference.items()}
    assert sum(totals.values()) == pytest.approx(len(conversions), abs=1e-9)
    assert all(phi >= 0 for phi in reference.values())


def test_shapley_has_no_channel_cap():
    channels = [f"C{index}" for index in range(8)]
    assert algo.shapley_conversion_credits(channels) == {channel: 1 / 8 for channel in channels}


# --------------------------------------------------------------------------------------------
# Data-driven: a fitted conversion model, Shapley over its predicted probability


def _sigmoid(value):
    return 1.0 / (1.0 + exp(-value))


def test_fit_recovers_a_known_logistic_model():
    # Expected counts of a known model as weights (no sampling): the likelihood's maximum is the
    # model itself, so the fit (without ridge) recovers it.
    intercept, betas = -2.0, [0.8, 0.3, 0.0]
    features, conversions, non_conversions = [], [], []
    for counts in itertools.product(range(4), range(3), range(3)):
        row = [log1p(count) for count in counts]
        probability = _sigmoid(intercept + sum(b * x for b, x in zip(betas, row, strict=True)))
        features.append(row)
        conversions.append(1000 * probability)
        non_conversions.append(1000 * (1 - probability))
    fitted_intercept, fitted = algo.fit_conversion_model(
        features, conversions, non_conversions, ridge=0.0
    )
    assert fitted_intercept == pytest.approx(intercept, abs=1e-6)
    assert fitted == [pytest.approx(beta, abs=1e-6) for beta in betas]
    # Deterministic: the same answer on every run.
    assert algo.fit_conversion_model(features, conversions, non_conversions, ridge=0.0) == (
        fitted_intercept,
        fitted,
    )


def test_fit_holds_a_harmful_channel_at_zero():
    # Channel B lowers the odds in the data; its coefficient stays at the bound 0, where the
    # objective's gradient points below 0 (the constrained optimum), and A is still fitted.
    features, conversions, non_conversions = [], [], []
    for a_count, b_count in itertools.product(range(3), range(3)):
        row = [log1p(a_count), log1p(b_count)]
        probability = _sigmoid(-1.0 + 0.7 * row[0] - 0.9 * row[1])
        features.append(row)
        conversions.append(500 * probability)
        non_conversions.append(500 * (1 - probability))
    intercept, (beta_a, beta_b) = algo.fit_conversion_model(
        features, conversions, non_conversions, ridge=0.0
    )
    assert beta_b == 0.0
    assert beta_a > 0.3
    gradient_b = sum(
        (n + c) * _sigmoid(intercept + beta_a * row[0]) * row[1] - c * row[1]
        for row, c, n in zip(features, conversions, non_conversions, strict=True)
    )
    assert gradient_b > 0


def test_data_driven_credits_hand_computed_two_channels():
    # p(S) = sigmoid(b0 + sum beta_c log(1 + touches_c)); v(S) = p(S) - p({}).
    intercept, coefficients = -3.0, {"A": 1.0, "B": 0.5}
    path = {"A": 2, "B": 1}
    x_a, x_b = log1p(2), 0.5 * log1p(1)
    base = _sigmoid(intercept)
    v_a, v_b = _sigmoid(intercept + x_a) - base, _sigmoid(intercept + x_b) - base
    v_ab = _sigmoid(intercept + x_a + x_b) - base
    phi_a, phi_b = (v_a + v_ab - v_b) / 2, (v_b + v_ab - v_a) / 2
    [credits] = algo.data_driven_path_credits([path], intercept, coefficients)
    assert credits == {"A": approx(phi_a / v_ab), "B": approx(phi_b / v_ab)}


@pytest.mark.parametrize("seed", range(5))
def test_data_driven_credits_match_brute_force_shapley(seed):
    rng = random.Random(seed)
    channels = ["A", "B", "C", "D", "E"]
    coefficients = {channel: rng.uniform(0, 1.2) for channel in channels}
    coefficients["E"] = 0.0
    intercept = rng.uniform(-5, -1)
    paths = [
        {channel: rng.randint(1, 4) for channel in rng.sample(channels, rng.randint(1, 5))}
        for _ in range(30)
    ]
    computed = algo.data_driven_path_credits(paths, intercept, coefficients)
    for path, credits in zip(paths, computed, strict=True):

        def value(coalition, path=path):
            return Fraction(
                _sigmoid(
                    intercept
                    + sum(coefficients[channel] * log1p(path[channel]) for channel in coalition)
                )
                - _sigmoid(intercept)
            )

        reference = _brute_force_shapley(list(path), value)
        total = sum(reference.values())
        if total == 0:
            expected = {channel: 1 / len(path) for channel in path}
        else:
            expected = {channel: float(phi / total) for channel, phi in reference.items()}
        assert credits == {
            channel: pytest.approx(share, abs=1e-9) for channel, share in expected.items()
        }
        assert sum(credits.values()) == pytest.approx(1.0, abs=1e-12)
        assert min(credits.values()) >= 0


# ------------------------------------------------------------------------------------ the Python
# model on a hand-built paths table


def _run_model(journeys):
    """journeys: [(conversion_type, conversion_id or None, channel_path, attribution_channel_path,
    history)]; a None platform path is the channel path, a None history the platform path.
    """
    session = duckdb.connect()
    session.execute(
        "create table int_attribution_paths_listed (conversion_type varchar, conversion_id varchar,"
        " person_id varchar, is_conversion boolean, channel_path varchar,"
        " attribution_channel_path varchar, touch_count integer,"
        " history_attribution_channel_path varchar)"
    )
    for number, (conversion_type, conversion_id, path, platform_path, *history) in enumerate(
        journeys
    ):
        platform_path = platform_path or path
        session.execute(
            "insert into int_attribution_paths_listed values (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                conversion_type,
                conversion_id,
                None if conversion_id else f"person{number}",
                conversion_id is not None,
                " > ".join(path),
                " > ".join(platform_path),
                len(path),
                " > ".join(history[0] if history and history[0] else platform_path),
            ],
        )
    rows = session.execute(
        "select " + ", ".join(algo_columns()) + " from int_attribution_paths_listed"
    ).fetchall()
    credited = algo.credit_conversions(algo.journeys_from_rows(rows))
    return {
        (conversion_id, model_name, channel): credit
        for conversion_id, _, model_name, channel, _, credit in credited
    }


def algo_columns():
    from gtm.training.train import ATTRIBUTION_COLUMNS

    return ATTRIBUTION_COLUMNS


def test_model_hand_computed_credits():
    # Pipeline: c2 = A > B converts, c1 = B converts; a non-converting journey touched A (the
    # two-channel chain solved above: Markov shares A 1/3, B 2/3). Shapley: c2 gives 1/2 to each.
    credits = _run_model(
        [
            ("pipeline", "c2", ["A", "B"], None),
            ("pipeline", "c1", ["B"], None),
            ("pipeline", None, ["A"], None),
        ]
    )
    markov_and_shapley = {key: value for key, value in credits.items() if key[1] != "data_driven"}
    assert markov_and_shapley == {
        ("c2", "markov", "A"): approx(1 / 3),
        ("c2", "markov", "B"): approx(2 / 3),
        ("c1", "markov", "B"): approx(1.0),
        ("c2", "shapley", "A"): approx(1 / 2),
        ("c2", "shapley", "B"): approx(1 / 2),
        ("c1", "shapley", "B"): approx(1.0),
    }
    assert credits[("c1", "data_driven", "B")] == approx(1.0)
    assert credits[("c2", "data_driven", "A")] + credits[("c2", "data_driven", "B")] == approx(1.0)


def test_model_data_driven_credits_follow_the_fit_on_platform_keys():
    # Paid Social on LinkedIn converts 3 in 4, on Meta 1 in 4, Direct alone 1 in 4: the data-driven
    # model, on channel x platform keys, credits LinkedIn more than Meta beside Direct, and its
    # credits are the Shapley shares of the fitted probability.
    linkedin, meta = "Paid Social / linkedin_ads", "Paid Social / facebook_ads"
    journeys = []
    for index, (platform_key, converts) in enumerate(
        [(linkedin, [1, 1, 1, 0]), (meta, [1, 0, 0, 0]), ("Direct", [1, 0, 0, 0])]
    ):
        for number, converted in enumerate(converts):
            path = ["Direct", "Paid Social"] if platform_key != "Direct" else ["Direct"]
            platform_path = ["Direct", platform_key] if platform_key != "Direct" else ["Direct"]
            conversion_id = f"c{index}{number}" if converted else None
            journeys.append(("pipeline", conversion_id, path, platform_path))
    credits = _run_model(journeys)
    assert credits[("c00", "data_driven", linkedin)] > credits[("c10", "data_driven", meta)]
    paths = {}
    for _, conversion_id, _, platform_path in journeys:
        counts = paths.setdefault(tuple(platform_path), [0, 0])
        counts[0 if conversion_id else 1] += 1
    keys = sorted({key for path in paths for key in path})
    ordered = sorted(paths.items())
    intercept, betas = algo.fit_conversion_model(
        [algo.channel_features(algo.channel_counts(path), keys) for path, _ in ordered],
        [counts[0] for _, counts in ordered],
        [counts[1] for _, counts in ordered],
    )
    [expected] = algo.data_driven_path_credits(
        [{"Direct": 1, linkedin: 1}], intercept, dict(zip(keys, betas, strict=True))
    )
    assert credits[("c00", "data_driven", linkedin)] == approx(expected[linkedin])
    assert credits[("c00", "data_driven", "Direct")] == approx(expected["Direct"])
    # Markov and Shapley stay on channels: Paid Social, not its platforms.
    assert ("c00", "shapley", "Paid Social") in credits
    for conversion_id in {key[0] for key in credits}:
        for model_name in algo.MODELS:
            total = sum(
                v for k, v in credits.items() if k[0] == conversion_id and k[1] == model_name
            )
            assert total == pytest.approx(1.0, abs=1e-12)


def test_model_data_driven_fit_reads_the_histories():
    # The fit reads the histories (no window); the credit, the journeys. Journeys alone: A and B
    # both convert 1 in 2. Histories: every converter also had two earlier B touches, the
    # non-converters none, so the fit gives B the larger coefficient and B the larger credit.
    journeys = [
        ("pipeline", "c1", ["A", "B"], None, ["B", "B", "A", "B"]),
        ("pipeline", "c2", ["A", "B"], None, ["B", "B", "A", "B"]),
        ("pipeline", None, ["A", "B"], None, ["A", "B"]),
        ("pipeline", None, ["A", "B"], None, ["A", "B"]),
        ("pipeline", None, ["A"], None, ["A"]),
    ]
    credits = _run_model(journeys)
    assert credits[("c1", "data_driven", "B")] > credits[("c1", "data_driven", "A")]
    histories = [(["A", "B", "B", "B"], 2, 0), (["A", "B"], 0, 2), (["A"], 0, 1)]
    intercept, betas = algo.fit_conversion_model(
        [algo.channel_features(algo.channel_counts(path), ["A", "B"]) for path, _, _ in histories],
        [converted for _, converted, _ in histories],
        [not_converted for _, _, not_converted in histories],
    )
    [expected] = algo.data_driven_path_credits(
        [{"A": 1, "B": 1}], intercept, {"A": betas[0], "B": betas[1]}
    )
    assert credits[("c1", "data_driven", "A")] == approx(expected["A"])
    assert credits[("c1", "data_driven", "B")] == approx(expected["B"])


# --------------------------------------------------------------------------------- a real build


def test_shapley_mart_totals_equal_the_brute_force_shapley_of_the_built_data_set(built_warehouse):
    assert built_warehouse.failures() == []
    for conversion_type in ("pipeline", "revenue"):
        paths = built_warehouse.query(
            "select channel_path from main.int_attribution_paths_listed"
            f" where is_conversion and conversion_type = '{conversion_type}'"
        )
        set_counts = {}
        for (path,) in paths:
            channel_set = frozenset(path.split(" > "))
            converted, _ = set_counts.get(channel_set, (0, 0))
            set_counts[channel_set] = (converted + 1, 0)
        players = sorted({channel for channel_set in set_counts for channel in channel_set})
        assert len(players) >= 5
        # Brute force over every coalition of the whole data set: v(S) summed from the journeys.
        size = len(players)
        phi = dict.fromkeys(players, 0.0)
        values = {}
        for mask in range(1 << size):
            coalition = frozenset(p for bit, p in enumerate(players) if mask >> bit & 1)
            values[mask] = sum(c for s, (c, _) in set_counts.items() if s <= coalition)
        for bit, player in enumerate(players):
            for mask in range(1 << size):
                if mask >> bit & 1:
                    continue
                members = bin(mask).count("1")
                weight = factorial(members) * factorial(size - members - 1) / factorial(size)
                phi[player] += weight * (values[mask | 1 << bit] - values[mask])
        mart = dict(
            built_warehouse.query(
                "select channel, sum(credit) from marts.fct_attribution"
                f" where attribution_model = 'shapley' and conversion_type = '{conversion_type}'"
                " group by channel"
            )
        )
        assert set(mart) == set(players)
        assert mart == {player: pytest.approx(value, abs=1e-9) for player, value in phi.items()}
        assert sum(mart.values()) == pytest.approx(len(paths), abs=1e-9)


def test_the_sql_model_equals_the_python_reference_on_the_built_paths(built_warehouse):
    """int_attribution_channels_credited (SQL over the stored parameters) equals the reference."""
    rows = built_warehouse.query(
        "select " + ", ".join(algo_columns()) + " from main.int_attribution_paths_listed"
    )
    expected = {
        (conversion_id, model_name, channel): (split, credit)
        for conversion_id, _, model_name, channel, split, credit in algo.credit_conversions(
            algo.journeys_from_rows(rows)
        )
    }
    built = {
        (conversion_id, model_name, channel): (split, credit)
        for conversion_id, model_name, channel, split, credit in built_warehouse.query(
            "select conversion_id, attribution_model, channel_key, is_platform_split,"
            " channel_credit from main.int_attribution_channels_credited"
        )
    }
    assert set(built) == set(expected)
    assert {model for _, model, _ in built} == set(algo.MODELS)
    for key, (split, credit) in expected.items():
        assert built[key][0] == split, key
        assert built[key][1] == pytest.approx(credit, abs=1e-9), key


def test_the_data_driven_model_sits_in_the_mart_beside_the_other_eight(built_warehouse):
    models = built_warehouse.query(
        "select attribution_model, count(distinct conversion_id), sum(credit)"
        " from marts.fct_attribution group by all order by 1"
    )
    conversions = built_warehouse.scalar(
        "select count(distinct conversion_id) from main.int_attribution_journeys_joined"
    )
    assert [row[0] for row in models] == [
        "data_driven",
        "first_touch",
        "last_touch",
        "linear",
        "markov",
        "position_based",
        "shapley",
        "time_decay",
        "w_shaped",
    ]
    for _, attributed, credit in models:
        assert attributed == conversions
        assert credit == pytest.approx(conversions, abs=1e-9)


# ------------------------------------------------------------------------------ the truth


def test_true_contributions_are_the_shapley_values_of_the_true_propensity(tmp_path):
    from gtm_demo.truth_contributions import (
        read_channel_contributions,
        write_channel_contributions,
    )

    pyarrow = pytest.importorskip("pyarrow")
    parquet = pytest.importorskip("pyarrow.parquet")
    truth = tmp_path / "truth"
    truth.mkdir()
    effects = {"direct": 0.3, "paid_search": 0.6, "paid_social_meta": 0.1}
    spec = {
        "intercept": -2.0,
        "fit_coefficient": 1.0,
        "intent_coefficient": 0.5,
        "channels": {
            "direct": {"platform": None, "true_effect": effects["direct"]},
            "paid_search": {"platform": "google_ads", "true_effect": effects["paid_search"]},
            "paid_social_meta": {
                "platform": "facebook_ads",
                "true_effect": effects["paid_social_meta"],
            },
        },
    }
    (truth / "channels.json").write_text(json.dumps(spec))
    people = [
        # person, fit, intent, became an opportunity, won, touches by channel
        (1, 0.5, 1.0, True, True, {"direct": 2, "paid_search": 1}),
        (2, -0.5, 0.0, True, False, {"paid_search": 3, "paid_social_meta": 1, "direct": 1}),
        (3, 0.0, 0.0, False, False, {"direct": 5}),
    ]
    parquet.write_table(
        pyarrow.table(
            {
                "person_id": [p[0] for p in people],
                "fit": [p[1] for p in people],
                "intent": [p[2] for p in people],
                "became_opportunity": [p[3] for p in people],
                "is_won": [p[4] for p in people],
            }
        ),
        truth / "people.parquet",
    )
    touches = [(p[0], channel) for p in people for channel, n in p[5].items() for _ in range(n)]
    parquet.write_table(
        pyarrow.table({"person_id": [t[0] for t in touches], "channel": [t[1] for t in touches]}),
        truth / "touches.parquet",
    )
    write_channel_contributions(tmp_path)
    rows = {(r["conversion_type"], r["channel"]): r for r in read_channel_contributions(tmp_path)}

    def caused(person):
        _, fit, intent, _, _, counts = person
        base = spec["intercept"] + fit + 0.5 * intent

        def value(coalition):
            logit = base + sum(effects[c] * log1p(counts[c]) for c in coalition)
            return Fraction(_sigmoid(logit) - _sigmoid(base))

        reference = _brute_force_shapley(list(counts), value)
        full = _sigmoid(base + sum(effects[c] * log1p(n) for c, n in counts.items()))
        return {channel: float(phi) / full for channel, phi in reference.items()}

    pipeline = [caused(people[0]), caused(people[1])]
    for channel in effects:
        expected = sum(one.get(channel, 0.0) for one in pipeline)
        assert rows[("pipeline", channel)]["incremental_conversions"] == pytest.approx(
            expected, abs=1e-8
        )
        assert rows[("revenue", channel)]["incremental_conversions"] == pytest.approx(
            pipeline[0].get(channel, 0.0), abs=1e-8
        )
        assert rows[("pipeline", channel)]["conversions"] == 2
    assert sum(rows[("pipeline", c)]["share"] for c in effects) == pytest.approx(1.0, abs=1e-8)
    assert rows[("revenue", "paid_social_meta")]["share"] == 0.0
    assert rows[("pipeline", "paid_social_meta")]["warehouse_attribution_channel"] == (
        "Paid Social / facebook_ads"
    )


def test_the_generated_world_writes_its_true_contributions(world_small):
    from gtm_demo.truth_contributions import channel_contributions, read_channel_contributions

    written = read_channel_contributions(world_small)
    assert len(written) == 18
    assert {row["conversion_type"] for row in written} == {"pipeline", "revenue"}
    recomputed = channel_contributions(world_small)
    assert [row["incremental_conversions"] for row in written] == [
        pytest.approx(row["incremental_conversions"], abs=1e-8) for row in recomputed
    ]
    for conversion_type in ("pipeline", "revenue"):
        shares = [row["share"] for row in written if row["conversion_type"] == conversion_type]
        assert sum(shares) == pytest.approx(1.0, abs=1e-6)
        assert min(shares) > 0
