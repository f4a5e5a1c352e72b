"""The local HubSpot API: wire format, paging, the clock, limits and faults."""

import json
import re
import time
from datetime import UTC, datetime, timedelta

import duckdb
import pytest
import requests

from gtm_demo.servers.hubspot import start
from gtm_demo.serving import Fault

AUTH = {"Authorization": "Bearer demo-hubspot-token"}
ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@pytest.fixture(scope="module")
def hubspot(world_small):
    handle = start(world_small, rate_limit=(100_000, 10.0), search_rate_limit=None)
    yield handle
    handle.stop()


def current(world, table, moment=None, where="true"):
    """Rows of the state of a HubSpot table at `moment` (default: the end), from the file."""
    moment_sql = f"'{moment.isoformat()}'::timestamptz" if moment else "'infinity'::timestamptz"
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    result = con.execute(
        f"""
        select * from (
            select *, row_number() over (partition by id order by _version_at desc) as _rn
            from '{world}/hubspot/{table}.parquet' where _version_at <= {moment_sql}
        ) where _rn = 1 and ({where})
        """
    )
    names = [d[0] for d in result.description]
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


def page_all(url, params=None, limit=100):
    records, after = [], None
    while True:
        query = {"limit": limit, **(params or {})}
        if after:
            query["after"] = after
        response = requests.get(url, params=query, headers=AUTH, timeout=10)
        assert response.status_code == 200, response.text
        body = response.json()
        records.extend(body["results"])
        if "paging" not in body:
            return records
        after = body["paging"]["next"]["after"]
        assert body["paging"]["next"]["link"].startswith("http")


def test_listing_pages_through_the_live_contacts(hubspot, world_small):
    records = page_all(f"{hubspot.url}/crm/v3/objects/contacts")
    expected = current(world_small, "contacts", where="not archived and _merged_into is null")
    ids = [r["id"] for r in records]
    assert len(ids) == len(set(ids)) == len(expected)
    assert set(ids) == {row["id"] for row in expected}
    assert ids == sorted(ids, key=int)
    for record in records:
        assert set(record["properties"]) == {
            "createdate",
            "email",
            "firstname",
            "hs_object_id",
            "lastmodifieddate",
            "lastname",
        }
        assert record["properties"]["hs_object_id"] == record["id"]
        assert ISO_MS.match(record["properties"]["lastmodifieddate"])
        assert record["archived"] is False and "archivedAt" not in record
        assert not any(key.startswith("_") for key in json.dumps(record).split('"'))


def test_archived_listing_returns_only_archived_records(hubspot, world_small):
    for table in ("contacts", "companies", "deals"):
        records = page_all(f"{hubspot.url}/crm/v3/objects/{table}", {"archived": "true"})
        where = "archived" + (" and _merged_into is null" if table == "contacts" else "")
        expected = current(world_small, table, where=where)
        assert {r["id"] for r in records} == {row["id"] for row in expected}
        assert all(r["archived"] is True and ISO_MS.match(r["archivedAt"]) for r in records)
        if table == "contacts":
            assert expected, "the world has archived contacts"


def test_property_values_are_strings(hubspot, world_small):
    records = page_all(
        f"{hubspot.url}/crm/v3/objects/companies",
        {"properties": "numberofemployees,annualrevenue,industry,nonexistent"},
    )
    expected = {row["id"]: row for row in current(world_small, "companies", where="not archived")}
    assert len(records) == len(expected)
    for record in records:
        props = record["properties"]
        # requested ones plus what HubSpot always adds; unknown names are ignored
        assert set(props) == {
            "numberofemployees",
            "annualrevenue",
            "industry",
            "createdate",
            "hs_lastmodifieddate",
            "hs_object_id",
        }
        assert all(value is None or isinstance(value, str) for value in props.values())
        row = expected[record["id"]]
        if row["numberofemployees"] is not None:
            assert props["numberofemployees"] == str(row["numberofemployees"])
        if row["annualrevenue"] is not None:
            assert float(props["annualrevenue"]) == float(row["annualrevenue"])
    deals = page_all(f"{hubspot.url}/crm/v3/objects/deals")
    assert all(isinstance(d["properties"]["amount"], str | None) for d in deals)


def test_custom_property_appears_after_it_is_introduced(world_small):
    meta = json.loads((world_small / "hubspot" / "_properties.json").read_text())
    introduced = next(p for p in meta["contacts"] if p["name"] == "product_interest")
    introduced_at = datetime.fromisoformat(introduced["introduced_at"])
    handle = start(world_small, introduced_at - timedelta(days=1), search_rate_limit=None)
    try:
        props = requests.get(f"{handle.url}/crm/v3/properties/contacts", headers=AUTH).json()
        assert "product_interest" not in {p["name"] for p in props["results"]}
        listed = requests.get(
            f"{handle.url}/crm/v3/objects/contacts",
            params={"limit": 100, "properties": "email,product_interest"},
            headers=AUTH,
        ).json()
        assert all("product_interest" not in r["properties"] for r in listed["results"])

        handle.state.advance(handle.state.end)
        props = requests.get(f"{handle.url}/crm/v3/properties/contacts", headers=AUTH).json()
        custom = next(p for p in props["results"] if p["name"] == "product_interest")
        assert "hubspotDefined" not in custom and custom["type"] == "string"
        records = page_all(
            f"{handle.url}/crm/v3/objects/contacts", {"properties": "email,product_interest"}
        )
        assert all("product_interest" in r["properties"] for r in records)
        assert any(r["properties"]["product_interest"] for r in records)
    finally:
        handle.stop()


def test_an_earlier_moment_has_fewer_contacts_and_older_versions(world_small):
    handle = start(world_small, search_rate_limit=None)
    try:
        late = {
            r["id"]: r["properties"]["lastmodifieddate"]
            for r in page_all(f"{handle.url}/crm/v3/objects/contacts")
        }
        moment = datetime(2025, 9, 1, tzinfo=UTC)
        handle.state.advance(moment)
        early = {
            r["id"]: r["properties"]["lastmodifieddate"]
            for r in page_all(f"{handle.url}/crm/v3/objects/contacts")
        }
    finally:
        handle.stop()
    expected = current(world_small, "contacts", moment, "not archived and _merged_into is null")
    assert set(early) == {row["id"] for row in expected}
    assert len(early) < len(late)
    shared = set(early) & set(late)
    assert any(early[i] != late[i] for i in shared)
    assert all(early[i] <= late[i] for i in shared)


def test_search_filters_pages_and_caps_at_ten_thousand(hubspot, world_small):
    since = datetime(2026, 1, 1, tzinfo=UTC)
    url = f"{hubspot.url}/crm/v3/objects/contacts/search"
    query = {
        "filterGroups": [
            {
                "filters": [
                    {
                        "propertyName": "lastmodifieddate",
                        "operator": "GTE",
                        "value": str(int(since.timestamp() * 1000)),
                    }
                ]
            }
        ],
        "sorts": [{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}],
        "properties": ["email", "lastmodifieddate"],
        "limit": 200,
    }
    found, after = [], None
    while True:
        response = requests.post(url, json={**query, "after": after}, headers=AUTH)
        assert response.status_code == 200, response.text
        assert "X-HubSpot-RateLimit-Max" not in response.headers
        body = response.json()
        found.extend(body["results"])
        if "paging" not in body:
            break
        after = body["paging"]["next"]["after"]
        assert body["paging"]["next"]["link"] == f"?after={after}"
    expected = current(
        world_small,
        "contacts",
        where=f"not archived and _merged_into is null "
        f"and lastmodifieddate >= '{since.isoformat()}'::timestamptz",
    )
    assert body["total"] == len(expected) == len(found)
    assert {r["id"] for r in found} == {row["id"] for row in expected}
    stamps = [r["properties"]["lastmodifieddate"] for r in found]
    assert stamps == sorted(stamps)

    first = found[0]["id"]
    by_id = requests.post(
        url,
        json={
            "filterGroups": [
                {"filters": [{"propertyName": "hs_object_id", "operator": "EQ", "value": first}]}
            ]
        },
        headers=AUTH,
    ).json()
    assert [r["id"] for r in by_id["results"]] == [first]

    capped = requests.post(url, json={**query, "after": "9999", "limit": 2}, headers=AUTH)
    assert capped.status_code == 400
    body = capped.json()
    assert body["status"] == "error" and body["category"] == "VALIDATION_ERROR"
    assert body["correlationId"]


def test_bad_or_missing_token_is_401_with_hubspot_body(hubspot):
    for headers in ({"Authorization": "Bearer wrong"}, {}):
        response = requests.get(f"{hubspot.url}/crm/v3/objects/contacts", headers=headers)
        assert response.status_code == 401
        body = response.json()
        assert body["status"] == "error"
        assert body["category"] == "INVALID_AUTHENTICATION"
        assert body["message"].startswith("Authentication credentials not found")
        assert body["correlationId"]


def test_over_the_rolling_limit_is_429_with_headers(world_small):
    handle = start(world_small, rate_limit=(5, 1.0), search_rate_limit=(2, 1.0))
    try:
        url = f"{handle.url}/crm/v3/owners/"
        answers = [requests.get(url, headers=AUTH) for _ in range(6)]
        assert [a.status_code for a in answers] == [200] * 5 + [429]
        assert [a.headers["X-HubSpot-RateLimit-Remaining"] for a in answers] == [
            "4",
            "3",
            "2",
            "1",
            "0",
            "0",
        ]
        for answer in answers:
            assert answer.headers["X-HubSpot-RateLimit-Max"] == "5"
            assert answer.headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "1000"
        assert "X-HubSpot-RateLimit-Daily-Remaining" in answers[0].headers
        body = answers[-1].json()
        assert body["errorType"] == "RATE_LIMIT"
        assert body["policyName"] == "TEN_SECONDLY_ROLLING"
        assert body["status"] == "error" and body["correlationId"] and body["requestId"]
        time.sleep(1.05)
        assert requests.get(url, headers=AUTH).status_code == 200

        search = f"{handle.url}/crm/v3/objects/deals/search"
        codes = [requests.post(search, json={}, headers=AUTH) for _ in range(3)]
        assert [c.status_code for c in codes] == [200, 200, 429]
        assert codes[-1].json()["policyName"] == "SECONDLY"
    finally:
        handle.stop()


def test_faults_as_a_plain_client_sees_them(hubspot):
    url = f"{hubspot.url}/crm/v3/objects/contacts"
    plan = hubspot.plan

    plan.add(Fault("status", path="/crm/v3/objects/contacts", status=429, retry_after=2))
    response = requests.get(url, headers=AUTH)
    assert response.status_code == 429 and response.headers["Retry-After"] == "2"
    assert response.json()["policyName"] == "TEN_SECONDLY_ROLLING"

    plan.add(Fault("status", path="/crm/v3/objects/contacts", status=429))
    response = requests.get(url, headers=AUTH)
    assert response.status_code == 429 and "Retry-After" not in response.headers
    assert response.json()["errorType"] == "RATE_LIMIT"

    plan.add(Fault("status", path="/crm/v3/objects/contacts", status=503, count=2))
    assert [requests.get(url, headers=AUTH).status_code for _ in range(3)] == [503, 503, 200]

    plan.add(Fault("reset", path="/crm/v3/objects/contacts"))
    with pytest.raises(requests.exceptions.RequestException):
        requests.get(url, headers=AUTH, timeout=5)

    plan.add(Fault("slow", path="/crm/v3/objects/contacts", seconds=0.5))
    began = time.monotonic()
    assert requests.get(url, headers=AUTH).status_code == 200
    assert time.monotonic() - began >= 0.5

    plan.add(Fault("truncate", path="/crm/v3/objects/contacts"))
    response = requests.get(url, headers=AUTH)
    with pytest.raises(ValueError):
        response.json()

    plan.add(Fault("expired_token", path="/crm/v3/objects/contacts"))
    response = requests.get(url, headers=AUTH)
    assert response.status_code == 401
    assert response.json()["category"] == "EXPIRED_AUTHENTICATION"
    assert requests.get(url, headers=AUTH).status_code == 200


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/crm/v3/objects/contacts", {"limit": 5}),
        ("/email/public/v1/events", {"limit": 5}),
        ("/events/v3/events", {"limit": 5, "objectType": "contact"}),
    ],
)
def test_repeat_record_duplicates_across_a_page_boundary(hubspot, path, params):
    url = f"{hubspot.url}{path}"
    first = requests.get(url, params=params, headers=AUTH).json()
    key = "events" if "events" in first and "results" not in first else "results"
    cursor = {"offset": first["offset"]} if key == "events" else first["paging"]["next"]
    cursor = {"after": cursor["after"]} if "after" in cursor else cursor
    clean = requests.get(url, params={**params, **cursor}, headers=AUTH).json()
    hubspot.plan.add(Fault("repeat_record", path=path))
    repeated = requests.get(url, params={**params, **cursor}, headers=AUTH).json()
    assert repeated[key][0] == first[key][-1]
    assert repeated[key][1:] == clean[key]


def test_search_repeat_record(hubspot):
    url = f"{hubspot.url}/crm/v3/objects/contacts/search"
    first = requests.post(url, json={"limit": 3}, headers=AUTH).json()
    hubspot.plan.add(Fault("repeat_record", path="/crm/v3/objects/contacts/search"))
    second = requests.post(url, json={"limit": 3, "after": "3"}, headers=AUTH).json()
    assert second["results"][0] == first["results"][-1]
    assert len(second["results"]) == 4
    assert second["paging"]["next"]["after"] == "6"


def test_association_batch_read_serves_both_directions(hubspot, world_small):
    assoc = duckdb.sql(f"select * from '{world_small}/hubspot/associations.parquet'").fetchall()
    deal_companies, contact_deals = {}, {}
    for from_type, from_id, to_type, to_id, type_id, *_ in assoc:
        if from_type == "deals" and to_type == "companies":
            deal_companies.setdefault(from_id, set()).add((to_id, type_id))
        if from_type == "deals" and to_type == "contacts":
            contact_deals.setdefault(to_id, set()).add((from_id, type_id))
    several = next(d for d, links in deal_companies.items() if len({t for t, _ in links}) > 1)
    response = requests.post(
        f"{hubspot.url}/crm/v4/associations/deals/companies/batch/read",
        json={"inputs": [{"id": several}]},
        headers=AUTH,
    )
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "COMPLETE" and "errors" not in body
    [result] = body["results"]
    assert result["from"] == {"id": several}
    served = {
        (str(t["toObjectId"]), a["typeId"]) for t in result["to"] for a in t["associationTypes"]
    }
    assert served == deal_companies[several]
    assert {type_id for _, type_id in served} == {5, 341}
    assert all(isinstance(t["toObjectId"], int) for t in result["to"])

    # the stored deal -> contact direction read the other way, with an input that has none
    with_deal = next(iter(contact_deals))
    alone = next(r["id"] for r in current(world_small, "contacts") if r["id"] not in contact_deals)
    back = requests.post(
        f"{hubspot.url}/crm/v4/associations/contacts/deals/batch/read",
        json={"inputs": [{"id": with_deal}, {"id": alone}]},
        headers=AUTH,
    )
    assert back.status_code == 207
    body = back.json()
    assert body["numErrors"] == 1 and body["errors"][0]["context"] == {"fromObjectId": [alone]}
    [result] = body["results"]
    served = {
        (str(t["toObjectId"]), a["typeId"]) for t in result["to"] for a in t["associationTypes"]
    }
    assert served == {(deal, 4) for deal, _ in contact_deals[with_deal]}


def _all_email_events(url: str, params: dict) -> list[dict]:
    """Page through the legacy e-mail events endpoint by its offset until hasMore is false."""
    seen, offset = [], None
    while True:
        page = {**params, **({"offset": offset} if offset else {})}
        body = requests.get(f"{url}/email/public/v1/events", params=page, headers=AUTH).json()
        seen.extend(body["events"])
        offset = body["offset"]
        if not body["hasMore"]:
            return seen


def test_email_events_paging_totals_match_the_visible_rows(hubspot, world_small):
    seen = _all_email_events(hubspot.url, {"limit": 1000})
    expected = duckdb.sql(
        f"select count(*), count(*) filter (type = 'CLICK') "
        f"from '{world_small}/hubspot/email_events.parquet'"
    ).fetchall()[0]
    assert len(seen) == len({e["id"] for e in seen}) == expected[0]
    clicks = [e for e in seen if e["type"] == "CLICK"]
    assert len(clicks) == expected[1] and all(e["url"] for e in clicks)
    assert all(isinstance(e["created"], int) for e in seen)
    created = [e["created"] for e in seen]
    assert created == sorted(created, reverse=True)


def test_email_events_at_an_earlier_moment_and_filters(world_small):
    moment = datetime(2025, 3, 1, tzinfo=UTC)
    handle = start(world_small, moment, search_rate_limit=None)
    try:
        start_ms = int(datetime(2025, 1, 1, tzinfo=UTC).timestamp() * 1000)
        seen = _all_email_events(
            handle.url, {"limit": 1000, "startTimestamp": start_ms, "eventType": "DELIVERED"}
        )
    finally:
        handle.stop()
    expected = duckdb.sql(
        f"select count(*) from '{world_small}/hubspot/email_events.parquet' "
        f"where type = 'DELIVERED' and _version_at <= '{moment.isoformat()}'::timestamptz "
        f"and created >= '2025-01-01T00:00:00+00:00'::timestamptz"
    ).fetchall()[0][0]
    assert 0 < len(seen) == expected


def test_forms_and_submissions(hubspot, world_small):
    forms = requests.get(f"{hubspot.url}/marketing/v3/forms/", headers=AUTH).json()["results"]
    total = 0
    for form in forms:
        submissions = page_all(
            f"{hubspot.url}/form-integrations/v1/submissions/forms/{form['id']}", limit=50
        )
        stamps = [s["submittedAt"] for s in submissions]
        assert stamps == sorted(stamps, reverse=True)
        assert all({"name", "value"} == set(v) for s in submissions for v in s["values"])
        total += len(submissions)
    assert (
        len(forms)
        == duckdb.sql(f"select count(*) from '{world_small}/hubspot/forms.parquet'").fetchall()[0][
            0
        ]
    )
    assert (
        total
        == duckdb.sql(
            f"select count(*) from '{world_small}/hubspot/form_submissions.parquet'"
        ).fetchall()[0][0]
    )


def test_web_events_in_a_window(hubspot, world_small):
    after, before = "2025-09-01T00:00:00.000Z", "2025-10-01T00:00:00.000Z"
    events = page_all(
        f"{hubspot.url}/events/v3/events",
        {
            "objectType": "contact",
            "eventType": "e_visited_page",
            "occurredAfter": after,
            "occurredBefore": before,
        },
    )
    expected = duckdb.sql(
        f"select count(*) from '{world_small}/hubspot/web_events.parquet' "
        f"where occurred_at >= '{after}'::timestamptz and occurred_at < '{before}'::timestamptz"
    ).fetchall()[0][0]
    assert 0 < len(events) == len({e["id"] for e in events}) == expected
    event = events[0]
    assert event["objectType"] == "CONTACT" and ISO_MS.match(event["occurredAt"])
    assert set(event["properties"]) == {"hs_url", "hs_referrer", "hs_page_title"}


def test_pipelines_owners_and_properties(hubspot, world_small):
    pipelines = requests.get(f"{hubspot.url}/crm/v3/pipelines/deals", headers=AUTH).json()
    stages = pipelines["results"][0]["stages"]
    assert {"closedwon", "closedlost"} <= {s["id"] for s in stages}
    assert all(s["metadata"]["isClosed"] in ("true", "false") for s in stages)
    owners = page_all(f"{hubspot.url}/crm/v3/owners/", limit=3)
    assert len(owners) == len(current(world_small, "owners", where="not archived"))
    props = requests.get(f"{hubspot.url}/crm/v3/properties/deals", headers=AUTH).json()
    names = {p["name"] for p in props["results"]}
    assert {"amount", "dealstage", "hs_lastmodifieddate", "hs_object_id"} <= names
