"""The warehouse's attribution agrees with the established packages on the warehouse's own journeys.

The journeys are exported from the built scale-0.1 warehouse (tests/support/attribution_peers.py)
and fed to ChannelAttribution (first, last and linear touch; Markov) and marketing-attribution-
models (first,
last, linear, position-based and time decay; exact Markov). The warehouse's side is read from
`marts.fct_attribution`, summed per channel. The packages come with the `peers` extra, which
`make env` (and so `make test`) installs; without it these tests skip and say so.

- Heuristics agree exactly (to floating-point summation order).
- Markov removal effects equal marketing-attribution-models' exact absorbing-chain solution to 1e-6,
  and ChannelAttribution's Monte-Carlo estimate within 1 percentage point (removal effects are
  probabilities); so do the shares of conversions each channel gets. A relative 1% per channel
  would test ChannelAttribution's noise, not our model: at 10 million simulated paths its
  estimates move by 0.5-1% between seeds, and by 2-4% on a channel with an effect near 0.01
  (measured on these journeys), and the same seed does not always give the same answer.
- Shapley is checked against a brute-force Shapley of the whole data set's game in
  tests/models/test_attribution_models.py: neither package solves the same game
  (marketing-attribution-models keeps four channels per path and values exact channel sets only;
  ChannelAttribution has no Shapley model).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

pytest.importorskip(
    "ChannelAttribution",
    reason="the peers extra is not installed (make env installs it: uv sync --all-extras)",
)
pytest.importorskip(
    "mam", reason="the peers extra is not installed (make env installs it: uv sync --all-extras)"
)

import attribution_peers as peers

CONVERSION_TYPES = ["pipeline", "revenue"]
PROJECT_VARS = yaml.safe_load((peers.REPO / "dbt_project.yml").read_text())["vars"]


@pytest.fixture(scope="module")
def journeys(built_warehouse) -> dict[str, peers.Journeys]:
    assert built_warehouse.failures() == []
    return peers.export_journeys(Path(built_warehouse.path))


@pytest.fixture(scope="module")
def ours(built_warehouse) -> dict[tuple[str, str], dict[str, tuple[float, float]]]:
    """{(conversion type, model): {channel: (credited conversions, credited amount)}}."""
    rows = built_warehouse.query(
        """
        select
            attributions.conversion_type,
            attributions.attribution_model,
            coalesce(attributions.channel, '(none)'),
            sum(attributions.credit),
            sum(attributions.credit * cast(conversions.amount as double))
        from marts.fct_attribution as attributions
        inner join main.int_attribution_conversions_listed as conversions
            on attributions.conversion_id = conversions.conversion_id
        group by all
        """
    )
    result: dict[tuple[str, str], dict[str, tuple[float, float]]] = {}
    for conversion_type, model, channel, credit, amount in rows:
        result.setdefault((conversion_type, model), {})[channel] = (credit, amount)
    return result


def test_the_export_holds_every_attributed_conversion(journeys, built_warehouse):
    for conversion_type in CONVERSION_TYPES:
        attributed = built_warehouse.scalar(
            "select count(distinct conversion_id) from marts.fct_attribution"
            f" where conversion_type = '{conversion_type}'"
        )
        assert len(journeys[conversion_type].journeys) == attributed > 0
        converting = sum(conversions for _, conversions, _ in journeys[conversion_type].paths)
        assert converting == attributed
        assert sum(nulls for _, _, nulls in journeys[conversion_type].paths) > 0


@pytest.mark.parametrize("conversion_type", CONVERSION_TYPES)
def test_first_last_and_linear_equal_channelattribution(journeys, ours, conversion_type):
    theirs = peers.run_ca_heuristics(journeys[conversion_type])
    for model, by_channel in theirs.items():
        mine = ours[(conversion_type, model)]
        for channel in set(by_channel) | set(mine):
            conversions, value = by_channel.get(channel, (0.0, 0.0))
            credited, amount = mine.get(channel, (0.0, 0.0))
            assert credited == pytest.approx(conversions, rel=1e-12, abs=1e-9), (model, channel)
            assert amount == pytest.approx(value, rel=1e-12, abs=1e-6), (model, channel)


@pytest.mark.parametrize("conversion_type", CONVERSION_TYPES)
def test_heuristics_equal_marketing_attribution_models(journeys, ours, conversion_type):
    # The package hard-codes 40/20/40 for position-based; the project's weights must be the same
    # for the comparison to mean anything.
    assert PROJECT_VARS["attribution_position_weights"] == [0.4, 0.2, 0.4]
    theirs = peers.run_mam_heuristics(
        journeys[conversion_type], float(PROJECT_VARS["attribution_half_life_days"])
    )
    assert set(theirs) == {"first_touch", "last_touch", "linear", "position_based", "time_decay"}
    for model, by_channel in theirs.items():
        mine = ours[(conversion_type, model)]
        for channel in set(by_channel) | set(mine):
            amount = mine.get(channel, (0.0, 0.0))[1]
            value = by_channel.get(channel, 0.0)
            assert amount == pytest.approx(value, rel=1e-12, abs=1e-6), (model, channel)


@pytest.mark.parametrize("conversion_type", CONVERSION_TYPES)
def test_markov_removal_effects_equal_the_exact_solution_of_marketing_attribution_models(
    journeys, conversion_type
):
    mine = peers.run_ours_markov(journeys[conversion_type])
    theirs = peers.run_mam_markov(journeys[conversion_type])
    assert set(mine) == set(theirs)
    assert all(effect > 0 for effect in mine.values())
    for channel, effect in theirs.items():
        assert mine[channel] == pytest.approx(effect, abs=1e-6), channel


@pytest.mark.parametrize("conversion_type", CONVERSION_TYPES)
def test_markov_within_one_percentage_point_of_channelattribution(journeys, conversion_type):
    mine = peers.run_ours_markov(journeys[conversion_type])
    theirs = peers.run_ca_markov(journeys[conversion_type])
    assert set(mine) == set(theirs)
    for channel, effect in mine.items():
        assert theirs[channel] == pytest.approx(effect, abs=0.01), channel
    my_total, their_total = sum(mine.values()), sum(theirs.values())
    for channel, effect in mine.items():
        assert theirs[channel] / their_total == pytest.approx(effect / my_total, abs=0.01), channel


@pytest.mark.parametrize("conversion_type", CONVERSION_TYPES)
def test_the_mart_credits_follow_the_compared_removal_effects(
    journeys, built_warehouse, conversion_type
):
    # Ties the comparison to the mart: each conversion's Markov credits per channel are the removal
    # effects computed above, normalised, renormalised over the channels on its path.
    algo = peers.load_model_module()
    shares = algo.normalise_shares(peers.run_ours_markov(journeys[conversion_type]))
    rows = built_warehouse.query(
        f"""
        select conversion_id, coalesce(channel, '(none)'), sum(credit)
        from marts.fct_attribution
        where attribution_model = 'markov' and conversion_type = '{conversion_type}'
        group by all
        """
    )
    credited: dict[str, dict[str, float]] = {}
    for conversion_id, channel, credit in rows:
        credited.setdefault(conversion_id, {})[channel] = credit
    assert len(credited) == len(journeys[conversion_type].journeys)
    for journey in journeys[conversion_type].journeys:
        expected = algo.markov_path_credits(journey.channels, shares)
        assert credited[journey.conversion_id] == {
            channel: pytest.approx(share, abs=1e-9) for channel, share in expected.items()
        }
