"""The run's health, published beside the marts: schema `ops` of the published file.

A BI user (and the bundled dashboard's data-health page) reads the published file only: never the
warehouse, which a run may be writing. So the publish also writes, into schema `ops`:

- `run_history`: every earlier run (`ops.run_history` of the warehouse) and the publishing run;
- `source_loads`: per run and source, its status, when it finished and the rows it loaded;
- `anomalies` and `schema_changes`: what each run's report found;
- `test_results`: every data and unit test of the publishing build, with its status;
- `quarantined_records`: the records the build quarantined, counted per source, object, reason
  and field (no record ids: the counts are what a reader needs).

Each table exists (possibly empty) in every publish that carried the run's report, so a reader can
tell "nothing happened" from "not recorded".
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from gtm.ops.history import HISTORY_TABLE

OPS_SCHEMA = "ops"
QUARANTINE_MODEL = "int_records_quarantined"

TABLES: dict[str, str] = {
    "run_history": (
        "run_id varchar, started_at timestamp with time zone, "
        "finished_at timestamp with time zone, status varchar, sources_loaded varchar, "
        "rows_loaded bigint, tests_failed integer, published boolean, seconds double"
    ),
    "source_loads": (
        "run_id varchar, source varchar, status varchar, "
        "finished_at timestamp with time zone, rows_loaded bigint, rows_in_raw bigint, "
        "error varchar"
    ),
    "anomalies": (
        "run_id varchar, source varchar, table_name varchar, new_rows bigint, baseline double, "
        "deviation double, threshold double"
    ),
    "schema_changes": (
        "run_id varchar, kind varchar, schema_name varchar, table_name varchar, "
        "column_name varchar, change varchar"
    ),
    "test_results": (
        "unique_id varchar, test_name varchar, resource_type varchar, status varchar, "
        "failures bigint, message varchar"
    ),
    "quarantined_records": (
        "source_system varchar, source_table varchar, reason varchar, detail varchar, "
        "is_record_excluded boolean, records bigint"
    ),
}
"""Every table of schema `ops` in the published file, with its columns."""


@dataclass(frozen=True)
class RunHealth:
    """What the publishing run knows about itself: its report so far and dbt's results file."""

    report: Mapping[str, Any]
    """The run's report as `RunReport.to_json()` gives it at publish time."""
    results_file: Path | None = None
    """dbt's run_results.json of the build (absent: no test results are published)."""


def _seconds(report: Mapping[str, Any]) -> float:
    return round(sum(float(stage.get("seconds") or 0) for stage in report.get("stages", [])), 3)


def _history_rows(
    past: Sequence[Mapping[str, Any]], current: Mapping[str, Any]
) -> list[tuple[Any, ...]]:
    rows = []
    for report in [*past, current]:
        ingest = report.get("ingest", {})
        loaded = [name for name, source in ingest.items() if source.get("status") == "loaded"]
        rows_loaded = sum(
            int(table.get("loaded") or 0)
            for source in ingest.values()
            for table in (source.get("tables") or {}).values()
        )
        failures = report.get("dbt", {}).get("failures", [])
        is_current = report is current
        rows.append(
            (
                report["run_id"],
                report["started_at"],
                report.get("finished_at"),
                "published" if is_current else report.get("status"),
                ",".join(loaded),
                rows_loaded,
                sum(f["unique_id"].startswith(("test.", "unit_test.")) for f in failures),
                True if is_current else bool(report.get("publish", {}).get("published")),
                _seconds(report),
            )
        )
    return rows


def _load_rows(reports: Iterable[Mapping[str, Any]]) -> list[tuple[Any, ...]]:
    rows = []
    for report in reports:
        for source, result in report.get("ingest", {}).items():
            tables = (result.get("tables") or {}).values()
            rows.append(
                (
                    report["run_id"],
                    source,
                    result.get("status"),
                    result.get("finished_at"),
                    sum(int(t.get("loaded") or 0) for t in tables) if tables else None,
                    sum(int(t.get("rows_in_raw") or 0) for t in tables) if tables else None,
                    result.get("error"),
                )
            )
    return rows


def _anomaly_rows(reports: Iterable[Mapping[str, Any]]) -> list[tuple[Any, ...]]:
    return [
        (
            report["run_id"],
            found.get("source"),
            found.get("table"),
            found.get("new_rows"),
            found.get("baseline"),
            found.get("deviation"),
            found.get("threshold"),
        )
        for report in reports
        for found in report.get("anomalies", [])
    ]


def _schema_change_rows(reports: Iterable[Mapping[str, Any]]) -> list[tuple[Any, ...]]:
    rows = []
    for report in reports:
        for change in report.get("schema_changes", []):
            kind = change.get("kind")
            detail = (
                f"{change.get('from')} -> {change.get('to')}"
                if kind == "retyped_column"
                else change.get("type")
            )
            rows.append(
                (
                    report["run_id"],
                    kind,
                    change.get("schema"),
                    change.get("table"),
                    change.get("column"),
                    detail,
                )
            )
    return rows


def _test_rows(results_file: Path | None) -> list[tuple[Any, ...]]:
    if results_file is None or not results_file.exists():
        return []
    rows = []
    for result in json.loads(results_file.read_text(encoding="utf-8"))["results"]:
        unique_id = result["unique_id"]
        resource = unique_id.split(".", 1)[0]
        if resource not in ("test", "unit_test"):
            continue
        failures = result.get("failures")
        message = " ".join(str(result.get("message") or "").split())
        rows.append(
            (
                unique_id,
                unique_id.split(".")[2] if unique_id.count(".") >= 2 else unique_id,
                resource,
                result["status"],
                int(failures) if failures is not None else None,
                message if result["status"] != "pass" else None,
            )
        )
    return rows


def _past_reports(con: duckdb.DuckDBPyConnection, catalog: str) -> list[dict[str, Any]]:
    schema, table = HISTORY_TABLE.split(".")
    exists = con.execute(
        "select count(*) from information_schema.tables "
        "where table_catalog = ? and table_schema = ? and table_name = ?",
        [catalog, schema, table],
    ).fetchall()[0][0]
    if not exists:
        return []
    found = con.execute(
        f"select report from {catalog}.{HISTORY_TABLE} order by started_at"
    ).fetchall()
    return [json.loads(report) for (report,) in found]


def _quarantine_source(con: duckdb.DuckDBPyConnection, catalog: str) -> str | None:
    found = con.execute(
        "select table_schema from information_schema.tables "
        "where table_catalog = ? and table_name = ? order by table_schema",
        [catalog, QUARANTINE_MODEL],
    ).fetchall()
    return f'{catalog}."{found[0][0]}".{QUARANTINE_MODEL}' if found else None


def write_health(
    con: duckdb.DuckDBPyConnection, warehouse: str, publish: str, health: RunHealth
) -> dict[str, int]:
    """Write schema `ops` into catalog `publish` from catalog `warehouse` and `health`.

    Returns the rows written per table.
    """
    past = [r for r in _past_reports(con, warehouse) if r["run_id"] != health.report["run_id"]]
    reports = [*past, health.report]
    rows: dict[str, list[tuple[Any, ...]]] = {
        "run_history": _history_rows(past, health.report),
        "source_loads": _load_rows(reports),
        "anomalies": _anomaly_rows(reports),
        "schema_changes": _schema_change_rows(reports),
        "test_results": _test_rows(health.results_file),
    }
    con.execute(f"create schema {publish}.{OPS_SCHEMA}")
    written: dict[str, int] = {}
    for name, columns in TABLES.items():
        table = f"{publish}.{OPS_SCHEMA}.{name}"
        con.execute(f"create table {table} ({columns})")
        if name == "quarantined_records":
            source = _quarantine_source(con, warehouse)
            if source is not None:
                con.execute(
                    f"insert into {table} select source_system, source_table, reason, detail, "
                    "is_record_excluded, count(*) from "
                    f"{source} group by all order by all"
                )
        elif rows[name]:
            marks = ", ".join("?" * len(rows[name][0]))
            con.executemany(f"insert into {table} values ({marks})", rows[name])
        written[name] = con.execute(f"select count(*) from {table}").fetchall()[0][0]
    return written
