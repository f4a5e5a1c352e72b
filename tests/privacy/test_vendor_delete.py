"""HubSpot's GDPR delete, as `gtm forget` calls it when the user enables it (demo server)."""

from __future__ import annotations

import duckdb
import pytest
from sync_support import Crm

from gtm.privacy import vendor
from gtm.privacy.forget import SubjectOutcome, _erase_at_hubspot
from gtm.privacy.subjects import Subject
from gtm_demo.servers.hubspot.objects import OBJECTS


@pytest.fixture(scope="module")
def crm(world_small):
    crm = Crm(world_small)
    yield crm
    crm.stop()


def _contacts(world) -> list[tuple[str, str]]:
    with duckdb.connect() as con:
        return con.execute(
            f"select cast(id as varchar), lower(email) from '{world}/hubspot/contacts.parquet' "
            "where email is not null and not coalesce(archived, false) order by id limit 2"
        ).fetchall()


def test_gdpr_delete_removes_the_contact_for_good(crm, world_small):
    client = crm.endpoints().client("hubspot")[0]
    (first, _), (second, second_email) = _contacts(world_small)
    store = crm.store("hubspot")

    result = vendor.hubspot_gdpr_delete(client, {first})
    assert result.deleted == [first] and result.failed == {}
    assert store.gdpr_deleted == {first}
    live = store.ids(OBJECTS["contacts"])  # what every list, search and ingest now reads
    assert first not in live and second in live
    # A rerun after an interrupted request: HubSpot answers 404, the contact counts as deleted.
    again = vendor.hubspot_gdpr_delete(client, {first})
    assert again.deleted == [first] and again.failed == {}
    # By e-mail; an unknown address is blocklisted and answered 204, as HubSpot documents.
    by_email = client.request(
        "POST",
        vendor.GDPR_DELETE_PATH,
        json={"idProperty": "email", "objectId": second_email},
        expect_json=False,
    )
    assert by_email.status_code == 204 and store.gdpr_deleted == {first, second}
    assert second not in store.ids(OBJECTS["contacts"])
    client.request(
        "POST",
        vendor.GDPR_DELETE_PATH,
        json={"idProperty": "email", "objectId": "nobody@example.invalid"},
        expect_json=False,
    )
    assert store.blocklist == {"nobody@example.invalid"}


def test_a_failed_call_is_reported_per_contact(crm):
    client = crm.endpoints().client("hubspot")[0]
    outcome = SubjectOutcome(Subject("cli", "hubspot_contact", "", ""), "h" * 64, "started")
    report = type("Report", (), {"steps": {}})()
    said: list[str] = []
    _erase_at_hubspot(client, [outcome], report, said.append)
    assert outcome.vendor_failures and list(outcome.vendor_failures) == [""]
    assert "400" in outcome.vendor_failures[""]
    assert report.steps == {"hubspot_gdpr_deleted": 0}
    assert said == ["HubSpot: 0 contact(s) permanently deleted (GDPR delete)."]
