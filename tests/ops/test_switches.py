"""`gtm build` and `gtm run` switch each source on exactly when the warehouse holds its raw
schema."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from gtm.errors import GtmError
from gtm.ops import switches


def _warehouse(path: Path, schemas: dict[str, str]) -> Path:
    """A DuckDB file with one table in each schema (schema -> table name)."""
    with duckdb.connect(str(path)) as con:
        for schema, table in schemas.items():
            con.execute(f"create schema {schema}")
            con.execute(f"create table {schema}.{table} (id integer)")
    return path


def test_the_vars_follow_the_loaded_raw_schemas(tmp_path: Path) -> None:
    """HubSpot and Google Ads loaded: those two on, the other three off; dlt's own tables and a
    scratch `_staging` schema do not count as loaded."""
    path = _warehouse(
        tmp_path / "wh.duckdb",
        {
            "raw_hubspot": "contacts",
            "raw_google_ads": "campaigns",
            "raw_salesforce": "_dlt_loads",
            "raw_linkedin_ads_staging": "campaigns",
        },
    )
    assert switches.source_vars(path) == {
        "facebook_ads_enabled": False,
        "google_ads_enabled": True,
        "hubspot_enabled": True,
        "linkedin_ads_enabled": False,
        "salesforce_enabled": False,
    }
    args = switches.vars_args(path)
    assert args[0] == "--vars"
    assert json.loads(args[1])["hubspot_enabled"] is True


def test_nothing_loaded_passes_no_vars(tmp_path: Path) -> None:
    """A missing or empty warehouse keeps dbt's defaults (its own check names what is missing)."""
    assert switches.vars_args(tmp_path / "missing.duckdb") == []
    assert switches.vars_args(_warehouse(tmp_path / "empty.duckdb", {})) == []


def test_ad_platforms_without_a_crm_stop_with_one_line(tmp_path: Path) -> None:
    """Spend alone cannot build people and opportunities: one line says what to load."""
    path = _warehouse(tmp_path / "wh.duckdb", {"raw_google_ads": "campaigns"})
    with pytest.raises(GtmError, match=r"no CRM \(google_ads only\).*gtm ingest salesforce"):
        switches.source_vars(path)
