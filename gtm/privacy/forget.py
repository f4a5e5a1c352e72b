"""`gtm forget` from end to end, and the suppression that runs after every ingest.

An erasure, for a batch of subjects, in this order (each step can be rerun safely):

1. every subject gets an audit row (`started`, or `invalid` / `not_found`), and the keyed hashes
   of all its identifiers go on the suppression list: from here on, an ingest drops them, even if
   this erasure is interrupted;
2. its rows are deleted from every raw table (`erase.purge_raw`), dlt's staging datasets are
   emptied, old events past the retention horizon are deleted, and completed load packages are
   removed from dlt's working folder;
3. the models downstream of the changed sources are rebuilt (`dbt run --full-refresh`: an
   incremental model is rebuilt in full, so no model keeps what raw no longer holds), the
   published file is written again, the dashboard is drawn again from it, and any other file of
   the dbt target folder that still holds the person's e-mail or phone is deleted;
4. the warehouse file is rewritten so the deleted rows' bytes are gone (`compact`);
5. what is left is measured: the person's rows in raw, in every model, and unloaded packages.
   Only a subject with nothing left is `done`; otherwise it is `partial`, with what is left.

Ctrl-C or a crash leaves `started` rows; the same command again finds the subjects on the
suppression list and completes the erasure, and the new `done` row supersedes the old ones.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from gtm import project
from gtm.errors import GtmError
from gtm.privacy import audit, compact, erase, keys, policy, retention, vendor
from gtm.privacy.subjects import Subject

Say = Callable[[str], None]


def _quiet(_line: str) -> None:
    return None


@dataclass
class SubjectOutcome:
    """How one subject's erasure ended."""

    subject: Subject
    subject_hash: str
    status: str
    rows_removed: dict[str, int] = field(default_factory=dict)
    remaining: dict[str, Any] = field(default_factory=dict)
    message: str = ""
    identity: erase.Identity = field(default_factory=erase.Identity)
    vendor_failures: dict[str, str] = field(default_factory=dict)

    def line(self) -> str:
        """One line for the terminal: where the request came from, its hash, what happened."""
        kind = self.subject.kind or "invalid request"
        head = f"{self.subject.where} ({kind.replace('_', ' ')}, {self.subject_hash[:12]})"
        if self.status == "invalid":
            return f"{head}: invalid: {self.message}; nothing was erased"
        if self.status == "not_found":
            return f"{head}: not found in the warehouse; {self.message}"
        rows = sum(n for name, n in self.rows_removed.items() if not name.startswith("hubspot ("))
        if self.status == "done":
            extra = f"; {self.message}" if self.message else ""
            return f"{head}: done: {rows} raw row(s) removed, nothing left{extra}"
        left = ", ".join(f"{name} ({value})" for name, value in sorted(self.remaining.items()))
        return f"{head}: {self.status}: {rows} raw row(s) removed; left: {left or self.message}"


@dataclass
class ForgetReport:
    """What one `gtm forget` did."""

    request_id: str
    subjects: list[SubjectOutcome] = field(default_factory=list)
    steps: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> str:
        """One line saying what the shared steps did (nothing personal in it)."""
        steps = self.steps
        if not steps:
            return "Nothing was erased."
        models = sum(steps.get("models_rebuilt", {}).values())
        size = steps.get("warehouse_bytes", {})
        parts = [
            f"{steps.get('dlt_staging_rows_removed', 0)} dlt staging row(s) and "
            f"{steps.get('load_packages_removed', 0)} load package(s) removed",
            f"{models} model(s) rebuilt",
            f"published: {steps.get('published', 'nothing was published')}",
            f"dashboard: {steps.get('dashboard', '-')}",
            *(
                [f"{steps['hubspot_gdpr_deleted']} HubSpot contact(s) deleted at HubSpot"]
                if "hubspot_gdpr_deleted" in steps
                else []
            ),
            "target files holding the person removed: "
            + (", ".join(steps.get("target_files_removed", [])) or "none"),
        ]
        if size:
            parts.append(f"warehouse rewritten ({size['before']:,} -> {size['after']:,} bytes)")
        return "; ".join(parts) + "."

    @property
    def ok(self) -> bool:
        """Whether every valid subject is done or was not found (nothing partial or failed)."""
        return all(s.status in ("done", "not_found") for s in self.subjects)


# --------------------------------------------------------------------------------------------------
# helpers


def _now() -> datetime:
    return datetime.now(UTC)


def _connect(warehouse: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(warehouse), read_only=read_only)
    con.execute("set TimeZone = 'UTC'")
    return con


def _person_strings(con: duckdb.DuckDBPyConnection, identity: erase.Identity) -> set[str]:
    """Return the person's e-mail addresses and phone numbers as written in raw (for file scans)."""
    strings = set(identity.emails)
    known = erase.tables(con)
    for (schema, table), kind, phone in (
        (("raw_hubspot", "contacts"), "hubspot_contact", "phone"),
        (("raw_salesforce", "lead"), "salesforce_lead", "phone"),
        (("raw_salesforce", "contact"), "salesforce_contact", "phone"),
    ):
        values = sorted(identity.values(kind))
        if phone not in known.get((schema, table), {}) or not values:
            continue
        rows = con.execute(
            f'select distinct "{phone}" from "{schema}"."{table}" '
            f'where list_contains(?, id) and "{phone}" is not null',
            [values],
        ).fetchall()
        strings |= {str(row[0]) for row in rows if row[0] and len(str(row[0])) >= 6}
    return strings


def _person_ids(con: duckdb.DuckDBPyConnection, identity: erase.Identity) -> set[str]:
    """Return the warehouse's own person ids of the person (before their rows go)."""
    found = con.execute(
        "select table_schema from information_schema.tables "
        "where table_catalog = current_database() and table_name = 'int_person_records_mapped'"
    ).fetchone()
    if found is None:
        return set()
    crm = sorted(identity.hubspot_contact | identity.salesforce_lead | identity.salesforce_contact)
    rows = con.execute(
        f'select distinct person_id from "{found[0]}".int_person_records_mapped '
        "where list_contains(?, source_record_id) or list_contains(?, lower(email))",
        [crm, sorted(identity.emails)],
    ).fetchall()
    return {str(row[0]) for row in rows if row[0] is not None}


def model_remains(
    con: duckdb.DuckDBPyConnection, identity: erase.Identity, person_ids: set[str]
) -> dict[str, int]:
    """Count the person's rows left in every model (table or view outside raw and ops)."""
    ids = sorted(
        identity.hubspot_contact
        | identity.salesforce_lead
        | identity.salesforce_contact
        | person_ids
    )
    emails = sorted(identity.emails)
    rows = con.execute(
        "select table_schema, table_name, column_name from information_schema.columns "
        "where table_catalog = current_database() and table_schema not like 'raw\\_%' escape '\\' "
        "and table_schema not in ('ops', 'information_schema', 'pg_catalog') "
        "and data_type = 'VARCHAR' order by 1, 2, 3"
    ).fetchall()
    checks: dict[tuple[str, str], list[str]] = {}
    for schema, table, column in rows:
        kind = policy.personal_kind(column)
        if kind == "email" and emails:
            checks.setdefault((schema, table), []).append(
                f'list_contains($emails, lower("{column}"))'
            )
        elif (kind == "person_key" or column in ("source_record_id", "record_id")) and ids:
            checks.setdefault((schema, table), []).append(f'list_contains($ids, "{column}")')
    left: dict[str, int] = {}
    for (schema, table), conditions in sorted(checks.items()):
        sql = f'select count(*) from "{schema}"."{table}" where {" or ".join(conditions)}'
        params = {
            name: value for name, value in (("emails", emails), ("ids", ids)) if f"${name}" in sql
        }
        found = con.execute(sql, params).fetchone()
        if found and found[0]:
            left[f"{schema}.{table}"] = int(found[0])
    return left


def _files_holding(folder: Path, strings: set[str]) -> list[Path]:
    """Return the files under `folder` whose bytes contain one of `strings`."""
    if not folder.is_dir() or not strings:
        return []
    needles = [s.encode("utf-8") for s in strings]
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        try:
            data = path.read_bytes()
        except OSError:
            continue
        if any(needle in data for needle in needles):
            found.append(path)
    return found


def _file_holds(path: Path, strings: set[str]) -> bool:
    data = path.read_bytes()
    return any(s.encode("utf-8") in data for s in strings)


def rerender_dashboard(root: Path, warehouse: Path, published: Path) -> str | None:
    """Build the dashboard again from the new publish (or delete it with no publish); say where."""
    from gtm.dashboard import build_dashboard, dashboard_path

    path = dashboard_path(root, warehouse)
    if not published.exists():
        path.unlink(missing_ok=True)
        return None
    build_dashboard(published, path)
    return str(path)


def _republish(root: Path, warehouse: Path, target: Path, request_id: str) -> None:
    """Publish again with the semantic layer and the last run's health, as `gtm run` does."""
    from gtm.ops import history, publish
    from gtm.ops.health import RunHealth

    past = history.read_history(warehouse)
    manifest = project.target_dir(root, warehouse) / "semantic_manifest.json"
    publish.publish_with_policy(
        root,
        warehouse,
        target,
        request_id,
        semantic_manifest=manifest if manifest.exists() else None,
        health=RunHealth(past[-1]) if past else None,
    )


def _sources_of(tables: Sequence[str]) -> list[str]:
    """Return the dbt sources (`source:<name>+`) downstream of the changed raw tables."""
    names = sorted({table.split(".")[0].removeprefix("raw_") for table in tables})
    return [f"source:{name}+" for name in names]


# --------------------------------------------------------------------------------------------------
# forget


def _plan(
    con: duckdb.DuckDBPyConnection,
    key: str,
    subjects: Sequence[Subject],
    request_id: str,
    asked: datetime,
    at_vendor: bool = False,
) -> list[SubjectOutcome]:
    """Resolve every subject, write its audit row and its suppression hashes.

    With `at_vendor`, a HubSpot contact id the warehouse no longer holds is still erased at
    HubSpot (the rerun of a request whose vendor call failed).
    """
    suppressed = audit.suppressed_hashes(con)
    outcomes = []
    for subject in subjects:
        subject_hash = keys.keyed_hash(key, subject.key_text)
        if subject.kind is None:
            outcome = SubjectOutcome(subject, subject_hash, "invalid", message=subject.problem)
            audit.open_request(
                con, request_id, subject_hash, None, asked, "invalid", subject.problem
            )
            outcomes.append(outcome)
            continue
        seed = erase.Identity()
        seed.add(subject.kind, subject.value)
        identity = erase.resolve(con, seed)
        found = erase.person_rows(con, identity)
        earlier = subject_hash in suppressed
        unfinished = subject_hash in audit.unfinished(con, [subject_hash])
        hashes = identity.hashes(key) | {subject_hash: subject.kind}
        audit.suppress(con, hashes, request_id, asked)
        vendor_only = at_vendor and subject.kind == "hubspot_contact"
        if not found and not unfinished and not vendor_only:
            message = (
                "already erased earlier; still on the suppression list"
                if earlier
                else "added to the suppression list so that no later ingest brings them in"
            )
            audit.open_request(
                con, request_id, subject_hash, subject.kind, asked, "not_found", message
            )
            audit.close_request(con, request_id, subject_hash, "not_found", _now(), {}, {}, message)
            outcomes.append(SubjectOutcome(subject, subject_hash, "not_found", message=message))
            continue
        audit.open_request(con, request_id, subject_hash, subject.kind, asked)
        message = "completes an earlier, unfinished request" if unfinished else ""
        outcomes.append(
            SubjectOutcome(subject, subject_hash, "started", message=message, identity=identity)
        )
    return outcomes


def forget(
    root: Path,
    warehouse: Path,
    subjects: Sequence[Subject],
    *,
    say: Say = _quiet,
    publish_path: Path | None = None,
    hubspot: Any | None = None,
) -> ForgetReport:
    """Erase `subjects` from the warehouse and everything built from it (see the module doc).

    `hubspot`: a HubSpot transport when the user enabled HubSpot's GDPR delete: each subject's
    contacts are then deleted at HubSpot too, before the warehouse forgets their ids. The caller
    holds the warehouse lock. Returns the report; every subject has its audit row.
    """
    from gtm.ops import dbt, publish
    from gtm.ops.run import one_line

    asked = _now()
    report = ForgetReport(request_id=f"{asked:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}")
    key, created = keys.load_key(create_in=root)
    if created:
        say("No HMAC key was configured: a new one is in .dlt/secrets.toml; back it up.")
    if not warehouse.exists():
        raise GtmError(f"the warehouse {warehouse} does not exist; nothing to erase")
    with _connect(warehouse) as con:
        audit.check_key(con, key, asked)
        report.subjects = _plan(
            con, key, subjects, report.request_id, asked, at_vendor=hubspot is not None
        )
    active = [s for s in report.subjects if s.status == "started"]
    if not active:
        return report
    target = publish_path or publish.publish_path(warehouse, "", root)
    try:
        if hubspot is not None:
            _erase_at_hubspot(hubspot, active, report, say)
        _erase(root, warehouse, active, report, target, say, dbt, publish)
    except Exception as exc:
        with _connect(warehouse) as con:
            for outcome in active:
                outcome.status, outcome.message = "failed", one_line(exc)
                audit.close_request(
                    con,
                    report.request_id,
                    outcome.subject_hash,
                    "failed",
                    None,
                    outcome.rows_removed,
                    {"error": outcome.message},
                    f"rerun gtm forget to complete it: {outcome.message}",
                )
        return report
    return report


def _erase(
    root: Path,
    warehouse: Path,
    active: list[SubjectOutcome],
    report: ForgetReport,
    target: Path,
    say: Say,
    dbt: Any,
    publish: Any,
) -> None:
    strings: set[str] = set()
    person_ids: set[str] = set()
    changed: set[str] = set()
    with _connect(warehouse) as con:
        for outcome in active:
            strings |= _person_strings(con, outcome.identity)
            person_ids |= _person_ids(con, outcome.identity)
            con.execute("begin transaction")
            purged = erase.purge_raw(con, outcome.identity)
            con.execute("commit")
            outcome.rows_removed |= purged
            changed |= set(purged)
        staging = erase.empty_staging_datasets(con)
        report.steps["dlt_staging_rows_removed"] = sum(staging.values())
        horizon = retention.load_retention(root)
        if horizon is not None:
            expired = retention.purge_expired(con, horizon)
            report.steps["retention_rows_removed"] = expired
            changed |= set(expired)
    files = erase.clean_pipeline_folders(_pipelines_dir(warehouse))
    report.steps["load_packages_removed"] = len(files.removed_packages)
    say(f"Removed the rows from raw; rebuilding the models downstream of {len(changed)} table(s).")
    selection = _sources_of(sorted(changed))
    summary = dbt.run_dbt_models(root, warehouse, selection) if selection else None
    report.steps["models_rebuilt"] = summary.counts.get("model", {}) if summary else {}
    problems: dict[str, Any] = {}
    if summary is not None and not summary.success:
        problems["models"] = f"dbt run failed: {summary.failures()} failing model(s)"
    if target.exists():
        try:
            _republish(root, warehouse, target, report.request_id)
            report.steps["published"] = str(target)
        except Exception as exc:  # the old publish still holds the person: delete it
            target.unlink(missing_ok=True)
            report.steps["published"] = f"removed (could not publish again: {exc})"
    try:
        renderer = rerender_dashboard(root, warehouse, target)
        report.steps["dashboard"] = renderer or "removed (nothing published)"
    except Exception as exc:
        problems["dashboard"] = f"could not re-render: {exc}"
    # dbt's target folder and the run logs (dbt's debug log can quote a value) keep no copy.
    target_dir = project.target_dir(root, warehouse)
    removed: list[str] = []
    for folder in (target_dir, dbt.logs_dir(root, warehouse)):
        for path in _files_holding(folder, strings):
            path.unlink()
            removed.append(f"{folder.name}/{path.relative_to(folder)}")
    report.steps["target_files_removed"] = removed
    before = compact.compact_file(warehouse)
    report.steps["warehouse_bytes"] = {"before": before, "after": warehouse.stat().st_size}
    with _connect(warehouse) as con:
        for outcome in active:
            remaining: dict[str, Any] = dict(problems)
            if outcome.vendor_failures:
                remaining["hubspot GDPR delete"] = "; ".join(
                    f"contact {cid}: {error} (rerun gtm forget hubspot:{cid})"
                    for cid, error in sorted(outcome.vendor_failures.items())
                )
            remaining |= erase.person_rows(con, outcome.identity)
            remaining |= model_remains(con, outcome.identity, person_ids)
            if files.pending:
                remaining["unloaded dlt packages"] = ", ".join(files.pending)
            if target.exists() and _file_holds(target, strings):
                remaining["published file"] = str(target)
            outcome.remaining = remaining
            outcome.status = "partial" if remaining else "done"
            audit.close_request(
                con,
                report.request_id,
                outcome.subject_hash,
                outcome.status,
                _now(),
                outcome.rows_removed,
                remaining,
                outcome.message,
            )


def _erase_at_hubspot(
    client: Any, active: list[SubjectOutcome], report: ForgetReport, say: Say
) -> None:
    """Delete every active subject's HubSpot contacts at HubSpot (GDPR delete)."""
    deleted = 0
    for outcome in active:
        contacts = set(outcome.identity.hubspot_contact)
        if outcome.subject.kind == "hubspot_contact":
            contacts.add(outcome.subject.value)
        if not contacts:
            continue
        result = vendor.hubspot_gdpr_delete(client, contacts)
        outcome.vendor_failures = result.failed
        if result.deleted:
            outcome.rows_removed["hubspot (GDPR delete): contacts"] = len(result.deleted)
        deleted += len(result.deleted)
    report.steps["hubspot_gdpr_deleted"] = deleted
    say(f"HubSpot: {deleted} contact(s) permanently deleted (GDPR delete).")


def _pipelines_dir(warehouse: Path) -> Path:
    from ingest.pipelines import pipelines_dir

    return pipelines_dir(warehouse)


# --------------------------------------------------------------------------------------------------
# after every ingest


@dataclass
class SuppressionResult:
    """What the suppression and retention purge after an ingest removed."""

    people: int = 0
    rows_removed: dict[str, int] = field(default_factory=dict)
    expired: dict[str, int] = field(default_factory=dict)


def apply_suppressions(root: Path, warehouse: Path, say: Say = _quiet) -> SuppressionResult:
    """Delete the raw rows of everyone on the suppression list, and expired events.

    Called after every ingest, before any model is built, so a re-ingest never brings an erased
    person back into the models (nor, through them, into the published file or a sync). A
    configured suppression list without the key that made it is an error: an ingest must not
    let erased people through.
    """
    result = SuppressionResult()
    if not warehouse.exists():
        return result
    horizon = retention.load_retention(root)
    with _connect(warehouse) as con:
        hashes = audit.suppressed_hashes(con)
        if hashes:
            key, _created = keys.load_key()
            audit.check_key(con, key, _now())
            candidates = erase.candidate_hashes(con, key)
            matched = [candidates[h] for h in hashes & candidates.keys()]
            if matched:
                seed = erase.Identity()
                for identity in matched:
                    seed.merge(identity)
                identity = erase.resolve(con, seed)
                result.people = len(matched)
                con.execute("begin transaction")
                result.rows_removed = erase.purge_raw(con, identity)
                con.execute("commit")
                if result.rows_removed:
                    erase.empty_staging_datasets(con)
        if horizon is not None:
            result.expired = retention.purge_expired(con, horizon)
    if result.rows_removed or result.expired:
        erase.clean_pipeline_folders(_pipelines_dir(warehouse))
        compact.compact_file(warehouse)
        say(
            f"Privacy: removed {sum(result.rows_removed.values())} raw row(s) of suppressed "
            f"people and {sum(result.expired.values())} event row(s) past the retention horizon."
        )
    return result
