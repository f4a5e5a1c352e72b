"""What a run measures and remembers: raw snapshots, schema changes, and the run history.

Before and after ingestion the raw schemas are snapshotted (columns, types, row counts); the
difference gives the rows each run added per table and the schema changes dlt made. Every run's
report is appended to `ops.run_history` in the warehouse, which dbt never touches; the anomaly
check and the schedule read it back.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

HISTORY_SCHEMA = "ops"
HISTORY_TABLE = f"{HISTORY_SCHEMA}.run_history"

_VARIANT = re.compile(r"^(?P<column>.+)__v_(?P<type>[a-z0-9_]+)$")


# --------------------------------------------------------------------------------------------------
# raw snapshots


@dataclass
class RawSnapshot:
    """The raw schemas of a warehouse at one moment: column types and row counts per table."""

    columns: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    rows: dict[tuple[str, str], int] = field(default_factory=dict)

    def schemas(self) -> set[str]:
        """Return the raw schemas present."""
        return {schema for schema, _table in self.columns}


def _is_raw(schema: str, table: str) -> bool:
    return (
        schema.startswith("raw_") and not schema.endswith("_staging") and not table.startswith("_")
    )


def snapshot_raw(duckdb_path: Path) -> RawSnapshot:
    """Read column types and exact row counts of every raw table (dlt's own tables left out)."""
    snapshot = RawSnapshot()
    if not duckdb_path.exists():
        return snapshot
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        found = con.execute(
            "select table_schema, table_name, column_name, data_type "
            "from information_schema.columns where table_schema like 'raw\\_%' escape '\\' "
            "order by table_schema, table_name, ordinal_position"
        ).fetchall()
        for schema, table, column, data_type in found:
            if _is_raw(schema, table):
                snapshot.columns.setdefault((schema, table), {})[column] = data_type
        for schema, table in snapshot.columns:
            count = con.execute(f'select count(*) from "{schema}"."{table}"').fetchone()
            snapshot.rows[(schema, table)] = int(count[0]) if count else 0
    return snapshot


def schema_changes(before: RawSnapshot, after: RawSnapshot) -> list[dict[str, Any]]:
    """List new tables, new columns and retyped columns in raw schemas that existed before.

    A source's first load (its schema is new) is not a change. dlt keeps a column whose values
    changed type as a variant column `<column>__v_<type>`; that is reported as a retyped column.
    """
    changes: list[dict[str, Any]] = []
    known_schemas = before.schemas()
    for (schema, table), columns in sorted(after.columns.items()):
        if schema not in known_schemas:
            continue
        old = before.columns.get((schema, table))
        if old is None:
            changes.append({"kind": "new_table", "schema": schema, "table": table})
            continue
        for column, data_type in columns.items():
            if column not in old:
                variant = _VARIANT.match(column)
                if variant and variant["column"] in columns:
                    changes.append(
                        {
                            "kind": "retyped_column",
                            "schema": schema,
                            "table": table,
                            "column": variant["column"],
                            "from": columns[variant["column"]],
                            "to": data_type,
                            "variant_column": column,
                        }
                    )
                else:
                    changes.append(
                        {
                            "kind": "new_column",
                            "schema": schema,
                            "table": table,
                            "column": column,
                            "type": data_type,
                        }
                    )
            elif old[column] != data_type:
                changes.append(
                    {
                        "kind": "retyped_column",
                        "schema": schema,
                        "table": table,
                        "column": column,
                        "from": old[column],
                        "to": data_type,
                    }
                )
    return changes


def table_rows(
    source: str, extracted: Mapping[str, int], before: RawSnapshot, after: RawSnapshot
) -> dict[str, dict[str, int]]:
    """Rows per table of one source: extracted by dlt, new in raw, and in raw after the run.

    `loaded` is measured in the warehouse (rows after minus rows before), so merged updates of
    existing records count as extracted but not as new.
    """
    schema = f"raw_{source}"
    tables = {table for (s, table) in after.rows if s == schema} | set(extracted)
    out: dict[str, dict[str, int]] = {}
    for table in sorted(tables):
        in_raw = after.rows.get((schema, table), 0)
        out[table] = {
            "extracted": int(extracted.get(table, 0)),
            "loaded": in_raw - before.rows.get((schema, table), 0),
            "rows_in_raw": in_raw,
        }
    return out


# --------------------------------------------------------------------------------------------------
# run history


def _ensure_history(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"create schema if not exists {HISTORY_SCHEMA}")
    con.execute(
        f"""
        create table if not exists {HISTORY_TABLE} (
            run_id varchar primary key,
            started_at timestamp with time zone not null,
            finished_at timestamp with time zone not null,
            status varchar not null,
            sources_loaded varchar,
            rows_loaded bigint,
            tests_failed integer,
            published boolean,
            report varchar not null
        )
        """
    )


def append_history(duckdb_path: Path, report: Mapping[str, Any]) -> None:
    """Append one run's report to `ops.run_history` (created on first use)."""
    loaded = [
        name for name, source in report.get("ingest", {}).items() if source["status"] == "loaded"
    ]
    rows = sum(
        table["loaded"]
        for source in report.get("ingest", {}).values()
        for table in (source.get("tables") or {}).values()
    )
    with duckdb.connect(str(duckdb_path)) as con:
        _ensure_history(con)
        con.execute(
            f"insert into {HISTORY_TABLE} values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                report["run_id"],
                report["started_at"],
                report["finished_at"],
                report["status"],
                ",".join(loaded),
                rows,
                sum(
                    failure["unique_id"].startswith(("test.", "unit_test."))
                    for failure in report.get("dbt", {}).get("failures", [])
                ),
                bool(report.get("publish", {}).get("published")),
                json.dumps(report, default=str),
            ],
        )


def read_history(duckdb_path: Path, limit: int = 200) -> list[dict[str, Any]]:
    """Return the most recent run reports, newest first (empty when there is no history yet)."""
    if not duckdb_path.exists():
        return []
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        exists = con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = ? and table_name = 'run_history'",
            [HISTORY_SCHEMA],
        ).fetchone()
        if not exists or not exists[0]:
            return []
        found = con.execute(
            f"select report from {HISTORY_TABLE} order by started_at desc limit ?", [limit]
        ).fetchall()
    return [json.loads(report) for (report,) in found]
