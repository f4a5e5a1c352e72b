"""The Google Ads dlt source against the local API: counts, money, restatements, faults."""

import json
import shutil
from collections import Counter
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from ingest_support import RecordedServer, make_source

from gtm_demo.servers.google_ads import (
    API_VERSION,
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_DEVELOPER_TOKEN,
    DEFAULT_REFRESH_TOKEN,
    start,
)
from gtm_demo.serving import Fault
from ingest import AuthenticationError, QuotaExceededError, SourceError
from ingest.extract import date_windows as windows
from ingest.google_ads import google_ads_source
from ingest.google_ads.helpers import CustomerNotEnabledError, classify, make_classify
from ingest.pipelines import IngestContext, LoadResult, run_source

NAME = "google_ads"
RAW = "raw_google_ads"
TABLES = (
    "customers",
    "campaigns",
    "ad_groups",
    "ads",
    "conversion_actions",
    "ad_metrics_daily",
    "campaign_metrics_daily",
    "keyword_metrics_daily",
    "conversion_action_metrics_daily",
)
PAGE = 3  # :search pages of three rows, so six ads per account take two pages
BATCH = 250  # searchStream batches
T0 = datetime(2026, 2, 1, tzinfo=UTC)
T1 = datetime(2026, 2, 20, tzinfo=UTC)
LOOKBACK = 28


# --- the world, read independently from its parquet files ---------------------------------------


def world_sql(world: Path, table: str, keys: str, moment: datetime) -> str:
    """SQL for the state of a Google Ads world table at `moment`: the last version per key."""
    return f"""
        select * exclude (_rank) from (
            select *, row_number() over (partition by {keys} order by _version_at desc) as _rank
            from '{world}/google_ads/{table}.parquet'
            where _version_at <= '{moment.isoformat()}'::timestamptz
        ) where _rank = 1
    """


def world_con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    return con


def world_metrics(world: Path, moment: datetime) -> str:
    return world_sql(world, "ad_metrics", "ad_id, date", moment)


# --- running the source -------------------------------------------------------------------------


def source(handle, **overrides):
    settings = {
        "client_id": DEFAULT_CLIENT_ID,
        "client_secret": DEFAULT_CLIENT_SECRET,
        "refresh_token": DEFAULT_REFRESH_TOKEN,
        "developer_token": DEFAULT_DEVELOPER_TOKEN,
        "base_url": handle.url,
        "token_url": f"{handle.url}/token",
        "api_version": API_VERSION,
        "end_date": handle.state.moment.date().isoformat(),
        "window_days": 1000,
        "requests_per_second": 80,
        "backoff": 0.01,
        "timeout": 10.0,
        "max_attempts": 6,
        **overrides,
    }
    return make_source(google_ads_source, **settings)


def load(handle, db: Path, **overrides) -> LoadResult:
    context = IngestContext(root=db.parent, duckdb_path=db)
    return run_source(NAME, source(handle, **overrides), context)


def raw_tables(db: Path) -> set[str]:
    if not db.exists():
        return set()
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute(
            "select table_name from information_schema.tables where table_schema = ? "
            "and table_name not like '\\_dlt%' escape '\\'",
            [RAW],
        ).fetchall()
        return {name for (name,) in rows}
    finally:
        con.close()


def data_columns(con: duckdb.DuckDBPyConnection, alias: str, table: str) -> list[str]:
    rows = con.execute(
        "select column_name from information_schema.columns where table_catalog = ? and "
        "table_schema = ? and table_name = ? order by column_name",
        [alias, RAW, table],
    ).fetchall()
    return [name for (name,) in rows if name not in ("_dlt_load_id", "_dlt_id")]


def assert_same_raw(a: Path, b: Path) -> None:
    """Every raw table of `a` equals `b`'s (all columns but dlt's ids), both ways, with counts."""
    assert raw_tables(a) == raw_tables(b) == set(TABLES)
    con = duckdb.connect()
    con.execute(f"attach '{a}' as a (read_only)")
    con.execute(f"attach '{b}' as b (read_only)")
    for table in TABLES:
        columns = data_columns(con, "a", table)
        assert columns == data_columns(con, "b", table), table
        listed = ", ".join(f'"{c}"' for c in columns)
        for left, right in (("a", "b"), ("b", "a")):
            extra = con.execute(
                f"select count(*) from (select {listed} from {left}.{RAW}.{table} "
                f"except all select {listed} from {right}.{RAW}.{table})"
            ).fetchone()[0]
            assert extra == 0, f"{table}: {extra} rows of {left} are not in {right}"
    con.close()


def query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


# --- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gads(world_small):
    """The Google Ads server at the world's end, with small pages (and its real rate limit)."""
    handle = start(world_small, page_size=PAGE, stream_batch_size=BATCH)
    yield handle
    handle.stop()


@pytest.fixture(autouse=True)
def no_leftover_faults(request):
    yield
    if "gads" in request.fixturenames:
        request.getfixturevalue("gads").plan.clear()


@pytest.fixture(scope="module")
def baseline(gads, tmp_path_factory):
    """A fault-free full load at the server's moment."""
    db = tmp_path_factory.mktemp("gads_baseline") / "warehouse.duckdb"
    return db, load(gads, db)


# --- what lands in raw --------------------------------------------------------------------------


def test_full_load_matches_the_world_exactly(gads, baseline, world_small):
    db, result = baseline
    moment = gads.state.moment
    con = world_con()
    expected = {
        table: con.execute(
            f"select count(*) from ({world_sql(world_small, source_table, 'id', moment)})"
        ).fetchone()[0]
        for table, source_table in (
            ("customers", "customers"),
            ("campaigns", "campaigns"),
            ("ad_groups", "ad_groups"),
            ("ads", "ads"),
            ("conversion_actions", "conversion_actions"),
        )
    }
    metrics = world_metrics(world_small, moment)
    keywords = world_sql(world_small, "keyword_metrics", "criterion_id, ad_id, date", moment)
    expected["keyword_metrics_daily"] = con.execute(
        f"select count(*) from (select distinct criterion_id, date from ({keywords}))"
    ).fetchone()[0]
    by_action = world_sql(
        world_small, "conversion_metrics", "ad_id, conversion_action_id, date", moment
    )
    expected["conversion_action_metrics_daily"] = con.execute(
        f"select count(*) from ({by_action})"
    ).fetchone()[0]
    expected["ad_metrics_daily"] = con.execute(f"select count(*) from ({metrics})").fetchone()[0]
    expected["campaign_metrics_daily"] = con.execute(
        f"select count(*) from (select distinct campaign_id, date from ({metrics}))"
    ).fetchone()[0]
    assert expected["ad_metrics_daily"] > 1000 and expected["customers"] == 2
    assert result.rows == expected
    for table, count in expected.items():
        assert query(db, f"select count(*) from {RAW}.{table}") == [(count,)], table

    # Spend (exact micros) and clicks per account, in the account's currency, at both grains.
    world_totals = con.execute(
        f"""
        select m.customer_id, c.currency_code, c.time_zone, sum(m.cost_micros)::bigint,
            sum(m.clicks)::bigint, sum(m.impressions)::bigint, sum(m.conversions)
        from ({metrics}) m join ({world_sql(world_small, "customers", "id", moment)}) c
            on c.id = m.customer_id
        group by all order by 1
        """
    ).fetchall()
    assert len(world_totals) == 2 and {row[1] for row in world_totals} == {"USD", "EUR"}
    for table in ("ad_metrics_daily", "campaign_metrics_daily"):
        raw_totals = query(
            db,
            f"""
            select customer_id, any_value(currency_code), any_value(time_zone),
                sum(cost_micros)::bigint, sum(clicks)::bigint, sum(impressions)::bigint,
                sum(conversions)
            from {RAW}.{table} group by all
            having count(distinct currency_code) = 1 and count(distinct time_zone) = 1
            order by 1
            """,
        )
        assert raw_totals == world_totals, table
    accounts = query(db, f"select id, currency_code, time_zone from {RAW}.customers order by id")
    assert accounts == [row[:3] for row in world_totals]

    # Every daily row equals the world's, value for value.
    con.execute(f"attach '{db}' as raw (read_only)")
    for left, right in (
        (
            f"select ad_id, date, impressions, clicks, cost_micros, conversions, "
            f"conversions_value from ({metrics})",
            f"select ad_id, date, impressions, clicks, cost_micros, conversions, "
            f"conversions_value from raw.{RAW}.ad_metrics_daily",
        ),
    ):
        assert con.execute(f"select count(*) from ({left} except all {right})").fetchone()[0] == 0
        assert con.execute(f"select count(*) from ({right} except all {left})").fetchone()[0] == 0
    con.close()


def test_keywords_and_conversion_actions_add_up_to_the_ads_exactly(baseline, world_small):
    db, _ = baseline
    # Per ad group and day, keyword_view's figures are the ads' figures split by keyword.
    differing = query(
        db,
        f"""
        with keywords as (
            select ad_group_id, date, sum(impressions) i, sum(clicks) c, sum(cost_micros) m,
                sum(conversions) v
            from {RAW}.keyword_metrics_daily group by all
        ), ads as (
            select ad_group_id, date, sum(impressions) i, sum(clicks) c, sum(cost_micros) m,
                sum(conversions) v
            from {RAW}.ad_metrics_daily group by all
        )
        select count(*) from keywords full join ads using (ad_group_id, date)
        where keywords.m is distinct from ads.m or keywords.c is distinct from ads.c
            or keywords.i is distinct from ads.i or keywords.v is distinct from ads.v
        """,
    )
    assert differing == [(0,)]
    # Per ad and day, conversions by action add up to the ad's conversions and value.
    differing = query(
        db,
        f"""
        with actions as (
            select ad_id, date, sum(conversions) v, round(sum(conversions_value), 2) cv
            from {RAW}.conversion_action_metrics_daily group by all
        )
        select count(*) from {RAW}.ad_metrics_daily ads left join actions using (ad_id, date)
        where coalesce(actions.v, 0) <> ads.conversions
            or coalesce(actions.cv, 0) <> round(ads.conversions_value, 2)
        """,
    )
    assert differing == [(0,)]
    totals = query(
        db,
        f"select (select sum(cost_micros) from {RAW}.keyword_metrics_daily), "
        f"(select sum(cost_micros) from {RAW}.ad_metrics_daily), "
        f"(select sum(conversions) from {RAW}.conversion_action_metrics_daily), "
        f"(select sum(conversions) from {RAW}.ad_metrics_daily)",
    )[0]
    assert totals[0] == totals[1] > 0 and totals[2] == totals[3] > 0
    names = query(
        db,
        f"select distinct conversion_action_name, conversion_action_category from "
        f"{RAW}.conversion_action_metrics_daily order by 1",
    )
    assert names == [
        ("Contact sales form", "CONTACT"),
        ("Demo request", "BOOK_APPOINTMENT"),
        ("Free trial signup", "SIGNUP"),
    ]
    match_types = query(
        db, f"select distinct match_type from {RAW}.keyword_metrics_daily order by 1"
    )
    assert match_types == [("BROAD",), ("EXACT",), ("PHRASE",)]


def test_raw_types_keep_money_exact_and_entities_carry_their_urls(baseline, world_small):
    db, _ = baseline
    types = dict(
        query(
            db,
            "select column_name, data_type from information_schema.columns "
            "where table_schema = ? and table_name = 'ad_metrics_daily'",
            [RAW],
        )
    )
    assert types["cost_micros"] == "BIGINT" and types["clicks"] == "BIGINT"
    assert types["date"] == "DATE" and types["currency_code"] == "VARCHAR"
    con = world_con()
    con.execute(f"attach '{db}' as raw (read_only)")
    world_ads = world_sql(world_small, "ads", "id", datetime(2100, 1, 1, tzinfo=UTC))
    mismatched = con.execute(
        f"""
        select count(*) from ({world_ads}) w full join raw.{RAW}.ads r on r.id = w.id
        where r.id is null or w.id is null or r.ad_group_id <> w.ad_group_id
            or r.campaign_id <> w.campaign_id or r.customer_id <> w.customer_id
            or r.final_urls::varchar[] is distinct from w.final_urls
            or r.final_url_suffix is distinct from w.final_url_suffix
            or r.tracking_url_template is distinct from w.tracking_url_template
            or r.status <> w.status
        """
    ).fetchone()[0]
    assert mismatched == 0
    with_params = con.execute(
        f"select count(*) from raw.{RAW}.ads where url_custom_parameters is not null"
    ).fetchone()[0]
    assert (
        with_params
        == con.execute(
            f"select count(*) from ({world_ads}) where len(url_custom_parameters) > 0"
        ).fetchone()[0]
    )
    con.close()


def test_one_chosen_account_read_concurrently_within_the_rate_limit(world_small, gads, tmp_path):
    # One attempt per request: a single 429 from the server's 10-a-second window fails the run.
    # (The client keeps to 6 a second: requests reach the server with some jitter.)
    handle = start(world_small, page_size=PAGE, stream_batch_size=BATCH, rate_limit=(10, 1.0))
    try:
        db = tmp_path / "one.duckdb"
        result = load(
            handle,
            db,
            customer_ids="234-567-8901",
            requests_per_second=6,
            max_attempts=1,
            workers=8,
            window_days=120,
        )
    finally:
        handle.stop()
    con = world_con()
    metrics = world_metrics(world_small, gads.state.moment)
    expected = con.execute(
        f"select count(*), sum(cost_micros)::bigint, sum(clicks)::bigint from ({metrics}) "
        "where customer_id = '2345678901'"
    ).fetchone()
    con.close()
    assert result.rows["customers"] == 1 and result.rows["ads"] == 6
    assert result.rows["ad_metrics_daily"] == expected[0]
    assert query(
        db,
        f"select count(*), sum(cost_micros)::bigint, sum(clicks)::bigint "
        f"from {RAW}.ad_metrics_daily",
    ) == [expected]
    assert query(db, f"select distinct customer_id from {RAW}.ads") == [("2345678901",)]


# --- incremental loads and restated conversions -------------------------------------------------


def test_restatements_in_the_lookback_window_replace_old_figures(world_small, tmp_path):
    handle = start(world_small, T0, page_size=PAGE, stream_batch_size=BATCH)
    try:
        con = world_con()
        at_t0, at_t1 = world_metrics(world_small, T0), world_metrics(world_small, T1)
        restated = con.execute(
            f"""
            select b.ad_id, b.date, a.conversions, b.conversions
            from ({at_t0}) a join ({at_t1}) b using (ad_id, date)
            where a._version_at <> b._version_at order by 1, 2
            """
        ).fetchall()
        assert restated and all(old != new for _, _, old, new in restated)

        db = tmp_path / "incremental.duckdb"
        first = load(handle, db, window_days=200)
        assert (
            first.rows["ad_metrics_daily"]
            == con.execute(f"select count(*) from ({at_t0})").fetchone()[0]
        )

        handle.state.advance(T1)
        second = load(handle, db, window_days=200)
        # The second run reads each account from its last loaded date less the lookback.
        reread = con.execute(
            f"""
            with last as (select customer_id, max(date) as day from ({at_t0}) group by all)
            select count(*) from ({at_t1}) m join last using (customer_id)
            where m.date >= last.day - interval {LOOKBACK} day
            """
        ).fetchone()[0]
        assert second.rows["ad_metrics_daily"] == reread
        assert reread < con.execute(f"select count(*) from ({at_t1})").fetchone()[0]

        full = tmp_path / "full.duckdb"
        load(handle, full)
        assert_same_raw(db, full)

        for ad_id, day, _old, new in restated:
            assert query(
                db,
                f"select conversions from {RAW}.ad_metrics_daily where ad_id = ? and date = ?",
                [ad_id, day],
            ) == [(new,)]
        totals = con.execute(
            f"select customer_id, sum(conversions), sum(cost_micros)::bigint from ({at_t1}) "
            "group by all order by 1"
        ).fetchall()
        assert (
            query(
                db,
                f"select customer_id, sum(conversions), sum(cost_micros)::bigint "
                f"from {RAW}.ad_metrics_daily group by all order by 1",
            )
            == totals
        )
        con.close()
    finally:
        handle.stop()


# --- faults a run recovers from -----------------------------------------------------------------

PREFIX = f"/{API_VERSION}/customers"
STREAM = f"{PREFIX}/2345678901/googleAds:searchStream"
FAULTS = {
    "429_with_and_without_retry_after": [
        Fault("status", count=1, path=STREAM, status=429),
        Fault("status", count=1, path=PREFIX, status=429, retry_after=0.2),
    ],
    # The first call meets four 5xx in a row (six attempts allowed); two streams are cut off.
    "5xx_burst_and_connection_resets": [
        Fault("status", count=1, path="/token", status=502),
        Fault("status", count=2, path=PREFIX, status=500),
        Fault("status", count=2, path=PREFIX, status=503),
        Fault("reset", count=2, path=STREAM),
    ],
    # The first stream answers after the client's timeout; three bodies are cut in half.
    "slow_and_truncated": [
        Fault("slow", count=1, path=STREAM, seconds=9.0),
        Fault("truncate", count=3, path=PREFIX),
    ],
    # Ads take two pages per account: each second page repeats the first page's last row.
    "repeated_record_and_expired_token": [
        Fault("repeat_record", count=2, path=PREFIX),
        Fault("expired_token", count=1, path=f"{PREFIX}:listAccessibleCustomers"),
        Fault("expired_token", count=1, path=STREAM),
    ],
}


@pytest.mark.parametrize("case", list(FAULTS))
def test_faults_are_survived_and_raw_equals_a_clean_run(case, gads, baseline, tmp_path):
    faults = FAULTS[case]
    injected_before = len(gads.plan.injected)
    for fault in faults:
        gads.plan.add(replace(fault))
    db = tmp_path / "faulty.duckdb"
    result = load(gads, db, timeout=8.0)
    injected = Counter(kind for kind, _ in gads.plan.injected[injected_before:])
    planned = Counter()
    for fault in faults:
        planned[fault.kind] += fault.count
    assert injected == planned  # every planned fault was met
    assert result.rows == baseline[1].rows  # no row read twice, none lost
    assert_same_raw(db, baseline[0])


# --- what ends a run ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"refresh_token": "revoked"}, "invalid_grant"),
        ({"client_secret": "wrong"}, "invalid_client"),
        ({"developer_token": "not-mine"}, "DEVELOPER_TOKEN_INVALID"),
        ({"customer_ids": ["9999999999"]}, "USER_PERMISSION_DENIED"),
    ],
)
def test_refused_credentials_end_the_run_with_nothing_written(gads, tmp_path, overrides, words):
    db = tmp_path / "refused.duckdb"
    with pytest.raises(AuthenticationError) as caught:
        load(gads, db, **overrides)
    assert str(caught.value).startswith(f"{NAME}:") and words in str(caught.value)
    assert raw_tables(db) == set()


def test_exhausted_quota_ends_the_run_and_leaves_raw_unchanged(world_small, baseline, tmp_path):
    db = tmp_path / "quota.duckdb"
    shutil.copy(baseline[0], db)  # a loaded warehouse (dlt restores its state from it)
    before = {t: query(db, f"select * from {RAW}.{t} order by all") for t in TABLES}
    loads = query(db, f"select count(*) from {RAW}._dlt_loads")
    limited = start(world_small, page_size=PAGE, stream_batch_size=BATCH, daily_limit=5)
    try:
        with pytest.raises(QuotaExceededError) as caught:
            load(limited, db)
    finally:
        limited.stop()
    assert str(caught.value).startswith(f"{NAME}:") and "RESOURCE_EXHAUSTED" in str(caught.value)
    assert {t: query(db, f"select * from {RAW}.{t} order by all") for t in TABLES} == before
    assert query(db, f"select count(*) from {RAW}._dlt_loads") == loads


@pytest.mark.parametrize("code", ["RESOURCE_EXHAUSTED", "RESOURCE_TEMPORARILY_EXHAUSTED"])
def test_a_quota_errors_retry_delay_is_waited_out(world_small, gads, baseline, tmp_path, code):
    server = RecordedServer(
        "google_ads", world_small, gads.state.moment, page_size=PAGE, stream_batch_size=BATCH
    )
    options = {"code": code, "rate_name": "Requests per account", "retry_delay": 1.5}
    server.plan.add(Fault("quota_error", count=1, path=STREAM, options=options))
    try:
        db = tmp_path / "quota_wait.duckdb"
        result = load(server, db)
    finally:
        server.stop()
    [at_429] = [t for t, _, status in server.seen if status == 429]
    # Every caller is held: no API call lands between the 429 and its retryDelay's end
    # (calls already on the wire may land just after the 429).
    later = [t - at_429 for t, p, _ in server.seen if t > at_429 and p.startswith("/v")]
    assert later and all(d < 0.25 or d >= 1.5 for d in later)
    # The refused call itself (same path, query and body) is sent again once the wait is over.
    [request] = [r for _, _, code, r in server.calls if code == 429]
    again = [t - at_429 for t, _, code, r in server.calls if r == request and code != 429]
    assert again and min(again) >= 1.5  # (a retry after a timeout may follow)
    assert result.rows == baseline[1].rows
    assert_same_raw(db, baseline[0])


def test_a_retry_delay_over_the_budget_ends_the_run(gads, tmp_path):
    options = {"code": "RESOURCE_EXHAUSTED", "retry_delay": 600}
    gads.plan.add(Fault("quota_error", count=1, path=STREAM, options=options))
    db = tmp_path / "over_budget.duckdb"
    with pytest.raises(QuotaExceededError, match=r"^google_ads: .*600 s, more than max_quota_wait"):
        load(gads, db, max_quota_wait=60)
    assert not {"ad_metrics_daily", "campaign_metrics_daily"} & raw_tables(db)


def test_a_sunset_api_version_fails_with_one_clear_line(gads, tmp_path):
    with pytest.raises(SourceError) as caught:
        load(gads, tmp_path / "v21.duckdb", api_version="v21")
    message = str(caught.value)
    assert message.startswith("google_ads: HTTP 404") and "v21" in message
    assert "api_version" in message and "\n" not in message


# --- helpers ------------------------------------------------------------------------------------


def _failure(status: int, group: str, code: str) -> bytes:
    return (
        f'{{"error": {{"code": {status}, "status": "X", "details": [{{"errors": '
        f'[{{"errorCode": {{"{group}": "{code}"}}, "message": "m"}}]}}]}}}}'
    ).encode()


def _quota(code: str, rate_name: str, delay: str) -> bytes:
    details = {
        "quotaErrorDetails": {"rateScope": "ACCOUNT", "rateName": rate_name, "retryDelay": delay}
    }
    error = {"errorCode": {"quotaError": code}, "message": "m", "details": details}
    return json.dumps({"error": {"code": 429, "details": [{"errors": [error]}]}}).encode()


def test_classify_reads_google_error_codes():
    assert classify(429, {}, _failure(429, "quotaError", "RESOURCE_TEMPORARILY_EXHAUSTED")) == (
        "retry"
    )
    assert classify(401, {}, _failure(401, "authenticationError", "OAUTH_TOKEN_EXPIRED")) == (
        "refresh"
    )
    assert classify(503, {}, b"") is None
    # A request-rate RESOURCE_EXHAUSTED waits; the daily operations quota ends the run.
    assert classify(429, {}, _quota("RESOURCE_EXHAUSTED", "Requests per account", "30s")) == (
        "retry"
    )
    with pytest.raises(QuotaExceededError, match="daily operations quota"):
        classify(
            429, {}, _quota("RESOURCE_EXHAUSTED", "Number of operations for basic access", "9s")
        )
    with pytest.raises(QuotaExceededError, match="max_quota_wait"):
        make_classify("v26", 10)(429, {}, _quota("RESOURCE_TEMPORARILY_EXHAUSTED", "x", "11s"))
    with pytest.raises(CustomerNotEnabledError):
        classify(403, {}, _failure(403, "authorizationError", "CUSTOMER_NOT_ENABLED"))
    with pytest.raises(SourceError, match="UNRECOGNIZED_FIELD"):
        classify(400, {}, _failure(400, "queryError", "UNRECOGNIZED_FIELD"))


def test_windows_cover_the_range_once():
    parts = windows(date(2026, 1, 1), date(2026, 3, 31), 30)
    assert parts[0] == (date(2026, 1, 1), date(2026, 1, 30))
    assert parts[-1][1] == date(2026, 3, 31)
    days = [p[0] + timedelta(days=i) for p in parts for i in range((p[1] - p[0]).days + 1)]
    assert days == [date(2026, 1, 1) + timedelta(days=i) for i in range(90)]
    assert windows(date(2026, 1, 2), date(2026, 1, 1), 30) == []
