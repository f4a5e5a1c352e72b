"""The warehouse's attribution beside the established Python packages, on the same journeys.

Shared by tests/models/test_attribution_peers.py (do they agree?) and bench/bench_attribution.py
(how fast is each?). `export_journeys` reads a built warehouse: every conversion's journey as
int_attribution_journeys_joined holds it, and the converting and non-converting paths of
int_attribution_paths_listed, aggregated, as the Markov training
(gtm/training/attribution.py) solves them. The `run_*` functions feed those journeys to
ChannelAttribution and marketing-attribution-models (the `peers` extra) and return per-channel
figures keyed by channel name.
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

REPO = Path(__file__).resolve().parents[2]
# ChannelAttribution's Markov model is a Monte-Carlo estimate: 10 million simulated paths (the
# default is 100,000), long enough for every cycle in the data.
CA_MARKOV_OPTIONS = {"nsim_start": 1e7, "max_step": 1000, "seed": 0}
MAM_SEPARATOR = " > "
CA_SEPARATOR = ">"


def load_model_module() -> Any:
    """Return the attribution training module (gtm/training/attribution.py)."""
    from gtm.training import attribution

    return attribution


@dataclass(frozen=True)
class Journey:
    """One conversion's journey: channels in touch order, hours before the conversion, amount."""

    conversion_id: str
    channels: tuple[str, ...]
    hours_before: tuple[float, ...]
    amount: float


@dataclass(frozen=True)
class Journeys:
    """Everything one conversion type's attribution reads."""

    conversion_type: str
    journeys: list[Journey]
    # Aggregated paths, converting and not: (channels, conversions, non_conversions).
    paths: list[tuple[tuple[str, ...], int, int]]


def export_journeys(warehouse: Path) -> dict[str, Journeys]:
    """Read every conversion type's journeys and aggregated paths from a built warehouse."""
    algo = load_model_module()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        touches = con.execute(
            """
            select
                conversion_type,
                conversion_id,
                list(coalesce(channel, '(none)') order by touch_number),
                list(days_before_conversion * 24 order by touch_number),
                any_value(cast(amount as double))
            from main.int_attribution_journeys_joined
            group by conversion_type, conversion_id
            order by conversion_type, conversion_id
            """
        ).fetchall()
        path_rows = con.execute(
            """
            select conversion_type, channel_path, is_conversion, count(*)
            from main.int_attribution_paths_listed
            group by all
            order by all
            """
        ).fetchall()
    result: dict[str, Journeys] = {}
    aggregated: dict[str, dict[tuple[str, ...], list[int]]] = {}
    for conversion_type, path, is_conversion, count in path_rows:
        result.setdefault(conversion_type, Journeys(conversion_type, [], []))
        counts = aggregated.setdefault(conversion_type, {}).setdefault(
            tuple(path.split(algo.SEPARATOR)), [0, 0]
        )
        counts[0 if is_conversion else 1] += int(count)
    for conversion_type, conversion_id, channels, hours, amount in touches:
        result[conversion_type].journeys.append(
            Journey(conversion_id, tuple(channels), tuple(hours), amount or 0.0)
        )
    for conversion_type, paths in aggregated.items():
        result[conversion_type].paths.extend(
            (path, conversions, non_conversions)
            for path, (conversions, non_conversions) in sorted(paths.items())
        )
    return result


def quiet(function: Any, *args: Any, **kwargs: Any) -> Any:
    """Call a package function with its banners (ChannelAttribution prints adverts) swallowed."""
    with contextlib.redirect_stdout(io.StringIO()):
        return function(*args, **kwargs)


def import_channel_attribution() -> Any:
    """Import ChannelAttribution quietly (it prints a banner on import)."""
    with contextlib.redirect_stdout(io.StringIO()):
        import ChannelAttribution

    return ChannelAttribution


def ca_conversion_frame(journeys: Journeys) -> Any:
    """ChannelAttribution's input: one row per distinct converting path, conversions and value."""
    import pandas

    grouped: dict[str, list[float]] = {}
    for journey in journeys.journeys:
        row = grouped.setdefault(CA_SEPARATOR.join(journey.channels), [0, 0.0])
        row[0] += 1
        row[1] += journey.amount
    return pandas.DataFrame(
        {
            "path": list(grouped),
            "conversions": [row[0] for row in grouped.values()],
            "value": [row[1] for row in grouped.values()],
        }
    )


def ca_heuristics(frame: Any) -> Any:
    """ChannelAttribution's `heuristic_models` on a `ca_conversion_frame`."""
    ca = import_channel_attribution()
    return quiet(
        ca.heuristic_models,
        frame,
        "path",
        "conversions",
        var_value="value",
        sep=CA_SEPARATOR,
        flg_pro=False,
    )


def run_ca_heuristics(journeys: Journeys) -> dict[str, dict[str, tuple[float, float]]]:
    """ChannelAttribution's first, last and linear touch.

    Returns {model: {channel: (credited conversions, credited value)}}.
    """
    frame = ca_heuristics(ca_conversion_frame(journeys))
    result: dict[str, dict[str, tuple[float, float]]] = {}
    for ours, theirs in (
        ("first_touch", "first_touch"),
        ("last_touch", "last_touch"),
        ("linear", "linear_touch"),
    ):
        result[ours] = {
            row.channel_name: (
                float(getattr(row, f"{theirs}_conversions")),
                float(getattr(row, f"{theirs}_value")),
            )
            for row in frame.itertuples()
        }
    return result


def ca_path_frame(journeys: Journeys) -> Any:
    """ChannelAttribution's Markov input: every aggregated path with conversions and nulls."""
    import pandas

    return pandas.DataFrame(
        {
            "path": [CA_SEPARATOR.join(path) for path, _, _ in journeys.paths],
            "conversions": [conversions for _, conversions, _ in journeys.paths],
            "nulls": [non_conversions for _, _, non_conversions in journeys.paths],
        }
    )


def ca_markov(frame: Any, **options: Any) -> Any:
    """ChannelAttribution's `markov_model` on a `ca_path_frame` (its defaults unless `options`)."""
    ca = import_channel_attribution()
    return quiet(
        ca.markov_model,
        frame,
        "path",
        "conversions",
        var_null="nulls",
        sep=CA_SEPARATOR,
        out_more=True,
        verbose=False,
        flg_pro=False,
        **options,
    )


def run_ca_markov(journeys: Journeys) -> dict[str, float]:
    """ChannelAttribution's order-1 Markov removal effects per channel (Monte Carlo)."""
    effects = ca_markov(ca_path_frame(journeys), **CA_MARKOV_OPTIONS)["removal_effects"]
    return {row.channel_name: float(row.removal_effect) for row in effects.itertuples()}


def mam_journeys(journeys: Journeys) -> Any:
    """marketing-attribution-models over the converting journeys (format 'journey')."""
    import pandas
    from mam.core import MAM

    frame = pandas.DataFrame(
        {
            "journey_id": [journey.conversion_id for journey in journeys.journeys],
            "journey": [MAM_SEPARATOR.join(journey.channels) for journey in journeys.journeys],
            "time_till_end": [
                MAM_SEPARATOR.join(repr(float(hours)) for hours in journey.hours_before)
                for journey in journeys.journeys
            ],
            "conversion": [True] * len(journeys.journeys),
            "value": [journey.amount for journey in journeys.journeys],
        }
    )
    return MAM(
        frame,
        format_type="journey",
        channels_colname="journey",
        journey_with_conv_colname="conversion",
        user_id_colname="journey_id",
        time_till_conv_colname="time_till_end",
        conversion_value_colname="value",
        path_separator=MAM_SEPARATOR,
    )


def mam_heuristic_runs(mam: Any, half_life_days: float) -> dict[str, Any]:
    """marketing-attribution-models' five heuristics on a `mam_journeys`, as calls by our names."""
    return {
        "first_touch": mam.run_first_click,
        "last_touch": mam.run_last_click,
        "linear": mam.run_linear,
        "position_based": mam.run_position_based,
        "time_decay": lambda: mam.run_time_decay(half_life_hours=24.0 * half_life_days),
    }


def run_mam_heuristics(journeys: Journeys, half_life_days: float) -> dict[str, dict[str, float]]:
    """marketing-attribution-models' heuristics: {model: {channel: attributed value}}."""
    runs = mam_heuristic_runs(mam_journeys(journeys), half_life_days)
    return {model: _aggregated(quiet(run)) for model, run in runs.items()}


def _aggregated(outcome: Any) -> dict[str, float]:
    """{channel: attribution} from a marketing-attribution-models result."""
    frame = outcome.to_polars()
    return {str(channel): float(value) for channel, value in frame.iter_rows()}


def mam_paths(journeys: Journeys) -> Any:
    """marketing-attribution-models over the aggregated paths (format 'grouped_journey')."""
    import pandas
    from mam.core import MAM

    rows = []
    for path, conversions, non_conversions in journeys.paths:
        joined = MAM_SEPARATOR.join(path)
        if conversions:
            rows.append((joined, True, conversions))
        if non_conversions:
            rows.append((joined, False, non_conversions))
    return MAM(
        pandas.DataFrame(rows, columns=["journey", "conversion", "occurrences"]),
        format_type="grouped_journey",
        channels_colname="journey",
        journey_with_conv_colname="conversion",
        occurrences_colname="occurrences",
        path_separator=MAM_SEPARATOR,
    )


def run_mam_markov(journeys: Journeys) -> dict[str, float]:
    """marketing-attribution-models' exact Markov removal effects (converting and null paths)."""
    outcome = quiet(mam_paths(journeys).run_markov)
    effects = outcome.metadata["removal_effect"]["removal_effect"]
    return {str(channel): float(value) for channel, value in effects.items()}


def run_ours_markov(journeys: Journeys) -> dict[str, float]:
    """The warehouse model's removal effects over the same aggregated paths."""
    _, effects = load_model_module().markov_removal_effects(journeys.paths)
    return effects
