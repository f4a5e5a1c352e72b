"""Dashboard build time at a given scale (default 1), and its page load time in headless Chromium.

A demo world is generated, ingested through the local servers and built with `dbt build` (or an
existing build is reused: `--work` keeps `world/`, `wh.duckdb` and dbt's `target/`), its marts are
published with the run's health exactly as `gtm run` does, and then:

- **build**: `build_dashboard` on the published file, `--repeat` times (median and min);
- **size**: the HTML file's size (plotly.js inlined once);
- **load**: Chromium (Debian's, driven by Playwright, offline) opens the file from disk; the time
  until the overview's charts are drawn, and until every page's charts are (median of 5 loads).

Results: bench/results/dashboard.json.

    .venv/bin/python bench/bench_dashboard.py --work /tmp/dash_bench
    .venv/bin/python bench/bench_dashboard.py --work /tmp/dash_bench --scale 0.1
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
RESULTS = REPO / "bench" / "results"
AS_OF = date(2026, 6, 30)
sys.path.insert(0, str(REPO / "tests" / "support"))


def build_warehouse(work: Path, scale: float, seed: int) -> Path:
    """Generate, ingest and `dbt build` into `work` unless it already holds a build."""
    warehouse = work / "wh.duckdb"
    if (work / "target" / "run_results.json").exists() and warehouse.exists():
        return warehouse
    env = os.environ | {
        "GTM_DUCKDB_PATH": str(warehouse),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    world = work / "world"
    if not (world / "manifest.json").exists():
        subprocess.run(
            [str(BIN / "gtm"), "generate", "--scale", str(scale), "--seed", str(seed),
             "--as-of", AS_OF.isoformat(), "--out", str(world)],
            check=True, env=env, cwd=REPO,
        )  # fmt: skip
    subprocess.run(
        [str(BIN / "gtm"), "ingest", "--world", str(world)], check=True, env=env, cwd=REPO
    )
    subprocess.run(
        [str(BIN / "gtm"), "build"],
        check=True, env=env | {"DBT_TARGET_PATH": str(work / "target")}, cwd=REPO,
    )  # fmt: skip
    return warehouse


def page_load(path: Path, loads: int) -> dict[str, Any]:
    """Open the dashboard in headless Chromium, offline: seconds to the overview, to every page."""
    from dashboard_support import chromium_path
    from playwright.sync_api import sync_playwright

    from gtm.dashboard.pages import PAGES

    first: list[float] = []
    every: list[float] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), args=["--no-sandbox", "--disable-gpu"]
        )
        for _ in range(loads):
            context = browser.new_context(offline=True, viewport={"width": 1440, "height": 900})
            page = context.new_page()
            started = time.perf_counter()
            page.goto(path.as_uri(), wait_until="load")
            page.wait_for_selector("#page-overview .js-plotly-plot .main-svg")
            first.append(time.perf_counter() - started)
            for key in PAGES:
                page.evaluate(f"location.hash = '#{key}'")
                page.wait_for_selector(f"body[data-page='{key}']")
            every.append(time.perf_counter() - started)
            context.close()
        browser.close()
    return {
        "overview_drawn_seconds_median": round(statistics.median(first), 3),
        "all_pages_shown_seconds_median": round(statistics.median(every), 3),
        "loads": loads,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    from dashboard_support import RUN_ID, run_report

    from gtm.dashboard import build_dashboard
    from gtm.ops import publish
    from gtm.ops.health import RunHealth
    from gtm.privacy import policy

    args.work.mkdir(parents=True, exist_ok=True)
    warehouse = build_warehouse(args.work, args.scale, args.seed)
    published = args.work / "marts.duckdb"
    started = time.perf_counter()
    health = RunHealth(run_report(warehouse), args.work / "target" / "run_results.json")
    manifest = policy.load_manifest(args.work / "target" / "manifest.json")
    publish.publish_marts(
        warehouse, published, RUN_ID, manifest, key=lambda: "bench-key", health=health
    )
    publish_seconds = time.perf_counter() - started
    out = args.work / "dashboard" / "index.html"
    seconds = []
    for _ in range(args.repeat):
        built = build_dashboard(published, out)
        seconds.append(built.seconds)
    result = {
        "scale": args.scale,
        "seed": args.seed,
        "publish_seconds": round(publish_seconds, 3),
        "build_seconds_median": round(statistics.median(seconds), 3),
        "build_seconds_min": round(min(seconds), 3),
        "repeat": args.repeat,
        "html_bytes": built.bytes,
        "published_bytes": published.stat().st_size,
        "cpu_count": os.cpu_count(),
        "load_average": os.getloadavg()[0],
    }
    if shutil.which("chromium") or os.environ.get("GTM_CHROMIUM"):
        result |= page_load(out, 5)
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = "dashboard.json" if args.scale == 1 else f"dashboard_scale{args.scale:g}.json"
    (RESULTS / name).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
