"""The warehouse built from a subset of its five sources (vars `<source>_enabled`).

Each combination starts from the raw tables of the session's ingested warehouse (`built_warehouse`,
copied, with the raw schemas of the systems switched off dropped and everything dbt built removed),
then builds with the vars as `gtm build` does, its two phases spelled out (`dbt build --exclude
source:model_parameters+`, `gtm train`, `dbt build --select source:model_parameters+`; seeds and
models; the data tests are replaced by the targeted checks below, which cost a fraction of dbt's
~800 tests per build). The three builds run at
once, one process each: most of a build is dbt's parse, which a change of vars always redoes. All
five sources is the session's own build (tests/models/test_marts.py and friends).

Checked per combination: every mart's grain (each `unique` and `unique_combination_of_columns` test
dbt declares on a mart, run here as a query), the marts' keys joining to their dimensions, won
revenue against the CRM's raw tables to the cent, ad spend per platform and currency against the
raw tables to the cent (and in the reporting currency against the full build), every attribution
model's credits summing to 1 per conversion, and with HubSpot alone the deals as the funnel's
opportunities. A switch left on for a source whose raw schema is absent stops dbt with one line.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from warehouse_support import BIN, REPO, BuiltWarehouse

SYSTEMS = ("salesforce", "hubspot", "google_ads", "facebook_ads", "linkedin_ads")
AD_PLATFORMS = ("google_ads", "facebook_ads", "linkedin_ads")
COMBINATIONS = {
    "hubspot_google": ("hubspot", "google_ads"),
    "salesforce_linkedin": ("salesforce", "linkedin_ads"),
    "hubspot_only": ("hubspot",),
}
WAREHOUSE = "warehouse.duckdb"
"""The warehouse file's name, relative to each build's own folder (its working directory): dbt's
profile renders the same path for every build, so a later run of the same vars reuses the parse."""

# Native spend per platform and currency in the raw tables, as the models define it: Google per
# campaign and day is the larger of the campaign-level figure and the sum of its ad-level rows.
RAW_SPEND = {
    "google_ads": """
        with ad_rows as (
            select campaign_id, date, currency_code,
                sum(cast(cost_micros as decimal(38, 0))) as cost_micros
            from raw_google_ads.ad_metrics_daily
            group by campaign_id, date, currency_code
        )
        select coalesce(campaigns.currency_code, ad_rows.currency_code),
            sum(greatest(coalesce(cast(campaigns.cost_micros as decimal(38, 0)), 0),
                coalesce(ad_rows.cost_micros, 0))) / 1000000
        from raw_google_ads.campaign_metrics_daily as campaigns
        full outer join ad_rows
            on campaigns.campaign_id = ad_rows.campaign_id and campaigns.date = ad_rows.date
        group by 1
    """,
    "facebook_ads": (
        "select account_currency, sum(spend) from raw_facebook_ads.ads_insights group by 1"
    ),
    "linkedin_ads": (
        "select currency, sum(cost_in_local_currency) "
        "from raw_linkedin_ads.creative_analytics_daily group by 1"
    ),
}


MART_GRAIN = {
    "fct_opportunities": ["opportunity_id"],
    "dim_people": ["person_id"],
    "dim_accounts": ["account_id"],
    "dim_campaigns": ["campaign_key"],
    "fct_attribution": ["conversion_id", "touchpoint_id", "attribution_model"],
    "fct_lead_scores": ["person_id"],
    "rpt_marketing_roi": ["month_start_date", "channel", "campaign_key"],
}
"""The grain of the main marts, checked whatever form dbt's uniqueness tests take."""


@dataclass(frozen=True)
class Subset:
    """One combination built: its name, the systems on, the warehouse, and the build's seconds."""

    name: str
    enabled: tuple[str, ...]
    warehouse: BuiltWarehouse
    work: Path
    seconds: float

    manifest: dict
    """dbt's manifest of this build: what was enabled and the tests it declares."""


def switches(enabled: tuple[str, ...]) -> str:
    """The `--vars` value switching on exactly `enabled`."""
    return json.dumps({f"{system}_enabled": system in enabled for system in SYSTEMS})


def strip_to_raw(path: Path, enabled: tuple[str, ...]) -> None:
    """Leave in `path` only the raw schemas of `enabled`: what a warehouse loading them holds."""
    keep = {f"raw_{system}" for system in enabled} | {f"raw_{system}_staging" for system in enabled}
    with duckdb.connect(str(path)) as con:
        schemas = [
            row[0]
            for row in con.execute(
                "select schema_name from duckdb_schemas() "
                "where database_name = current_database() and not internal"
            ).fetchall()
        ]
        for schema in schemas:
            if schema != "main" and schema not in keep:
                con.execute(f'drop schema "{schema}" cascade')
        for name, kind in con.execute(
            "select table_name, table_type from information_schema.tables "
            "where table_schema = 'main' and table_catalog = current_database()"
        ).fetchall():
            con.execute(f'drop {"view" if kind == "VIEW" else "table"} main."{name}"')


def build_in_phases(work: Path, variables: str) -> subprocess.Popen:
    """Start the build of `work` in the two phases of `gtm build`, without data tests."""
    untested = ["--exclude", "resource_type:test", "resource_type:unit_test"]
    steps = [
        _dbt_command(work, "build", "--vars", variables, *untested, "source:model_parameters+"),
        [str(BIN / "gtm"), "train"],
        _dbt_command(
            work, "build", "--vars", variables, "--select", "source:model_parameters+", *untested
        ),
    ]
    env = os.environ | {
        "GTM_DUCKDB_PATH": WAREHOUSE,
        "DBT_TARGET_PATH": str(work / "target"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    env.pop("DLT_PROJECT_DIR", None)
    # Phase one's results kept beside phase two's (the fixture reads both).
    keep = ["cp", str(work / "target" / "run_results.json"), str(work / "run_results_first.json")]
    script = " && ".join(shlex.join(step) for step in [steps[0], keep, *steps[1:]])
    return subprocess.Popen(
        ["bash", "-c", script],
        cwd=work,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _dbt_command(work: Path, *args: str) -> list[str]:
    return [
        str(BIN / "dbt"), *args,
        "--project-dir", str(REPO), "--profiles-dir", str(REPO),
        "--target-path", str(work / "target"), "--log-path", str(work / "logs"),
    ]  # fmt: skip


def dbt(work: Path, *args: str) -> subprocess.Popen:
    """Start `dbt <args>` on the project with `work` as working directory, warehouse and target."""
    env = os.environ | {"GTM_DUCKDB_PATH": WAREHOUSE, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    env.pop("DLT_PROJECT_DIR", None)
    command = [
        str(BIN / "dbt"), *args,
        "--project-dir", str(REPO), "--profiles-dir", str(REPO),
        "--target-path", str(work / "target"), "--log-path", str(work / "logs"),
    ]  # fmt: skip
    return subprocess.Popen(
        command, cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


@pytest.fixture(scope="module")
def subsets(built_warehouse: BuiltWarehouse, tmp_path_factory) -> dict[str, Subset]:
    """Every combination built at once from the session's raw tables, by name."""
    started, runs = {}, {}
    for name, enabled in COMBINATIONS.items():
        work = tmp_path_factory.mktemp(name)
        shutil.copyfile(built_warehouse.path, work / WAREHOUSE)
        strip_to_raw(work / WAREHOUSE, enabled)
        started[name] = time.perf_counter()
        runs[name] = (work, build_in_phases(work, switches(enabled)))
    built = {}
    for name, (work, process) in runs.items():
        output, _ = process.communicate()
        seconds = time.perf_counter() - started[name]
        assert process.returncode == 0, f"{name}:\n{output[-4000:]}"
        results = [
            result
            for path in (work / "run_results_first.json", work / "target" / "run_results.json")
            for result in json.loads(path.read_text())["results"]
        ]
        warehouse = BuiltWarehouse(work / WAREHOUSE, built_warehouse.world, results)
        manifest = json.loads((work / "target" / "manifest.json").read_text())
        built[name] = Subset(name, COMBINATIONS[name], warehouse, work, seconds, manifest)
        print(f"subset {name}: dbt build in {seconds:.1f} s")
    return built


@pytest.fixture(params=sorted(COMBINATIONS))
def subset(request: pytest.FixtureRequest, subsets: dict[str, Subset]) -> Subset:
    """One combination of sources, built."""
    return subsets[request.param]


def test_the_build_runs_the_enabled_models_only(subset: Subset) -> None:
    """Every enabled model built; no model of a system switched off is in the project, and the
    CRM-only models follow the CRMs (HubSpot deals become opportunities only without Salesforce)."""
    wh = subset.warehouse
    assert wh.failures() == []
    built = {
        r["unique_id"].split(".")[-1]
        for r in wh.results
        if r["status"] == "success" and r["unique_id"].split(".")[0] in ("model", "seed")
    }
    enabled = {
        node["name"]
        for node in subset.manifest["nodes"].values()
        if node["resource_type"] in ("model", "seed")
    }
    assert built == enabled
    for system in SYSTEMS:
        staged = {name for name in built if name.startswith(f"stg_{system}__")}
        assert bool(staged) == (system in subset.enabled), system
    assert ("int_deals_mapped" in built) == ("salesforce" not in subset.enabled)
    assert "rpt_marketing_roi" in built and "fct_lead_scores" in built


def test_every_mart_holds_its_grain(subset: Subset) -> None:
    """Each uniqueness test dbt declares on a mart holds, run here as a query, and no mart is
    empty (but, with no ad platform, the daily ad facts, and the campaigns without Salesforce)."""
    wh = subset.warehouse
    nodes = subset.manifest["nodes"]
    grains = [(table, columns, "true") for table, columns in MART_GRAIN.items()]
    for test in nodes.values():
        meta = test.get("test_metadata") or {}
        model = nodes.get(test.get("attached_node") or "")
        if not model or model["resource_type"] != "model" or model["schema"] != "marts":
            continue
        kwargs = meta.get("kwargs") or {}
        where = test["config"].get("where") or "true"
        if meta.get("name") == "column_checks":  # one test per model holds its uniqueness checks
            for column in kwargs.get("unique") or []:  # as dbt's: nulls are not duplicates
                grains.append((model["alias"], [column], f"({where}) and {column} is not null"))
            for columns in kwargs.get("unique_combinations") or []:
                grains.append((model["alias"], list(columns), where))
        elif meta.get("name") == "unique":
            column = kwargs["column_name"]
            grains.append((model["alias"], [column], f"({where}) and {column} is not null"))
        elif meta.get("name") == "unique_combination_of_columns":
            grains.append((model["alias"], kwargs["combination_of_columns"], where))
    checked = set()
    for table, columns, where in grains:
        key = ", ".join(columns)
        duplicates = wh.scalar(
            f"select count(*) from (select {key} from marts.{table} where {where} "
            f"group by {key} having count(*) > 1)"
        )
        assert duplicates == 0, (table, columns)
        checked.add(table)
    assert len(checked) > len(MART_GRAIN)
    may_be_empty = set()
    if not set(AD_PLATFORMS) & set(subset.enabled):  # no spend; campaigns only Salesforce's
        may_be_empty = {"fct_ad_performance_daily"} | (
            set() if "salesforce" in subset.enabled else {"dim_campaigns"}
        )
    for table in checked - may_be_empty:
        assert wh.scalar(f"select count(*) from marts.{table}") > 0, table


def test_the_marts_keys_join_to_their_dimensions(subset: Subset) -> None:
    """Opportunities, attribution and lead scores name only people, accounts and campaigns the
    dimensions hold (a paid touch of a platform switched off has no campaign)."""
    wh = subset.warehouse
    orphans = {
        "opportunity person": """
            select count(*) from marts.fct_opportunities
            where primary_person_id is not null
                and primary_person_id not in (select person_id from marts.dim_people)""",
        "opportunity account": """
            select count(*) from marts.fct_opportunities
            where account_id is not null
                and account_id not in (select account_id from marts.dim_accounts)""",
        "attribution campaign": """
            select count(*) from marts.fct_attribution
            where campaign_key is not null
                and campaign_key not in (select campaign_key from marts.dim_campaigns)""",
        "lead score person": """
            select count(*) from marts.fct_lead_scores
            where person_id not in (select person_id from marts.dim_people)""",
        "campaign of a platform off": f"""
            select count(*) from marts.dim_campaigns
            where platform not in ({", ".join(repr(s) for s in subset.enabled)})""",
    }
    assert {name: wh.scalar(sql) for name, sql in orphans.items()} == dict.fromkeys(orphans, 0)


def test_won_revenue_reconciles_to_the_crm_to_the_cent(subset: Subset) -> None:
    """Won revenue and won count equal the CRM's: Salesforce's opportunities when it is loaded,
    else HubSpot's deals in a closed stage of probability 1 (amounts in USD, the reporting
    currency); the revenue conversions attribution credits add up to the same amount."""
    wh = subset.warehouse
    won = wh.query(
        "select sum(amount_reporting), count(*) from marts.fct_opportunities where is_won"
    )[0]
    if "salesforce" in subset.enabled:
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
            where stages.is_closed = 'true' and cast(stages.probability as double) = 1
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


def test_spend_reconciles_to_the_raw_tables_to_the_cent(subset: Subset, built_warehouse) -> None:
    """Native spend per platform and currency equals the raw tables' to the cent; in the reporting
    currency it equals the full build's per platform; platforms switched off have none; the ROI
    report carries exactly that spend."""
    wh = subset.warehouse
    native = {
        (platform, currency): spend
        for platform, currency, spend in wh.query(
            "select platform, currency_code, round(sum(spend), 2) "
            "from marts.fct_ad_performance_daily group by 1, 2"
        )
    }
    raw = {
        (platform, currency): round(Decimal(spend), 2)
        for platform in AD_PLATFORMS
        if platform in subset.enabled
        for currency, spend in wh.query(RAW_SPEND[platform])
    }
    assert native == raw
    sql = (
        "select platform, sum(spend_reporting) from marts.fct_ad_performance_daily "
        "group by platform order by platform"
    )
    full = dict(built_warehouse.query(sql))
    expected = {p: full[p] for p in AD_PLATFORMS if p in subset.enabled}
    assert dict(wh.query(sql)) == expected
    roi_spend = wh.scalar("select sum(spend) from marts.rpt_marketing_roi")
    assert roi_spend == sum(expected.values(), Decimal(0)).quantize(Decimal("0.01"))


def test_every_models_credits_sum_to_one_per_conversion(subset: Subset, built_warehouse) -> None:
    """Every attribution model of the full build credits the same conversions (those with a
    journey): credits add up to 1 and attributed amounts to the conversion's amount to the cent."""
    wh = subset.warehouse
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
    per_model = wh.query(
        "select attribution_model, count(distinct conversion_id) from marts.fct_attribution "
        "group by 1 order by 1"
    )
    credited = wh.scalar("select count(distinct conversion_id) from marts.fct_attribution")
    models = [row[0] for row in built_warehouse.query(
        "select distinct attribution_model from marts.fct_attribution order by 1"
    )]  # fmt: skip
    assert credited > 0
    assert per_model == [(model, credited) for model in models]


def test_roi_reports_outcomes_and_spend_only_when_loaded(subset: Subset) -> None:
    """The ROI report credits all won revenue (by its chosen model); with no ad platform its spend
    is 0 everywhere and its cost ratios are null (unknown, not free)."""
    wh = subset.warehouse
    won = wh.scalar("select sum(amount_reporting) from marts.fct_opportunities where is_won")
    assert wh.scalar("select sum(won_revenue) from marts.rpt_marketing_roi") == won
    ratios = wh.query(
        "select count(cost_per_lead), count(cac), count(roas), count(*) filter (where spend <> 0) "
        "from marts.rpt_marketing_roi"
    )[0]
    if set(AD_PLATFORMS) & set(subset.enabled):
        assert min(ratios) > 0
    else:
        assert ratios == (0, 0, 0, 0)


def test_hubspot_alone_turns_deals_into_the_funnel(subsets: dict[str, Subset]) -> None:
    """HubSpot as the only CRM: one opportunity per live deal, with its pipeline stage's label,
    probability and closed/won flags; its primary person is its first associated contact (none
    when every associated contact is quarantined); those people reach the opportunity stage and,
    when won, the customer stage; every known person has lead scores, open leads a probability."""
    wh = subsets["hubspot_only"].warehouse
    deals = wh.query(
        """
        select deals.id, stages.label, cast(stages.probability as double),
            stages.is_closed = 'true',
            stages.is_closed = 'true' and cast(stages.probability as double) = 1,
            cast(deals.amount as decimal(18, 2))
        from raw_hubspot.deals as deals
        inner join raw_hubspot.deal_pipeline_stages as stages
            on deals.pipeline = stages.pipeline_id and deals.dealstage = stages.stage_id
        where not coalesce(deals.archived, false)
        order by 1
        """
    )
    opportunities = wh.query(
        "select opportunity_id, stage_name, probability, is_closed, is_won, amount "
        "from marts.fct_opportunities order by 1"
    )
    assert opportunities == deals
    stages = {row[1] for row in deals}
    assert {"Closed Won", "Closed Lost", "Qualification"} <= stages
    without_person = wh.query(
        """
        select deal_id from main.stg_hubspot__deal_contact_associations as associations
        left join main.int_records_quarantined as quarantined
            on quarantined.source_table = 'contacts' and quarantined.is_record_excluded
            and associations.contact_id = quarantined.record_id
        group by deal_id
        having count(quarantined.record_id) = count(*)
        order by 1
        """
    )
    assert (
        wh.query(
            "select opportunity_id from marts.fct_opportunities where primary_person_id is null "
            "order by 1"
        )
        == without_person
    )
    funnel = wh.query(
        """
        select
            (select count(*) from marts.dim_people where became_opportunity_at is not null),
            (select count(distinct primary_person_id) from marts.fct_opportunities),
            (select count(*) from marts.dim_people where became_customer_at is not null),
            (select count(distinct primary_person_id) from marts.fct_opportunities where is_won)
        """
    )[0]
    assert funnel[0] == funnel[1] > 0
    assert funnel[2] == funnel[3] > 0
    scores = wh.query(
        """
        select count(*), count(*) filter (where is_open_lead),
            count(*) filter (where is_open_lead and predictive_probability between 0 and 1),
            count(*) filter (where lead_score between 0 and 100)
        from marts.fct_lead_scores
        """
    )[0]
    people = wh.scalar("select count(*) from marts.dim_people where not is_deleted")
    assert scores[0] == scores[3] == people
    assert scores[1] == scores[2] > 0


def test_a_switch_on_without_its_raw_schema_stops_with_one_line(
    subsets: dict[str, Subset], tmp_path: Path
) -> None:
    """Google Ads switched on but not loaded: dbt stops before building anything, with one line
    naming the source, its schema and what to do. Reuses the HubSpot + Google build's parse."""
    source = subsets["hubspot_google"]
    shutil.copytree(source.work / "target", tmp_path / "target")
    shutil.copyfile(source.work / WAREHOUSE, tmp_path / WAREHOUSE)
    strip_to_raw(tmp_path / WAREHOUSE, ("hubspot",))
    output, _ = dbt(tmp_path, "build", "--vars", switches(source.enabled)).communicate()
    assert (
        "Source google_ads is switched on (var google_ads_enabled) but its raw schema "
        "raw_google_ads is absent: load it (`gtm ingest google_ads`) or switch it off "
        "(dbt build --vars '{google_ads_enabled: false}'); nothing was built." in output
    )
    with duckdb.connect(str(tmp_path / WAREHOUSE), read_only=True) as con:
        tables = con.execute(
            "select count(*) from information_schema.tables where table_schema not like 'raw_%'"
        ).fetchone()[0]
    assert tables == 0
