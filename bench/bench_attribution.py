"""Attribution speed: our nine models against ChannelAttribution and MAM, on the same journeys.

For each scale (default 1 and 10), a built warehouse (given with `--warehouse SCALE=PATH`, or
generated, ingested and built here) is read once, and then, on the same journeys, one run times:

- **ours**: all nine models as the build runs them, on the warehouse's intermediate tables: the
  compiled SQL of int_touchpoints_attributed_heuristically (first, last, linear, position-based,
  W-shaped, time decay), then the paths (int_attribution_paths_listed, SQL), the training (exact
  Markov removal effects and the data-driven fit, gtm/training/attribution.py), the SQL model that
  applies the stored parameters (int_attribution_channels_credited: Markov, Shapley, data-driven)
  and the per-touch split (int_touchpoints_attributed_algorithmically, SQL), each SQL step
  materialised into a temp table;
- **ChannelAttribution**: `heuristic_models` and `markov_model` with the package's defaults (a
  Monte-Carlo estimate from 100,000 simulated paths per conversion type);
- **marketing-attribution-models (MAM)**: first, last, linear, position-based, time decay and
  Markov.

The packages get their input already built as DataFrames (their preparation is not timed); ours
starts from the warehouse tables. Every figure is the best of three runs (the first warms caches).
Ratios: ours / ChannelAttribution's Markov (the target is <= 1), ours / each package's full set,
and scale 10 / scale 1. Results: bench/results/attribution.json.

    .venv/bin/python bench/bench_attribution.py --warehouse 1=/tmp/s1/wh.duckdb --warehouse 10=...
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

# Imported before any timing, as the packages are: the training imports numpy lazily.
import numpy  # noqa: F401
import pyarrow  # noqa: F401

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "support"))

import attribution_peers as peers  # noqa: E402

RESULTS = REPO / "bench" / "results"
HEURISTIC_MODEL = "int_touchpoints_attributed_heuristically"
PATHS_MODEL = "int_attribution_paths_listed"
CREDIT_MODEL = "int_attribution_channels_credited"
SPLIT_MODEL = "int_touchpoints_attributed_algorithmically"
HALF_LIFE_DAYS = 7.0
REPEATS = 3


def _build(scale: float, work: Path) -> Path:
    """Generate the world at `scale`, ingest it and run dbt build; return the warehouse path."""
    from warehouse_support import build_warehouse

    from gtm_demo.generator import generate

    world = work / "world"
    generate(world, scale=scale, seed=42, as_of=date(2026, 6, 30))
    built = build_warehouse(world, work)
    if built.failures():
        raise SystemExit(f"dbt build failed at scale {scale}: {built.failures()[:3]}")
    return built.path


def _compiled_sql(warehouse: Path, work: Path, models: list[str]) -> dict[str, str]:
    """Each model's SQL as dbt compiles it against `warehouse` (catalog = file stem)."""
    from warehouse_support import run_dbt

    compiled = run_dbt(warehouse, work, "compile", "--select", *models)
    if compiled.returncode != 0:
        raise SystemExit(f"dbt compile failed:\n{compiled.stdout}\n{compiled.stderr}")
    return {model: next((work / "target").rglob(f"{model}.sql")).read_text() for model in models}


def _timed(function: Any) -> tuple[float, Any]:
    """Best of REPEATS calls (the first also warms DuckDB's buffers and the packages' caches)."""
    best, value = float("inf"), None
    for _ in range(REPEATS):
        start = time.perf_counter()
        value = function()
        best = min(best, time.perf_counter() - start)
    return best, value


def _ours(warehouse: Path, compiled: dict[str, str]) -> dict[str, Any]:
    """Time our nine models from the warehouse tables, each step into a temp table.

    The data-driven part is four steps, as the build runs them: the paths (SQL), the training
    (Python, reading the paths), the channel credits (SQL over the parameters the build stored,
    equal to what this training learns) and their split over touches (SQL, reading the built
    credits table, which holds the same rows).
    """
    from gtm.training.train import ATTRIBUTION_COLUMNS

    algo = peers.load_model_module()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        con.execute("set threads to 2")
        heuristic_seconds, _ = _timed(
            lambda: con.execute(
                f"create or replace temp table heuristic as {compiled[HEURISTIC_MODEL]}"
            )
        )

        def algorithmic() -> None:
            con.execute(f"create or replace temp table paths as {compiled[PATHS_MODEL]}")
            rows = con.execute(f"select {', '.join(ATTRIBUTION_COLUMNS)} from paths").fetchall()
            algo.train(algo.journeys_from_rows(rows))
            con.execute(f"create or replace temp table credits as {compiled[CREDIT_MODEL]}")
            con.execute(f"create or replace temp table algorithmic as {compiled[SPLIT_MODEL]}")

        algorithmic_seconds, _ = _timed(algorithmic)
        rows = con.execute(
            "select (select count(*) from heuristic), (select count(*) from algorithmic)"
        ).fetchone()
    return {
        "heuristic_seconds": round(heuristic_seconds, 3),
        "algorithmic_seconds": round(algorithmic_seconds, 3),
        "seconds": round(heuristic_seconds + algorithmic_seconds, 3),
        "rows": {"heuristic": rows[0], "algorithmic": rows[1]},
    }


def _peers(journeys: dict[str, peers.Journeys]) -> dict[str, Any]:
    """Time both packages on every conversion type's journeys (inputs prepared beforehand)."""
    frames = {
        conversion_type: (
            peers.ca_conversion_frame(typed),
            peers.ca_path_frame(typed),
            peers.mam_journeys(typed),
            peers.mam_paths(typed),
        )
        for conversion_type, typed in journeys.items()
    }
    timings = {"ca_heuristics": 0.0, "ca_markov": 0.0, "mam_heuristics": 0.0, "mam_markov": 0.0}
    for conversion_frame, path_frame, mam_journeys, mam_paths in frames.values():
        runs = peers.mam_heuristic_runs(mam_journeys, HALF_LIFE_DAYS)
        for key, call in (
            ("ca_heuristics", lambda frame=conversion_frame: peers.ca_heuristics(frame)),
            ("ca_markov", lambda frame=path_frame: peers.ca_markov(frame)),
            ("mam_heuristics", lambda runs=runs: [peers.quiet(run) for run in runs.values()]),
            ("mam_markov", lambda mam=mam_paths: peers.quiet(mam.run_markov)),
        ):
            seconds, _ = _timed(call)
            timings[key] += seconds
    return {key: round(value, 3) for key, value in timings.items()}


def _measure(scale: float, warehouse: Path, work: Path) -> dict[str, Any]:
    models = [HEURISTIC_MODEL, PATHS_MODEL, CREDIT_MODEL, SPLIT_MODEL]
    compiled = _compiled_sql(warehouse, work, models)
    journeys = peers.export_journeys(warehouse)
    ours = _ours(warehouse, compiled)
    theirs = _peers(journeys)
    ca_all = theirs["ca_heuristics"] + theirs["ca_markov"]
    mam_all = theirs["mam_heuristics"] + theirs["mam_markov"]
    return {
        "scale": scale,
        "conversions": {key: len(value.journeys) for key, value in journeys.items()},
        "distinct_paths": {key: len(value.paths) for key, value in journeys.items()},
        "journeys_with_nulls": {
            key: sum(c + n for _, c, n in value.paths) for key, value in journeys.items()
        },
        "ours": ours,
        "peers": theirs,
        "ratios": {
            "ours_over_ca_markov": round(ours["seconds"] / theirs["ca_markov"], 3),
            "ours_over_ca_all": round(ours["seconds"] / ca_all, 3),
            "ours_over_mam_all": round(ours["seconds"] / mam_all, 3),
        },
    }


def main() -> None:
    """Measure every scale in one run and write bench/results/attribution.json."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0, 10.0])
    parser.add_argument(
        "--warehouse",
        action="append",
        default=[],
        metavar="SCALE=PATH",
        help="a built warehouse to reuse for SCALE (else one is generated and built)",
    )
    args = parser.parse_args()
    given = {float(item.split("=", 1)[0]): Path(item.split("=", 1)[1]) for item in args.warehouse}
    runs = []
    with tempfile.TemporaryDirectory(prefix="bench_attribution_") as tmp:
        for scale in args.scales:
            work = Path(tmp) / f"scale_{scale:g}"
            work.mkdir()
            warehouse = given.get(scale) or _build(scale, work)
            run = _measure(scale, warehouse, work)
            print(json.dumps(run), flush=True)
            runs.append(run)
    report: dict[str, Any] = {"runs": runs}
    if len(runs) >= 2:
        first, last = runs[0], runs[-1]
        report["scale_ratio"] = last["scale"] / first["scale"]
        report["ours_time_ratio"] = round(last["ours"]["seconds"] / first["ours"]["seconds"], 2)
        report["ca_markov_time_ratio"] = round(
            last["peers"]["ca_markov"] / first["peers"]["ca_markov"], 2
        )
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "attribution.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
