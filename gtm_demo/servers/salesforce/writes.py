"""Salesforce's write endpoints: sObject Collections, single create, Bulk API 2.0 ingest jobs.

Wire formats as Salesforce documents them: `PATCH|POST|DELETE /services/data/vXX/composite/sobjects`
(at most 200 records; 400 for a malformed request, else 200 with one `{id, success, errors}`
per record in input order, `errors[{statusCode, message, fields}]`; `allOrNone` rolls all back),
`PATCH .../composite/sobjects/{SObject}/{ExternalIdField}` (upsert, `created` per record),
`POST .../sobjects/{SObject}` (201), and Bulk 2.0 ingest jobs (`POST .../jobs/ingest`,
`PUT .../batches` CSV, `PATCH {state: UploadComplete}`, `GET` the job,
`.../successfulResults/` and `.../failedResults/` CSV with `sf__Id`, `sf__Created`, `sf__Error`).
Written values land in the served tables (see `overlay`), so the next ingest reads them back.

The world's org lacks the warehouse's custom fields; `WriteStore.create_warehouse_fields` creates
them on Lead and Contact as an admin would (`gtm sync` on the demo and the tests call it), and
`drop_field` removes one (a sync must then stop).
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import threading
from datetime import UTC, date, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gtm_demo.ids import SALESFORCE_PREFIXES
from gtm_demo.servers.overlay import Overlay
from gtm_demo.servers.salesforce.errors import SalesforceError, format_datetime
from gtm_demo.servers.salesforce.snapshots import FieldSpec, SalesforceOrg

COLLECTION_LIMIT = 200
WAREHOUSE_FIELDS = {
    "Wh_Lead_Score__c": "double",
    "Wh_Lead_Grade__c": "string",
    "Wh_Priority_Tier__c": "double",
    "Wh_Predictive_Probability__c": "double",
    "Wh_Top_Reasons__c": "string",
    "Wh_First_Touch_Channel__c": "string",
    "Wh_Data_Driven_Channel__c": "string",
    "Wh_Became_MQL_Date__c": "date",
    "Wh_Became_SQL_Date__c": "date",
}
"""The custom fields the demo org's admin created on Lead and Contact for the warehouse syncs."""
SQL_TYPES = {"double": "double", "string": "varchar", "date": "date", "boolean": "boolean"}
SYSTEM_FIELDS = frozenset(
    {"Id", "CreatedDate", "LastModifiedDate", "SystemModstamp", "IsDeleted", "IsConverted"}
)


def _result(record_id: str | None, errors: list[dict], created: bool | None = None) -> dict:
    answer: dict[str, Any] = {"id": record_id, "success": not errors, "errors": errors}
    if created is not None:
        answer["created"] = created
    return answer


def _problem(code: str, message: str, fields: list[str] | None = None) -> dict:
    return {"statusCode": code, "message": message, "fields": fields or []}


class WriteStore:
    """The org's written state: the overlay, bulk ingest jobs, injected rejections, the log."""

    def __init__(self, org: SalesforceOrg) -> None:
        self.org = org
        self.overlay = Overlay(org.state)
        self.log: list[dict[str, Any]] = []
        self.rejections: dict[str, str] = {}
        """Record id -> message: per-record rejections injected by tests."""
        self.jobs: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(1)
        self._lock = threading.RLock()

    # --- admin ---------------------------------------------------------------------------------

    def create_warehouse_fields(self) -> None:
        """Create the syncs' custom fields on Lead and Contact, as the org's admin would."""
        for sobject in ("Lead", "Contact"):
            self.add_fields(sobject, WAREHOUSE_FIELDS)

    def add_fields(self, sobject: str, fields: dict[str, str]) -> None:
        """Create custom fields (name -> describe type) on `sobject`, as an admin does."""
        known = {spec.name for spec in self.org.describe[sobject]}
        for name, kind in fields.items():
            if name not in known:
                self.org.describe[sobject].append(FieldSpec(name, kind, True, True))
        self.overlay.add_columns(
            f"salesforce/{sobject}", {n: SQL_TYPES[k] for n, k in fields.items()}, key="Id"
        )

    def drop_field(self, sobject: str, name: str) -> None:
        """Delete custom field `name` from `sobject`'s describe (its column stays, unread)."""
        self.org.describe[sobject] = [s for s in self.org.describe[sobject] if s.name != name]

    # --- helpers -------------------------------------------------------------------------------

    def record(self, request: Request, records: int) -> None:
        """Keep one request in the log."""
        with self._lock:
            self.log.append(
                {"method": request.method, "path": request.url.path, "records": records}
            )

    def new_id(self, sobject: str) -> str:
        """Return a new 18-character id of `sobject` (never one the world uses)."""
        return f"{SALESFORCE_PREFIXES.get(sobject, 'a00')}9W{next(self._ids):013d}"

    def sobject_of(self, record_id: str) -> str | None:
        """Return the sObject an id's prefix names."""
        for sobject, prefix in SALESFORCE_PREFIXES.items():
            if record_id.startswith(prefix):
                return sobject
        return None

    def rows(self, sobject: str, columns: str) -> dict[str, dict[str, Any]]:
        """Live records of `sobject` by Id, with `columns`."""
        table = self.org.state.table(f"salesforce/{sobject}")
        found = self.org.state.fetch(
            f'select "Id", {columns} from {table} where not coalesce("IsDeleted", false)'
        )
        return {row["Id"]: row for row in found}

    def coerce(self, sobject: str, record: dict[str, Any], creating: bool) -> tuple[dict, dict]:
        """Check a record's fields; return (stored values, error or {})."""
        by_name = {spec.name.lower(): spec for spec in self.org.fields(sobject)}
        stored: dict[str, Any] = {}
        for name, value in record.items():
            if name in ("attributes", "Id", "id"):
                continue
            spec = by_name.get(name.lower())
            if spec is None:
                return {}, _problem(
                    "INVALID_FIELD", f"No such column '{name}' on sobject of type {sobject}", [name]
                )
            if spec.name in SYSTEM_FIELDS or spec.name.startswith("Converted"):
                return {}, _problem(
                    "INVALID_FIELD_FOR_INSERT_UPDATE",
                    f"Unable to create/update fields: {spec.name}. Please check the security "
                    "settings of this field and verify that it is read/write for your profile "
                    "or permission set.",
                    [spec.name],
                )
            try:
                stored[spec.name] = _typed(spec, value)
            except (TypeError, ValueError):
                return {}, _problem(
                    "INVALID_TYPE_ON_FIELD_IN_RECORD",
                    f"{spec.name}: value not of required type: {value}",
                    [spec.name],
                )
        return stored, {}

    # --- sObject Collections -------------------------------------------------------------------

    async def collections(self, request: Request) -> Response:
        """PATCH (update), POST (create) and DELETE /composite/sobjects."""
        if request.method == "DELETE":
            ids = [i for i in request.query_params.get("ids", "").split(",") if i]
            self.record(request, len(ids))
            if len(ids) > COLLECTION_LIMIT:
                raise SalesforceError(400, "EXCEEDED_ID_LIMIT", "record limit reached")
            return JSONResponse(self.delete(ids))
        body = await self._json(request)
        records = body.get("records") if isinstance(body, dict) else None
        if not isinstance(records, list):
            raise SalesforceError(400, "JSON_PARSER_ERROR", "records is required")
        self.record(request, len(records))
        if len(records) > COLLECTION_LIMIT:
            raise SalesforceError(400, "EXCEEDED_ID_LIMIT", "record limit reached")
        with self._lock:
            update = request.method == "PATCH"
            all_or_none = bool(body.get("allOrNone"))
            if update:
                results = self.update(records, all_or_none)
            elif all_or_none and any(not r["success"] for r in self.check_create(records)):
                results = self.check_create(records)
            else:
                results = self.create(records)
        if body.get("allOrNone") and any(not r["success"] for r in results):
            rolled = _problem("ALL_OR_NONE_OPERATION_ROLLED_BACK", "Record rolled back")
            results = [r if not r["success"] else _result(r["id"], [rolled]) for r in results]
        return JSONResponse(results)

    async def _json(self, request: Request) -> Any:
        try:
            return json.loads(await request.body() or b"null")
        except ValueError as exc:
            raise SalesforceError(400, "JSON_PARSER_ERROR", f"Unexpected character: {exc}") from exc

    def update(self, records: list[dict], all_or_none: bool = False) -> list[dict]:
        """Apply updates; one result per record, in input order.

        With `all_or_none`, one failure applies nothing (the others report a rollback).
        """
        moment = self.org.state.moment
        results, changes = [], {}
        live: dict[str, dict] = {}
        for record in records:
            record_id = str(record.get("id") or record.get("Id") or "")
            sobject = (record.get("attributes") or {}).get("type") or self.sobject_of(record_id)
            if sobject not in self.org.describe:
                results.append(_result(record_id, [_problem("INVALID_TYPE", "bad type")]))
                continue
            if sobject not in live:
                extra = '"IsConverted"' if sobject == "Lead" else "null as IsConverted"
                live[sobject] = self.rows(sobject, extra)
            found = live[sobject].get(record_id)
            if found is None:
                problem = _problem(
                    "ENTITY_IS_DELETED" if record_id else "MISSING_ARGUMENT",
                    "entity is deleted" if record_id else "Id not specified in an update call",
                )
                results.append(_result(record_id or None, [problem]))
                continue
            if found["IsConverted"]:
                results.append(
                    _result(
                        record_id,
                        [
                            _problem(
                                "CANNOT_UPDATE_CONVERTED_LEAD", "cannot reference converted lead"
                            )
                        ],
                    )
                )
                continue
            stored, problem = self.coerce(sobject, record, creating=False)
            if not problem and record_id in self.rejections:
                problem = _problem("FIELD_CUSTOM_VALIDATION_EXCEPTION", self.rejections[record_id])
            if problem:
                results.append(_result(record_id, [problem]))
                continue
            stored |= {"LastModifiedDate": moment, "SystemModstamp": moment}
            changes.setdefault(sobject, {}).setdefault(record_id, {}).update(stored)
            results.append(_result(record_id, []))
        if all_or_none and any(not r["success"] for r in results):
            return results
        for sobject, values in changes.items():
            self.overlay.update(f"salesforce/{sobject}", values, key="Id")
        return results

    def _to_create(self, record: dict) -> tuple[str | None, dict, dict | None]:
        """Return a record to insert as (sObject, stored values, the problem refusing it)."""
        sobject = (record.get("attributes") or {}).get("type")
        if sobject not in ("Campaign", "CampaignMember"):
            return sobject, {}, _problem("INVALID_TYPE", f"cannot create {sobject} here")
        stored, problem = self.coerce(sobject, record, creating=True)
        if not problem and sobject == "CampaignMember":
            problem = self._member_problem(stored)
            # LeadOrContactId is derived by Salesforce from LeadId / ContactId.
            stored = {**stored, "LeadOrContactId": stored.get("ContactId") or stored.get("LeadId")}
        return sobject, stored, problem

    def check_create(self, records: list[dict]) -> list[dict]:
        """Validate records to insert without inserting them (for `allOrNone`)."""
        results = []
        for record in records:
            _sobject, _stored, problem = self._to_create(record)
            results.append(_result(None, [problem] if problem else []))
        return results

    def create(self, records: list[dict]) -> list[dict]:
        """Insert records (Campaign, CampaignMember); one result per record."""
        results = []
        for record in records:
            sobject, stored, problem = self._to_create(record)
            if problem:
                results.append(_result(None, [problem]))
                continue
            results.append(_result(self.insert(sobject, stored), []))
        return results

    def _member_problem(self, stored: dict[str, Any]) -> dict:
        person = stored.get("ContactId") or stored.get("LeadId")
        if not stored.get("CampaignId") or not person:
            return _problem("REQUIRED_FIELD_MISSING", "Required fields are missing: [CampaignId]")
        if stored["CampaignId"] not in self.rows("Campaign", "null as x"):
            return _problem("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")
        sobject = "Contact" if stored.get("ContactId") else "Lead"
        if person not in self.rows(sobject, "null as x") or person in self.rejections:
            reason = self.rejections.get(person, "invalid cross reference id")
            return _problem("INVALID_CROSS_REFERENCE_KEY", reason)
        members = self.rows("CampaignMember", '"CampaignId", "LeadOrContactId"')
        if any(
            m["CampaignId"] == stored["CampaignId"] and m["LeadOrContactId"] == person
            for m in members.values()
        ):
            return _problem("DUPLICATE_VALUE", "Already a campaign member.")
        return {}

    def insert(self, sobject: str, stored: dict[str, Any]) -> str:
        """Insert one record; return its new Id."""
        moment = self.org.state.moment
        record_id = self.new_id(sobject)
        row = {"Id": record_id, **stored, "CreatedDate": moment, "LastModifiedDate": moment}
        row |= {"SystemModstamp": moment, "IsDeleted": False, "_version_at": moment}
        self.overlay.insert(f"salesforce/{sobject}", [row], key="Id")
        return record_id

    def delete(self, ids: list[str]) -> list[dict]:
        """Delete records by Id; one result per id."""
        moment = self.org.state.moment
        results, changes = [], {}
        with self._lock:
            for record_id in ids:
                sobject = self.sobject_of(record_id)
                if sobject is None or record_id not in self.rows(sobject, "null as x"):
                    results.append(_result(record_id, [_problem("ENTITY_IS_DELETED", "deleted")]))
                    continue
                changes.setdefault(sobject, {})[record_id] = {
                    "IsDeleted": True,
                    "LastModifiedDate": moment,
                    "SystemModstamp": moment,
                }
                results.append(_result(record_id, []))
            for sobject, values in changes.items():
                self.overlay.update(f"salesforce/{sobject}", values, key="Id")
        return results

    async def upsert(self, request: Request) -> Response:
        """PATCH /composite/sobjects/{SObject}/{ExternalIdField}."""
        sobject = self.org.sobject(request.path_params["sobject"])
        field = request.path_params["field"]
        body = await self._json(request)
        records = body.get("records") if isinstance(body, dict) else None
        if not isinstance(records, list):
            raise SalesforceError(400, "JSON_PARSER_ERROR", "records is required")
        self.record(request, len(records))
        if len(records) > COLLECTION_LIMIT:
            raise SalesforceError(400, "EXCEEDED_ID_LIMIT", "record limit reached")
        results = []
        with self._lock:
            for record in records:
                key = record.get(field)
                if field == "Id":
                    answer = self.update([record | {"attributes": {"type": sobject}}])[0]
                    results.append(answer | {"created": False})
                    continue
                matches = [
                    row["Id"]
                    for row in self.rows(sobject, f'"{field}" as k').values()
                    if key is not None and row["k"] == key
                ]
                if len(matches) > 1:
                    problem = _problem("DUPLICATE_EXTERNAL_ID", f"{field}: more than one record")
                    results.append(_result(None, [problem], created=False))
                elif matches:
                    update = record | {"attributes": {"type": sobject}, "id": matches[0]}
                    update.pop(field, None)
                    results.append(self.update([update])[0] | {"created": False})
                else:
                    stored, problem = self.coerce(sobject, record, creating=True)
                    if problem:
                        results.append(_result(None, [problem], created=False))
                    else:
                        results.append(_result(self.insert(sobject, stored), [], created=True))
        return JSONResponse(results)

    async def create_one(self, request: Request) -> Response:
        """POST /sobjects/{SObject}: create one record (201)."""
        sobject = self.org.sobject(request.path_params["sobject"])
        body = await self._json(request)
        self.record(request, 1)
        with self._lock:
            results = self.create([{"attributes": {"type": sobject}, **(body or {})}])
        answer = results[0]
        if not answer["success"]:
            problem = answer["errors"][0]
            raise SalesforceError(400, problem["statusCode"], problem["message"])
        return JSONResponse(answer, status_code=201)

    # --- Bulk API 2.0 ingest -------------------------------------------------------------------

    async def create_job(self, request: Request) -> Response:
        """POST /jobs/ingest."""
        body = await self._json(request) or {}
        self.record(request, 0)
        operation = body.get("operation")
        if operation not in ("update", "upsert", "insert", "delete"):
            raise SalesforceError(400, "INVALIDJOB", f"Invalid operation: {operation}")
        sobject = self.org.sobject(str(body.get("object", "")))
        job_id = self.new_id("Job").replace("a00", "750", 1)
        job = {
            "id": job_id,
            "operation": operation,
            "object": sobject,
            "externalIdFieldName": body.get("externalIdFieldName"),
            "state": "Open",
            "contentType": "CSV",
            "lineEnding": body.get("lineEnding", "LF"),
            "columnDelimiter": "COMMA",
            "createdDate": format_datetime(datetime.now(UTC)),
            "apiVersion": float(request.path_params["ver"][1:]),
            "numberRecordsProcessed": 0,
            "numberRecordsFailed": 0,
            "_csv": b"",
            "_ok": [],
            "_failed": [],
        }
        with self._lock:
            self.jobs[job_id] = job
        return JSONResponse(_public(job))

    def _job(self, request: Request) -> dict[str, Any]:
        job = self.jobs.get(request.path_params["job"])
        if job is None:
            raise SalesforceError(404, "NOT_FOUND", "The requested resource does not exist")
        return job

    async def upload(self, request: Request) -> Response:
        """PUT /jobs/ingest/{id}/batches (CSV)."""
        job = self._job(request)
        content = await request.body()
        self.record(request, max(0, content.count(b"\n") - 1))
        if job["state"] != "Open":
            raise SalesforceError(400, "INVALIDJOBSTATE", "Job is not open for uploads")
        job["_csv"] += content if not job["_csv"] else content.split(b"\n", 1)[1]
        return Response(status_code=201)

    async def job(self, request: Request) -> Response:
        """GET, PATCH (state UploadComplete or Aborted) and DELETE /jobs/ingest/{id}."""
        job = self._job(request)
        if request.method == "GET":
            return JSONResponse(_public(job))
        if request.method == "DELETE":
            self.jobs.pop(job["id"], None)
            return Response(status_code=204)
        body = await self._json(request) or {}
        self.record(request, 0)
        state = body.get("state")
        if state == "Aborted":
            job["state"] = "Aborted"
        elif state == "UploadComplete" and job["state"] == "Open":
            self._process(job)
        else:
            raise SalesforceError(400, "INVALIDJOBSTATE", f"Cannot move the job to {state}")
        return JSONResponse(_public(job))

    def _process(self, job: dict[str, Any]) -> None:
        rows = list(csv.DictReader(io.StringIO(job["_csv"].decode("utf-8"))))
        records = [
            {k: (None if v == "#N/A" else v) for k, v in row.items() if v != ""}
            | {"attributes": {"type": job["object"]}}
            for row in rows
        ]
        with self._lock:
            results = []
            for start in range(0, len(records), COLLECTION_LIMIT):
                results += self.update(records[start : start + COLLECTION_LIMIT])
        for row, result in zip(rows, results, strict=True):
            if result["success"]:
                job["_ok"].append({"sf__Id": result["id"], "sf__Created": "false", **row})
            else:
                error = result["errors"][0]
                job["_failed"].append(
                    {
                        "sf__Id": result["id"] or "",
                        "sf__Error": f"{error['statusCode']}:{error['message']}",
                        **row,
                    }
                )
        job["numberRecordsProcessed"] = len(rows)
        job["numberRecordsFailed"] = len(job["_failed"])
        job["state"] = "JobComplete"

    async def results(self, request: Request) -> Response:
        """GET /jobs/ingest/{id}/successfulResults/ and /failedResults/ (CSV)."""
        job = self._job(request)
        kind = request.path_params["kind"]
        rows = job["_ok"] if kind == "successfulResults" else job["_failed"]
        out = io.StringIO()
        if rows:
            writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows({k: "" if v is None else v for k, v in r.items()} for r in rows)
        return Response(out.getvalue(), media_type="text/csv")


def _public(job: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in job.items() if not k.startswith("_")}


def _typed(spec: FieldSpec, value: Any) -> Any:
    """Coerce a JSON or CSV value to the field's type (raise ValueError when it is not one)."""
    if value is None or value == "":
        return None
    if spec.type in ("double", "currency", "percent", "int"):
        if isinstance(value, bool):
            raise ValueError(value)
        return float(value)
    if spec.type == "boolean":
        if isinstance(value, bool):
            return value
        if str(value).lower() in ("true", "false"):
            return str(value).lower() == "true"
        raise ValueError(value)
    if spec.type == "date":
        return date.fromisoformat(str(value))
    if spec.type == "datetime":
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    text = str(value)
    if len(text) > 255:
        raise ValueError(value)
    return text


def write_routes(org: SalesforceOrg) -> list[Route]:
    """Return the write routes over `org`; its `WriteStore` is kept as `state.writes`."""
    store = WriteStore(org)
    org.state.writes = store  # type: ignore[attr-defined]
    data = "/services/data/{ver}"
    jobs = f"{data}/jobs/ingest"
    return [
        Route(
            f"{data}/composite/sobjects",
            store.collections,
            methods=["PATCH", "POST", "DELETE"],
        ),
        Route(f"{data}/composite/sobjects/{{sobject}}/{{field}}", store.upsert, methods=["PATCH"]),
        Route(f"{data}/sobjects/{{sobject}}", store.create_one, methods=["POST"]),
        Route(f"{data}/sobjects/{{sobject}}/", store.create_one, methods=["POST"]),
        Route(jobs, store.create_job, methods=["POST"]),
        Route(f"{jobs}/", store.create_job, methods=["POST"]),
        Route(f"{jobs}/{{job}}/batches", store.upload, methods=["PUT"]),
        Route(f"{jobs}/{{job}}", store.job, methods=["GET", "PATCH", "DELETE"]),
        Route(f"{jobs}/{{job}}/{{kind}}/", store.results, methods=["GET"]),
        Route(f"{jobs}/{{job}}/{{kind}}", store.results, methods=["GET"]),
    ]
