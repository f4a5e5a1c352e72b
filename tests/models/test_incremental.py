"""An incremental build equals a full refresh of the same raw data, table by table.

The session's built warehouse (scale 0.1) is copied, and new, late, restated and deleted events are
written into its raw tables: page views after the latest one, inside the late-arrival window and far
older than it; a page view deleted; e-mail clicks new, a year late and deleted; an ad day restated
long ago and a new ad day. One copy then runs
the incremental models incrementally, another with `--full-refresh`; every incremental model must
hold exactly the same rows in both, and the incremental run must really have run as one (dbt's
delete+insert, not a rebuild).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import duckdb
from warehouse_support import BIN, REPO, BuiltWarehouse, warehouse_env

INCREMENTAL = "1+config.materialized:incremental"
"""Every incremental model and its parents (the raw changes reach it through them)."""

EVENT_MODELS = {
    "int_ad_spend_days_unioned",
    "int_email_click_touchpoints_matched",
    "int_page_views_sessionized",
    "int_web_sessions_aggregated",
}
"""The incremental models (docs/incremental.md)."""

LATE_EVENTS = [
    # Three contacts' latest page view again a day later: new events at the edge.
    """
    insert into raw_hubspot.web_events
    select id || '-next', object_type, object_id, event_type, occurred_at + interval '1 day', url,
        referrer, page_title
    from raw_hubspot.web_events
    where object_id in (
        select object_id from raw_hubspot.web_events where object_type = 'CONTACT'
        group by object_id order by max(occurred_at) desc, object_id limit 3
    )
    qualify row_number() over (partition by object_id order by occurred_at desc) = 1
    """,
    # Late, inside the window: 10 days before another contact's latest, from a new campaign.
    """
    insert into raw_hubspot.web_events
    select id || '-late', object_type, object_id, event_type, occurred_at - interval '10 days',
        'https://www.lumenanalytics.io/?utm_source=linkedin&utm_medium=paid_social&utm_campaign=late',
        referrer, page_title
    from raw_hubspot.web_events
    where object_type = 'CONTACT'
    order by occurred_at desc, id
    limit 1 offset 20
    """,
    # A late arrival far older than the window (a year before the contact's first page view).
    """
    insert into raw_hubspot.web_events
    select id || '-old', object_type, object_id, event_type, occurred_at - interval '365 days', url,
        referrer, page_title
    from raw_hubspot.web_events
    where object_type = 'CONTACT'
    qualify row_number() over (partition by object_id order by occurred_at) = 1
    order by object_id
    limit 2
    """,
    # A page view deleted at the source, long ago.
    """
    delete from raw_hubspot.web_events
    where id = (
        select min(id) from raw_hubspot.web_events
        where object_type = 'CONTACT' and occurred_at < timestamptz '2025-01-01'
    )
    """,
    # E-mail clicks: the latest click again a day later, one a year late, one deleted at the source.
    """
    insert into raw_hubspot.email_events by name
    select * replace (id || '-next' as id, created + interval '1 day' as created)
    from raw_hubspot.email_events
    where type = 'CLICK'
    order by created desc, id
    limit 1
    """,
    """
    insert into raw_hubspot.email_events by name
    select * replace (id || '-old' as id, created - interval '365 days' as created)
    from raw_hubspot.email_events
    where type = 'CLICK'
    order by created desc, id
    limit 1 offset 5
    """,
    """
    delete from raw_hubspot.email_events
    where id = (
        select min(id) from raw_hubspot.email_events
        where type = 'CLICK' and created < timestamptz '2025-06-01'
    )
    """,
    # A Google Ads day restated 200 days back (outside the window) and a new day.
    """
    update raw_google_ads.ad_metrics_daily
    set cost_micros = cost_micros + 1230000, clicks = clicks + 1
    where (ad_group_id, ad_id, date) in (
        select (ad_group_id, ad_id, date) from raw_google_ads.ad_metrics_daily
        where date = (select max(date) - 200 from raw_google_ads.ad_metrics_daily)
        order by ad_id limit 1
    )
    """,
    """
    insert into raw_google_ads.ad_metrics_daily
    select customer_id, currency_code, time_zone, campaign_id, ad_group_id, ad_id, date + 1,
        impressions, clicks, cost_micros, conversions, conversions_value
    from raw_google_ads.ad_metrics_daily
    where date = (select max(date) from raw_google_ads.ad_metrics_daily)
    """,
]


def _dbt_run(path: Path, work: Path, parsed: Path, *args: str) -> subprocess.Popen:
    """Start `dbt run --select <incremental models> <args>` against `path`.

    dbt starts from the `parsed` project of the session's build (its partial-parse file).
    """
    (work / "target").mkdir(parents=True)
    if parsed.exists():
        shutil.copy(parsed, work / "target" / parsed.name)
    return subprocess.Popen(
        [
            str(BIN / "dbt"),
            "run",
            "--select",
            INCREMENTAL,
            *args,
            "--project-dir",
            str(REPO),
            "--profiles-dir",
            str(REPO),
            "--target-path",
            str(work / "target"),
            "--log-path",
            str(work / "logs"),
        ],
        cwd=REPO,
        env=warehouse_env(path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _incremental_models(target: Path) -> list[str]:
    """Names of the incremental models in the manifest a run wrote."""
    manifest = json.loads((target / "manifest.json").read_text())
    return sorted(
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["config"]["materialized"] == "incremental"
    )


def test_incremental_build_equals_full_refresh(
    built_warehouse: BuiltWarehouse, tmp_path: Path
) -> None:
    assert built_warehouse.failures() == []
    incremental, full = tmp_path / "incremental.duckdb", tmp_path / "full.duckdb"
    shutil.copy(built_warehouse.path, incremental)
    with duckdb.connect(str(incremental)) as con:
        con.execute("set TimeZone = 'UTC'")
        for sql in LATE_EVENTS:
            con.execute(sql)
    shutil.copy(incremental, full)

    parsed = built_warehouse.path.parent / "target" / "partial_parse.msgpack"
    runs = {
        "incremental": _dbt_run(incremental, tmp_path / "incremental", parsed),
        "full": _dbt_run(full, tmp_path / "full", parsed, "--full-refresh"),
    }
    for name, run in runs.items():
        out, _ = run.communicate(timeout=600)
        assert run.returncode == 0, f"{name} run failed:\n{out}"

    models = _incremental_models(tmp_path / "incremental" / "target")
    assert set(models) == EVENT_MODELS
    compiled = tmp_path / "incremental" / "target" / "run"
    for model in models:
        [sql] = list(compiled.rglob(f"{model}.sql"))
        assert "delete from" in sql.read_text().lower(), f"{model} was rebuilt, not incremental"

    with duckdb.connect() as con:
        con.execute(f"attach '{built_warehouse.path}' as before (read_only)")
        con.execute(f"attach '{incremental}' as incremental (read_only)")
        con.execute(f"attach '{full}' as full_refresh (read_only)")
        schema = con.execute(
            "select schema_name from duckdb_tables() "
            "where database_name = 'full_refresh' and table_name = ?",
            [models[0]],
        ).fetchone()[0]
        changed = []
        for model in models:
            table = f"{schema}.{model}"
            rows = con.execute(f"select count(*) from full_refresh.{table}").fetchone()[0]
            only_incremental = con.execute(
                f"select count(*) from (select * from incremental.{table} "
                f"except all select * from full_refresh.{table})"
            ).fetchone()[0]
            only_full = con.execute(
                f"select count(*) from (select * from full_refresh.{table} "
                f"except all select * from incremental.{table})"
            ).fetchone()[0]
            assert (model, only_incremental, only_full) == (model, 0, 0), f"{rows} rows"
            differs = con.execute(
                f"select count(*) from (select * from full_refresh.{table} "
                f"except all select * from before.{table})"
            ).fetchone()[0]
            if differs:
                changed.append(model)
        # The late events reached every table they feed: the comparison is not of untouched tables.
        assert set(changed) == EVENT_MODELS
