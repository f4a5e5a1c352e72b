"""What each sync last sent, kept in the warehouse (`ops` schema), and what changed since.

`ops.sync_state` holds one row per (sync, record key): the hash and values of what was last sent
successfully, the status of the last attempt (`synced`, `rejected`, `removed`), the attempts
since the last success and the last rejection's reason. A record is sent when it is new, when
its values' hash differs from the last success, or when it was rejected fewer than
`max_attempts` times with the same values. State is written after every batch, in its own
transaction, so a sync killed midway resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb

STATE_TABLE = "ops.sync_state"

_DDL = """
create schema if not exists ops;
create table if not exists ops.sync_state (
    sync_name varchar not null,
    record_key varchar not null,
    payload_hash varchar,
    payload_json varchar,
    status varchar not null,
    attempts integer not null,
    last_error varchar,
    remote_id varchar,
    updated_at timestamptz not null,
    primary key (sync_name, record_key)
);
create table if not exists ops.sync_runs (
    run_id varchar not null,
    sync_name varchar not null,
    started_at timestamptz not null,
    finished_at timestamptz,
    status varchar not null,
    dry_run boolean not null,
    full_resync boolean not null,
    method varchar,
    model_rows integer,
    changed integer,
    sent integer,
    created integer,
    updated integer,
    unchanged integer,
    skipped integer,
    rejected integer,
    removed integer,
    api_calls integer,
    message varchar
);
create table if not exists ops.sync_rejections (
    run_id varchar not null,
    sync_name varchar not null,
    record_key varchar not null,
    reason varchar not null,
    attempts integer not null,
    is_permanent boolean not null,
    rejected_at timestamptz not null
);
"""


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the sync bookkeeping tables when missing."""
    con.execute(_DDL)


def payload_hash(payload: dict[str, Any]) -> str:
    """Return the hash of one record's payload (order of keys does not matter)."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class Prior:
    """What the state table says about one record."""

    payload_hash: str | None
    payload: dict[str, Any] | None
    status: str
    attempts: int


@dataclass
class Change:
    """One record to send: its key, payload and what was last sent (None if never)."""

    key: str
    payload: dict[str, Any]
    hash: str
    prior: Prior | None
    extra: dict[str, Any]
    """Per-record context the writer needs (e.g. the Salesforce record type)."""


def read_state(con: duckdb.DuckDBPyConnection, sync_name: str) -> dict[str, Prior]:
    """Return the state of every record of `sync_name`, by key."""
    rows = con.execute(
        "select record_key, payload_hash, payload_json, status, attempts "
        "from ops.sync_state where sync_name = ?",
        [sync_name],
    ).fetchall()
    return {
        key: Prior(digest, json.loads(payload) if payload else None, status, attempts)
        for key, digest, payload, status, attempts in rows
    }


def changes(
    records: dict[str, tuple[dict[str, Any], dict[str, Any]]],
    state: dict[str, Prior],
    max_attempts: int,
    full_resync: bool,
) -> tuple[list[Change], int, int]:
    """Split `records` (key -> (payload, extra)) into changes; also count unchanged and given-up.

    Sent: new records, records whose hash differs from the last success, and records rejected
    fewer than `max_attempts` times. A record rejected `max_attempts` times with the same values
    is given up on (until its values change, or a full resync).
    """
    out: list[Change] = []
    unchanged = given_up = 0
    for key, (payload, extra) in records.items():
        digest = payload_hash(payload)
        prior = state.get(key)
        if not full_resync and prior is not None and prior.payload_hash == digest:
            if prior.status == "synced":
                unchanged += 1
                continue
            if prior.status == "rejected" and prior.attempts >= max_attempts:
                given_up += 1
                continue
        out.append(Change(key, payload, digest, prior, extra))
    return out, unchanged, given_up


def record_success(
    con: duckdb.DuckDBPyConnection,
    sync_name: str,
    sent: list[tuple[Change, str | None]],
) -> None:
    """Record records sent successfully (with their remote ids), in one transaction."""
    if not sent:
        return
    now = datetime.now(UTC)
    rows = [
        [sync_name, c.key, c.hash, json.dumps(c.payload, default=str), "synced", 0, None, rid, now]
        for c, rid in sent
    ]
    _upsert(con, rows)


def record_rejection(
    con: duckdb.DuckDBPyConnection,
    sync_name: str,
    run_id: str,
    rejected: list[tuple[Change, str]],
    max_attempts: int,
) -> None:
    """Record rejected records: attempts counted per values (a new value starts again at 1)."""
    if not rejected:
        return
    now = datetime.now(UTC)
    state_rows, log_rows = [], []
    for change, reason in rejected:
        prior = change.prior
        same = (
            prior is not None and prior.status == "rejected" and prior.payload_hash == change.hash
        )
        attempts = (prior.attempts + 1) if same and prior else 1
        last_good = prior.payload if prior is not None and prior.status == "synced" else None
        # The hash kept is the rejected values' (so a retry with the same values counts up);
        # the payload kept stays the last one the CRM accepted (the "old" of a dry run).
        state_rows.append(
            [
                sync_name,
                change.key,
                change.hash,
                json.dumps(last_good, default=str) if last_good else None,
                "rejected",
                attempts,
                reason,
                None,
                now,
            ]
        )
        log_rows.append(
            [run_id, sync_name, change.key, reason, attempts, attempts >= max_attempts, now]
        )
    con.execute("begin transaction")
    try:
        _upsert(con, state_rows, begin=False)
        _insert(con, "insert into ops.sync_rejections", log_rows)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def record_removal(con: duckdb.DuckDBPyConnection, sync_name: str, keys: list[str]) -> None:
    """Forget members removed from a destination (mirror mode)."""
    if keys:
        con.executemany(
            "delete from ops.sync_state where sync_name = ? and record_key = ?",
            [[sync_name, key] for key in keys],
        )


def _upsert(con: duckdb.DuckDBPyConnection, rows: list[list[Any]], begin: bool = True) -> None:
    if begin:
        con.execute("begin transaction")
    try:
        _insert(con, "insert or replace into ops.sync_state", rows)
        if begin:
            con.execute("commit")
    except BaseException:
        if begin:
            con.execute("rollback")
        raise


def _insert(con: duckdb.DuckDBPyConnection, statement: str, rows: list[list[Any]]) -> None:
    """Run `<statement> select * from <rows>` set-based (DuckDB's executemany goes row by row)."""
    import pyarrow as pa

    columns = list(zip(*rows, strict=True))
    table = pa.table({f"c{i}": pa.array(list(values)) for i, values in enumerate(columns)})
    name = f"_rows_{id(table)}"
    con.register(name, table)
    try:
        con.execute(f"{statement} select * from {name}")
    finally:
        con.unregister(name)
