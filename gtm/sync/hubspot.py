"""Writing to HubSpot: custom properties created idempotently, batch update/upsert, list members.

Batches hold at most 100 inputs (the batch endpoints' limit; each call is one unit of the rate
limit). A 207 multi-status answer is read record by record: its `errors[]` name the failed ids
(`context.ids`), every other input succeeded; nothing is raised and the batch is never resent
for one record. Whole-request failures (429, 5xx) are retried by the transport; others stop the
sync with HubSpot's own message.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from gtm.sync.outcomes import Outcome
from gtm.sync.spec import FieldMap, SyncSpec
from gtm.sync.state import Change
from gtm.sync.transport import Budget

BATCH_SIZE = 100
GROUP = "warehouse"
PROPERTY_TYPES = {
    "string": ("string", "text"),
    "number": ("number", "number"),
    "date": ("date", "date"),
    "datetime": ("datetime", "date"),
}
CONTACTS_TYPE_ID = "0-1"


def format_value(value: Any, kind: str) -> str:
    """Render a model value as HubSpot property text ('' clears the property)."""
    if value is None:
        return ""
    if kind == "number":
        number = Decimal(str(value))
        text = format(number.normalize(), "f")
        return text if text != "-0" else "0"
    if kind == "datetime" and isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    """Consecutive slices of at most `size` items."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


class HubSpotWriter:
    """One sync's writes to HubSpot through the shared transport."""

    def __init__(self, client: Any, budget: Budget) -> None:
        self.client = client
        self.budget = budget

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.client.request(method, path, **kwargs)
        self.budget.observe(response)
        return response

    # --- preparation ---------------------------------------------------------------------------

    def prepare(self, spec: SyncSpec) -> list[str]:
        """Create the custom properties the sync writes that HubSpot lacks; return their names.

        A 409 (created meanwhile by another run) counts as created: the step is idempotent.
        """
        if spec.is_membership:
            return []
        listed = self._call("GET", f"/crm/v3/properties/{spec.object}").json()
        existing = {p["name"] for p in listed.get("results", [])}
        missing = [f for f in spec.fields if f.name not in existing]
        if not missing:
            return []
        ok = frozenset({200, 201, 409})
        self._call(
            "POST",
            f"/crm/v3/properties/{spec.object}/groups",
            json={"name": GROUP, "label": "Warehouse", "displayOrder": -1},
            ok_statuses=ok,
        )
        for field in missing:
            self._call(
                "POST",
                f"/crm/v3/properties/{spec.object}",
                json=self._property(field),
                ok_statuses=ok,
            )
        return [f.name for f in missing]

    @staticmethod
    def _property(field: FieldMap) -> dict[str, Any]:
        kind, field_type = PROPERTY_TYPES[field.type]
        label = field.name.removeprefix("wh_").replace("_", " ").capitalize()
        return {
            "name": field.name,
            "label": f"{label} (warehouse)",
            "type": kind,
            "fieldType": field_type,
            "groupName": GROUP,
            "description": "Written by gtm-warehouse's reverse ETL; edits are overwritten.",
        }

    # --- records -------------------------------------------------------------------------------

    def send(self, spec: SyncSpec, batch: list[Change]) -> list[Outcome]:
        """Send one batch (at most 100) by batch/update or /upsert; one outcome per record."""
        upsert = spec.mode == "upsert"
        inputs = []
        for change in batch:
            item: dict[str, Any] = {"id": change.key, "properties": change.payload}
            if upsert:
                item["idProperty"] = spec.id_property
            inputs.append(item)
        verb = "upsert" if upsert else "update"
        answer = self._call(
            "POST", f"/crm/v3/objects/{spec.object}/batch/{verb}", json={"inputs": inputs}
        ).json()
        failed: dict[str, str] = {}
        for error in answer.get("errors") or []:
            reason = f"{error.get('category', 'ERROR')}: {error.get('message', '')}".strip()
            for record_id in (error.get("context") or {}).get("ids") or []:
                failed[str(record_id)] = reason
        by_key: dict[str, dict] = {}
        for result in answer.get("results") or []:
            if upsert:
                value = (result.get("properties") or {}).get(spec.id_property or "")
                by_key[str(value if value is not None else result.get("id"))] = result
            else:
                by_key[str(result.get("id"))] = result
        outcomes = []
        for change in batch:
            if change.key in failed:
                outcomes.append(Outcome(change.key, False, reason=failed[change.key]))
            elif change.key in by_key:
                result = by_key[change.key]
                outcomes.append(
                    Outcome(change.key, True, str(result.get("id")), bool(result.get("new")))
                )
            else:
                outcomes.append(Outcome(change.key, False, reason="no answer for this record"))
        return outcomes

    # --- list membership -----------------------------------------------------------------------

    def list_id(self, spec: SyncSpec, create: bool) -> str | None:
        """Return the id of the sync's list (created as a manual contact list when missing)."""
        name = spec.list_name or spec.name
        path = f"/crm/v3/lists/object-type-id/{CONTACTS_TYPE_ID}/name/{quote(name, safe='')}"
        found = self._call("GET", path, ok_statuses=frozenset({200, 404}))
        if found.status_code == 200:
            return str(found.json()["list"]["listId"])
        if not create:
            return None
        body = {"name": name, "objectTypeId": CONTACTS_TYPE_ID, "processingType": "MANUAL"}
        return str(self._call("POST", "/crm/v3/lists", json=body).json()["list"]["listId"])

    def add_members(self, list_id: str, batch: list[Change]) -> list[Outcome]:
        """Add contacts to the list; ids HubSpot reports missing are rejected."""
        ids = [change.key for change in batch]
        answer = self._call("PUT", f"/crm/v3/lists/{list_id}/memberships/add", json=ids).json()
        missing = {str(i) for i in answer.get("recordIdsMissing") or []}
        reason = "OBJECT_NOT_FOUND: not a live contact"
        return [
            Outcome(key, False, reason=reason) if key in missing else Outcome(key, True, key)
            for key in ids
        ]

    def remove_members(self, list_id: str, keys: list[str]) -> int:
        """Remove contacts from the list; return how many were members."""
        path = f"/crm/v3/lists/{list_id}/memberships/remove"
        answer = self._call("PUT", path, json=keys).json()
        return len(answer.get("recordIdsRemoved") or [])
