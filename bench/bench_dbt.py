"""Benchmark `dbt build` against the same compiled SQL run in one DuckDB process, in one run.

1. A scale-1 raw warehouse: generated and ingested once into a scratch folder (or reused with
   `--raw FILE`, a DuckDB file `gtm ingest` wrote).
2. `gtm build` on a copy of it, as a user runs it (dbt build in two phases around the training of
   the predictive models, the profile's threads, partial parse warm from an untimed `dbt parse`),
   timed from process start to exit: the training's time counts as the build's.
3. The floor, on a second copy of the raw file: the seeds copied from the built warehouse, every
   SQL model's compiled SQL (target/compiled) wrapped in `create or replace table|view ... as`, in
   the build's DAG order, then every data test's and unit test's compiled SQL under dbt's own
   failure-count wrapper, all in one DuckDB process; plus the Python models' execution time as dbt
   measured it (run_results.json; none since the training moved to gtm/training).
4. The ratio: build wall time over (SQL floor + Python models), and the breakdown: dbt start-up
   (process start to the first node), node time by kind (models, data tests, unit tests, seeds)
   and the 10 slowest nodes.

Usage: .venv/bin/python bench/bench_dbt.py [--raw FILE] [--work DIR] [--scale 1] [--label NAME]
Writes bench/results/dbt_<label>.json (label default: `latest`).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
AS_OF = date(2026, 6, 30)
TEST_WRAPPER = (
    "select count(*) as failures, count(*) != 0 as should_warn, count(*) != 0 as should_error "
    "from (\n{sql}\n) dbt_internal_test"
)


def raw_warehouse(work: Path, scale: float) -> Path:
    """Generate a world at `scale` and ingest it into `work/raw.duckdb` (reused when present)."""
    raw = work / "raw.duckdb"
    if raw.exists():
        return raw
    world = work / "world"
    env = {**os.environ, "GTM_DUCKDB_PATH": str(raw)}
    gtm = str(BIN / "gtm")
    subprocess.run(
        [
            gtm,
            "generate",
            "--scale",
            str(scale),
            "--seed",
            "42",
            "--as-of",
            AS_OF.isoformat(),
            "--out",
            str(world),
        ],
        check=True,
        env=env,
    )
    subprocess.run([gtm, "ingest", "--world", str(world)], check=True, env=env)
    return raw


def copy_warehouse(raw: Path, folder: Path) -> Path:
    """Copy `raw` to `folder/wh.duckdb` (one name everywhere: compiled SQL names the catalog)."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    target = folder / "wh.duckdb"
    shutil.copyfile(raw, target)
    return target


def run_dbt_build(warehouse: Path, target: Path) -> tuple[float, float, int]:
    """Run an untimed `dbt parse`, then a timed `gtm build`; return (start epoch, seconds, rc)."""
    env = {
        **os.environ,
        "GTM_DUCKDB_PATH": str(warehouse),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DBT_TARGET_PATH": str(target),
        "DBT_LOG_PATH": str(target / "logs"),
    }
    dbt = str(BIN / "dbt")
    common = ["--project-dir", str(ROOT), "--profiles-dir", str(ROOT)]
    subprocess.run([dbt, "--quiet", "parse", *common], check=True, env=env, cwd=ROOT)
    started = time.time()
    # `gtm build`: dbt build in two phases around the training of the predictive models.
    done = subprocess.run([str(BIN / "gtm"), "build"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    return started, time.time() - started, done.returncode


def node_seconds(result: dict[str, Any]) -> tuple[float, float]:
    """Return a run_results entry's (start epoch, end epoch) over its compile and execute phases."""
    times = [
        datetime.fromisoformat(phase[key].replace("Z", "+00:00")).timestamp()
        for phase in result.get("timing", [])
        for key in ("started_at", "completed_at")
        if phase.get(key)
    ]
    return (min(times), max(times)) if times else (0.0, 0.0)


def kind_of(node: dict[str, Any]) -> str:
    """Return a node's kind for the breakdown: model_sql, model_python, test, unit_test, seed."""
    kind = node["resource_type"]
    if kind == "model":
        return f"model_{node.get('language', 'sql')}"
    return kind


def relation(node: dict[str, Any]) -> str:
    """Return the node's quoted `database.schema.alias`."""
    return f'"{node["database"]}"."{node["schema"]}"."{node.get("alias") or node["name"]}"'


def run_floor(
    built: Path, floor_db: Path, manifest: dict[str, Any], order: list[str], target: Path
) -> dict[str, Any]:
    """Run the build's compiled SQL in one DuckDB process on `floor_db`; return the timings."""
    nodes = {**manifest["nodes"], **manifest.get("unit_tests", {})}
    con = duckdb.connect(str(floor_db))
    con.execute("set TimeZone = 'UTC'")
    timings: dict[str, float] = defaultdict(float)
    failing: list[str] = []
    started = time.perf_counter()
    con.execute(f"attach '{built}' as built (read_only)")
    for unique_id in order:
        node = nodes[unique_id]
        kind = kind_of(node)
        if kind == "seed":
            t0 = time.perf_counter()
            con.execute(f'create schema if not exists "{node["schema"]}"')
            name = node.get("alias") or node["name"]
            con.execute(
                f"create or replace table {relation(node)} as "
                f'select * from built."{node["schema"]}"."{name}"'
            )
            timings["seed"] += time.perf_counter() - t0
        elif kind == "model_sql":
            sql = compiled_sql(target, node)
            materialized = node["config"]["materialized"]
            kind_sql = "view" if materialized == "view" else "table"
            t0 = time.perf_counter()
            con.execute(f'create schema if not exists "{node["schema"]}"')
            con.execute(f"create or replace {kind_sql} {relation(node)} as (\n{sql}\n)")
            timings["model_sql"] += time.perf_counter() - t0
        elif kind == "model_python":
            # Python models are copied from the build (their time is taken from dbt's own timing).
            t0 = time.perf_counter()
            con.execute(f'create schema if not exists "{node["schema"]}"')
            name = node.get("alias") or node["name"]
            con.execute(
                f"create or replace table {relation(node)} as "
                f'select * from built."{node["schema"]}"."{name}"'
            )
            timings["python_copy"] += time.perf_counter() - t0
        elif kind in ("test", "unit_test"):
            sql = compiled_sql(target, node)
            t0 = time.perf_counter()
            failures = con.execute(TEST_WRAPPER.format(sql=sql)).fetchone()[0]
            timings[kind] += time.perf_counter() - t0
            if failures and kind == "test" and node["config"].get("severity", "ERROR") == "ERROR":
                failing.append(unique_id)
    total = time.perf_counter() - started - timings.pop("python_copy", 0.0)
    con.close()
    by_kind = {k: round(v, 2) for k, v in timings.items()}
    return {"seconds": round(total, 2), "by_kind": by_kind, "failing": failing}


def profile_threads() -> int | None:
    """Return the `threads` of the profile's dev target (profiles.yml in the repo root)."""
    import yaml

    profile = yaml.safe_load((ROOT / "profiles.yml").read_text())["gtm_warehouse"]
    return profile["outputs"][profile.get("target", "dev")].get("threads")


def compiled_sql(target: Path, node: dict[str, Any]) -> str:
    """Return a node's compiled SQL (as dbt wrote it under target/compiled)."""
    if node.get("compiled_code"):
        return node["compiled_code"]
    path = target / "compiled" / node["package_name"] / node["original_file_path"]
    return path.read_text()


def main() -> None:
    """Run the benchmark and write bench/results/dbt_<label>.json."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw", type=Path, help="an ingested raw warehouse to reuse")
    parser.add_argument("--work", type=Path, default=Path("/tmp/bench_dbt"))
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--label", default="latest")
    parser.add_argument(
        "--reuse-build",
        action="store_true",
        help="skip the build: measure the floor against the last build in --work (debugging)",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    raw = args.raw or raw_warehouse(args.work, args.scale)

    target = args.work / "target"
    wall = args.work / "build_wall.json"
    if args.reuse_build:  # re-measure the floor against the last build in --work
        built = args.work / "build" / "wh.duckdb"
        started, build_seconds, rc = json.loads(wall.read_text())
    else:
        built = copy_warehouse(raw, args.work / "build")
        started, build_seconds, rc = run_dbt_build(built, target)
        wall.write_text(json.dumps([started, build_seconds, rc]))
    results = json.loads((target / "run_results.json").read_text())
    # run_results has compiled_code per node; the manifest has the rest.
    manifest = json.loads((target / "manifest.json").read_text())
    for result in results["results"]:
        uid = result["unique_id"]
        node = manifest["nodes"].get(uid) or manifest.get("unit_tests", {}).get(uid)
        if node is not None and result.get("compiled_code"):
            node["compiled_code"] = result["compiled_code"]

    nodes = {**manifest["nodes"], **manifest.get("unit_tests", {})}
    # Exposures and saved queries are listed with status no-op and no SQL: not nodes that run.
    results["results"] = [r for r in results["results"] if r["unique_id"] in nodes]
    spans = {r["unique_id"]: node_seconds(r) for r in results["results"]}
    first_start = min(start for start, _ in spans.values() if start)
    last_end = max(end for _, end in spans.values())
    # DAG order = the order dbt started the nodes in (dependencies always start after parents end).
    order = sorted(spans, key=lambda uid: spans[uid][0])
    by_kind: dict[str, float] = defaultdict(float)
    count: dict[str, int] = defaultdict(int)
    for result in results["results"]:
        kind = kind_of(nodes[result["unique_id"]])
        by_kind[kind] += result["execution_time"]
        count[kind] += 1
    python_seconds = by_kind.get("model_python", 0.0)
    statuses = defaultdict(int)
    for result in results["results"]:
        statuses[result["status"]] += 1

    floor = run_floor(built, copy_warehouse(raw, args.work / "floor"), manifest, order, target)
    floor_total = floor["seconds"] + python_seconds
    slowest = sorted(results["results"], key=lambda r: -r["execution_time"])[:10]
    node_total = sum(by_kind.values())
    report = {
        "scale": args.scale,
        "threads": profile_threads(),
        "cpus": os.cpu_count(),
        "build_returncode": rc,
        "statuses": dict(statuses),
        "dbt_build_seconds": round(build_seconds, 2),
        "floor_sql_seconds": floor["seconds"],
        "floor_sql_by_kind": floor["by_kind"],
        "python_models_seconds": round(python_seconds, 2),
        "floor_seconds": round(floor_total, 2),
        "ratio": round(build_seconds / floor_total, 2),
        "startup_seconds": round(first_start - started, 2),
        "nodes_wall_seconds": round(last_end - first_start, 2),
        "shutdown_seconds": round(started + build_seconds - last_end, 2),
        "node_seconds_by_kind": {k: round(v, 2) for k, v in sorted(by_kind.items())},
        "node_share_by_kind": {k: round(v / node_total, 3) for k, v in sorted(by_kind.items())},
        "node_count_by_kind": dict(sorted(count.items())),
        "slowest_nodes": [
            {"node": r["unique_id"], "seconds": round(r["execution_time"], 2)} for r in slowest
        ],
        "floor_failing_tests": floor["failing"],
    }
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / f"dbt_{args.label}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
