"""Marketing and events endpoints of the HubSpot API: e-mail events, forms, page views."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gtm_demo.servers.hubspot.errors import (
    ApiError,
    _decode_cursor,
    _encode_cursor,
    _int_param,
    epoch_ms,
    iso,
    parse_moment,
)
from gtm_demo.servers.hubspot.objects import (
    ALIASES,
    OBJECTS,
)


class MarketingEvents:
    """Part of `HubSpotApi`: the marketing e-mail, forms and web analytics endpoints."""

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
            event.update(_type_fields(row))
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


def _type_fields(row: dict[str, Any]) -> dict[str, Any]:
    """Return the fields of an e-mail event that depend on its type, nested as HubSpot does."""
    kind = row["type"]
    out: dict[str, Any] = {}
    if kind == "SENT":
        out["subject"] = row.get("subject")
        out["from"] = row.get("from_address")
    elif kind == "DELIVERED":
        out["response"] = row.get("response")
        out["smtpId"] = row.get("smtp_id")
    elif kind == "BOUNCE":
        out["category"] = row.get("bounce_category")
        out["response"] = row.get("response")
        out["status"] = row.get("bounce_status")
    elif kind in ("OPEN", "CLICK"):
        if kind == "CLICK":
            out["url"] = row.get("url")
            out["referer"] = row.get("referer")
        else:
            out["duration"] = row.get("duration")
        version = row.get("browser_version")
        out["browser"] = {
            "name": row.get("browser_name"),
            "family": row.get("browser_family"),
            "producer": row.get("browser_producer"),
            "type": row.get("browser_type"),
            "version": [version] if version else [],
        }
        out["location"] = {
            "country": row.get("location_country"),
            "state": row.get("location_state"),
            "city": row.get("location_city"),
        }
        out["userAgent"] = row.get("user_agent")
        out["deviceType"] = row.get("device_type")
        out["filteredEvent"] = bool(row.get("filtered_event"))
    elif row.get("url") is not None:
        out["url"] = row["url"]
    return {key: value for key, value in out.items() if value is not None}
