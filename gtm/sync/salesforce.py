"""Writing to Salesforce: describe checks, sObject Collections, Bulk API 2.0, campaign members.

Custom fields are created by an admin, not by a sync: `prepare` describes the object and stops
the sync with one line naming the first missing field. Updates go 200 records a call through
sObject Collections (`allOrNone: false`, so one record's `success: false` never rolls back or
resends the others); at `bulk_threshold` changed records and more, one Bulk API 2.0 ingest job
carries them all and its `failedResults` name the rejected ones. Campaign members are inserted
through Collections (an existing member counts as added) and, in mirror mode, deleted by Id.
"""

from __future__ import annotations

import csv
import io
import time
from datetime import date, datetime
from typing import Any

from gtm.errors import GtmError
from gtm.sync.hubspot import chunks
from gtm.sync.outcomes import Outcome
from gtm.sync.spec import SyncSpec
from gtm.sync.state import Change
from gtm.sync.transport import Budget

COLLECTION_SIZE = 200
MEMBER_STATUS = "Sent"


class MissingFieldError(GtmError):
    """The Salesforce object lacks a field the sync writes (an admin must create it)."""


def format_value(value: Any, kind: str) -> Any:
    """Render a model value as Salesforce JSON (None clears the field)."""
    if value is None:
        return None
    if kind == "number":
        number = float(value)
        return int(number) if number.is_integer() else number
    if kind == "date" and isinstance(value, datetime | date):
        return (value.date() if isinstance(value, datetime) else value).isoformat()
    if kind == "datetime" and isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    return str(value)


def soql_text(value: str) -> str:
    """Quote `value` as a SOQL string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


class SalesforceWriter:
    """One sync's writes to Salesforce through the shared transport."""

    def __init__(self, client: Any, version: str, budget: Budget, bulk_threshold: int) -> None:
        self.client = client
        self.data = f"/services/data/{version}"
        self.budget = budget
        self.bulk_threshold = bulk_threshold

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.client.request(method, path, **kwargs)
        self.budget.observe(response)
        return response

    # --- preparation ---------------------------------------------------------------------------

    def prepare(self, spec: SyncSpec) -> list[str]:
        """Check that the object has every field the sync writes; raise naming the first missing."""
        if spec.is_membership:
            return []
        described = self._call("GET", f"{self.data}/sobjects/{spec.object}/describe").json()
        names = {field["name"].lower() for field in described.get("fields", [])}
        for field in spec.fields:
            if field.name.lower() not in names:
                raise MissingFieldError(
                    f"sync {spec.name}: Salesforce {spec.object} has no field {field.name}; "
                    f"an admin must create it (Setup > Object Manager > {spec.object} > Fields)"
                )
        return []

    # --- records -------------------------------------------------------------------------------

    def send(self, spec: SyncSpec, batch: list[Change]) -> list[Outcome]:
        """Send one batch (at most 200) through sObject Collections; one outcome per record."""
        if spec.mode == "upsert":
            records = [
                {"attributes": {"type": spec.object}, spec.id_property: c.key, **c.payload}
                for c in batch
            ]
            path = f"{self.data}/composite/sobjects/{spec.object}/{spec.id_property}"
        else:
            records = [
                {"attributes": {"type": spec.object}, "id": c.key, **c.payload} for c in batch
            ]
            path = f"{self.data}/composite/sobjects"
        answer = self._call("PATCH", path, json={"allOrNone": False, "records": records}).json()
        outcomes = []
        for change, result in zip(batch, answer, strict=True):
            if result.get("success"):
                outcomes.append(
                    Outcome(change.key, True, result.get("id"), bool(result.get("created")))
                )
            else:
                outcomes.append(Outcome(change.key, False, reason=_reason(result.get("errors"))))
        return outcomes

    def send_bulk(self, spec: SyncSpec, changes: list[Change], poll: float = 0.2) -> list[Outcome]:
        """Send all changes in one Bulk API 2.0 ingest job; outcomes from its result files."""
        columns = sorted({name for change in changes for name in change.payload})
        key_column = spec.id_property if spec.mode == "upsert" else "Id"
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([key_column, *columns])
        for change in changes:
            row = [change.key]
            for name in columns:
                value = change.payload.get(name)
                row.append("#N/A" if value is None and name in change.payload else value)
            writer.writerow(["" if v is None else v for v in row])
        job = {
            "object": spec.object,
            "operation": "upsert" if spec.mode == "upsert" else "update",
            "contentType": "CSV",
            "lineEnding": "LF",
        }
        if spec.mode == "upsert":
            job["externalIdFieldName"] = spec.id_property
        job_id = self._call("POST", f"{self.data}/jobs/ingest", json=job).json()["id"]
        base = f"{self.data}/jobs/ingest/{job_id}"
        self._call(
            "PUT",
            f"{base}/batches",
            data=out.getvalue().encode(),
            headers={"Content-Type": "text/csv"},
            expect_json=False,
        )
        info = self._call("PATCH", base, json={"state": "UploadComplete"}).json()
        while info.get("state") not in ("JobComplete", "Failed", "Aborted"):
            time.sleep(poll)
            info = self._call("GET", base).json()
        if info["state"] != "JobComplete":
            raise GtmError(f"sync {spec.name}: Bulk API job {job_id} ended {info['state']}")
        failed = {}
        text = self._call("GET", f"{base}/failedResults/", expect_json=False).text
        for row in csv.DictReader(io.StringIO(text)):
            failed[row[key_column]] = row.get("sf__Error") or "rejected"
        text = self._call("GET", f"{base}/successfulResults/", expect_json=False).text
        done = {row[key_column]: row for row in csv.DictReader(io.StringIO(text))}
        outcomes = []
        for change in changes:
            if change.key in done:
                row = done[change.key]
                created = row.get("sf__Created") == "true"
                outcomes.append(Outcome(change.key, True, row.get("sf__Id"), created))
            else:
                reason = failed.get(change.key, "not processed by the Bulk API job")
                outcomes.append(Outcome(change.key, False, reason=reason))
        return outcomes

    # --- campaign members ----------------------------------------------------------------------

    def query(self, soql: str) -> list[dict[str, Any]]:
        """Every record of a SOQL query (following `nextRecordsUrl`)."""
        answer = self._call("GET", f"{self.data}/query", params={"q": soql}).json()
        records = list(answer.get("records", []))
        while not answer.get("done", True) and answer.get("nextRecordsUrl"):
            answer = self._call("GET", answer["nextRecordsUrl"]).json()
            records += answer.get("records", [])
        return records

    def campaign_id(self, spec: SyncSpec, create: bool) -> str | None:
        """Return the id of the sync's campaign (created, active, when missing)."""
        name = spec.campaign_name or spec.name
        found = self.query(f"SELECT Id FROM Campaign WHERE Name = {soql_text(name)} LIMIT 1")
        if found:
            return found[0]["Id"]
        if not create:
            return None
        body = {"Name": name, "IsActive": True, "Status": "In Progress", "Type": "Other"}
        return self._call("POST", f"{self.data}/sobjects/Campaign", json=body).json()["id"]

    def members(self, campaign_id: str) -> dict[str, str]:
        """Return the campaign's members: lead or contact id -> campaign member id."""
        rows = self.query(
            "SELECT Id, LeadOrContactId FROM CampaignMember "
            f"WHERE CampaignId = {soql_text(campaign_id)}"
        )
        return {row["LeadOrContactId"]: row["Id"] for row in rows}

    def add_members(
        self, campaign_id: str, batch: list[Change], existing: dict[str, str]
    ) -> list[Outcome]:
        """Insert campaign members; one that already exists counts as added."""
        outcomes: dict[str, Outcome] = {}
        to_insert = []
        for change in batch:
            if change.key in existing:
                outcomes[change.key] = Outcome(change.key, True, existing[change.key])
            else:
                to_insert.append(change)
        if to_insert:
            records = []
            for change in to_insert:
                who = "ContactId" if change.extra.get("record_type") == "Contact" else "LeadId"
                records.append(
                    {
                        "attributes": {"type": "CampaignMember"},
                        "CampaignId": campaign_id,
                        who: change.key,
                        "Status": MEMBER_STATUS,
                    }
                )
            answer = self._call(
                "POST",
                f"{self.data}/composite/sobjects",
                json={"allOrNone": False, "records": records},
            ).json()
            for change, result in zip(to_insert, answer, strict=True):
                codes = {e.get("statusCode") for e in result.get("errors") or []}
                if result.get("success"):
                    outcomes[change.key] = Outcome(change.key, True, result.get("id"), True)
                elif codes == {"DUPLICATE_VALUE"}:
                    outcomes[change.key] = Outcome(change.key, True)
                else:
                    reason = _reason(result.get("errors"))
                    outcomes[change.key] = Outcome(change.key, False, reason=reason)
        return [outcomes[change.key] for change in batch]

    def remove_members(self, member_ids: list[str]) -> int:
        """Delete campaign members by Id; return how many were deleted."""
        removed = 0
        for batch in chunks(member_ids, COLLECTION_SIZE):
            answer = self._call(
                "DELETE",
                f"{self.data}/composite/sobjects",
                params={"ids": ",".join(batch), "allOrNone": "false"},
            ).json()
            removed += sum(1 for result in answer if result.get("success"))
        return removed


def _reason(errors: list[dict] | None) -> str:
    if not errors:
        return "rejected"
    first = errors[0]
    fields = ", ".join(first.get("fields") or [])
    text = f"{first.get('statusCode', 'ERROR')}: {first.get('message', '')}"
    return f"{text} ({fields})" if fields else text
