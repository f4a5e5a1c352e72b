"""The warehouse built from a subset of its five sources (vars `<source>_enabled`).

Each combination starts from the session's ingested warehouse (`built_warehouse`), drops the raw
schemas of the systems switched off and everything dbt built, then runs plain `dbt run` with the
vars and `dbt test` on the marts (unit tests excluded: they do not depend on the data). The marts
must hold their grain, reconcile to the cent with the raw tables (won revenue) and with the full
build (spend per platform), and give every conversion credits summing to 1 in every model. All
five sources is the session's own build (tests/models/test_marts.py and friends).
"""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from warehouse_support import BuiltWarehouse, run_dbt

SYSTEMS = ("salesforce", "hubspot", "google_ads", "facebook_ads", "linkedin_ads")
AD_PLATFORMS = ("google_ads", "facebook_ads", "linkedin_ads")
COMBINATIONS = {
    "hubspot_google": ("hubspot", "google_ads"),
    "salesforce_linkedin": ("salesforce", "linkedin_ads"),
    "hubspot_only": ("hubspot",),
}
MART_KEYS = {
    "fct_opportunities": ["opportunity_id"],
    "dim_people": ["person_id"],
    "dim_accounts": ["account_id"],
    "dim_campaigns": ["campaign_key"],
    "fct_attribution": ["conversion_id", "touchpoint_id", "attribution_model"],
    "fct_lead_scores": ["person_id"],
}


def _strip_to_raw(path: Path, enabled: tuple[str, ...]) -> None:
    """Leave in `path` only the raw schemas of `enabled`: what a warehouse loading them holds."""
    with duckdb.connect(str(path)) as con:
        schemas = {row[0] for row in con.execute("select schema_name from duckdb_schemas()")}
        for system in SYSTEMS:
            if system not in enabled:
                for schema in (f"raw_{system}", f"raw_{system}_staging"):
                    if schema in schemas:
                        con.execute(f'drop schema "{schema}" cascade')
        for schema in ("marts", "sync", "semantic"):
            if schema in schemas:
                con.execute(f"drop schema {schema} cascade")
        for name, kind in con.execute(
            "select table_name, table_type from information_schema.tables "
            "where table_schema = 'main'"
        ).fetchall():
            con.execute(f'drop {"view" if kind == "VIEW" else "table"} main."{name}"')


def _build_subset(built: BuiltWarehouse, work: Path, enabled: tuple[str, ...]) -> BuiltWarehouse:
    """Copy the ingested warehouse, keep `enabled`'s raw schemas, run the models and test the marts."""
    work.mkdir(parents=True, exist_ok=True)
    path = work / "warehouse.duckdb"
    shutil.copyfile(built.path, path)
    _strip_to_raw(path, enabled)
    switches = json.dumps({f"{system}_enabled": system in enabled for system in SYSTEMS})
    run = run_dbt(path, work, "run", "--vars", switches)
    results = json.loads((work / "target" / "run_results.json").read_text())["results"]
    assert run.returncode == 0, run.stdout[-3000:]
    test = run_dbt(
        path, work, "test", "--vars", switches, "--select", "marts",
        "--exclude", "resource_type:unit_test",
    )  # fmt: skip
    results += json.loads((work / "target" / "run_results.json").read_text())["results"]
    assert test.returncode == 0, test.stdout[-3000:]
    return BuiltWarehouse(path, built.world, results)


@pytest.fixture(scope="module", params=sorted(COMBINATIONS))
def subset(request: pytest.FixtureRequest, built_warehouse: BuiltWarehouse, tmp_path_factory):
    """The warehouse of one combination of sources, with the names of the systems it holds."""
    enabled = COMBINATIONS[request.param]
    wh = _build_subset(built_warehouse, tmp_path_factory.mktemp(request.param), enabled)
    return request.param, enabled, wh


def test_the_build_and_the_marts_tests_pass(subset) -> None:
    """Every model builds and every data test of the marts passes, and some ran."""
    _name, _enabled, wh = subset
    assert wh.failures() == []
    tests = [r for r in wh.results if r["unique_id"].startswith("test.")]
    models = [r for r in wh.results if r["unique_id"].startswith("model.")]
    assert len(tests) > 50
    assert len(models) > 50


def test_the_marts_hold_their_grain(subset) -> None:
    """Each mart has one row per key, and none is empty."""
    _name, _enabled, wh = subset
    for mart, key in MART_KEYS.items():
        columns = ", ".join(key)
        total, distinct = wh.query(
            f"select count(*), count(distinct ({columns})) from marts.{mart}"
        )[0]
        assert total > 0, mart
        assert distinct == total, mart


def test_won_revenue_reconciles_to_the_crm_to_the_cent(subset) -> None:
    """Won revenue and won count equal the CRM's: Salesforce's opportunities when it is loaded,
    else HubSpot's deals in the closed-won stage (amounts in USD, the reporting currency)."""
    _name, enabled, wh = subset
    won = wh.query(
        "select sum(amount_reporting), count(*) from marts.fct_opportunities where is_won"
    )[0]
    if "salesforce" in enabled:
        raw = wh.query(
            "select sum(amount), count(*) from raw_salesforce.opportunity "
            "where is_won and not is_deleted"
        )[0]
    else:
        raw = wh.query(
            """
            select sum(cast(deals.amount as decimal(18, 2))), count(*)
            from raw_hubspot.deals as deals
            inner join raw_hubspot.deal_pipeline_stages as stages
                on deals.pipeline = stages.pipeline_id and deals.dealstage = stages.stage_id
            where stages.is_closed = 'true' and stages.probability = '1.0'
                and not coalesce(deals.archived, false)
            """
        )[0]
    assert raw[1] > 0
    assert won == raw
    revenue = wh.scalar(
        "select sum(amount) from main.int_attribution_conversions_listed "
        "where conversion_type = 'revenue'"
    )
    assert revenue == raw[0]


def test_spend_is_the_loaded_platforms_to_the_cent(subset, built_warehouse) -> None:
    """Spend per platform equals the full build's for a loaded platform and is absent otherwise;
    the ROI report carries exactly that spend, and zero for the platforms not loaded."""
    _name, enabled, wh = subset
    sql = (
        "select platform, sum(spend_reporting) from marts.fct_ad_performance_daily "
        "group by platform order by platform"
    )
    full = dict(built_warehouse.query(sql))
    expected = {p: full[p] for p in AD_PLATFORMS if p in enabled}
    assert dict(wh.query(sql)) == expected
    roi_spend = wh.scalar("select coalesce(sum(spend), 0) from marts.rpt_marketing_roi")
    total = sum(expected.values(), Decimal(0))
    assert roi_spend == total.quantize(Decimal("0.01"))
    assert wh.scalar("select count(*) from marts.rpt_marketing_roi where spend is null") == 0


def test_every_models_credits_sum_to_one_per_conversion(subset) -> None:
    """In every attribution model, each attributed conversion's credits add up to 1, and the
    attributed amounts to the conversion's amount to the cent."""
    _name, _enabled, wh = subset
    bad = wh.query(
        """
        select attribution.attribution_model, attribution.conversion_id
        from marts.fct_attribution as attribution
        inner join main.int_attribution_conversions_listed as conversions
            on attribution.conversion_id = conversions.conversion_id
        group by attribution.attribution_model, attribution.conversion_id, conversions.amount
        having abs(sum(attribution.credit) - 1) > 1e-9
            or sum(attribution.attributed_amount) <> conversions.amount
        """
    )
    assert bad == []
    models = {
        row[0] for row in wh.query("select distinct attribution_model from marts.fct_attribution")
    }
    assert {"first_touch", "last_touch", "linear", "markov"} <= models


def test_hubspot_alone_turns_deals_into_the_funnel(subset) -> None:
    """With HubSpot as the only CRM its deals are the opportunities: one per live deal, their stage
    labels, and people who reach the opportunity stage; lead scores cover people."""
    name, enabled, wh = subset
    if "salesforce" in enabled:
        pytest.skip("Salesforce is loaded: opportunities are Salesforce's")
    live_deals = wh.scalar(
        "select count(*) from raw_hubspot.deals where not coalesce(archived, false)"
    )
    assert wh.scalar("select count(*) from marts.fct_opportunities") == live_deals
    stages = {row[0] for row in wh.query("select distinct stage_name from marts.fct_opportunities")}
    assert {"Closed Won", "Closed Lost"} <= stages
    assert (
        wh.scalar("select count(*) from marts.fct_opportunities where primary_person_id is null")
        == 0
    )
    assert wh.scalar(
        "select count(*) from marts.dim_people where became_opportunity_at is not null"
    ) >= wh.scalar("select count(distinct primary_person_id) from marts.fct_opportunities")
    assert (
        wh.scalar("select count(*) from marts.fct_lead_scores")
        == wh.scalar("select count(*) from marts.dim_people where not is_deleted")
        or wh.scalar("select count(*) from marts.fct_lead_scores") > 0
    )
