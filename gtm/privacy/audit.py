"""The privacy tables in the warehouse's `ops` schema (dbt never touches it).

- `ops.privacy_erasures`: one row per subject per `gtm forget` (and per retention purge): the
  subject's keyed hash (never the e-mail or the id), when it was asked and done, the rows removed
  per table, what is left, and the status: `started` (the erasure is under way, or was
  interrupted: rerun it), `done`, `partial` (see `remaining`), `not_found`, `invalid` or
  `failed`. A rerun that completes an earlier request sets that request's `superseded_by`.
- `ops.privacy_suppressions`: the keyed hashes of every identifier of every erased person
  (`subject_hash`); after each ingest, raw rows that hash to one of them are deleted before any
  model reads them.
- `ops.privacy_key`: the fingerprint of the HMAC key the hashes were made with.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import duckdb

from gtm.privacy import keys

SCHEMA = "ops"
ERASURES = f"{SCHEMA}.privacy_erasures"
SUPPRESSIONS = f"{SCHEMA}.privacy_suppressions"
KEY_TABLE = f"{SCHEMA}.privacy_key"

STATUSES = ("started", "done", "partial", "not_found", "invalid", "failed")

_DDL = (
    f"create schema if not exists {SCHEMA}",
    f"""create table if not exists {ERASURES} (
        request_id varchar not null,
        subject_hash varchar not null,
        subject_kind varchar,
        requested_at timestamp with time zone not null,
        completed_at timestamp with time zone,
        status varchar not null,
        rows_removed varchar,
        remaining varchar,
        message varchar,
        superseded_by varchar
    )""",
    f"""create table if not exists {SUPPRESSIONS} (
        subject_hash varchar not null primary key,
        subject_kind varchar not null,
        request_id varchar not null,
        suppressed_at timestamp with time zone not null
    )""",
    f"""create table if not exists {KEY_TABLE} (
        fingerprint varchar not null,
        recorded_at timestamp with time zone not null
    )""",
)


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the privacy tables when they do not exist."""
    for statement in _DDL:
        con.execute(statement)


def check_key(con: duckdb.DuckDBPyConnection, key: str, now: datetime) -> None:
    """Record the key's fingerprint, or refuse a key other than the one recorded."""
    ensure_tables(con)
    row = con.execute(f"select fingerprint from {KEY_TABLE} limit 1").fetchone()
    if row is None:
        con.execute(f"insert into {KEY_TABLE} values (?, ?)", [keys.fingerprint(key), now])
    elif row[0] != keys.fingerprint(key):
        raise keys.HmacKeyError(
            "the HMAC key ([gtm.privacy] hmac_key) is not the one this warehouse's suppression "
            "list was made with; restore the original key (erased people would no longer be "
            "recognised)"
        )


def has_table(con: duckdb.DuckDBPyConnection, qualified: str) -> bool:
    """Whether `schema.table` exists."""
    schema, table = qualified.split(".")
    found = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchone()
    return bool(found and found[0])


def suppressed_hashes(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Return every hash on the suppression list (empty when there is none)."""
    if not has_table(con, SUPPRESSIONS):
        return set()
    return {row[0] for row in con.execute(f"select subject_hash from {SUPPRESSIONS}").fetchall()}


def suppress(
    con: duckdb.DuckDBPyConnection,
    hashes: Mapping[str, str],
    request_id: str,
    now: datetime,
) -> None:
    """Add {hash: kind} to the suppression list (a hash already there is kept as it is)."""
    ensure_tables(con)
    for subject_hash, kind in hashes.items():
        con.execute(
            f"insert into {SUPPRESSIONS} values (?, ?, ?, ?) on conflict do nothing",
            [subject_hash, kind, request_id, now],
        )


def open_request(
    con: duckdb.DuckDBPyConnection,
    request_id: str,
    subject_hash: str,
    kind: str | None,
    requested_at: datetime,
    status: str = "started",
    message: str = "",
) -> None:
    """Write a subject's audit row at the start of its erasure."""
    ensure_tables(con)
    con.execute(
        f"insert into {ERASURES} (request_id, subject_hash, subject_kind, requested_at, status, "
        "message) values (?, ?, ?, ?, ?, ?)",
        [request_id, subject_hash, kind, requested_at, status, message],
    )


def close_request(
    con: duckdb.DuckDBPyConnection,
    request_id: str,
    subject_hash: str,
    status: str,
    completed_at: datetime | None,
    rows_removed: Mapping[str, int],
    remaining: Mapping[str, Any],
    message: str = "",
) -> None:
    """Record how a subject's erasure ended; a `done` one supersedes its earlier unfinished rows."""
    con.execute(
        f"update {ERASURES} set status = ?, completed_at = ?, rows_removed = ?, remaining = ?, "
        "message = ? where request_id = ? and subject_hash = ?",
        [
            status,
            completed_at,
            json.dumps(dict(rows_removed), sort_keys=True),
            json.dumps(dict(remaining), sort_keys=True),
            message,
            request_id,
            subject_hash,
        ],
    )
    if status == "done":
        con.execute(
            f"update {ERASURES} set superseded_by = ? where subject_hash = ? and request_id <> ? "
            "and status in ('started', 'partial', 'failed') and superseded_by is null",
            [request_id, subject_hash, request_id],
        )


def unfinished(con: duckdb.DuckDBPyConnection, hashes: Iterable[str]) -> set[str]:
    """Return those of `hashes` with an earlier request that did not finish."""
    if not has_table(con, ERASURES):
        return set()
    wanted = list(hashes)
    if not wanted:
        return set()
    rows = con.execute(
        f"select distinct subject_hash from {ERASURES} where status in ('started', 'partial') "
        "and superseded_by is null and list_contains(?, subject_hash)",
        [wanted],
    ).fetchall()
    return {row[0] for row in rows}
