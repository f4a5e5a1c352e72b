"""The defect manifest of a demo world, recomputed independently from the generated files.

Every count in `truth/defects.json` is recomputed here with DuckDB SQL over the Parquet files,
from the definitions in docs/demo-world.md (state as of the as-of date = last version per key by
`_version_at`). Nothing of the generator is used but `generate` (in conftest) and the reference
country list. Counts the manifest omits are zero: it lists only kinds that occur.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from gtm_demo.reference import COUNTRIES
from gtm_demo.schema import key_of

AS_OF = datetime(2026, 6, 30, tzinfo=UTC)

AD_DAILY = {
    "google_ads": "google_ads/ad_metrics",
    "facebook_ads": "facebook_ads/insights",
    "linkedin_ads": "linkedin_ads/analytics",
}
SF_DELETABLE = (
    "Account",
    "Campaign",
    "CampaignMember",
    "Contact",
    "Event",
    "Lead",
    "Opportunity",
    "OpportunityContactRole",
    "OpportunityHistory",
    "Task",
)
HS_ARCHIVABLE = ("contacts", "companies", "deals")

# Test records: HubSpot contacts at @example.com, Salesforce leads at @test.com.
HS_REAL = "coalesce(email, '') not like '%@example.com'"
LEAD_REAL = "coalesce(Email, '') not like '%@test.com'"

REAL = {"hubspot__contacts": HS_REAL, "salesforce__Lead": LEAD_REAL}

# Person records carrying e-mail, phone and country: (manifest key, view, e-mail, phone, country,
# filter keeping real (non-test) records).
PERSON_RECORDS = (
    ("hubspot.contacts", "hubspot__contacts", "email", "phone", "country", HS_REAL),
    ("salesforce.Lead", "salesforce__Lead", "Email", "Phone", "Country", LEAD_REAL),
    ("salesforce.Contact", "salesforce__Contact", "Email", "Phone", "MailingCountry", "true"),
)

PHONE_PATTERNS = {
    "e164": [r"^\+\d{8,15}$"],
    "international": [r"^\+\d{1,3} \d{3} \d{3} \d+$"],
    "national": [r"^\(\d{3}\) \d{3}-\d{4}$", r"^0\d{3} \d+$"],
    "dotted": [r"^\d{3}\.\d{3}\.\d{4}$"],
    "digits": [r"^[1-9]\d{9,13}$"],
    "intl_00": [r"^00\d+$"],
    "with_ext": [r"^\+\d+ \d{3}-\d{3}-\d+ ext\. \d+$"],
}
PAID_CLICK = r"(gclid|fbclid|li_fat_id)="
MALFORMED = {
    "double_question_mark": r"\?.*\?",
    "encoded_equals": r"utm_medium%3D",
    "empty_campaign": r"utm_campaign=(&|$)",
}
MIXED_CASE = r"utm_(source|medium)=[^&]*[A-Z]"


def _view(path: Path) -> str:
    return f"{path.parent.name}__{path.stem}"


@pytest.fixture(scope="module")
def db(world_small: Path):
    """DuckDB views over every file (`system__object`) and its current state (`cur_...`)."""
    con = duckdb.connect()
    for path in sorted(world_small.glob("*/*.parquet")):
        name = _view(path)
        con.execute(f"create view {name} as select * from read_parquet('{path}')")
        if path.parent.name == "truth":
            continue
        table = f"{path.parent.name}/{path.stem}"
        key = ", ".join(key_of(table))
        con.execute(
            f"create view cur_{name} as select * from {name} "
            f"qualify row_number() over (partition by {key} order by _version_at desc) = 1"
        )
    con.execute("create table countries (spelling varchar, format varchar)")
    spellings = [
        (spelling, fmt)
        for c in COUNTRIES
        for spelling, fmt in (
            (c.iso2, "iso2"),
            (c.iso3, "iso3"),
            (c.name, "name"),
            *((alias, "alias") for alias in c.aliases),
        )
    ]
    con.executemany("insert into countries values (?, ?)", spellings)
    yield con
    con.close()


@pytest.fixture(scope="module")
def manifest(world_small: Path) -> dict:
    return json.loads((world_small / "truth" / "defects.json").read_text())


def one(db, sql: str):
    return db.execute(sql).fetchone()[0]


def rows(db, sql: str) -> list[tuple]:
    return db.execute(sql).fetchall()


def counts(pairs) -> dict[str, int]:
    """Dict of the non-zero counts, as the manifest lists them."""
    return {key: n for key, n in pairs if n}


def grouped(db, sql: str) -> dict[str, int]:
    """Counts of a `select kind, count(*) ... group by kind` query."""
    return counts(rows(db, sql))


def tables(world: Path) -> list[str]:
    return sorted(_view(p) for p in world.glob("*/*.parquet") if p.parent.name != "truth")


# --- the manifest ------------------------------------------------------------------------------


def test_manifest_has_exactly_the_documented_keys(manifest):
    assert set(manifest) == {
        "ad_accounts_by_currency",
        "ad_accounts_non_utc",
        "country_formats",
        "custom_fields",
        "deals_with_several_companies",
        "deleted_records",
        "duplicate_campaign_members",
        "duplicate_contacts",
        "invalid_email_kinds",
        "invalid_emails",
        "merged_contacts",
        "null_required_fields",
        "phone_formats",
        "restated_ad_conversions",
        "test_records",
        "utm_defects",
        "utm_malformed_kinds",
    }


def test_duplicate_contacts(db, manifest):
    dup = """
        with c as (
            select id, email, createdate, lower(trim(email)) as k
            from cur_hubspot__contacts where email is not null
        )
        select *, row_number() over (partition by k order by createdate, id) as rank,
            count(*) over (partition by k) as n,
            count(*) over (partition by k, createdate) as same_time
        from c
    """
    # "The earliest created" is unambiguous: no group has two records created together.
    assert one(db, f"select count(*) from ({dup}) where n > 1 and same_time > 1") == 0
    found = grouped(
        db,
        f"""
        select case when email <> trim(email) then 'whitespace' else 'case' end, count(*)
        from ({dup}) where n > 1 and rank > 1 group by 1
        """,
    )
    assert found == manifest["duplicate_contacts"]


def test_merged_contacts(db, manifest):
    merged = one(db, "select count(*) from cur_hubspot__contacts where _merged_into is not null")
    listed = """
        select id as survivor, trim(unnest(string_split(hs_merged_object_ids, ';'))) as merged
        from cur_hubspot__contacts where hs_merged_object_ids is not null
    """
    assert counts([("hubspot.contacts", merged)]) == manifest["merged_contacts"]
    assert one(db, f"select count(*) from ({listed})") == merged
    # Each merged-away contact names as survivor the very contact that lists it.
    assert (
        one(
            db,
            f"""
            select count(*) from cur_hubspot__contacts c
            join ({listed}) l on l.merged = c.id and l.survivor = c._merged_into
            """,
        )
        == merged
    )


def test_test_records(db, manifest):
    found = counts(
        [
            (
                "hubspot.contacts",
                one(db, f"select count(*) from cur_hubspot__contacts where not ({HS_REAL})"),
            ),
            (
                "salesforce.Lead",
                one(db, f"select count(*) from cur_salesforce__Lead where not ({LEAD_REAL})"),
            ),
        ]
    )
    assert found == manifest["test_records"]
    # truth/records flags exactly these records as tests.
    truth = grouped(
        db,
        "select system || '.' || object, count(*) from truth__records where is_test group by 1",
    )
    assert truth == found


def _emails() -> str:
    parts = [
        f"select '{key}' as record, {email} as email from cur_{view} where {email} is not null"
        for key, view, email, *_ in PERSON_RECORDS
    ]
    return " union all ".join(parts)


def _email_checks() -> str:
    return f"""
        select record, email,
            length(email) - length(replace(email, '@', '')) as ats,
            split_part(email, '@', 1) as local, split_part(email, '@', 2) as domain
        from ({_emails()})
    """


def _invalid() -> str:
    return f"""
        select * from ({_email_checks()})
        where not (ats = 1 and local <> '' and domain like '%.%' and domain not like '%..%')
    """


def test_invalid_emails(db, manifest):
    found = grouped(db, f"select record, count(*) from ({_invalid()}) group by 1")
    assert found == manifest["invalid_emails"]


def test_invalid_email_kinds(db, manifest):
    found = grouped(
        db,
        f"""
        select case
            when ats = 0 then 'missing_at'
            when ats > 1 then 'double_at'
            when local = '' then 'empty_local'
            when domain like '%..%' then 'double_dot'
            when domain not like '%.%' then 'no_tld'
        end, count(*)
        from ({_invalid()}) group by 1
        """,
    )
    assert found == manifest["invalid_email_kinds"]


def _phones() -> str:
    return " union all ".join(
        f"select {phone} as phone from cur_{view} where {real}"
        for _, view, _, phone, _, real in PERSON_RECORDS
    )


def test_phones_match_exactly_one_format(db):
    matches = " + ".join(
        f"regexp_full_match(phone, '{pattern}')::int"
        for patterns in PHONE_PATTERNS.values()
        for pattern in patterns
    )
    assert one(db, f"select count(*) from ({_phones()}) where ({matches}) <> 1") == 0


def test_phone_formats(db, manifest):
    cases = " ".join(
        f"when regexp_full_match(phone, '{pattern}') then '{fmt}'"
        for fmt, patterns in PHONE_PATTERNS.items()
        for pattern in patterns
    )
    found = grouped(
        db,
        f"""
        select case when phone is null then 'missing' {cases} else 'unrecognised' end, count(*)
        from ({_phones()}) group by 1
        """,
    )
    assert found == manifest["phone_formats"]


def test_country_spellings_are_unambiguous(db):
    assert one(db, "select count(*) - count(distinct spelling) from countries") == 0


def test_country_formats(db, manifest):
    spelled = " union all ".join(
        f"select {country} as country from cur_{view} where {real}"
        for _, view, _, _, country, real in PERSON_RECORDS
    )
    found = grouped(
        db,
        f"""
        select case when s.country is null then 'missing'
            else coalesce(c.format, 'unrecognised') end, count(*)
        from ({spelled}) s left join countries c on c.spelling = s.country group by 1
        """,
    )
    assert found == manifest["country_formats"]


def test_deleted_records(db, manifest):
    found = counts(
        [
            *(
                (
                    f"salesforce.{o}",
                    one(db, f"select count(*) from cur_salesforce__{o} where IsDeleted"),
                )
                for o in SF_DELETABLE
            ),
            *(
                (f"hubspot.{o}", one(db, f"select count(*) from cur_hubspot__{o} where archived"))
                for o in HS_ARCHIVABLE
            ),
        ]
    )
    assert found == manifest["deleted_records"]
    candidates = {f"salesforce.{o}" for o in SF_DELETABLE} | {f"hubspot.{o}" for o in HS_ARCHIVABLE}
    assert set(manifest["deleted_records"]) <= candidates
    for key in candidates - set(manifest["deleted_records"]):
        assert found.get(key, 0) == 0, key


def test_every_salesforce_object_with_isdeleted_is_covered(world_small, db):
    with_flag = {
        v.removeprefix("salesforce__")
        for v in tables(world_small)
        if v.startswith("salesforce__")
        and "IsDeleted" in [d[0] for d in db.execute(f"select * from {v} limit 0").description]
    }
    assert with_flag == set(SF_DELETABLE)


REQUIRED = {
    "salesforce.Lead.Company": ("salesforce__Lead", "Company"),
    "salesforce.Contact.LastName": ("salesforce__Contact", "LastName"),
    "salesforce.Opportunity.Amount": ("salesforce__Opportunity", "Amount"),
    "hubspot.contacts.email": ("hubspot__contacts", "email"),
}


def test_null_required_fields(db, manifest):
    found = counts(
        (key, one(db, f"select count(*) from cur_{view} where {field} is null"))
        for key, (view, field) in REQUIRED.items()
    )
    assert found == manifest["null_required_fields"]


PAID = f"select url from hubspot__web_events where regexp_matches(url, '{PAID_CLICK}')"


def test_utm_defects(db, manifest):
    malformed = " or ".join(f"regexp_matches(url, '{p}')" for p in MALFORMED.values())
    found = counts(
        [
            (
                "missing",
                one(db, f"select count(*) from ({PAID}) where url not like '%utm\\_%' escape '\\'"),
            ),
            ("malformed", one(db, f"select count(*) from ({PAID}) where {malformed}")),
            (
                "mixed_case",
                one(db, f"select count(*) from ({PAID}) where regexp_matches(url, '{MIXED_CASE}')"),
            ),
        ]
    )
    assert found == manifest["utm_defects"]


def test_utm_malformed_kinds(db, manifest):
    found = counts(
        (kind, one(db, f"select count(*) from ({PAID}) where regexp_matches(url, '{pattern}')"))
        for kind, pattern in MALFORMED.items()
    )
    assert found == manifest["utm_malformed_kinds"]


def test_restated_ad_conversions(db, manifest):
    found = counts(
        (
            platform,
            one(
                db,
                f"select count(*) - (select count(*) from cur_{table.replace('/', '__')}) "
                f"from {table.replace('/', '__')}",
            ),
        )
        for platform, table in AD_DAILY.items()
    )
    assert found == manifest["restated_ad_conversions"]


def test_duplicate_campaign_members(db, manifest):
    n = one(
        db,
        """
        select count(*) - count(distinct (CampaignId, LeadOrContactId))
        from cur_salesforce__CampaignMember
        """,
    )
    assert n > 0
    assert counts([("salesforce.CampaignMember", n)]) == manifest["duplicate_campaign_members"]


def test_deals_with_several_companies(db, manifest):
    n = one(
        db,
        """
        select count(*) from (
            select from_id from cur_hubspot__associations
            where from_object_type = 'deals' and to_object_type = 'companies'
            group by from_id having count(distinct to_id) > 1
        )
        """,
    )
    assert counts([("hubspot.deals", n)]) == manifest["deals_with_several_companies"]


ACCOUNTS = """
    select 'google_ads' as platform, id, currency_code as currency, time_zone as zone
    from cur_google_ads__customers
    union all
    select 'facebook_ads', account_id, currency, timezone_name from cur_facebook_ads__ad_accounts
    union all
    select 'linkedin_ads', id, currency, 'UTC' from cur_linkedin_ads__ad_accounts
"""


def test_ad_accounts_by_currency(db, manifest):
    found = grouped(db, f"select currency, count(*) from ({ACCOUNTS}) group by 1")
    assert found == manifest["ad_accounts_by_currency"]


def test_ad_accounts_non_utc(db, manifest):
    found = [
        r[0]
        for r in rows(
            db, f"select platform || ':' || id from ({ACCOUNTS}) where zone <> 'UTC' order by 1"
        )
    ]
    assert found == manifest["ad_accounts_non_utc"]


def _custom_fields_in_metadata(world: Path) -> list[dict]:
    """Custom fields as the API metadata (`_describe.json`, `_properties.json`) declare them."""
    found = []
    properties = json.loads((world / "hubspot" / "_properties.json").read_text())
    for obj, fields in properties.items():
        found += [("hubspot", obj, f) for f in fields if "introduced_at" in f]
    describe = json.loads((world / "salesforce" / "_describe.json").read_text())
    for obj, spec in describe.items():
        found += [("salesforce", obj, f) for f in spec["fields"] if "introduced_at" in f]
    return sorted(
        (
            {
                "system": system,
                "object": obj,
                "field": f["name"],
                "introduced_at": f["introduced_at"],
            }
            for system, obj, f in found
        ),
        key=lambda f: (f["system"], f["object"], f["field"]),
    )


def test_custom_fields_match_the_api_metadata(world_small, manifest):
    listed = sorted(manifest["custom_fields"], key=lambda f: (f["system"], f["object"], f["field"]))
    assert listed == _custom_fields_in_metadata(world_small)


def test_custom_fields_appear_at_introduced_at(db, manifest):
    assert manifest["custom_fields"]
    for field in manifest["custom_fields"]:
        view = f"{field['system']}__{field['object']}"
        name, at = field["field"], f"timestamptz '{field['introduced_at']}'"
        before = f"from {view} where _version_at < {at}"
        after = f"from {view} where _version_at >= {at}"
        assert one(db, f"select count(*) {before}") > 0, field
        assert one(db, f"select count(*) {before} and {name} is not null") == 0, field
        assert one(db, f"select count(*) {after} and {name} is not null") > 0, field
        # Real records (not tests, which are typed by hand) carry it in every version from then on.
        real = REAL[view]
        assert one(db, f"select count(*) {after} and {real} and {name} is null") == 0, field


# --- coherence ---------------------------------------------------------------------------------


def _dangling(db, child: str, column: str, parent: str, key: str = "Id") -> int:
    return one(
        db,
        f"select count(*) from {child} c where c.{column} is not null "
        f"and c.{column} not in (select {key} from {parent})",
    )


@pytest.mark.parametrize(
    ("child", "column", "parent", "key"),
    [
        ("salesforce__OpportunityContactRole", "ContactId", "salesforce__Contact", "Id"),
        ("salesforce__OpportunityContactRole", "OpportunityId", "salesforce__Opportunity", "Id"),
        ("salesforce__Lead", "ConvertedContactId", "salesforce__Contact", "Id"),
        ("salesforce__Lead", "ConvertedOpportunityId", "salesforce__Opportunity", "Id"),
        ("salesforce__Lead", "ConvertedAccountId", "salesforce__Account", "Id"),
        ("salesforce__Contact", "AccountId", "salesforce__Account", "Id"),
        ("salesforce__Opportunity", "AccountId", "salesforce__Account", "Id"),
        ("salesforce__OpportunityHistory", "OpportunityId", "salesforce__Opportunity", "Id"),
        ("hubspot__deals", "salesforce_opportunity_id", "salesforce__Opportunity", "Id"),
        ("hubspot__contacts", "_merged_into", "hubspot__contacts", "id"),
        ("google_ads__ad_metrics", "ad_id", "google_ads__ads", "id"),
        ("facebook_ads__insights", "ad_id", "facebook_ads__ads", "id"),
        ("linkedin_ads__analytics", "creative_id", "linkedin_ads__creatives", "id"),
    ],
)
def test_references_resolve(db, child, column, parent, key):
    assert one(db, f"select count(*) from {child} where {column} is not null") > 0
    assert _dangling(db, child, column, parent, key) == 0


@pytest.mark.parametrize(
    ("object_type", "view"),
    [
        ("deals", "hubspot__deals"),
        ("contacts", "hubspot__contacts"),
        ("companies", "hubspot__companies"),
    ],
)
def test_associations_resolve(db, object_type, view):
    for side in ("from", "to"):
        assert (
            one(
                db,
                f"select count(*) from hubspot__associations where {side}_object_type = "
                f"'{object_type}' and {side}_id not in (select id from {view})",
            )
            == 0
        )


def test_every_version_is_before_the_as_of_date(world_small, db):
    late = {
        v: one(
            db, f"select count(*) from {v} where _version_at >= timestamptz '{AS_OF.isoformat()}'"
        )
        for v in tables(world_small)
    }
    assert counts(late.items()) == {}


def test_versions_of_a_record_have_distinct_times(world_small, db):
    clashes = {}
    for v in tables(world_small):
        table = v.replace("__", "/", 1)
        key = ", ".join(key_of(table))
        clashes[v] = one(
            db,
            f"select count(*) from (select 1 from {v} group by {key}, _version_at "
            "having count(*) > 1)",
        )
    assert counts(clashes.items()) == {}


def test_salesforce_audit_stamps_equal_version_time(world_small, db):
    bad = {}
    for v in tables(world_small):
        if not v.startswith("salesforce__"):
            continue
        columns = [d[0] for d in db.execute(f"select * from {v} limit 0").description]
        stamps = [c for c in ("SystemModstamp", "LastModifiedDate") if c in columns]
        assert "SystemModstamp" in stamps, v
        for c in stamps:
            bad[f"{v}.{c}"] = one(
                db, f"select count(*) from {v} where {c} is distinct from _version_at"
            )
    assert counts(bad.items()) == {}


@pytest.mark.parametrize(
    ("view", "column"),
    [
        ("hubspot__contacts", "lastmodifieddate"),
        ("hubspot__companies", "hs_lastmodifieddate"),
        ("hubspot__deals", "hs_lastmodifieddate"),
    ],
)
def test_hubspot_modified_stamps_equal_version_time(db, view, column):
    assert one(db, f"select count(*) from {view} where {column} is distinct from _version_at") == 0


def test_truth_records_belong_to_people_or_companies(db):
    orphans = one(
        db,
        """
        select count(*) from truth__records r
        where not r.is_test
          and r.person_id not in (select person_id from truth__people)
          and r.company_id not in (select company_id from truth__companies)
        """,
    )
    unowned = one(
        db,
        "select count(*) from truth__records where not is_test "
        "and person_id is null and company_id is null",
    )
    tests_with_owner = one(
        db, "select count(*) from truth__records where is_test and person_id is not null"
    )
    assert (orphans, unowned, tests_with_owner) == (0, 0, 0)


SOURCE_RECORDS = {
    ("hubspot", "contacts"): ("hubspot__contacts", "id"),
    ("hubspot", "companies"): ("hubspot__companies", "id"),
    ("salesforce", "Lead"): ("salesforce__Lead", "Id"),
    ("salesforce", "Contact"): ("salesforce__Contact", "Id"),
    ("salesforce", "Account"): ("salesforce__Account", "Id"),
}


def test_truth_records_cover_exactly_the_crm_records(db):
    assert {
        tuple(r) for r in rows(db, "select distinct system, object from truth__records")
    } == set(SOURCE_RECORDS)
    for (system, obj), (view, key) in SOURCE_RECORDS.items():
        truth = (
            f"select record_id from truth__records where system = '{system}' and object = '{obj}'"
        )
        source = f"select distinct {key} from {view}"
        assert one(db, f"select count(*) from ({truth} except {source})") == 0, (system, obj)
        assert one(db, f"select count(*) from ({source} except {truth})") == 0, (system, obj)
        assert one(db, f"select count(*) - count(distinct record_id) from ({truth})") == 0


def test_became_opportunity_matches_primary_contact_roles(db):
    """People who became an opportunity are exactly the primary contacts of the opportunities."""
    primary = """
        select distinct r.person_id from salesforce__OpportunityContactRole o
        join truth__records r
          on r.system = 'salesforce' and r.object = 'Contact' and r.record_id = o.ContactId
        where o.IsPrimary
    """
    truth = "select person_id from truth__people where became_opportunity"
    assert one(db, f"select count(*) from ({primary} except {truth})") == 0
    assert one(db, f"select count(*) from ({truth} except {primary})") == 0
    primaries = (
        "select distinct OpportunityId from salesforce__OpportunityContactRole where IsPrimary"
    )
    assert one(db, f"select count(*) from ({truth})") == one(
        db, f"select count(*) from ({primaries})"
    )
    assert one(db, f"select count(*) from ({truth})") == one(
        db, "select count(distinct Id) from salesforce__Opportunity"
    )
