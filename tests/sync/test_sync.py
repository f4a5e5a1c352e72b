"""Reverse ETL against the local HubSpot and Salesforce: round trip, idempotence, dry run,
per-record rejections, a missing Salesforce field, Bulk API 2.0, mirror removals, SIGKILL.

Everything reads the session's built scale-0.1 warehouse (copied per scenario: syncs write their
state into `ops`) and writes to local servers over the same world, started per scenario.
"""

from __future__ import annotations

import math
import signal
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from sync_support import Crm, copy_warehouse, settings

from gtm.project import find_repo_root
from gtm.sync.core import build_records, read_model, run_syncs
from gtm.sync.spec import declared_syncs
from gtm_demo.serving import Fault
from gtm_demo.settings import demo_source
from ingest.pipelines import IngestContext, run_source

ROOT = find_repo_root(Path(__file__).parent)
FIELD_SYNCS = ("hubspot_contacts", "salesforce_leads", "salesforce_contacts")
SEGMENT_SYNCS = ("hubspot_tier1_uncontacted", "salesforce_tier1_uncontacted")
CHILD = Path(__file__).parents[1] / "support" / "sync_child.py"


def expected(warehouse: Path, name: str) -> dict[str, dict[str, Any]]:
    """Return record key -> payload the model asks for (fill-empty fields left out if set)."""
    spec = declared_syncs(ROOT)[name]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        records, _ = build_records(spec, read_model(con, spec))
    return {key: payload for key, (payload, _extra) in records.items()}


def by_name(results: list) -> dict[str, Any]:
    return {result.name: result for result in results}


@pytest.fixture(scope="module")
def synced(built_warehouse, tmp_path_factory):
    """A dry run, then every sync once, then again with nothing changed, on one CRM."""
    work = tmp_path_factory.mktemp("sync")
    warehouse = copy_warehouse(built_warehouse.path, work, "warehouse")
    crm = Crm(built_warehouse.world)
    endpoints = crm.endpoints()
    lines: list[str] = []
    dry = run_syncs(ROOT, warehouse, dry_run=True, endpoints=endpoints, say=lines.append)
    writes_after_dry_run = crm.writes()
    first = run_syncs(ROOT, warehouse, endpoints=endpoints, settings=settings())
    writes_after_first = crm.writes()
    second = run_syncs(ROOT, warehouse, endpoints=endpoints, settings=settings())
    yield {
        "warehouse": warehouse,
        "crm": crm,
        "dry": by_name(dry),
        "dry_lines": lines,
        "writes_after_dry_run": writes_after_dry_run,
        "first": by_name(first),
        "second": by_name(second),
        "writes_after_first": writes_after_first,
        "writes_after_second": crm.writes(),
        "work": work,
    }
    crm.stop()


def test_the_models_build_and_every_shipped_sync_is_declared(built_warehouse):
    assert not [f for f in built_warehouse.failures() if "sync_" in f]
    assert set(declared_syncs(ROOT)) == set(FIELD_SYNCS + SEGMENT_SYNCS)
    people = built_warehouse.scalar("select count(*) from marts.sync_people")
    scored = built_warehouse.scalar(
        "select count(*) from marts.fct_lead_scores as s inner join marts.dim_people as p "
        "on s.person_id = p.person_id where not p.is_deleted"
    )
    assert people == scored > 0
    # The segment: tier 1, open, nobody contacted them in the 14 days up to the as-of date.
    bad = built_warehouse.scalar(
        """
        select count(*) from marts.sync_tier1_uncontacted as seg
        inner join marts.fct_lead_scores as s on seg.person_id = s.person_id
        where s.priority_tier != 1 or not s.is_open_lead
        """
    )
    assert bad == 0
    assert built_warehouse.scalar("select count(*) from marts.sync_tier1_uncontacted") > 0


def test_a_dry_run_sends_nothing_and_counts_what_a_sync_then_sends(synced):
    assert synced["writes_after_dry_run"] == 0
    for name in FIELD_SYNCS + SEGMENT_SYNCS:
        dry, first = synced["dry"][name], synced["first"][name]
        assert dry.status == "dry_run"
        assert dry.changed == first.sent == first.created + first.updated + first.rejected
        assert dry.changed == len(expected(synced["warehouse"], name))
    lines = "\n".join(synced["dry_lines"])
    assert "hubspot_contacts: would send" in lines
    assert "new: wh_data_driven_channel=" in lines  # a sample, old -> new
    assert "@" not in lines  # never an e-mail address


def test_the_first_sync_writes_exactly_the_model(synced):
    crm, warehouse = synced["crm"], synced["warehouse"]
    for name in FIELD_SYNCS:
        result = synced["first"][name]
        assert result.status == "success", result.message
        assert result.rejected == 0
        want = expected(warehouse, name)
        got = crm.written(name)
        assert set(got) == set(want)
        for key, payload in want.items():
            assert _same(got[key], payload), (name, key)
    assert synced["first"]["hubspot_contacts"].message.startswith("created properties wh_")
    store = crm.store("hubspot")
    hubspot_list = next(iter(store.lists))
    segment = expected(warehouse, "hubspot_tier1_uncontacted")
    assert store.members[hubspot_list] == set(segment)


def test_a_second_sync_with_nothing_changed_sends_nothing(synced):
    assert synced["writes_after_second"] == synced["writes_after_first"]
    for name, result in synced["second"].items():
        assert result.status == "success", result.message
        assert result.sent == 0
        assert result.unchanged == synced["first"][name].sent


def test_the_next_ingest_reads_the_written_values_back(synced):
    """Round trip: ingest HubSpot and Salesforce again; the raw tables equal the model."""
    crm, warehouse = synced["crm"], synced["warehouse"]
    context = IngestContext(ROOT, warehouse)
    run_source("hubspot", demo_source("hubspot", crm.hubspot.url, crm.world), context)
    run_source("salesforce", demo_source("salesforce", crm.salesforce.url, crm.world), context)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        contacts = _raw(con, "raw_hubspot.contacts", "id")
        leads = _raw(con, "raw_salesforce.lead", "id")
        members = con.execute(
            "select m.lead_or_contact_id from raw_salesforce.campaign_member as m "
            "inner join raw_salesforce.campaign as c on m.campaign_id = c.id "
            "where c.name = 'Warehouse - tier 1 not contacted in 14 days' and not m.is_deleted"
        ).fetchall()
    for key, payload in expected(warehouse, "hubspot_contacts").items():
        assert _same(contacts[key], payload, lower=True), key
    for key, payload in expected(warehouse, "salesforce_leads").items():
        assert _same(leads[key], payload, lower=True), key
    assert {row[0] for row in members} == set(expected(warehouse, "salesforce_tier1_uncontacted"))


def test_mirror_removes_who_left_the_segment(synced):
    crm, warehouse = synced["crm"], synced["warehouse"]
    segment = sorted(expected(warehouse, "hubspot_tier1_uncontacted"))
    leaving = segment[0]
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "delete from marts.sync_tier1_uncontacted where hubspot_contact_id = ?", [leaving]
        )
    results = by_name(
        run_syncs(ROOT, warehouse, ["hubspot_tier1_uncontacted"], endpoints=crm.endpoints())
    )
    assert results["hubspot_tier1_uncontacted"].removed == 1
    store = crm.store("hubspot")
    assert store.members[next(iter(store.lists))] == set(segment[1:])


def test_rejections_are_counted_retried_and_given_up(built_warehouse, tmp_path):
    crm = Crm(built_warehouse.world)
    try:
        warehouse = copy_warehouse(built_warehouse.path, tmp_path, "rejections")
        hubspot_keys = sorted(expected(warehouse, "hubspot_contacts"))[5:8]
        lead_keys = sorted(expected(warehouse, "salesforce_leads"))[10:12]
        crm.store("hubspot").rejections.update(dict.fromkeys(hubspot_keys, "Invalid value"))
        crm.store("salesforce").rejections.update(dict.fromkeys(lead_keys, "Owner rule"))
        names = ["hubspot_contacts", "salesforce_leads"]
        options = {"endpoints": crm.endpoints(), "settings": settings(max_attempts=2)}
        # Throttling and a server error on whole batches are retried, never counted as rejections.
        batch_update = "/crm/v3/objects/contacts/batch/update"
        crm.hubspot.plan.add(Fault("status", 1, batch_update, status=429, retry_after=0.2))
        crm.hubspot.plan.add(Fault("status", 1, batch_update, status=503))
        first = by_name(run_syncs(ROOT, warehouse, names, **options))
        assert len(crm.hubspot.plan.injected) == 2
        assert first["hubspot_contacts"].rejected == 3
        assert first["salesforce_leads"].rejected == 2
        assert first["hubspot_contacts"].updated == len(expected(warehouse, "hubspot_contacts")) - 3
        second = by_name(run_syncs(ROOT, warehouse, names, **options))
        assert (second["hubspot_contacts"].sent, second["hubspot_contacts"].rejected) == (3, 3)
        assert (second["salesforce_leads"].sent, second["salesforce_leads"].rejected) == (2, 2)
        third = by_name(run_syncs(ROOT, warehouse, names, **options))
        assert third["hubspot_contacts"].sent == third["salesforce_leads"].sent == 0
        assert third["hubspot_contacts"].skipped >= 3
        with duckdb.connect(str(warehouse), read_only=True) as con:
            rows = con.execute(
                "select sync_name, record_key, reason, attempts, is_permanent "
                "from ops.sync_rejections order by all"
            ).fetchall()
            runs = con.execute("select count(*) from ops.sync_runs").fetchone()[0]
        assert runs == 6
        assert len(rows) == 10
        assert {(r[0], r[1]) for r in rows} == {("hubspot_contacts", k) for k in hubspot_keys} | {
            ("salesforce_leads", k) for k in lead_keys
        }
        assert {r[3] for r in rows} == {1, 2}
        assert all(r[4] == (r[3] == 2) for r in rows)
        assert any("FIELD_CUSTOM_VALIDATION_EXCEPTION: Owner rule" in r[2] for r in rows)
        assert any("VALIDATION_ERROR: Invalid value" in r[2] for r in rows)
    finally:
        crm.stop()


def test_a_missing_salesforce_field_stops_that_sync_only(built_warehouse, tmp_path):
    crm = Crm(built_warehouse.world)
    try:
        crm.store("salesforce").drop_field("Lead", "Wh_Top_Reasons__c")
        warehouse = copy_warehouse(built_warehouse.path, tmp_path, "missing")
        names = ["salesforce_leads", "salesforce_contacts"]
        results = by_name(run_syncs(ROOT, warehouse, names, endpoints=crm.endpoints()))
        assert results["salesforce_leads"].status == "failed"
        assert results["salesforce_leads"].message == (
            "sync salesforce_leads: Salesforce Lead has no field Wh_Top_Reasons__c; an admin must "
            "create it (Setup > Object Manager > Lead > Fields)"
        )
        assert results["salesforce_leads"].sent == 0
        assert results["salesforce_contacts"].status == "success"
        assert not crm.written("salesforce_leads")
    finally:
        crm.stop()


def test_bulk_api_writes_the_same_values(built_warehouse, tmp_path):
    crm = Crm(built_warehouse.world)
    try:
        warehouse = copy_warehouse(built_warehouse.path, tmp_path, "bulk")
        options = {"endpoints": crm.endpoints(), "settings": settings(bulk_threshold=1)}
        result = run_syncs(ROOT, warehouse, ["salesforce_contacts"], **options)[0]
        assert result.method == "Bulk API 2.0"
        want = expected(warehouse, "salesforce_contacts")
        assert result.updated == len(want) and result.rejected == 0
        got = crm.written("salesforce_contacts")
        assert all(_same(got[key], payload) for key, payload in want.items())
        assert sum(1 for r in crm.store("salesforce").log if "/batches" in r["path"]) == 1
    finally:
        crm.stop()


def test_a_sync_killed_midway_then_rerun_equals_an_uninterrupted_one(
    synced, built_warehouse, tmp_path
):
    crm = Crm(built_warehouse.world)
    try:
        warehouse = copy_warehouse(built_warehouse.path, tmp_path, "killed")
        names = list(FIELD_SYNCS + SEGMENT_SYNCS)
        child = subprocess.run(
            [
                sys.executable,
                str(CHILD),
                crm.hubspot.url,
                crm.salesforce.url,
                str(crm.world),
                str(warehouse),
                "12",
                *names,
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert child.returncode == -signal.SIGKILL, child.stderr[-2000:]
        partial = {name: len(crm.written(name)) for name in FIELD_SYNCS}
        assert 0 < sum(partial.values()) < sum(len(expected(warehouse, n)) for n in FIELD_SYNCS)
        results = by_name(run_syncs(ROOT, warehouse, names, endpoints=crm.endpoints()))
        assert all(r.status == "success" for r in results.values())
        reference = synced["crm"]
        for name in FIELD_SYNCS:
            assert crm.written(name) == reference.written(name), name
        # Nothing sent twice beyond the one batch answered before the kill and not yet recorded.
        sent = sum(r["records"] for r in crm.store("hubspot").log if "/batch/" in r["path"])
        assert len(expected(warehouse, "hubspot_contacts")) <= sent
        assert sent <= len(expected(warehouse, "hubspot_contacts")) + 100
        hubspot_members = crm.store("hubspot").members
        assert set().union(*hubspot_members.values()) == set(
            expected(warehouse, "hubspot_tier1_uncontacted")
        )
        assert len(crm.store("hubspot").lists) == 1
    finally:
        crm.stop()


# --------------------------------------------------------------------------------------------------


def _raw(con: duckdb.DuckDBPyConnection, table: str, key: str) -> dict[str, dict[str, Any]]:
    cursor = con.execute(f"select * from {table}")
    names = [c[0] for c in cursor.description]
    return {row[names.index(key)]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}


def _same(got: dict[str, Any], payload: dict[str, Any], lower: bool = False) -> bool:
    """Whether the destination's values equal the payload sent (types as each side keeps them)."""
    for name, want in payload.items():
        value = got.get(name.lower() if lower else name)
        if not _equal(value, want):
            return False
    return True


def _equal(value: Any, want: Any) -> bool:
    if want in (None, ""):
        return value in (None, "")
    if isinstance(value, datetime):
        return value == datetime.fromisoformat(str(want).replace("Z", "+00:00"))
    if isinstance(value, date):
        return value.isoformat() == str(want)
    if isinstance(value, float) or isinstance(want, float | int):
        return math.isclose(float(value), float(want), rel_tol=0, abs_tol=1e-9)
    return str(value) == str(want)


def test_gtm_sync_dry_run_on_the_command_line(built_warehouse, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from gtm import cli

    warehouse = copy_warehouse(built_warehouse.path, tmp_path, "cli")
    monkeypatch.setenv("GTM_DUCKDB_PATH", str(warehouse))
    runner = CliRunner()
    world = str(built_warehouse.world)
    result = runner.invoke(cli.app, ["sync", "--dry-run", "--world", world, "salesforce_leads"])
    assert result.exit_code == 0, result.output
    want = len(expected(warehouse, "salesforce_leads"))
    assert f"salesforce_leads: would send {want}, created 0, updated {want}," in result.output
    assert "Wh_Lead_Score__c=" in result.output  # the sample of new values
    unknown = runner.invoke(cli.app, ["sync", "--dry-run", "--world", world, "nope"])
    assert unknown.exit_code == 2
    assert "unknown sync 'nope'; declared: hubspot_contacts, " in unknown.output


def test_people_on_the_privacy_suppression_list_are_never_sent(built_warehouse, tmp_path):
    warehouse = copy_warehouse(built_warehouse.path, tmp_path, "privacy")
    before = expected(warehouse, "hubspot_contacts")
    with duckdb.connect(str(warehouse)) as con:
        erased = con.execute(
            "select c.hubspot_contact_id, sha256(lower(trim(p.email))) "
            "from marts.sync_hubspot_contacts as c inner join marts.dim_people as p "
            "on c.person_id = p.person_id order by c.hubspot_contact_id limit 2"
        ).fetchall()
        con.execute("create schema if not exists ops")
        con.execute("create table ops.privacy_suppressions (subject_hash varchar)")
        con.executemany("insert into ops.privacy_suppressions values (?)", [[h] for _, h in erased])
    after = expected(warehouse, "hubspot_contacts")
    assert set(before) - set(after) == {key for key, _ in erased}


def test_a_sync_stops_at_its_daily_budget_and_the_next_run_resumes(built_warehouse, tmp_path):
    crm = Crm(built_warehouse.world)
    try:
        warehouse = copy_warehouse(built_warehouse.path, tmp_path, "budget")
        names = ["salesforce_leads"]
        # The org allows 1,000,000 calls a day: 3 calls (describe and two batches) spend 0.0003%.
        tight = {"endpoints": crm.endpoints(), "settings": settings(daily_budget=0.000003)}
        stopped = run_syncs(ROOT, warehouse, names, **tight)[0]
        assert stopped.status == "budget"
        assert "daily API calls" in stopped.message and "the next run resumes" in stopped.message
        assert stopped.sent == 400
        resumed = run_syncs(ROOT, warehouse, names, endpoints=crm.endpoints())[0]
        assert resumed.status == "success"
        assert stopped.sent + resumed.sent == len(expected(warehouse, "salesforce_leads"))
        assert set(crm.written("salesforce_leads")) == set(expected(warehouse, "salesforce_leads"))
    finally:
        crm.stop()


def test_upsert_by_email_creates_the_missing_contact_and_updates_the_known_one(
    built_warehouse,
):
    from gtm.sync.hubspot import HubSpotWriter
    from gtm.sync.spec import FieldMap, SyncSpec
    from gtm.sync.state import Change
    from gtm.sync.transport import Budget, hubspot_client

    crm = Crm(built_warehouse.world)
    try:
        spec = SyncSpec(
            "upsert_test",
            "m",
            "hubspot",
            "contacts",
            "email",
            "upsert",
            (FieldMap("firstname", "first_name"),),
            id_property="email",
        )
        client = hubspot_client(crm.endpoints().settings["hubspot"])
        known = client.get("/crm/v3/objects/contacts", params={"limit": 1, "properties": "email"})
        known_email = known.json()["results"][0]["properties"]["email"]
        batch = [
            Change(known_email, {"firstname": "Known"}, "h1", None, {}),
            Change("new.person@newco.io", {"firstname": "New"}, "h2", None, {}),
        ]
        outcomes = HubSpotWriter(client, Budget(1.0)).send(spec, batch)
        assert [(o.ok, o.created) for o in outcomes] == [(True, False), (True, True)]
        found = client.post(
            "/crm/v3/objects/contacts/search",
            json={
                "filterGroups": [
                    {
                        "filters": [
                            {
                                "propertyName": "email",
                                "operator": "EQ",
                                "value": "new.person@newco.io",
                            }
                        ]
                    }
                ],
                "properties": ["firstname"],
            },
        ).json()["results"]
        assert [r["properties"]["firstname"] for r in found] == ["New"]
    finally:
        crm.stop()


def test_gtm_run_ends_with_the_syncs_when_enabled(built_warehouse, tmp_path, monkeypatch):
    from gtm.ops import run
    from gtm.ops.report import PublishOutcome, RunReport

    warehouse = copy_warehouse(built_warehouse.path, tmp_path, "run")
    report = RunReport(
        run_id="r1", started_at=datetime.now().astimezone(), mode="demo", warehouse=str(warehouse)
    )
    report.publish = PublishOutcome(path="p", tested=True)
    run._sync_stage(ROOT, warehouse, report, built_warehouse.world, lambda _line: None)
    assert [stage.stage for stage in report.stages] == []  # gtm.sync.enabled is false by default
    monkeypatch.setenv("GTM__SYNC__ENABLED", "true")
    monkeypatch.setenv("GTM__SYNC__NAMES", '["salesforce_contacts", "hubspot_tier1_uncontacted"]')
    run._sync_stage(ROOT, warehouse, report, built_warehouse.world, lambda _line: None)
    assert [stage.stage for stage in report.stages] == ["sync"]
    assert report.errors == []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select sync_name, status, sent from ops.sync_runs order by 1"
        ).fetchall()
    assert rows == [
        ("hubspot_tier1_uncontacted", "success", len(expected(warehouse, SEGMENT_SYNCS[0]))),
        ("salesforce_contacts", "success", len(expected(warehouse, "salesforce_contacts"))),
    ]


def test_the_local_salesforce_answers_collections_record_by_record(built_warehouse):
    """sObject Collections as Salesforce documents them: 200 with a result per record, in order;
    `allOrNone: true` applies nothing when one record fails."""
    from gtm.sync.transport import salesforce_client

    crm = Crm(built_warehouse.world)
    try:
        client, version = salesforce_client(crm.endpoints().settings["salesforce"])
        query = f"/services/data/{version}/query"
        soql = "SELECT Id FROM Lead WHERE IsConverted = false ORDER BY Id LIMIT 2"
        first, second = [r["Id"] for r in client.get(query, params={"q": soql}).json()["records"]]
        path = f"/services/data/{version}/composite/sobjects"
        lead = {"type": "Lead"}
        records = [
            {"attributes": lead, "id": first, "Wh_Lead_Score__c": 12.5},
            {"attributes": lead, "id": second, "Wh_Lead_Score__c": "high"},
            {"attributes": lead, "id": second, "CreatedDate": "2020-01-01T00:00:00Z"},
        ]
        answer = client.request("PATCH", path, json={"allOrNone": True, "records": records}).json()
        assert [r["success"] for r in answer] == [False, False, False]
        assert answer[0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
        assert answer[1]["errors"][0]["statusCode"] == "INVALID_TYPE_ON_FIELD_IN_RECORD"
        assert answer[2]["errors"][0]["statusCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"
        assert crm.written("salesforce_leads") == {}
        answer = client.request("PATCH", path, json={"allOrNone": False, "records": records}).json()
        assert [r["success"] for r in answer] == [True, False, False]
        assert crm.written("salesforce_leads") == {first: {"Wh_Lead_Score__c": 12.5}}
    finally:
        crm.stop()
