"""A local HubSpot API over the demo world, in HubSpot's own wire format.

It serves what a private app reads: CRM v3 objects (list and search), properties, v4 association
batch reads, deal pipelines, owners, legacy marketing e-mail events, forms and their submissions,
and web analytics events. Auth is a private-app bearer token; a rolling ten-second limit answers
429 with HubSpot's body and headers; search has its own per-second limit and, like HubSpot's,
sends no rate-limit headers. Server-specific fault kinds: `expired_token` (401
EXPIRED_AUTHENTICATION) and `repeat_record` (the next page repeats the last record of the page
before it).
"""

from __future__ import annotations

import base64
import json
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gtm_demo.serving import (
    FaultPlan,
    RollingLimit,
    ServerHandle,
    WorldState,
    admin_routes,
    fault_middleware,
    serve,
)

DEFAULT_TOKEN = "demo-hubspot-token"
DEFAULT_OAUTH_CLIENT = ("demo-hubspot-client", "demo-hubspot-secret", "demo-hubspot-refresh")
DAILY_LIMIT = 625_000
AUTH_MESSAGE = (
    "Authentication credentials not found. This API supports OAuth 2.0 authentication and you "
    "can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"
)
EXPIRED_MESSAGE = "The OAuth token used to make this call expired 0 day(s) ago."
SEARCH_CAP = 10_000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class _ObjectType:
    name: str  # plural, as in the path and the world
    singular: str
    type_id: str
    modified: str  # the last-modified property
    defaults: tuple[str, ...]
    group: str
    searchable: tuple[str, ...]

    @property
    def table(self) -> str:
        return f"hubspot/{self.name}"


OBJECTS = {
    "contacts": _ObjectType(
        "contacts",
        "contact",
        "0-1",
        "lastmodifieddate",
        ("createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"),
        "contactinformation",
        ("email", "firstname", "lastname", "phone", "company"),
    ),
    "companies": _ObjectType(
        "companies",
        "company",
        "0-2",
        "hs_lastmodifieddate",
        ("createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"),
        "companyinformation",
        ("name", "domain"),
    ),
    "deals": _ObjectType(
        "deals",
        "deal",
        "0-3",
        "hs_lastmodifieddate",
        (
            "amount",
            "closedate",
            "createdate",
            "dealname",
            "dealstage",
            "hs_lastmodifieddate",
            "hs_object_id",
            "pipeline",
        ),
        "dealinformation",
        ("dealname",),
    ),
}
ALIASES = {
    alias: obj.name for obj in OBJECTS.values() for alias in (obj.name, obj.singular, obj.type_id)
}

# Association type ids one way and the other; names as v3 list `associations=` spells them.
REVERSE_TYPE = {1: 2, 3: 4, 5: 6, 279: 280, 341: 342}
REVERSE_TYPE.update({v: k for k, v in list(REVERSE_TYPE.items())})
REVERSE_LABEL = {2: "Contact with Primary Company", 6: "Deal with Primary Company"}
TYPE_NAMES = {
    1: "contact_to_company",
    2: "company_to_contact",
    3: "deal_to_contact",
    4: "contact_to_deal",
    5: "deal_to_company",
    6: "company_to_deal",
    279: "contact_to_company_unlabeled",
    280: "company_to_contact_unlabeled",
    341: "deal_to_company_unlabeled",
    342: "company_to_deal_unlabeled",
}

LABELS = {
    "email": "Email",
    "firstname": "First Name",
    "lastname": "Last Name",
    "jobtitle": "Job Title",
    "phone": "Phone Number",
    "country": "Country/Region",
    "company": "Company Name",
    "lifecyclestage": "Lifecycle Stage",
    "hs_analytics_source": "Original Source",
    "hubspot_owner_id": "Contact owner",
    "associatedcompanyid": "Primary Associated Company ID",
    "hs_merged_object_ids": "Merged Record IDs",
    "createdate": "Create Date",
    "lastmodifieddate": "Last Modified Date",
    "hs_lastmodifieddate": "Last Modified Date",
    "hs_object_id": "Record ID",
    "name": "Company name",
    "domain": "Company Domain Name",
    "industry": "Industry",
    "numberofemployees": "Number of Employees",
    "annualrevenue": "Annual Revenue",
    "dealname": "Deal Name",
    "amount": "Amount",
    "dealstage": "Deal Stage",
    "pipeline": "Pipeline",
    "closedate": "Close Date",
    "salesforce_opportunity_id": "Salesforce Opportunity ID",
    "product_interest": "Product interest",
}
FIELD_TYPES = {"string": "text", "number": "number", "datetime": "date", "bool": "booleancheckbox"}


class ApiError(Exception):
    """An error HubSpot answers with its JSON error body."""

    def __init__(self, status: int, message: str, category: str = "VALIDATION_ERROR", **extra):
        super().__init__(message)
        self.status = status
        self.message = message
        self.category = category
        self.extra = extra


def iso(value: datetime) -> str:
    """Render a moment as HubSpot does: ISO 8601 in UTC with milliseconds and `Z`."""
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def epoch_ms(value: datetime) -> int:
    """Milliseconds since the epoch."""
    return (value - EPOCH) // timedelta(milliseconds=1)


def property_value(value: Any) -> str | None:
    """Render a property value as HubSpot sends it: always a string (or null)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def parse_moment(value: Any) -> datetime:
    """Parse a filter or query moment: epoch milliseconds (number or digits) or ISO 8601."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return EPOCH + timedelta(milliseconds=int(value))
    text = str(value).strip()
    if text.lstrip("-").isdigit():
        return EPOCH + timedelta(milliseconds=int(text))
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ApiError(400, f"Invalid date value: {text}") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _correlation() -> str:
    return str(uuid.uuid4())


def error_response(status: int, message: str, category: str, **extra: Any) -> JSONResponse:
    """HubSpot's standard error body."""
    body = {"status": "error", "message": message, "correlationId": _correlation()}
    body.update(extra)
    body["category"] = category
    return JSONResponse(body, status_code=status)


def rate_limit_body(policy: str = "TEN_SECONDLY_ROLLING") -> dict[str, str]:
    """HubSpot's 429 body for a rate-limit policy."""
    return {
        "status": "error",
        "message": f"You have reached your {policy.lower()} limit.",
        "errorType": "RATE_LIMIT",
        "correlationId": _correlation(),
        "policyName": policy,
        "requestId": _correlation(),
    }


_STATUS_CATEGORIES = {
    400: "VALIDATION_ERROR",
    403: "MISSING_SCOPES",
    404: "OBJECT_NOT_FOUND",
    409: "CONFLICT",
}


def _encode_cursor(values: list) -> str:
    """Make an opaque token of key values (moments as epoch milliseconds)."""
    plain = [epoch_ms(v) if isinstance(v, datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain).encode()).decode().rstrip("=")


def _decode_cursor(text: str, size: int, times: tuple[int, ...] = ()) -> list:
    """Read a token of `size` key values back; positions in `times` are moments."""
    try:
        values = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        if not isinstance(values, list) or len(values) != size:
            raise ValueError("wrong size")
        for i in times:
            values[i] = EPOCH + timedelta(milliseconds=int(values[i]))
    except (ValueError, TypeError) as exc:
        raise ApiError(400, f"Invalid after/offset token: {text}") from exc
    return values


def _int_param(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ApiError(400, f"Invalid value for {name}: {raw}") from exc


def _bool_param(request: Request, name: str) -> bool:
    return (request.query_params.get(name) or "false").lower() == "true"


def _csv_params(request: Request, name: str) -> list[str]:
    values: list[str] = []
    for raw in request.query_params.getlist(name):
        values.extend(part.strip() for part in raw.split(",") if part.strip())
    return values


class HubSpotApi:
    """The endpoints over one `WorldState`; every method runs in a worker thread."""

    def __init__(self, state: WorldState, plan: FaultPlan) -> None:
        self.state = state
        self.plan = plan
        hub = state.world / "hubspot"
        self.properties_meta: dict[str, list[dict]] = json.loads(
            (hub / "_properties.json").read_text()
        )
        self.pipelines: list[dict] = json.loads((hub / "_pipelines.json").read_text())
        self.created = datetime.fromisoformat(state.meta["history_start"]).replace(tzinfo=UTC)

    # --- helpers ----------------------------------------------------------------------------

    def obj(self, name: str) -> _ObjectType:
        """Resolve an object type from a path segment."""
        canonical = ALIASES.get(name.lower())
        if canonical is None:
            raise ApiError(
                400,
                f"Unable to infer object type from: {name}",
                "OBJECT_NOT_FOUND",
                context={"objectType": [name]},
            )
        return OBJECTS[canonical]

    def _introduced(self, meta: dict) -> datetime | None:
        raw = meta.get("introduced_at")
        return None if raw is None else parse_moment(raw)

    def known_properties(self, obj: _ObjectType) -> dict[str, dict]:
        """Return the properties that exist at the moment (custom ones once introduced)."""
        known = {}
        for meta in self.properties_meta.get(obj.name, []):
            introduced = self._introduced(meta)
            if introduced is None or introduced <= self.state.moment:
                known[meta["name"]] = meta
        known["hs_object_id"] = {"name": "hs_object_id", "type": "number"}
        return known

    def chosen_properties(self, obj: _ObjectType, requested: list[str]) -> list[str]:
        """Return the requested properties that exist plus the ones HubSpot always adds."""
        known = self.known_properties(obj)
        if not requested:
            return list(obj.defaults)
        chosen = [name for name in dict.fromkeys(requested) if name in known]
        for always in ("createdate", obj.modified, "hs_object_id"):
            if always not in chosen:
                chosen.append(always)
        return chosen

    @staticmethod
    def _columns(chosen: list[str]) -> str:
        names = ["id", "archived", "archived_at", "createdate"]
        names += [name for name in chosen if name != "hs_object_id" and name not in names]
        return ", ".join(f'"{name}"' for name in names)

    def crm_record(self, obj: _ObjectType, row: dict, chosen: list[str]) -> dict:
        """One CRM object as the v3 API sends it."""
        properties = {}
        for name in chosen:
            properties[name] = row["id"] if name == "hs_object_id" else property_value(row[name])
        record: dict[str, Any] = {
            "id": row["id"],
            "properties": properties,
            "createdAt": iso(row["createdate"]),
            "updatedAt": iso(row[obj.modified]),
            "archived": bool(row["archived"]),
        }
        if row["archived"] and row["archived_at"] is not None:
            record["archivedAt"] = iso(row["archived_at"])
        return record

    def keyset_page(
        self,
        source: str,
        where: list[str],
        params: list,
        keys: list[str],
        descending: bool,
        cursor: list | None,
        limit: int,
        repeat: bool,
    ) -> tuple[list[dict], list | None]:
        """Read one page ordered by `keys` after `cursor`; return rows and the next cursor.

        With `repeat`, the record at the cursor (the last one of the page before) comes first.
        """
        key_columns = ", ".join(f"{key} as _k{i}" for i, key in enumerate(keys))
        sql = f"select *, {key_columns} from ({source})" + (
            f" where {' and '.join(where)}" if where else ""
        )
        ordered = self.state.ordered(sql, list(params), len(keys))
        take = limit + (1 if repeat else 0)
        rows = ordered.page(cursor, take + 1, descending, include_cursor=repeat)
        page = rows[:take]
        more = len(rows) > take and bool(page)
        next_cursor = [page[-1][f"_k{i}"] for i in range(len(keys))] if more else None
        return page, next_cursor

    def take_repeat(self, request: Request, has_cursor: bool) -> bool:
        """Whether a `repeat_record` fault applies to this page request."""
        return has_cursor and self.plan.take(request.url.path, {"repeat_record"}) is not None

    def associations(
        self, from_obj: _ObjectType, to_obj: _ObjectType, ids: list[str]
    ) -> dict[str, list[dict]]:
        """Association rows from `ids` of `from_obj` to `to_obj`, both stored directions."""
        if not ids:
            return {}
        table = self.state.table("hubspot/associations")
        rows = self.state.fetch(
            f"""
            select from_id as src, to_id as dst, association_type_id as type_id,
                association_category as category, label, false as reverse
            from {table}
            where from_object_type = ? and to_object_type = ? and list_contains(?, from_id)
            union all
            select to_id, from_id, association_type_id, association_category, label, true
            from {table}
            where from_object_type = ? and to_object_type = ? and list_contains(?, to_id)
            """,
            [from_obj.name, to_obj.name, ids, to_obj.name, from_obj.name, ids],
        )
        found: dict[str, list[dict]] = {}
        for row in rows:
            type_id, label = int(row["type_id"]), row["label"]
            if row["reverse"]:
                type_id = REVERSE_TYPE.get(type_id, type_id)
                label = REVERSE_LABEL.get(type_id, label)
            found.setdefault(row["src"], []).append(
                {"to": row["dst"], "typeId": type_id, "category": row["category"], "label": label}
            )
        return found

    # --- CRM objects ------------------------------------------------------------------------

    def list_objects(self, request: Request, body: bytes) -> Response:
        """GET /crm/v3/objects/{type}."""
        obj = self.obj(request.path_params["object_type"])
        limit = _int_param(request, "limit", 10)
        if not 1 <= limit <= 100:
            raise ApiError(400, "limit must be between 1 and 100")
        after = request.query_params.get("after")
        cursor = None
        if after:
            if not after.isdigit():
                raise ApiError(400, f"Invalid after value: {after}")
            cursor = [int(after)]
        chosen = self.chosen_properties(obj, _csv_params(request, "properties"))
        where = ["coalesce(archived, false) = ?"]
        params: list = [_bool_param(request, "archived")]
        if obj.name == "contacts":
            where.append("_merged_into is null")
        repeat = self.take_repeat(request, cursor is not None)
        source = f"select * from {self.state.table(obj.table)}"
        rows, next_cursor = self.keyset_page(
            source, where, params, ["cast(id as bigint)"], False, cursor, limit, repeat
        )
        results = [self.crm_record(obj, row, chosen) for row in rows]
        wanted = [self.obj(name) for name in _csv_params(request, "associations")]
        for to_obj in wanted:
            found = self.associations(obj, to_obj, [row["id"] for row in rows])
            for record in results:
                links = found.get(record["id"])
                if links:
                    record.setdefault("associations", {})[to_obj.name] = {
                        "results": [
                            {"id": link["to"], "type": TYPE_NAMES.get(link["typeId"], "unknown")}
                            for link in sorted(links, key=lambda x: (int(x["to"]), x["typeId"]))
                        ]
                    }
        answer: dict[str, Any] = {"results": results}
        if next_cursor is not None:
            after_next = str(next_cursor[0])
            answer["paging"] = {
                "next": {
                    "after": after_next,
                    "link": str(request.url.include_query_params(after=after_next)),
                }
            }
        return JSONResponse(answer)

    def _filter_sql(self, obj: _ObjectType, known: dict[str, dict], flt: dict) -> tuple[str, list]:
        name = flt.get("propertyName")
        operator = str(flt.get("operator", "")).upper()
        if name not in known:
            raise ApiError(400, f"There was a problem with the request: unknown property {name}")
        kind = known[name]["type"]
        column = "cast(id as bigint)" if name == "hs_object_id" else f'"{name}"'

        def coerce(value: Any) -> Any:
            if name == "hs_object_id":
                return int(str(value))
            if kind == "datetime":
                return parse_moment(value)
            if kind == "number":
                return float(value)
            return str(value).lower()

        target = column if kind in ("datetime", "number") or name == "hs_object_id" else None
        text_column = f"lower(cast({column} as varchar))"
        operand = target or text_column
        try:
            if operator in ("EQ", "NEQ", "LT", "LTE", "GT", "GTE"):
                sign = {"EQ": "=", "NEQ": "!=", "LT": "<", "LTE": "<=", "GT": ">", "GTE": ">="}
                return f"{operand} {sign[operator]} ?", [coerce(flt.get("value"))]
            if operator == "BETWEEN":
                return f"{operand} between ? and ?", [
                    coerce(flt.get("value")),
                    coerce(flt.get("highValue")),
                ]
            if operator in ("IN", "NOT_IN"):
                values = [coerce(v) for v in flt.get("values") or []]
                if not values:
                    raise ApiError(400, f"{operator} needs values")
                marks = ", ".join("?" for _ in values)
                negate = "not " if operator == "NOT_IN" else ""
                return f"{operand} {negate}in ({marks})", values
            if operator == "HAS_PROPERTY":
                return f"{column} is not null", []
            if operator == "NOT_HAS_PROPERTY":
                return f"{column} is null", []
            if operator in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
                pattern = "%" + str(flt.get("value", "")).lower().replace("*", "%") + "%"
                negate = "not " if operator == "NOT_CONTAINS_TOKEN" else ""
                return f"{text_column} {negate}like ?", [pattern]
        except (TypeError, ValueError) as exc:
            raise ApiError(400, f"Invalid value for {name}: {exc}") from exc
        raise ApiError(400, f"Unsupported operator: {operator}")

    def search(self, request: Request, body: bytes) -> Response:
        """POST /crm/v3/objects/{type}/search."""
        obj = self.obj(request.path_params["object_type"])
        try:
            query = json.loads(body or b"{}")
        except ValueError as exc:
            raise ApiError(400, f"Invalid input JSON: {exc}") from exc
        raw_after = str(query.get("after") or "0")
        if not raw_after.isdigit():
            raise ApiError(400, f"Invalid after value: {raw_after}")
        after = int(raw_after)
        try:
            limit = int(query.get("limit") or 10)
        except (TypeError, ValueError) as exc:
            raise ApiError(400, f"Invalid limit: {query.get('limit')}") from exc
        if not 1 <= limit <= 200:
            raise ApiError(400, "The limit must be between 1 and 200")
        if after + limit > SEARCH_CAP:
            raise ApiError(
                400,
                "There was a problem with the request. The search API returns at most 10000 "
                "results per query (after + limit must not exceed 10000).",
            )
        known = self.known_properties(obj)
        where = ["coalesce(archived, false) = false"]
        params: list = []
        if obj.name == "contacts":
            where.append("_merged_into is null")
        groups = []
        for group in query.get("filterGroups") or []:
            parts = []
            for flt in group.get("filters") or []:
                sql, values = self._filter_sql(obj, known, flt)
                parts.append(sql)
                params.extend(values)
            if parts:
                groups.append("(" + " and ".join(parts) + ")")
        if groups:
            where.append("(" + " or ".join(groups) + ")")
        if query.get("query"):
            term = "%" + str(query["query"]).lower() + "%"
            where.append(
                "("
                + " or ".join(f"lower(coalesce(\"{c}\", '')) like ?" for c in obj.searchable)
                + ")"
            )
            params.extend([term] * len(obj.searchable))
        order = []
        for sort in query.get("sorts") or []:
            if isinstance(sort, str):
                name, direction = sort.lstrip("-"), "DESCENDING" if sort[:1] == "-" else ""
            else:
                name, direction = sort.get("propertyName"), str(sort.get("direction", ""))
            if name not in known:
                raise ApiError(400, f"Invalid sort property: {name}")
            column = "cast(id as bigint)" if name == "hs_object_id" else f'"{name}"'
            order.append(f"{column} {'desc' if direction.upper() == 'DESCENDING' else 'asc'}")
        order.append("cast(id as bigint) asc")
        repeat = after > 0 and self.plan.take(request.url.path, {"repeat_record"}) is not None
        start = after - 1 if repeat else after
        chosen = self.chosen_properties(obj, list(query.get("properties") or []))
        table = self.state.table(obj.table)
        condition = " and ".join(where)
        total = self.state.fetch(f"select count(*) as n from {table} where {condition}", params)[0][
            "n"
        ]
        rows = self.state.fetch(
            f"select * from {table} where {condition} order by {', '.join(order)} "
            f"limit {limit + (1 if repeat else 0)} offset {start}",
            params,
        )
        answer: dict[str, Any] = {
            "total": total,
            "results": [self.crm_record(obj, row, chosen) for row in rows],
        }
        if after + limit < total:
            answer["paging"] = {
                "next": {"after": str(after + limit), "link": f"?after={after + limit}"}
            }
        return JSONResponse(answer)

    def properties(self, request: Request, body: bytes) -> Response:
        """GET /crm/v3/properties/{type}."""
        obj = self.obj(request.path_params["object_type"])
        results = []
        for order, (name, meta) in enumerate(self.known_properties(obj).items()):
            introduced = self._introduced(meta)
            kind = meta.get("type", "string")
            entry: dict[str, Any] = {
                "name": name,
                "label": LABELS.get(name, name.replace("_", " ").capitalize()),
                "type": kind,
                "fieldType": FIELD_TYPES.get(kind, "text"),
                "description": "",
                "groupName": (
                    "analyticsinformation" if name.startswith("hs_analytics") else obj.group
                ),
                "options": [],
                "displayOrder": order if introduced else -1,
                "calculated": False,
                "externalOptions": False,
                "hasUniqueValue": name == "hs_object_id",
                "hidden": False,
                "modificationMetadata": {
                    "archivable": introduced is not None,
                    "readOnlyDefinition": introduced is None,
                    "readOnlyValue": name
                    in ("hs_object_id", "createdate", obj.modified, "hs_merged_object_ids"),
                },
                "formField": introduced is not None,
                "archived": False,
            }
            if introduced is None:
                entry["hubspotDefined"] = True
            else:
                entry["createdAt"] = iso(introduced)
                entry["updatedAt"] = iso(introduced)
            results.append(entry)
        return JSONResponse({"results": results})

    def batch_read_associations(self, request: Request, body: bytes) -> Response:
        """POST /crm/v4/associations/{from}/{to}/batch/read."""
        started = datetime.now(UTC)
        from_obj = self.obj(request.path_params["from_type"])
        to_obj = self.obj(request.path_params["to_type"])
        try:
            inputs = json.loads(body or b"{}").get("inputs") or []
        except (ValueError, AttributeError) as exc:
            raise ApiError(400, f"Invalid input JSON: {exc}") from exc
        if len(inputs) > 1000:
            raise ApiError(400, "Batch read requests may not exceed 1000 inputs.")
        ids = list(dict.fromkeys(str(item.get("id")) for item in inputs))
        found = self.associations(from_obj, to_obj, ids)
        results, errors = [], []
        for object_id in ids:
            links = found.get(object_id)
            if not links:
                errors.append(
                    {
                        "status": "error",
                        "category": "OBJECT_NOT_FOUND",
                        "subCategory": "crm.associations.NO_ASSOCIATIONS_FOUND",
                        "context": {"fromObjectId": [object_id]},
                        "links": {},
                        "message": (
                            f"No {to_obj.singular} is associated with "
                            f"{from_obj.singular} {object_id}."
                        ),
                    }
                )
                continue
            by_target: dict[str, list[dict]] = {}
            for link in links:
                by_target.setdefault(link["to"], []).append(
                    {"category": link["category"], "typeId": link["typeId"], "label": link["label"]}
                )
            results.append(
                {
                    "from": {"id": object_id},
                    "to": [
                        {
                            "toObjectId": int(target),
                            "associationTypes": sorted(types, key=lambda t: t["typeId"]),
                        }
                        for target, types in sorted(by_target.items(), key=lambda x: int(x[0]))
                    ],
                }
            )
        answer: dict[str, Any] = {"status": "COMPLETE", "results": results}
        if errors:
            answer["numErrors"] = len(errors)
            answer["errors"] = errors
        answer["startedAt"] = iso(started)
        answer["completedAt"] = iso(datetime.now(UTC))
        return JSONResponse(answer, status_code=207 if errors else 200)

    def pipelines_route(self, request: Request, body: bytes) -> Response:
        """GET /crm/v3/pipelines/{type}."""
        obj = self.obj(request.path_params["object_type"])
        if obj.name != "deals":
            return JSONResponse({"results": []})
        stamp = iso(self.created)
        results = []
        for pipeline in self.pipelines:
            entry = {"createdAt": stamp, "updatedAt": stamp, **pipeline}
            entry["stages"] = [
                {
                    "createdAt": stamp,
                    "updatedAt": stamp,
                    "archived": False,
                    "writePermissions": "CRUD_ALL",
                    **stage,
                }
                for stage in pipeline.get("stages", [])
            ]
            results.append(entry)
        return JSONResponse({"results": results})

    def owners(self, request: Request, body: bytes) -> Response:
        """GET /crm/v3/owners/."""
        limit = _int_param(request, "limit", 100)
        if not 1 <= limit <= 500:
            raise ApiError(400, "limit must be between 1 and 500")
        after = request.query_params.get("after")
        if after and not after.isdigit():
            raise ApiError(400, f"Invalid after value: {after}")
        cursor = [int(after)] if after else None
        where = ["coalesce(archived, false) = ?"]
        params: list = [_bool_param(request, "archived")]
        if request.query_params.get("email"):
            where.append("lower(email) = ?")
            params.append(request.query_params["email"].lower())
        rows, next_cursor = self.keyset_page(
            f"select * from {self.state.table('hubspot/owners')}",
            where,
            params,
            ["cast(id as bigint)"],
            False,
            cursor,
            limit,
            self.take_repeat(request, cursor is not None),
        )
        results = [
            {
                "id": row["id"],
                "email": row["email"],
                "type": "PERSON",
                "firstName": row["firstName"],
                "lastName": row["lastName"],
                "userId": row["userId"],
                "userIdIncludingInactive": row["userId"],
                "createdAt": iso(row["createdAt"]),
                "updatedAt": iso(row["updatedAt"]),
                "archived": bool(row["archived"]),
            }
            for row in rows
        ]
        answer: dict[str, Any] = {"results": results}
        if next_cursor is not None:
            nxt = str(next_cursor[0])
            answer["paging"] = {
                "next": {"after": nxt, "link": str(request.url.include_query_params(after=nxt))}
            }
        return JSONResponse(answer)

    # --- marketing --------------------------------------------------------------------------

    def email_events(self, request: Request, body: bytes) -> Response:
        """GET /email/public/v1/events (legacy), newest first."""
        limit = max(1, min(_int_param(request, "limit", 100), 1000))
        where, params = [], []
        if request.query_params.get("startTimestamp"):
            where.append("created >= ?")
            params.append(parse_moment(request.query_params["startTimestamp"]))
        if request.query_params.get("endTimestamp"):
            where.append("created <= ?")
            params.append(parse_moment(request.query_params["endTimestamp"]))
        for param, column in (
            ("eventType", "type"),
            ("campaignId", "cast(email_campaign_id as varchar)"),
            ("recipient", "recipient"),
        ):
            if request.query_params.get(param):
                where.append(f"{column} = ?")
                params.append(request.query_params[param])
        offset = request.query_params.get("offset")
        cursor = _decode_cursor(offset, 2, times=(0,)) if offset else None
        rows, next_cursor = self.keyset_page(
            f"select * from {self.state.table('hubspot/email_events')}",
            where,
            params,
            ["created", "id"],
            True,
            cursor,
            limit,
            self.take_repeat(request, cursor is not None),
        )
        events = []
        for row in rows:
            event: dict[str, Any] = {
                "id": row["id"],
                "created": epoch_ms(row["created"]),
                "type": row["type"],
                "recipient": row["recipient"],
                "portalId": row["portal_id"],
                "appId": row["app_id"],
                "appName": row["app_name"],
                "emailCampaignId": row["email_campaign_id"],
                "sentBy": {"id": row["sent_by_id"], "created": epoch_ms(row["sent_by_created"])},
            }
            if row["url"] is not None:
                event["url"] = row["url"]
            events.append(event)
        token = _encode_cursor([rows[-1]["_k0"], rows[-1]["_k1"]]) if rows else offset or ""
        return JSONResponse({"hasMore": next_cursor is not None, "offset": token, "events": events})

    def forms(self, request: Request, body: bytes) -> Response:
        """GET /marketing/v3/forms/."""
        limit = max(1, min(_int_param(request, "limit", 20), 100))
        after = request.query_params.get("after")
        cursor = _decode_cursor(after, 1) if after else None
        rows, next_cursor = self.keyset_page(
            f"select * from {self.state.table('hubspot/forms')}",
            [],
            [],
            ["guid"],
            False,
            cursor,
            limit,
            self.take_repeat(request, cursor is not None),
        )
        results = [
            {
                "id": row["guid"],
                "name": row["name"],
                "formType": row["form_type"],
                "createdAt": iso(row["created_at"]),
                "updatedAt": iso(row["created_at"]),
                "archived": False,
                "fieldGroups": [],
            }
            for row in rows
        ]
        return JSONResponse(self._paged(request, results, next_cursor))

    def _paged(self, request: Request, results: list, next_cursor: list | None) -> dict:
        answer: dict[str, Any] = {"results": results}
        if next_cursor is not None:
            token = _encode_cursor(next_cursor)
            answer["paging"] = {
                "next": {"after": token, "link": str(request.url.include_query_params(after=token))}
            }
        return answer

    def form_submissions(self, request: Request, body: bytes) -> Response:
        """GET /form-integrations/v1/submissions/forms/{guid}, newest first."""
        guid = request.path_params["guid"]
        forms = self.state.table("hubspot/forms")
        if not self.state.fetch(f"select 1 from {forms} where guid = ?", [guid]):
            raise ApiError(404, f"Form {guid} not found", "OBJECT_NOT_FOUND")
        limit = max(1, min(_int_param(request, "limit", 20), 50))
        after = request.query_params.get("after")
        cursor = _decode_cursor(after, 2, times=(0,)) if after else None
        rows, next_cursor = self.keyset_page(
            f"select * from {self.state.table('hubspot/form_submissions')}",
            ["form_guid = ?"],
            [guid],
            ["submitted_at", "conversion_id"],
            True,
            cursor,
            limit,
            self.take_repeat(request, cursor is not None),
        )
        results = [
            {
                "conversionId": row["conversion_id"],
                "submittedAt": epoch_ms(row["submitted_at"]),
                "values": [{"name": v["name"], "value": v["value"]} for v in row["values"] or []],
                "pageUrl": row["page_url"],
            }
            for row in rows
        ]
        return JSONResponse(self._paged(request, results, next_cursor))

    def web_events(self, request: Request, body: bytes) -> Response:
        """GET /events/v3/events: web analytics event occurrences, oldest first by default."""
        object_type = (request.query_params.get("objectType") or "").lower()
        if not object_type:
            raise ApiError(400, "objectType is required")
        canonical = ALIASES.get(object_type)
        if canonical is None:
            raise ApiError(400, f"Unable to infer object type from: {object_type}")
        limit = max(1, min(_int_param(request, "limit", 10), 100))
        where, params = ["object_type = ?"], [OBJECTS[canonical].singular]
        for param, column in (("eventType", "event_type"), ("objectId", "object_id")):
            if request.query_params.get(param):
                where.append(f"{column} = ?")
                params.append(request.query_params[param])
        if request.query_params.get("occurredAfter"):
            where.append("occurred_at >= ?")
            params.append(parse_moment(request.query_params["occurredAfter"]))
        if request.query_params.get("occurredBefore"):
            where.append("occurred_at < ?")
            params.append(parse_moment(request.query_params["occurredBefore"]))
        descending = any(s.startswith("-") for s in request.query_params.getlist("sort"))
        after = request.query_params.get("after")
        cursor = _decode_cursor(after, 2, times=(0,)) if after else None
        rows, next_cursor = self.keyset_page(
            f"select * from {self.state.table('hubspot/web_events')}",
            where,
            params,
            ["occurred_at", "id"],
            descending,
            cursor,
            limit,
            self.take_repeat(request, cursor is not None),
        )
        results = [
            {
                "objectType": row["object_type"].upper(),
                "objectId": row["object_id"],
                "eventType": row["event_type"],
                "occurredAt": iso(row["occurred_at"]),
                "id": row["id"],
                "properties": {
                    "hs_url": row["url"],
                    "hs_referrer": row["referrer"],
                    "hs_page_title": row["page_title"],
                },
            }
            for row in rows
        ]
        return JSONResponse(self._paged(request, results, next_cursor))


def error_body(status: int, message: str, limiter: RollingLimit | None = None) -> Response:
    """Render `status` in HubSpot's error format (used for injected faults too)."""
    if status == 429:
        response = JSONResponse(rate_limit_body(), status_code=429)
        if limiter is not None:
            response.headers["X-HubSpot-RateLimit-Max"] = str(limiter.limit)
            response.headers["X-HubSpot-RateLimit-Remaining"] = "0"
            response.headers["X-HubSpot-RateLimit-Interval-Milliseconds"] = str(
                int(limiter.interval * 1000)
            )
        return response
    if status == 401:
        return error_response(401, AUTH_MESSAGE, "INVALID_AUTHENTICATION")
    return error_response(status, message, _STATUS_CATEGORIES.get(status, "INTERNAL_ERROR"))


def create_app(
    state: WorldState,
    plan: FaultPlan,
    token: str = DEFAULT_TOKEN,
    oauth_client: tuple[str, str, str] = DEFAULT_OAUTH_CLIENT,
    rate_limit: tuple[int, float] = (190, 10.0),
    search_rate_limit: tuple[int, float] | None = (5, 1.0),
    daily_limit: int = DAILY_LIMIT,
) -> Callable:
    """Return the HubSpot ASGI app over `state`, with `plan`'s faults applied.

    `token` is the private-app token; `oauth_client` is the (client id, client secret, refresh
    token) that `POST /oauth/v1/token` exchanges for access tokens, which work as well.
    `rate_limit` is the rolling (requests, seconds) window of every endpoint but search;
    `search_rate_limit` is search's own window (None turns it off). Past `daily_limit` calls get
    429 with the DAILY policy.
    """
    api = HubSpotApi(state, plan)
    limiter = RollingLimit(*rate_limit)
    search_limiter = RollingLimit(*search_rate_limit) if search_rate_limit else None
    daily = {"used": 0}
    daily_lock = threading.Lock()
    issued: set[str] = set()

    async def oauth_token(request: Request) -> Response:
        form = dict(parse_qsl((await request.body()).decode()))
        client_id, client_secret, refresh = oauth_client
        if form.get("grant_type") != "refresh_token":
            return JSONResponse(
                {"status": "BAD_GRANT_TYPE", "message": "grant_type must be refresh_token"}, 400
            )
        if form.get("client_id") != client_id or form.get("client_secret") != client_secret:
            return JSONResponse(
                {"status": "BAD_CLIENT_ID", "message": "missing or unknown client id"}, 400
            )
        if form.get("refresh_token") != refresh:
            return JSONResponse(
                {"status": "BAD_REFRESH_TOKEN", "message": "missing or unknown refresh token"}, 400
            )
        access = f"oauth-{uuid.uuid4()}"
        issued.add(access)
        return JSONResponse(
            {
                "token_type": "bearer",
                "refresh_token": refresh,
                "access_token": access,
                "expires_in": 1800,
            }
        )

    def endpoint(handler: Callable[[Request, bytes], Response], search: bool = False) -> Callable:
        async def route(request: Request) -> Response:
            presented = request.headers.get("authorization", "").removeprefix("Bearer ")
            if presented != token and presented not in issued:
                return error_body(401, AUTH_MESSAGE)
            if plan.take(request.url.path, {"expired_token"}) is not None:
                return error_response(401, EXPIRED_MESSAGE, "EXPIRED_AUTHENTICATION")
            headers: dict[str, str] = {}
            if search:
                if search_limiter is not None and not search_limiter.take()[0]:
                    return JSONResponse(rate_limit_body("SECONDLY"), status_code=429)
            else:
                allowed, remaining, _ = limiter.take()
                if not allowed:
                    return error_body(429, "rate limited", limiter)
                with daily_lock:
                    daily["used"] += 1
                    used = daily["used"]
                if used > daily_limit:
                    return JSONResponse(rate_limit_body("DAILY"), status_code=429)
                headers = {
                    "X-HubSpot-RateLimit-Daily": str(daily_limit),
                    "X-HubSpot-RateLimit-Daily-Remaining": str(max(0, daily_limit - used)),
                    "X-HubSpot-RateLimit-Interval-Milliseconds": str(int(limiter.interval * 1000)),
                    "X-HubSpot-RateLimit-Max": str(limiter.limit),
                    "X-HubSpot-RateLimit-Remaining": str(remaining),
                }
            body = await request.body()
            try:
                response = await run_in_threadpool(handler, request, body)
            except ApiError as exc:
                response = error_response(exc.status, exc.message, exc.category, **exc.extra)
            response.headers.update(headers)
            return response

        return route

    routes = [
        Route("/oauth/v1/token", oauth_token, methods=["POST"]),
        Route("/crm/v3/objects/{object_type}", endpoint(api.list_objects), methods=["GET"]),
        Route(
            "/crm/v3/objects/{object_type}/search",
            endpoint(api.search, search=True),
            methods=["POST"],
        ),
        Route("/crm/v3/properties/{object_type}", endpoint(api.properties), methods=["GET"]),
        Route(
            "/crm/v4/associations/{from_type}/{to_type}/batch/read",
            endpoint(api.batch_read_associations),
            methods=["POST"],
        ),
        Route("/crm/v3/pipelines/{object_type}", endpoint(api.pipelines_route), methods=["GET"]),
        Route("/crm/v3/owners/", endpoint(api.owners), methods=["GET"]),
        Route("/crm/v3/owners", endpoint(api.owners), methods=["GET"]),
        Route("/email/public/v1/events", endpoint(api.email_events), methods=["GET"]),
        Route("/marketing/v3/forms/", endpoint(api.forms), methods=["GET"]),
        Route("/marketing/v3/forms", endpoint(api.forms), methods=["GET"]),
        Route(
            "/form-integrations/v1/submissions/forms/{guid}",
            endpoint(api.form_submissions),
            methods=["GET"],
        ),
        Route("/events/v3/events", endpoint(api.web_events), methods=["GET"]),
        Route("/events/v3/events/", endpoint(api.web_events), methods=["GET"]),
        *admin_routes(state, plan),
    ]
    app = Starlette(routes=routes)
    app.router.redirect_slashes = False
    return fault_middleware(plan, lambda status, message: error_body(status, message, limiter))(app)


def start(world_dir: Path, moment: datetime | None = None, **kw: Any) -> ServerHandle:
    """Serve the HubSpot API over `world_dir` on 127.0.0.1; the handle carries `.state`, `.plan`.

    Keyword arguments go to `create_app` (token, rate_limit, search_rate_limit, daily_limit).
    """
    state = WorldState(Path(world_dir), moment)
    plan = FaultPlan()
    handle = serve(create_app(state, plan, **kw))
    handle.state = state
    handle.plan = plan
    return handle
