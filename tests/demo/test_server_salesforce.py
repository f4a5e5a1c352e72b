"""The local Salesforce: real wire formats, exact against the world files, faults on demand."""

import csv
import gzip
import io
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import requests

from gtm_demo.servers import salesforce
from gtm_demo.serving import Fault

API = "/services/data/v68.0"
END = datetime(2026, 6, 30, tzinfo=UTC)
SESSION_ERROR = [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
LEAD_FIELDS = [
    "Id",
    "FirstName",
    "LastName",
    "Email",
    "Company",
    "Status",
    "IsConverted",
    "ConvertedDate",
    "SystemModstamp",
    "IsDeleted",
]


def truth(world: Path, sobject: str, where: str = "true", moment: datetime = END) -> list[dict]:
    """Current versions of `sobject` as of `moment`, read straight from the world file."""
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    result = con.execute(
        "select * exclude (_rank, _version_at) from (select *, row_number() over "
        "(partition by Id order by _version_at desc) as _rank from read_parquet(?) "
        f"where _version_at <= ?) where _rank = 1 and ({where}) order by Id",
        [str(world / "salesforce" / f"{sobject}.parquet"), moment],
    )
    names = [column[0] for column in result.description]
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


def wire(value: object) -> object:
    """A world value as the REST API sends it."""
    if isinstance(value, datetime):
        return salesforce.format_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def token(url: str, **form: str) -> str:
    body = {"grant_type": "client_credentials", "client_id": "demo-client"}
    body |= {"client_secret": "demo-secret", **form}
    response = requests.post(f"{url}/services/oauth2/token", data=body, timeout=5)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def client(url: str) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token(url)}"
    return session


def soql(session: requests.Session, url: str, q: str, *, endpoint: str = "query", batch=None):
    """Run a query and follow nextRecordsUrl; return (records, pages)."""
    headers = {"Sforce-Query-Options": f"batchSize={batch}"} if batch else {}
    response = session.get(f"{url}{API}/{endpoint}", params={"q": q}, headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    pages = [response.json()]
    while not pages[-1]["done"]:
        following = pages[-1]["nextRecordsUrl"]
        assert following.startswith(f"{API}/query/")
        response = session.get(f"{url}{following}", timeout=10)
        assert response.status_code == 200, response.text
        pages.append(response.json())
    records = [record for page in pages for record in page["records"]]
    assert all(page["totalSize"] == len(records) for page in pages)
    return records, pages


@pytest.fixture(scope="module")
def server(world_small: Path):
    handle = salesforce.start(world_small)
    yield handle
    handle.stop()


@pytest.fixture
def session(server) -> requests.Session:
    server.plan.clear()
    return client(server.url)


def test_token_flow_and_invalid_sessions(server) -> None:
    form = {"grant_type": "client_credentials", "client_id": "demo-client"}
    good = requests.post(
        f"{server.url}/services/oauth2/token", data={**form, "client_secret": "demo-secret"}
    )
    body = good.json()
    assert good.status_code == 200
    assert set(body) == {
        "access_token",
        "instance_url",
        "id",
        "token_type",
        "issued_at",
        "signature",
    }
    assert body["token_type"] == "Bearer" and body["instance_url"] == server.url
    assert body["id"].startswith(f"{server.url}/id/") and body["issued_at"].isdigit()
    assert token(server.url, grant_type="password", username="u@lumen.io", password="pw")
    bad = requests.post(
        f"{server.url}/services/oauth2/token", data={**form, "client_secret": "wrong"}
    )
    assert bad.status_code == 400
    assert bad.json() == {
        "error": "invalid_client",
        "error_description": "invalid client credentials",
    }
    q = {"q": "SELECT Id FROM User"}
    missing = requests.get(f"{server.url}{API}/query", params=q, timeout=5)
    unknown = requests.get(
        f"{server.url}{API}/query", params=q, headers={"Authorization": "Bearer nope"}, timeout=5
    )
    for response in (missing, unknown):
        assert response.status_code == 401 and response.json() == SESSION_ERROR
    authorised = requests.get(
        f"{server.url}{API}/query",
        params=q,
        headers={"Authorization": f"Bearer {body['access_token']}"},
        timeout=5,
    )
    assert authorised.status_code == 200
    assert authorised.json()["totalSize"] == len(truth(server.state.world, "User"))


def test_query_pages_through_exactly_the_current_leads(server, session, world_small) -> None:
    expected = truth(world_small, "Lead", "not IsDeleted")
    records, pages = soql(
        session, server.url, f"SELECT {', '.join(LEAD_FIELDS)} FROM Lead", batch=200
    )
    assert len(pages) == -(-len(expected) // 200) and len(pages) > 2
    assert [len(page["records"]) for page in pages[:-1]] == [200] * (len(pages) - 1)
    for record, row in zip(records, expected, strict=True):
        assert list(record) == ["attributes", *LEAD_FIELDS]
        assert record["attributes"] == {
            "type": "Lead",
            "url": f"{API}/sobjects/Lead/{row['Id']}",
        }
        assert {k: v for k, v in record.items() if k != "attributes"} == {
            name: wire(row[name]) for name in LEAD_FIELDS
        }
    assert "_version_at" not in json.dumps(pages)


def test_query_all_adds_exactly_the_deleted_leads(server, session, world_small) -> None:
    live, _ = soql(session, server.url, "SELECT Id FROM Lead", batch=500)
    every, pages = soql(
        session, server.url, "SELECT Id, IsDeleted FROM Lead", endpoint="queryAll", batch=500
    )
    assert len(pages) > 1  # queryAll pages through /query/ too (checked in soql)
    deleted = {row["Id"] for row in truth(world_small, "Lead", "IsDeleted")}
    assert deleted
    assert {r["Id"] for r in every} - {r["Id"] for r in live} == deleted
    assert {r["Id"] for r in every if r["IsDeleted"]} == deleted
    assert len(every) == len(truth(world_small, "Lead"))


@pytest.mark.parametrize("style", ["%Y-%m-%dT%H:%M:%S.000+0000", "%Y-%m-%dT%H:%M:%SZ"])
def test_incremental_query_returns_exactly_the_rows_after_a_stamp(
    server, session, world_small, style
) -> None:
    stamps = sorted(row["SystemModstamp"] for row in truth(world_small, "Lead", "not IsDeleted"))
    cut = stamps[len(stamps) // 2]
    records, _ = soql(
        session,
        server.url,
        f"SELECT Id, SystemModstamp FROM Lead WHERE SystemModstamp > {cut.strftime(style)} "
        "ORDER BY SystemModstamp ASC",
        batch=200,
    )
    expected = sorted(
        (r["SystemModstamp"], r["Id"])
        for r in truth(world_small, "Lead", "not IsDeleted")
        if r["SystemModstamp"] > cut
    )
    assert [(r["SystemModstamp"], r["Id"]) for r in records] == [
        (salesforce.format_datetime(stamp), key) for stamp, key in expected
    ]


@pytest.mark.parametrize(
    ("where_soql", "where_sql"),
    [
        ("IsConverted = true AND Company != null", "IsConverted and Company is not null"),
        ("Company = null", "Company is null"),
        (
            "Status IN ('Open - Not Contacted', 'working - contacted')",
            "Status in ('Open - Not Contacted', 'Working - Contacted')",
        ),
        ("ConvertedDate >= 2026-01-01 OR Email LIKE '%@test.com'", None),
        ("NOT (Status = 'Closed - Converted') AND IsConverted = false", None),
    ],
)
def test_conditions_match_duckdb(server, session, world_small, where_soql, where_sql) -> None:
    where_sql = (
        where_sql
        or {
            "ConvertedDate >= 2026-01-01 OR Email LIKE '%@test.com'": (
                "ConvertedDate >= date '2026-01-01' or Email ilike '%@test.com'"
            ),
            "NOT (Status = 'Closed - Converted') AND IsConverted = false": (
                "Status != 'Closed - Converted' and not IsConverted"
            ),
        }[where_soql]
    )
    records, _ = soql(session, server.url, f"SELECT Id FROM Lead WHERE {where_soql}")
    expected = [r["Id"] for r in truth(world_small, "Lead", f"not IsDeleted and ({where_sql})")]
    assert expected and [r["Id"] for r in records] == expected


def test_an_earlier_moment_serves_fewer_rows(world_small) -> None:
    handle = salesforce.start(world_small)
    try:
        session = client(handle.url)
        q = "SELECT Id FROM Opportunity"
        now, _ = soql(session, handle.url, q)
        earlier = datetime(2025, 6, 30, tzinfo=UTC)
        handle.state.advance(earlier)
        then, _ = soql(session, handle.url, q)
        expected = truth(world_small, "Opportunity", "not IsDeleted", earlier)
        assert [r["Id"] for r in then] == [r["Id"] for r in expected]
        assert 0 < len(then) < len(now)
    finally:
        handle.stop()


def test_custom_field_exists_only_from_its_introduction(world_small) -> None:
    spec = json.loads((world_small / "salesforce" / "_describe.json").read_text())
    (custom,) = [f for f in spec["Lead"]["fields"] if f["name"] == "Product_Interest__c"]
    introduced = datetime.fromisoformat(custom["introduced_at"])
    before = introduced - timedelta(days=1)
    handle = salesforce.start(world_small, before)
    try:
        session = client(handle.url)
        q = {"q": "SELECT Id, Product_Interest__c FROM Lead"}
        refused = session.get(f"{handle.url}{API}/query", params=q, timeout=5)
        assert refused.status_code == 400
        assert refused.json()[0]["errorCode"] == "INVALID_FIELD"
        described = session.get(f"{handle.url}{API}/sobjects/Lead/describe", timeout=5).json()
        assert "Product_Interest__c" not in [f["name"] for f in described["fields"]]
        handle.state.advance(END)
        records, _ = soql(session, handle.url, q["q"])
        expected = truth(world_small, "Lead", "not IsDeleted")
        assert [(r["Id"], r["Product_Interest__c"]) for r in records] == [
            (r["Id"], r["Product_Interest__c"]) for r in expected
        ]
        assert any(r["Product_Interest__c"] for r in records)
        described = session.get(f"{handle.url}{API}/sobjects/Lead/describe", timeout=5).json()
        (field,) = [f for f in described["fields"] if f["name"] == "Product_Interest__c"]
        assert field["custom"] is True and field["type"] == "string"
    finally:
        handle.stop()


def test_limit_info_counts_and_the_daily_limit_refuses(server, session, world_small) -> None:
    first = session.get(f"{server.url}{API}/limits", timeout=5)
    second = session.get(f"{server.url}{API}/limits", timeout=5)
    used = [
        int(r.headers["Sforce-Limit-Info"].split("=")[1].split("/")[0]) for r in (first, second)
    ]
    assert second.headers["Sforce-Limit-Info"].endswith("/1000000") and used[1] == used[0] + 1
    handle = salesforce.start(world_small, daily_limit=3)
    try:
        tight = client(handle.url)
        answers = [tight.get(f"{handle.url}{API}/sobjects/", timeout=5) for _ in range(4)]
        assert [r.status_code for r in answers] == [200, 200, 200, 403]
        assert [r.headers["Sforce-Limit-Info"] for r in answers] == [
            f"api-usage={n}/3" for n in range(1, 5)
        ]
        assert answers[-1].json() == [
            {"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}
        ]
    finally:
        handle.stop()


@pytest.mark.parametrize(
    ("q", "code"),
    [
        ("SELEC Id FROM Lead", "MALFORMED_QUERY"),
        ("SELECT Id FROM Lead WHERE", "MALFORMED_QUERY"),
        ("SELECT Id FROM Lead LIMIT many", "MALFORMED_QUERY"),
        ("SELECT Id, Id FROM Lead", "MALFORMED_QUERY"),
        ("SELECT Id FROM Leads", "INVALID_TYPE"),
        ("SELECT Id, Nope FROM Lead", "INVALID_FIELD"),
        ("SELECT Id FROM Lead WHERE SystemModstamp > '2025-01-01'", "INVALID_FIELD"),
    ],
)
def test_bad_queries_get_salesforce_errors(server, session, q, code) -> None:
    response = session.get(f"{server.url}{API}/query", params={"q": q}, timeout=5)
    assert response.status_code == 400
    (error,) = response.json()
    assert error["errorCode"] == code and error["message"]


def test_bulk_query_job_end_to_end_equals_rest(server, session, world_small) -> None:
    fields = ["Id", "Email", "Company", "IsConverted", "ConvertedDate", "SystemModstamp"]
    q = f"SELECT {', '.join(fields)} FROM Lead"
    created = session.post(
        f"{server.url}{API}/jobs/query", json={"operation": "query", "query": q}, timeout=5
    )
    job = created.json()
    assert created.status_code == 200
    assert {k: job[k] for k in ("operation", "object", "state", "contentType", "apiVersion")} == {
        "operation": "query",
        "object": "Lead",
        "state": "UploadComplete",
        "contentType": "CSV",
        "apiVersion": 68.0,
    }
    assert (job["lineEnding"], job["columnDelimiter"]) == ("LF", "COMMA")
    results = f"{server.url}{API}/jobs/query/{job['id']}/results"
    early = session.get(results, timeout=5)
    assert early.status_code == 412 and early.json()[0]["errorCode"] == "JOB_NOT_COMPLETE"
    polls = [session.get(f"{server.url}{API}/jobs/query/{job['id']}", timeout=5).json()]
    polls.append(session.get(f"{server.url}{API}/jobs/query/{job['id']}", timeout=5).json())
    assert [p["state"] for p in polls] == ["InProgress", "JobComplete"]
    expected, _ = soql(session, server.url, q)
    assert polls[-1]["numberRecordsProcessed"] == len(expected)

    rows, locator, pages = [], None, 0
    while locator != "null":
        params = {"maxRecords": 300} | ({"locator": locator} if locator else {})
        response = session.get(
            results, params=params, headers={"Accept-Encoding": "gzip"}, stream=True, timeout=5
        )
        assert response.status_code == 200 and response.headers["Content-Encoding"] == "gzip"
        text = gzip.decompress(response.raw.read(decode_content=False)).decode()
        page = list(csv.reader(io.StringIO(text)))
        assert page[0] == fields and text.startswith('"Id","Email"')
        assert int(response.headers["Sforce-NumberOfRecords"]) == len(page) - 1
        rows += page[1:]
        locator = response.headers["Sforce-Locator"]
        pages += 1
    assert pages == -(-len(expected) // 300) and pages > 2

    def as_csv(value: object) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            return str(value).lower()
        return str(value).replace("+0000", "Z")

    assert rows == [[as_csv(record[name]) for name in fields] for record in expected]
    plain = session.get(results, headers={"Accept-Encoding": "identity"}, timeout=5)
    assert "Content-Encoding" not in plain.headers
    assert len(plain.text.splitlines()) == len(expected) + 1


def test_deleted_lists_exactly_the_deleted_ids(server, session, world_small) -> None:
    response = session.get(
        f"{server.url}{API}/sobjects/Lead/deleted/",
        params={"start": "2024-06-30T00:00:00+00:00", "end": "2026-06-30T00:00:00Z"},
        timeout=5,
    )
    body = response.json()
    expected = truth(world_small, "Lead", "IsDeleted")
    assert sorted(body["deletedRecords"], key=lambda r: r["id"]) == [
        {"id": r["Id"], "deletedDate": salesforce.format_datetime(r["SystemModstamp"])}
        for r in expected
    ]
    assert body["latestDateCovered"] == "2026-06-30T00:00:00.000+0000"
    assert body["earliestDateAvailable"] == "2024-06-30T00:00:00.000+0000"


def test_describe_lists_the_world_objects_and_fields(server, session, world_small) -> None:
    spec = json.loads((world_small / "salesforce" / "_describe.json").read_text())
    listed = session.get(f"{server.url}{API}/sobjects/", timeout=5).json()
    assert [o["name"] for o in listed["sobjects"]] == list(spec)
    lead = session.get(f"{server.url}{API}/sobjects/Lead/describe", timeout=5).json()
    assert lead["queryable"] is lead["replicateable"] is True
    assert [f["name"] for f in lead["fields"]] == [f["name"] for f in spec["Lead"]["fields"]]
    by_name = {f["name"]: f for f in lead["fields"]}
    assert by_name["Id"]["type"] == "id" and by_name["OwnerId"]["referenceTo"] == ["User"]
    assert by_name["ConvertedAccountId"]["referenceTo"] == ["Account"]


def test_each_fault_kind_reaches_a_plain_client(server, session) -> None:
    plan = server.plan
    url = f"{server.url}{API}/query"
    q = {"q": "SELECT Id FROM Lead"}
    plan.add(Fault("status", path=f"{API}/query", status=503, retry_after=2))
    busy = session.get(url, params=q, timeout=5)
    assert busy.status_code == 503 and busy.headers["Retry-After"] == "2"
    assert busy.json()[0]["errorCode"] == "SERVER_UNAVAILABLE"
    assert "Sforce-Limit-Info" in busy.headers
    plan.add(Fault("status", path=f"{API}/query", status=500))
    broken = session.get(url, params=q, timeout=5)
    assert broken.status_code == 500 and "Retry-After" not in broken.headers
    assert broken.json()[0]["errorCode"] == "UNKNOWN_EXCEPTION"
    plan.add(Fault("reset", path=f"{API}/query"))
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        session.get(url, params=q, timeout=5)
    plan.add(Fault("slow", path=f"{API}/query", seconds=1.0))
    with pytest.raises(requests.exceptions.ReadTimeout):
        session.get(url, params=q, timeout=0.3)
    plan.add(Fault("truncate", path=f"{API}/query"))
    with pytest.raises(requests.JSONDecodeError):
        session.get(url, params=q, timeout=5).json()

    plan.add(Fault("expired_token", path=API))
    expired = session.get(url, params=q, timeout=5)
    assert expired.status_code == 401 and expired.json() == SESSION_ERROR
    assert session.get(url, params=q, timeout=5).status_code == 401  # the session is dead
    session.headers["Authorization"] = f"Bearer {token(server.url)}"
    assert session.get(url, params=q, timeout=5).status_code == 200

    plan.add(Fault("repeat_record", path=f"{API}/query/"))
    headers = {"Sforce-Query-Options": "batchSize=200"}
    first = session.get(url, params=q, headers=headers, timeout=5).json()
    second = session.get(f"{server.url}{first['nextRecordsUrl']}", timeout=5).json()
    assert second["records"][0] == first["records"][-1]
    assert len(second["records"]) == 201
    assert [kind for kind, _ in plan.injected[-7:]] == [
        "status",
        "status",
        "reset",
        "slow",
        "truncate",
        "expired_token",
        "repeat_record",
    ]
