"""What the ingestion tests share: running a source into a file, reading raw back, world state."""

from __future__ import annotations

import importlib
import os
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from gtm.project import find_repo_root
from gtm_demo.schema import key_of
from ingest.pipelines import IngestContext, LoadResult, run_source

ROOT = find_repo_root(Path(__file__).parent)


RUNTIME_KNOBS = {
    "timeout": "RUNTIME__REQUEST_TIMEOUT",
    "backoff": "RUNTIME__REQUEST_BACKOFF_FACTOR",
    "max_attempts": "RUNTIME__REQUEST_MAX_ATTEMPTS",
}
"""Test shorthands for dlt's `[runtime]` request settings, which every source's client reads."""


def make_source(factory: Callable[..., Any], **options: Any) -> Any:
    """Call a source `factory` with `options`; `timeout`, `backoff` and `max_attempts` among them
    are set as dlt's `[runtime]` settings (as environment variables) while the source is made."""
    knobs = {RUNTIME_KNOBS[k]: str(options.pop(k)) for k in list(options) if k in RUNTIME_KNOBS}
    saved = {name: os.environ.get(name) for name in knobs}
    os.environ.update(knobs)
    try:
        return factory(**options)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def load(name: str, source: Any, db: Path) -> LoadResult:
    """Run `source` into `raw_<name>` of the DuckDB file `db`."""
    return run_source(name, source, IngestContext(root=ROOT, duckdb_path=db))


def raw_tables(db: Path, dataset: str) -> dict[str, list[tuple]]:
    """Every data table of `dataset` as sorted rows, without dlt's bookkeeping columns."""
    if not db.exists():
        return {}
    con = duckdb.connect(str(db), read_only=True)
    try:
        names = [
            row[0]
            for row in con.execute(
                "select table_name from information_schema.tables where table_schema = ? "
                "and table_name not like '\\_dlt%' escape '\\' order by 1",
                [dataset],
            ).fetchall()
        ]
        tables = {}
        for name in names:
            columns = [
                row[0]
                for row in con.execute(
                    "select column_name from information_schema.columns where table_schema = ? "
                    "and table_name = ? and column_name not in ('_dlt_load_id', '_dlt_id') "
                    "order by column_name",
                    [dataset, name],
                ).fetchall()
            ]
            listed = ", ".join(f'"{c}"' for c in columns)
            rows = con.execute(f'select {listed} from {dataset}."{name}"').fetchall()
            tables[name] = sorted(rows, key=repr)
        return tables
    finally:
        con.close()


def raw_count(db: Path, dataset: str, table: str, where: str = "true") -> int:
    """Rows of one raw table."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(f'select count(*) from {dataset}."{table}" where {where}').fetchone()[0]
    finally:
        con.close()


def raw_columns(db: Path, dataset: str, table: str) -> set[str]:
    """Column names of one raw table."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute(
            "select column_name from information_schema.columns where table_schema = ? "
            "and table_name = ?",
            [dataset, table],
        ).fetchall()
        return {row[0] for row in rows}
    finally:
        con.close()


def world_state(world: Path, table: str, moment: datetime) -> str:
    """SQL for a world table's state at `moment`: the last version of each record."""
    keys = ", ".join(f'"{k}"' for k in key_of(table))
    path = world / f"{table}.parquet"
    stamp = moment.isoformat()
    return (
        f"(select * exclude (_rank) from (select *, row_number() over (partition by {keys} "
        f"order by _version_at desc) as _rank from read_parquet('{path}') "
        f"where _version_at <= '{stamp}'::timestamptz) where _rank = 1)"
    )


def world_query(sql: str) -> list[tuple]:
    """Run `sql` over the world's files."""
    con = duckdb.connect()
    try:
        con.execute("set TimeZone = 'UTC'")
        return con.execute(sql).fetchall()
    finally:
        con.close()


def assert_same_raw(left: dict[str, list[tuple]], right: dict[str, list[tuple]]) -> None:
    """Both warehouses hold the same tables with the same rows."""
    assert sorted(left) == sorted(right)
    for name in left:
        assert len(left[name]) == len(right[name]), name
        assert left[name] == right[name], name


class RecordedServer:
    """A local vendor server whose every answer is recorded as (arrival, path, status).

    `calls` holds (arrival, path, status, request), where `request` is the path, query string
    and body: a retried call repeats its `request` exactly.

    `system` names the server package (`hubspot`, `google_ads`...); keyword arguments go to its
    `create_app`. `url`, `plan` and `state` are those of a started server; `stop()` ends it.
    """

    def __init__(self, system: str, world: Path, moment: datetime, **kw: Any) -> None:
        from gtm_demo.serving import FaultPlan, WorldState, serve

        module = importlib.import_module(f"gtm_demo.servers.{system}")
        self.state = WorldState(world, moment)
        self.plan = FaultPlan()
        app = module.create_app(self.state, self.plan, **kw)
        self.seen: list[tuple[float, str, int]] = []
        self.calls: list[tuple[float, str, int, bytes]] = []

        async def recorded(scope: dict, receive: Any, send: Any) -> None:
            arrived = time.monotonic()
            status = {"code": 0}
            body, more = bytearray(), scope["type"] == "http"
            while more:  # read the whole body first, so a refused call records it too
                message = await receive()
                body.extend(message.get("body", b""))
                more = message["type"] == "http.request" and message.get("more_body", False)
            replayed = {"done": False}

            async def read() -> dict:
                if not replayed["done"]:
                    replayed["done"] = True
                    return {"type": "http.request", "body": bytes(body), "more_body": False}
                return await receive()

            async def record(message: dict) -> None:
                if message["type"] == "http.response.start":
                    status["code"] = message["status"]
                await send(message)

            await app(scope, read, record)
            if scope["type"] == "http":
                self.seen.append((arrived, scope["path"], status["code"]))
                request = scope["path"].encode() + b"?" + scope["query_string"] + b"\n" + body
                self.calls.append((arrived, scope["path"], status["code"], bytes(request)))

        self.handle = serve(recorded)
        self.url = self.handle.url

    def stop(self) -> None:
        """Stop the server."""
        self.handle.stop()
