"""The HubSpot CRM, marketing and events APIs over the world files."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gtm_demo.servers.hubspot.errors import (
    ApiError,
    _bool_param,
    _csv_params,
    _int_param,
    iso,
    parse_moment,
    property_value,
)
from gtm_demo.servers.hubspot.events import MarketingEvents
from gtm_demo.servers.hubspot.objects import (
    ALIASES,
    FIELD_TYPES,
    LABELS,
    OBJECTS,
    REVERSE_LABEL,
    REVERSE_TYPE,
    TYPE_NAMES,
    _ObjectType,
)
from gtm_demo.servers.hubspot.settings import SEARCH_CAP
from gtm_demo.serving import FaultPlan, WorldState


class HubSpotApi(MarketingEvents):
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
