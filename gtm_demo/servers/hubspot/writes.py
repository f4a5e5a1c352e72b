"""HubSpot's write endpoints: properties, batch update and upsert, list memberships.

Wire formats as HubSpot documents them: `POST /crm/v3/properties/{type}` (201, 409 when the name
is taken) and `/groups`; `POST /crm/v3/objects/{type}/batch/update|upsert` (at most 100 inputs;
200 `COMPLETE` when every input succeeded, 207 multi-status with `errors[]` and `numErrors`
otherwise: unknown ids, unknown or read-only properties, invalid values); the v3 lists API
(`POST /crm/v3/lists`, lookup by name, `PUT .../memberships/add|remove`, `GET .../memberships`).
Written values land in the served contacts (see `overlay`), so the next ingest reads them back.
Every request to these routes is kept in `WriteStore.log` (the proof a dry run wrote nothing).
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gtm_demo.servers.hubspot.errors import ApiError, iso, parse_moment
from gtm_demo.servers.hubspot.objects import OBJECTS
from gtm_demo.servers.overlay import Overlay

BATCH_LIMIT = 100
READ_ONLY = frozenset(
    {
        "createdate",
        "lastmodifieddate",
        "hs_lastmodifieddate",
        "hs_object_id",
        "hs_merged_object_ids",
    }
)
TYPES = {"string", "number", "enumeration", "date", "datetime", "bool"}
FIELD_TYPES = {
    "text",
    "textarea",
    "number",
    "select",
    "radio",
    "checkbox",
    "booleancheckbox",
    "date",
}


class WriteStore:
    """The server's written state: created properties and groups, lists, the request log."""

    def __init__(self, api: Any) -> None:
        self.api = api
        self.overlay = Overlay(api.state)
        self.log: list[dict[str, Any]] = []
        self.groups: dict[str, set[str]] = {}
        self.lists: dict[str, dict[str, Any]] = {}
        self.members: dict[str, set[str]] = {}
        self.rejections: dict[str, str] = {}
        """Record id -> message: per-record rejections injected by tests."""
        self.gdpr_deleted: set[str] = set()
        self.blocklist: set[str] = set()
        """E-mail addresses a GDPR delete found no contact for (HubSpot blocks them)."""
        self._ids = itertools.count(1001)
        self._lock = threading.RLock()

    # --- helpers -------------------------------------------------------------------------------

    def record(self, request: Request, records: int) -> None:
        """Keep one request in the log."""
        with self._lock:
            self.log.append(
                {"method": request.method, "path": request.url.path, "records": records}
            )

    def ids(self, obj: Any) -> set[str]:
        """Return the ids of live records of `obj` at the moment."""
        table = self.api.state.table(obj.table)
        where = "coalesce(archived, false) = false"
        if obj.name == "contacts":
            where += " and _merged_into is null"
        rows = self.api.state.fetch(f"select id from {table} where {where}")
        return {str(row["id"]) for row in rows}

    @staticmethod
    def body(raw: bytes) -> Any:
        """Parse a JSON body or answer HubSpot's 400."""
        try:
            return json.loads(raw or b"null")
        except ValueError as exc:
            raise ApiError(400, f"Invalid input JSON on line 1: {exc}") from exc

    # --- properties ----------------------------------------------------------------------------

    def create_group(self, request: Request, raw: bytes) -> Response:
        """POST /crm/v3/properties/{type}/groups."""
        obj = self.api.obj(request.path_params["object_type"])
        body = self.body(raw) or {}
        self.record(request, 1)
        name = str(body.get("name") or "")
        if not name:
            raise ApiError(400, "Property group name is required", "VALIDATION_ERROR")
        with self._lock:
            taken = self.groups.setdefault(obj.name, set())
            if name in taken or name == obj.group:
                raise ApiError(409, f"A property group named '{name}' already exists.", "CONFLICT")
            taken.add(name)
        return JSONResponse(
            {"name": name, "label": body.get("label", name), "displayOrder": -1, "archived": False},
            status_code=201,
        )

    def create_property(self, request: Request, raw: bytes) -> Response:
        """POST /crm/v3/properties/{type}."""
        obj = self.api.obj(request.path_params["object_type"])
        body = self.body(raw) or {}
        self.record(request, 1)
        name = str(body.get("name") or "")
        kind = body.get("type")
        if not name or not name.replace("_", "").isalnum() or name != name.lower():
            raise ApiError(400, f"Property name '{name}' is invalid", "VALIDATION_ERROR")
        if kind not in TYPES or body.get("fieldType") not in FIELD_TYPES:
            raise ApiError(
                400, f"Invalid type or fieldType for property {name}", "VALIDATION_ERROR"
            )
        with self._lock:
            if name in self.api.known_properties(obj):
                raise ApiError(409, f"Property named '{name}' already exists.", "CONFLICT")
            meta = {
                "name": name,
                "label": body.get("label", name),
                "type": kind,
                "fieldType": body["fieldType"],
                "groupName": body.get("groupName", obj.group),
                "hasUniqueValue": bool(body.get("hasUniqueValue", False)),
                "options": body.get("options", []),
            }
            self.api.properties_meta.setdefault(obj.name, []).append(meta)
            self.overlay.add_columns(obj.table, {name: "varchar"})
        now = iso(datetime.now(UTC))
        return JSONResponse(meta | {"createdAt": now, "updatedAt": now}, status_code=201)

    # --- batch update and upsert ---------------------------------------------------------------

    def _check_properties(self, obj: Any, properties: Any, known: dict) -> str | None:
        """Return why `properties` cannot be written, or None."""
        if not isinstance(properties, dict):
            return "properties must be an object"
        for name, value in properties.items():
            if name not in known:
                return f'Property "{name}" does not exist'
            if name in READ_ONLY:
                return f'"{name}" is a read only property; its value cannot be set.'
            if value in (None, ""):
                continue
            kind = known[name].get("type")
            try:
                if kind == "number":
                    float(str(value))
                elif kind in ("datetime", "date"):
                    parse_moment(value)
            except (TypeError, ValueError):
                return f'{value} was not a valid {kind} for property "{name}"'
        return None

    def _stored(self, obj: Any, known: dict, properties: dict) -> dict[str, Any]:
        """Property values as the served table holds them (custom ones as strings)."""
        custom = self.overlay.writes(obj.table).columns
        stored: dict[str, Any] = {}
        for name, value in properties.items():
            if value in (None, ""):
                stored[name] = None
            elif name not in custom and known[name].get("type") in ("datetime", "date"):
                stored[name] = parse_moment(value)
            else:
                stored[name] = str(value)
        return stored

    def batch_update(self, request: Request, raw: bytes) -> Response:
        """POST /crm/v3/objects/{type}/batch/update."""
        return self._batch(request, raw, upsert=False)

    def batch_upsert(self, request: Request, raw: bytes) -> Response:
        """POST /crm/v3/objects/{type}/batch/upsert."""
        return self._batch(request, raw, upsert=True)

    def _batch(self, request: Request, raw: bytes, upsert: bool) -> Response:
        obj = self.api.obj(request.path_params["object_type"])
        body = self.body(raw) or {}
        inputs = body.get("inputs")
        if not isinstance(inputs, list):
            raise ApiError(400, "Invalid input JSON: inputs is required", "VALIDATION_ERROR")
        self.record(request, len(inputs))
        if len(inputs) > BATCH_LIMIT:
            raise ApiError(
                400,
                f"Batch input limit exceeded: {len(inputs)} > {BATCH_LIMIT}",
                "VALIDATION_ERROR",
            )
        started = iso(datetime.now(UTC))
        known = self.api.known_properties(obj)
        moment = self.api.state.moment
        with self._lock:
            live = self.ids(obj)
            by_property: dict[tuple[str, str], str] = {}
            results, errors, updates, inserts = [], [], {}, []
            for item in inputs:
                item = item if isinstance(item, dict) else {}
                given = str(item.get("id", ""))
                id_property = item.get("idProperty")
                properties = item.get("properties") or {}
                problem = self._check_properties(obj, properties, known)
                target: str | None = given
                if id_property and id_property != "hs_object_id":
                    meta = known.get(id_property)
                    if meta is None or not (meta.get("hasUniqueValue") or id_property == "email"):
                        problem = problem or (
                            f"Unable to perform update/upsert by non-unique {id_property} property"
                        )
                    else:
                        target = by_property.get((id_property, given)) or self._find(
                            obj, id_property, given
                        )
                if problem is None and target in self.rejections:
                    problem = self.rejections[target]
                if problem is not None:
                    errors.append(_error("VALIDATION_ERROR", problem, {"ids": [given]}))
                    continue
                created = False
                if target is None or target not in live:
                    if not upsert or target is not None:
                        errors.append(
                            _error(
                                "OBJECT_NOT_FOUND",
                                "Object not found.  objectId are usually numeric.",
                                {"ids": [given]},
                            )
                        )
                        continue
                    target = str(next(self._ids) + 10_000_000)
                    row = {"id": target, "createdate": moment, obj.modified: moment}
                    row |= {"archived": False, id_property: given}
                    inserts.append(row)
                    live.add(target)
                    if id_property:
                        by_property[(id_property, given)] = target
                    created = True
                stored = self._stored(obj, known, properties)
                stored[obj.modified] = moment
                updates.setdefault(target, {}).update(stored)
                record = {
                    "id": target,
                    "properties": dict(properties)
                    | ({id_property: given} if upsert and id_property else {}),
                    "createdAt": iso(moment),
                    "updatedAt": iso(moment),
                    "archived": False,
                }
                if upsert:
                    record["new"] = created
                results.append(record)
            if inserts:
                self.overlay.insert(obj.table, inserts)
            if updates:
                self.overlay.update(obj.table, updates)
        answer: dict[str, Any] = {
            "status": "COMPLETE",
            "results": results,
            "startedAt": started,
            "completedAt": iso(datetime.now(UTC)),
        }
        if errors:
            answer |= {"numErrors": len(errors), "errors": errors}
        return JSONResponse(answer, status_code=207 if errors else 200)

    def _find(self, obj: Any, id_property: str, value: str) -> str | None:
        table = self.api.state.table(obj.table)
        rows = self.api.state.fetch(
            f'select id from {table} where lower(cast("{id_property}" as varchar)) = ? '
            "and coalesce(archived, false) = false limit 1",
            [value.lower()],
        )
        return str(rows[0]["id"]) if rows else None

    # --- GDPR delete ---------------------------------------------------------------------------

    def gdpr_delete(self, request: Request, raw: bytes) -> Response:
        """POST /crm/v3/objects/contacts/gdpr-delete: delete a contact for good; 204.

        `{"objectId": id}`, or `{"idProperty": "email", "objectId": address}`. An unknown id is a
        404; an unknown e-mail is blocklisted and answered 204, as HubSpot documents
        (https://developers.hubspot.com/docs/api-reference/legacy/crm/objects/contacts/gdpr/gdpr-delete-contact).
        """
        obj = OBJECTS["contacts"]
        body = self.body(raw) or {}
        self.record(request, 1)
        value = str(body.get("objectId") or "")
        id_property = body.get("idProperty") or "hs_object_id"
        if not value:
            raise ApiError(400, "objectId is required")
        if id_property in ("hs_object_id", "id"):
            found = value if value in self.ids(obj) else None
        else:
            found = self._find(obj, id_property, value)
        if found is None:
            if id_property == "email":
                self.blocklist.add(value.lower())
                return Response(status_code=204)
            raise ApiError(404, f"resource not found: contact {value}")
        self.overlay.delete(obj.table, {found})
        self.gdpr_deleted.add(found)
        return Response(status_code=204)

    # --- lists ---------------------------------------------------------------------------------

    def create_list(self, request: Request, raw: bytes) -> Response:
        """POST /crm/v3/lists."""
        body = self.body(raw) or {}
        self.record(request, 0)
        name = str(body.get("name") or "")
        if not name or body.get("objectTypeId") != "0-1":
            raise ApiError(400, "name and objectTypeId 0-1 are required", "VALIDATION_ERROR")
        with self._lock:
            if any(item["name"] == name for item in self.lists.values()):
                raise ApiError(400, f"A list named {name} already exists.", "VALIDATION_ERROR")
            list_id = str(next(self._ids))
            self.lists[list_id] = {
                "listId": list_id,
                "name": name,
                "objectTypeId": "0-1",
                "processingType": body.get("processingType", "MANUAL"),
                "size": 0,
            }
            self.members[list_id] = set()
            return JSONResponse({"list": self.lists[list_id]})

    def list_by_name(self, request: Request, raw: bytes) -> Response:
        """GET /crm/v3/lists/object-type-id/{objectTypeId}/name/{listName}."""
        name = request.path_params["name"]
        for item in self.lists.values():
            if item["name"] == name:
                return JSONResponse({"list": item | {"size": len(self.members[item["listId"]])}})
        raise ApiError(404, f"List {name} not found", "OBJECT_NOT_FOUND")

    def _list(self, request: Request) -> str:
        list_id = request.path_params["list_id"]
        if list_id not in self.lists:
            raise ApiError(404, f"List {list_id} not found", "OBJECT_NOT_FOUND")
        return list_id

    def add_members(self, request: Request, raw: bytes) -> Response:
        """PUT /crm/v3/lists/{listId}/memberships/add."""
        return self._members(request, raw, add=True)

    def remove_members(self, request: Request, raw: bytes) -> Response:
        """PUT /crm/v3/lists/{listId}/memberships/remove."""
        return self._members(request, raw, add=False)

    def _members(self, request: Request, raw: bytes, add: bool) -> Response:
        list_id = self._list(request)
        ids = [str(i) for i in (self.body(raw) or [])]
        self.record(request, len(ids))
        if len(ids) > 100_000:
            raise ApiError(400, "At most 100000 record ids per request", "VALIDATION_ERROR")
        with self._lock:
            live = self.ids(OBJECTS["contacts"])
            members = self.members[list_id]
            done, missing = [], []
            for record in ids:
                if record not in live or record in self.rejections:
                    missing.append(record)
                elif add and record not in members:
                    members.add(record)
                    done.append(record)
                elif not add and record in members:
                    members.discard(record)
                    done.append(record)
        key = "recordIdsAdded" if add else "recordIdsRemoved"
        return JSONResponse({key: done, "recordIdsMissing": missing})

    def memberships(self, request: Request, raw: bytes) -> Response:
        """GET /crm/v3/lists/{listId}/memberships (paged by `after`, up to 250)."""
        list_id = self._list(request)
        after = int(request.query_params.get("after") or 0)
        limit = min(250, int(request.query_params.get("limit") or 100))
        ordered = sorted(self.members[list_id], key=int)
        page = ordered[after : after + limit]
        answer: dict[str, Any] = {"results": [{"recordId": r} for r in page]}
        if after + limit < len(ordered):
            answer["paging"] = {"next": {"after": str(after + limit)}}
        return JSONResponse(answer)


def _error(category: str, message: str, context: dict) -> dict[str, Any]:
    return {
        "status": "error",
        "category": category,
        "message": message,
        "context": context,
        "errors": [{"message": message, "code": category}],
    }


def write_routes(api: Any, endpoint: Callable[[Callable], Callable]) -> list[Route]:
    """Return the write routes over `api`, each wrapped by the app's `endpoint` (auth, rate limits).

    The `WriteStore` is kept on the world state as `state.writes` for tests and the demo.
    """
    store = WriteStore(api)
    api.state.writes = store
    objects = "/crm/v3/objects/{object_type}"
    lists = "/crm/v3/lists"
    return [
        Route(
            "/crm/v3/properties/{object_type}",
            endpoint(store.create_property),
            methods=["POST"],
        ),
        Route(
            "/crm/v3/properties/{object_type}/groups",
            endpoint(store.create_group),
            methods=["POST"],
        ),
        Route(
            "/crm/v3/objects/contacts/gdpr-delete", endpoint(store.gdpr_delete), methods=["POST"]
        ),
        Route(f"{objects}/batch/update", endpoint(store.batch_update), methods=["POST"]),
        Route(f"{objects}/batch/upsert", endpoint(store.batch_upsert), methods=["POST"]),
        Route(lists, endpoint(store.create_list), methods=["POST"]),
        Route(f"{lists}/", endpoint(store.create_list), methods=["POST"]),
        Route(
            f"{lists}/object-type-id/{{type_id}}/name/{{name}}",
            endpoint(store.list_by_name),
            methods=["GET"],
        ),
        Route(f"{lists}/{{list_id}}/memberships/add", endpoint(store.add_members), methods=["PUT"]),
        Route(
            f"{lists}/{{list_id}}/memberships/remove",
            endpoint(store.remove_members),
            methods=["PUT"],
        ),
        Route(f"{lists}/{{list_id}}/memberships", endpoint(store.memberships), methods=["GET"]),
    ]
