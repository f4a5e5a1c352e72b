"""Write-audit-publish: hand BI tools a finished, tested copy of the marts in a file of their own.

The build writes the warehouse; BI tools never open it (DuckDB allows one writer, and a reader
would block the build). After a run whose tests all pass, `publish_marts` copies every table of
the `marts` schema into a new file beside the published one, in a storage format DuckDB 1.x clients
can open, and moves it into place with `os.replace`. A reader that has the old file open keeps
reading its snapshot; the next connection sees the new one; a run killed midway leaves the last
good file untouched. In the published file the marts sit in its default schema, so a BI user types
`fct_attribution` (or `marts.fct_attribution` after `attach 'marts.duckdb'`): one way only.
Beside them, schema `metrics` holds one table per saved query of the semantic layer
(`gtm.ops.semantic`), computed from the same marts in the same publish, and schema `ops` the run's
health (`gtm.ops.health`).

The published file carries no direct identifier. The policy comes from dbt's manifest (each
column's `meta: {pii: ...}`, see `gtm.privacy.policy`): `drop` leaves the column out,
`pseudonymise` replaces each value by its HMAC-SHA256 under the secret key (computed in Python,
so the key never reaches SQL, the warehouse or the file), `domain` keeps an e-mail's domain. A
column whose name says it is personal (e-mail, name, phone, IP, free text, person key) and that
carries no tag stops the publish, as does a tag with no known treatment: nothing is copied
untreated.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from gtm import project
from gtm.ops import semantic
from gtm.ops.health import RunHealth, write_health
from gtm.ops.report import PublishOutcome
from gtm.privacy import audit, keys, policy

MARTS_SCHEMA = "marts"
WAREHOUSE_CATALOG = "warehouse"
"""The name the publish attaches the warehouse under (the saved queries' SQL reads from it)."""
STORAGE_VERSION = "v1.4.0"
"""The storage format of the published file: readable by DuckDB 1.4 and later clients."""
INFO_TABLE = "gtm_publish_info"
"""One row in the published file: which run published it and when."""
PSEUDONYMISE_FUNCTION = "gtm_pseudonymise"
"""The Python function (HMAC under the secret key) registered on the publish connection only."""
PUBLISH_HASH_PREFIX = "publish:"
"""Published hashes are made of this prefix and the value, so they never equal a subject hash."""

KeyProvider = Callable[[], str]
"""Returns the HMAC key; called only when a published column is pseudonymised."""


@dataclass(frozen=True)
class Published:
    """What a publish wrote."""

    path: Path
    run_id: str
    published_at: str
    tables: dict[str, int]


def publish_path(duckdb_path: Path, configured: str = "", root: Path | None = None) -> Path:
    """Where the marts are published: `configured` (relative to `root`) or beside the warehouse.

    Unconfigured, each warehouse has its own file (`project.default_publish_path`).
    """
    root = root or project.find_repo_root()
    if not configured:
        return project.default_publish_path(root, duckdb_path)
    path = Path(configured).expanduser()
    if not path.is_absolute():
        path = root / path
    return path.resolve()


def staging_path(target: Path, run_id: str) -> Path:
    """Return the file a publish writes before moving it onto `target`.

    Hidden, and named `*.duckdb` so that the `*.duckdb` rule of `.gitignore` covers it (and its
    `.wal`): a publish killed midway leaves nothing that git shows; the next publish removes it.
    """
    return target.with_name(f".{target.name}.{run_id}.tmp.duckdb")


def _leftovers(target: Path) -> list[Path]:
    return sorted(target.parent.glob(f".{target.name}.*.tmp*"))


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


def column_expression(
    table: str, column: str, treatment: str | None, kind: str | None
) -> str | None:
    """Return the SQL that publishes `column` (None: left out); refuse what would leak.

    Raises `PolicyError` for a personal column without a tag or a tag with no known treatment.
    """
    quoted = _quote(column)
    if treatment is None:
        if kind is not None:
            raise policy.PolicyError(
                f"{MARTS_SCHEMA}.{table}.{column} looks like {kind.replace('_', ' ')} but has no "
                "pii tag in its YAML (config: {meta: {pii: drop|pseudonymise|domain}}); "
                "nothing was published"
            )
        return quoted
    if treatment == "drop":
        return None
    if treatment == "pseudonymise":
        return f"{PSEUDONYMISE_FUNCTION}(cast({quoted} as varchar)) as {quoted}"
    if treatment == "domain":
        return f"nullif(lower(split_part(cast({quoted} as varchar), '@', 2)), '') as {quoted}"
    raise policy.PolicyError(
        f"{MARTS_SCHEMA}.{table}.{column}: pii treatment {treatment!r} is unknown; nothing was "
        "published"
    )


def manifest_path(root: Path, warehouse: Path) -> Path:
    """Return dbt's manifest for `warehouse` (in its target folder)."""
    return project.target_dir(root, warehouse) / "manifest.json"


def publish_marts(
    duckdb_path: Path,
    target: Path,
    run_id: str,
    manifest: Mapping[str, Any] | None = None,
    key: KeyProvider | None = None,
    *,
    semantic_manifest: Path | None = None,
    health: RunHealth | None = None,
) -> Published:
    """Copy the warehouse's marts into a new file and move it atomically onto `target`.

    Each column is treated as its `pii` tag in `manifest` says (see `column_expression`);
    without a manifest only columns whose names are of no personal kind can be published. `key`
    gives the HMAC key when a column is pseudonymised. With `semantic_manifest` (the build's
    `semantic_manifest.json`), every saved query is also written as a table `metrics.<name>`; a
    saved query that does not compile stops the publish. With `health`, the run's health
    (history, tests, quarantine) goes into schema `ops` too.
    """
    if target.resolve() == duckdb_path.resolve():
        raise ValueError(f"the publish path {target} is the warehouse itself; choose another file")
    target.parent.mkdir(parents=True, exist_ok=True)
    for leftover in _leftovers(target):
        leftover.unlink()  # a killed publish; the caller holds the run lock, so nobody writes it
    saved_queries = (
        []
        if semantic_manifest is None
        else semantic.compile_saved_queries(semantic_manifest, WAREHOUSE_CATALOG)
    )
    staging = staging_path(target, run_id)
    try:
        return _publish(
            duckdb_path, target, staging, run_id, manifest or {}, key, saved_queries, health
        )
    except BaseException:
        for partial in _leftovers(target):  # a failed publish cleans up after itself
            partial.unlink(missing_ok=True)
        raise


def _selects(
    con: duckdb.DuckDBPyConnection, names: list[str], manifest: Mapping[str, Any]
) -> dict[str, str]:
    """Return each table's select list, checked against the policy before anything is copied."""
    selects: dict[str, str] = {}
    for name in names:
        tagged = policy.table_policy(manifest, MARTS_SCHEMA, name)
        found = [
            column
            for (column,) in con.execute(
                "select column_name from information_schema.columns where table_catalog = "
                "'warehouse' and table_schema = ? and table_name = ? order by ordinal_position",
                [MARTS_SCHEMA, name],
            ).fetchall()
        ]
        expressions = [
            expression
            for column in found
            if (
                expression := column_expression(
                    name, column, tagged.get(column), policy.personal_kind(column)
                )
            )
            is not None
        ]
        if not expressions:
            raise policy.PolicyError(
                f"{MARTS_SCHEMA}.{name}: every column is dropped by the policy"
            )
        selects[name] = ", ".join(expressions)
    return selects


def _marts_models(manifest: Mapping[str, Any]) -> set[str]:
    """Return the relation names of the manifest's models in schema `marts`."""
    return {
        str(node.get("alias") or node["name"])
        for node in manifest.get("nodes", {}).values()
        if node.get("resource_type") == "model" and node.get("schema") == MARTS_SCHEMA
    }


def _register_pseudonymise(con: duckdb.DuckDBPyConnection, key: KeyProvider | None) -> None:
    if key is None:
        raise policy.PolicyError("a published column is pseudonymised but no HMAC key was given")
    secret = key()

    def pseudonymise(value: str | None) -> str | None:
        return None if value is None else keys.keyed_hash(secret, PUBLISH_HASH_PREFIX + value)

    con.create_function(
        PSEUDONYMISE_FUNCTION,
        pseudonymise,
        ["VARCHAR"],
        "VARCHAR",
        null_handling="special",
        side_effects=False,
    )


def _publish(
    duckdb_path: Path,
    target: Path,
    staging: Path,
    run_id: str,
    manifest: Mapping[str, Any],
    key: KeyProvider | None,
    saved_queries: list[semantic.SavedQuerySql],
    health: RunHealth | None,
) -> Published:
    published_at = datetime.now(UTC).isoformat(timespec="seconds")
    tables: dict[str, int] = {}
    with duckdb.connect() as con:
        con.execute(f"attach {_sql_string(str(duckdb_path))} as {WAREHOUSE_CATALOG} (read_only)")
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
        if manifest:
            # Only what the project models now: a table left by a model since removed or moved
            # out of the schema is not published (it would carry columns no policy covers).
            modelled = _marts_models(manifest)
            names = [name for name in names if name in modelled]
        if not names:
            raise ValueError(f"the warehouse has no tables in schema {MARTS_SCHEMA!r} to publish")
        selects = _selects(con, names, manifest)
        if any(f"{PSEUDONYMISE_FUNCTION}(" in select for select in selects.values()):
            _register_pseudonymise(con, key)
        for name in names:
            con.execute(
                f"create table publish.main.{_quote(name)} as "
                f"select {selects[name]} from warehouse.{MARTS_SCHEMA}.{_quote(name)}"
            )
            count = con.execute(f"select count(*) from publish.main.{_quote(name)}").fetchone()
            tables[name] = int(count[0]) if count else 0
        if saved_queries:
            con.execute(f"create schema publish.{semantic.METRICS_SCHEMA}")
        for query in saved_queries:
            qualified = f"publish.{semantic.METRICS_SCHEMA}.{_quote(query.name)}"
            con.execute(f"create table {qualified} as {query.sql}")
            count = con.execute(f"select count(*) from {qualified}").fetchone()
            tables[f"{semantic.METRICS_SCHEMA}.{query.name}"] = int(count[0]) if count else 0
        con.execute(
            f"create table publish.main.{INFO_TABLE} as "
            "select ? as run_id, cast(? as timestamp with time zone) as published_at, "
            "? as source_warehouse",
            [run_id, published_at, str(duckdb_path)],
        )
        if health is not None:
            write_health(con, WAREHOUSE_CATALOG, "publish", health)
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


def publish_with_policy(
    root: Path,
    warehouse: Path,
    target: Path,
    run_id: str,
    *,
    semantic_manifest: Path | None = None,
    health: RunHealth | None = None,
) -> Published:
    """Publish with the policy of the warehouse's manifest and the project's HMAC key.

    When a mart column is pseudonymised, the key is read first (a missing one is generated into
    `.dlt/secrets.toml`, see `gtm.privacy.keys`) and checked against the fingerprint the
    warehouse recorded, so that the published pseudonyms and the suppression list never silently
    change key. The caller holds the warehouse lock.
    """
    manifest = policy.load_manifest(manifest_path(root, warehouse))
    pseudonymised = any(
        c.layer == "marts" and c.treatment == "pseudonymise" for c in policy.columns(manifest)
    )
    extra: dict[str, Any] = {"semantic_manifest": semantic_manifest, "health": health}
    if not pseudonymised:
        return publish_marts(warehouse, target, run_id, manifest, **extra)
    secret, _created = keys.load_key(create_in=root)
    with duckdb.connect(str(warehouse)) as con:
        audit.check_key(con, secret, datetime.now(UTC))
    return publish_marts(warehouse, target, run_id, manifest, key=lambda: secret, **extra)


def publish_if_tested(
    warehouse: Path,
    target: Path,
    run_id: str,
    build: Any,
    root: Path | None = None,
    *,
    semantic_manifest: Path | None = None,
    health: RunHealth | None = None,
) -> tuple[PublishOutcome, Exception | None]:
    """Publish the marts (and the saved queries of `semantic_manifest`) when `build` passed.

    `build` is a `DbtSummary` or None; it passed when every node of it succeeded.

    Otherwise, or when publishing fails, BI keeps the last publish and the outcome says which.
    Returns the outcome and the error that stopped the publish, if any.
    """
    root = root or project.find_repo_root()
    tested = build is not None and build.success and not build.failed
    outcome = PublishOutcome(path=str(target), tested=tested)
    if not tested:
        outcome.reason = "the build did not run" if build is None else "the build has failing nodes"
        outcome.kept = read_published(target)
        return outcome, None
    try:
        done = publish_with_policy(
            root, warehouse, target, run_id, semantic_manifest=semantic_manifest, health=health
        )
    except (duckdb.Error, OSError, ValueError, keys.HmacKeyError) as exc:
        outcome.reason = "publishing failed"
        outcome.kept = read_published(target)
        return outcome, exc
    outcome.published = True
    outcome.published_at = done.published_at
    outcome.tables = done.tables
    return outcome, None
