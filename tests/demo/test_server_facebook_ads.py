"""The local Meta Marketing API: wire format, paging, async insights, the clock, limits, faults."""

import json
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import duckdb
import pytest
import requests

from gtm_demo.servers.facebook_ads import DEFAULT_REPORT_SCHEDULE, start
from gtm_demo.serving import Fault

TOKEN = "demo-facebook-token"
AUTH = {"access_token": TOKEN}
US, UK = "101234567890123", "109876543210987"
GRAPH_TIME = "%Y-%m-%dT%H:%M:%S%z"
EDGE_TABLES = {
    "campaigns": "campaigns",
    "adsets": "ad_sets",
    "ads": "ads",
    "adcreatives": "ad_creatives",
}
EDGE_FIELDS = {
    "campaigns": "name,status,objective,created_time,updated_time,start_time,stop_time",
    "adsets": "name,campaign_id,status,created_time,updated_time",
    "ads": "name,campaign_id,adset_id,creative,status,updated_time",
    "adcreatives": "name,url_tags,object_story_spec",
}


@pytest.fixture(scope="module")
def fb(world_small):
    handle = start(world_small, rate_limit=(100_000, 10.0), insights_rate_limit=(100_000, 10.0))
    yield handle
    handle.stop()


def current(world, table, moment=None, where="true"):
    """Rows of the state of a facebook_ads table at `moment` (default: the end), from the file."""
    moment_sql = f"'{moment.isoformat()}'::timestamptz" if moment else "'infinity'::timestamptz"
    keys = {"insights": "ad_id, date_start", "ad_accounts": "account_id"}.get(table, "id")
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    result = con.execute(
        f"""
        select * exclude (_rn) from (
            select *, row_number() over (partition by {keys} order by _version_at desc) as _rn
            from '{world}/facebook_ads/{table}.parquet' where _version_at <= {moment_sql}
        ) where _rn = 1 and ({where})
        """
    )
    names = [d[0] for d in result.description]
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


def get(url, **params):
    return requests.get(url, params={**AUTH, **params}, timeout=10)


def page_all(url, **params):
    """Follow `paging.next` (absolute URLs carrying the token) until the last page."""
    response = get(url, **params)
    records, pages = [], 0
    while True:
        assert response.status_code == 200, response.text
        body = response.json()
        records.extend(body["data"])
        pages += 1
        if body["data"]:
            assert set(body["paging"]["cursors"]) == {"before", "after"}
        if "next" not in body.get("paging", {}):
            return records, pages
        assert body["paging"]["next"].startswith("http://127.0.0.1")
        response = requests.get(body["paging"]["next"], timeout=10)


def error_of(response, status=400):
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["fbtrace_id"] and isinstance(error["is_transient"], bool)
    assert error["type"] == "OAuthException"
    return error


def parse_time(text):
    return datetime.strptime(text, GRAPH_TIME)


def visible_insights(world, moment=None, where="true"):
    """Insights rows visible at `moment` that had any delivery (the API leaves out empty days)."""
    return current(
        world,
        "insights",
        moment,
        f"({where}) and (impressions <> 0 or clicks <> 0 or spend <> 0 "
        "or leads_7d_click <> 0 or leads_1d_view <> 0)",
    )


# --- auth and accounts --------------------------------------------------------------------------


def test_bad_or_missing_token_is_error_190(fb):
    url = f"{fb.url}/v26.0/me/adaccounts"
    for kwargs in (
        {},
        {"params": {"access_token": "wrong"}},
        {"headers": {"Authorization": "Bearer wrong"}},
    ):
        response = requests.get(url, timeout=10, **kwargs)
        error = error_of(response)
        assert error["code"] == 190 and "error_subcode" not in error
        assert error["message"] == "Invalid OAuth access token - Cannot parse access token"
        assert error["is_transient"] is False
        assert "invalid_token" in response.headers["WWW-Authenticate"]
    for scheme in ("Bearer", "OAuth"):
        ok = requests.get(url, headers={"Authorization": f"{scheme} {TOKEN}"}, timeout=10)
        assert ok.status_code == 200
    assert error_of(get(f"{fb.url}/v19.0/me/adaccounts"))["code"] == 2635


def test_ad_accounts_and_their_fields(fb, world_small):
    fields = "account_id,name,currency,timezone_name,timezone_offset_hours_utc,amount_spent"
    records, _ = page_all(f"{fb.url}/v26.0/me/adaccounts", fields=fields)
    expected = {row["account_id"]: row for row in current(world_small, "ad_accounts")}
    assert [r["account_id"] for r in records] == sorted(expected) == [US, UK]
    spent = dict(
        duckdb.sql(
            f"select account_id, sum(spend) from ("
            f"select *, row_number() over (partition by ad_id, date_start "
            f"order by _version_at desc) as rn "
            f"from '{world_small}/facebook_ads/insights.parquet') where rn = 1 group by all"
        ).fetchall()
    )
    end = datetime.fromisoformat(json.loads((world_small / "world.json").read_text())["as_of"])
    for record in records:
        row = expected[record["account_id"]]
        assert record["id"] == f"act_{row['account_id']}"
        assert (record["name"], record["currency"], record["timezone_name"]) == (
            row["name"],
            row["currency"],
            row["timezone_name"],
        )
        offset = end.replace(tzinfo=UTC).astimezone(ZoneInfo(row["timezone_name"])).utcoffset()
        assert record["timezone_offset_hours_utc"] == offset.total_seconds() / 3600
        assert record["amount_spent"] == str(int(Decimal(str(spent[row["account_id"]])) * 100))
    assert {r["currency"] for r in records} == {"USD", "GBP"}

    one = get(f"{fb.url}/v26.0/act_{UK}", fields="account_id,name,currency,timezone_name").json()
    assert one == {
        "id": f"act_{UK}",
        "account_id": UK,
        "name": expected[UK]["name"],
        "currency": "GBP",
        "timezone_name": "Europe/London",
    }
    bad_field = error_of(get(f"{fb.url}/v26.0/act_{UK}", fields="name,nope"))
    assert bad_field["code"] == 100 and "(nope)" in bad_field["message"]
    missing = error_of(get(f"{fb.url}/v26.0/act_42/campaigns"))
    assert (missing["code"], missing["error_subcode"]) == (100, 33)


# --- edges --------------------------------------------------------------------------------------


@pytest.mark.parametrize("edge", list(EDGE_TABLES))
def test_edges_page_every_object_once_with_exact_values(fb, world_small, edge):
    zones = {row["account_id"]: row["timezone_name"] for row in current(world_small, "ad_accounts")}
    requested = EDGE_FIELDS[edge].split(",")
    for account, zone in zones.items():
        records, pages = page_all(
            f"{fb.url}/v26.0/act_{account}/{edge}", fields=EDGE_FIELDS[edge], limit=2
        )
        expected = {
            row["id"]: row
            for row in current(world_small, EDGE_TABLES[edge], where=f"account_id = '{account}'")
        }
        ids = [r["id"] for r in records]
        assert len(ids) == len(set(ids)) == len(expected) > 0
        assert set(ids) == set(expected)
        assert pages == -(-len(expected) // 2)
        for record in records:
            row = expected[record["id"]]
            assert set(record) == {"id", *requested}
            for name in requested:
                value = record[name]
                if name.endswith("_time"):
                    moment = parse_time(value)
                    assert moment == row[name]
                    assert moment.utcoffset() == ZoneInfo(zone).utcoffset(row[name])
                elif name == "creative":
                    assert value == {"id": row["creative_id"]}
                elif name == "object_story_spec":
                    assert value == {"link_data": {"link": row["link_url"]}}
                else:
                    assert value == row[name]
    if edge == "adcreatives":
        assert all("utm_source=facebook" in r["url_tags"] for r in records)


def test_effective_status_is_derived_and_filters(fb, world_small):
    expected = dict(
        duckdb.sql(
            f"""
            select a.id, case when a.status <> 'ACTIVE' then a.status
                when c.status <> 'ACTIVE' then 'CAMPAIGN_PAUSED'
                when s.status <> 'ACTIVE' then 'ADSET_PAUSED' else 'ACTIVE' end as eff
            from '{world_small}/facebook_ads/ads.parquet' a
            join '{world_small}/facebook_ads/ad_sets.parquet' s on s.id = a.adset_id
            join '{world_small}/facebook_ads/campaigns.parquet' c on c.id = a.campaign_id
            """
        ).fetchall()
    )
    served = {}
    for account in (US, UK):
        records, _ = page_all(f"{fb.url}/v26.0/act_{account}/ads", fields="effective_status")
        served.update({r["id"]: r["effective_status"] for r in records})
        for status in ("ACTIVE", "CAMPAIGN_PAUSED"):
            filtered, _ = page_all(
                f"{fb.url}/v26.0/act_{account}/ads",
                effective_status=json.dumps([status]),
                limit=100,
            )
            assert {r["id"] for r in filtered} == {
                i for i, s in expected.items() if s == status and i in {r["id"] for r in records}
            }
    assert served == expected
    bad = error_of(get(f"{fb.url}/v26.0/act_{US}/ads", effective_status='["SLEEPING"]'))
    assert bad["code"] == 100


@pytest.mark.parametrize("edge", ["campaigns", "adsets", "ads"])
def test_filtering_by_updated_time(fb, world_small, edge):
    rows = current(world_small, EDGE_TABLES[edge])
    stamps = sorted({int(row["updated_time"].timestamp()) for row in rows})
    for threshold in [stamps[0] - 1, *stamps]:
        rule = [{"field": "updated_time", "operator": "GREATER_THAN", "value": threshold}]
        served = set()
        for account in (US, UK):
            records, _ = page_all(
                f"{fb.url}/v26.0/act_{account}/{edge}",
                fields="updated_time",
                filtering=json.dumps(rule),
                limit=2,
            )
            served |= {r["id"] for r in records}
            assert all(parse_time(r["updated_time"]).timestamp() > threshold for r in records)
        assert served == {r["id"] for r in rows if r["updated_time"].timestamp() > threshold}
    unsupported = get(
        f"{fb.url}/v26.0/act_{US}/adcreatives",
        filtering=json.dumps([{"field": "updated_time", "operator": "GREATER_THAN", "value": 1}]),
    )
    assert error_of(unsupported)["code"] == 100


def test_node_reads(fb, world_small):
    ad = current(world_small, "ads", where=f"account_id = '{UK}'")[0]
    body = get(f"{fb.url}/v26.0/{ad['id']}", fields="name,adset_id,creative").json()
    assert body == {
        "id": ad["id"],
        "name": ad["name"],
        "adset_id": ad["adset_id"],
        "creative": {"id": ad["creative_id"]},
    }
    assert error_of(get(f"{fb.url}/v26.0/99999"))["error_subcode"] == 33


# --- insights -----------------------------------------------------------------------------------


def _report(fb, account, params, form=True):
    url = f"{fb.url}/v26.0/act_{account}/insights"
    if form:  # as the SDKs send it: parameters and token in a form body
        response = requests.post(url, data={**AUTH, **params}, timeout=10)
    else:
        response = requests.post(url, json=params, headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.text
    return response.json()["report_run_id"]


def _poll(fb, run_id, times):
    return [
        (body["async_status"], body["async_percent_completion"])
        for body in (get(f"{fb.url}/v26.0/{run_id}").json() for _ in range(times))
    ]


def _check_rows(rows, expected, currency):
    by_key = {(r["ad_id"], r["date_start"].isoformat()): r for r in expected}
    keys = [(r["ad_id"], r["date_start"]) for r in rows]
    assert len(keys) == len(set(keys)) == len(by_key)
    assert set(keys) == set(by_key)
    for row in rows:
        want = by_key[(row["ad_id"], row["date_start"])]
        assert row["date_stop"] == row["date_start"]
        assert (row["campaign_id"], row["adset_id"]) == (want["campaign_id"], want["adset_id"])
        assert row["impressions"] == str(want["impressions"])
        assert row["clicks"] == str(want["clicks"])
        assert row["spend"] == f"{want['spend']:.2f}"
        assert row["account_currency"] == currency
        leads = want["leads_7d_click"] + want["leads_1d_view"]
        lead = {
            "value": str(leads),
            "7d_click": str(want["leads_7d_click"]),
            "1d_view": str(want["leads_1d_view"]),
        }
        # Ads Action Stats, one per type with any action that day; windows past one day only
        # on the conversion types.
        expected_actions = [
            {"action_type": "landing_page_view", "value": str(want["landing_page_views"])},
            {"action_type": "lead", **lead},
            {"action_type": "link_click", "value": str(want["link_clicks"])},
            {"action_type": "offsite_conversion.fb_pixel_lead", **lead},
            {"action_type": "video_view", "value": str(want["video_views"])},
        ]
        expected_actions = [a for a in expected_actions if a["value"] != "0"]
        assert row.get("actions", []) == expected_actions


def test_async_report_lifecycle_and_exact_totals(fb, world_small):
    meta = json.loads((world_small / "world.json").read_text())
    params = {
        "level": "ad",
        "time_increment": "1",
        "time_range": json.dumps({"since": meta["history_start"], "until": meta["as_of"]}),
        "fields": "account_id,campaign_id,adset_id,ad_id,impressions,clicks,spend,actions,"
        "account_currency",
        "action_attribution_windows": json.dumps(["7d_click", "1d_view"]),
    }
    currencies = {r["account_id"]: r["currency"] for r in current(world_small, "ad_accounts")}
    for account, form in ((US, True), (UK, False)):
        run_id = _report(fb, account, params, form)
        early = get(f"{fb.url}/v26.0/{run_id}/insights")
        assert error_of(early)["code"] == 100
        statuses = _poll(fb, run_id, len(DEFAULT_REPORT_SCHEDULE) + 1)
        assert statuses == [*DEFAULT_REPORT_SCHEDULE, ("Job Completed", 100)]
        assert ("Job Running", 100) in statuses  # the 100%-but-still-running quirk
        run = get(f"{fb.url}/v26.0/{run_id}").json()
        assert run["account_id"] == account and run["date_start"] == meta["history_start"]
        rows, pages = page_all(f"{fb.url}/v26.0/{run_id}/insights", limit=500)
        expected = visible_insights(world_small, where=f"account_id = '{account}'")
        assert pages == -(-len(expected) // 500)
        _check_rows(rows, expected, currencies[account])
        assert sum(Decimal(r["spend"]) for r in rows) == sum(r["spend"] for r in expected)
        assert sum(int(r["clicks"]) for r in rows) == sum(r["clicks"] for r in expected)
        served_leads = sum(
            int(a["value"])
            for r in rows
            for a in r.get("actions", [])
            if a["action_type"] == "lead"
        )
        assert served_leads == sum(r["leads_7d_click"] + r["leads_1d_view"] for r in expected)
        assert served_leads > 0


def test_account_totals_from_the_world(fb, world_small):
    totals = duckdb.sql(
        f"""
        select account_id, sum(spend) as spend, sum(clicks) as clicks,
            sum(leads_7d_click + leads_1d_view) as leads
        from (select *, row_number() over (partition by ad_id, date_start
                order by _version_at desc) as rn
              from '{world_small}/facebook_ads/insights.parquet') where rn = 1 group by all
        """
    ).fetchall()
    for account, spend, clicks, leads in totals:
        run_id = _report(
            fb,
            account,
            {
                "level": "account",
                "date_preset": "maximum",
                "fields": "account_id,spend,clicks,actions",
            },
        )
        _poll(fb, run_id, len(DEFAULT_REPORT_SCHEDULE))
        [row] = get(f"{fb.url}/v26.0/{run_id}/insights").json()["data"]
        assert row["account_id"] == account
        assert (Decimal(row["spend"]), int(row["clicks"])) == (spend, clicks)
        by_type = {a["action_type"]: a["value"] for a in row["actions"]}
        assert by_type["lead"] == by_type["offsite_conversion.fb_pixel_lead"] == str(leads)


def test_sync_insights_small_ranges_levels_and_the_size_limit(fb, world_small):
    since, until = date(2025, 10, 1), date(2025, 10, 7)
    time_range = json.dumps({"since": since.isoformat(), "until": until.isoformat()})
    url = f"{fb.url}/v26.0/act_{UK}/insights"
    rows, _ = page_all(
        url,
        level="ad",
        time_increment=1,
        time_range=time_range,
        fields="ad_id,adset_id,campaign_id,impressions,clicks,spend,actions,account_currency",
        action_attribution_windows='["7d_click","1d_view"]',
        limit=7,
    )
    where = f"account_id = '{UK}' and date_start between '{since}' and '{until}'"
    expected = visible_insights(world_small, where=where)
    _check_rows(rows, expected, "GBP")

    campaigns, _ = page_all(
        url, level="campaign", time_range=time_range, fields="campaign_id,spend,impressions"
    )
    per_campaign = {}
    for row in expected:
        spend, impressions = per_campaign.get(row["campaign_id"], (0, 0))
        per_campaign[row["campaign_id"]] = (spend + row["spend"], impressions + row["impressions"])
    assert {
        r["campaign_id"]: (Decimal(r["spend"]), int(r["impressions"])) for r in campaigns
    } == per_campaign
    assert all((r["date_start"], r["date_stop"]) == (str(since), str(until)) for r in campaigns)

    too_long = get(
        url, level="ad", time_range=json.dumps({"since": "2025-01-01", "until": "2025-12-31"})
    )
    error = error_of(too_long, 500)
    assert error["code"] == 1 and "reduce the amount of data" in error["message"]
    assert error_of(get(url, level="country"))["code"] == 100
    assert error_of(get(url, fields="spend,bogus"))["code"] == 100


def test_advancing_time_shows_restated_conversions(world_small):
    [(ad_id, day, first_at, restated_at)] = duckdb.sql(
        f"""
        select ad_id, date_start, min(_version_at), max(_version_at)
        from '{world_small}/facebook_ads/insights.parquet' where account_id = '{US}'
        group by ad_id, date_start having count(*) = 2 order by date_start, ad_id limit 1
        """
    ).fetchall()
    between = first_at + (restated_at - first_at) / 2
    handle = start(world_small, between)
    try:
        params = {
            "level": "ad",
            "time_increment": 1,
            "time_range": json.dumps({"since": str(day), "until": str(day)}),
            "fields": "ad_id,actions",
            "filtering": json.dumps([{"field": "ad.id", "operator": "EQUAL", "value": ad_id}]),
            "action_attribution_windows": '["7d_click","1d_view"]',
        }
        url = f"{handle.url}/v26.0/act_{US}/insights"
        before = get(url, **params).json()["data"]
        handle.state.advance(handle.state.end)
        after = get(url, **params).json()["data"]
        # a day whose first version is not out yet at the earlier moment is not served then
        handle.state.advance(first_at - timedelta(seconds=1))
        unseen = get(url, **params).json()["data"]
    finally:
        handle.stop()
    old, new = (
        current(world_small, "insights", m, f"ad_id = '{ad_id}' and date_start = '{day}'")[0]
        for m in (between, None)
    )
    assert (
        old["leads_7d_click"] + old["leads_1d_view"] < new["leads_7d_click"] + new["leads_1d_view"]
    )
    for served, want in ((before, old), (after, new)):
        [row] = served
        leads = want["leads_7d_click"] + want["leads_1d_view"]
        served_leads = [a for a in row.get("actions", []) if a["action_type"] == "lead"]
        assert sum(int(a["value"]) for a in served_leads) == leads
        if leads:
            assert served_leads[0]["7d_click"] == str(want["leads_7d_click"])
    assert unseen == []


# --- throttling ---------------------------------------------------------------------------------


def test_throttling_errors_and_usage_headers(world_small):
    handle = start(world_small, rate_limit=(3, 1.0), insights_rate_limit=(2, 1.0))
    try:
        url = f"{handle.url}/v26.0/act_{US}/campaigns"
        answers = [get(url) for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 400]
        usage = [json.loads(a.headers["X-Business-Use-Case-Usage"])[US][0] for a in answers]
        assert [u["call_count"] for u in usage] == [34, 67, 100, 100]
        assert {u["type"] for u in usage} == {"ads_management"}
        assert [u["estimated_time_to_regain_access"] for u in usage] == [0, 0, 0, 1]
        assert set(usage[0]) >= {"total_cputime", "total_time", "ads_api_access_tier"}
        account_usage = json.loads(answers[-1].headers["X-Ad-Account-Usage"])
        assert account_usage["acc_id_util_pct"] == 100
        assert account_usage["reset_time_duration"] >= 1
        error = error_of(answers[-1])
        assert (error["code"], error["error_subcode"]) == (17, 2446079)
        assert error["message"] == "(#17) User request limit reached" and error["is_transient"]
        # the limit is per ad account
        assert get(f"{handle.url}/v26.0/act_{UK}/campaigns").status_code == 200

        insights = f"{handle.url}/v26.0/act_{US}/insights"
        calls = [get(insights, date_preset="last_7d") for _ in range(3)]
        assert [c.status_code for c in calls] == [200, 200, 400]
        throttle = [json.loads(c.headers["X-FB-Ads-Insights-Throttle"]) for c in calls]
        assert [t["acc_id_util_pct"] for t in throttle] == [50, 100, 100]
        error = error_of(calls[-1])
        assert (error["code"], error["error_subcode"], error["is_transient"]) == (
            80000,
            2446079,
            True,
        )
        assert json.loads(calls[0].headers["X-Business-Use-Case-Usage"])[US][0]["type"] == (
            "ads_insights"
        )
        time.sleep(1.05)
        assert get(url).status_code == 200
        assert get(insights, date_preset="last_7d").status_code == 200
    finally:
        handle.stop()


# --- faults -------------------------------------------------------------------------------------


def test_generic_faults_in_the_graph_error_format(fb):
    path = f"/v26.0/act_{US}/campaigns"
    url = f"{fb.url}{path}"
    plan = fb.plan

    plan.add(Fault("status", path=path, status=500, count=2))
    answers = [get(url) for _ in range(3)]
    assert [a.status_code for a in answers] == [500, 500, 200]
    error = error_of(answers[0], 500)
    assert (error["code"], error["error_subcode"], error["is_transient"]) == (1, 99, True)

    plan.add(Fault("status", path=path, status=503))
    error = error_of(get(url), 503)
    assert error["code"] == 2 and error["is_transient"] is True

    plan.add(Fault("status", path=path, status=429, retry_after=3))
    response = get(url)
    assert response.headers["Retry-After"] == "3"
    assert error_of(response, 429)["code"] == 17

    plan.add(Fault("reset", path=path))
    with pytest.raises(requests.exceptions.RequestException):
        get(url)

    plan.add(Fault("slow", path=path, seconds=0.4))
    began = time.monotonic()
    assert get(url).status_code == 200
    assert time.monotonic() - began >= 0.4

    plan.add(Fault("truncate", path=path))
    with pytest.raises(ValueError):
        get(url).json()

    plan.add(Fault("expired_token", path=path))
    error = error_of(get(url))
    assert (error["code"], error["error_subcode"]) == (190, 463)
    assert error["message"].startswith("Error validating access token: Session has expired")
    assert get(url).status_code == 200

    plan.add(Fault("throttle", path=f"/v26.0/act_{US}/insights", options={"code": 80000}))
    throttled = get(f"{fb.url}/v26.0/act_{US}/insights")
    assert error_of(throttled)["code"] == 80000
    assert json.loads(throttled.headers["X-FB-Ads-Insights-Throttle"])["acc_id_util_pct"] == 100
    assert get(f"{fb.url}/v26.0/act_{US}/insights").status_code == 200


def _pages(url, params, fault_plan, path):
    first = get(url, **params).json()
    after = first["paging"]["cursors"]["after"]
    clean = get(url, **params, after=after).json()
    fault_plan.add(Fault("repeat_record", path=path))
    repeated = get(url, **params, after=after).json()
    return first["data"], clean["data"], repeated["data"]


def test_repeat_record_repeats_the_last_record_across_a_page_boundary(fb):
    cases = [
        (f"/v26.0/act_{US}/ads", {"limit": 2, "fields": "name"}),
        (
            f"/v26.0/act_{UK}/insights",
            {
                "limit": 4,
                "level": "ad",
                "time_increment": 1,
                "time_range": '{"since":"2025-06-01","until":"2025-06-10"}',
                "fields": "ad_id,spend",
            },
        ),
    ]
    run_id = _report(
        fb,
        UK,
        {"level": "ad", "time_increment": "1", "date_preset": "maximum", "fields": "ad_id"},
    )
    _poll(fb, run_id, len(DEFAULT_REPORT_SCHEDULE))
    cases.append((f"/v26.0/{run_id}/insights", {"limit": 3}))
    for path, params in cases:
        first, clean, repeated = _pages(f"{fb.url}{path}", params, fb.plan, path)
        assert len(first) == params["limit"] and clean
        assert repeated[0] == first[-1]
        assert repeated[1:] == clean


def test_stuck_and_failed_report_runs(fb):
    path = f"/v26.0/act_{US}/insights"
    params = {"level": "ad", "date_preset": "last_30d", "fields": "ad_id"}

    fb.plan.add(Fault("stuck_report", path=path))
    stuck = _report(fb, US, params)
    assert _poll(fb, stuck, 12) == [("Job Running", 100)] * 12
    assert error_of(get(f"{fb.url}/v26.0/{stuck}/insights"))["code"] == 100

    fb.plan.add(Fault("stuck_report", path=path, options={"polls": 2}))
    late = _report(fb, US, params)
    assert _poll(fb, late, 3) == [("Job Running", 100)] * 2 + [("Job Completed", 100)]
    assert get(f"{fb.url}/v26.0/{late}/insights").status_code == 200

    fb.plan.add(Fault("failed_report", path=path))
    failed = _report(fb, US, params)
    statuses = _poll(fb, failed, len(DEFAULT_REPORT_SCHEDULE))
    assert statuses[-1][0] == "Job Failed"
    assert all(s != "Job Completed" for s, _ in statuses)
    assert error_of(get(f"{fb.url}/v26.0/{failed}/insights"))["code"] == 2601

    # an unaffected run still completes on the configured schedule
    normal = _report(fb, US, params)
    assert _poll(fb, normal, len(DEFAULT_REPORT_SCHEDULE)) == list(DEFAULT_REPORT_SCHEDULE)


def test_report_schedule_is_configurable(world_small):
    schedule = (
        ("Job Running", 30),
        ("Job Running", 100),
        ("Job Running", 100),
        ("Job Completed", 100),
    )
    handle = start(world_small, report_schedule=schedule)
    try:
        run_id = requests.post(
            f"{handle.url}/v26.0/act_{UK}/insights",
            data={**AUTH, "level": "campaign", "date_preset": "maximum"},
            timeout=10,
        ).json()["report_run_id"]
        assert _poll(handle, run_id, 5) == [*schedule, ("Job Completed", 100)]
    finally:
        handle.stop()


# --- versions and action values -----------------------------------------------------------------


def test_current_graph_versions_are_served_and_expired_ones_answer_2635(fb):
    for version in ("v25.0", "v26.0", "v27.0"):
        assert get(f"{fb.url}/{version}/act_{US}", fields="name").status_code == 200
    for version in ("v24.0", "v23.0", "v19.0"):
        error = error_of(get(f"{fb.url}/{version}/act_{US}", fields="name"))
        assert error["code"] == 2635
        assert error["message"] == (
            "(#2635) You are calling a deprecated version of the Ads API. Please update to the "
            "latest version: v27.0."
        )
    assert error_of(get(f"{fb.url}/vNext/act_{US}"))["code"] == 2500


def test_action_values_and_cost_per_action_in_metas_shapes(fb, world_small):
    want = max(
        current(world_small, "insights", where=f"account_id = '{US}'"),
        key=lambda r: (r["leads_7d_click"] + r["leads_1d_view"], r["ad_id"], r["date_start"]),
    )
    day = want["date_start"].isoformat()
    [row] = get(
        f"{fb.url}/v26.0/act_{US}/insights",
        level="ad",
        time_increment=1,
        time_range=json.dumps({"since": day, "until": day}),
        fields="ad_id,spend,actions,action_values,cost_per_action_type",
        filtering=json.dumps([{"field": "ad.id", "operator": "EQUAL", "value": want["ad_id"]}]),
        action_attribution_windows='["7d_click","1d_view"]',
    ).json()["data"]
    leads = want["leads_7d_click"] + want["leads_1d_view"]
    assert leads > 0
    per_lead = want["lead_value"] / leads
    value = {
        "value": f"{want['lead_value']:.2f}",
        "7d_click": f"{per_lead * want['leads_7d_click']:.2f}",
        "1d_view": f"{per_lead * want['leads_1d_view']:.2f}",
    }
    assert row["action_values"] == [
        {"action_type": "lead", **value},
        {"action_type": "offsite_conversion.fb_pixel_lead", **value},
    ]
    counts = {a["action_type"]: int(a["value"]) for a in row["actions"]}
    costs = {a["action_type"]: Decimal(a["value"]) for a in row["cost_per_action_type"]}
    assert set(costs) == set(counts)
    for kind, count in counts.items():
        assert abs(costs[kind] - want["spend"] / count) < Decimal("0.000001"), kind
