"""Benchmark incremental `gtm run` cycles against a full run, as ratios from one run.

One warehouse, three `gtm run`s over the same demo world (each the whole run: ingest, build, tests,
publish), the demo servers' clock set before each:

1. full: a fresh warehouse, the servers' clock `--change-days` days before the world's as-of date.
2. no change: the same clock again. The ingest finds nothing new, and the run compares the raw
   tables' fingerprints with those of the last published build (gtm/ops/changes.py): nothing to
   build, test or publish.
3. change: the clock advanced to the as-of date (the last `--change-days` days of the world arrive,
   ~1% of the events at the default 7 of its two years), so dbt builds what reads the changed raw
   tables, and the incremental models (docs/incremental.md) rebuild only their changed keys.

Reports each run's seconds and stages, the rows each run loaded (the change's share of the
warehouse's raw rows) and the ratios no-change/full and change/full.

Usage: .venv/bin/python bench/bench_incremental.py [--scale 1] [--change-days 7] [--out DIR]
Writes bench/results/incremental_scale<scale>.json. Scale 10 takes hours on a 2-core machine: run it
only where that is meant.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from gtm.project import find_repo_root, report_path
from gtm_demo.generator import generate, read_world_meta

ROOT = find_repo_root(Path(__file__).parent)
AS_OF = date(2026, 6, 30)
RUN = """
import os, sys
from datetime import datetime
from gtm_demo import settings

moment = datetime.fromisoformat(os.environ["BENCH_DEMO_MOMENT"])
start_server = settings.start_server


def start_at_moment(system, world_dir, **options):
    # The demo servers' clock: every server serves the world as of the bench's moment.
    return start_server(system, world_dir, moment=moment, **options)


settings.start_server = start_at_moment
from gtm.cli import app

sys.argv = ["gtm", "run", *sys.argv[1:]]
app()
"""


def raw_rows(warehouse: Path) -> int:
    """Rows in the warehouse's raw tables (dlt's own tables and staging schemas left out)."""
    from gtm.ops.history import snapshot_raw

    return sum(snapshot_raw(warehouse).rows.values())


def gtm_run(
    world: Path, meta: dict[str, Any], warehouse: Path, moment: datetime, work: Path
) -> dict[str, Any]:
    """Run `gtm run` with the demo servers' clock at `moment`; return seconds and its report."""
    env = os.environ | {
        "GTM_DUCKDB_PATH": str(warehouse),
        "BENCH_DEMO_MOMENT": moment.isoformat(),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    world_options = ["--scale", f"{meta['scale']:g}", "--seed", str(meta["seed"])]
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", RUN, "--world", str(world), *world_options],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    report_file = report_path(ROOT, warehouse)
    report = json.loads(report_file.read_text()) if report_file.exists() else {}
    if done.returncode != 0 and not report:
        raise RuntimeError(
            f"gtm run failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )
    return {
        "seconds": round(seconds, 1),
        "status": report.get("status"),
        "exit_code": done.returncode,
        "stages": {stage["stage"]: stage["seconds"] for stage in report.get("stages", [])},
        "build_plan": report.get("build_plan"),
        "dbt": report.get("dbt"),
        "failures": [f["unique_id"] for f in (report.get("dbt") or {}).get("failures", [])],
        "published": (report.get("publish") or {}).get("published"),
        "raw_rows": raw_rows(warehouse),
    }


def main() -> None:
    """Run the three cycles and write the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--change-days", type=int, default=7)
    parser.add_argument("--world", type=Path, help="a demo world of that scale and seed to reuse")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="bench_incremental_"))
    world = args.world or scratch / "world"
    meta = read_world_meta(world) if world.exists() else None
    if meta is None or (meta["scale"], meta["seed"]) != (args.scale, args.seed):
        generate(world, scale=args.scale, seed=args.seed, as_of=AS_OF)
        meta = read_world_meta(world)
    end = datetime.fromisoformat(meta["as_of"]).replace(tzinfo=UTC)
    before = end - timedelta(days=args.change_days)
    work = scratch / "run"
    work.mkdir()
    warehouse = work / "warehouse.duckdb"

    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / f"incremental_scale{args.scale:g}.json"
    runs: dict[str, dict[str, Any]] = {}
    for name, moment in (("full", before), ("no_change", before), ("change", end)):
        runs[name] = gtm_run(world, meta, warehouse, moment, work)
        out.write_text(json.dumps({"scale": args.scale, "runs": runs}, indent=2) + "\n")
    full = runs["full"]["seconds"]
    added = runs["change"]["raw_rows"] - runs["no_change"]["raw_rows"]
    result = {
        "scale": args.scale,
        "seed": args.seed,
        "change_days": args.change_days,
        "moments": {"before": before.isoformat(), "after": end.isoformat()},
        "runs": runs,
        "change_share_of_raw_rows": round(added / max(runs["change"]["raw_rows"], 1), 4),
        "ratio_no_change_over_full": round(runs["no_change"]["seconds"] / full, 3),
        "ratio_change_over_full": round(runs["change"]["seconds"] / full, 3),
        "targets": {"no_change_at_scale_1": 0.1, "change_1pct_at_scale_10": 0.1},
    }
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
