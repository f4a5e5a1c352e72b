"""Write-audit-publish: hand BI tools a finished, tested copy of the marts in a file of their own.

The build writes the warehouse; BI tools never open it (DuckDB allows one writer, and a reader
would block the build). After a run whose tests all pass, `publish_marts` copies every table of
the `marts` schema into a new file beside the published one, in a storage format DuckDB 1.x clients
can open, and moves it into place with `os.replace`. A reader that has the old file open keeps
reading its snapshot; the next connection sees the new one; a run killed midway leaves the last
good file untouched. In the published file the marts sit in its default schema, so a BI user types
`fct_attribution` (or `marts.fct_attribution` after `attach 'marts.duckdb'`): one way only.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

MARTS_SCHEMA = "marts"
DEFAULT_FILE = "marts.duckdb"
STORAGE_VERSION = "v1.4.0"
"""The storage format of the published file: readable by DuckDB 1.4 and later clients."""
INFO_TABLE = "gtm_publish_info"
"""One row in the published file: which run published it and when."""


@dataclass(frozen=True)
class Published:
    """What a publish wrote."""

    path: Path
    run_id: str
    published_at: str
    tables: dict[str, int]


def publish_path(duckdb_path: Path, configured: str = "", root: Path | None = None) -> Path:
    """Where the marts are published: `configured` (relative to `root`) or beside the warehouse."""
    if not configured:
        return duckdb_path.parent / DEFAULT_FILE
    path = Path(configured).expanduser()
    if not path.is_absolute():
        path = (root or Path.cwd()) / path
    return path.resolve()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish_marts(duckdb_path: Path, target: Path, run_id: str) -> Published:
    """Copy the warehouse's marts into a new file and move it atomically onto `target`."""
    if target.resolve() == duckdb_path.resolve():
        raise ValueError(f"the publish path {target} is the warehouse itself; choose another file")
    target.parent.mkdir(parents=True, exist_ok=True)
    for leftover in target.parent.glob(f".{target.name}.*.tmp*"):
        leftover.unlink()  # a killed publish; the caller holds the run lock, so nobody writes it
    staging = target.with_name(f".{target.name}.{run_id}.tmp")
    published_at = datetime.now(UTC).isoformat(timespec="seconds")
    tables: dict[str, int] = {}
    with duckdb.connect() as con:
        con.execute(f"attach {_sql_string(str(duckdb_path))} as warehouse (read_only)")
        con.execute(
            f"attach {_sql_string(str(staging))} as publish "
            f"(storage_version {_sql_string(STORAGE_VERSION)})"
        )
        names = [
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables "
                "where table_catalog = 'warehouse' and table_schema = ? order by table_name",
                [MARTS_SCHEMA],
            ).fetchall()
        ]
        if not names:
            raise ValueError(f"the warehouse has no tables in schema {MARTS_SCHEMA!r} to publish")
        for name in names:
            con.execute(
                f"create table publish.main.{_quote(name)} as "
                f"select * from warehouse.{MARTS_SCHEMA}.{_quote(name)}"
            )
            count = con.execute(f"select count(*) from publish.main.{_quote(name)}").fetchone()
            tables[name] = int(count[0]) if count else 0
        con.execute(
            f"create table publish.main.{INFO_TABLE} as "
            "select ? as run_id, cast(? as timestamp with time zone) as published_at, "
            "? as source_warehouse",
            [run_id, published_at, str(duckdb_path)],
        )
        con.execute("detach publish")
    _fsync(staging)
    os.replace(staging, target)
    _fsync(target.parent)
    return Published(target, run_id, published_at, tables)


def read_published(target: Path) -> dict[str, Any] | None:
    """Return the run id and time of the publish at `target` (None if nothing is published)."""
    if not target.exists():
        return None
    try:
        with duckdb.connect(str(target), read_only=True) as con:
            row = con.execute(f"select run_id, published_at from {INFO_TABLE}").fetchone()
    except duckdb.Error:
        return None
    if row is None:
        return None
    return {"run_id": row[0], "published_at": row[1].isoformat()}
