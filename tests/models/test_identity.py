"""The identity layer and the quarantine against the demo world's truth.

The scale-0.1 world is ingested and built with dbt once per session (`built_warehouse`). Every
expectation here is computed independently of the dbt models: from `truth/` (which record belongs
to which person or company, the defect manifest), from the world's own files (the state of each
CRM record as of the as-of date) and from the raw tables the loaders wrote. Only equalities.

Identity rules under test (models/intermediate/identity/_identity__docs.md): records are the same
person when their valid normalised e-mails are equal, when one is a HubSpot contact merged into the
other, or when one is a lead converted into the other; test records belong to nobody; a record
without a valid e-mail is usable only when a merge or a conversion ties it to a person who has one.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

import duckdb
import pytest

IDENTITY_MODELS = (
    "int_person_records_unioned",
    "int_person_records_mapped",
    "int_people_resolved",
    "int_account_records_unioned",
    "int_account_records_mapped",
    "int_accounts_resolved",
    "int_records_quarantined",
)
PERSON_OBJECTS = (("hubspot", "contacts"), ("salesforce", "Lead"), ("salesforce", "Contact"))
OWN_PATHS = (
    "models/intermediate/identity/",
    "models/intermediate/quality/",
    "tests/dbt/identity/",
)

Record = tuple[str, str, str]
"""(source system, source object, record id), as truth/records.parquet names them."""


# --- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def wh(built_warehouse):
    """The built warehouse."""
    return built_warehouse


@pytest.fixture(scope="module")
def world(built_warehouse) -> duckdb.DuckDBPyConnection:
    """DuckDB views over the world's truth and the current state (last version) of CRM people."""
    root: Path = built_warehouse.world
    con = duckdb.connect()
    for name in ("records", "people", "companies"):
        path = root / "truth" / f"{name}.parquet"
        con.execute(f"create view truth_{name} as select * from read_parquet('{path}')")
    for view, path, key in (
        ("hubspot_contacts", "hubspot/contacts", "id"),
        ("salesforce_leads", "salesforce/Lead", "Id"),
        ("salesforce_contacts", "salesforce/Contact", "Id"),
    ):
        con.execute(
            f"create view {view} as select * from read_parquet('{root / path}.parquet') "
            f"qualify row_number() over (partition by {key} order by _version_at desc) = 1"
        )
    yield con
    con.close()


@pytest.fixture(scope="module")
def manifest(built_warehouse) -> dict:
    return json.loads((built_warehouse.world / "truth" / "defects.json").read_text())


# --- independent expectations --------------------------------------------------------------------


def _normalise(email: str | None) -> str | None:
    if email is None or not email.strip():
        return None
    return email.strip().lower()


def _is_valid(email: str | None) -> bool:
    """The manifest's rule: one `@`, a local part, a `.` and no `..` in the domain; no spaces."""
    if email is None or " " in email or email.count("@") != 1:
        return False
    local, domain = email.split("@")
    return local != "" and "." in domain and ".." not in domain and not domain.endswith(".")


class _Components:
    """Union-find over arbitrary hashable nodes."""

    def __init__(self) -> None:
        self.parent: dict = {}

    def find(self, node):
        self.parent.setdefault(node, node)
        while self.parent[node] != node:
            self.parent[node] = self.parent[self.parent[node]]
            node = self.parent[node]
        return node

    def union(self, a, b) -> None:
        self.parent[self.find(a)] = self.find(b)


@pytest.fixture(scope="module")
def person_records(world) -> dict[Record, dict]:
    """Every CRM person record as of the as-of date, with what identity needs to know of it.

    A contact merged into another is gone from the API (its e-mail unknown to the warehouse): it
    keeps only its survivor.
    """
    records: dict[Record, dict] = {}
    for rid, email, archived, merged_into in world.execute(
        "select id, email, coalesce(archived, false), _merged_into from hubspot_contacts"
    ).fetchall():
        records[("hubspot", "contacts", rid)] = {
            "email": None if merged_into else _normalise(email),
            "deleted": bool(archived) and not merged_into,
            "merged_into": merged_into,
        }
    for rid, email, deleted, converted in world.execute(
        "select Id, Email, coalesce(IsDeleted, false), ConvertedContactId from salesforce_leads"
    ).fetchall():
        records[("salesforce", "Lead", rid)] = {
            "email": _normalise(email),
            "deleted": bool(deleted),
            "converted_contact": converted,
        }
    for rid, email, deleted in world.execute(
        "select Id, Email, coalesce(IsDeleted, false) from salesforce_contacts"
    ).fetchall():
        records[("salesforce", "Contact", rid)] = {
            "email": _normalise(email),
            "deleted": bool(deleted),
        }
    tests = {
        (system, obj, rid)
        for system, obj, rid in world.execute(
            "select system, object, record_id from truth_records where is_test"
        ).fetchall()
    }
    for key, record in records.items():
        record["test"] = key in tests
        record["valid"] = _is_valid(record["email"])
    return records


@pytest.fixture(scope="module")
def usable_records(person_records) -> set[Record]:
    """The records the crosswalk must hold: not tests, in a component with a valid e-mail."""
    components = _Components()
    for key, record in person_records.items():
        if record["test"]:
            continue
        components.find(key)
        if record["valid"]:
            components.union(key, ("email", record["email"]))
        # A merge or a conversion ties two non-test records whatever their e-mails.
        for linked in (
            ("hubspot", "contacts", record.get("merged_into")),
            ("salesforce", "Contact", record.get("converted_contact")),
        ):
            if linked in person_records and not person_records[linked]["test"]:
                components.union(key, linked)
    with_email = {
        components.find(("email", r["email"])) for r in person_records.values() if r["valid"]
    }
    return {
        key
        for key, record in person_records.items()
        if not record["test"] and components.find(key) in with_email
    }


@pytest.fixture(scope="module")
def true_person(world) -> dict[Record, int]:
    return {
        (system, obj, rid): person
        for system, obj, rid, person in world.execute(
            "select system, object, record_id, person_id from truth_records "
            "where person_id is not null"
        ).fetchall()
    }


# --- helpers -----------------------------------------------------------------------------------


def _crosswalk(wh, model: str, key: str) -> dict[Record, str]:
    return {
        (system, obj, rid): target
        for system, obj, rid, target in wh.query(
            f"select source_system, source_object, source_record_id, {key} from main.{model}"
        )
    }


def _assert_pure_and_complete(mapped: dict[Record, str], truth: dict[Record, int]) -> None:
    """Every true entity maps to exactly one model id, and no model id spans two true entities."""
    model_ids_per_truth: dict[int, set[str]] = defaultdict(set)
    truths_per_model_id: dict[str, set[int]] = defaultdict(set)
    for record, model_id in mapped.items():
        model_ids_per_truth[truth[record]].add(model_id)
        truths_per_model_id[model_id].add(truth[record])
    split = {t: ids for t, ids in model_ids_per_truth.items() if len(ids) > 1}
    merged = {m: ts for m, ts in truths_per_model_id.items() if len(ts) > 1}
    assert split == {}, f"true entities split over several ids: {list(split.items())[:5]}"
    assert merged == {}, f"ids spanning several true entities: {list(merged.items())[:5]}"


def _quarantine_counts(wh, reasons: tuple[str, ...]) -> Counter:
    listed = ", ".join(f"'{r}'" for r in reasons)
    return Counter(
        {
            (reason, key): n
            for reason, key, n in wh.query(
                "select reason, source_system || '.' || detail, count(*) "
                f"from main.int_records_quarantined where reason in ({listed}) group by all"
            )
        }
    )


# --- the build ---------------------------------------------------------------------------------


def test_identity_models_build_and_pass_their_tests(wh):
    """Every model, generic test and singular test of identity and quality ran and passed."""
    manifest = json.loads((wh.path.parent / "target" / "manifest.json").read_text())
    mine = {
        unique_id
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] in {"model", "test"}
        and node["original_file_path"].startswith(OWN_PATHS)
    }
    assert {uid.rsplit(".", 1)[-1] for uid in mine if uid.startswith("model.")} == set(
        IDENTITY_MODELS
    )
    status = {r["unique_id"]: r["status"] for r in wh.results if r["unique_id"] in mine}
    assert set(status) == mine, f"not run: {sorted(mine - set(status))}"
    bad = {uid: s for uid, s in status.items() if s not in {"success", "pass"}}
    assert bad == {}, "\n".join(f for f in wh.failures() if f.split(":")[0] in bad)


# --- the quarantine ------------------------------------------------------------------------------


def test_quarantined_test_records_equal_the_manifest(wh, manifest):
    found = {
        f"{system}.{table}": n
        for system, table, n in wh.query(
            "select source_system, source_table, count(*) from main.int_records_quarantined "
            "where reason = 'test_record' group by all"
        )
    }
    assert found == manifest.get("test_records", {})


def test_quarantined_invalid_emails_equal_the_manifest(wh, manifest):
    found = {
        f"{system}.{table}": n
        for system, table, n in wh.query(
            "select source_system, source_table, count(*) from main.int_records_quarantined "
            "where reason = 'invalid_email' group by all"
        )
    }
    assert found == manifest.get("invalid_emails", {})


def test_quarantined_missing_required_fields_equal_the_manifest(wh, manifest):
    found = {
        f"{system}.{detail}": n
        for system, detail, n in wh.query(
            "select source_system, detail, count(*) from main.int_records_quarantined "
            "where reason = 'missing_required_field' group by all"
        )
    }
    assert found == manifest.get("null_required_fields", {})


def test_quarantined_missing_emails_are_the_salesforce_people_without_one(wh, person_records):
    expected = Counter(
        f"salesforce.{obj}"
        for (system, obj, _), record in person_records.items()
        if system == "salesforce" and record["email"] is None
    )
    found = Counter(
        {
            f"{system}.{table}": n
            for system, table, n in wh.query(
                "select source_system, source_table, count(*) from main.int_records_quarantined "
                "where reason = 'missing_email' group by all"
            )
        }
    )
    assert found == expected


def _raw_reference_defects(wh) -> Counter:
    """Orphaned references and null keys, counted on the raw tables the loaders wrote."""
    # Known ids and e-mails, nulls left out (a null in a `not in` list would hide every orphan).
    contacts = (
        "(select id from raw_hubspot.contacts union select trim(merged_id) from "
        "(select unnest(string_split(hs_merged_object_ids, ';')) as merged_id "
        "from raw_hubspot.contacts) where nullif(trim(merged_id), '') is not null)"
    )
    emails = (
        "(select email from (select lower(trim(email)) as email from raw_hubspot.contacts "
        "union select lower(trim(email)) from raw_salesforce.lead "
        "union select lower(trim(email)) from raw_salesforce.contact) "
        "where nullif(email, '') is not null)"
    )
    checks = {
        ("orphaned_reference", "salesforce.OpportunityContactRole.ContactId"): (
            "raw_salesforce.opportunity_contact_role",
            "contact_id is not null and contact_id not in (select id from raw_salesforce.contact)",
        ),
        ("null_key", "salesforce.OpportunityContactRole.ContactId"): (
            "raw_salesforce.opportunity_contact_role",
            "contact_id is null",
        ),
        ("orphaned_reference", "salesforce.OpportunityContactRole.OpportunityId"): (
            "raw_salesforce.opportunity_contact_role",
            "opportunity_id is not null "
            "and opportunity_id not in (select id from raw_salesforce.opportunity)",
        ),
        ("orphaned_reference", "salesforce.CampaignMember.LeadId"): (
            "raw_salesforce.campaign_member",
            "lead_id is not null and lead_id not in (select id from raw_salesforce.lead)",
        ),
        ("orphaned_reference", "salesforce.CampaignMember.ContactId"): (
            "raw_salesforce.campaign_member",
            "contact_id is not null and contact_id not in (select id from raw_salesforce.contact)",
        ),
        ("null_key", "salesforce.CampaignMember.LeadOrContactId"): (
            "raw_salesforce.campaign_member",
            "lead_id is null and contact_id is null",
        ),
        ("orphaned_reference", "salesforce.Contact.AccountId"): (
            "raw_salesforce.contact",
            "account_id is not null and account_id not in (select id from raw_salesforce.account)",
        ),
        ("orphaned_reference", "salesforce.Opportunity.AccountId"): (
            "raw_salesforce.opportunity",
            "account_id is not null and account_id not in (select id from raw_salesforce.account)",
        ),
        ("orphaned_reference", "hubspot.contacts_to_companies.from_id"): (
            "raw_hubspot.contacts_to_companies",
            f"from_id not in {contacts}",
        ),
        ("orphaned_reference", "hubspot.contacts_to_companies.to_id"): (
            "raw_hubspot.contacts_to_companies",
            "to_id not in (select id from raw_hubspot.companies)",
        ),
        ("orphaned_reference", "hubspot.deals_to_contacts.from_id"): (
            "raw_hubspot.deals_to_contacts",
            "from_id not in (select id from raw_hubspot.deals)",
        ),
        ("orphaned_reference", "hubspot.deals_to_contacts.to_id"): (
            "raw_hubspot.deals_to_contacts",
            f"to_id not in {contacts}",
        ),
        ("orphaned_reference", "hubspot.deals_to_companies.from_id"): (
            "raw_hubspot.deals_to_companies",
            "from_id not in (select id from raw_hubspot.deals)",
        ),
        ("orphaned_reference", "hubspot.deals_to_companies.to_id"): (
            "raw_hubspot.deals_to_companies",
            "to_id not in (select id from raw_hubspot.companies)",
        ),
        ("null_key", "hubspot.web_events.object_id"): (
            "raw_hubspot.web_events",
            "object_type is distinct from 'CONTACT' or object_id is null",
        ),
        ("orphaned_reference", "hubspot.web_events.object_id"): (
            "raw_hubspot.web_events",
            f"object_type = 'CONTACT' and object_id not in {contacts}",
        ),
        ("null_key", "hubspot.email_events.recipient"): (
            "raw_hubspot.email_events",
            "nullif(trim(recipient), '') is null",
        ),
        ("orphaned_reference", "hubspot.email_events.recipient"): (
            "raw_hubspot.email_events",
            f"nullif(trim(recipient), '') is not null and lower(trim(recipient)) not in {emails}",
        ),
    }
    expected = Counter()
    for key, (table, condition) in checks.items():
        expected[key] = wh.scalar(f"select count(*) from {table} where {condition}")
    # Form submissions keep the e-mail inside a JSON array of {name, value}.
    known = {row[0] for row in wh.query(f"select * from {emails} as known(email)") if row[0]}
    for (values,) in wh.query('select "values" from raw_hubspot.form_submissions'):
        fields = {f["name"]: f.get("value") for f in json.loads(values or "[]")}
        email = _normalise(fields.get("email"))
        if email is None:
            expected[("null_key", "hubspot.form_submissions.email")] += 1
        elif email not in known:
            expected[("orphaned_reference", "hubspot.form_submissions.email")] += 1
    return +expected


def test_quarantined_references_equal_the_raw_tables(wh, person_records, usable_records):
    expected = _raw_reference_defects(wh)
    # A merged-away contact whose survivor is unusable has nowhere to go.
    for key, record in person_records.items():
        if record.get("merged_into") and not record["test"] and key not in usable_records:
            expected[("orphaned_reference", "hubspot.contacts.hs_merged_object_ids")] += 1
    found = _quarantine_counts(wh, ("orphaned_reference", "null_key"))
    assert found == expected


def test_quarantine_reasons_are_the_documented_ones(wh):
    reasons = {r for (r,) in wh.query("select distinct reason from main.int_records_quarantined")}
    assert reasons <= {
        "test_record",
        "invalid_email",
        "missing_email",
        "missing_required_field",
        "orphaned_reference",
        "null_key",
    }


# --- people --------------------------------------------------------------------------------------


def test_every_raw_person_record_is_mapped_or_quarantined(wh, world):
    raw: set[Record] = set()
    raw |= {("hubspot", "contacts", r) for (r,) in wh.query("select id from raw_hubspot.contacts")}
    raw |= {
        ("hubspot", "contacts", r.strip())
        for (r,) in wh.query(
            "select unnest(string_split(hs_merged_object_ids, ';')) from raw_hubspot.contacts "
            "where nullif(trim(hs_merged_object_ids), '') is not null"
        )
    }
    raw |= {("salesforce", "Lead", r) for (r,) in wh.query("select id from raw_salesforce.lead")}
    raw |= {
        ("salesforce", "Contact", r) for (r,) in wh.query("select id from raw_salesforce.contact")
    }
    truth = {
        tuple(row)
        for row in world.execute(
            "select system, object, record_id from truth_records "
            "where object in ('contacts', 'Lead', 'Contact')"
        ).fetchall()
    }
    assert raw == truth  # the warehouse saw every CRM person record, merged-away ones included

    mapped = set(_crosswalk(wh, "int_person_records_mapped", "person_id"))
    quarantined: dict[Record, set[str]] = defaultdict(set)
    excluded: set[Record] = set()
    for system, table, rid, reason, is_excluded in wh.query(
        "select source_system, source_table, record_id, reason, is_record_excluded "
        "from main.int_records_quarantined where source_table in ('contacts', 'Lead', 'Contact')"
    ):
        quarantined[(system, table, rid)].add(reason)
        if is_excluded:
            excluded.add((system, table, rid))
    assert mapped & excluded == set()
    assert mapped | excluded == raw
    assert all(quarantined[record] for record in excluded)


def test_crosswalk_holds_exactly_the_usable_records(wh, usable_records):
    assert set(_crosswalk(wh, "int_person_records_mapped", "person_id")) == usable_records


def test_crosswalk_is_pure_and_complete(wh, true_person):
    mapped = _crosswalk(wh, "int_person_records_mapped", "person_id")
    _assert_pure_and_complete(mapped, true_person)


def test_people_are_the_true_people_of_usable_records(
    wh, usable_records, true_person, person_records
):
    expected = {true_person[record] for record in usable_records}
    assert wh.scalar("select count(*) from main.int_people_resolved") == len(expected)
    assert wh.scalar("select count(distinct person_id) from main.int_person_records_mapped") == len(
        expected
    )
    active = {
        true_person[record]
        for record in usable_records
        if not person_records[record]["deleted"] and not person_records[record].get("merged_into")
    }
    assert wh.scalar("select count(*) from main.int_people_resolved where not is_deleted") == len(
        active
    )


def test_people_emails_are_the_true_canonical_emails(wh, world, true_person):
    true_emails = dict(world.execute("select person_id, email from truth_people").fetchall())
    mapped = _crosswalk(wh, "int_person_records_mapped", "person_id")
    person_of = {model_id: true_person[record] for record, model_id in mapped.items()}
    people = wh.query("select person_id, email from main.int_people_resolved")
    wrong = [(pid, email) for pid, email in people if true_emails[person_of[pid]] != email]
    assert wrong == []


def test_deleted_and_merged_records_are_countable(wh, manifest):
    merged = wh.scalar("select sum(merged_record_count) from main.int_people_resolved")
    assert merged == manifest.get("merged_contacts", {}).get("hubspot.contacts", 0)
    deleted = {
        f"{system}.{obj}": n
        for system, obj, n in wh.query(
            "select source_system, source_object, count(*) from main.int_person_records_unioned "
            "where is_deleted group by all"
        )
    }
    expected = {
        key: n
        for key, n in manifest.get("deleted_records", {}).items()
        if key in {f"{s}.{o}" for s, o in PERSON_OBJECTS}
    }
    assert deleted == expected


def test_people_accounts_are_their_true_companies(wh, world, true_person):
    true_company_of_person = dict(
        world.execute("select person_id, company_id from truth_people").fetchall()
    )
    true_company_of_record = {
        (system, obj, rid): company
        for system, obj, rid, company in world.execute(
            "select system, object, record_id, company_id from truth_records "
            "where object in ('companies', 'Account')"
        ).fetchall()
    }
    companies_of_account: dict[str, set[int]] = defaultdict(set)
    for record, account_id in _crosswalk(wh, "int_account_records_mapped", "account_id").items():
        companies_of_account[account_id].add(true_company_of_record[record])
    mapped = _crosswalk(wh, "int_person_records_mapped", "person_id")
    person_of = {model_id: true_person[record] for record, model_id in mapped.items()}
    rows = wh.query(
        "select person_id, account_id from main.int_people_resolved where account_id is not null"
    )
    assert rows
    wrong = [
        (pid, aid)
        for pid, aid in rows
        if companies_of_account[aid] != {true_company_of_person[person_of[pid]]}
    ]
    assert wrong == []


# --- accounts ------------------------------------------------------------------------------------


def test_accounts_are_the_true_companies_with_crm_records(wh, world):
    truth = {
        (system, obj, rid): company
        for system, obj, rid, company in world.execute(
            "select system, object, record_id, company_id from truth_records "
            "where object in ('companies', 'Account')"
        ).fetchall()
    }
    mapped = _crosswalk(wh, "int_account_records_mapped", "account_id")
    assert set(mapped) == set(truth)
    _assert_pure_and_complete(mapped, truth)
    assert wh.scalar("select count(*) from main.int_accounts_resolved") == len(set(truth.values()))
