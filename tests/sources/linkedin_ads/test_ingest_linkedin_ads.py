"""The LinkedIn Ads dlt source against the local LinkedIn: counts, totals, lookback, faults."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from ingest_support import load, make_source, raw_tables, world_query, world_state

from gtm_demo.servers import linkedin_ads
from gtm_demo.serving import Fault
from ingest import AuthenticationError, QuotaExceededError, SourceError
from ingest.linkedin_ads import linkedin_ads_source

END = datetime(2026, 6, 30, tzinfo=UTC)
DATASET = "raw_linkedin_ads"
ANALYTICS = "creative_analytics_daily"
CAMPAIGN_ANALYTICS = "campaign_analytics_daily"
TABLES = {
    "ad_accounts": "linkedin_ads/ad_accounts",
    "campaign_groups": "linkedin_ads/campaign_groups",
    "campaigns": "linkedin_ads/campaigns",
    "creatives": "linkedin_ads/creatives",
    ANALYTICS: "linkedin_ads/analytics",
}
OAUTH = {
    "client_id": linkedin_ads.DEFAULT_CLIENT_ID,
    "client_secret": linkedin_ads.DEFAULT_CLIENT_SECRET,
    "refresh_token": linkedin_ads.DEFAULT_REFRESH_TOKEN,
}


@pytest.fixture(scope="module")
def server(world_small: Path):
    handle = linkedin_ads.start(world_small, rate_limit=None)
    yield handle
    handle.stop()


def source(server, **kw):
    """The source against `server`, as of its moment, with small pages and fast retries."""
    options = {
        "base_url": server.url,
        **OAUTH,
        "end_date": server.state.moment.date().isoformat(),
        "page_size": 2,  # campaigns and creatives span pages (repeat_record needs a boundary)
        "requests_per_window": 100_000,
        "backoff": 0.01,
        "timeout": 5.0,
        "max_attempts": 6,
    }
    return make_source(linkedin_ads_source, **(options | kw))


def at(server, moment: datetime) -> None:
    server.plan.clear()
    server.plan.injected.clear()
    server.state.advance(moment)


@pytest.fixture(scope="module")
def full_run(server, tmp_path_factory) -> tuple[Path, dict[str, int]]:
    """A fault-free load at the world's end: the file, and the rows extracted per table."""
    at(server, END)
    db = tmp_path_factory.mktemp("linkedin_full") / "full.duckdb"
    result = load("linkedin_ads", source(server), db)
    assert result.rows[ANALYTICS] > 0
    return db, result.rows


@pytest.fixture(scope="module")
def full_load(full_run) -> Path:
    return full_run[0]


def raw(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def assert_same_raw(left: Path, right: Path) -> None:
    """Every raw table holds the same rows in both files (EXCEPT ALL both ways, dlt ids aside)."""
    con = duckdb.connect()
    try:
        con.execute(f"attach '{left}' as l (read_only)")
        con.execute(f"attach '{right}' as r (read_only)")
        listed = (
            "select table_name from information_schema.tables where table_catalog = ? "
            "and table_schema = ? and table_name not like '\\_dlt%' escape '\\' order by 1"
        )
        tables = [row[0] for row in con.execute(listed, ["l", DATASET]).fetchall()]
        assert tables == sorted([*TABLES, CAMPAIGN_ANALYTICS])
        assert [row[0] for row in con.execute(listed, ["r", DATASET]).fetchall()] == tables
        for table in tables:
            columns = [
                row[0]
                for row in con.execute(
                    "select column_name from information_schema.columns where table_catalog = 'l' "
                    "and table_schema = ? and table_name = ? "
                    "and column_name not in ('_dlt_load_id', '_dlt_id') order by 1",
                    [DATASET, table],
                ).fetchall()
            ]
            listed_columns = ", ".join(f'"{c}"' for c in columns)
            counts = [
                con.execute(f'select count(*) from {side}.{DATASET}."{table}"').fetchone()[0]
                for side in ("l", "r")
            ]
            assert counts[0] == counts[1] > 0, table
            for a, b in (("l", "r"), ("r", "l")):
                extra = con.execute(
                    f'select count(*) from (select {listed_columns} from {a}.{DATASET}."{table}" '
                    f'except all select {listed_columns} from {b}.{DATASET}."{table}")'
                ).fetchone()[0]
                assert extra == 0, (table, a, b)
    finally:
        con.close()


# --- exact outcomes ---------------------------------------------------------------------------

METRICS = (
    "impressions",
    "clicks",
    "cost_in_local_currency",
    "cost_in_usd",
    "external_website_conversions",
)


def world_campaign_days(world_small, where: str = "true") -> list[tuple]:
    """The world's analytics summed per campaign and day: what pivot=CAMPAIGN must answer."""
    analytics = world_state(world_small, "linkedin_ads/analytics", END)
    sums = ", ".join(f"sum({m})" for m in METRICS)
    return world_query(
        f"select campaign_id::bigint, date, account_id::bigint, {sums} from {analytics} "
        f"where {where} group by all order by 1, 2"
    )


def campaign_days(db: Path, where: str = "true") -> list[tuple]:
    return raw(
        db,
        f"select campaign_id, date, account_id, {', '.join(METRICS)} "
        f"from {DATASET}.{CAMPAIGN_ANALYTICS} where {where} order by 1, 2",
    )


def test_campaign_analytics_reconcile_to_creative_analytics_and_the_world(full_load, world_small):
    landed = campaign_days(full_load)
    assert len(landed) > 1000
    assert landed == world_campaign_days(world_small)
    # Creative analytics rolled up to their campaigns give the same figures, to the cent.
    sums = ", ".join(f"sum(a.{m})" for m in METRICS)
    rolled = raw(
        full_load,
        f"select c.campaign_id, a.date, a.account_id, {sums} "
        f"from {DATASET}.{ANALYTICS} a join {DATASET}.creatives c on c.id = a.creative_id "
        "group by all order by 1, 2",
    )
    assert rolled == landed
    totals = raw(
        full_load,
        f"select sum(cost_in_local_currency), sum(cost_in_usd) from {DATASET}.{CAMPAIGN_ANALYTICS}",
    )
    assert totals == raw(
        full_load,
        f"select sum(cost_in_local_currency), sum(cost_in_usd) from {DATASET}.{ANALYTICS}",
    )
    assert isinstance(totals[0][0], Decimal) and totals[0][0] > 0


def test_an_account_without_readable_creatives_still_gets_its_analytics(
    server, full_load, world_small, tmp_path
):
    at(server, END)
    account = raw(full_load, f"select min(id) from {DATASET}.ad_accounts")[0][0]
    # The creatives finder lists none of this account's creatives (the token may not read them).
    server.plan.add(Fault("unreadable_creatives", path=f"/rest/adAccounts/{account}/creatives"))
    db = tmp_path / "no_creatives.duckdb"
    load("linkedin_ads", source(server), db)
    assert ("unreadable_creatives", f"/rest/adAccounts/{account}/creatives") in (
        server.plan.injected
    )
    mine = f"account_id = {account}"
    assert raw(db, f"select count(*) from {DATASET}.creatives where {mine}") == [(0,)]
    expected = world_campaign_days(world_small, f"account_id::bigint = {account}")
    assert len(expected) > 100
    assert campaign_days(db, mine) == expected
    # The creative pivot is read too, unsized by creatives: the same rows as a full load.
    columns = f"creative_id, date, {', '.join(METRICS)}"
    query = f"select {columns} from {DATASET}.{ANALYTICS} where {mine} order by 1, 2"
    assert raw(db, query) == raw(full_load, query)


def test_every_table_lands_with_the_worlds_exact_row_count(full_load, world_small):
    for table, world_table in TABLES.items():
        expected = world_query(f"select count(*) from {world_state(world_small, world_table, END)}")
        assert raw(full_load, f"select count(*) from {DATASET}.{table}") == expected, table
    # the same ids, not only as many
    for table, world_table in TABLES.items():
        if table == ANALYTICS:
            continue
        ids = world_query(f"select id::bigint from {world_state(world_small, world_table, END)}")
        assert sorted(raw(full_load, f"select id from {DATASET}.{table}")) == sorted(ids)


def test_spend_and_clicks_per_account_equal_the_world_in_the_accounts_currency(
    full_load, world_small
):
    analytics = world_state(world_small, "linkedin_ads/analytics", END)
    accounts = world_state(world_small, "linkedin_ads/ad_accounts", END)
    expected = world_query(
        f"""
        select a.account_id::bigint, c.currency, count(*), sum(a.clicks), sum(a.impressions),
            sum(a.cost_in_local_currency), sum(a.cost_in_usd), sum(a.external_website_conversions)
        from {analytics} a join {accounts} c on c.id = a.account_id
        group by all order by 1
        """
    )
    assert len(expected) == 2 and {row[1] for row in expected} == {"USD", "EUR"}
    landed = raw(
        full_load,
        f"""
        select account_id, currency, count(*), sum(clicks), sum(impressions),
            sum(cost_in_local_currency), sum(cost_in_usd), sum(external_website_conversions)
        from {DATASET}.{ANALYTICS} group by all order by 1
        """,
    )
    assert landed == expected
    assert all(isinstance(row[5], Decimal) and row[5] > 0 for row in landed)
    # every daily row: its account's currency, and the UTC day LinkedIn reports in
    assert raw(
        full_load,
        f"select count(*) from {DATASET}.{ANALYTICS} d join {DATASET}.ad_accounts a "
        "on a.id = d.account_id where d.currency is distinct from a.currency "
        "or d.time_zone <> 'UTC' or a.time_zone <> 'UTC'",
    ) == [(0,)]
    # row by row, the exact decimal the API sent (the world's cost, not a float near it)
    con = duckdb.connect()
    try:
        con.execute("set TimeZone = 'UTC'")
        con.execute(f"attach '{full_load}' as wh (read_only)")
        differing = con.execute(
            f"""
            select count(*) from {analytics} w full join wh.{DATASET}.{ANALYTICS} r
                on r.creative_id = w.creative_id::bigint and r.date = w.date
            where r.creative_id is null or w.creative_id is null
                or r.cost_in_local_currency <> w.cost_in_local_currency
                or r.cost_in_usd <> w.cost_in_usd or r.clicks <> w.clicks
                or r.impressions <> w.impressions
                or r.external_website_conversions <> w.external_website_conversions
                or r.account_id <> w.account_id::bigint
            """
        ).fetchone()[0]
        assert differing == 0
        types = dict(
            con.execute(
                "select column_name, data_type from information_schema.columns where "
                "table_catalog = 'wh' and table_schema = ? and table_name = ?",
                [DATASET, ANALYTICS],
            ).fetchall()
        )
    finally:
        con.close()
    assert types["cost_in_local_currency"] == types["cost_in_usd"] == "DECIMAL(38,18)"
    assert types["clicks"] == types["impressions"] == "BIGINT"
    assert types["date"] == "DATE"


def test_entities_carry_their_parents_and_exact_budgets(full_load, world_small):
    campaigns = world_state(world_small, "linkedin_ads/campaigns", END)
    expected = world_query(
        f"select id::bigint, account_id::bigint, campaign_group_id::bigint, name, cost_type, "
        f"daily_budget_amount, daily_budget_currency, run_start, run_end from {campaigns} "
        "order by 1"
    )
    landed = raw(
        full_load,
        "select id, account_id, campaign_group_id, name, cost_type, daily_budget_amount, "
        f"daily_budget_currency, run_start, run_end from {DATASET}.campaigns order by 1",
    )
    assert landed == expected
    creatives = world_state(world_small, "linkedin_ads/creatives", END)
    expected = world_query(
        f"select id::bigint, account_id::bigint, campaign_id::bigint, status, click_uri "
        f"from {creatives} order by 1"
    )
    landed = raw(
        full_load,
        "select id, account_id, campaign_id, intended_status, landing_page "
        f"from {DATASET}.creatives order by 1",
    )
    assert landed == expected


def test_configured_account_ids_limit_the_load(server, world_small, tmp_path):
    at(server, END)
    accounts = world_query(
        f"select id from {world_state(world_small, 'linkedin_ads/ad_accounts', END)} order by 1"
    )
    one = accounts[1][0]
    db = tmp_path / "one.duckdb"
    load("linkedin_ads", source(server, account_ids=f"urn:li:sponsoredAccount:{one}"), db)
    expected = world_query(
        "select count(*), sum(clicks) from "
        f"{world_state(world_small, 'linkedin_ads/analytics', END)} where account_id = '{one}'"
    )
    assert raw(db, f"select count(*), sum(clicks) from {DATASET}.{ANALYTICS}") == expected
    assert raw(db, f"select id from {DATASET}.ad_accounts") == [(int(one),)]
    assert raw(db, f"select distinct account_id from {DATASET}.creatives") == [(int(one),)]


# --- the lookback window ----------------------------------------------------------------------


def _restatement(world: Path) -> tuple[str, str, datetime, datetime]:
    """The restated (creative, date) with the longest delay: (creative, date, before, after)."""
    [(creative, day, first, second)] = world_query(
        f"""
        with v as (
            select *, row_number() over (partition by creative_id, date order by _version_at)
                as n
            from '{world}/linkedin_ads/analytics.parquet'
        )
        select a.creative_id, a.date, a._version_at, b._version_at
        from v a join v b using (creative_id, date) where a.n = 1 and b.n = 2
        order by b._version_at - a.date desc, a.date limit 1
        """
    )
    return creative, day, first, second


def test_an_incremental_run_rereads_the_lookback_and_equals_a_full_reload(world_small, tmp_path):
    creative, day, _, restated_at = _restatement(world_small)
    # A late restatement (three weeks or more): the lookback, not a short overlap, re-reads it.
    assert restated_at - timedelta(days=20) > datetime.combine(day, datetime.min.time(), UTC)
    t0 = restated_at - timedelta(seconds=1)
    t1 = restated_at + timedelta(days=30)
    handle = linkedin_ads.start(world_small, t0, rate_limit=None)
    try:
        incremental = tmp_path / "incremental.duckdb"
        load("linkedin_ads", source(handle), incremental)
        key = f"creative_id = {creative} and date = '{day}'"
        conversions = f"select external_website_conversions from {DATASET}.{ANALYTICS} where {key}"
        before = world_query(
            f"select external_website_conversions from "
            f"{world_state(world_small, 'linkedin_ads/analytics', t0)} "
            f"where creative_id = '{creative}' and date = '{day}'"
        )
        assert raw(incremental, conversions) == before
        last_loaded = dict(
            raw(incremental, f"select account_id, max(date) from {DATASET}.{ANALYTICS} group by 1")
        )

        handle.state.advance(t1)
        second = load("linkedin_ads", source(handle), incremental)
        after = world_query(
            f"select external_website_conversions from "
            f"{world_state(world_small, 'linkedin_ads/analytics', t1)} "
            f"where creative_id = '{creative}' and date = '{day}'"
        )
        assert after != before
        assert raw(incremental, conversions) == after

        # the second run read exactly each account's window: lookback before its last date on
        window = " or ".join(
            f"(account_id = '{account}' and date >= '{last - timedelta(days=28)}')"
            for account, last in last_loaded.items()
        )
        [(expected_window,)] = world_query(
            f"select count(*) from {world_state(world_small, 'linkedin_ads/analytics', t1)} "
            f"where {window}"
        )
        assert second.rows[ANALYTICS] == expected_window
        [(everything,)] = world_query(
            f"select count(*) from {world_state(world_small, 'linkedin_ads/analytics', t1)}"
        )
        assert expected_window < everything

        # every restatement made between t0 and t1 is in raw with its new figures
        restated = world_query(
            f"""
            select count(*) from '{world_small}/linkedin_ads/analytics.parquet'
            where _version_at > '{t0.isoformat()}'::timestamptz
                and _version_at <= '{t1.isoformat()}'::timestamptz
                and _version_at::date > date + 1
            """
        )
        assert restated[0][0] > 1

        full = tmp_path / "full.duckdb"
        load("linkedin_ads", source(handle), full)
        assert_same_raw(incremental, full)
    finally:
        handle.stop()


def test_without_a_lookback_the_restated_figure_would_stay_stale(world_small, tmp_path):
    creative, day, _, restated_at = _restatement(world_small)
    t0, t1 = restated_at - timedelta(seconds=1), restated_at + timedelta(days=30)
    handle = linkedin_ads.start(world_small, t0, rate_limit=None)
    try:
        db = tmp_path / "no_lookback.duckdb"
        load("linkedin_ads", source(handle, lookback_days=0), db)
        key = f"creative_id = {creative} and date = '{day}'"
        query = f"select external_website_conversions from {DATASET}.{ANALYTICS} where {key}"
        stale = raw(db, query)
        handle.state.advance(t1)
        load("linkedin_ads", source(handle, lookback_days=0), db)
        assert raw(db, query) == stale  # what the 28-day default exists to prevent
    finally:
        handle.stop()


# --- the element cap --------------------------------------------------------------------------


def _count_analytics_calls(handle) -> None:
    """Count every adAnalytics request in `plan.injected` (a zero-second `slow` fault)."""
    handle.plan.injected.clear()
    handle.plan.add(Fault("slow", path="/rest/adAnalytics", count=10**6, seconds=0.0))


def _analytics_calls(handle) -> int:
    return sum(1 for kind, path in handle.plan.injected if path == "/rest/adAnalytics")


def test_ranges_past_the_element_cap_are_split_until_answered(world_small, full_load, tmp_path):
    cap = 400
    handle = linkedin_ads.start(world_small, rate_limit=None, max_elements=cap)
    try:
        # planned as if the cap were LinkedIn's 15,000: the first call per account is refused
        # and halved until every range is answered
        _count_analytics_calls(handle)
        naive = tmp_path / "naive.duckdb"
        load("linkedin_ads", source(handle), naive)
        assert_same_raw(full_load, naive)
        naive_calls = _analytics_calls(handle)

        # planned with the real cap: ranges of cap // creatives days, none refused
        _count_analytics_calls(handle)
        planned = tmp_path / "planned.duckdb"
        load("linkedin_ads", source(handle, max_elements=cap), planned)
        assert_same_raw(full_load, planned)
        spans = world_query(
            f"""
            select count(*), min(a._version_at)::date
            from {world_state(world_small, "linkedin_ads/creatives", END)} c
            join '{world_small}/linkedin_ads/ad_accounts.parquet' a on a.id = c.account_id
            group by c.account_id
            """
        )
        windows = sum(
            -(-((END.date() - created).days + 1) // (cap // creatives))
            for creatives, created in spans
        )
        # the same ranges for each pivot (creative and campaign)
        assert _analytics_calls(handle) == 2 * windows
        # unsized, one range per account and pivot was refused and halved until answered
        assert naive_calls > 2 * len(spans) + 2
    finally:
        handle.stop()


def test_a_single_day_past_the_cap_is_an_error_naming_the_source(world_small, tmp_path):
    handle = linkedin_ads.start(world_small, rate_limit=None, max_elements=1)
    try:
        db = tmp_path / "capped.duckdb"
        with pytest.raises(SourceError) as raised:
            load("linkedin_ads", source(handle, max_elements=1, start_date="2025-09-01"), db)
        assert str(raised.value).startswith("linkedin_ads: adAnalytics refused account")
        assert "more than the maximum of 1" in str(raised.value)
        assert raw_tables(db, DATASET) == {}
    finally:
        handle.stop()


# --- faults: the run completes and raw equals a fault-free run --------------------------------

FAULTS = {
    "429 with Retry-After": (
        Fault("status", path="/rest/adAnalytics", status=429, retry_after=0.3),
        {},
    ),
    "429 without Retry-After": (Fault("status", path="/rest/adAccounts", status=429, count=2), {}),
    "a burst of 5xx": (Fault("status", path="/rest/adAnalytics", status=503, count=4), {}),
    "500 on the token endpoint": (
        Fault("status", path="/oauth/v2/accessToken", status=500, count=2),
        {},
    ),
    "connection reset": (Fault("reset", path="/rest/adAccounts/", count=2), {}),
    "slow beyond the timeout": (
        Fault("slow", path="/rest/adAnalytics", seconds=1.5),
        {"timeout": 0.5},
    ),
    "truncated body": (Fault("truncate", path="/rest/adAnalytics", count=2), {}),
    "repeated record": (Fault("repeat_record", path="/rest/adAccounts/", count=4), {}),
    "expired token": (Fault("expired_token", path="/rest/adAnalytics"), {}),
    "revoked static token": (
        Fault("expired_token", path="/rest/adAccounts", options={"code": "REVOKED_ACCESS_TOKEN"}),
        {"access_token": linkedin_ads.DEFAULT_TOKEN},
    ),
}


@pytest.mark.parametrize("name", list(FAULTS))
def test_each_fault_is_survived_and_raw_equals_a_fault_free_run(name, server, full_run, tmp_path):
    full_load, full_rows = full_run
    fault, options = FAULTS[name]
    fault = Fault(**vars(fault))  # the plan consumes its faults: use a copy
    expected_uses = fault.count
    at(server, END)
    server.plan.add(fault)
    db = tmp_path / "faulty.duckdb"
    result = load("linkedin_ads", source(server, **options), db)
    injected = [kind for kind, _ in server.plan.injected]
    assert injected.count(fault.kind) == expected_uses, server.plan.injected
    assert_same_raw(full_load, db)
    assert result.rows == full_rows  # each record extracted once, none repeated or lost


def test_a_rolling_rate_limit_is_kept_by_the_client(world_small, full_load, tmp_path):
    handle = linkedin_ads.start(world_small, rate_limit=(8, 1.0))
    try:
        db = tmp_path / "limited.duckdb"
        # No retries: a single 429 from the server's window would end the run. The client's
        # window is wider than the server's so that a request delayed on a busy machine cannot
        # land inside the server's window; without the client's limit the run sends its ~15
        # calls well within one second.
        load(
            "linkedin_ads",
            source(handle, requests_per_window=8, window_seconds=1.5, max_attempts=1),
            db,
        )
        assert_same_raw(full_load, db)
    finally:
        handle.stop()


# --- unrecoverable: one SourceError subclass naming the source, nothing written ----------------


def test_no_credentials_is_an_authentication_error():
    with pytest.raises(AuthenticationError) as raised:
        linkedin_ads_source(
            client_id=None, client_secret=None, refresh_token=None, access_token=None
        )
    assert str(raised.value).startswith("linkedin_ads: no credentials")


def test_a_refused_client_secret_writes_nothing(server, tmp_path):
    at(server, END)
    db = tmp_path / "refused.duckdb"
    with pytest.raises(AuthenticationError) as raised:
        load("linkedin_ads", source(server, client_secret="wrong"), db)
    assert str(raised.value).startswith("linkedin_ads: ")
    assert "invalid_client" in str(raised.value)
    assert raw_tables(db, DATASET) == {}


def test_a_bad_access_token_leaves_an_existing_warehouse_unchanged(server, full_load, tmp_path):
    at(server, END)
    db = tmp_path / "existing.duckdb"
    shutil.copy(full_load, db)
    before = raw_tables(db, DATASET)
    with pytest.raises(AuthenticationError) as raised:
        load(
            "linkedin_ads",
            source(
                server,
                client_id=None,
                client_secret=None,
                refresh_token=None,
                access_token="stale-token",
            ),
            db,
        )
    assert str(raised.value).startswith("linkedin_ads: the API refused the credentials")
    assert raw_tables(db, DATASET) == before


def test_an_exhausted_daily_quota_raises_quota_exceeded(world_small, tmp_path):
    handle = linkedin_ads.start(world_small, rate_limit=None, daily_limit=5)
    try:
        db = tmp_path / "quota.duckdb"
        with pytest.raises(QuotaExceededError) as raised:
            load("linkedin_ads", source(handle), db)
        assert str(raised.value).startswith("linkedin_ads: the API quota is exhausted")
        assert raw_tables(db, DATASET) == {}
    finally:
        handle.stop()


def test_an_unserved_api_version_is_an_error_naming_it(server, tmp_path):
    at(server, END)
    db = tmp_path / "version.duckdb"
    with pytest.raises(SourceError) as raised:
        load("linkedin_ads", source(server, linkedin_version="202301"), db)
    assert str(raised.value).startswith("linkedin_ads: HTTP 426")
    assert "NONEXISTENT_VERSION" in str(raised.value)
    assert raw_tables(db, DATASET) == {}
