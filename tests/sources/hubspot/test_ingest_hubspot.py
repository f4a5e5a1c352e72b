"""The HubSpot dlt source against the local HubSpot: counts, increments, merges, faults."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
import requests
from ingest_support import (
    RecordedServer,
    assert_same_raw,
    load,
    make_source,
    raw_columns,
    raw_count,
    raw_tables,
    world_query,
    world_state,
)

from gtm_demo.servers import hubspot
from gtm_demo.serving import Fault
from ingest import AuthenticationError, QuotaExceededError, SourceError
from ingest.hubspot import hubspot_source

END = datetime(2026, 6, 30, tzinfo=UTC)
EARLIER = datetime(2025, 11, 1, tzinfo=UTC)  # before the custom property product_interest
DATASET = "raw_hubspot"
# A one-second window: an injected 429 names 1000 ms, so waiting it out costs a second.
FAST = {"rate_limit": (100_000, 1.0), "search_rate_limit": None}


@pytest.fixture(scope="module")
def server(world_small: Path):
    handle = hubspot.start(world_small, **FAST)
    yield handle
    handle.stop()


def source(server, **kw):
    options = {
        "base_url": server.url,
        "access_token": "demo-hubspot-token",
        "requests_per_10s": 100_000,
        "searches_per_second": 1_000,
        "backoff": 0.01,
        "timeout": 5.0,
        "max_attempts": 6,
    }
    return make_source(hubspot_source, **(options | kw))


def at(server, moment: datetime) -> None:
    server.plan.clear()
    server.plan.injected.clear()
    server.state.advance(moment)


@pytest.fixture(scope="module")
def full_load(server, tmp_path_factory) -> Path:
    at(server, END)
    db = tmp_path_factory.mktemp("hubspot_full") / "full.duckdb"
    load("hubspot", source(server), db)
    return db


def _world_count(world: Path, table: str, where: str = "true") -> int:
    return world_query(f"select count(*) from {world_state(world, table, END)} where {where}")[0][0]


def test_every_object_lands_with_the_worlds_exact_row_count(full_load, world_small):
    merged = "_merged_into is null"  # HubSpot no longer returns a contact merged into another
    expected = {
        "contacts": _world_count(world_small, "hubspot/contacts", merged),
        "companies": _world_count(world_small, "hubspot/companies"),
        "deals": _world_count(world_small, "hubspot/deals"),
        "owners": _world_count(world_small, "hubspot/owners"),
        "forms": _world_count(world_small, "hubspot/forms"),
        "form_submissions": _world_count(world_small, "hubspot/form_submissions"),
        "email_events": _world_count(world_small, "hubspot/email_events"),
        "web_events": _world_count(world_small, "hubspot/web_events"),
    }
    contacts = world_state(world_small, "hubspot/contacts", END)
    for from_type, to_type in (
        ("contacts", "companies"),
        ("deals", "contacts"),
        ("deals", "companies"),
    ):
        expected[f"{from_type}_to_{to_type}"] = _world_count(
            world_small,
            "hubspot/associations",
            f"from_object_type = '{from_type}' and to_object_type = '{to_type}' and "
            f"from_id not in (select id from {contacts} where _merged_into is not null)",
        )
    for table, count in expected.items():
        assert count > 0, table
        assert raw_count(full_load, DATASET, table) == count, table
    archived = _world_count(world_small, "hubspot/contacts", f"archived and {merged}")
    assert archived > 0
    assert raw_count(full_load, DATASET, "contacts", "archived") == archived


def test_merged_contacts_are_gone_and_their_survivors_say_so(full_load, world_small):
    contacts = world_state(world_small, "hubspot/contacts", END)
    merged = [
        r[0] for r in world_query(f"select id from {contacts} where _merged_into is not null")
    ]
    assert merged
    listed = ", ".join(f"'{x}'" for x in merged)
    assert raw_count(full_load, DATASET, "contacts", f"id in ({listed})") == 0
    survivors = world_query(
        f"select count(distinct _merged_into) from {contacts} where _merged_into is not null"
    )[0][0]
    assert raw_count(full_load, DATASET, "contacts", "hs_merged_object_ids is not null") == (
        survivors
    )


def test_an_incremental_run_reads_only_changes_and_equals_a_full_reload(
    server, full_load, world_small, tmp_path
):
    db = tmp_path / "incremental.duckdb"
    at(server, EARLIER)
    load("hubspot", source(server), db)
    assert "product_interest" not in raw_columns(db, DATASET, "contacts")
    at(server, END)
    second = load("hubspot", source(server), db)
    # Searches found exactly the records modified since the cursor (plus archived re-reads).
    before = world_state(world_small, "hubspot/deals", EARLIER)
    after = world_state(world_small, "hubspot/deals", END)
    changed = world_query(
        f"select count(*) from {after} where (hs_lastmodifieddate > "
        f"(select max(hs_lastmodifieddate) from {before}) and not archived) or archived"
    )[0][0]
    assert second.rows["deals"] == changed
    events_before = world_state(world_small, "hubspot/email_events", EARLIER)
    new_events = world_query(
        f"select count(*) from {world_state(world_small, 'hubspot/email_events', END)} "
        f"where created > (select max(created) from {events_before})"
    )[0][0]
    assert second.rows["email_events"] == new_events
    assert_same_raw(raw_tables(db, DATASET), raw_tables(full_load, DATASET))
    assert raw_count(db, DATASET, "contacts", "product_interest is not null") > 0


SUBSET = ("contacts", "contacts_to_companies", "email_events", "form_submissions", "owners")

FAULTS = {
    "429 with Retry-After": [Fault("status", 2, "/crm/v3/objects", 429, retry_after=0.05)],
    "429 without Retry-After": [Fault("status", 2, "/email", 429)],
    "a burst of 5xx": [Fault("status", 4, "/crm", 502)],
    "connection resets": [Fault("reset", 2, "/crm/v3/objects")],
    "slower than the timeout": [Fault("slow", 1, "/email", seconds=6.0)],
    "truncated JSON": [Fault("truncate", 2, "/crm/v4"), Fault("truncate", 1, "/form-integ")],
    "a record repeated across pages": [
        Fault("repeat_record", 2, "/crm/v3/objects/contacts"),
        Fault("repeat_record", 2, "/email"),
        Fault("repeat_record", 2, "/form-integrations"),
    ],
    "an expired token": [Fault("expired_token", 1, "/crm/v3/objects/contacts")],
}


@pytest.fixture(scope="module")
def subset_load(server, tmp_path_factory) -> Path:
    at(server, END)
    db = tmp_path_factory.mktemp("hubspot_subset") / "subset.duckdb"
    load("hubspot", source(server).with_resources(*SUBSET), db)
    return db


@pytest.mark.parametrize("faults", FAULTS.values(), ids=list(FAULTS))
def test_each_fault_kind_leaves_raw_equal_to_a_fault_free_run(
    server, subset_load, tmp_path, faults
):
    at(server, END)
    for fault in faults:
        server.plan.add(Fault(**vars(fault)))
    oauth = {}
    if any(f.kind == "expired_token" for f in faults):
        # A private app's token cannot be renewed; an OAuth app's can.
        client_id, client_secret, refresh = hubspot.DEFAULT_OAUTH_CLIENT
        oauth = {
            "access_token": None,
            "client_id": client_id,
            "client_secret": client_secret,
            "refresh_token": refresh,
        }
    db = tmp_path / "faulty.duckdb"
    load("hubspot", source(server, **oauth).with_resources(*SUBSET), db)
    assert {f.kind for f in faults} <= {kind for kind, _ in server.plan.injected}
    assert_same_raw(raw_tables(db, DATASET), raw_tables(subset_load, DATASET))


def test_an_expired_private_app_token_fails_clearly(server, tmp_path):
    at(server, END)
    server.plan.add(Fault("expired_token", 1, "/crm/v3/objects/contacts"))
    db = tmp_path / "expired.duckdb"
    with pytest.raises(AuthenticationError, match=r"^hubspot: .*EXPIRED_AUTHENTICATION"):
        load("hubspot", source(server).with_resources("contacts"), db)
    assert raw_tables(db, DATASET) == {}


def test_bad_credentials_fail_once_clearly_and_write_nothing(server, tmp_path):
    at(server, END)
    db = tmp_path / "bad.duckdb"
    with pytest.raises(AuthenticationError, match=r"^hubspot: the API refused the credentials"):
        load("hubspot", source(server, access_token="wrong"), db)
    assert raw_tables(db, DATASET) == {}


def test_an_exhausted_daily_quota_fails_clearly_and_keeps_raw_as_it_was(world_small, tmp_path):
    handle = hubspot.start(world_small, moment=EARLIER, daily_limit=40, **FAST)
    try:
        db = tmp_path / "quota.duckdb"
        load("hubspot", source(handle).with_resources("owners", "companies"), db)
        before = raw_tables(db, DATASET)
        assert before
        handle.state.advance(END)
        with pytest.raises(QuotaExceededError) as raised:
            load("hubspot", source(handle), db)
        message = str(raised.value)
        assert message.startswith("hubspot: the API quota is exhausted: the account's DAILY limit")
        assert "\n" not in message
        assert raw_tables(db, DATASET) == before
    finally:
        handle.stop()


def test_a_429_without_retry_after_waits_out_the_named_interval(world_small, subset_load, tmp_path):
    # The window is 2 s here, so the headers name 2000 ms; HubSpot sends no Retry-After.
    server = RecordedServer(
        "hubspot", world_small, END, rate_limit=(100_000, 2.0), search_rate_limit=None
    )
    try:
        server.plan.add(Fault("status", 1, "/crm/v3/objects/contacts", 429))
        db = tmp_path / "throttled.duckdb"
        load("hubspot", source(server).with_resources(*SUBSET), db)
    finally:
        server.stop()
    [at_429] = [t for t, _, code in server.seen if code == 429]
    later = [t - at_429 for t, p, code in server.seen if t > at_429 and "/search" not in p]
    # Calls already on the wire when the 429 came back may land just after it; none later
    # than that comes before the interval is over, and the refused call is retried.
    assert later and all(d < 0.25 or d >= 2.0 for d in later)
    # The refused call itself (same path, query and body) is sent again once the wait is over.
    [request] = [r for _, _, code, r in server.calls if code == 429]
    again = [t - at_429 for t, _, code, r in server.calls if r == request and code != 429]
    assert again and min(again) >= 2.0  # (a retry after a timeout may follow)
    assert_same_raw(raw_tables(db, DATASET), raw_tables(subset_load, DATASET))


def test_the_remaining_header_paces_the_client_before_any_429(world_small, tmp_path):
    # The account allows 5 calls a second; the client was set to far more. Reading
    # X-HubSpot-RateLimit-Max/-Remaining/-Interval-Milliseconds, it never draws a 429.
    server = RecordedServer(
        "hubspot", world_small, END, rate_limit=(5, 1.0), search_rate_limit=None
    )
    try:
        db = tmp_path / "paced.duckdb"
        load("hubspot", source(server).with_resources("contacts", "owners"), db)
    finally:
        server.stop()
    assert len(server.seen) > 3 * 5
    assert [code for _, _, code in server.seen if code != 200] == []
    assert raw_count(db, DATASET, "contacts") == _world_count(
        world_small, "hubspot/contacts", "_merged_into is null"
    )


def test_email_events_keep_every_field_hubspot_sends(full_load, world_small):
    events = world_state(world_small, "hubspot/email_events", END)
    expected = {
        row[0]: row[1:]
        for row in world_query(
            f"select id, type, bounce_category, bounce_status, response, browser_name, "
            f"location_city, user_agent, device_type, cast(duration as varchar), subject "
            f"from {events} where type in ('BOUNCE', 'OPEN', 'SENT')"
        )
    }
    con = duckdb.connect(str(full_load), read_only=True)
    try:
        landed = {
            row[0]: row[1:]
            for row in con.execute(
                "select id, type, category, status, response, browser_name, location_city, "
                "user_agent, device_type, duration, subject from raw_hubspot.email_events "
                "where type in ('BOUNCE', 'OPEN', 'SENT')"
            ).fetchall()
        }
    finally:
        con.close()
    kinds = {row[0] for row in expected.values()}
    assert kinds == {"BOUNCE", "OPEN", "SENT"}
    assert landed == expected
    assert {
        "browser_family",
        "browser_version",
        "location_country",
        "filtered_event",
        "smtp_id",
    } <= (raw_columns(full_load, DATASET, "email_events"))
    bounced = [row for row in landed.values() if row[0] == "BOUNCE"]
    assert bounced and all(row[1] and row[2] and row[3] for row in bounced)


def test_an_unknown_crm_version_is_refused_with_hubspots_404(server, tmp_path):
    at(server, END)
    answer = requests.get(
        f"{server.url}/crm/v9/objects/contacts",
        headers={"Authorization": "Bearer demo-hubspot-token"},
    )
    assert answer.status_code == 404
    assert answer.json()["category"] == "OBJECT_NOT_FOUND" and "v9" in answer.json()["message"]
    with pytest.raises(SourceError, match=r"^hubspot: HTTP 404 on GET .*/crm/v9/properties/"):
        load(
            "hubspot",
            source(server, crm_api_version="v9").with_resources("contacts"),
            tmp_path / "v9.db",
        )
