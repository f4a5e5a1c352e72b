"""Helpers of the dashboard tests and bench: the Chromium to drive, a publishing run's report.

The report is made of what the warehouse really holds (the rows in each raw schema), so the
published health (schema `ops`) shows real numbers.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb

from gtm.ops import history

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
