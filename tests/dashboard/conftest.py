"""The published file the dashboard tests read: the session's built warehouse, published once.

The publish carries the run's health (schema `ops`) from a report made of what the warehouse
really holds: the rows in each raw schema, dbt's own run results of the build.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from gtm.dashboard import Dashboard, build_dashboard
from gtm.ops import history, publish
from gtm.ops.health import RunHealth

RUN_ID = "20260701T060000Z-dashboard"


def chromium_path() -> str | None:
    """The Chromium the browser tests drive: $GTM_CHROMIUM, else `chromium` on PATH."""
    configured = os.environ.get("GTM_CHROMIUM")
    return configured if configured else shutil.which("chromium")


def run_report(warehouse: Path) -> dict:
    """The publishing run's report: every source loaded in full, with the rows raw holds."""
    after = history.snapshot_raw(warehouse)
    sources = sorted({schema.removeprefix("raw_") for schema in after.schemas()})
    with duckdb.connect(str(warehouse), read_only=True) as con:
        finished = {
            source: con.execute(f"select max(inserted_at) from raw_{source}._dlt_loads").fetchall()[
                0
            ][0]
            for source in sources
        }
    ingest = {
        source: {
            "status": "loaded",
            "started_at": "2026-07-01T06:00:01+00:00",
            "finished_at": finished[source].isoformat(),
            "seconds": 30.0,
            "tables": history.table_rows(source, {}, history.RawSnapshot(), after),
        }
        for source in sources
    }
    return {
        "run_id": RUN_ID,
        "started_at": "2026-07-01T06:00:00+00:00",
        "mode": "demo",
        "stages": [{"stage": "ingest", "seconds": 61.0}, {"stage": "build", "seconds": 240.0}],
        "ingest": ingest,
        "errors": [],
        "schema_changes": [],
        "anomalies": [],
        "dbt": {"success": True, "counts": {}, "failures": []},
    }


@dataclass(frozen=True)
class PublishedMarts:
    """The warehouse, its published file, dbt's results file and the report published with it."""

    warehouse: Path
    path: Path
    results_file: Path
    report: dict


@pytest.fixture(scope="session")
def published_marts(built_warehouse, tmp_path_factory) -> PublishedMarts:
    """The built warehouse's marts published once, with the run's health."""
    results_file = built_warehouse.path.parent / "target" / "run_results.json"
    report = run_report(built_warehouse.path)
    target = tmp_path_factory.mktemp("published") / "marts.duckdb"
    publish.publish_marts(built_warehouse.path, target, RUN_ID, RunHealth(report, results_file))
    return PublishedMarts(built_warehouse.path, target, results_file, report)


@pytest.fixture(scope="session")
def dashboard(published_marts, tmp_path_factory) -> Dashboard:
    """The dashboard of the published file, built once."""
    out = tmp_path_factory.mktemp("dashboard") / "index.html"
    return build_dashboard(published_marts.path, out)
