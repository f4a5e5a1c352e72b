"""Run syncs: read each sync's model, find what changed since the last send, write it, record it.

For each sync: read its model (leaving out people the privacy suppression list names, when that
table exists), build one payload per record key, compare with `ops.sync_state`, and send the new,
changed and earlier-rejected records in batches at the API's limit, recording the state after
every batch (a run killed midway resumes where it stopped; a batch resent after a kill carries
the same values, which the update endpoints apply idempotently). A dry run reads the state and
the model, prints the counts and a sample of old -> new values, and sends nothing.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from gtm.errors import GtmError
from gtm.sync import hubspot, salesforce, state
from gtm.sync.outcomes import SyncResult, record_run
from gtm.sync.spec import SyncSettings, SyncSpec, declared_syncs, load_settings, select_syncs
from gtm.sync.transport import Budget, BudgetExhausted

Say = Callable[[str], None]
SUPPRESSIONS = ("ops", "privacy_suppressions")
"""The privacy suppression list: `subject_hash` = sha256 of the lower-cased, trimmed e-mail."""


@dataclass
class Endpoints:
    """Where each destination is and how to sign in (the sources' settings)."""

    settings: dict[str, dict[str, Any]] = field(default_factory=dict)
    clients: dict[str, Any] = field(default_factory=dict)

    def client(self, destination: str) -> Any:
        """Return the destination's transport (built once), with the API version for Salesforce."""
        if destination not in self.clients:
            from gtm.sync import transport

            config = self.settings.get(destination) or transport.live_settings(destination)
            if destination == "hubspot":
                self.clients[destination] = (transport.hubspot_client(config), "")
            else:
                self.clients[destination] = transport.salesforce_client(config)
        return self.clients[destination]


@contextmanager
def demo_endpoints(world_dir: Path) -> Iterator[Endpoints]:
    """Serve the demo world's HubSpot and Salesforce while the syncs run; yield their endpoints.

    The local servers keep written values in memory: they are gone when the command ends.
    The demo org gets the warehouse's custom fields first, as its admin would create them.
    """
    from gtm import sources

    demo = sources.demo()
    handles = {}
    try:
        for system in ("hubspot", "salesforce"):
            handles[system] = demo.start_server(system, world_dir)
        # The demo org's admin has created the custom fields the Salesforce syncs write.
        handles["salesforce"].state.writes.create_warehouse_fields()
        yield Endpoints(
            {name: demo.demo_settings(name, h.url, world_dir) for name, h in handles.items()}
        )
    finally:
        for handle in handles.values():
            handle.stop()


def _quiet(_line: str) -> None:
    return None


def run_id_now() -> str:
    """Return a run id: UTC time and process id."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{os.getpid()}"


def model_relation(con: duckdb.DuckDBPyConnection, model: str) -> str:
    """Return the warehouse relation dbt built for `model` (marts first)."""
    rows = con.execute(
        "select table_schema from information_schema.tables where table_name = ? "
        "order by table_schema = 'marts' desc, table_schema",
        [model],
    ).fetchall()
    if not rows:
        raise GtmError(f"model {model} is not built in the warehouse: run `gtm build` first")
    return f'"{rows[0][0]}"."{model}"'


def _has_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    found = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchone()
    return bool(found and found[0])


def read_model(con: duckdb.DuckDBPyConnection, spec: SyncSpec) -> list[dict[str, Any]]:
    """Return the sync model's rows, leaving out people on the privacy suppression list."""
    relation = model_relation(con, spec.model)
    sql = f"select * from {relation} as model_rows"
    columns = {row[0] for row in con.execute(f"describe {relation}").fetchall()}
    if _has_table(con, *SUPPRESSIONS) and "person_id" in columns:
        people = model_relation(con, "dim_people")
        sql += (
            f" where not exists (select 1 from {people} as people inner join "
            f"{'.'.join(SUPPRESSIONS)} as suppressed "
            "on suppressed.subject_hash = sha256(lower(trim(people.email))) "
            "where people.person_id = model_rows.person_id)"
        )
    cursor = con.execute(sql)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def build_records(
    spec: SyncSpec, rows: list[dict[str, Any]]
) -> tuple[dict[str, tuple[dict[str, Any], dict[str, Any]]], int]:
    """Record key -> (payload, extra) for every row with a key; also the rows skipped (no key)."""
    render = hubspot.format_value if spec.destination == "hubspot" else salesforce.format_value
    records: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
    skipped = 0
    for row in rows:
        key = row.get(spec.match_key)
        if key is None or key == "":
            skipped += 1
            continue
        key = str(key)
        if key in records:
            raise GtmError(
                f"sync {spec.name}: model {spec.model} has two rows for {spec.match_key} {key}"
            )
        extra = {}
        if spec.record_type_column:
            extra["record_type"] = row.get(spec.record_type_column)
        if spec.is_membership:
            payload: dict[str, Any] = {"member": True, **extra}
        else:
            payload = {}
            for mapping in spec.fields:
                if mapping.write == "fill_empty" and (
                    row.get(mapping.current or "") is not None or row.get(mapping.column) is None
                ):
                    continue  # the CRM holds a value (its users own it), or there is none to give
                payload[mapping.name] = render(row.get(mapping.column), mapping.type)
        records[key] = (payload, extra)
    return records, skipped


def run_syncs(
    root: Path,
    warehouse: Path,
    names: Sequence[str] = (),
    *,
    dry_run: bool = False,
    full_resync: bool = False,
    endpoints: Endpoints | None = None,
    settings: SyncSettings | None = None,
    say: Say = _quiet,
) -> list[SyncResult]:
    """Run the named syncs (all declared when empty) against `warehouse`; return their results.

    A sync that fails (a missing Salesforce field, a refused request) is recorded `failed` with
    its one-line reason and the others still run.
    """
    settings = settings or load_settings()
    specs = select_syncs(declared_syncs(root), names)
    endpoints = endpoints or Endpoints()
    run_id = run_id_now()
    results = []
    with duckdb.connect(str(warehouse), read_only=dry_run) as con:
        if not dry_run:
            state.ensure_tables(con)
        for spec in specs:
            result = SyncResult(spec.name, run_id, dry_run=dry_run, full_resync=full_resync)
            try:
                _run_one(con, spec, result, endpoints, settings, say)
                result.status = "dry_run" if dry_run else "success"
            except BudgetExhausted as exc:
                result.status, result.message = "budget", str(exc)
            except GtmError as exc:
                result.status, result.message = "failed", str(exc)
            except Exception as exc:  # a transport's SourceError and the like: one line
                result.status, result.message = "failed", " ".join(str(exc).split())
            result.finished_at = datetime.now(UTC)
            if not dry_run:
                record_run(con, result)
            say(result.line())
            for sample in result.samples:
                key = "<e-mail>" if "@" in sample["key"] else sample["key"]  # never print one
                say(f"  {key}: {_diff(sample['old'], sample['new'])}")
            results.append(result)
    return results


def _diff(old: dict[str, Any] | None, new: dict[str, Any]) -> str:
    if old is None:
        return "new: " + ", ".join(f"{k}={v!r}" for k, v in sorted(new.items()))
    changed = [f"{k}: {old.get(k)!r} -> {v!r}" for k, v in sorted(new.items()) if old.get(k) != v]
    return "; ".join(changed) or "retry of a rejected record"


def _run_one(
    con: duckdb.DuckDBPyConnection,
    spec: SyncSpec,
    result: SyncResult,
    endpoints: Endpoints,
    settings: SyncSettings,
    say: Say,
) -> None:
    rows = read_model(con, spec)
    records, result.skipped = build_records(spec, rows)
    result.model_rows = len(rows)
    prior = state.read_state(con, spec.name) if state_exists(con) else {}
    changes, result.unchanged, given_up = state.changes(
        records, prior, settings.max_attempts, result.full_resync
    )
    result.skipped += given_up
    result.changed = len(changes)
    leaving = []
    if spec.mode == "mirror":
        leaving = sorted(k for k, p in prior.items() if k not in records and p.status == "synced")
    if not changes and not leaving and not result.dry_run:
        result.method = "nothing to send"
        return
    if result.dry_run:
        for change in changes:
            if change.prior is None or change.prior.payload is None:
                result.created += 1
            else:
                result.updated += 1
        if spec.mode == "update_only" and not spec.is_membership:
            result.updated += result.created
            result.created = 0
        result.removed = len(leaving)
        result.samples = [
            {"key": c.key, "old": c.prior.payload if c.prior else None, "new": c.payload}
            for c in changes[: settings.sample_size]
        ]
        result.method = "dry run"
        return
    budget = Budget(settings.daily_budget)
    client, version = endpoints.client(spec.destination)
    try:
        if spec.destination == "hubspot":
            writer = hubspot.HubSpotWriter(client, budget)
            _run_hubspot(con, spec, result, changes, leaving, writer, settings.max_attempts)
        else:
            sf_writer = salesforce.SalesforceWriter(
                client, version, budget, settings.bulk_threshold
            )
            _run_salesforce(con, spec, result, changes, leaving, sf_writer, settings.max_attempts)
    finally:
        result.api_calls = budget.calls


def state_exists(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the warehouse has the sync state table."""
    return _has_table(con, "ops", "sync_state")


def _apply(
    con: duckdb.DuckDBPyConnection,
    spec: SyncSpec,
    result: SyncResult,
    batch: list[state.Change],
    outcomes: list[Any],
    max_attempts: int,
) -> None:
    """Record one batch's outcomes in the state and the counts."""
    by_key = {change.key: change for change in batch}
    ok = [(by_key[o.key], o.remote_id) for o in outcomes if o.ok]
    rejected = [(by_key[o.key], o.reason or "rejected") for o in outcomes if not o.ok]
    state.record_success(con, spec.name, ok)
    state.record_rejection(con, spec.name, result.run_id, rejected, max_attempts)
    result.count(outcomes)


def _run_hubspot(
    con: duckdb.DuckDBPyConnection,
    spec: SyncSpec,
    result: SyncResult,
    changes: list[state.Change],
    leaving: list[str],
    writer: hubspot.HubSpotWriter,
    max_attempts: int,
) -> None:
    if spec.is_membership:
        result.method = "lists"
        list_id = writer.list_id(spec, create=bool(changes))
        for batch in hubspot.chunks(changes, hubspot.BATCH_SIZE):
            writer.budget.check(spec.name)
            _apply(con, spec, result, batch, writer.add_members(list_id, batch), max_attempts)
        if leaving and list_id is not None:
            for batch in hubspot.chunks(leaving, hubspot.BATCH_SIZE):
                writer.budget.check(spec.name)
                writer.remove_members(list_id, batch)
                state.record_removal(con, spec.name, batch)
                result.removed += len(batch)
        return
    result.method = f"batch/{'upsert' if spec.mode == 'upsert' else 'update'}"
    created = writer.prepare(spec)
    if created:
        result.message = f"created properties {', '.join(created)}"
    for batch in hubspot.chunks(changes, hubspot.BATCH_SIZE):
        writer.budget.check(spec.name)
        _apply(con, spec, result, batch, writer.send(spec, batch), max_attempts)


def _run_salesforce(
    con: duckdb.DuckDBPyConnection,
    spec: SyncSpec,
    result: SyncResult,
    changes: list[state.Change],
    leaving: list[str],
    writer: salesforce.SalesforceWriter,
    max_attempts: int,
) -> None:
    if spec.is_membership:
        result.method = "sObject Collections"
        campaign = writer.campaign_id(spec, create=bool(changes))
        existing = writer.members(campaign) if campaign else {}
        for batch in hubspot.chunks(changes, salesforce.COLLECTION_SIZE):
            writer.budget.check(spec.name)
            outcomes = writer.add_members(campaign or "", batch, existing)
            _apply(con, spec, result, batch, outcomes, max_attempts)
        if leaving:
            ids = [existing[key] for key in leaving if key in existing]
            writer.budget.check(spec.name)
            result.removed = writer.remove_members(ids)
            state.record_removal(con, spec.name, leaving)
        return
    writer.prepare(spec)
    if len(changes) >= writer.bulk_threshold:
        result.method = "Bulk API 2.0"
        writer.budget.check(spec.name)
        _apply(con, spec, result, changes, writer.send_bulk(spec, changes), max_attempts)
        return
    result.method = "sObject Collections"
    for batch in hubspot.chunks(changes, salesforce.COLLECTION_SIZE):
        writer.budget.check(spec.name)
        _apply(con, spec, result, batch, writer.send(spec, batch), max_attempts)
