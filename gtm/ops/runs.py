"""What `gtm run` measures and remembers: the run lock, raw snapshots, the run history.

One run at a time per warehouse: `RunLock` is an OS file lock (fcntl) beside the warehouse, so a
second run refuses at once and a run that died never blocks the next. Before and after ingestion
the raw schemas are snapshotted (columns, types, row counts); the difference gives the rows each
run added per table and the schema changes dlt made. Every run's report is appended to
`ops.run_history` in the warehouse, which dbt never touches; anomalies and the schedule read it.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

HISTORY_SCHEMA = "ops"
HISTORY_TABLE = f"{HISTORY_SCHEMA}.run_history"

DEFAULT_ANOMALY_THRESHOLD = 0.2
DEFAULT_ANOMALY_WINDOW = 5
DEFAULT_ANOMALY_MIN_RUNS = 3
DEFAULT_CADENCE_HOURS = 24.0
DEFAULT_GRACE_MINUTES = 30.0

_VARIANT = re.compile(r"^(?P<column>.+)__v_(?P<type>[a-z0-9_]+)$")


# --------------------------------------------------------------------------------------------------
# settings


@dataclass(frozen=True)
class RunSettings:
    """The tunables of a run, read from `.dlt/config.toml`, `.dlt/secrets.toml` or env vars."""

    sources: tuple[str, ...] = ()
    """The sources `gtm run` loads (empty: every registered source)."""
    anomaly_threshold: float = DEFAULT_ANOMALY_THRESHOLD
    """A table is anomalous when its new rows differ from its recent mean by more than this."""
    anomaly_window: int = DEFAULT_ANOMALY_WINDOW
    """How many of the table's recent runs make the baseline."""
    anomaly_min_runs: int = DEFAULT_ANOMALY_MIN_RUNS
    """No verdict until the table has this many earlier runs."""
    publish_path: str = ""
    """Where the marts are published for BI ('' = `marts.duckdb` beside the warehouse)."""
    webhook_url: str = field(default="", repr=False)
    """Slack-compatible incoming webhook for alerts ('' = no alerts). A secret: never printed."""
    cadence_hours: dict[str, float] = field(default_factory=dict)
    """Hours between loads of each source under `gtm run --due`."""
    grace_minutes: float = DEFAULT_GRACE_MINUTES
    """A source is due this long before its cadence has fully elapsed (schedulers start late)."""


def load_settings(sources: Sequence[str] = ()) -> RunSettings:
    """Read the run settings the dlt way: env vars (`GTM__RUN__...`) over `.dlt/*.toml`.

    `sources` names the sources whose cadence (`gtm.schedule.<source>`) is read.
    """
    import dlt

    def value(key: str, kind: type, default: Any) -> Any:
        found = dlt.config.get(key, kind)
        return default if found is None else found

    cadences = {
        name: value(f"gtm.schedule.{name}", float, DEFAULT_CADENCE_HOURS) for name in sources
    }
    return RunSettings(
        sources=tuple(value("gtm.run.sources", list, [])),
        anomaly_threshold=value("gtm.run.anomaly_threshold", float, DEFAULT_ANOMALY_THRESHOLD),
        anomaly_window=value("gtm.run.anomaly_window", int, DEFAULT_ANOMALY_WINDOW),
        anomaly_min_runs=value("gtm.run.anomaly_min_runs", int, DEFAULT_ANOMALY_MIN_RUNS),
        publish_path=value("gtm.publish.path", str, ""),
        webhook_url=dlt.secrets.get("gtm.alerts.webhook_url", str) or "",
        cadence_hours=cadences,
        grace_minutes=value("gtm.schedule.grace_minutes", float, DEFAULT_GRACE_MINUTES),
    )


# --------------------------------------------------------------------------------------------------
# lock


class LockHeld(RuntimeError):
    """Another process holds the run lock of this warehouse."""


def lock_path(duckdb_path: Path) -> Path:
    """Return the lock file of the warehouse `duckdb_path` (in `.gtm/` beside it)."""
    return duckdb_path.parent / ".gtm" / f"{duckdb_path.stem}.lock"


class RunLock:
    """An exclusive, non-blocking OS lock on a warehouse, released when its holder exits or dies.

    The lock file keeps the holder's pid and start time so that a refused run can name them; the
    lock itself is the fcntl lock, not the file's existence, so a killed holder leaves nothing to
    clean up.
    """

    def __init__(self, duckdb_path: Path, command: str = "gtm") -> None:
        """Prepare (not take) the lock of `duckdb_path`; `command` is recorded for the message."""
        self.path = lock_path(duckdb_path)
        self.warehouse = duckdb_path
        self.command = command
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock now or raise `LockHeld` naming the holder; never waits."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise LockHeld(self._refusal()) from None
        holder = {
            "pid": os.getpid(),
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "command": self.command,
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(holder).encode(), 0)
        self._fd = fd

    def release(self) -> None:
        """Release the lock (the file stays; its content is only informative)."""
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> RunLock:
        """Take the lock."""
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        """Release the lock."""
        self.release()

    def _refusal(self) -> str:
        try:
            holder = json.loads(self.path.read_text(encoding="utf-8"))
            who = (
                f"pid {holder['pid']}, `{holder.get('command', 'gtm')}` "
                f"started {holder['started_at']}"
            )
        except (OSError, ValueError, KeyError, TypeError):
            who = "a process that has not yet recorded its pid"
        return (
            f"another gtm process is already using {self.warehouse} ({who}); "
            "nothing was changed, try again when it has finished"
        )


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


# --------------------------------------------------------------------------------------------------
# anomalies and the schedule


def anomalies(
    ingest: Mapping[str, Any], history: Sequence[Mapping[str, Any]], settings: RunSettings
) -> list[dict[str, Any]]:
    """Tables whose new rows differ from the mean of their recent runs by more than the threshold.

    Only runs that loaded the source count towards its baseline; a table needs
    `anomaly_min_runs` of them before it is judged. A baseline of zero is exceeded by any row.
    """
    found: list[dict[str, Any]] = []
    for source, result in ingest.items():
        if result.get("status") != "loaded":
            continue
        for table, counts in (result.get("tables") or {}).items():
            past = [
                run["ingest"][source]["tables"][table]["loaded"]
                for run in history
                if run.get("ingest", {}).get(source, {}).get("status") == "loaded"
                and table in (run["ingest"][source].get("tables") or {})
            ][: settings.anomaly_window]
            if len(past) < max(settings.anomaly_min_runs, 1):
                continue
            baseline = sum(past) / len(past)
            new = counts["loaded"]
            if baseline == 0:
                deviation = None if new == 0 else float("inf")
            else:
                deviation = abs(new - baseline) / baseline
            if deviation is not None and deviation > settings.anomaly_threshold:
                found.append(
                    {
                        "source": source,
                        "table": table,
                        "new_rows": new,
                        "baseline": round(baseline, 2),
                        "runs": len(past),
                        "deviation": None if deviation == float("inf") else round(deviation, 4),
                        "threshold": settings.anomaly_threshold,
                    }
                )
    return found


def _last_loaded(history: Iterable[Mapping[str, Any]], source: str) -> datetime | None:
    for run in history:
        if run.get("ingest", {}).get(source, {}).get("status") == "loaded":
            return datetime.fromisoformat(run["started_at"])
    return None


def due_sources(
    names: Sequence[str],
    history: Sequence[Mapping[str, Any]],
    settings: RunSettings,
    now: datetime,
) -> dict[str, str]:
    """Which of `names` are due under their cadence; maps each name to 'due' or why it is not."""
    grace = timedelta(minutes=settings.grace_minutes)
    out: dict[str, str] = {}
    for name in names:
        hours = settings.cadence_hours.get(name, DEFAULT_CADENCE_HOURS)
        last = _last_loaded(history, name)
        if last is None or now - last >= timedelta(hours=hours) - grace:
            out[name] = "due"
        else:
            out[name] = f"not due: loaded {last.isoformat(timespec='minutes')}, every {hours:g} h"
    return out
