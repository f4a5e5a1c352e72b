"""The cloud targets offline: scripts/cloud_check.sh parses the project for Snowflake, BigQuery and
Databricks, compiles it for Snowflake and BigQuery without a connection, and parses every compiled
model and data test with sqlglot in the engine's dialect (docs/engines.md, "Clouds").

The first run builds .venv-cloud (scripts/cloud_venv.sh, from uv's cache when it is warm); later
runs reuse it. Nothing here reaches a warehouse: the credentials are dummies and the BigQuery key
is made with openssl for the run.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
CLOUDS = ("snowflake", "bigquery")


@pytest.fixture(scope="module")
def cloud_check(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("cloud-check")
    report = out / "report.json"
    done = subprocess.run(
        ["bash", "scripts/cloud_check.sh", "--out", str(out), "--report", str(report)],
        cwd=REPO,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=1200,
    )
    results = json.loads(report.read_text()) if report.exists() else {"results": []}
    return {
        "returncode": done.returncode,
        "output": done.stdout + done.stderr,
        "results": {result["target"]: result for result in results["results"]},
        "out": out,
    }


def _manifest_node(cloud_check: dict[str, Any], target: str, name: str) -> dict[str, Any]:
    manifest = json.loads((cloud_check["out"] / target / "target" / "manifest.json").read_text())
    return manifest["nodes"][f"model.gtm_warehouse.{name}"]


def _compiled(cloud_check: dict[str, Any], target: str, name: str) -> str:
    folder = cloud_check["out"] / target / "target" / "compiled"
    (path,) = folder.rglob(f"{name}.sql")
    return path.read_text()


def test_every_cloud_parses_and_compiles_offline(cloud_check: dict[str, Any]) -> None:
    assert cloud_check["returncode"] == 0, cloud_check["output"][-6000:]
    assert set(cloud_check["results"]) == {"snowflake", "bigquery", "databricks"}
    assert cloud_check["results"]["databricks"]["command"] == "parse"
    assert cloud_check["results"]["databricks"]["returncode"] == 0
    assert "cloud check: ok" in cloud_check["output"]


def test_databricks_takes_the_spark_branches(cloud_check: dict[str, Any]) -> None:
    # The parse renders every macro; an engine without a branch raises there. The project's own
    # dispatch looks for databricks__, then spark__: the incremental strategy is Spark's.
    sessions = _manifest_node(cloud_check, "databricks", "int_page_views_sessionized")
    assert sessions["config"]["incremental_strategy"] == "insert_overwrite"


@pytest.mark.parametrize("target", CLOUDS)
def test_every_enabled_model_compiled_and_sqlglot_parsed_it(
    cloud_check: dict[str, Any], target: str
) -> None:
    result = cloud_check["results"][target]
    assert result["command"] == "compile" and result["returncode"] == 0
    assert result["problems"] == []
    # The whole project, Python models (enabled on the clouds) included.
    assert len(result["enabled_models"]) > 90
    assert sorted(result["compiled_models"]) == sorted(result["enabled_models"])
    assert {"int_attribution_channels_credited", "fct_lead_scores"} <= set(result["enabled_models"])
    # Models and data tests, less the Python models.
    assert result["parsed_files"] > 250


def test_bigquery_sql_is_bigquery_sql(cloud_check: dict[str, Any]) -> None:
    merges = _compiled(cloud_check, "bigquery", "stg_hubspot__contact_merges")
    # Relations quoted with backticks; a split string unnested in the from clause.
    assert "from `offline-check`.`raw_hubspot`.`contacts`" in merges
    assert (
        "cross join unnest(split(survivors.merged_contact_ids, ';')) as merged_contact_id" in merges
    )
    roi = _compiled(cloud_check, "bigquery", "rpt_marketing_roi")
    assert "as float64)" in roi and "double precision" not in roi
    contacts = _compiled(cloud_check, "bigquery", "stg_hubspot__contacts")
    assert "safe_cast(nullif(trim(hs_lifecyclestage_lead_date), '') as timestamp)" in contacts
    # The incremental models are tables on BigQuery (no strategy replaces rows by a non-unique key).
    manifest = json.loads(
        (cloud_check["out"] / "bigquery" / "target" / "manifest.json").read_text()
    )
    sessions = manifest["nodes"]["model.gtm_warehouse.int_page_views_sessionized"]
    assert sessions["config"]["materialized"] == "table"


def test_snowflake_sql_is_snowflake_sql(cloud_check: dict[str, Any]) -> None:
    merges = _compiled(cloud_check, "snowflake", "stg_hubspot__contact_merges")
    assert "cross join lateral split_to_table(survivors.merged_contact_ids, ';')" in merges
    contacts = _compiled(cloud_check, "snowflake", "stg_hubspot__contacts")
    assert "convert_timezone('UTC', try_to_timestamp_tz(nullif(trim(" in contacts
    people = _compiled(cloud_check, "snowflake", "int_people_resolved")
    assert "regexp_substr(" in people and "'e', 4)" in people
    manifest = json.loads(
        (cloud_check["out"] / "snowflake" / "target" / "manifest.json").read_text()
    )
    sessions = manifest["nodes"]["model.gtm_warehouse.int_page_views_sessionized"]
    assert sessions["config"]["materialized"] == "incremental"
    assert sessions["config"]["incremental_strategy"] == "delete+insert"
