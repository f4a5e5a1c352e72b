"""The local LinkedIn Marketing API: headers, auth, Rest.li syntax, paging, analytics, faults."""

import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import duckdb
import pytest
import requests

from gtm_demo.servers.linkedin_ads import start
from gtm_demo.serving import Fault

HEADERS = {
    "Authorization": "Bearer demo-linkedin-token",
    "LinkedIn-Version": "202601",
    "X-Restli-Protocol-Version": "2.0.0",
}
KEYS = {"linkedin_ads/analytics": "creative_id, date"}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def linkedin(world_small):
    handle = start(world_small, rate_limit=None)
    yield handle
    handle.stop()


def current(world, table, moment=None, where="true"):
    """Rows of the state of a LinkedIn table at `moment` (default: the end), from the file."""
    moment_sql = f"'{moment.isoformat()}'::timestamptz" if moment else "'infinity'::timestamptz"
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    result = con.execute(
        f"""
        select * exclude (_rn) from (
            select *, row_number() over (
                partition by {KEYS.get(f"linkedin_ads/{table}", "id")} order by _version_at desc
            ) as _rn
            from '{world}/linkedin_ads/{table}.parquet' where _version_at <= {moment_sql}
        ) where _rn = 1 and ({where})
        """
    )
    names = [d[0] for d in result.description]
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


def ms(moment):
    return (moment - EPOCH) // timedelta(milliseconds=1)


def get(handle, path, headers=HEADERS):
    return requests.get(f"{handle.url}{path}", headers=headers, timeout=10)


def page_all(handle, path, size):
    """Every element of a search finder, following nextPageToken; checks the last page."""
    elements, token = [], None
    for _ in range(200):
        sep = "&" if "?" in path else "?"
        url = f"{path}{sep}pageSize={size}" + (f"&pageToken={token}" if token else "")
        response = get(handle, url)
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == {"elements", "metadata"}
        assert len(body["elements"]) <= size
        elements.extend(body["elements"])
        token = body["metadata"].get("nextPageToken")
        if token is None:
            assert body["metadata"] == {}
            return elements
    raise AssertionError("paging never ended")


def analytics(handle, pivot, start, end=None, accounts=(), granularity="DAILY", extra=""):
    dates = f"start:(year:{start.year},month:{start.month},day:{start.day})"
    if end is not None:
        dates += f",end:(year:{end.year},month:{end.month},day:{end.day})"
    urns = ",".join(f"urn%3Ali%3AsponsoredAccount%3A{a}" for a in accounts)
    fields = "dateRange,pivotValues,impressions,clicks,costInLocalCurrency,costInUsd,"
    fields += "externalWebsiteConversions"
    path = (
        f"/rest/adAnalytics?q=analytics&pivot={pivot}&timeGranularity={granularity}"
        f"&dateRange=({dates})&fields={fields}"
        + (f"&accounts=List({urns})" if accounts else "")
        + extra
    )
    return get(handle, path)


def day_of(element):
    start = element["dateRange"]["start"]
    return date(start["year"], start["month"], start["day"])


def test_version_and_protocol_headers(linkedin):
    missing = {k: v for k, v in HEADERS.items() if k != "LinkedIn-Version"}
    response = get(linkedin, "/rest/adAccounts?q=search", missing)
    assert response.status_code == 400
    assert response.json() == {
        "status": 400,
        "code": "VERSION_MISSING",
        "message": "A version must be present. Please specify a version by adding the "
        "LinkedIn-Version header.",
    }
    for old in ("202301", "202401", "abc"):
        response = get(linkedin, "/rest/adAccounts?q=search", {**HEADERS, "LinkedIn-Version": old})
        assert response.status_code == 426
        assert response.json()["code"] == "NONEXISTENT_VERSION"
        assert old in response.json()["message"]
    assert get(linkedin, "/rest/adAccounts?q=search", {**HEADERS, "LinkedIn-Version": "202601.01"})
    no_protocol = {k: v for k, v in HEADERS.items() if k != "X-Restli-Protocol-Version"}
    assert get(linkedin, "/rest/adAccounts?q=search", no_protocol).status_code == 400


def test_bearer_auth_and_the_token_endpoint(linkedin):
    for headers in ({**HEADERS, "Authorization": "Bearer wrong"}, {"LinkedIn-Version": "202601"}):
        response = get(linkedin, "/rest/adAccounts?q=search", headers)
        assert response.status_code == 401
        assert response.json() == {
            "status": 401,
            "serviceErrorCode": 65600,
            "code": "INVALID_ACCESS_TOKEN",
            "message": "Invalid access token",
        }
    url = f"{linkedin.url}/oauth/v2/accessToken"
    form = {"client_id": "demo-linkedin-client", "client_secret": "demo-linkedin-secret"}
    issued = requests.post(url, data={**form, "grant_type": "client_credentials"}).json()
    assert issued["expires_in"] == 1800
    mine = {**HEADERS, "Authorization": f"Bearer {issued['access_token']}"}
    assert get(linkedin, "/rest/adAccounts?q=search", mine).status_code == 200

    refreshed = requests.post(
        url,
        data={
            **form,
            "grant_type": "refresh_token",
            "refresh_token": "demo-linkedin-refresh-token",
        },
    ).json()
    assert refreshed["refresh_token"] == "demo-linkedin-refresh-token"
    mine = {**HEADERS, "Authorization": f"Bearer {refreshed['access_token']}"}
    assert get(linkedin, "/rest/adAccounts?q=search", mine).status_code == 200

    bad_secret = requests.post(
        url, data={**form, "client_secret": "nope", "grant_type": "client_credentials"}
    )
    assert bad_secret.status_code == 401 and bad_secret.json()["error"] == "invalid_client"
    bad_refresh = requests.post(
        url, data={**form, "grant_type": "refresh_token", "refresh_token": "stale"}
    )
    assert bad_refresh.status_code == 400 and bad_refresh.json()["error"] == "invalid_grant"
    no_grant = requests.post(url, data=form)
    assert no_grant.status_code == 400 and no_grant.json()["error"] == "invalid_request"


def test_ad_accounts_search_paging_and_get(linkedin, world_small):
    expected = {row["id"]: row for row in current(world_small, "ad_accounts")}
    assert len(expected) == 2
    found = page_all(linkedin, "/rest/adAccounts?q=search&search=(status:(values:List(ACTIVE)))", 1)
    assert [a["id"] for a in found] == sorted(int(i) for i in expected)
    for account in found:
        row = expected[str(account["id"])]
        assert (account["name"], account["currency"], account["type"], account["status"]) == (
            row["name"],
            row["currency"],
            row["type"],
            row["status"],
        )
        assert account["changeAuditStamps"]["lastModified"]["time"] == ms(row["_version_at"])
        assert account["reference"].startswith("urn:li:organization:")
    assert {a["currency"] for a in found} == {"USD", "EUR"}
    none = get(linkedin, "/rest/adAccounts?q=search&search=(status:(values:List(CANCELED)))")
    assert none.json() == {"elements": [], "metadata": {}}
    by_currency = get(linkedin, "/rest/adAccounts?q=search&search=(currency:(values:List(EUR)))")
    assert [a["currency"] for a in by_currency.json()["elements"]] == ["EUR"]

    one = next(iter(expected))
    single = get(linkedin, f"/rest/adAccounts/{one}")
    assert single.status_code == 200 and single.json() == next(
        a for a in found if a["id"] == int(one)
    )
    missing = get(linkedin, "/rest/adAccounts/1")
    assert missing.status_code == 404 and missing.json()["code"] == "NOT_FOUND"
    bad = get(linkedin, "/rest/adAccounts?q=search&search=(colour:(values:List(RED)))")
    assert bad.status_code == 400
    assert bad.json()["errorDetails"]["inputErrors"][0]["input"]["inputPath"] == {
        "fieldPath": "search"
    }


@pytest.mark.parametrize(
    ("table", "path", "size"),
    [
        ("campaign_groups", "adCampaignGroups?q=search", 1),
        ("campaigns", "adCampaigns?q=search", 2),
        ("creatives", "creatives?q=criteria", 5),
        ("creatives", "creatives?q=criteria&sortOrder=DESCENDING", 4),
    ],
)
def test_entity_paging_covers_each_row_once(linkedin, world_small, table, path, size):
    rows = current(world_small, table)
    accounts = {row["account_id"] for row in rows}
    seen = []
    for account in sorted(accounts):
        elements = page_all(linkedin, f"/rest/adAccounts/{account}/{path}", size)
        ids = [e["id"] for e in elements]
        numeric = [int(str(i).rsplit(":", 1)[-1]) for i in ids]
        descending = "DESCENDING" in path
        assert numeric == sorted(numeric, reverse=descending)
        assert all(e["account"] == f"urn:li:sponsoredAccount:{account}" for e in elements)
        seen.extend(elements)
    ids = [str(e["id"]).rsplit(":", 1)[-1] for e in seen]
    assert len(ids) == len(set(ids)) == len(rows)
    assert set(ids) == {row["id"] for row in rows}


def test_entity_shapes_match_the_world(linkedin, world_small):
    campaigns = {row["id"]: row for row in current(world_small, "campaigns")}
    groups = {row["id"]: row for row in current(world_small, "campaign_groups")}
    creatives = {row["id"]: row for row in current(world_small, "creatives")}
    for account in sorted({row["account_id"] for row in campaigns.values()}):
        base = f"/rest/adAccounts/{account}"
        for campaign in page_all(linkedin, f"{base}/adCampaigns?q=search", 100):
            row = campaigns[str(campaign["id"])]
            assert campaign["campaignGroup"] == (
                f"urn:li:sponsoredCampaignGroup:{row['campaign_group_id']}"
            )
            assert campaign["name"] == row["name"] and campaign["costType"] == row["cost_type"]
            assert Decimal(campaign["dailyBudget"]["amount"]) == row["daily_budget_amount"]
            assert isinstance(campaign["dailyBudget"]["amount"], str)
            assert campaign["dailyBudget"]["currencyCode"] == row["daily_budget_currency"]
            assert campaign["runSchedule"] == {
                "start": ms(row["run_start"]),
                "end": ms(row["run_end"]),
            }
            assert campaign["changeAuditStamps"]["created"]["time"] == ms(row["created_at"])
        for group in page_all(linkedin, f"{base}/adCampaignGroups?q=search", 100):
            row = groups[str(group["id"])]
            assert (group["name"], group["status"]) == (row["name"], row["status"])
            assert group["runSchedule"]["start"] == ms(row["run_start"])
        for creative in page_all(linkedin, f"{base}/creatives?q=criteria", 100):
            row = creatives[creative["id"].removeprefix("urn:li:sponsoredCreative:")]
            assert creative["campaign"] == f"urn:li:sponsoredCampaign:{row['campaign_id']}"
            assert creative["content"]["textAd"]["landingPage"] == row["click_uri"]
            assert creative["intendedStatus"] == row["status"]
            assert creative["lastModifiedAt"] == ms(row["last_modified_at"])
    # one of each by id
    row = next(iter(creatives.values()))
    one = get(
        linkedin,
        f"/rest/adAccounts/{row['account_id']}/creatives/urn%3Ali%3AsponsoredCreative%3A{row['id']}",
    )
    assert (
        one.status_code == 200
        and one.json()["content"]["textAd"]["landingPage"] == (row["click_uri"])
    )
    twice = get(
        linkedin,
        f"/rest/adAccounts/{row['account_id']}/creatives/urn%253Ali%253AsponsoredCreative%253A1",
    )
    assert twice.status_code == 400
    row = next(iter(campaigns.values()))
    one = get(linkedin, f"/rest/adAccounts/{row['account_id']}/adCampaigns/{row['id']}")
    assert one.json()["name"] == row["name"]
    assert get(linkedin, "/rest/adAccounts/1/adCampaigns?q=search").status_code == 403


def test_search_and_criteria_filters(linkedin, world_small):
    campaigns = current(world_small, "campaigns")
    group = campaigns[0]["campaign_group_id"]
    account = campaigns[0]["account_id"]
    found = page_all(
        linkedin,
        f"/rest/adAccounts/{account}/adCampaigns?q=search"
        f"&search=(campaignGroup:(values:List(urn%3Ali%3AsponsoredCampaignGroup%3A{group})),"
        "test:false)",
        100,
    )
    assert {c["id"] for c in found} == {
        int(row["id"]) for row in campaigns if row["campaign_group_id"] == group
    }
    creatives = current(world_small, "creatives")
    campaign = creatives[0]["campaign_id"]
    found = page_all(
        linkedin,
        f"/rest/adAccounts/{account}/creatives?q=criteria"
        f"&campaigns=List(urn%3Ali%3AsponsoredCampaign%3A{campaign})&intendedStatuses=List(ACTIVE)",
        100,
    )
    expected = {row["id"] for row in creatives if row["campaign_id"] == campaign}
    assert len(expected) == 2
    assert {c["id"].rsplit(":", 1)[-1] for c in found} == expected


def test_analytics_by_creative_matches_the_world_per_account(linkedin, world_small):
    rows = current(world_small, "analytics")
    first, last = min(r["date"] for r in rows), max(r["date"] for r in rows)
    for account in sorted({r["account_id"] for r in rows}):
        response = analytics(linkedin, "CREATIVE", first, last, [account])
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["paging"]["start"] == 0 and "metadata" not in body
        elements = body["elements"]
        mine = {(r["creative_id"], r["date"]): r for r in rows if r["account_id"] == account}
        assert len(elements) == len(mine)
        for element in elements:
            [urn] = element["pivotValues"]
            assert element["dateRange"]["start"] == element["dateRange"]["end"]
            row = mine[(urn.removeprefix("urn:li:sponsoredCreative:"), day_of(element))]
            assert element["impressions"] == row["impressions"]
            assert element["clicks"] == row["clicks"]
            assert element["costInLocalCurrency"] == str(row["cost_in_local_currency"])
            assert element["costInUsd"] == str(row["cost_in_usd"])
            assert element["externalWebsiteConversions"] == row["external_website_conversions"]
        assert sum(e["clicks"] for e in elements) == sum(r["clicks"] for r in mine.values())
        assert sum(Decimal(e["costInLocalCurrency"]) for e in elements) == sum(
            r["cost_in_local_currency"] for r in mine.values()
        )


def test_analytics_by_campaign_aggregates_creatives(linkedin, world_small):
    expected = duckdb.sql(
        f"""
        with versions as (
            select *, row_number() over (
                partition by creative_id, date order by _version_at desc) as rn
            from '{world_small}/linkedin_ads/analytics.parquet'
        )
        select account_id, campaign_id, date, sum(clicks) as clicks,
            sum(impressions) as impressions, sum(cost_in_local_currency) as cost,
            sum(cost_in_usd) as usd, sum(external_website_conversions) as conversions
        from versions where rn = 1 group by all
        """
    ).fetchall()
    first, last = min(r[2] for r in expected), max(r[2] for r in expected)
    served = {}
    for account in sorted({r[0] for r in expected}):
        response = analytics(linkedin, "CAMPAIGN", first, last, [account])
        assert response.status_code == 200, response.text
        for element in response.json()["elements"]:
            [urn] = element["pivotValues"]
            assert urn.startswith("urn:li:sponsoredCampaign:")
            key = (account, urn.rsplit(":", 1)[-1], day_of(element))
            assert key not in served
            served[key] = (
                element["clicks"],
                element["impressions"],
                Decimal(element["costInLocalCurrency"]),
                Decimal(element["costInUsd"]),
                element["externalWebsiteConversions"],
            )
    assert served == {(a, c, d): tuple(rest) for a, c, d, *rest in expected}
    # per account totals as well, the figure a warehouse must reproduce
    for account in {r[0] for r in expected}:
        assert sum(v[2] for k, v in served.items() if k[0] == account) == sum(
            r[5] for r in expected if r[0] == account
        )


def test_date_range_parsing_and_granularities(linkedin, world_small):
    rows = current(world_small, "analytics")
    account = rows[0]["account_id"]
    month = [r for r in rows if r["account_id"] == account]
    dates = sorted({r["date"] for r in month})
    day = dates[len(dates) // 4]
    start, end = day.replace(day=1), (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    end -= timedelta(days=1)
    inside = [r for r in month if start <= r["date"] <= end]
    daily = analytics(linkedin, "CREATIVE", start, end, [account]).json()["elements"]
    assert len(daily) == len(inside) > 0
    assert all(start <= day_of(e) <= end for e in daily)

    # MONTHLY over a range starting mid-month: one element per creative, clipped dates
    middle = start + timedelta(days=10)
    monthly = analytics(linkedin, "CREATIVE", middle, end, [account], granularity="MONTHLY").json()[
        "elements"
    ]
    late = [r for r in inside if r["date"] >= middle]
    assert len(monthly) == len({r["creative_id"] for r in late})
    assert sum(e["clicks"] for e in monthly) == sum(r["clicks"] for r in late)
    assert all(
        e["dateRange"]
        == {
            "start": {"year": middle.year, "month": middle.month, "day": middle.day},
            "end": {"year": end.year, "month": end.month, "day": end.day},
        }
        for e in monthly
    )

    # ALL with no end: up to today (the world's moment), one element per account
    everything = analytics(
        linkedin, "ACCOUNT", date(2024, 1, 1), None, [account], granularity="ALL"
    ).json()["elements"]
    assert len(everything) == 1
    assert everything[0]["pivotValues"] == [f"urn:li:sponsoredAccount:{account}"]
    assert everything[0]["impressions"] == sum(r["impressions"] for r in month)
    assert everything[0]["dateRange"]["end"] == {"year": 2026, "month": 6, "day": 30}

    groups = analytics(
        linkedin, "CAMPAIGN_GROUP", date(2024, 1, 1), None, [account], granularity="ALL"
    ).json()["elements"]
    campaigns = {r["id"]: r["campaign_group_id"] for r in current(world_small, "campaigns")}
    assert {e["pivotValues"][0] for e in groups} == {
        f"urn:li:sponsoredCampaignGroup:{campaigns[r['campaign_id']]}" for r in month
    }
    assert sum(e["impressions"] for e in groups) == everything[0]["impressions"]

    # no fields: impressions and clicks only
    bare = get(
        linkedin,
        "/rest/adAnalytics?q=analytics&pivot=ACCOUNT&timeGranularity=ALL"
        f"&dateRange=(start:(year:2024,month:1,day:1))"
        f"&accounts=List(urn%3Ali%3AsponsoredAccount%3A{account})",
    ).json()["elements"]
    assert bare == [
        {"impressions": everything[0]["impressions"], "clicks": everything[0]["clicks"]}
    ]

    for bad in (
        "(start:(year:2025,month:13,day:1))",
        "(start:(year:2025,month:2,day:1),end:(year:2025,month:1,day:1))",
        "(end:(year:2025,month:1,day:1))",
        "(start:(year:2025,month:1))",
    ):
        response = get(
            linkedin,
            f"/rest/adAnalytics?q=analytics&pivot=CREATIVE&timeGranularity=DAILY&dateRange={bad}"
            f"&accounts=List(urn%3Ali%3AsponsoredAccount%3A{account})",
        )
        assert response.status_code == 400, bad
        error = response.json()["errorDetails"]["inputErrors"][0]
        assert error["input"]["inputPath"]["fieldPath"] == "dateRange"


def test_badly_encoded_values_are_rejected_naming_the_parameter(linkedin, world_small):
    account = current(world_small, "ad_accounts")[0]["id"]
    base = (
        "/rest/adAnalytics?q=analytics&pivot=CREATIVE&timeGranularity=DAILY"
        "&dateRange=(start:(year:2025,month:1,day:1))"
    )
    twice = get(linkedin, f"{base}&accounts=List(urn%253Ali%253AsponsoredAccount%253A{account})")
    raw = get(linkedin, f"{base}&accounts=List(urn:li:sponsoredAccount:{account})")
    for response in (twice, raw):
        assert response.status_code == 400
        body = response.json()
        assert body["status"] == 400 and body["code"] == "PARAM_INVALID"
        [error] = body["errorDetails"]["inputErrors"]
        assert error["input"]["inputPath"]["fieldPath"] == "accounts"
    assert "twice" in twice.json()["errorDetails"]["inputErrors"][0]["description"]
    # what a params dict does: structure percent-encoded and the URN encoded twice
    naive = requests.get(
        f"{linkedin.url}/rest/adAnalytics",
        params={
            "q": "analytics",
            "pivot": "CREATIVE",
            "timeGranularity": "DAILY",
            "accounts": f"List(urn%3Ali%3AsponsoredAccount%3A{account})",
        },
        headers=HEADERS,
    )
    assert naive.status_code == 400
    error = naive.json()["errorDetails"]["inputErrors"][0]
    assert error["input"]["inputPath"]["fieldPath"] == "accounts"
    # correctly encoded, the same query answers
    good = get(linkedin, f"{base}&accounts=List(urn%3Ali%3AsponsoredAccount%3A{account})")
    assert good.status_code == 200 and good.json()["elements"]


def test_query_tunneling_answers_like_get(linkedin, world_small):
    account = current(world_small, "ad_accounts")[0]["id"]
    query = (
        "q=analytics&pivot=CAMPAIGN&timeGranularity=MONTHLY"
        "&dateRange=(start:(year:2025,month:1,day:1))"
        f"&accounts=List(urn%3Ali%3AsponsoredAccount%3A{account})&fields=clicks,pivotValues"
    )
    plain = get(linkedin, f"/rest/adAnalytics?{query}").json()
    tunneled = requests.post(
        f"{linkedin.url}/rest/adAnalytics",
        data=query,
        headers={
            **HEADERS,
            "X-HTTP-Method-Override": "GET",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    assert tunneled.status_code == 200 and tunneled.json() == plain and plain["elements"]


def test_analytics_over_the_cap_is_an_error(world_small):
    handle = start(world_small, rate_limit=None, max_elements=40)
    try:
        rows = current(world_small, "analytics")
        account = rows[0]["account_id"]
        days = sorted({r["date"] for r in rows if r["account_id"] == account})
        over = analytics(handle, "CREATIVE", days[0], days[-1], [account])
        assert over.status_code == 400
        assert "40" in over.json()["message"] and over.json()["status"] == 400
        per_day = sum(1 for r in rows if r["account_id"] == account and r["date"] == days[0])
        under = analytics(handle, "CREATIVE", days[0], days[0] + timedelta(days=2), [account])
        assert under.status_code == 200 and 0 < per_day <= len(under.json()["elements"]) <= 40
    finally:
        handle.stop()


def test_advancing_the_clock_serves_restated_figures(world_small):
    restated = duckdb.sql(
        f"""
        select account_id, creative_id, date, list(external_website_conversions order by
            _version_at) as conversions, list(_version_at order by _version_at) as versions
        from '{world_small}/linkedin_ads/analytics.parquet'
        group by all having count(*) > 1 order by date limit 1
        """
    ).fetchall()
    [(account, creative, day, conversions, versions)] = restated
    assert conversions[1] > conversions[0]
    between = versions[1] - timedelta(seconds=1)
    handle = start(world_small, between, rate_limit=None)
    try:
        first, last = day - timedelta(days=3), day + timedelta(days=3)

        def served():
            elements = analytics(handle, "CREATIVE", first, last, [account]).json()["elements"]
            return {(e["pivotValues"][0].rsplit(":", 1)[-1], day_of(e)): e for e in elements}

        early = served()
        assert early[(creative, day)]["externalWebsiteConversions"] == conversions[0]
        expected = current(
            world_small,
            "analytics",
            between,
            f"account_id = '{account}' and date between '{first}' and '{last}'",
        )
        assert len(early) == len(expected)
        assert sum(e["externalWebsiteConversions"] for e in early.values()) == sum(
            r["external_website_conversions"] for r in expected
        )
        handle.state.advance(handle.state.end)
        late = served()
        assert late[(creative, day)]["externalWebsiteConversions"] == conversions[1]
        assert late[(creative, day)]["clicks"] == early[(creative, day)]["clicks"]
    finally:
        handle.stop()


def test_throttling_is_429_with_linkedins_body(world_small):
    rolling = start(world_small, rate_limit=(3, 1.0))
    daily = start(world_small, rate_limit=None, daily_limit=2)
    try:
        answers = [get(rolling, "/rest/adAccounts?q=search") for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        body = answers[-1].json()
        assert body["status"] == 429 and body["code"] == "TOO_MANY_REQUESTS"
        assert body["serviceErrorCode"] == 101
        assert body["message"].startswith("Resource level throttle")
        time.sleep(1.05)
        assert get(rolling, "/rest/adAccounts?q=search").status_code == 200

        answers = [get(daily, "/rest/adAccounts?q=search") for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 429]
        assert "DAY limit" in answers[-1].json()["message"]
    finally:
        rolling.stop()
        daily.stop()


def test_faults_as_a_plain_client_sees_them(linkedin):
    path = "/rest/adAccounts"
    url = f"{path}?q=search"
    plan = linkedin.plan

    plan.add(Fault("status", path=path, status=429, retry_after=2))
    response = get(linkedin, url)
    assert response.status_code == 429 and response.headers["Retry-After"] == "2"
    assert response.json()["code"] == "TOO_MANY_REQUESTS"

    plan.add(Fault("status", path=path, status=503, count=2))
    answers = [get(linkedin, url) for _ in range(3)]
    assert [a.status_code for a in answers] == [503, 503, 200]
    assert answers[0].json()["code"] == "SERVICE_UNAVAILABLE"

    plan.add(Fault("reset", path=path))
    with pytest.raises(requests.exceptions.RequestException):
        get(linkedin, url)

    plan.add(Fault("slow", path=path, seconds=0.5))
    began = time.monotonic()
    assert get(linkedin, url).status_code == 200
    assert time.monotonic() - began >= 0.5

    plan.add(Fault("truncate", path=path))
    with pytest.raises(ValueError):
        get(linkedin, url).json()

    # the static token fails once
    plan.add(Fault("expired_token", path=path))
    response = get(linkedin, url)
    assert response.status_code == 401
    assert response.json() == {
        "status": 401,
        "serviceErrorCode": 65601,
        "code": "EXPIRED_ACCESS_TOKEN",
        "message": "The token used in the request has expired",
    }
    assert get(linkedin, url).status_code == 200

    # an issued token stays dead until the client gets a new one
    token_url = f"{linkedin.url}/oauth/v2/accessToken"
    form = {
        "grant_type": "refresh_token",
        "refresh_token": "demo-linkedin-refresh-token",
        "client_id": "demo-linkedin-client",
        "client_secret": "demo-linkedin-secret",
    }
    issued = requests.post(token_url, data=form).json()["access_token"]
    mine = {**HEADERS, "Authorization": f"Bearer {issued}"}
    plan.add(Fault("expired_token", path=path, options={"code": "REVOKED_ACCESS_TOKEN"}))
    response = get(linkedin, url, mine)
    assert response.status_code == 401 and response.json()["code"] == "REVOKED_ACCESS_TOKEN"
    assert get(linkedin, url, mine).json()["code"] == "INVALID_ACCESS_TOKEN"
    renewed = requests.post(token_url, data=form).json()["access_token"]
    assert get(linkedin, url, {**HEADERS, "Authorization": f"Bearer {renewed}"}).ok
    assert plan.injected[-1] == ("expired_token", path)


@pytest.mark.parametrize("path", ["adCampaigns?q=search", "creatives?q=criteria"])
def test_repeat_record_duplicates_across_a_page_boundary(linkedin, world_small, path):
    account = current(world_small, "campaigns")[0]["account_id"]
    url = f"/rest/adAccounts/{account}/{path}&pageSize=2"
    first = get(linkedin, url).json()
    token = first["metadata"]["nextPageToken"]
    clean = get(linkedin, f"{url}&pageToken={token}").json()
    linkedin.plan.add(Fault("repeat_record", path=f"/rest/adAccounts/{account}/"))
    repeated = get(linkedin, f"{url}&pageToken={token}").json()
    assert repeated["elements"][0] == first["elements"][-1]
    assert repeated["elements"][1:] == clean["elements"]
    assert get(linkedin, f"{url}&pageToken={token}").json() == clean
