"""Erasure at the vendor: HubSpot's GDPR delete, when the user enables it.

HubSpot offers a permanent, GDPR-compliant deletion of a contact and everything associated with
it (`POST /crm/v3/objects/contacts/gdpr-delete` with `{"objectId": "<id>"}`; 204 on success,
https://developers.hubspot.com/docs/api-reference/legacy/crm/objects/contacts/gdpr/gdpr-delete-contact).
It cannot be undone, so `gtm forget` calls it only with `[gtm.privacy] hubspot_gdpr_delete = true`
(or `GTM__PRIVACY__HUBSPOT_GDPR_DELETE=true`). A 404 means the contact is already gone (an
earlier, interrupted request deleted it): the rerun counts it as deleted. Salesforce has no such
endpoint for leads and contacts: its erasure is the org admin's (the docs say so).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gtm.errors import GtmError

GDPR_DELETE_PATH = "/crm/v3/objects/contacts/gdpr-delete"


@dataclass
class VendorDeletion:
    """What the vendor calls of one subject did."""

    deleted: list[str] = field(default_factory=list)
    """HubSpot contact ids deleted (or found already gone)."""
    failed: dict[str, str] = field(default_factory=dict)
    """HubSpot contact id -> the error (the rerun of `gtm forget` retries them)."""


def hubspot_gdpr_delete_enabled() -> bool:
    """Whether the user enabled HubSpot's GDPR delete (`gtm.privacy.hubspot_gdpr_delete`)."""
    import dlt

    value = dlt.config.get("gtm.privacy.hubspot_gdpr_delete")
    if value is None or value == "":
        return False
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no"):
        return False
    raise GtmError(f"setting gtm.privacy.hubspot_gdpr_delete must be true or false, got {value!r}")


def hubspot_gdpr_delete(client: Any, contact_ids: set[str]) -> VendorDeletion:
    """Permanently delete HubSpot contacts through `client` (a `Transport`); never raises per id."""
    from ingest._transport import OK_STATUSES

    result = VendorDeletion()
    for contact_id in sorted(contact_ids):
        try:
            client.request(
                "POST",
                GDPR_DELETE_PATH,
                json={"objectId": contact_id},
                expect_json=False,
                ok_statuses=OK_STATUSES | {404},
            )
        except Exception as exc:  # one clear reason per id; the erasure goes on locally
            result.failed[contact_id] = str(exc).splitlines()[0][:300]
            continue
        result.deleted.append(contact_id)
    return result
