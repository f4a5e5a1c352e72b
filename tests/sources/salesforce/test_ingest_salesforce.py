"""The Salesforce dlt source against the local Salesforce: counts, increments, faults, failures."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
import requests
from ingest_support import (
    assert_same_raw,
    load,
    make_source,
    raw_columns,
    raw_count,
    raw_tables,
    world_query,
    world_state,
)

from gtm_demo.servers import salesforce
from gtm_demo.serving import Fault
from ingest import AuthenticationError, QuotaExceededError, SourceError
from ingest.salesforce import salesforce_source
from ingest.salesforce.settings import DEFAULT_OBJECTS

END = datetime(2026, 6, 30, tzinfo=UTC)
EARLIER = datetime(2025, 12, 1, tzinfo=UTC)  # before Lead.Product_Interest__c exists
DATASET = "raw_salesforce"
TABLES = {
    "Account": "account",
    "Contact": "contact",
    "Lead": "lead",
    "Opportunity": "opportunity",
    "OpportunityContactRole": "opportunity_contact_role",
    "OpportunityHistory": "opportunity_history",
    "Campaign": "campaign",
    "CampaignMember": "campaign_member",
    "User": "user",
    "Task": "task",
    "Event": "event",
}


@pytest.fixture(scope="module")
def server(world_small: Path):
    handle = salesforce.start(world_small)
    yield handle
    handle.stop()


def source(server, **kw):
    options = {
        "base_url": server.url,
        "client_id": "demo-client",
        "client_secret": "demo-secret",
        "batch_size": 500,
        "bulk_page_size": 700,
        "backoff": 0.01,
        "timeout": 1.5,
        "max_attempts": 6,
    }
    return make_source(salesforce_source, **(options | kw))


def at(server, moment: datetime) -> None:
    server.plan.clear()
    server.state.advance(moment)


@pytest.fixture(scope="module")
def full_load(server, tmp_path_factory) -> Path:
    """A full load of the world as of its end."""
    at(server, END)
    db = tmp_path_factory.mktemp("sf_full") / "full.duckdb"
    load("salesforce", source(server), db)
    return db


def test_every_object_lands_with_the_worlds_exact_row_count(full_load, world_small):
    for sobject in DEFAULT_OBJECTS:
        state = world_state(world_small, f"salesforce/{sobject}", END)
        expected = world_query(f"select count(*) from {state}")[0][0]
        assert expected > 0, sobject
        assert raw_count(full_load, DATASET, TABLES[sobject]) == expected, sobject


def test_raw_rows_are_the_worlds_last_versions(full_load, world_small):
    con = duckdb.connect(str(full_load), read_only=True)
    con.execute("set TimeZone = 'UTC'")
    for sobject in ("Opportunity", "Lead", "Task"):
        state = world_state(world_small, f"salesforce/{sobject}", END)
        table = TABLES[sobject]
        missing = con.execute(
            f'select count(*) from (select "Id", "SystemModstamp", "IsDeleted" from {state} '
            f"except select id, system_modstamp, is_deleted from {DATASET}.{table})"
        ).fetchone()[0]
        assert missing == 0, sobject
    # Deleted records stay, flagged; money is exact.
    deleted = world_query(
        f"select count(*) from {world_state(world_small, 'salesforce/Opportunity', END)} "
        'where "IsDeleted"'
    )[0][0]
    assert (
        con.execute(f"select count(*) from {DATASET}.opportunity where is_deleted").fetchone()[0]
        == deleted
    )
    expected_amount = world_query(
        f'select sum("Amount") from {world_state(world_small, "salesforce/Opportunity", END)}'
    )[0][0]
    assert con.execute(f"select sum(amount) from {DATASET}.opportunity").fetchone()[0] == (
        expected_amount
    )
    amount_type = con.execute(
        "select data_type from information_schema.columns where table_schema = ? "
        "and table_name = 'opportunity' and column_name = 'amount'",
        [DATASET],
    ).fetchone()[0]
    assert amount_type.startswith("DECIMAL")
    con.close()


def test_an_incremental_run_reads_only_changes_and_equals_a_full_reload(
    server, full_load, world_small, tmp_path
):
    db = tmp_path / "incremental.duckdb"
    at(server, EARLIER)
    load("salesforce", source(server), db)
    assert "product_interest__c" not in raw_columns(db, DATASET, "lead")
    at(server, END)
    second = load("salesforce", source(server), db)
    # Exactly the records whose last version is at or after the previous run's cursor.
    for sobject in DEFAULT_OBJECTS:
        cursor = "SystemModstamp"
        before = world_state(world_small, f"salesforce/{sobject}", EARLIER)
        after = world_state(world_small, f"salesforce/{sobject}", END)
        changed = world_query(
            f'select count(*) from {after} where "{cursor}" > '
            f"coalesce((select max(\"{cursor}\") from {before}), '1900-01-01'::timestamptz)"
        )[0][0]
        assert second.rows.get(TABLES[sobject], 0) == changed, sobject
    assert_same_raw(raw_tables(db, DATASET), raw_tables(full_load, DATASET))
    # The custom field introduced in between arrived as a column, with values.
    assert raw_count(db, DATASET, "lead", "product_interest__c is not null") > 0


FAULTS = {
    "429 with Retry-After": [Fault("status", 2, "/services/data", 429, retry_after=0.05)],
    "429 without Retry-After": [Fault("status", 2, "/services/data", 429)],
    "a burst of 5xx": [Fault("status", 4, "/services/data", 503)],
    "connection resets": [Fault("reset", 2, "/services/data")],
    "slower than the timeout": [Fault("slow", 1, "/services/data/v68.0/query", seconds=2.0)],
    "truncated JSON": [Fault("truncate", 2, "/services/data/v68.0/query")],
    "truncated CSV": [Fault("truncate", 1, "/services/data/v68.0/jobs/query/7")],
    "a record repeated across pages": [
        Fault("repeat_record", 3, "/services/data/v68.0/query/"),
        Fault("repeat_record", 2, "/services/data/v68.0/jobs/query/"),
    ],
    "an expired token": [Fault("expired_token", 1, "/services/data/v68.0/query")],
}


@pytest.mark.parametrize("faults", FAULTS.values(), ids=list(FAULTS))
def test_each_fault_kind_leaves_raw_equal_to_a_fault_free_run(server, full_load, tmp_path, faults):
    at(server, END)
    for fault in faults:
        server.plan.add(Fault(**vars(fault)))
    db = tmp_path / "faulty.duckdb"
    load("salesforce", source(server), db)
    injected = {kind for kind, _ in server.plan.injected}
    assert {fault.kind for fault in faults} <= injected
    server.plan.injected.clear()
    assert_same_raw(raw_tables(db, DATASET), raw_tables(full_load, DATASET))


def test_bad_credentials_fail_once_clearly_and_write_nothing(server, tmp_path):
    at(server, END)
    db = tmp_path / "bad.duckdb"
    with pytest.raises(AuthenticationError, match=r"^salesforce: .*invalid client credentials"):
        load("salesforce", source(server, client_secret="wrong"), db)
    assert raw_tables(db, DATASET) == {}


def test_an_exhausted_quota_fails_clearly_and_keeps_raw_as_it_was(world_small, tmp_path):
    handle = salesforce.start(world_small, moment=EARLIER, daily_limit=60)
    try:
        db = tmp_path / "quota.duckdb"
        load("salesforce", source(handle, objects=("Account", "Opportunity")), db)
        before = raw_tables(db, DATASET)
        handle.state.advance(END)
        with pytest.raises(QuotaExceededError, match=r"^salesforce: .*REQUEST_LIMIT_EXCEEDED"):
            for _ in range(10):
                load("salesforce", source(handle), db)
        assert raw_tables(db, DATASET) == before
    finally:
        handle.stop()


def _session(server) -> dict:
    """A session issued outside the source, as the JWT bearer flow or `sf org display` gives."""
    answer = requests.post(
        f"{server.url}/services/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "demo-client",
            "client_secret": "demo-secret",
        },
        timeout=10,
    )
    answer.raise_for_status()
    return answer.json()


def test_a_ready_access_token_and_instance_url_load_without_client_credentials(
    server, full_load, tmp_path
):
    at(server, END)
    session = _session(server)
    db = tmp_path / "session.duckdb"
    options = {"client_id": None, "client_secret": None}
    ready = {"access_token": session["access_token"], "instance_url": session["instance_url"]}
    # No base_url: the source calls the instance_url the session was issued for.
    objects = ("Account", "Opportunity", "Lead")  # REST and Bulk paths, kept small
    options |= {"objects": objects, "base_url": None}  # the session names its instance
    load("salesforce", source(server, **options, **ready), db)
    want = raw_tables(full_load, DATASET)
    got = raw_tables(db, DATASET)
    for table in ("account", "opportunity", "lead"):
        assert got[table] == want[table], table


def test_a_ready_token_the_server_does_not_know_fails_as_authentication(server, tmp_path):
    at(server, END)
    db = tmp_path / "refused.duckdb"
    with pytest.raises(AuthenticationError, match=r"^salesforce: .*401"):
        load(
            "salesforce",
            source(
                server,
                client_id=None,
                client_secret=None,
                access_token="00D5g00000LumenEAA!not-a-session",
                instance_url=server.url,
            ),
            db,
        )
    assert raw_tables(db, DATASET) == {}


def test_a_refused_ready_token_is_renewed_by_the_grant_when_one_is_set(server, tmp_path):
    at(server, END)
    db = tmp_path / "renewed.duckdb"
    load(
        "salesforce",
        source(server, objects=("Account",), access_token="stale", instance_url=server.url),
        db,
    )
    assert raw_count(db, DATASET, "account") > 0


def test_no_credentials_fail_naming_what_to_set(server, tmp_path):
    with pytest.raises(AuthenticationError, match=r"^salesforce: no credentials"):
        load(
            "salesforce",
            source(server, client_id=None, client_secret=None),
            tmp_path / "none.duckdb",
        )


@pytest.mark.parametrize(
    ("version", "status", "code"),
    [
        ("v68.0", 200, None),
        ("v31.0", 200, None),
        ("v30.0", 410, "GONE"),
        ("v99.0", 404, "NOT_FOUND"),
    ],
)
def test_the_server_serves_current_versions_and_refuses_retired_ones(server, version, status, code):
    at(server, END)
    token = _session(server)["access_token"]
    answer = requests.get(
        f"{server.url}/services/data/{version}/limits",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert answer.status_code == status
    if code:
        assert answer.json()[0]["errorCode"] == code
    listed = requests.get(f"{server.url}/services/data/", timeout=10).json()
    assert listed[0]["version"] == "31.0" and listed[-1]["version"] == "68.0"


def test_a_retired_api_version_fails_the_run_naming_the_status(server, tmp_path):
    at(server, END)
    with pytest.raises(SourceError, match=r"^salesforce: .*410"):
        load("salesforce", source(server, api_version="v30.0"), tmp_path / "old.duckdb")
