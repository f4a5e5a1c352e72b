"""Which source systems dbt builds: the `<source>_enabled` vars, set from what the warehouse holds.

The dbt project switches each system on or off with a var (Fivetran's convention, see the README's
"Run with a subset of sources"); `gtm build` and `gtm run` pass them for the user, one per system,
on when the warehouse holds that system's raw schema (`raw_<source>` with a loaded table). A
warehouse with no raw schema yet (nothing loaded) gets no vars, so dbt's defaults (all on) apply and
its on-run-start check names what is missing.
"""

from __future__ import annotations

import json
from pathlib import Path

from gtm.errors import GtmError
from ingest import SYSTEMS

CRMS = ("salesforce", "hubspot")
"""The systems that hold people and opportunities: at least one must be loaded."""


def raw_schema(system: str) -> str:
    """Return the schema dlt loads `system` into (as `ingest.pipelines.dataset_name`)."""
    return f"raw_{system}"


def loaded_systems(warehouse: Path) -> set[str] | None:
    """Return the systems whose raw schema holds a loaded table; None when that cannot be read.

    None when the file does not exist or another process holds its lock: the caller then passes no
    vars and dbt's defaults apply.
    """
    if not warehouse.exists():
        return None
    import duckdb

    try:
        with duckdb.connect(str(warehouse)) as con:
            rows = con.execute(
                "select distinct table_schema from information_schema.tables "
                "where table_name not like '\\_dlt%' escape '\\'"
            ).fetchall()
    except duckdb.Error:
        return None
    schemas = {row[0] for row in rows}
    return {system for system in SYSTEMS if raw_schema(system) in schemas}


def source_vars(warehouse: Path) -> dict[str, bool]:
    """Return the `<source>_enabled` vars for `warehouse`; {} when nothing is loaded or readable.

    Raises `GtmError` when ad platforms are loaded but no CRM is: the models need people.
    """
    loaded = loaded_systems(warehouse)
    if not loaded:
        return {}
    if not loaded & set(CRMS):
        names = ", ".join(sorted(loaded))
        raise GtmError(
            f"the warehouse holds no CRM ({names} only): load Salesforce or HubSpot first "
            "(`gtm ingest salesforce` or `gtm ingest hubspot`)"
        )
    return {f"{system}_enabled": system in loaded for system in SYSTEMS}


def vars_args(warehouse: Path) -> list[str]:
    """Return dbt's `--vars` argument switching the systems of `warehouse` (empty when none)."""
    values = source_vars(warehouse)
    return ["--vars", json.dumps(values)] if values else []
