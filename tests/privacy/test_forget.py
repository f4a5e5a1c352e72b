"""`gtm forget` on a person present in every source, on a copy of the session's built warehouse.

One erasure and one full re-ingest are shared by every assertion: the person's e-mail, phone and
name leave every file (warehouse, dlt's working folders, the published file, the dashboard output);
every other count is unchanged; the audit row holds only a keyed hash; the suppression list keeps
the person out of a full re-ingest; and the published file holds no e-mail, phone or name at all.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest
from privacy_support import files_under, holders
from warehouse_support import BIN, REPO, run_dbt, warehouse_env

from gtm.privacy import keys

KEY = "test-only-hmac-key-0123456789abcdef"
PERSON_SOURCES = ("hubspot", "salesforce")

PICK = """
with hs as (
    select lower(email) as email, list(id) as hubspot_ids, min(firstname) as first_name,
        min(lastname) as last_name, min(phone) as phone
    from raw_hubspot.contacts where email is not null group by 1
), leads as (
    select lower(email) as email, list(id) as lead_ids from raw_salesforce.lead
    where email is not null group by 1
), contacts as (
    select lower(email) as email, list(id) as contact_ids from raw_salesforce.contact
    where email is not null group by 1
), names as (
    select full_name, count(distinct email) as people from (
        select firstname || ' ' || lastname as full_name, lower(email) as email
        from raw_hubspot.contacts
        union all select first_name || ' ' || last_name, lower(email) from raw_salesforce.lead
        union all select first_name || ' ' || last_name, lower(email) from raw_salesforce.contact
    ) group by 1
)
select hs.email, hs.hubspot_ids, leads.lead_ids, contacts.contact_ids, hs.first_name,
    hs.last_name, hs.phone
from hs
inner join leads on hs.email = leads.email
inner join contacts on hs.email = contacts.email
inner join names on hs.first_name || ' ' || hs.last_name = names.full_name
where names.people = 1 and hs.phone is not null
    and exists (select 1 from raw_hubspot.email_events as e where lower(e.recipient) = hs.email)
    and exists (select 1 from raw_hubspot.web_events as w
                where list_contains(hs.hubspot_ids, w.object_id))
    and exists (select 1 from raw_hubspot.form_submissions as f
                where contains(lower(cast(f."values" as varchar)), hs.email))
    and exists (select 1 from raw_salesforce.campaign_member as m
                where list_contains(leads.lead_ids, m.lead_id)
                    or list_contains(contacts.contact_ids, m.contact_id))
    and exists (select 1 from raw_salesforce.task as t
                where list_contains(leads.lead_ids || contacts.contact_ids, t.who_id))
order by hs.email
limit 1
"""

# The person's rows in raw, table by table: what the erasure may remove and nothing else.
PERSON_ROWS = {
    "raw_hubspot.contacts": "lower(email) = $email or list_contains($hubspot, id)",
    "raw_hubspot.contacts_to_companies": "list_contains($hubspot, from_id)",
    "raw_hubspot.deals_to_contacts": "list_contains($hubspot, to_id)",
    "raw_hubspot.web_events": "object_type = 'CONTACT' and list_contains($hubspot, object_id)",
    "raw_hubspot.email_events": "lower(recipient) = $email",
    "raw_hubspot.form_submissions": 'contains(lower(cast("values" as varchar)), $email)',
    "raw_salesforce.lead": "list_contains($leads, id)",
    "raw_salesforce.contact": "list_contains($contacts, id)",
    "raw_salesforce.campaign_member": (
        "list_contains($leads, lead_id) or list_contains($contacts, contact_id)"
    ),
    "raw_salesforce.task": "list_contains($leads || $contacts, who_id)",
    "raw_salesforce.event": "list_contains($leads || $contacts, who_id)",
    "raw_salesforce.opportunity_contact_role": "list_contains($contacts, contact_id)",
    "raw_salesforce.deleted_records": "list_contains($leads || $contacts, id)",
}


@dataclass
class Person:
    email: str
    hubspot: list[str]
    leads: list[str]
    contacts: list[str]
    first_name: str
    last_name: str
    phone: str
    person_ids: list[str] = field(default_factory=list)

    def params(self) -> dict:
        return {
            "email": self.email,
            "hubspot": self.hubspot,
            "leads": self.leads,
            "contacts": self.contacts,
        }

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def form_name(self) -> str:
        """The name as a HubSpot form submission's field values hold it."""
        return f'"value":"{self.first_name}"}},{{"name":"lastname","value":"{self.last_name}"'

    def needles(self) -> list[str]:
        return [self.email, self.phone, self.full_name, self.form_name]


@dataclass
class Forgotten:
    person: Person
    work: Path
    warehouse: Path
    published: Path
    dashboard: Path
    before: dict
    after: dict
    reingested: dict
    found_before: dict
    found_after: dict
    output: str
    returncode: int


def snapshot(path: Path, person: Person) -> dict:
    """Row counts of every raw table and mart, the person's rows, and a few reconciliations."""
    with duckdb.connect(str(path), read_only=True) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_type = 'BASE TABLE' and (table_schema = 'marts' or "
            "(table_schema in ('raw_hubspot', 'raw_salesforce', 'raw_google_ads', "
            "'raw_facebook_ads', 'raw_linkedin_ads') "
            "and table_name not like '\\_dlt%' escape '\\'))"
        ).fetchall()
        counts = {
            f"{s}.{t}": con.execute(f'select count(*) from "{s}"."{t}"').fetchone()[0]
            for s, t in tables
        }
        mine = {
            name: con.execute(
                f"select count(*) from {name} where {cond}",
                {k: v for k, v in person.params().items() if f"${k}" in cond},
            ).fetchone()[0]
            for name, cond in PERSON_ROWS.items()
        }
        ids = person.person_ids or [
            r[0]
            for r in con.execute(
                "select person_id from marts.dim_people where lower(email) = ?", [person.email]
            ).fetchall()
        ]
        by_person = {}
        for (name,) in con.execute(
            "select table_name from information_schema.columns "
            "where table_schema = 'marts' and column_name = 'person_id'"
        ).fetchall():
            by_person[f"marts.{name}"] = con.execute(
                f"select count(*) from marts.{name} where list_contains(?, person_id)", [ids]
            ).fetchone()[0]
        by_model = (
            "select attribution_model, conversion_type, round(sum(attributed_amount), 2), "
            "round(sum({credit}), 6) from marts.{table} group by 1, 2 order by 1, 2"
        )
        sums = {
            "opportunity_amount": con.execute(
                "select sum(amount) from marts.fct_opportunities"
            ).fetchone()[0],
            "ad_spend": con.execute(
                "select sum(spend) from marts.fct_ad_performance_daily"
            ).fetchone()[0],
            "monthly_spend": con.execute(
                "select sum(spend) from marts.fct_marketing_performance_monthly"
            ).fetchone()[0],
            "attribution_by_model": con.execute(
                by_model.format(credit="credit", table="fct_attribution")
            ).fetchall(),
            "outcomes_by_model": con.execute(
                by_model.format(credit="attributed_conversions", table="fct_attributed_outcomes")
            ).fetchall(),
        }
        new_leads = con.execute(
            "select sum(new_leads) from marts.fct_marketing_performance_monthly"
        ).fetchone()[0]
        is_lead = con.execute(
            "select count(*) from marts.dim_people "
            "where list_contains(?, person_id) and became_lead_at is not null",
            [ids],
        ).fetchone()[0]
    return {
        "counts": counts,
        "mine": mine,
        "person_ids": ids,
        "by_person": by_person,
        "sums": sums,
        "new_leads": new_leads,
        "is_lead": is_lead,
    }


def run(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True, check=False)


def pick_person(path: Path) -> Person:
    with duckdb.connect(str(path), read_only=True) as con:
        row = con.execute(PICK).fetchone()
    assert row is not None, "the small world has nobody present in every source"
    return Person(*row)


@pytest.fixture(scope="module")
def forgotten(built_warehouse, tmp_path_factory) -> Forgotten:
    work = tmp_path_factory.mktemp("forget")
    warehouse = work / "warehouse.duckdb"
    shutil.copy(built_warehouse.path, warehouse)
    wal = built_warehouse.path.with_name(built_warehouse.path.name + ".wal")
    if wal.exists():  # the build's last transactions, not checkpointed yet
        shutil.copy(wal, warehouse.with_name(wal.name))
    pipelines = built_warehouse.path.parent / ".gtm" / "pipelines" / "warehouse"
    shutil.copytree(pipelines, work / ".gtm" / "pipelines" / "warehouse")
    target = work / ".gtm" / "warehouse" / "target"
    target.mkdir(parents=True)
    shutil.copy(built_warehouse.path.parent / "target" / "manifest.json", target)
    env = warehouse_env(warehouse) | {"GTM__PRIVACY__HMAC_KEY": KEY}
    published = work / "warehouse_marts.duckdb"
    done = run(
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path; from gtm.ops import publish; "
            "publish.publish_with_policy(Path(sys.argv[1]), Path(sys.argv[2]), "
            "Path(sys.argv[3]), 'before')",
            str(REPO),
            str(warehouse),
            str(published),
        ],
        env,
    )
    assert done.returncode == 0, done.stderr
    person = pick_person(warehouse)
    # a dashboard under target/ that holds the person, as an older build could have left one
    dashboard = target / "dashboard" / "index.html"
    dashboard.parent.mkdir()
    dashboard.write_text(
        f"<td>{person.full_name}</td><td>{person.email}</td><td>{person.phone}</td>"
    )
    before = snapshot(warehouse, person)
    person.person_ids = before["person_ids"]
    scanned = [work]  # the warehouse and its WAL, the published file, dlt's and dbt's folders
    found_before = holders(files_under(*scanned), person.needles())

    forget = run([str(BIN / "gtm"), "forget", person.email], env)
    after = snapshot(warehouse, person)
    found_after = holders(files_under(*scanned), person.needles())

    # A full re-ingest of the two CRMs: their raw data and dlt state gone, everything reloaded.
    with duckdb.connect(str(warehouse)) as con:
        for source in PERSON_SOURCES:
            con.execute(f"drop schema if exists raw_{source} cascade")
            con.execute(f"drop schema if exists raw_{source}_staging cascade")
    for source in PERSON_SOURCES:
        shutil.rmtree(work / ".gtm" / "pipelines" / "warehouse" / f"gtm_{source}")
    ingest = run(
        [str(BIN / "gtm"), "ingest", *PERSON_SOURCES, "--world", str(built_warehouse.world)], env
    )
    assert ingest.returncode == 0, ingest.stderr[-2000:]
    rebuilt = run_dbt(warehouse, work, "run", "--select", *(f"source:{s}+" for s in PERSON_SOURCES))
    assert rebuilt.returncode == 0, rebuilt.stdout[-2000:]
    reingested = snapshot(warehouse, person)
    return Forgotten(
        person,
        work,
        warehouse,
        published,
        dashboard,
        before,
        after,
        reingested,
        found_before,
        found_after,
        forget.stdout + forget.stderr,
        forget.returncode,
    )


def test_the_person_was_everywhere_before(forgotten):
    before = forgotten.before
    assert all(
        before["mine"][name] > 0
        for name in (
            "raw_hubspot.contacts",
            "raw_hubspot.web_events",
            "raw_hubspot.email_events",
            "raw_hubspot.form_submissions",
            "raw_salesforce.lead",
            "raw_salesforce.contact",
            "raw_salesforce.campaign_member",
            "raw_salesforce.task",
        )
    ), before["mine"]
    assert before["by_person"]["marts.dim_people"] == 1
    # the scan can fail: before the erasure it finds the person in the warehouse, the dlt
    # load packages and the dashboard
    files = forgotten.found_before[forgotten.person.email]
    assert str(forgotten.warehouse) in files
    assert any("/load/loaded/" in f and f.endswith(".parquet") for f in files)
    assert str(forgotten.dashboard) in files
    person = forgotten.person
    assert str(forgotten.dashboard) in forgotten.found_before[person.full_name]
    assert str(forgotten.warehouse) in forgotten.found_before[person.form_name]
    assert str(forgotten.dashboard) in forgotten.found_before[person.phone]


def test_forget_reports_done(forgotten):
    assert forgotten.returncode == 0, forgotten.output
    assert "#1 (email, " in forgotten.output and ": done: " in forgotten.output
    assert forgotten.person.email not in forgotten.output


def test_no_file_holds_the_persons_email_phone_or_name(forgotten):
    assert forgotten.found_after == {}
    # The dashboard was drawn again from the new publish (the scan above proves it holds nobody).
    assert "Go-to-market dashboard" in forgotten.dashboard.read_text(encoding="utf-8")


def test_only_the_persons_rows_left_raw(forgotten):
    before, after = forgotten.before, forgotten.after
    assert after["mine"] == dict.fromkeys(PERSON_ROWS, 0)
    expected = {
        name: count - before["mine"].get(name, 0) for name, count in before["counts"].items()
    }
    raw = {n: c for n, c in after["counts"].items() if n.startswith("raw_")}
    assert raw == {n: c for n, c in expected.items() if n.startswith("raw_")}


def test_only_the_persons_rows_left_the_marts(forgotten):
    """Marts keyed by person lose exactly the person's rows; the others keep their counts.

    The attribution models credit each conversion in full, so the conversions the person touched
    are credited to the other touches: per model the totals reconcile as before. Only the
    aggregates of those credits (fct_attributed_outcomes, rpt_marketing_roi) may lose cells that no
    one else fed.
    """
    before, after = forgotten.before, forgotten.after
    assert after["by_person"] == dict.fromkeys(before["by_person"], 0)
    marts = {n: c for n, c in after["counts"].items() if n.startswith("marts.")}
    expected = {
        n: c - before["by_person"].get(n, 0)
        for n, c in before["counts"].items()
        if n.startswith("marts.")
    }
    for aggregate in ("marts.fct_attributed_outcomes", "marts.rpt_marketing_roi"):
        assert marts.pop(aggregate) <= expected.pop(aggregate)
    assert marts == expected
    # Every conversion is still counted in full (Unattributed included) under every model; one
    # whose only touches were the person's is now unattributed, so touch credit may only shrink.
    credited_before = {row[:2]: row[2:] for row in before["sums"]["attribution_by_model"]}
    credited_after = {row[:2]: row[2:] for row in after["sums"]["attribution_by_model"]}
    assert credited_after.keys() == credited_before.keys()
    for key, (amount, conversions) in credited_after.items():
        assert amount <= credited_before[key][0] and conversions <= credited_before[key][1]
    rest = ("attribution_by_model",)
    assert {k: v for k, v in after["sums"].items() if k not in rest} == {
        k: v for k, v in before["sums"].items() if k not in rest
    }
    assert after["new_leads"] == before["new_leads"] - before["is_lead"]


def audit_rows(path: Path) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(
            "select subject_hash, subject_kind, status, rows_removed, remaining, "
            "completed_at >= requested_at from ops.privacy_erasures"
        ).fetchall()


def test_the_audit_row_holds_a_keyed_hash_and_what_was_removed(forgotten):
    (row,) = audit_rows(forgotten.warehouse)
    subject_hash, kind, status, removed, remaining, ordered = row
    assert subject_hash == keys.keyed_hash(KEY, f"email:{forgotten.person.email}")
    assert (kind, status, json.loads(remaining), ordered) == ("email", "done", {}, True)
    mine = {n: c for n, c in forgotten.before["mine"].items() if c}
    assert json.loads(removed) == mine
    with duckdb.connect(str(forgotten.warehouse), read_only=True) as con:
        suppressed = {
            r[0]
            for r in con.execute("select subject_hash from ops.privacy_suppressions").fetchall()
        }
    person = forgotten.person
    assert keys.keyed_hash(KEY, f"email:{person.email}") in suppressed
    for lead in person.leads:
        assert keys.keyed_hash(KEY, f"salesforce_lead:{lead}") in suppressed


def test_a_full_reingest_does_not_bring_the_person_back(forgotten):
    after, again = forgotten.after, forgotten.reingested
    assert again["mine"] == dict.fromkeys(PERSON_ROWS, 0)
    assert again["by_person"] == dict.fromkeys(after["by_person"], 0)
    assert again["counts"] == after["counts"]
    assert again["sums"] == after["sums"]
    assert again["new_leads"] == after["new_leads"]


def test_the_published_file_holds_no_email_phone_or_name(forgotten):
    with duckdb.connect(str(forgotten.warehouse), read_only=True) as con:
        people = con.execute(
            "select lower(firstname || ' ' || lastname), lower(lastname), phone "
            "from raw_hubspot.contacts union all "
            "select lower(first_name || ' ' || last_name), lower(last_name), phone "
            "from raw_salesforce.contact"
        ).fetchall()
    full_names = {p[0] for p in people if p[0]}
    phones = {re.sub(r"\D", "", p[2]) for p in people if p[2] and len(re.sub(r"\D", "", p[2])) >= 7}
    email = re.compile(r"[^@\s]+@[^@\s]+\.[a-z]{2,}", re.IGNORECASE)
    leaks = []
    with duckdb.connect(str(forgotten.published), read_only=True) as con:
        columns = con.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where data_type = 'VARCHAR'"
        ).fetchall()
        for schema, table, column in columns:
            for (value,) in con.execute(
                f'select distinct "{column}" from "{schema}"."{table}"'
            ).fetchall():
                if value is None:
                    continue
                text = str(value).lower()
                digits = re.sub(r"\D", "", text)
                if email.search(text) or digits in phones or any(n in text for n in full_names):
                    leaks.append((schema, table, column))
                    break
    assert leaks == []
