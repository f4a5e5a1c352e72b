"""The local Google Ads API: OAuth, GAQL search and stream, paging, the clock, limits and faults."""

import json
import math
import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import duckdb
import pytest
import requests

from gtm_demo.servers.google_ads import (
    API_VERSION,
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_DEVELOPER_TOKEN,
    DEFAULT_REFRESH_TOKEN,
    start,
)
from gtm_demo.serving import Fault

PAGE = 1000
BATCH = 500
FAILURE = f"type.googleapis.com/google.ads.googleads.{API_VERSION}.errors.GoogleAdsFailure"
ALL_DATES = "segments.date BETWEEN '2020-01-01' AND '2030-12-31'"
METRICS_QUERY = (
    "SELECT ad_group_ad.ad.id, segments.date, metrics.impressions, metrics.clicks, "
    f"metrics.cost_micros, metrics.conversions, metrics.conversions_value FROM ad_group_ad "
    f"WHERE {ALL_DATES}"
)


@pytest.fixture(scope="module")
def gads(world_small):
    handle = start(world_small, rate_limit=None, page_size=PAGE, stream_batch_size=BATCH)
    yield handle
    handle.stop()


def current(world, table, keys, moment=None, where="true"):
    """Rows of the state of a Google Ads table at `moment` (default: the end), from the file."""
    moment_sql = f"'{moment.isoformat()}'::timestamptz" if moment else "'infinity'::timestamptz"
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    result = con.execute(
        f"""
        select * exclude (_rn) from (
            select *, row_number() over (partition by {keys} order by _version_at desc) as _rn
            from '{world}/google_ads/{table}.parquet' where _version_at <= {moment_sql}
        ) where _rn = 1 and ({where})
        """
    )
    names = [d[0] for d in result.description]
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


def metrics(world, moment=None, where="true"):
    return current(world, "ad_metrics", "ad_id, date", moment, where)


def customer_ids(world):
    return sorted(row["id"] for row in current(world, "customers", "id"))


def get_token(url, **overrides):
    form = {
        "grant_type": "refresh_token",
        "client_id": DEFAULT_CLIENT_ID,
        "client_secret": DEFAULT_CLIENT_SECRET,
        "refresh_token": DEFAULT_REFRESH_TOKEN,
        **overrides,
    }
    return requests.post(f"{url}/token", data=form, timeout=10)


def auth(url):
    token = get_token(url).json()["access_token"]
    return {"Authorization": f"Bearer {token}", "developer-token": DEFAULT_DEVELOPER_TOKEN}


@pytest.fixture(scope="module")
def headers(gads):
    return auth(gads.url)


def search(url, headers, customer, query, **body):
    return requests.post(
        f"{url}/{API_VERSION}/customers/{customer}/googleAds:search",
        headers=headers,
        json={"query": query, **body},
        timeout=30,
    )


def stream(url, headers, customer, query, **body):
    return requests.post(
        f"{url}/{API_VERSION}/customers/{customer}/googleAds:searchStream",
        headers=headers,
        json={"query": query, **body},
        timeout=30,
    )


def rows(url, headers, customer, query):
    """Every row of a query, following nextPageToken."""
    results, token = [], None
    while True:
        body = {"pageToken": token} if token else {}
        response = search(url, headers, customer, query, **body)
        assert response.status_code == 200, response.text
        page = response.json()
        results.extend(page.get("results", []))
        token = page.get("nextPageToken")
        if token is None:
            return results


def failure(response, status, group, code):
    """Assert Google's error body and return its single GoogleAdsFailure error."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == status
    detail = error["details"][0]
    assert detail["@type"] == FAILURE
    assert detail["requestId"]
    [only] = detail["errors"]
    assert only["errorCode"] == {group: code}
    return only


def metric_key(row):
    return row["adGroupAd"]["ad"]["id"], row["segments"]["date"]


# --- OAuth and the gate -------------------------------------------------------------------------


def test_token_endpoint_issues_bearer_tokens_and_rejects_bad_credentials(gads):
    response = get_token(gads.url)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "expires_in", "scope", "token_type"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3599
    assert body["scope"] == "https://www.googleapis.com/auth/adwords"
    assert body["access_token"] != get_token(gads.url).json()["access_token"]

    bad_refresh = get_token(gads.url, refresh_token="stale")
    assert bad_refresh.status_code == 400 and bad_refresh.json()["error"] == "invalid_grant"
    bad_client = get_token(gads.url, client_id="someone-else")
    assert bad_client.status_code == 401 and bad_client.json()["error"] == "invalid_client"
    bad_secret = get_token(gads.url, client_secret="wrong")
    assert bad_secret.status_code == 401 and bad_secret.json()["error"] == "invalid_client"
    bad_grant = get_token(gads.url, grant_type="client_credentials")
    assert bad_grant.status_code == 400
    assert bad_grant.json()["error"] == "unsupported_grant_type"


def test_calls_need_a_valid_bearer_token_and_the_developer_token(gads, headers):
    url = f"{gads.url}/{API_VERSION}/customers:listAccessibleCustomers"
    missing = requests.get(url, headers={"developer-token": DEFAULT_DEVELOPER_TOKEN})
    only = failure(missing, 401, "authenticationError", "AUTHENTICATION_ERROR")
    assert missing.json()["error"]["status"] == "UNAUTHENTICATED"
    assert only["message"]
    wrong = requests.get(url, headers={**headers, "Authorization": "Bearer ya29.not-issued"})
    failure(wrong, 401, "authenticationError", "OAUTH_TOKEN_INVALID")

    no_dev = requests.get(url, headers={"Authorization": headers["Authorization"]})
    only = failure(no_dev, 400, "requestError", "DEVELOPER_TOKEN_PARAMETER_MISSING")
    assert "developer-token" in only["message"]
    bad_dev = requests.get(url, headers={**headers, "developer-token": "not-mine"})
    failure(bad_dev, 401, "authenticationError", "DEVELOPER_TOKEN_INVALID")

    ok = requests.get(url, headers=headers)
    assert ok.status_code == 200 and ok.headers["request-id"]


def test_customer_access_and_login_customer_id(gads, headers, world_small):
    first, second = customer_ids(world_small)
    query = "SELECT customer.id FROM customer"
    as_self = search(gads.url, {**headers, "login-customer-id": first}, first, query)
    assert as_self.status_code == 200
    assert as_self.json()["results"][0]["customer"]["id"] == first
    # a non-manager account cannot act as the login customer of another account
    other = search(gads.url, {**headers, "login-customer-id": second}, first, query)
    assert failure(other, 403, "authorizationError", "USER_PERMISSION_DENIED")["message"]
    assert other.json()["error"]["status"] == "PERMISSION_DENIED"
    unknown = search(gads.url, headers, "9999999999", query)
    failure(unknown, 403, "authorizationError", "USER_PERMISSION_DENIED")
    dashed = search(gads.url, headers, "123-456-7890", query)
    failure(dashed, 400, "authenticationError", "CLIENT_CUSTOMER_ID_INVALID")
    dashed_login = search(gads.url, {**headers, "login-customer-id": "123-456-7890"}, first, query)
    failure(dashed_login, 400, "authenticationError", "CLIENT_CUSTOMER_ID_INVALID")


def test_current_api_versions_are_served_and_sunset_ones_are_not(gads, headers, world_small):
    customer = customer_ids(world_small)[0]

    def ask(version):
        return requests.post(
            f"{gads.url}/{version}/customers/{customer}/googleAds:search",
            headers=headers,
            json={"query": "SELECT customer.id FROM customer"},
        )

    assert API_VERSION == "v26"
    for version in ("v26", "v25", "v23"):
        assert ask(version).status_code == 200, version
    for version in ("v21", "v15"):
        response = ask(version)
        assert response.status_code == 404
        error = response.json()["error"]
        assert error["status"] == "NOT_FOUND" and version in error["message"]


def test_an_access_token_expires_after_its_lifetime(world_small):
    handle = start(world_small, token_lifetime=0.2, rate_limit=None)
    try:
        issued = get_token(handle.url).json()
        assert issued["expires_in"] == 0
        hdrs = {
            "Authorization": f"Bearer {issued['access_token']}",
            "developer-token": DEFAULT_DEVELOPER_TOKEN,
        }
        url = f"{handle.url}/{API_VERSION}/customers:listAccessibleCustomers"
        assert requests.get(url, headers=hdrs).status_code == 200
        time.sleep(0.3)
        expired = requests.get(url, headers=hdrs)
        failure(expired, 401, "authenticationError", "OAUTH_TOKEN_EXPIRED")
    finally:
        handle.stop()


# --- resources ----------------------------------------------------------------------------------


def test_list_accessible_customers_names_every_account(gads, headers, world_small):
    response = requests.get(
        f"{gads.url}/{API_VERSION}/customers:listAccessibleCustomers", headers=headers
    )
    assert response.status_code == 200
    expected = [f"customers/{cid}" for cid in customer_ids(world_small)]
    assert response.json() == {"resourceNames": expected}


def test_customer_rows_carry_currency_and_time_zone(gads, headers, world_small):
    query = (
        "SELECT customer.id, customer.descriptive_name, customer.currency_code, "
        "customer.time_zone, customer.manager FROM customer"
    )
    world = current(world_small, "customers", "id")
    assert len({row["currency_code"] for row in world}) > 1
    for row in world:
        body = search(gads.url, headers, row["id"], query).json()
        assert body["fieldMask"] == (
            "customer.id,customer.descriptiveName,customer.currencyCode,customer.timeZone,"
            "customer.manager"
        )
        assert body["results"] == [
            {
                "customer": {
                    "resourceName": f"customers/{row['id']}",
                    "id": row["id"],
                    "descriptiveName": row["descriptive_name"],
                    "currencyCode": row["currency_code"],
                    "timeZone": row["time_zone"],
                    "manager": row["manager"],
                }
            }
        ]


def test_campaigns_match_the_world(gads, headers, world_small):
    query = (
        "SELECT campaign.id, campaign.name, campaign.status, campaign.advertising_channel_type, "
        "campaign.start_date, campaign.end_date, campaign.tracking_url_template, "
        "campaign.final_url_suffix FROM campaign WHERE campaign.status != 'REMOVED'"
    )
    world = {row["id"]: row for row in current(world_small, "campaigns", "id")}
    seen = {}
    for customer in customer_ids(world_small):
        for result in rows(gads.url, headers, customer, query):
            assert set(result) == {"campaign"}
            seen[result["campaign"]["id"]] = (customer, result["campaign"])
    assert set(seen) == set(world)
    for cid, (customer, campaign) in seen.items():
        row = world[cid]
        assert customer == row["customer_id"]
        expected = {
            "resourceName": f"customers/{customer}/campaigns/{cid}",
            "id": cid,
            "name": row["name"],
            "status": row["status"],
            "advertisingChannelType": row["advertising_channel_type"],
            "startDate": row["start_date"].isoformat(),
        }
        if row["end_date"] is not None:
            expected["endDate"] = row["end_date"].isoformat()
        for column, key in (
            ("tracking_url_template", "trackingUrlTemplate"),
            ("final_url_suffix", "finalUrlSuffix"),
        ):
            if row[column] is not None:
                expected[key] = row[column]
        assert campaign == expected


def test_ad_groups_point_at_their_campaigns(gads, headers, world_small):
    query = "SELECT ad_group.id, ad_group.name, ad_group.status, ad_group.campaign FROM ad_group"
    world = {row["id"]: row for row in current(world_small, "ad_groups", "id")}
    seen = {}
    for customer in customer_ids(world_small):
        for result in rows(gads.url, headers, customer, query):
            seen[result["adGroup"]["id"]] = result["adGroup"]
    assert set(seen) == set(world)
    for gid, group in seen.items():
        row = world[gid]
        assert group == {
            "resourceName": f"customers/{row['customer_id']}/adGroups/{gid}",
            "id": gid,
            "name": row["name"],
            "status": row["status"],
            "campaign": f"customers/{row['customer_id']}/campaigns/{row['campaign_id']}",
        }


def test_ads_carry_their_urls_and_custom_parameters(gads, headers, world_small):
    query = (
        "SELECT ad_group_ad.ad.id, ad_group_ad.ad.name, ad_group_ad.ad.type, "
        "ad_group_ad.ad.final_urls, ad_group_ad.ad.tracking_url_template, "
        "ad_group_ad.ad.final_url_suffix, ad_group_ad.ad.url_custom_parameters, "
        "ad_group_ad.status, ad_group.id, campaign.id FROM ad_group_ad"
    )
    world = {row["id"]: row for row in current(world_small, "ads", "id")}
    assert any(row["url_custom_parameters"] for row in world.values())
    assert any(row["tracking_url_template"] is None for row in world.values())
    seen = {}
    for customer in customer_ids(world_small):
        for result in rows(gads.url, headers, customer, query):
            assert set(result) == {"adGroupAd", "adGroup", "campaign"}
            seen[result["adGroupAd"]["ad"]["id"]] = result
    assert set(seen) == set(world)
    for aid, result in seen.items():
        row = world[aid]
        cid, gid = row["customer_id"], row["ad_group_id"]
        ad = {
            "id": aid,
            "name": row["name"],
            "type": row["type"],
            "finalUrls": list(row["final_urls"]),
        }
        if row["tracking_url_template"] is not None:
            ad["trackingUrlTemplate"] = row["tracking_url_template"]
        if row["final_url_suffix"] is not None:
            ad["finalUrlSuffix"] = row["final_url_suffix"]
        if row["url_custom_parameters"]:
            ad["urlCustomParameters"] = [
                {"key": p["key"], "value": p["value"]} for p in row["url_custom_parameters"]
            ]
        assert result == {
            "adGroupAd": {
                "resourceName": f"customers/{cid}/adGroupAds/{gid}~{aid}",
                "ad": ad,
                "status": row["status"],
            },
            "adGroup": {"resourceName": f"customers/{cid}/adGroups/{gid}", "id": gid},
            "campaign": {
                "resourceName": f"customers/{cid}/campaigns/{row['campaign_id']}",
                "id": row["campaign_id"],
            },
        }


# --- metrics ------------------------------------------------------------------------------------


def test_metric_totals_per_customer_equal_the_world(gads, headers, world_small):
    world = metrics(world_small)
    for customer in customer_ids(world_small):
        mine = [row for row in world if row["customer_id"] == customer]
        assert mine
        results = rows(gads.url, headers, customer, METRICS_QUERY)
        assert len(results) == len(mine)
        assert sum(int(r["metrics"]["costMicros"]) for r in results) == sum(
            row["cost_micros"] for row in mine
        )
        assert sum(int(r["metrics"]["clicks"]) for r in results) == sum(
            row["clicks"] for row in mine
        )
        by_key = {(row["ad_id"], row["date"].isoformat()): row for row in mine}
        for result in results:
            row = by_key[metric_key(result)]
            values = result["metrics"]
            assert values["impressions"] == str(row["impressions"])
            assert isinstance(values["conversions"], float)
            assert values["conversions"] == row["conversions"]
            assert values["conversionsValue"] == row["conversions_value"]
        # the same totals aggregated by the API itself, over all time
        total = search(
            gads.url,
            headers,
            customer,
            "SELECT customer.id, metrics.clicks, metrics.cost_micros, metrics.impressions "
            "FROM customer",
        ).json()["results"]
        assert total == [
            {
                "customer": {"resourceName": f"customers/{customer}", "id": customer},
                "metrics": {
                    "clicks": str(sum(row["clicks"] for row in mine)),
                    "costMicros": str(sum(row["cost_micros"] for row in mine)),
                    "impressions": str(sum(row["impressions"] for row in mine)),
                },
            }
        ]


def test_search_pages_cover_every_row_exactly_once(gads, headers, world_small):
    customer = max(
        customer_ids(world_small),
        key=lambda cid: len(metrics(world_small, where=f"customer_id = '{cid}'")),
    )
    expected = metrics(world_small, where=f"customer_id = '{customer}'")
    assert len(expected) > 2 * PAGE
    pages, token, seen = 0, None, []
    while True:
        body = {"searchSettings": {"returnTotalResultsCount": True}}
        if token:
            body["pageToken"] = token
        page = search(gads.url, headers, customer, METRICS_QUERY, **body).json()
        pages += 1
        assert page["totalResultsCount"] == str(len(expected))
        assert len(page["results"]) == (PAGE if "nextPageToken" in page else len(expected) % PAGE)
        seen.extend(metric_key(r) for r in page["results"])
        token = page.get("nextPageToken")
        if token is None:
            break
    assert pages == math.ceil(len(expected) / PAGE)
    assert len(seen) == len(set(seen)) == len(expected)
    assert set(seen) == {(row["ad_id"], row["date"].isoformat()) for row in expected}


def test_page_tokens_and_page_size_are_checked(gads, headers, world_small):
    customer = customer_ids(world_small)[1]
    first = search(gads.url, headers, customer, METRICS_QUERY).json()
    other_query = METRICS_QUERY.replace("metrics.clicks, ", "")
    mismatch = search(gads.url, headers, customer, other_query, pageToken=first["nextPageToken"])
    failure(mismatch, 400, "requestError", "INVALID_PAGE_TOKEN")
    garbage = search(gads.url, headers, customer, METRICS_QUERY, pageToken="not-a-token")
    failure(garbage, 400, "requestError", "INVALID_PAGE_TOKEN")
    sized = search(gads.url, headers, customer, METRICS_QUERY, pageSize=100)
    failure(sized, 400, "requestError", "PAGE_SIZE_NOT_SUPPORTED")
    unknown = search(gads.url, headers, customer, METRICS_QUERY, pageLength=3)
    assert unknown.status_code == 400
    assert unknown.json()["error"]["status"] == "INVALID_ARGUMENT"


def test_search_stream_answers_batches(gads, headers, world_small):
    for customer in customer_ids(world_small):
        expected = metrics(world_small, where=f"customer_id = '{customer}'")
        response = stream(gads.url, headers, customer, METRICS_QUERY)
        assert response.status_code == 200
        batches = response.json()
        assert isinstance(batches, list)
        assert len(batches) == math.ceil(len(expected) / BATCH)
        assert [len(b["results"]) for b in batches[:-1]] == [BATCH] * (len(batches) - 1)
        assert 0 < len(batches[-1]["results"]) <= BATCH
        assert len({b["requestId"] for b in batches}) == len(batches)
        assert all(b["fieldMask"].startswith("adGroupAd.ad.id,segments.date") for b in batches)
        keys = [metric_key(r) for b in batches for r in b["results"]]
        assert len(keys) == len(set(keys)) == len(expected)
        assert sum(int(r["metrics"]["costMicros"]) for b in batches for r in b["results"]) == sum(
            row["cost_micros"] for row in expected
        )
    empty = stream(
        gads.url,
        headers,
        customer,
        "SELECT campaign.id, metrics.clicks FROM campaign WHERE segments.date = '2001-01-01'",
    ).json()
    assert len(empty) == 1 and "results" not in empty[0] and empty[0]["fieldMask"]


def test_summary_row_sums_the_metrics(gads, headers, world_small):
    customer = customer_ids(world_small)[0]
    expected = metrics(world_small, where=f"customer_id = '{customer}'")
    query = (
        f"SELECT campaign.id, metrics.clicks, metrics.cost_micros FROM campaign WHERE {ALL_DATES}"
    )
    page = search(
        gads.url, headers, customer, query, searchSettings={"returnSummaryRow": True}
    ).json()
    assert page["summaryRow"] == {
        "metrics": {
            "clicks": str(sum(row["clicks"] for row in expected)),
            "costMicros": str(sum(row["cost_micros"] for row in expected)),
        }
    }
    batches = stream(
        gads.url, headers, customer, query, summaryRowSetting="SUMMARY_ROW_WITH_RESULTS"
    ).json()
    assert batches[-1]["summaryRow"] == page["summaryRow"]


@pytest.mark.parametrize(
    ("where", "condition"),
    [
        (
            "segments.date BETWEEN '2025-03-01' AND '2025-03-31'",
            "date between '2025-03-01' and '2025-03-31'",
        ),
        (
            "segments.date >= '2025-06-10' AND segments.date <= '2025-07-20'",
            "date between '2025-06-10' and '2025-07-20'",
        ),
        ("segments.date = '2025-05-05'", "date = '2025-05-05'"),
        ("segments.date IN ('2025-05-05', '2025-10-01')", "date in ('2025-05-05', '2025-10-01')"),
        (
            f"{ALL_DATES} AND metrics.clicks > 8 AND ad_group_ad.status = 'ENABLED'",
            "clicks > 8",
        ),
    ],
)
def test_date_and_metric_filters(gads, headers, world_small, where, condition):
    customer = customer_ids(world_small)[1]
    expected = metrics(world_small, where=f"customer_id = '{customer}' and {condition}")
    assert expected
    query = (
        f"SELECT ad_group_ad.ad.id, segments.date, metrics.clicks FROM ad_group_ad WHERE {where}"
    )
    got = [metric_key(r) for r in rows(gads.url, headers, customer, query)]
    assert sorted(got) == sorted((row["ad_id"], row["date"].isoformat()) for row in expected)


def test_order_by_and_limit(gads, headers, world_small):
    customer = customer_ids(world_small)[1]
    expected = metrics(world_small, where=f"customer_id = '{customer}'")
    expected.sort(key=lambda row: (-row["cost_micros"], row["ad_id"], row["date"]))
    query = (
        "SELECT ad_group_ad.ad.id, segments.date, metrics.cost_micros FROM ad_group_ad "
        f"WHERE {ALL_DATES} ORDER BY metrics.cost_micros DESC LIMIT 7"
    )
    page = search(
        gads.url, headers, customer, query, searchSettings={"returnTotalResultsCount": True}
    ).json()
    assert "nextPageToken" not in page
    assert page["totalResultsCount"] == str(len(expected))  # ignores LIMIT
    assert [metric_key(r) for r in page["results"]] == [
        (row["ad_id"], row["date"].isoformat()) for row in expected[:7]
    ]
    by_name = search(
        gads.url,
        headers,
        customer,
        "SELECT ad_group_ad.ad.id, ad_group_ad.ad.name FROM ad_group_ad "
        "ORDER BY ad_group_ad.ad.name DESC",
    ).json()["results"]
    names = [r["adGroupAd"]["ad"]["name"] for r in by_name]
    assert names == sorted(names, reverse=True) and len(names) > 1
    # ordering by a metric that is not selected still aggregates it per ad (over all time)
    clicks: dict[str, int] = {}
    for row in expected:
        clicks[row["ad_id"]] = clicks.get(row["ad_id"], 0) + row["clicks"]
    by_clicks = search(
        gads.url,
        headers,
        customer,
        "SELECT ad_group_ad.ad.id FROM ad_group_ad ORDER BY metrics.clicks DESC",
    ).json()["results"]
    assert [r["adGroupAd"]["ad"]["id"] for r in by_clicks] == sorted(
        clicks, key=lambda ad: (-clicks[ad], ad)
    )


def test_status_and_text_filters(gads, headers, world_small):
    campaigns = current(world_small, "campaigns", "id")
    ads = current(world_small, "ads", "id")
    for customer in customer_ids(world_small):
        mine = [row for row in campaigns if row["customer_id"] == customer]
        for status in ("ENABLED", "PAUSED"):
            got = rows(
                gads.url,
                headers,
                customer,
                f"SELECT campaign.id FROM campaign WHERE campaign.status IN ('{status}')",
            )
            assert len(got) == sum(row["status"] == status for row in mine)
        word = mine[0]["name"].split(" | ")[1]
        liked = rows(
            gads.url,
            headers,
            customer,
            f"SELECT campaign.id FROM campaign WHERE campaign.name LIKE '%| {word} |%'",
        )
        assert len(liked) == sum(f"| {word} |" in row["name"] for row in mine)
        with_template = rows(
            gads.url,
            headers,
            customer,
            "SELECT ad_group_ad.ad.id FROM ad_group_ad "
            "WHERE ad_group_ad.ad.tracking_url_template IS NOT NULL",
        )
        assert {r["adGroupAd"]["ad"]["id"] for r in with_template} == {
            row["id"]
            for row in ads
            if row["customer_id"] == customer and row["tracking_url_template"] is not None
        }


@pytest.mark.parametrize(
    ("query", "code", "trigger"),
    [
        (
            "SELECT campaign.id, campaign.colour FROM campaign",
            "UNRECOGNIZED_FIELD",
            "campaign.colour",
        ),
        ("SELECT metrics.clickz FROM ad_group_ad", "UNRECOGNIZED_FIELD", "metrics.clickz"),
        (
            "SELECT campaign.id FROM campaign WHERE campaign.budget > 3",
            "UNRECOGNIZED_FIELD",
            "campaign.budget",
        ),
        (
            "SELECT ad_group.id FROM campaign",
            "PROHIBITED_RESOURCE_TYPE_IN_SELECT_CLAUSE",
            "ad_group.id",
        ),
        ("SELECT campaign.id FROM campaigns", "BAD_RESOURCE_TYPE_IN_FROM_CLAUSE", "campaigns"),
        (
            "SELECT campaign.id, segments.date, metrics.clicks FROM campaign",
            "EXPECTED_FILTERS_ON_DATE_RANGE",
            "segments.date",
        ),
        (
            "SELECT campaign.id FROM campaign WHERE campaign.status = 'ACTIVE'",
            "BAD_ENUM_CONSTANT",
            "ACTIVE",
        ),
        ("SELECT campaign.id campaign", "EXPECTED_FROM", None),
        ("campaign.id FROM campaign", "EXPECTED_SELECT", None),
        ("SELECT campaign.id FROM campaign LIMIT 0", "BAD_LIMIT_VALUE", None),
        (
            "SELECT campaign.id FROM campaign WHERE campaign.name = 'x' OR campaign.id = 1",
            "UNEXPECTED_INPUT",
            None,
        ),
        (
            "SELECT campaign.id FROM campaign WHERE campaign.name = 'open",
            "STRING_NOT_TERMINATED",
            None,
        ),
        ("SELECT Campaign.Id FROM campaign", "BAD_FIELD_NAME", "Campaign.Id"),
        (
            f"SELECT campaign.id FROM campaign WHERE {ALL_DATES.replace('AND', 'TO')}",
            "EXPECTED_AND",
            None,
        ),
        (
            "SELECT campaign.id FROM campaign "
            "WHERE segments.date BETWEEN '2025-02-01' AND '2025-01-01'",
            "DATE_RANGE_TOO_NARROW",
            None,
        ),
        (
            "SELECT campaign.id FROM campaign WHERE segments.date >= '2025/01/01'",
            "BAD_VALUE",
            "2025/01/01",
        ),
    ],
)
def test_gaql_errors_name_the_problem(gads, headers, world_small, query, code, trigger):
    customer = customer_ids(world_small)[0]
    for call in (search, stream):
        only = failure(call(gads.url, headers, customer, query), 400, "queryError", code)
        if trigger is not None:
            assert only["trigger"] == {"stringValue": trigger}
            assert trigger in only["message"]


def test_only_selected_fields_and_resource_names_appear(gads, headers, world_small):
    customer = customer_ids(world_small)[0]
    query = (
        f"SELECT campaign.name, metrics.clicks, segments.date FROM ad_group_ad WHERE {ALL_DATES}"
    )
    result = search(gads.url, headers, customer, query).json()["results"][0]
    assert set(result) == {"adGroupAd", "campaign", "metrics", "segments"}
    assert set(result["adGroupAd"]) == {"resourceName"}
    assert set(result["campaign"]) == {"resourceName", "name"}
    assert set(result["metrics"]) == {"clicks"} and set(result["segments"]) == {"date"}
    omitted = search(
        gads.url,
        headers,
        customer,
        query + " PARAMETERS omit_unselected_resource_names = true",
    ).json()["results"][0]
    assert omitted["campaign"] == {"name": result["campaign"]["name"]}
    assert "adGroupAd" not in omitted


# --- time ---------------------------------------------------------------------------------------


def test_time_moves_and_restated_metrics_replace_the_old_figures(world_small):
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    restated = con.execute(
        f"""
        select ad_id, date, customer_id,
            list(conversions order by _version_at) as conversions,
            list(_version_at order by _version_at) as versions
        from '{world_small}/google_ads/ad_metrics.parquet'
        group by all having count(*) > 1
        order by date, ad_id
        """
    ).fetchall()
    ad_id, day, customer, conversions, versions = next(r for r in restated if r[3][0] != r[3][-1])
    moment = versions[0] + (versions[1] - versions[0]) / 2
    handle = start(world_small, moment, rate_limit=None)
    try:
        hdrs = auth(handle.url)
        query = (
            "SELECT ad_group_ad.ad.id, segments.date, metrics.conversions FROM ad_group_ad "
            f"WHERE segments.date = '{day.isoformat()}' AND ad_group_ad.ad.id = {ad_id}"
        )

        def figure():
            results = search(handle.url, hdrs, customer, query).json().get("results", [])
            return [r["metrics"]["conversions"] for r in results]

        assert figure() == [conversions[0]]
        # the account's totals as of the moment are the world's state as of the moment
        expected = metrics(world_small, moment, where=f"customer_id = '{customer}'")
        results = rows(handle.url, hdrs, customer, METRICS_QUERY)
        assert (
            len(results)
            == len(expected)
            < len(metrics(world_small, where=f"customer_id = '{customer}'"))
        )
        assert sum(r["metrics"]["conversions"] for r in results) == pytest.approx(
            sum(row["conversions"] for row in expected)
        )
        # DURING is relative to the account's local date at the moment
        account = current(world_small, "customers", "id", where=f"id = '{customer}'")[0]
        today = moment.astimezone(ZoneInfo(account["time_zone"])).date()
        last7 = {today - timedelta(days=n) for n in range(1, 8)}
        during = rows(
            handle.url,
            hdrs,
            customer,
            "SELECT ad_group_ad.ad.id, segments.date, metrics.clicks FROM ad_group_ad "
            "WHERE segments.date DURING LAST_7_DAYS",
        )
        assert sorted(metric_key(r) for r in during) == sorted(
            (row["ad_id"], row["date"].isoformat()) for row in expected if row["date"] in last7
        )
        assert during

        handle.state.advance(versions[-1])
        assert figure() == [conversions[-1]]
        handle.state.advance(versions[0] - timedelta(seconds=1))
        assert figure() == []
    finally:
        handle.stop()


def test_keyword_view_and_conversions_by_action_add_up_to_the_ads(gads, headers, world_small):
    customer = customer_ids(world_small)[0]
    ads = metrics(world_small, where=f"customer_id = '{customer}'")
    keyword_rows = rows(
        gads.url,
        headers,
        customer,
        "SELECT ad_group.id, ad_group_criterion.criterion_id, ad_group_criterion.keyword.text, "
        "ad_group_criterion.keyword.match_type, ad_group_criterion.status, segments.date, "
        "metrics.impressions, metrics.clicks, metrics.cost_micros, metrics.conversions "
        f"FROM keyword_view WHERE {ALL_DATES}",
    )
    first = keyword_rows[0]
    assert first["keywordView"]["resourceName"].startswith(f"customers/{customer}/keywordViews/")
    assert first["adGroupCriterion"]["keyword"]["matchType"] in {"EXACT", "PHRASE", "BROAD"}
    assert first["adGroupCriterion"]["status"] == "ENABLED"
    assert sum(int(r["metrics"]["costMicros"]) for r in keyword_rows) == sum(
        a["cost_micros"] for a in ads
    )
    assert sum(int(r["metrics"].get("clicks", "0")) for r in keyword_rows) == sum(
        a["clicks"] for a in ads
    )
    assert sum(r["metrics"].get("conversions", 0.0) for r in keyword_rows) == sum(
        a["conversions"] for a in ads
    )
    by_action = rows(
        gads.url,
        headers,
        customer,
        "SELECT ad_group_ad.ad.id, segments.conversion_action, segments.conversion_action_name, "
        f"segments.date, metrics.conversions, metrics.conversions_value FROM ad_group_ad "
        f"WHERE {ALL_DATES}",
    )
    assert {r["segments"]["conversionActionName"] for r in by_action} == {
        "Demo request",
        "Contact sales form",
        "Free trial signup",
    }
    assert all(
        r["segments"]["conversionAction"].startswith(f"customers/{customer}/conversionActions/")
        for r in by_action
    )
    assert sum(r["metrics"].get("conversions", 0.0) for r in by_action) == sum(
        a["conversions"] for a in ads
    )
    assert round(sum(r["metrics"].get("conversionsValue", 0.0) for r in by_action), 2) == round(
        sum(a["conversions_value"] for a in ads), 2
    )
    actions = rows(
        gads.url,
        headers,
        customer,
        "SELECT conversion_action.id, conversion_action.name, conversion_action.category "
        "FROM conversion_action",
    )
    assert len(actions) == 3
    mixed = search(
        gads.url,
        headers,
        customer,
        f"SELECT segments.conversion_action, metrics.clicks FROM ad_group_ad WHERE {ALL_DATES}",
    )
    failure(mixed, 400, "queryError", "PROHIBITED_SEGMENT_WITH_METRIC_IN_SELECT_OR_WHERE_CLAUSE")


def test_a_planned_quota_error_carries_its_details(gads, headers, world_small):
    customer = customer_ids(world_small)[0]
    path = f"/{API_VERSION}/customers/{customer}/googleAds:search"
    options = {"code": "RESOURCE_EXHAUSTED", "rate_name": "Requests per account", "retry_delay": 7}
    gads.plan.add(Fault("quota_error", path=path, options=options))
    refused = search(gads.url, headers, customer, "SELECT customer.id FROM customer")
    only = failure(refused, 429, "quotaError", "RESOURCE_EXHAUSTED")
    assert only["details"]["quotaErrorDetails"] == {
        "rateScope": "ACCOUNT",
        "rateName": "Requests per account",
        "retryDelay": "7s",
    }
    assert "Retry-After" not in refused.headers
    assert (
        search(gads.url, headers, customer, "SELECT customer.id FROM customer").status_code == 200
    )


# --- limits -------------------------------------------------------------------------------------


def test_rate_limit_answers_resource_temporarily_exhausted(world_small):
    handle = start(world_small, rate_limit=(3, 60.0))
    try:
        hdrs = auth(handle.url)
        url = f"{handle.url}/{API_VERSION}/customers:listAccessibleCustomers"
        assert [requests.get(url, headers=hdrs).status_code for _ in range(3)] == [200] * 3
        limited = requests.get(url, headers=hdrs)
        only = failure(limited, 429, "quotaError", "RESOURCE_TEMPORARILY_EXHAUSTED")
        error = limited.json()["error"]
        assert error["status"] == "RESOURCE_EXHAUSTED"
        assert error["message"] == "Resource has been exhausted (e.g. check quota)."
        delay = only["details"]["quotaErrorDetails"]["retryDelay"]
        assert delay.endswith("s") and 1 <= int(delay[:-1]) <= 60
        assert "Retry in" in only["message"]
    finally:
        handle.stop()


def test_daily_operations_limit_spares_page_token_requests(world_small):
    handle = start(world_small, rate_limit=None, daily_limit=2, page_size=PAGE)
    try:
        hdrs = auth(handle.url)
        customer = customer_ids(world_small)[1]
        url = f"{handle.url}/{API_VERSION}/customers:listAccessibleCustomers"
        assert requests.get(url, headers=hdrs).status_code == 200
        first = search(handle.url, hdrs, customer, METRICS_QUERY).json()
        token = first["nextPageToken"]
        nxt = search(handle.url, hdrs, customer, METRICS_QUERY, pageToken=token)
        assert nxt.status_code == 200 and nxt.json()["results"]
        over = search(handle.url, hdrs, customer, METRICS_QUERY)
        only = failure(over, 429, "quotaError", "RESOURCE_EXHAUSTED")
        assert only["details"]["quotaErrorDetails"]["rateScope"] == "DEVELOPER"
        failure(
            stream(handle.url, hdrs, customer, METRICS_QUERY),
            429,
            "quotaError",
            "RESOURCE_EXHAUSTED",
        )
    finally:
        handle.stop()


# --- faults -------------------------------------------------------------------------------------


def test_injected_statuses_use_google_error_bodies(gads, headers, world_small):
    customer = customer_ids(world_small)[0]
    path = f"/{API_VERSION}/customers/{customer}/googleAds:search"
    query = "SELECT customer.id FROM customer"
    gads.plan.add(Fault("status", path=path, status=500, retry_after=2))
    internal = search(gads.url, headers, customer, query)
    failure(internal, 500, "internalError", "INTERNAL_ERROR")
    assert internal.headers["Retry-After"] == "2"
    gads.plan.add(Fault("status", path=path, status=429))
    failure(
        search(gads.url, headers, customer, query),
        429,
        "quotaError",
        "RESOURCE_TEMPORARILY_EXHAUSTED",
    )
    gads.plan.add(Fault("status", path=path, status=503))
    unavailable = search(gads.url, headers, customer, query)
    assert unavailable.status_code == 503
    assert unavailable.json()["error"]["status"] == "UNAVAILABLE"
    assert search(gads.url, headers, customer, query).status_code == 200


def test_reset_slow_and_truncate_faults(gads, headers, world_small):
    customer = customer_ids(world_small)[0]
    path = f"/{API_VERSION}/customers/{customer}/googleAds:searchStream"
    gads.plan.add(Fault("reset", path=path))
    with pytest.raises(requests.exceptions.RequestException):
        stream(gads.url, headers, customer, METRICS_QUERY)
    gads.plan.add(Fault("truncate", path=path))
    cut = stream(gads.url, headers, customer, METRICS_QUERY)
    assert cut.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(cut.text)
    gads.plan.add(Fault("slow", path=path, seconds=0.4))
    began = time.monotonic()
    slow = stream(gads.url, headers, customer, "SELECT customer.id FROM customer")
    assert slow.status_code == 200 and time.monotonic() - began >= 0.4
    assert stream(gads.url, headers, customer, METRICS_QUERY).status_code == 200


def test_expired_token_fault_kills_the_token_until_refreshed(gads, world_small):
    hdrs = auth(gads.url)
    url = f"{gads.url}/{API_VERSION}/customers:listAccessibleCustomers"
    gads.plan.add(Fault("expired_token", path=f"/{API_VERSION}/customers"))
    expired = requests.get(url, headers=hdrs)
    only = failure(expired, 401, "authenticationError", "OAUTH_TOKEN_EXPIRED")
    assert "expired" in only["message"]
    assert expired.json()["error"]["status"] == "UNAUTHENTICATED"
    failure(requests.get(url, headers=hdrs), 401, "authenticationError", "OAUTH_TOKEN_INVALID")
    assert requests.get(url, headers=auth(gads.url)).status_code == 200


def test_repeat_record_fault_repeats_the_last_row_of_the_previous_page(gads, headers, world_small):
    customer = customer_ids(world_small)[1]
    first = search(gads.url, headers, customer, METRICS_QUERY).json()
    gads.plan.add(
        Fault("repeat_record", path=f"/{API_VERSION}/customers/{customer}/googleAds:search")
    )
    second = search(
        gads.url, headers, customer, METRICS_QUERY, pageToken=first["nextPageToken"]
    ).json()
    assert len(second["results"]) == PAGE + 1
    assert second["results"][0] == first["results"][-1]
    again = search(
        gads.url, headers, customer, METRICS_QUERY, pageToken=first["nextPageToken"]
    ).json()
    assert again["results"] == second["results"][1:]
    assert again["nextPageToken"] == second["nextPageToken"]


def test_admin_routes_move_the_clock(gads, headers, world_small):
    customer = customer_ids(world_small)[1]
    end = gads.state.end
    earlier = datetime(2025, 1, 15, tzinfo=UTC)
    try:
        moved = requests.post(f"{gads.url}/__admin/time", json={"as_of": earlier.isoformat()})
        assert moved.json() == {"as_of": earlier.isoformat()}
        got = rows(gads.url, headers, customer, METRICS_QUERY)
        assert len(got) == len(metrics(world_small, earlier, f"customer_id = '{customer}'"))
        assert max(r["segments"]["date"] for r in got) < date(2025, 1, 15).isoformat()
    finally:
        gads.state.advance(end)
