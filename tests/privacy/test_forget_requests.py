"""Bad input, interruption, honesty, suppression after ingest and retention, on a tiny warehouse.

The warehouse here holds hand-made raw CRM tables and no models; the dbt rebuild is replaced by a
recorder (the real rebuild, publish and byte scans are in test_forget.py), so each case runs in
a second.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from gtm import cli
from gtm.ops import dbt
from gtm.ops.dbt import DbtSummary
from gtm.privacy import compact, forget, keys
from gtm.privacy.subjects import gather

KEY = "another-test-key-0123456789abcdef"
ANN = "ann.lee@acme.io"
runner = CliRunner()
REBUILT: list[list[str]] = []
"""The selections the (recorded) dbt rebuild was asked for."""

RAW = """
create schema raw_hubspot;
create schema raw_salesforce;
create schema raw_hubspot_staging;
create table raw_hubspot.contacts as select * from (values
    ('1', 'Ann.Lee@acme.io', 'Ann', 'Lee', '+1 555 0100', null),
    ('2', 'bo@acme.io', 'Bo', 'Berg', '+1 555 0199', null),
    ('3', 'ann.old@acme.io', 'Ann', 'Lee', null, null),
    ('4', 'ann.lee@acme.io', 'Ann', 'Lee', null, '3')
) as t(id, email, firstname, lastname, phone, hs_merged_object_ids);
create table raw_hubspot.email_events as select * from (values
    ('e1', 'ann.lee@acme.io', timestamptz '2026-06-20 10:00:00+00'),
    ('e2', 'bo@acme.io', timestamptz '2026-06-20 10:00:00+00'),
    ('e3', 'bo@acme.io', timestamptz '2025-01-20 10:00:00+00'),
    ('e4', 'ann.lee@acme.io', timestamptz '2025-01-20 10:00:00+00')
) as t(id, recipient, created);
create table raw_hubspot.form_submissions as select * from (values
    ('f1', '[{"name":"email","value":"Ann.Lee@acme.io"}]', timestamptz '2026-06-01 00:00:00+00'),
    ('f2', '[{"name":"email","value":"bo@acme.io"}]', timestamptz '2026-06-01 00:00:00+00')
) as t(conversion_id, "values", submitted_at);
create table raw_hubspot_staging.contacts as select * from raw_hubspot.contacts;
create table raw_salesforce.lead as select * from (values
    ('00Q000000000001AAA', 'ann.lee@acme.io', '003000000000001AAA', 'Lee'),
    ('00Q000000000002AAA', 'bo@acme.io', null, 'Berg')
) as t(id, email, converted_contact_id, last_name);
create table raw_salesforce.contact as select * from (values
    ('003000000000001AAA', 'ann@lee-family.net', 'Lee')
) as t(id, email, last_name);
create table raw_salesforce.task as select * from (values
    ('00T1', '003000000000001AAA', date '2026-06-01'),
    ('00T2', '00Q000000000002AAA', date '2026-06-01')
) as t(id, who_id, activity_date);
"""


@pytest.fixture
def warehouse(tmp_path, monkeypatch):
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute(RAW)
    monkeypatch.setenv("GTM_DUCKDB_PATH", str(path))
    monkeypatch.setenv("GTM__PRIVACY__HMAC_KEY", KEY)
    monkeypatch.setenv("GTM__PRIVACY__RETENTION_DAYS", "0")
    monkeypatch.delenv("DLT_PROJECT_DIR", raising=False)
    REBUILT.clear()

    def run_models(root, wh, select=()):
        REBUILT.append(list(select))
        return DbtSummary(True, {"model": {"success": 2}})

    monkeypatch.setattr(dbt, "run_dbt_models", run_models)
    return path


def rows(path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


def audit(path: Path) -> list[tuple]:
    return rows(
        path,
        "select subject_hash, subject_kind, status, rows_removed, remaining, superseded_by "
        "from ops.privacy_erasures order by requested_at, subject_kind nulls first",
    )


def test_one_person_found_through_every_link_and_the_rest_kept(warehouse):
    result = runner.invoke(cli.app, ["forget", "hubspot:1"])
    assert result.exit_code == 0, result.output
    assert ": done: 9 raw row(s) removed, nothing left" in result.output
    assert ANN not in result.output
    # contact 1 -> e-mail -> contact 4 (merged 3) and lead 1 -> converted contact 1 (another e-mail)
    assert rows(warehouse, "select id from raw_hubspot.contacts") == [("2",)]
    assert rows(warehouse, "select id from raw_hubspot.email_events order by id") == [
        ("e2",),
        ("e3",),
    ]
    assert rows(warehouse, "select conversion_id from raw_hubspot.form_submissions") == [("f2",)]
    assert rows(warehouse, "select id from raw_salesforce.lead") == [("00Q000000000002AAA",)]
    assert rows(warehouse, "select count(*) from raw_salesforce.contact") == [(0,)]
    assert rows(warehouse, "select id from raw_salesforce.task") == [("00T2",)]
    assert rows(warehouse, "select count(*) from raw_hubspot_staging.contacts") == [(0,)]
    assert REBUILT == [["source:hubspot+", "source:salesforce+"]]
    ((subject_hash, kind, status, removed, remaining, _),) = audit(warehouse)
    assert subject_hash == keys.keyed_hash(KEY, "hubspot_contact:1")
    assert (kind, status, json.loads(remaining)) == ("hubspot_contact", "done", {})
    assert json.loads(removed) == {
        "raw_hubspot.contacts": 3,
        "raw_hubspot.email_events": 2,
        "raw_hubspot.form_submissions": 1,
        "raw_salesforce.contact": 1,
        "raw_salesforce.lead": 1,
        "raw_salesforce.task": 1,
    }
    suppressed = {
        r[0] for r in rows(warehouse, "select subject_hash from ops.privacy_suppressions")
    }
    assert len(suppressed) == 8  # 3 e-mails, 3 HubSpot contacts, 1 lead, 1 contact
    assert keys.keyed_hash(KEY, "email:ann@lee-family.net") in suppressed
    assert not any(ANN in str(r) for r in rows(warehouse, "select * from ops.privacy_erasures"))


def test_a_file_with_unknown_and_malformed_requests_gets_a_line_and_a_row_each(warehouse, tmp_path):
    requests = tmp_path / "requests.txt"
    requests.write_text(f"# week 12\n{ANN}\nnobody@nowhere.org\nAnn Lee\nhubspot:999\n")
    result = runner.invoke(cli.app, ["forget", "--file", str(requests)])
    assert result.exit_code == 1  # an invalid request is not a success
    lines = [line for line in result.output.splitlines() if "requests.txt line" in line]
    assert len(lines) == 4
    assert ": done: " in lines[0]
    assert "not found in the warehouse; added to the suppression list" in lines[1]
    assert "invalid: neither an e-mail address nor a CRM id; nothing was erased" in lines[2]
    assert "not found" in lines[3]
    statuses = sorted((kind or "-", status) for _h, kind, status, *_ in audit(warehouse))
    assert statuses == [
        ("-", "invalid"),
        ("email", "done"),
        ("email", "not_found"),
        ("hubspot_contact", "not_found"),
    ]


def test_an_interrupted_forget_is_recorded_and_a_rerun_completes_it(warehouse, monkeypatch):
    original = compact.compact_file

    def killed(path):
        raise KeyboardInterrupt

    monkeypatch.setattr(compact, "compact_file", killed)
    with pytest.raises(KeyboardInterrupt):
        forget.forget(Path.cwd(), warehouse, gather([ANN], []), publish_path=warehouse.parent / "p")
    ((_h, _k, status, _r, _rem, _s),) = audit(warehouse)
    assert status == "started"  # never reported as done
    monkeypatch.setattr(compact, "compact_file", original)
    report = forget.forget(
        Path.cwd(), warehouse, gather([ANN], []), publish_path=warehouse.parent / "p"
    )
    assert [s.status for s in report.subjects] == ["done"]
    assert report.subjects[0].message == "completes an earlier, unfinished request"
    first, second = audit(warehouse)
    assert (first[2], first[5]) == ("started", report.request_id)
    assert (second[2], second[5]) == ("done", None)


def test_a_person_left_in_a_model_is_partial_not_done(warehouse, tmp_path):
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create table main.dim_people as select 'ann.lee@acme.io' as email, 1 as n")
    report = forget.forget(
        tmp_path, warehouse, gather([ANN], []), publish_path=tmp_path / "none.duckdb"
    )
    (outcome,) = report.subjects
    assert outcome.status == "partial"
    assert outcome.remaining == {"main.dim_people": 1}
    assert not report.ok
    assert "partial: 9 raw row(s) removed; left: main.dim_people (1)" in outcome.line()


def test_suppressed_people_leave_raw_after_the_next_ingest(warehouse, tmp_path):
    forget.forget(tmp_path, warehouse, gather([ANN], []), publish_path=tmp_path / "p.duckdb")
    with duckdb.connect(str(warehouse)) as con:  # a full re-ingest brings everyone back
        con.execute("drop schema raw_hubspot cascade; drop schema raw_salesforce cascade")
        con.execute("drop schema raw_hubspot_staging cascade")
        con.execute(RAW)
    result = forget.apply_suppressions(tmp_path, warehouse)
    assert result.people >= 1
    assert sum(result.rows_removed.values()) == 9
    assert rows(warehouse, "select id from raw_hubspot.contacts") == [("2",)]
    assert not any(ANN in str(r) for r in rows(warehouse, "select * from raw_hubspot.email_events"))


def test_a_changed_key_is_refused_before_anything_is_removed(warehouse, tmp_path, monkeypatch):
    forget.forget(tmp_path, warehouse, gather(["bo@acme.io"], []), publish_path=tmp_path / "p")
    monkeypatch.setenv("GTM__PRIVACY__HMAC_KEY", "a-different-key-0123456789abcdef")
    with pytest.raises(keys.HmacKeyError, match="not the one this warehouse"):
        forget.apply_suppressions(tmp_path, warehouse)
    assert rows(warehouse, "select count(*) from raw_hubspot.contacts") == [(3,)]


def test_retention_purges_events_older_than_the_horizon_from_the_configured_date(
    warehouse, tmp_path, monkeypatch
):
    monkeypatch.setenv("GTM__PRIVACY__RETENTION_DAYS", "90")
    monkeypatch.setenv("GTM__PRIVACY__RETENTION_AS_OF", "2026-06-30")
    result = forget.apply_suppressions(tmp_path, warehouse)
    assert result.expired == {"raw_hubspot.email_events": 2}
    assert rows(warehouse, "select id from raw_hubspot.email_events order by id") == [
        ("e1",),
        ("e2",),
    ]
    monkeypatch.setenv("GTM__PRIVACY__RETENTION_DAYS", "-1")
    with pytest.raises(Exception, match="retention_days must be a whole number of days >= 0"):
        forget.apply_suppressions(tmp_path, warehouse)
