"""A local LinkedIn Marketing API over the demo world, in LinkedIn's versioned REST wire format.

What an ads reporting integration reads, under `/rest`:

- `GET /rest/adAccounts?q=search&search=(...)` and `GET /rest/adAccounts/{id}`;
  `GET /rest/adAccounts/{id}/adCampaignGroups?q=search`, `.../adCampaigns?q=search` and
  `.../creatives?q=criteria` (each also by id), cursor-paged by `pageSize` / `pageToken` with
  `metadata.nextPageToken` (absent on the last page), like LinkedIn's search finders since 202401.
- `GET /rest/adAnalytics?q=analytics&pivot=&timeGranularity=&dateRange=(...)&accounts=List(...)`
  with no paging: every element in one answer, and an error past `max_elements` (LinkedIn caps a
  call at 15,000 elements) so a client must split its date range. Pivots ACCOUNT, CAMPAIGN_GROUP,
  CAMPAIGN and CREATIVE; granularities DAILY, MONTHLY, YEARLY and ALL.
- OAuth: `POST /oauth/v2/accessToken` (client credentials or refresh token grants). Every `/rest`
  call needs `Authorization: Bearer <token>` (an issued token or the static `token`), a
  `LinkedIn-Version: YYYYMM` header (missing: 400 VERSION_MISSING; outside `versions`: 426
  NONEXISTENT_VERSION) and `X-Restli-Protocol-Version: 2.0.0`.

Query parameters are parsed as Rest.li 2.0 for real: `List(...)`, records `(key:value,...)`,
structural characters `( ) , :` left raw and values (URNs in particular) percent-encoded once.
A value whose structure arrived percent-encoded (`List%28...`) or that is percent-encoded twice
(`urn%253Ali...`, what a client that hands an encoded URN to an HTTP library produces) is answered
400 naming the parameter, as Rest.li's own validation error. Query tunneling (`POST` with
`X-HTTP-Method-Override: GET` and the query as a form body) is accepted.

Limits: a rolling window and a daily limit, both answered 429 TOO_MANY_REQUESTS. Faults: the
generic kinds of `gtm_demo.serving`, plus `expired_token` (401 EXPIRED_ACCESS_TOKEN, or the
`code` in the fault's options such as REVOKED_ACCESS_TOKEN; an issued token stays dead, the static
token fails once) and `repeat_record` (the next page starts with the last element of the page
before it). Moving the world's clock (`state.advance`) serves restated analytics: the newest
version of each (creative, date) visible at the moment replaces older figures.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote

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

DEFAULT_CLIENT_ID = "demo-linkedin-client"
DEFAULT_CLIENT_SECRET = "demo-linkedin-secret"
DEFAULT_TOKEN = "demo-linkedin-token"
DEFAULT_REFRESH_TOKEN = "demo-linkedin-refresh-token"
# The monthly versions served (inclusive); LinkedIn supports each for about a year.
OLDEST_VERSION = "202506"
LATEST_VERSION = "202612"
DAILY_LIMIT = 100_000
MAX_ELEMENTS = 15_000
PAGE_SIZE_DEFAULT = 100
PAGE_SIZE_MAX = 1000
MAX_FIELDS = 20
ACCESS_TOKEN_SECONDS = 5_184_000  # 60 days, a three-legged token
APP_TOKEN_SECONDS = 1_800  # 30 minutes, a client-credentials token
REFRESH_TOKEN_SECONDS = 31_536_000
ORGANIZATION_URN = "urn:li:organization:10460573"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

VERSION_MISSING_MESSAGE = (
    "A version must be present. Please specify a version by adding the LinkedIn-Version header."
)
PARAM_MESSAGE = "Invalid param. Please see errorDetails for more information."
THROTTLE_MESSAGE = "Resource level throttle {scope} limit for calls to this resource is reached."
EXPIRED_MESSAGES = {
    "EXPIRED_ACCESS_TOKEN": "The token used in the request has expired",
    "REVOKED_ACCESS_TOKEN": "The token used in the request has been revoked by the user",
}

_VERSION = re.compile(r"^(\d{6})(\.\d{2})?$")
_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}")
_DIGITS = re.compile(r"^\d+$")
_STATUS_ERRORS: dict[int, tuple[str, int | None]] = {
    400: ("ILLEGAL_ARGUMENT", None),
    401: ("INVALID_ACCESS_TOKEN", 65600),
    403: ("ACCESS_DENIED", 100),
    404: ("NOT_FOUND", None),
    405: ("METHOD_NOT_ALLOWED", None),
    429: ("TOO_MANY_REQUESTS", 101),
    500: ("INTERNAL_SERVER_ERROR", None),
    502: ("BAD_GATEWAY", None),
    503: ("SERVICE_UNAVAILABLE", None),
    504: ("GATEWAY_TIMEOUT", None),
}

# adAnalytics metrics this world can answer: wire name -> analytics column.
METRICS = {
    "impressions": "impressions",
    "clicks": "clicks",
    "costInLocalCurrency": "cost_in_local_currency",
    "costInUsd": "cost_in_usd",
    "externalWebsiteConversions": "external_website_conversions",
}
DEFAULT_FIELDS = ("impressions", "clicks")
PIVOTS = {
    "ACCOUNT": ("a.account_id", "sponsoredAccount"),
    "CAMPAIGN_GROUP": ("c.campaign_group_id", "sponsoredCampaignGroup"),
    "CAMPAIGN": ("a.campaign_id", "sponsoredCampaign"),
    "CREATIVE": ("a.creative_id", "sponsoredCreative"),
}
GRANULARITIES = {"DAILY": "day", "MONTHLY": "month", "YEARLY": "year", "ALL": None}
# Facet parameter -> (URN type, analytics column).
FACETS = {
    "accounts": ("sponsoredAccount", "a.account_id"),
    "campaignGroups": ("sponsoredCampaignGroup", "c.campaign_group_id"),
    "campaigns": ("sponsoredCampaign", "a.campaign_id"),
    "creatives": ("sponsoredCreative", "a.creative_id"),
}


class LinkedInError(Exception):
    """An error LinkedIn answers with its JSON error body."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        service_code: int | None = None,
        field: str | None = None,
        description: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.service_code = service_code
        self.field = field
        self.description = description

    def response(self) -> JSONResponse:
        """Render the error as LinkedIn does."""
        if self.field is not None:
            return param_error_response(self.field, self.description or "")
        return error_response(self.status, self.code, self.message, self.service_code)


def error_response(
    status: int, code: str, message: str, service_code: int | None = None
) -> JSONResponse:
    """LinkedIn's error body: `status`, `serviceErrorCode` (where LinkedIn sets one), `code`."""
    body: dict[str, Any] = {"status": status}
    if service_code is not None:
        body["serviceErrorCode"] = service_code
    body["code"] = code
    body["message"] = message
    return JSONResponse(body, status_code=status)


def param_error_response(field: str, description: str) -> JSONResponse:
    """Rest.li's validation error for a query parameter, naming it in `errorDetails`."""
    body = {
        "errorDetailType": "com.linkedin.common.error.BadRequest",
        "status": 400,
        "code": "PARAM_INVALID",
        "message": PARAM_MESSAGE,
        "errorDetails": {
            "inputErrors": [
                {
                    "description": description,
                    "input": {"inputPath": {"fieldPath": field}},
                    "code": "PARAM_INVALID",
                }
            ]
        },
    }
    return JSONResponse(body, status_code=400)


def param_error(field: str, description: str) -> LinkedInError:
    """Return a 400 for query parameter `field`."""
    return LinkedInError(400, "PARAM_INVALID", PARAM_MESSAGE, field=field, description=description)


def throttle_response(scope: str = "APPLICATION MINUTE") -> JSONResponse:
    """LinkedIn's 429 body."""
    return error_response(
        429, "TOO_MANY_REQUESTS", THROTTLE_MESSAGE.format(scope=scope), _STATUS_ERRORS[429][1]
    )


def error_body(status: int, message: str) -> Response:
    """Render `status` in LinkedIn's error format (used for injected faults)."""
    if status == 429:
        return throttle_response()
    if status == 401:
        return error_response(401, "INVALID_ACCESS_TOKEN", "Invalid access token", 65600)
    code, service_code = _STATUS_ERRORS.get(status, ("INTERNAL_SERVER_ERROR", None))
    return error_response(status, code, message, service_code)


def epoch_ms(value: datetime) -> int:
    """Milliseconds since the epoch."""
    return (value - EPOCH) // timedelta(milliseconds=1)


def money(value: Decimal | None) -> str | None:
    """Render a money amount as LinkedIn does: a decimal string."""
    return None if value is None else format(value, "f")


# --- Rest.li 2.0 query syntax -------------------------------------------------------------------


class _RestliParser:
    """Parse one raw (still percent-encoded) Rest.li 2.0 value: `List(...)`, `(k:v)`, leaves."""

    def __init__(self, text: str, param: str) -> None:
        self.text = text
        self.param = param
        self.pos = 0

    def error(self, description: str) -> LinkedInError:
        return param_error(
            self.param, f"Invalid value for param; wrong type or other syntax error: {description}"
        )

    def parse(self) -> Any:
        value = self.value()
        if self.pos != len(self.text):
            raise self.error(f"unexpected {self.text[self.pos]!r} at position {self.pos}")
        return value

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def value(self) -> Any:
        if self.text.startswith("List(", self.pos):
            self.pos += len("List(")
            items: list[Any] = []
            if self.peek() == ")":
                self.pos += 1
                return items
            while True:
                items.append(self.value())
                char = self.peek()
                self.pos += 1
                if char == ")":
                    return items
                if char == ":":
                    raise self.error(
                        "a URN inside List() must be percent-encoded (urn%3Ali%3A...), "
                        "its colons are Rest.li syntax otherwise"
                    )
                if char != ",":
                    raise self.error("List() is not closed")
        if self.peek() == "(":
            self.pos += 1
            record: dict[str, Any] = {}
            if self.peek() == ")":
                self.pos += 1
                return record
            while True:
                key = self.leaf()
                if self.peek() != ":":
                    raise self.error(f"a record field {key!r} has no ':'")
                self.pos += 1
                record[key] = self.value()
                char = self.peek()
                self.pos += 1
                if char == ")":
                    return record
                if char != ",":
                    raise self.error("a record is not closed")
        return self.leaf()

    def leaf(self) -> str:
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in "(),:":
            self.pos += 1
        return decode_leaf(self.text[start : self.pos], self.param)


def decode_leaf(raw: str, param: str) -> str:
    """Percent-decode one value once; a value still percent-encoded after that is an error."""
    if raw == "''":
        return ""
    decoded = unquote(raw)
    if _PERCENT.search(decoded):
        raise param_error(
            param,
            f"Invalid value for param; the value {raw!r} is percent-encoded twice "
            f"(it decodes to {decoded!r}); encode it once",
        )
    return decoded


def parse_restli(raw: str, param: str) -> Any:
    """Parse the raw query value of `param`: a Rest.li structure or a plain string."""
    if raw.startswith("List(") or raw.startswith("("):
        return _RestliParser(raw, param).parse()
    decoded = unquote(raw)
    if decoded.startswith("List(") or decoded.startswith("("):
        raise param_error(
            param,
            "Invalid value for param; wrong type or other syntax error: Rest.li structural "
            "characters ( ) , : must not be percent-encoded",
        )
    return decode_leaf(raw, param)


def parse_query(query: str) -> dict[str, Any]:
    """Parse a raw query string into Rest.li values by parameter name."""
    values: dict[str, Any] = {}
    for part in query.split("&"):
        if not part:
            continue
        name, _, raw = part.partition("=")
        name = unquote(name.replace("+", " "))
        values[name] = parse_restli(raw, name)
    return values


# --- typed parameter helpers --------------------------------------------------------------------


def _string(query: dict[str, Any], name: str, default: str | None = None) -> str | None:
    value = query.get(name, default)
    if value is not None and not isinstance(value, str):
        raise param_error(name, "Invalid value for param; a plain value is expected")
    return value


def _integer(value: Any, name: str) -> int:
    if not isinstance(value, str) or not re.fullmatch(r"-?\d+", value):
        raise param_error(name, f"Invalid value for param; {value!r} is not an integer")
    return int(value)


def _list(value: Any, name: str) -> list[Any]:
    if not isinstance(value, list):
        raise param_error(name, "Invalid value for param; wrong type: a List(...) is expected")
    return value


def urn_ids(value: Any, name: str, kind: str) -> list[str]:
    """Return the ids of `List(urn:li:<kind>:<id>, ...)`."""
    ids = []
    for item in _list(value, name):
        prefix = f"urn:li:{kind}:"
        if not isinstance(item, str) or not item.startswith(prefix):
            raise param_error(name, f"Invalid value for param; {item!r} is not a {kind} URN")
        ident = item[len(prefix) :]
        if not _DIGITS.match(ident):
            raise param_error(name, f"Invalid value for param; {item!r} has no numeric id")
        ids.append(ident)
    return ids


def _date(value: Any, name: str) -> date:
    if not isinstance(value, dict) or not {"year", "month", "day"} <= set(value):
        raise param_error(name, "Invalid value for param; a date is (year:Y,month:M,day:D)")
    try:
        return date(
            _integer(value["year"], name),
            _integer(value["month"], name),
            _integer(value["day"], name),
        )
    except ValueError as exc:
        raise param_error(name, f"Invalid value for param; {exc}") from exc


def date_range(value: Any, default_end: date) -> tuple[date, date]:
    """Parse `dateRange=(start:(year,month,day),end:(...))`; the end defaults to today."""
    if not isinstance(value, dict) or "start" not in value:
        raise param_error("dateRange", "Invalid value for param; dateRange needs a start")
    unknown = set(value) - {"start", "end"}
    if unknown:
        raise param_error("dateRange", f"Invalid value for param; unknown fields {sorted(unknown)}")
    start = _date(value["start"], "dateRange")
    end = _date(value["end"], "dateRange") if "end" in value else default_end
    if end < start:
        raise param_error("dateRange", "Invalid value for param; the end is before the start")
    return start, end


def _date_json(day: date) -> dict[str, int]:
    return {"year": day.year, "month": day.month, "day": day.day}


def _encode_token(values: list[int]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def _decode_token(text: str) -> int:
    try:
        values = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        if not isinstance(values, list) or len(values) != 1 or not isinstance(values[0], int):
            raise ValueError("not a page token")
    except (ValueError, TypeError) as exc:
        raise param_error(
            "pageToken", f"Invalid value for param; {text!r} is no page token"
        ) from exc
    return values[0]


# Search criteria per finder: criterion -> (column, how a value is read).
_Criteria = dict[str, tuple[str, Callable[[str], Any]]]


def _urn_value(kind: str) -> Callable[[str], Any]:
    prefix = f"urn:li:{kind}:"

    def read(value: str) -> Any:
        if not value.startswith(prefix) or not _DIGITS.match(value[len(prefix) :]):
            raise ValueError(f"{value!r} is not a {kind} URN")
        return value[len(prefix) :]

    return read


def _id_value(value: str) -> Any:
    if not _DIGITS.match(value):
        raise ValueError(f"{value!r} is not an id")
    return value


ACCOUNT_CRITERIA: _Criteria = {
    "id": ("id", _id_value),
    "name": ("name", str),
    "status": ("status", str),
    "type": ("type", str),
    "currency": ("currency", str),
}
GROUP_CRITERIA: _Criteria = {
    "id": ("id", _id_value),
    "name": ("name", str),
    "status": ("status", str),
}
CAMPAIGN_CRITERIA: _Criteria = {
    "id": ("id", _id_value),
    "name": ("name", str),
    "status": ("status", str),
    "campaignGroup": ("campaign_group_id", _urn_value("sponsoredCampaignGroup")),
    "costType": ("cost_type", str),
}


class LinkedInApi:
    """The endpoints over one `WorldState`; every handler runs in a worker thread."""

    def __init__(self, state: WorldState, plan: FaultPlan, max_elements: int) -> None:
        self.state = state
        self.plan = plan
        self.max_elements = max_elements

    # --- helpers ----------------------------------------------------------------------------

    def _created(self, table: str, ids: list[str]) -> dict[str, datetime]:
        """When each record of `table` first appeared (its first version up to the moment)."""
        if not ids:
            return {}
        path = self.state.world / f"{table}.parquet"
        rows = self.state.fetch(
            f"select id, min(_version_at) as created from read_parquet('{path}') "
            "where _version_at <= ? and list_contains(?, id) group by id",
            [self.state.moment, ids],
        )
        return {row["id"]: row["created"] for row in rows}

    def account_row(self, account_id: str) -> dict[str, Any] | None:
        """Return the ad account `account_id` at the moment, if it exists."""
        rows = self.state.fetch(
            f"select * from {self.state.table('linkedin_ads/ad_accounts')} where id = ?",
            [account_id],
        )
        return rows[0] if rows else None

    def require_account(self, request: Request) -> str:
        """Return the account of a nested route; an unknown one is not accessible (403)."""
        account_id = request.path_params["account_id"]
        if not _DIGITS.match(account_id) or self.account_row(account_id) is None:
            raise LinkedInError(
                403,
                "ACCESS_DENIED",
                f"Not enough permissions to access: urn:li:sponsoredAccount:{account_id}",
                100,
            )
        return account_id

    def search_filters(
        self, query: dict[str, Any], criteria: _Criteria
    ) -> tuple[list[str], list[Any]]:
        """Return SQL filters from `search=(field:(values:List(...)),test:false)`."""
        search = query.get("search")
        if search is None:
            return [], []
        if not isinstance(search, dict):
            raise param_error("search", "Invalid value for param; search is a record (...)")
        where: list[str] = []
        params: list[Any] = []
        for key, value in search.items():
            if key == "test":
                if value not in ("true", "false"):
                    raise param_error("search", "Invalid value for param; test is true or false")
                if value == "true":  # the world has no test entities
                    where.append("false")
                continue
            if key not in criteria:
                raise param_error("search", f"Invalid value for param; unknown criterion {key!r}")
            if not isinstance(value, dict) or set(value) != {"values"}:
                raise param_error("search", f"Invalid value for param; {key} is (values:List(...))")
            column, read = criteria[key]
            try:
                wanted = [read(item) for item in _list(value["values"], "search")]
            except ValueError as exc:
                raise param_error("search", f"Invalid value for param; {exc}") from exc
            where.append(f'list_contains(?, "{column}")')
            params.append(wanted)
        return where, params

    def page(
        self,
        request: Request,
        query: dict[str, Any],
        table: str,
        where: list[str],
        params: list[Any],
        shape: Callable[[list[dict[str, Any]]], list[dict[str, Any]]],
    ) -> JSONResponse:
        """One page of a search finder, keyset-paged by numeric id, with `metadata`."""
        size_raw = query.get("pageSize")
        size = PAGE_SIZE_DEFAULT if size_raw is None else _integer(size_raw, "pageSize")
        if not 1 <= size <= PAGE_SIZE_MAX:
            raise param_error("pageSize", f"Invalid value for param; 1 to {PAGE_SIZE_MAX}")
        order = _string(query, "sortOrder", "ASCENDING")
        if order not in ("ASCENDING", "DESCENDING"):
            raise param_error("sortOrder", "Invalid value for param; ASCENDING or DESCENDING")
        descending = order == "DESCENDING"
        token = _string(query, "pageToken")
        clauses, args = list(where), list(params)
        take = size
        if token:
            cursor = _decode_token(token)
            repeat = self.plan.take(request.url.path, {"repeat_record"}) is not None
            op = ("<" if descending else ">") + ("=" if repeat else "")
            clauses.append(f"cast(id as bigint) {op} ?")
            args.append(cursor)
            take += 1 if repeat else 0
        sql = (
            f"select * from {self.state.table(table)} "
            + (f"where {' and '.join(clauses)} " if clauses else "")
            + f"order by cast(id as bigint) {'desc' if descending else 'asc'} limit {take + 1}"
        )
        rows = self.state.fetch(sql, args)
        page, more = rows[:take], len(rows) > take
        metadata: dict[str, Any] = {}
        if more and page:
            metadata["nextPageToken"] = _encode_token([int(page[-1]["id"])])
        return JSONResponse({"elements": shape(page), "metadata": metadata})

    def single(self, table: str, where: str, params: list[Any], urn: str) -> dict[str, Any]:
        """One record or 404."""
        rows = self.state.fetch(f"select * from {self.state.table(table)} where {where}", params)
        if not rows:
            raise LinkedInError(404, "NOT_FOUND", f"Not found: {urn}")
        return rows[0]

    @staticmethod
    def _finder(query: dict[str, Any], expected: str) -> None:
        q = _string(query, "q")
        if q != expected:
            raise param_error("q", f"Invalid value for param; the finder here is q={expected}")

    # --- shapes -----------------------------------------------------------------------------

    def accounts_json(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Ad accounts as the adAccounts API sends them."""
        created = self._created("linkedin_ads/ad_accounts", [row["id"] for row in rows])
        return [
            {
                "id": int(row["id"]),
                "name": row["name"],
                "currency": row["currency"],
                "type": row["type"],
                "status": row["status"],
                "reference": ORGANIZATION_URN,
                "test": False,
                "notifiedOnCampaignOptimization": False,
                "notifiedOnCreativeApproval": False,
                "notifiedOnCreativeRejection": False,
                "notifiedOnEndOfCampaign": False,
                "servingStatuses": ["RUNNABLE"] if row["status"] == "ACTIVE" else ["STOPPED"],
                "changeAuditStamps": {
                    "created": {"time": epoch_ms(created[row["id"]])},
                    "lastModified": {"time": epoch_ms(row["_version_at"])},
                },
            }
            for row in rows
        ]

    def groups_json(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Campaign groups as the adCampaignGroups API sends them."""
        created = self._created("linkedin_ads/campaign_groups", [row["id"] for row in rows])
        return [
            {
                "id": int(row["id"]),
                "account": f"urn:li:sponsoredAccount:{row['account_id']}",
                "name": row["name"],
                "status": row["status"],
                "test": False,
                "runSchedule": _schedule(row),
                "servingStatuses": ["RUNNABLE"] if row["status"] == "ACTIVE" else ["STOPPED"],
                "changeAuditStamps": {
                    "created": {"time": epoch_ms(created[row["id"]])},
                    "lastModified": {"time": epoch_ms(row["_version_at"])},
                },
            }
            for row in rows
        ]

    @staticmethod
    def campaigns_json(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Campaigns as the adCampaigns API sends them."""
        return [
            {
                "id": int(row["id"]),
                "account": f"urn:li:sponsoredAccount:{row['account_id']}",
                "campaignGroup": f"urn:li:sponsoredCampaignGroup:{row['campaign_group_id']}",
                "name": row["name"],
                "status": row["status"],
                "type": "SPONSORED_UPDATES",
                "objectiveType": "WEBSITE_VISIT",
                "costType": row["cost_type"],
                "dailyBudget": {
                    "amount": money(row["daily_budget_amount"]),
                    "currencyCode": row["daily_budget_currency"],
                },
                "runSchedule": _schedule(row),
                "test": False,
                "changeAuditStamps": {
                    "created": {"time": epoch_ms(row["created_at"])},
                    "lastModified": {"time": epoch_ms(row["last_modified_at"])},
                },
            }
            for row in rows
        ]

    @staticmethod
    def creatives_json(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Creatives as the Creatives API sends them (a text ad carrying its landing page)."""
        return [
            {
                "id": f"urn:li:sponsoredCreative:{row['id']}",
                "account": f"urn:li:sponsoredAccount:{row['account_id']}",
                "campaign": f"urn:li:sponsoredCampaign:{row['campaign_id']}",
                "intendedStatus": row["status"],
                "content": {"textAd": {"landingPage": row["click_uri"]}},
                "isTest": False,
                "createdAt": epoch_ms(row["created_at"]),
                "lastModifiedAt": epoch_ms(row["last_modified_at"]),
            }
            for row in rows
        ]

    # --- entity endpoints -------------------------------------------------------------------

    def search_accounts(self, request: Request, query: dict[str, Any]) -> Response:
        """GET /rest/adAccounts?q=search."""
        self._finder(query, "search")
        where, params = self.search_filters(query, ACCOUNT_CRITERIA)
        return self.page(
            request, query, "linkedin_ads/ad_accounts", where, params, self.accounts_json
        )

    def get_account(self, request: Request, query: dict[str, Any]) -> Response:
        """GET /rest/adAccounts/{id}."""
        account_id = request.path_params["account_id"]
        row = self.account_row(account_id) if _DIGITS.match(account_id) else None
        if row is None:
            raise LinkedInError(
                404, "NOT_FOUND", f"Not found: urn:li:sponsoredAccount:{account_id}"
            )
        return JSONResponse(self.accounts_json([row])[0])

    def search_groups(self, request: Request, query: dict[str, Any]) -> Response:
        """GET /rest/adAccounts/{id}/adCampaignGroups?q=search."""
        account_id = self.require_account(request)
        self._finder(query, "search")
        where, params = self.search_filters(query, GROUP_CRITERIA)
        return self.page(
            request,
            query,
            "linkedin_ads/campaign_groups",
            ["account_id = ?", *where],
            [account_id, *params],
            self.groups_json,
        )

    def get_group(self, request: Request, query: dict[str, Any]) -> Response:
        """GET /rest/adAccounts/{id}/adCampaignGroups/{group_id}."""
        account_id = self.require_account(request)
        group_id = request.path_params["entity_id"]
        row = self.single(
            "linkedin_ads/campaign_groups",
            "account_id = ? and id = ?",
            [account_id, group_id],
            f"urn:li:sponsoredCampaignGroup:{group_id}",
        )
        return JSONResponse(self.groups_json([row])[0])

    def search_campaigns(self, request: Request, query: dict[str, Any]) -> Response:
        """GET /rest/adAccounts/{id}/adCampaigns?q=search."""
        account_id = self.require_account(request)
        self._finder(query, "search")
        where, params = self.search_filters(query, CAMPAIGN_CRITERIA)
        return self.page(
            request,
            query,
            "linkedin_ads/campaigns",
            ["account_id = ?", *where],
            [account_id, *params],
            self.campaigns_json,
        )

    def get_campaign(self, request: Request, query: dict[str, Any]) -> Response:
        """GET /rest/adAccounts/{id}/adCampaigns/{campaign_id}."""
        account_id = self.require_account(request)
        campaign_id = request.path_params["entity_id"]
        row = self.single(
            "linkedin_ads/campaigns",
            "account_id = ? and id = ?",
            [account_id, campaign_id],
            f"urn:li:sponsoredCampaign:{campaign_id}",
        )
        return JSONResponse(self.campaigns_json([row])[0])

    def criteria_creatives(self, request: Request, query: dict[str, Any]) -> Response:
        """GET /rest/adAccounts/{id}/creatives?q=criteria."""
        account_id = self.require_account(request)
        self._finder(query, "criteria")
        where, params = ["account_id = ?"], [account_id]
        if "campaigns" in query:
            where.append("list_contains(?, campaign_id)")
            params.append(urn_ids(query["campaigns"], "campaigns", "sponsoredCampaign"))
        if "creatives" in query:
            where.append("list_contains(?, id)")
            params.append(urn_ids(query["creatives"], "creatives", "sponsoredCreative"))
        if "intendedStatuses" in query:
            statuses = _list(query["intendedStatuses"], "intendedStatuses")
            if not all(isinstance(s, str) for s in statuses):
                raise param_error("intendedStatuses", "Invalid value for param; statuses")
            where.append("list_contains(?, status)")
            params.append(statuses)
        if _string(query, "isTestAccount") == "true":
            where.append("false")
        return self.page(
            request, query, "linkedin_ads/creatives", where, params, self.creatives_json
        )

    def get_creative(self, request: Request, query: dict[str, Any]) -> Response:
        """GET /rest/adAccounts/{id}/creatives/{encoded creative URN}."""
        account_id = self.require_account(request)
        raw = request.path_params["entity_id"]
        if _PERCENT.search(raw):
            raise LinkedInError(
                400,
                "ILLEGAL_ARGUMENT",
                f"Syntax exception in path variables: {raw!r} is percent-encoded twice",
            )
        prefix = "urn:li:sponsoredCreative:"
        creative_id = raw[len(prefix) :] if raw.startswith(prefix) else ""
        if not _DIGITS.match(creative_id):
            raise LinkedInError(
                400,
                "ILLEGAL_ARGUMENT",
                f"Syntax exception in path variables: {raw!r} is not a sponsoredCreative URN",
            )
        row = self.single(
            "linkedin_ads/creatives", "account_id = ? and id = ?", [account_id, creative_id], raw
        )
        return JSONResponse(self.creatives_json([row])[0])

    # --- analytics --------------------------------------------------------------------------

    def analytics(self, request: Request, query: dict[str, Any]) -> Response:
        """GET /rest/adAnalytics?q=analytics: every element in one answer, no paging."""
        self._finder(query, "analytics")
        pivot = _string(query, "pivot")
        if pivot not in PIVOTS:
            raise param_error("pivot", f"Invalid value for param; pivot is one of {sorted(PIVOTS)}")
        granularity = _string(query, "timeGranularity")
        if granularity not in GRANULARITIES:
            raise param_error(
                "timeGranularity",
                f"Invalid value for param; timeGranularity is one of {sorted(GRANULARITIES)}",
            )
        if "dateRange" not in query:
            raise param_error("dateRange", "Missing required param: dateRange")
        start, end = date_range(query["dateRange"], self.state.moment.date())
        fields = self.fields(query)

        where, params = ["a.date >= ?", "a.date <= ?"], [start, end]
        facets = 0
        for name, (kind, column) in FACETS.items():
            if name in query:
                where.append(f"list_contains(?, {column})")
                params.append(urn_ids(query[name], name, kind))
                facets += 1
        if not facets:
            raise param_error(
                "accounts",
                "Missing required param: one of accounts, campaignGroups, campaigns, creatives",
            )
        pivot_column, urn_type = PIVOTS[pivot]
        unit = GRANULARITIES[granularity]
        period = "cast(null as date)" if unit is None else f"date_trunc('{unit}', a.date)::date"
        sums = ", ".join(f"sum(a.{column}) as {column}" for column in METRICS.values())
        sql = (
            f"select * from (select {pivot_column} as pivot_id, {period} as period, {sums} "
            f"from {self.state.table('linkedin_ads/analytics')} a "
            f"left join {self.state.table('linkedin_ads/campaigns')} c on c.id = a.campaign_id "
            f"where {' and '.join(where)} group by 1, 2) "
            "order by period, cast(pivot_id as bigint)"
        )
        rows = self.state.fetch(sql, params)
        if len(rows) > self.max_elements:
            raise LinkedInError(
                400,
                "ILLEGAL_ARGUMENT",
                f"Request would return {len(rows)} elements, more than the maximum of "
                f"{self.max_elements}; split the dateRange or narrow the facets",
            )
        elements = []
        for row in rows:
            element: dict[str, Any] = {}
            urn = f"urn:li:{urn_type}:{row['pivot_id']}"
            first, last = _period_bounds(row["period"], unit, start, end)
            for name in fields:
                if name == "pivotValues":
                    element[name] = [urn]
                elif name == "pivotValue":
                    element[name] = urn
                elif name == "dateRange":
                    element[name] = {"start": _date_json(first), "end": _date_json(last)}
                elif name.startswith("cost"):
                    element[name] = money(row[METRICS[name]])
                else:
                    element[name] = int(row[METRICS[name]])
            elements.append(element)
        return JSONResponse(
            {"paging": {"start": 0, "count": 10, "links": []}, "elements": elements}
        )

    @staticmethod
    def fields(query: dict[str, Any]) -> list[str]:
        """Return the projected fields (impressions and clicks when none are asked)."""
        raw = _string(query, "fields")
        if raw is None:
            return list(DEFAULT_FIELDS)
        names = [name.strip() for name in raw.split(",") if name.strip()]
        if len(names) > MAX_FIELDS:
            raise param_error("fields", f"Invalid value for param; at most {MAX_FIELDS} fields")
        known = {*METRICS, "pivotValues", "pivotValue", "dateRange"}
        unknown = [name for name in names if name not in known]
        if unknown:
            raise param_error(
                "fields",
                f"Invalid value for param; unknown fields {unknown}; this server answers "
                f"{sorted(known)}",
            )
        return list(dict.fromkeys(names))


def _schedule(row: dict[str, Any]) -> dict[str, int]:
    schedule = {"start": epoch_ms(row["run_start"])}
    if row["run_end"] is not None:
        schedule["end"] = epoch_ms(row["run_end"])
    return schedule


def _period_bounds(first: date, unit: str | None, start: date, end: date) -> tuple[date, date]:
    """Return the date range an element covers: its period clipped to the request's."""
    if unit is None:
        return start, end
    if unit == "day":
        return first, first
    if unit == "month":
        following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    else:
        following = date(first.year + 1, 1, 1)
    return max(first, start), min(following - timedelta(days=1), end)


class _Daily:
    """A daily call count that resets at midnight UTC, like LinkedIn's."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.day = datetime.now(UTC).date()
        self.used = 0
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            today = datetime.now(UTC).date()
            if today != self.day:
                self.day, self.used = today, 0
            if self.used >= self.limit:
                return False
            self.used += 1
            return True


def _version_ok(version: str, versions: tuple[str, str]) -> bool:
    match = _VERSION.match(version)
    return bool(match) and versions[0] <= match.group(1) <= versions[1]


def create_app(
    state: WorldState,
    plan: FaultPlan,
    client_id: str = DEFAULT_CLIENT_ID,
    client_secret: str = DEFAULT_CLIENT_SECRET,
    token: str | None = DEFAULT_TOKEN,
    refresh_token: str = DEFAULT_REFRESH_TOKEN,
    rate_limit: tuple[int, float] | None = (100, 10.0),
    daily_limit: int = DAILY_LIMIT,
    max_elements: int = MAX_ELEMENTS,
    versions: tuple[str, str] = (OLDEST_VERSION, LATEST_VERSION),
) -> Callable:
    """Return the LinkedIn Marketing API ASGI app over `state`, with `plan`'s faults applied.

    `token` is a static access token accepted beside issued ones (None accepts issued ones
    only); `refresh_token` is the one a client may exchange; `rate_limit` is the rolling
    (requests, seconds) window (None turns it off); `daily_limit` counts calls per UTC day;
    `max_elements` caps an adAnalytics answer; `versions` is the (oldest, latest) `YYYYMM`
    version served.
    """
    api = LinkedInApi(state, plan, max_elements)
    limiter = RollingLimit(*rate_limit) if rate_limit else None
    daily = _Daily(daily_limit)
    issued: set[str] = set()
    refresh_tokens = {refresh_token}
    lock = threading.Lock()

    async def access_token(request: Request) -> JSONResponse:
        form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
        form = {**dict(request.query_params), **form}
        grant = form.get("grant_type")
        if not grant:
            return JSONResponse(
                {
                    "error": "invalid_request",
                    "error_description": 'A required parameter "grant_type" is missing',
                },
                status_code=400,
            )
        if grant not in ("client_credentials", "refresh_token"):
            return JSONResponse(
                {
                    "error": "unsupported_grant_type",
                    "error_description": f"{grant} is not supported",
                },
                status_code=400,
            )
        if form.get("client_id") != client_id or not secrets.compare_digest(
            form.get("client_secret", ""), client_secret
        ):
            return JSONResponse(
                {"error": "invalid_client", "error_description": "Client authentication failed"},
                status_code=401,
            )
        new = secrets.token_urlsafe(48)
        if grant == "client_credentials":
            with lock:
                issued.add(new)
            return JSONResponse({"access_token": new, "expires_in": APP_TOKEN_SECONDS})
        presented = form.get("refresh_token", "")
        with lock:
            known = presented in refresh_tokens
            if known:
                issued.add(new)
        if not known:
            return JSONResponse(
                {
                    "error": "invalid_grant",
                    "error_description": "The provided authorization grant or refresh token is "
                    "invalid, expired or revoked",
                },
                status_code=400,
            )
        return JSONResponse(
            {
                "access_token": new,
                "expires_in": ACCESS_TOKEN_SECONDS,
                "refresh_token": presented,
                "refresh_token_expires_in": REFRESH_TOKEN_SECONDS,
                "scope": "r_ads,r_ads_reporting",
            }
        )

    def gate(request: Request) -> Response | None:
        """Auth, version and protocol headers, limits: an error response or None."""
        scheme, _, presented = request.headers.get("authorization", "").partition(" ")
        presented = presented.strip()
        with lock:
            valid = scheme.lower() == "bearer" and (
                presented in issued or (token is not None and presented == token)
            )
        if not valid:
            return error_body(401, "Invalid access token")
        fault = plan.take(request.url.path, {"expired_token"})
        if fault is not None:
            code = fault.options.get("code", "EXPIRED_ACCESS_TOKEN")
            with lock:
                issued.discard(presented)
            return error_response(
                401,
                code,
                EXPIRED_MESSAGES.get(code, EXPIRED_MESSAGES["EXPIRED_ACCESS_TOKEN"]),
                65601,
            )
        version = request.headers.get("linkedin-version")
        if not version:
            return JSONResponse(
                {"status": 400, "code": "VERSION_MISSING", "message": VERSION_MISSING_MESSAGE},
                status_code=400,
            )
        if not _version_ok(version.strip(), versions):
            return JSONResponse(
                {
                    "status": 426,
                    "code": "NONEXISTENT_VERSION",
                    "message": f"Requested version {version.strip()} is not active",
                },
                status_code=426,
            )
        if request.headers.get("x-restli-protocol-version", "").strip() != "2.0.0":
            return error_response(
                400,
                "ILLEGAL_ARGUMENT",
                "This endpoint speaks Rest.li protocol 2.0.0: send X-Restli-Protocol-Version: "
                "2.0.0",
            )
        if limiter is not None and not limiter.take()[0]:
            return throttle_response()
        if not daily.take():
            return throttle_response("APPLICATION DAY")
        return None

    def endpoint(handler: Callable[[Request, dict[str, Any]], Response]) -> Callable:
        async def route(request: Request) -> Response:
            refused = gate(request)
            if refused is not None:
                return refused
            raw = request.scope.get("query_string", b"").decode("latin-1")
            if request.method == "POST":
                if request.headers.get("x-http-method-override", "").upper() != "GET":
                    return error_body(405, "POST here is query tunneling: X-HTTP-Method-Override")
                body = (await request.body()).decode("latin-1")
                raw = "&".join(part for part in (raw, body) if part)
            try:
                query = parse_query(raw)
                return await run_in_threadpool(handler, request, query)
            except LinkedInError as exc:
                return exc.response()

        return route

    methods = ["GET", "POST"]
    accounts = "/rest/adAccounts"
    account = accounts + "/{account_id}"
    routes = [
        Route("/oauth/v2/accessToken", access_token, methods=["POST"]),
        Route(accounts, endpoint(api.search_accounts), methods=methods),
        Route(account, endpoint(api.get_account), methods=methods),
        Route(f"{account}/adCampaignGroups", endpoint(api.search_groups), methods=methods),
        Route(
            f"{account}/adCampaignGroups/{{entity_id}}", endpoint(api.get_group), methods=methods
        ),
        Route(f"{account}/adCampaigns", endpoint(api.search_campaigns), methods=methods),
        Route(f"{account}/adCampaigns/{{entity_id}}", endpoint(api.get_campaign), methods=methods),
        Route(f"{account}/creatives", endpoint(api.criteria_creatives), methods=methods),
        Route(f"{account}/creatives/{{entity_id}}", endpoint(api.get_creative), methods=methods),
        Route("/rest/adAnalytics", endpoint(api.analytics), methods=methods),
        *admin_routes(state, plan),
    ]
    app = Starlette(routes=routes)
    app.router.redirect_slashes = False
    return fault_middleware(plan, error_body)(app)


def start(world_dir: Path | str, moment: datetime | None = None, **kw: Any) -> ServerHandle:
    """Serve the LinkedIn Marketing API over `world_dir` on 127.0.0.1.

    The handle carries `.state` and `.plan`. Keyword arguments go to `create_app` (client_id,
    client_secret, token, refresh_token, rate_limit, daily_limit, max_elements, versions).
    """
    state = WorldState(Path(world_dir), moment)
    plan = FaultPlan()
    handle = serve(create_app(state, plan, **kw))
    handle.state = state  # type: ignore[attr-defined]
    handle.plan = plan  # type: ignore[attr-defined]
    return handle
