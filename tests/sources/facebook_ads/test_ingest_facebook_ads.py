"""The Meta Ads dlt source against the local Marketing API: exact loads, lookback, faults."""

import json
import shutil
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from ingest_support import make_source

from gtm_demo.servers.facebook_ads import start
from gtm_demo.serving import Fault
from ingest import AuthenticationError, QuotaExceededError, SourceError
from ingest._transport import RateLimiter
from ingest.facebook_ads import facebook_ads_source
from ingest.facebook_ads import helpers as fb_helpers
from ingest.facebook_ads.helpers import make_classify, throttle_hint
from ingest.pipelines import IngestContext, run_source

TOKEN = "demo-facebook-token"
US, UK = "101234567890123", "109876543210987"
RAW = "raw_facebook_ads"
TABLES = (
    "ad_accounts",
    "campaigns",
    "ad_sets",
    "ads",
    "ad_creatives",
    "ads_insights",
    "ads_insights_actions",
)
WORLD_TABLES = {
    "ad_accounts": "ad_accounts",
    "campaigns": "campaigns",
    "ad_sets": "ad_sets",
    "ads": "ads",
    "ad_creatives": "ad_creatives",
}
UNLIMITED = (100_000, 10.0)
# Small pages so that every edge and report pages at least twice; fast polls and backoff.
FAST = {
    "poll_interval": 0.005,
    "days_per_report": 366,
    "page_size": 5,
    "insights_page_size": 250,
    "requests_per_minute": 100_000,
    "insights_requests_per_minute": 100_000,
    "backoff": 0.01,
    "timeout": 10.0,
    "max_attempts": 6,
}


# --- the world, read independently --------------------------------------------------------------


def world_state(world, table, moment, where="true"):
    """Rows of a facebook_ads world table as of `moment`: the last version per key."""
    keys = {"insights": "ad_id, date_start", "ad_accounts": "account_id"}.get(table, "id")
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    result = con.execute(
        f"""
        select * exclude (_rn) from (
            select *, row_number() over (partition by {keys} order by _version_at desc) as _rn
            from '{world}/facebook_ads/{table}.parquet' where _version_at <= ?
        ) where _rn = 1 and ({where})
        """,
        [moment],
    )
    names = [d[0] for d in result.description]
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


def world_insights(world, moment, since, until, where="true"):
    """Insights rows served at `moment` between the dates: days with delivery only."""
    return world_state(
        world,
        "insights",
        moment,
        f"({where}) and date_start between '{since}' and '{until}' and (impressions <> 0 or "
        "clicks <> 0 or spend <> 0 or leads_7d_click <> 0 or leads_1d_view <> 0)",
    )


LEAD_VALUE = Decimal("45.00")  # the pixel's value per lead in the demo world


def world_actions(row):
    """The action types of one world insights row: type -> (count, 7d_click, 1d_view, value).

    Read from the world's own columns; a type with no action that day is left out, as Meta does.
    """
    click, view = row["leads_7d_click"], row["leads_1d_view"]
    leads = click + view
    value = row["lead_value"]
    out = {
        "landing_page_view": (row["landing_page_views"], None, None, None),
        "lead": (leads, click, view, value),
        "link_click": (row["link_clicks"], None, None, None),
        "offsite_conversion.fb_pixel_lead": (leads, click, view, value),
        "video_view": (row["video_views"], None, None, None),
    }
    return {kind: stats for kind, stats in out.items() if stats[0]}


# --- helpers ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def history_start(world_small):
    return json.loads((world_small / "world.json").read_text())["history_start"]


@pytest.fixture(scope="module")
def server(world_small):
    handle = start(world_small, rate_limit=UNLIMITED, insights_rate_limit=UNLIMITED)
    yield handle
    handle.stop()


def load(handle, db: Path, history_start: str, **kw):
    """Run the source against `handle` into `db`, as of the server's moment."""
    options = {
        "access_token": TOKEN,
        "base_url": handle.url,
        "start_date": history_start,
        "end_date": handle.state.moment.date().isoformat(),
        **FAST,
        **kw,
    }
    context = IngestContext(root=db.parent, duckdb_path=db)
    return run_source("facebook_ads", make_source(facebook_ads_source, **options), context)


def raw_tables(db: Path) -> set[str]:
    if not db.exists():
        return set()
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute(
            "select table_name from information_schema.tables where table_schema = ? "
            "and table_name not like '_dlt%'",
            [RAW],
        ).fetchall()
    finally:
        con.close()
    return {name for (name,) in rows}


def query(db: Path, sql: str, params=None):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def differences(a: Path, b: Path) -> dict[str, tuple[int, int, int, int]]:
    """Per table: (rows in a, rows in b, rows of a not in b, rows of b not in a), all columns
    but dlt's load ids; only tables where anything differs."""
    assert raw_tables(a) == raw_tables(b) == set(TABLES)
    con = duckdb.connect()
    con.execute(f"attach '{a}' as a (read_only)")
    con.execute(f"attach '{b}' as b (read_only)")
    out = {}
    for table in TABLES:
        columns = [
            name
            for (name,) in con.execute(
                "select column_name from information_schema.columns where table_catalog = 'a' "
                "and table_schema = ? and table_name = ? order by ordinal_position",
                [RAW, table],
            ).fetchall()
            if name not in ("_dlt_load_id", "_dlt_id")
        ]
        cols = ", ".join(f'"{c}"' for c in columns)
        x, y = f"a.{RAW}.{table}", f"b.{RAW}.{table}"
        counts = (
            con.execute(f"select count(*) from {x}").fetchone()[0],
            con.execute(f"select count(*) from {y}").fetchone()[0],
            con.execute(
                f"select count(*) from (select {cols} from {x} except all select {cols} from {y})"
            ).fetchone()[0],
            con.execute(
                f"select count(*) from (select {cols} from {y} except all select {cols} from {x})"
            ).fetchone()[0],
        )
        if counts[0] != counts[1] or counts[2] or counts[3]:
            out[table] = counts
    con.close()
    return out


@pytest.fixture(scope="module")
def baseline(server, history_start, tmp_path_factory):
    """A fault-free full load at the world's end."""
    db = tmp_path_factory.mktemp("fb_baseline") / "warehouse.duckdb"
    result = load(server, db, history_start)
    return db, result


# --- exact loads --------------------------------------------------------------------------------


def test_full_load_equals_the_world(baseline, server, world_small, history_start):
    db, result = baseline
    moment = server.state.moment
    end = moment.date()
    accounts = {r["account_id"]: r for r in world_state(world_small, "ad_accounts", moment)}
    expected_insights = world_insights(world_small, moment, history_start, end)
    expected_counts = {
        table: len(world_state(world_small, source, moment))
        for table, source in WORLD_TABLES.items()
    } | {
        "ads_insights": len(expected_insights),
        "ads_insights_actions": sum(len(world_actions(r)) for r in expected_insights),
    }
    assert expected_counts["ads_insights"] > 3000
    counts = {t: query(db, f"select count(*) from {RAW}.{t}")[0][0] for t in TABLES}
    assert counts == expected_counts
    assert result.rows == expected_counts  # one run extracted each row exactly once

    # Per account: currency, time zone, exact spend (decimal), clicks, impressions and leads.
    raw = {
        row[0]: row[1:]
        for row in query(
            db,
            f"select i.account_id, any_value(i.account_currency), any_value(i.account_timezone),"
            f" sum(i.spend), sum(i.clicks), sum(i.impressions), sum(i.leads_7d_click),"
            f" sum(i.leads_1d_view), sum(i.leads), count(*)"
            f" from {RAW}.ads_insights i group by 1",
        )
    }
    assert set(raw) == set(accounts) == {US, UK}
    for account_id, account in accounts.items():
        rows = [r for r in expected_insights if r["account_id"] == account_id]
        click = sum(r["leads_7d_click"] for r in rows)
        view = sum(r["leads_1d_view"] for r in rows)
        assert raw[account_id] == (
            account["currency"],
            account["timezone_name"],
            sum((r["spend"] for r in rows), Decimal(0)),
            sum(r["clicks"] for r in rows),
            sum(r["impressions"] for r in rows),
            click,
            view,
            click + view,
            len(rows),
        )
        assert isinstance(raw[account_id][2], Decimal)
    assert {
        r[0] for r in query(db, f"select distinct account_currency from {RAW}.ads_insights")
    } == {
        "USD",
        "GBP",
    }

    # Every row, value for value (not just the sums).
    con = duckdb.connect()
    con.execute(f"attach '{db}' as w (read_only)")
    con.execute("set TimeZone = 'UTC'")
    mismatched = con.execute(
        f"""
        with expected as (
            select * exclude (_rn) from (
                select *, row_number() over (partition by ad_id, date_start
                    order by _version_at desc) as _rn
                from '{world_small}/facebook_ads/insights.parquet' where _version_at <= ?
            ) where _rn = 1 and date_start between ? and ? and (impressions <> 0 or clicks <> 0
                or spend <> 0 or leads_7d_click <> 0 or leads_1d_view <> 0)
        ),
        e as (select account_id, campaign_id, adset_id, ad_id, date_start, impressions, clicks,
                spend, leads_7d_click, leads_1d_view from expected),
        r as (select account_id, campaign_id, adset_id, ad_id, date_start, impressions, clicks,
                spend, leads_7d_click, leads_1d_view from w.{RAW}.ads_insights
              where date_stop = date_start)
        select (select count(*) from (from e except from r)),
               (select count(*) from (from r except from e))
        """,
        [moment, history_start, end],
    ).fetchone()
    assert mismatched == (0, 0)
    types = dict(
        con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_catalog = 'w' and table_schema = ? and table_name = 'ads_insights'",
            [RAW],
        ).fetchall()
    )
    assert types["spend"] == "DECIMAL(18,2)" and types["date_start"] == "DATE"
    assert types["clicks"] == "BIGINT"

    # Entities: every object, with its parents, status and timestamps.
    for table, source in WORLD_TABLES.items():
        if table == "ad_accounts":
            continue
        world_rows = {r["id"]: r for r in world_state(world_small, source, moment)}
        columns = ["id", "account_id", "name"]
        columns += {
            "ad_sets": ["campaign_id"],
            "ads": ["campaign_id", "adset_id", "creative_id"],
        }.get(table, [])
        columns += {"ad_creatives": ["url_tags", "link_url"]}.get(table, ["status"])
        got = {
            row[0]: dict(zip(columns, row, strict=True))
            for row in con.execute(f"select {', '.join(columns)} from w.{RAW}.{table}").fetchall()
        }
        assert got == {k: {c: v[c] for c in columns} for k, v in world_rows.items()}
        if table != "ad_creatives":
            stamps = dict(con.execute(f"select id, updated_time from w.{RAW}.{table}").fetchall())
            assert stamps == {k: v["updated_time"] for k, v in world_rows.items()}
    statuses = dict(con.execute(f"select id, effective_status from w.{RAW}.ads").fetchall())
    # Meta's effective status: the ad's own unless it is active, then its campaign's, its set's.
    campaigns = {r["id"]: r["status"] for r in world_state(world_small, "campaigns", moment)}
    sets = {r["id"]: r["status"] for r in world_state(world_small, "ad_sets", moment)}
    expected_statuses = {
        ad["id"]: ad["status"]
        if ad["status"] != "ACTIVE"
        else "CAMPAIGN_PAUSED"
        if campaigns[ad["campaign_id"]] != "ACTIVE"
        else "ADSET_PAUSED"
        if sets[ad["adset_id"]] != "ACTIVE"
        else "ACTIVE"
        for ad in world_state(world_small, "ads", moment)
    }
    assert statuses == expected_statuses
    # The always-on brand campaign runs at the as-of date; the other has ended.
    assert set(statuses.values()) == {"ACTIVE", "CAMPAIGN_PAUSED"}
    accounts_raw = con.execute(
        f"select account_id, id, currency, timezone_name from w.{RAW}.ad_accounts order by 1"
    ).fetchall()
    assert accounts_raw == [
        (a, f"act_{a}", accounts[a]["currency"], accounts[a]["timezone_name"])
        for a in sorted(accounts)
    ]
    con.close()


def test_every_action_type_lands_with_exact_counts_and_values(
    baseline, server, world_small, history_start
):
    db, _ = baseline
    moment = server.state.moment
    expected_rows = world_insights(world_small, moment, history_start, moment.date())
    want = {
        (r["ad_id"], r["date_start"], kind): stats
        for r in expected_rows
        for kind, stats in world_actions(r).items()
    }
    got = {
        (ad, day, kind): (count, click, view, value)
        for ad, day, kind, count, click, view, value in query(
            db,
            "select ad_id, date_start, action_type, action_count, action_count_7d_click, "
            f"action_count_1d_view, action_value from {RAW}.ads_insights_actions",
        )
    }
    assert got == want  # every ad-day and action type, value for value
    kinds = {key[2] for key in got}
    assert kinds == {
        "landing_page_view",
        "lead",
        "link_click",
        "offsite_conversion.fb_pixel_lead",
        "video_view",
    }
    # Exact sums per type against the world, and the lead value at the pixel's value per lead.
    sums = dict(
        (kind, (count, value))
        for kind, count, value in query(
            db,
            f"select action_type, sum(action_count), sum(action_value) "
            f"from {RAW}.ads_insights_actions group by 1",
        )
    )
    leads = sum(r["leads_7d_click"] + r["leads_1d_view"] for r in expected_rows)
    assert sums["link_click"] == (sum(r["link_clicks"] for r in expected_rows), None)
    assert sums["video_view"] == (sum(r["video_views"] for r in expected_rows), None)
    assert sums["lead"] == (leads, leads * LEAD_VALUE)
    assert sums["lead"] == sums["offsite_conversion.fb_pixel_lead"]
    assert leads == query(db, f"select sum(leads) from {RAW}.ads_insights")[0][0]
    # Cost per action is spend over the count, as Meta rounds it (six decimals).
    spend = {(r["ad_id"], r["date_start"]): r["spend"] for r in expected_rows}
    for ad, day, kind, count, cost in query(
        db,
        "select ad_id, date_start, action_type, action_count, cost_per_action "
        f"from {RAW}.ads_insights_actions",
    ):
        assert abs(cost - spend[(ad, day)] / count) < Decimal("0.000001"), (ad, day, kind)
    types = dict(
        query(
            db,
            "select column_name, data_type from information_schema.columns "
            "where table_schema = ? and table_name = 'ads_insights_actions'",
            [RAW],
        )
    )
    assert types["action_count"] == "BIGINT" and types["action_value"] == "DECIMAL(18,2)"


def test_account_ids_and_end_date_bound_what_is_read(server, world_small, tmp_path, history_start):
    db = tmp_path / "w.duckdb"
    end = date(2025, 11, 30)
    result = load(server, db, history_start, account_ids=f"act_{UK}", end_date=end.isoformat())
    moment = server.state.moment
    expected = world_insights(world_small, moment, history_start, end, f"account_id = '{UK}'")
    assert result.rows["ads_insights"] == len(expected) > 0
    assert result.rows["ad_accounts"] == 1
    assert result.rows["ads"] == len(world_state(world_small, "ads", moment, f"account_id='{UK}'"))
    [(count, spend, latest, accounts)] = query(
        db,
        f"select count(*), sum(spend), max(date_start), count(distinct account_id) "
        f"from {RAW}.ads_insights",
    )
    assert (count, spend, accounts) == (len(expected), sum(r["spend"] for r in expected), 1)
    assert latest <= end


# --- the lookback window ------------------------------------------------------------------------


def test_restatements_inside_the_lookback_replace_old_figures(world_small, tmp_path, history_start):
    t0 = datetime(2025, 8, 10, 12, tzinfo=UTC)
    t1 = datetime(2025, 9, 5, tzinfo=UTC)
    restated = duckdb.sql(
        f"""
        select ad_id, date_start from '{world_small}/facebook_ads/insights.parquet'
        group by all having count(*) = 2
            and min(_version_at) <= '{t0.isoformat()}'::timestamptz
            and max(_version_at) > '{t0.isoformat()}'::timestamptz
            and max(_version_at) <= '{t1.isoformat()}'::timestamptz
        """
    ).fetchall()
    assert len(restated) >= 3
    keys = ", ".join(f"('{a}', date '{d}')" for a, d in restated)
    pick = (
        f"select ad_id, date_start, leads_7d_click, leads_1d_view from {RAW}.ads_insights "
        f"where (ad_id, date_start) in ({keys}) order by 1, 2"
    )

    def world_values(moment):
        rows = world_state(world_small, "insights", moment, f"(ad_id, date_start) in ({keys})")
        return sorted(
            (r["ad_id"], r["date_start"], r["leads_7d_click"], r["leads_1d_view"]) for r in rows
        )

    handle = start(world_small, t0, rate_limit=UNLIMITED, insights_rate_limit=UNLIMITED)
    try:
        incremental, short, full = (tmp_path / n / "w.duckdb" for n in ("inc", "short", "full"))
        for db in (incremental, short, full):
            db.parent.mkdir()
        load(handle, incremental, history_start)
        load(handle, short, history_start, lookback_days=1)
        before = query(incremental, pick)
        assert before == world_values(t0)

        handle.state.advance(t1)
        second = load(handle, incremental, history_start)
        load(handle, short, history_start, lookback_days=1)
        load(handle, full, history_start)
    finally:
        handle.stop()

    after = query(incremental, pick)
    assert after == world_values(t1) != before
    # The incremental run read from 28 days before the last date loaded, and no further back.
    since = t0.date() - timedelta(days=28)
    assert second.rows["ads_insights"] == len(world_insights(world_small, t1, since, t1.date()))
    assert differences(incremental, full) == {}
    # With a lookback too short to reach them, restated days keep their old figures.
    stale = differences(short, full)
    assert set(stale) == {"ads_insights", "ads_insights_actions"}
    assert query(short, pick) != after


# --- faults -------------------------------------------------------------------------------------

RUNS = "/v26.0/612"  # report runs: polls and result pages
# Each case plans faults of one or two kinds on several paths; every planned use must be taken.
FAULTS = {
    "429_with_and_without_retry_after": [
        Fault("status", count=2, path=f"/v26.0/act_{US}/campaigns", status=429, retry_after=0.2),
        Fault("status", count=1, path=RUNS, status=429, retry_after=0.1),
        Fault("status", count=2, path=f"/v26.0/act_{UK}/insights", status=429),
        Fault("status", count=2, path="/v26.0/me/adaccounts", status=429),
    ],
    "5xx_burst_and_connection_reset": [
        Fault("status", count=3, path=RUNS, status=500),
        Fault("status", count=2, path=f"/v26.0/act_{US}/ads", status=503),
        Fault("status", count=1, path=f"/v26.0/act_{US}/insights", status=502),
        Fault("reset", count=2, path=f"/v26.0/act_{UK}/adsets"),
        Fault("reset", count=2, path=RUNS),
    ],
    "slow_beyond_timeout_and_truncated_body": [
        Fault("slow", count=1, path=f"/v26.0/act_{US}/adcreatives", seconds=1.0),
        Fault("slow", count=1, path=RUNS, seconds=1.0),
        Fault("truncate", count=1, path="/v26.0/me/adaccounts"),
        Fault("truncate", count=3, path=RUNS),
    ],
    "repeated_record_and_expired_token": [
        Fault("repeat_record", count=1, path=f"/v26.0/act_{US}/ads"),
        Fault("repeat_record", count=3, path=RUNS),
        Fault("expired_token", count=1, path="/v26.0/me/adaccounts"),
        Fault("expired_token", count=1, path=RUNS),
        Fault("expired_token", count=1, path=f"/v26.0/act_{UK}/campaigns"),
    ],
    "stuck_and_failed_report_runs": [
        Fault("stuck_report", count=1, path=f"/v26.0/act_{US}/insights"),
        Fault("stuck_report", count=1, path=f"/v26.0/act_{UK}/insights", options={"polls": 4}),
        Fault("failed_report", count=2, path=f"/v26.0/act_{UK}/insights"),
    ],
}


@pytest.mark.parametrize("case", list(FAULTS))
def test_each_fault_is_survived_and_raw_equals_a_clean_run(
    case, server, baseline, tmp_path, history_start
):
    plan = server.plan
    plan.clear()
    before = len(plan.injected)
    for fault in FAULTS[case]:
        plan.add(Fault(**{**fault.__dict__, "options": dict(fault.options)}))
    extra = {
        "slow_beyond_timeout_and_truncated_body": {"timeout": 0.4},
        "stuck_and_failed_report_runs": {"report_timeout": 1.0},
    }.get(case, {})
    db = tmp_path / "w.duckdb"
    result = load(server, db, history_start, **extra)
    injected = plan.injected[before:]
    plan.clear()
    assert len(injected) == sum(f.count for f in FAULTS[case])
    assert {kind for kind, _ in injected} == {f.kind for f in FAULTS[case]}
    assert differences(db, baseline[0]) == {}
    assert result.rows == baseline[1].rows


def test_meta_throttling_waits_as_the_usage_headers_say(
    world_small, baseline, tmp_path, history_start, monkeypatch
):
    hints = []

    def counting_hint(headers):
        hints.append(throttle_hint(headers))
        return hints[-1]

    monkeypatch.setattr(fb_helpers, "throttle_hint", counting_hint)
    # The server allows 8 management and 4 insights calls a second per account; the client is
    # told it may go faster, so the server answers code 17 / 80000 and the client must wait.
    handle = start(world_small, rate_limit=(8, 1.0), insights_rate_limit=(4, 1.0))
    try:
        db = tmp_path / "w.duckdb"
        load(
            handle, db, history_start, days_per_report=366, max_attempts=12, insights_page_size=500
        )
    finally:
        handle.stop()
    assert hints and all(0 < h <= 2 for h in hints)  # X-Ad-Account-Usage reset_time_duration
    assert differences(db, baseline[0]) == {}


def test_classify_reads_meta_throttling_and_token_errors():
    def body(code, subcode=None):
        error = {"message": "x", "type": "OAuthException", "code": code, "fbtrace_id": "t"}
        if subcode:
            error["error_subcode"] = subcode
        return json.dumps({"error": error}).encode()

    buc = {
        "X-Business-Use-Case-Usage": json.dumps(
            {
                US: [
                    {
                        "type": "ads_insights",
                        "call_count": 100,
                        "estimated_time_to_regain_access": 3,
                    }
                ]
            }
        )
    }
    assert throttle_hint(buc) == 180
    assert throttle_hint({"X-Ad-Account-Usage": '{"reset_time_duration": 7}', **buc}) == 7
    assert throttle_hint({}) == 0

    limiter = RateLimiter(10, 60.0)
    classify = make_classify(limiter, max_throttle_wait=600)
    for code in (4, 17, 32, 613, 80000, 80004):
        assert classify(400, {}, body(code)) == "retry"
    assert classify(400, buc, body(80000)) == "retry"
    assert limiter._hold_until > 0  # the hold was set for 180 s
    assert make_classify(RateLimiter(10, 60.0), max_throttle_wait=60)(400, buc, body(17)) == "quota"
    assert classify(400, {}, body(190, 463)) == "refresh"
    assert classify(401, {}, body(190)) == "refresh"
    assert classify(400, {}, body(100, 33)) is None  # default: a 400 is final
    assert classify(500, {}, json.dumps({"error": {"code": 1, "is_transient": True}}).encode()) == (
        "retry"
    )
    assert classify(200, {}, b'{"data": []}') is None


# --- unrecoverable ------------------------------------------------------------------------------


@pytest.fixture
def loaded_copy(baseline, tmp_path):
    """A copy of the baseline warehouse, to show a failed run leaves it unchanged."""
    db = tmp_path / "copy" / "warehouse.duckdb"
    db.parent.mkdir()
    shutil.copy(baseline[0], db)
    return db


def test_bad_credentials_fail_naming_the_source_and_write_nothing(
    server, baseline, loaded_copy, tmp_path, history_start
):
    fresh = tmp_path / "fresh.duckdb"
    for db in (fresh, loaded_copy):
        with pytest.raises(AuthenticationError) as caught:
            load(server, db, history_start, access_token="not-a-token")
        assert str(caught.value).startswith("facebook_ads:")
        assert "Invalid OAuth access token" in str(caught.value)
    assert raw_tables(fresh) == set()
    assert differences(loaded_copy, baseline[0]) == {}
    with pytest.raises(AuthenticationError, match=r"^facebook_ads: no access_token"):
        facebook_ads_source(access_token="", base_url=server.url)


def test_exhausted_quota_fails_naming_the_source_and_writes_nothing(
    server, baseline, loaded_copy, tmp_path, history_start
):
    fresh = tmp_path / "fresh.duckdb"
    for db in (fresh, loaded_copy):
        # Throttled with 60 s to wait (the usage headers say so), and 5 s is all it may wait.
        server.plan.add(
            Fault("throttle", path=f"/v26.0/act_{UK}/insights", options={"code": 80000})
        )
        try:
            with pytest.raises(QuotaExceededError) as caught:
                load(server, db, history_start, max_throttle_wait=5.0)
        finally:
            server.plan.clear()
        assert str(caught.value).startswith("facebook_ads:")
        assert "80000" in str(caught.value)
    assert raw_tables(fresh) == set()
    assert differences(loaded_copy, baseline[0]) == {}


def test_a_report_that_never_completes_fails_after_its_attempts(server, tmp_path, history_start):
    server.plan.add(Fault("failed_report", count=2, path=f"/v26.0/act_{US}/insights"))
    db = tmp_path / "w.duckdb"
    try:
        with pytest.raises(SourceError, match=r"^facebook_ads: the insights report of act_"):
            load(server, db, history_start, report_attempts=2, workers=1)
    finally:
        server.plan.clear()
    assert raw_tables(db) == set()
