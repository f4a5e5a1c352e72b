"""The PII policy: every personal column in staging and above is tagged, and publishing obeys it."""

from pathlib import Path

import duckdb
import pytest

from gtm.ops import publish
from gtm.privacy import keys, policy

KEY = "k" * 32


def manifest_of(built_warehouse) -> dict:
    return policy.load_manifest(built_warehouse.path.parent / "target" / "manifest.json")


def test_every_personal_column_in_staging_and_above_is_tagged(built_warehouse):
    manifest = manifest_of(built_warehouse)
    untagged = policy.untagged_personal_columns(manifest)
    assert [f"{c.model}.{c.column} ({c.kind})" for c in untagged] == []
    tagged = {(c.model, c.column): c.treatment for c in policy.columns(manifest) if c.treatment}
    # the identifiers BI must never see, in the one mart that holds them
    assert tagged[("dim_people", "email")] == "domain"
    assert tagged[("dim_people", "first_name")] == "drop"
    assert tagged[("dim_people", "phone_e164")] == "drop"
    assert tagged[("dim_people", "person_id")] == "pseudonymise"
    assert tagged[("stg_salesforce__tasks", "subject")] == "drop"


@pytest.mark.parametrize(
    ("column", "kind"),
    [
        ("email", "email"),
        ("recipient_email", "email"),
        ("canonical_email", "email"),
        ("first_name", "name"),
        ("full_name", "name"),
        ("phone_e164", "phone"),
        ("mobile_phone", "phone"),
        ("ip_address", "ip"),
        ("subject", "free_text"),
        ("description", "free_text"),
        ("person_id", "person_key"),
        ("salesforce_lead_id", "person_key"),
        ("who_id", "person_key"),
        ("is_valid_email", None),
        ("has_missing_email", None),
        ("email_domain", None),
        ("campaign_name", None),
        ("account_name", None),
        ("email_campaign_id", None),
        ("zip_code", None),
    ],
)
def test_column_names_are_classified_by_kind(column, kind):
    assert policy.personal_kind(column) == kind


def test_every_allowed_name_is_documented_and_not_personal():
    for name, reason in policy.ALLOWED.items():
        assert reason.strip()
        assert policy.personal_kind(name) is None


def fake_manifest(columns: dict[str, dict], layer: str = "marts", name: str = "dim_x") -> dict:
    return {
        "nodes": {
            f"model.p.{name}": {
                "resource_type": "model",
                "name": name,
                "alias": name,
                "schema": "marts",
                "original_file_path": f"models/{layer}/{name}.sql",
                "columns": {col: {"name": col, **spec} for col, spec in columns.items()},
            }
        }
    }


def test_an_untagged_personal_column_and_an_unknown_treatment_are_caught():
    manifest = fake_manifest({"contact_email": {}, "n": {}}, layer="staging")
    assert [(c.column, c.kind) for c in policy.untagged_personal_columns(manifest)] == [
        ("contact_email", "email")
    ]
    bad = fake_manifest({"email": {"config": {"meta": {"pii": "hash"}}}})
    with pytest.raises(policy.PolicyError, match="'hash' is not one of drop, pseudonymise"):
        policy.columns(bad)


def make_marts(path: Path) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.dim_x as select * from (values "
            "('p1', 'Ann.Lee@Acme.io', 'Ann', '+4915112345678', 3), "
            "('p2', null, 'Bo', null, 4)) as t(person_id, email, first_name, phone, n)"
        )
    return path


def test_publish_pseudonymises_drops_and_keeps_the_domain(tmp_path):
    warehouse = make_marts(tmp_path / "w.duckdb")
    manifest = fake_manifest(
        {
            "person_id": {"config": {"meta": {"pii": "pseudonymise"}}},
            "email": {"config": {"meta": {"pii": "domain"}}},
            "first_name": {"config": {"meta": {"pii": "drop"}}},
            "phone": {"meta": {"pii": "drop"}},  # the pre-1.10 spelling is read too
        }
    )
    target = tmp_path / "m.duckdb"
    publish.publish_marts(warehouse, target, "r1", manifest, key=lambda: KEY)
    with duckdb.connect(str(target), read_only=True) as con:
        columns = [r[0] for r in con.execute("describe dim_x").fetchall()]
        rows = con.execute("select * from dim_x order by n").fetchall()
    assert columns == ["person_id", "email", "n"]
    assert rows == [
        (keys.keyed_hash(KEY, "publish:p1"), "acme.io", 3),
        (keys.keyed_hash(KEY, "publish:p2"), None, 4),
    ]
    assert b"Ann" not in target.read_bytes()
    assert KEY.encode() not in target.read_bytes()


def test_publish_refuses_an_untagged_personal_column(tmp_path):
    warehouse = make_marts(tmp_path / "w.duckdb")
    manifest = fake_manifest({"person_id": {"config": {"meta": {"pii": "pseudonymise"}}}})
    target = tmp_path / "m.duckdb"
    with pytest.raises(policy.PolicyError, match=r"marts\.dim_x\.email looks like email"):
        publish.publish_marts(warehouse, target, "r1", manifest, key=lambda: KEY)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.duckdb"]


def test_publish_refuses_to_pseudonymise_without_a_key(tmp_path):
    warehouse = make_marts(tmp_path / "w.duckdb")
    manifest = fake_manifest(
        {c: {"config": {"meta": {"pii": "drop"}}} for c in ("email", "first_name", "phone")}
        | {"person_id": {"config": {"meta": {"pii": "pseudonymise"}}}}
    )
    with pytest.raises(policy.PolicyError, match="no HMAC key"):
        publish.publish_marts(warehouse, tmp_path / "m.duckdb", "r1", manifest)


def test_publish_leaves_out_a_table_no_model_builds_any_more(tmp_path):
    """A table a removed (or moved) model left in `marts` is not published, whatever it holds."""
    warehouse = make_marts(tmp_path / "w.duckdb")
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create table marts.sync_old as select 'c1' as hubspot_contact_id")
    manifest = fake_manifest(
        {c: {"config": {"meta": {"pii": "drop"}}} for c in ("email", "first_name", "phone")}
        | {"person_id": {"config": {"meta": {"pii": "pseudonymise"}}}}
    )
    target = tmp_path / "m.duckdb"
    done = publish.publish_marts(warehouse, target, "r1", manifest, key=lambda: KEY)
    assert set(done.tables) == {"dim_x"}
