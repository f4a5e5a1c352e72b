"""What changed since the last published build, so a run rebuilds only that.

After a run publishes, the warehouse remembers a fingerprint of each raw table (its row count and an
order-free hash of its rows, dlt's own `_dlt_*` columns left out, so a re-load of identical rows is
no change) and one of the dbt project (its files and the env vars they read). The next run
compares: the same project and no raw table changed means nothing to build; some raw tables
changed means `dbt build --select source:<source>.<table>+` for those (the incremental models
then rebuild only their changed keys: docs/incremental.md); a changed raw table that no dbt source
reads means the whole build; a changed project or no fingerprint yet means the whole build with
`--full-refresh` (rows an incremental model built earlier may follow the older logic). The sources
of a selection are read from the last build's manifest, which matches the project while its
fingerprint holds.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from gtm.ops.history import HISTORY_SCHEMA, _is_raw

FINGERPRINT_TABLE = f"{HISTORY_SCHEMA}.build_fingerprints"
"""Fingerprints of the last published build: one row per raw table, plus the project's."""
PROJECT_KEY = "dbt_project"
"""The row of the project's fingerprint in FINGERPRINT_TABLE."""


@dataclass(frozen=True)
class BuildPlan:
    """What a run's build should do: all, a selection, or nothing."""

    select: tuple[str, ...] | None
    """dbt selectors to build; None for the whole project; empty when nothing changed."""
    reason: str
    """One line saying why, for the run's log and report."""
    full_refresh: bool = False
    """Whether incremental models rebuild in full: the project (code, seeds, vars, env inputs)
    changed or no build was recorded, so rows built before may follow older logic."""

    @property
    def nothing(self) -> bool:
        """Whether there is nothing to build."""
        return self.select == ()


def raw_fingerprints(warehouse: Path) -> dict[str, str]:
    """Return `schema.table` -> fingerprint of every raw table of `warehouse`."""
    if not warehouse.exists():
        return {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        found = con.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where table_schema like 'raw\\_%' escape '\\' "
            "order by table_schema, table_name, ordinal_position"
        ).fetchall()
        columns: dict[tuple[str, str], list[str]] = {}
        for schema, table, column in found:
            if _is_raw(schema, table) and not column.startswith("_dlt_"):
                columns.setdefault((schema, table), []).append(column)
        out: dict[str, str] = {}
        for (schema, table), names in sorted(columns.items()):
            quoted = ", ".join(f'"{name}"' for name in names)
            row = con.execute(
                f'select count(*), coalesce(sum(hash({quoted})), 0) from "{schema}"."{table}"'
            ).fetchone()
            out[f"{schema}.{table}"] = f"{row[0]}:{row[1]}:{len(names)}" if row else "0"
    return out


PROJECT_PATHS = (
    "dbt_project.yml",
    "profiles.yml",
    "models",
    "macros",
    "seeds",
    "tests/dbt",
    "gtm/training",
)
"""What the dbt project is made of: a change to any file under these means a whole build (the
training code too: its parameters feed the SQL models)."""

ENV_VAR_CALL = re.compile(rb"""env_var\(\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]""")
"""An `env_var('NAME'...)` call in a project file: its value is an input of the build too."""


def project_fingerprint(root: Path) -> str:
    """Return a hash of the dbt project's inputs.

    Its files (PROJECT_PATHS), names and contents, and the values of the environment variables
    they read with `env_var()` (hashed, never stored).
    """
    digest = hashlib.sha256()
    env_names: set[str] = set()
    for name in PROJECT_PATHS:
        path = root / name
        files = (
            sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
            if path.is_dir()
            else [path]
        )
        for file in files:
            if file.exists():
                content = file.read_bytes()
                digest.update(f"{file.relative_to(root).as_posix()}\n".encode())
                digest.update(hashlib.sha256(content).digest())
                env_names.update(m.decode() for m in ENV_VAR_CALL.findall(content))
    for env_name in sorted(env_names):
        value = os.environ.get(env_name)
        digest.update(f"{env_name}={'' if value is None else '+' + value}\n".encode())
    return digest.hexdigest()


def source_selectors(manifest: Path) -> dict[str, str]:
    """Return `schema.table` (lower case) -> `source:<source>.<table>` for every dbt source."""
    data = json.loads(manifest.read_text(encoding="utf-8"))
    out: dict[str, str] = {}
    for source in data.get("sources", {}).values():
        key = f"{source['schema']}.{source.get('identifier') or source['name']}".lower()
        out[key] = f"source:{source['source_name']}.{source['name']}"
    return out


def read_fingerprints(warehouse: Path) -> dict[str, str]:
    """Return the fingerprints the last published build stored (empty when none)."""
    if not warehouse.exists():
        return {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        exists = con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = ? and table_name = 'build_fingerprints'",
            [HISTORY_SCHEMA],
        ).fetchone()
        if not exists or not exists[0]:
            return {}
        rows = con.execute(f"select name, fingerprint from {FINGERPRINT_TABLE}").fetchall()
    return {str(name): str(fingerprint) for name, fingerprint in rows}


def write_fingerprints(warehouse: Path, fingerprints: dict[str, str]) -> None:
    """Replace the stored fingerprints with those of the build just published."""
    with duckdb.connect(str(warehouse)) as con:
        con.execute(f"create schema if not exists {HISTORY_SCHEMA}")
        con.execute(
            f"create or replace table {FINGERPRINT_TABLE} "
            "(name varchar primary key, fingerprint varchar)"
        )
        con.executemany(
            f"insert into {FINGERPRINT_TABLE} values (?, ?)", sorted(fingerprints.items())
        )


def current_fingerprints(root: Path, warehouse: Path) -> dict[str, str]:
    """Return the fingerprints of the raw tables and the project as they are now."""
    return raw_fingerprints(warehouse) | {PROJECT_KEY: project_fingerprint(root)}


def plan_build(stored: dict[str, str], current: dict[str, str], manifest: Path) -> BuildPlan:
    """Compare the stored fingerprints with the current ones; say what to build."""
    if not stored:
        return BuildPlan(
            None,
            "no build was published from this warehouse yet: building all in full",
            full_refresh=True,
        )
    if stored.get(PROJECT_KEY) != current.get(PROJECT_KEY):
        return BuildPlan(None, "the dbt project changed: building all in full", full_refresh=True)
    changed = sorted(
        name
        for name in set(stored) | set(current)
        if name != PROJECT_KEY and stored.get(name) != current.get(name)
    )
    if not changed:
        return BuildPlan(
            (), "no raw table changed since the last published build: nothing to build"
        )
    if not manifest.exists():
        return BuildPlan(None, f"{len(changed)} raw tables changed, no dbt manifest: building all")
    selectors = source_selectors(manifest)
    unread = [name for name in changed if name.lower() not in selectors]
    if unread:
        return BuildPlan(
            None,
            f"{len(changed)} raw tables changed, {unread[0]} read by no dbt source: building all",
        )
    chosen = tuple(sorted({f"{selectors[name.lower()]}+" for name in changed}))
    return BuildPlan(chosen, f"{len(changed)} raw tables changed: building what reads them")
