"""A local Google Ads API (REST) over the demo world, in Google's own wire format.

A source written against the Google Ads REST API runs unchanged against it:

- OAuth: `POST /token` exchanges a refresh token for a short-lived access token (the shape of
  `https://oauth2.googleapis.com/token`); API calls need `Authorization: Bearer <token>` and a
  `developer-token` header; `login-customer-id` is honoured.
- `GET /vNN/customers:listAccessibleCustomers` lists the world's ad accounts.
- `POST /vNN/customers/<id>/googleAds:search` answers GAQL with fixed pages of 10,000 rows and an
  opaque `nextPageToken` over a server-side snapshot of the result (`totalResultsCount` and
  `summaryRow` on request through `searchSettings`); `googleAds:searchStream` answers a JSON array
  of batches of up to 10,000 rows, each with `fieldMask` and `requestId`.
- GAQL is parsed here (SELECT, FROM, WHERE with AND of comparisons, IN, LIKE, REGEXP_MATCH,
  BETWEEN, IS NULL, DURING, CONTAINS; ORDER BY, LIMIT, PARAMETERS) and translated into DuckDB SQL
  over `WorldState.table`, for the resources customer, campaign, ad_group and ad_group_ad with
  metrics and date segments. Rows are camelCase JSON: int64 as strings, doubles as numbers, enums
  as names; only the selected fields appear, plus the resource name of each selected resource.
- Errors are Google's `{"error": {code, message, status, details: [GoogleAdsFailure]}}`. A
  rolling request-rate limit answers 429 `RESOURCE_TEMPORARILY_EXHAUSTED`; past the daily
  operations limit calls get 429 `RESOURCE_EXHAUSTED` (pages fetched with a page token are free).
- Faults: the generic kinds of `gtm_demo.serving`, plus `expired_token` (the access token dies:
  401 `OAUTH_TOKEN_EXPIRED`) and `repeat_record` (the next `:search` page starts with the last
  row of the page before it).
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

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

API_VERSION = "v21"
PAGE_SIZE = 10_000
DEFAULT_CLIENT_ID = "demo-google-ads.apps.googleusercontent.com"
DEFAULT_CLIENT_SECRET = "demo-google-ads-secret"
DEFAULT_REFRESH_TOKEN = "demo-google-ads-refresh-token"
DEFAULT_DEVELOPER_TOKEN = "demo-developer-token-0001"
TOKEN_LIFETIME = 3599
DAILY_OPERATIONS = 15_000  # Basic access
SCOPE = "https://www.googleapis.com/auth/adwords"
MAX_OPEN_SNAPSHOTS = 20

_TOP_MESSAGES = {
    400: "Request contains an invalid argument.",
    401: (
        "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
        "cookie or other valid authentication credential. See "
        "https://developers.google.com/identity/sign-in/web/devconsole-project."
    ),
    403: "The caller does not have permission",
    404: "Requested entity was not found.",
    429: "Resource has been exhausted (e.g. check quota).",
    500: "Internal error encountered.",
    501: "Operation is not implemented, or supported, or enabled.",
    502: "Bad Gateway",
    503: "The service is currently unavailable.",
    504: "Deadline expired before operation could complete.",
}
_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
# What an injected status carries inside its GoogleAdsFailure (None: a front-end error, no details).
_FAULT_ERRORS: dict[int, tuple[str, str, str] | None] = {
    400: ("requestError", "UNKNOWN", "The request was invalid."),
    401: ("authenticationError", "AUTHENTICATION_ERROR", "Authentication of the request failed."),
    403: (
        "authorizationError",
        "USER_PERMISSION_DENIED",
        "User doesn't have permission to access customer.",
    ),
    429: (
        "quotaError",
        "RESOURCE_TEMPORARILY_EXHAUSTED",
        "Too many requests. Retry in 30 seconds.",
    ),
    500: ("internalError", "INTERNAL_ERROR", "An internal error has occurred."),
}
_PERMISSION_MESSAGE = (
    "User doesn't have permission to access customer. Note: If you're accessing a client "
    "customer, the manager's customer id must be set in the 'login-customer-id' header. See "
    "https://developers.google.com/google-ads/api/docs/concepts/call-structure#cid"
)
_MISSING_CREDENTIAL = (
    "Request is missing required authentication credential. Expected OAuth 2 access token, "
    "login cookie or other valid authentication credential. See "
    "https://developers.google.com/identity/sign-in/web/devconsole-project."
)


# --- errors -------------------------------------------------------------------------------------


class GoogleAdsError(Exception):
    """An API error answered as Google's error body with one GoogleAdsFailure error.

    `group` is the member of `errorCode` (`queryError`, `authenticationError`, ...); a `group` of
    None makes a front-end error without GoogleAdsFailure details.
    """

    def __init__(
        self,
        status: int,
        group: str | None,
        code: str,
        message: str,
        trigger: str | None = None,
        details: dict[str, Any] | None = None,
        top_message: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.group = group
        self.code = code
        self.message = message
        self.trigger = trigger
        self.details = details
        self.top_message = top_message


def request_id() -> str:
    """Return a new request id, shaped like Google's (22 URL-safe characters)."""
    return secrets.token_urlsafe(16)[:22]


def failure_body(exc: GoogleAdsError, version: str, rid: str) -> dict[str, Any]:
    """Google's JSON error body for `exc`."""
    body: dict[str, Any] = {
        "code": exc.status,
        "message": exc.top_message or _TOP_MESSAGES.get(exc.status, exc.message),
        "status": _STATUS_NAMES.get(exc.status, "UNKNOWN"),
    }
    if exc.group is not None:
        error: dict[str, Any] = {"errorCode": {exc.group: exc.code}, "message": exc.message}
        if exc.trigger is not None:
            error["trigger"] = {"stringValue": exc.trigger}
        if exc.details is not None:
            error["details"] = exc.details
        body["details"] = [
            {
                "@type": f"type.googleapis.com/google.ads.googleads.{version}.errors."
                "GoogleAdsFailure",
                "errors": [error],
                "requestId": rid,
            }
        ]
    return {"error": body}


def error_response(exc: GoogleAdsError, version: str = API_VERSION) -> JSONResponse:
    """Render `exc` as Google does, with a `request-id` header."""
    rid = request_id()
    return JSONResponse(
        failure_body(exc, version, rid), status_code=exc.status, headers={"request-id": rid}
    )


def error_body(status: int, message: str, version: str = API_VERSION) -> Response:
    """Render an injected `status` in Google's error format (for `fault_middleware`)."""
    spec = _FAULT_ERRORS.get(status)
    if spec is None:
        return error_response(GoogleAdsError(status, None, "", message), version)
    group, code, text = spec
    details = None
    if status == 429:
        details = {
            "quotaErrorDetails": {
                "rateScope": "ACCOUNT",
                "rateName": "Request rate per account",
                "retryDelay": "30s",
            }
        }
    return error_response(GoogleAdsError(status, group, code, text, details=details), version)


def _query_error(code: str, message: str, trigger: str | None = None) -> GoogleAdsError:
    return GoogleAdsError(400, "queryError", code, message, trigger)


def _request_error(code: str, message: str) -> GoogleAdsError:
    return GoogleAdsError(400, "requestError", code, message)


# --- the field catalog --------------------------------------------------------------------------


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_STATUS = frozenset({"ENABLED", "PAUSED", "REMOVED", "UNKNOWN", "UNSPECIFIED"})
_CUSTOMER_STATUS = frozenset(
    {"ENABLED", "CANCELED", "SUSPENDED", "CLOSED", "UNKNOWN", "UNSPECIFIED"}
)
_CHANNEL_TYPES = _words(
    "SEARCH DISPLAY SHOPPING HOTEL VIDEO MULTI_CHANNEL LOCAL SMART PERFORMANCE_MAX "
    "LOCAL_SERVICES TRAVEL DEMAND_GEN UNKNOWN UNSPECIFIED"
)
_AD_GROUP_TYPES = _words(
    "SEARCH_STANDARD DISPLAY_STANDARD SHOPPING_PRODUCT_ADS VIDEO_TRUE_VIEW_IN_STREAM "
    "SEARCH_DYNAMIC_ADS UNKNOWN UNSPECIFIED"
)
_AD_TYPES = _words(
    "TEXT_AD EXPANDED_TEXT_AD RESPONSIVE_SEARCH_AD RESPONSIVE_DISPLAY_AD "
    "EXPANDED_DYNAMIC_SEARCH_AD IMAGE_AD VIDEO_AD VIDEO_RESPONSIVE_AD APP_AD CALL_AD "
    "SHOPPING_PRODUCT_AD DEMAND_GEN_MULTI_ASSET_AD UNKNOWN UNSPECIFIED"
)
_DAYS = frozenset(
    {"MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"}
    | {"UNKNOWN", "UNSPECIFIED"}
)
_NULL_TEXT = "cast(null as varchar)"
_NULL_PARAMS = 'cast(null as struct("key" varchar, "value" varchar)[])'
_DATE_SEGMENTS = frozenset(
    {"segments.date", "segments.week", "segments.month", "segments.quarter", "segments.year"}
)


def camel(name: str) -> str:
    """`cost_micros` -> `costMicros` (the JSON name of a proto field)."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


@dataclass(frozen=True)
class FieldDef:
    """One selectable GAQL field: where its value comes from and how it is rendered.

    `sql` is a DuckDB expression over the aliases of the query (c, cp, ag, ad; `m` for metrics,
    where `{m}` stands for the metrics relation); for segments it is an expression over the
    world's metrics rows (column `date`). `kind` is one of int64, int32, double, string, enum,
    date, bool, resource, strings, params.
    """

    name: str
    resource: str
    sql: str
    kind: str
    enum: frozenset[str] = frozenset()

    @property
    def path(self) -> tuple[str, ...]:
        """The nested JSON keys of the value in a result row."""
        return tuple(camel(part) for part in self.name.split("."))

    @property
    def column(self) -> str:
        """The column a segment gets in the metrics sub-query."""
        return "seg_" + self.name.rsplit(".", 1)[-1]


@dataclass(frozen=True)
class ResourceDef:
    """A resource that can be named in FROM."""

    name: str
    table: str
    alias: str
    metrics_key: str  # the column of the world's metrics rows that points at this resource
    joins: tuple[tuple[str, str, str], ...]  # (table, alias, condition) of attributed resources
    resource_name: str  # SQL of the resource name

    @property
    def attributed(self) -> tuple[str, ...]:
        """Resources whose fields may be selected along with this one."""
        return tuple(_ALIAS_RESOURCE[alias] for _, alias, _ in self.joins)


def _fields() -> dict[str, FieldDef]:
    specs: list[FieldDef] = []

    def add(name: str, sql: str, kind: str, enum: frozenset[str] = frozenset()) -> None:
        specs.append(FieldDef(name, name.split(".")[0], sql, kind, enum))

    add("customer.resource_name", "'customers/' || c.id", "resource")
    add("customer.id", "c.id", "int64")
    add("customer.descriptive_name", "c.descriptive_name", "string")
    add("customer.currency_code", "c.currency_code", "string")
    add("customer.time_zone", "c.time_zone", "string")
    add("customer.manager", "c.manager", "bool")
    add("customer.status", "'ENABLED'", "enum", _CUSTOMER_STATUS)
    add("customer.tracking_url_template", _NULL_TEXT, "string")
    add("customer.final_url_suffix", _NULL_TEXT, "string")

    add(
        "campaign.resource_name",
        "'customers/' || cp.customer_id || '/campaigns/' || cp.id",
        "resource",
    )
    add("campaign.id", "cp.id", "int64")
    add("campaign.name", "cp.name", "string")
    add("campaign.status", "cp.status", "enum", _STATUS)
    add("campaign.advertising_channel_type", "cp.advertising_channel_type", "enum", _CHANNEL_TYPES)
    add("campaign.start_date", "cp.start_date", "date")
    add("campaign.end_date", "cp.end_date", "date")
    add("campaign.tracking_url_template", "cp.tracking_url_template", "string")
    add("campaign.final_url_suffix", "cp.final_url_suffix", "string")
    add("campaign.url_custom_parameters", _NULL_PARAMS, "params")

    add(
        "ad_group.resource_name",
        "'customers/' || ag.customer_id || '/adGroups/' || ag.id",
        "resource",
    )
    add("ad_group.id", "ag.id", "int64")
    add("ad_group.name", "ag.name", "string")
    add("ad_group.status", "ag.status", "enum", _STATUS)
    add("ad_group.type", "'SEARCH_STANDARD'", "enum", _AD_GROUP_TYPES)
    add(
        "ad_group.campaign",
        "'customers/' || ag.customer_id || '/campaigns/' || ag.campaign_id",
        "resource",
    )
    add("ad_group.tracking_url_template", _NULL_TEXT, "string")
    add("ad_group.final_url_suffix", _NULL_TEXT, "string")
    add("ad_group.url_custom_parameters", _NULL_PARAMS, "params")

    add(
        "ad_group_ad.resource_name",
        "'customers/' || ad.customer_id || '/adGroupAds/' || ad.ad_group_id || '~' || ad.id",
        "resource",
    )
    add("ad_group_ad.status", "ad.status", "enum", _STATUS)
    add(
        "ad_group_ad.ad_group",
        "'customers/' || ad.customer_id || '/adGroups/' || ad.ad_group_id",
        "resource",
    )
    add(
        "ad_group_ad.ad.resource_name",
        "'customers/' || ad.customer_id || '/ads/' || ad.id",
        "resource",
    )
    add("ad_group_ad.ad.id", "ad.id", "int64")
    add("ad_group_ad.ad.name", "ad.name", "string")
    add("ad_group_ad.ad.type", "ad.type", "enum", _AD_TYPES)
    add("ad_group_ad.ad.final_urls", "ad.final_urls", "strings")
    add("ad_group_ad.ad.tracking_url_template", "ad.tracking_url_template", "string")
    add("ad_group_ad.ad.final_url_suffix", "ad.final_url_suffix", "string")
    add("ad_group_ad.ad.url_custom_parameters", "ad.url_custom_parameters", "params")

    add("metrics.impressions", "{m}.impressions", "int64")
    add("metrics.clicks", "{m}.clicks", "int64")
    add("metrics.cost_micros", "{m}.cost_micros", "int64")
    add("metrics.conversions", "{m}.conversions", "double")
    add("metrics.conversions_value", "{m}.conversions_value", "double")
    add("metrics.ctr", "{m}.clicks / nullif({m}.impressions, 0)", "double")
    add("metrics.average_cpc", "{m}.cost_micros / nullif({m}.clicks, 0)", "double")
    add("metrics.cost_per_conversion", "{m}.cost_micros / nullif({m}.conversions, 0)", "double")

    add("segments.date", "date", "date")
    add("segments.week", "cast(date_trunc('week', date) as date)", "date")
    add("segments.month", "cast(date_trunc('month', date) as date)", "date")
    add("segments.quarter", "cast(date_trunc('quarter', date) as date)", "date")
    add("segments.year", "cast(year(date) as integer)", "int32")
    add("segments.day_of_week", "upper(dayname(date))", "enum", _DAYS)
    return {spec.name: spec for spec in specs}


_ALIAS_RESOURCE = {"c": "customer", "cp": "campaign", "ag": "ad_group", "ad": "ad_group_ad"}
RESOURCES = {
    "customer": ResourceDef(
        "customer", "google_ads/customers", "c", "customer_id", (), "'customers/' || c.id"
    ),
    "campaign": ResourceDef(
        "campaign",
        "google_ads/campaigns",
        "cp",
        "campaign_id",
        (("google_ads/customers", "c", "c.id = cp.customer_id"),),
        "'customers/' || cp.customer_id || '/campaigns/' || cp.id",
    ),
    "ad_group": ResourceDef(
        "ad_group",
        "google_ads/ad_groups",
        "ag",
        "ad_group_id",
        (
            ("google_ads/campaigns", "cp", "cp.id = ag.campaign_id"),
            ("google_ads/customers", "c", "c.id = ag.customer_id"),
        ),
        "'customers/' || ag.customer_id || '/adGroups/' || ag.id",
    ),
    "ad_group_ad": ResourceDef(
        "ad_group_ad",
        "google_ads/ads",
        "ad",
        "ad_id",
        (
            ("google_ads/ad_groups", "ag", "ag.id = ad.ad_group_id"),
            ("google_ads/campaigns", "cp", "cp.id = ad.campaign_id"),
            ("google_ads/customers", "c", "c.id = ad.customer_id"),
        ),
        "'customers/' || ad.customer_id || '/adGroupAds/' || ad.ad_group_id || '~' || ad.id",
    ),
}
FIELDS = _fields()
# Resource names Google knows but this server does not serve (FROM them is prohibited here).
_OTHER_RESOURCES = _words(
    "ad_group_criterion asset bidding_strategy campaign_budget campaign_criterion click_view "
    "conversion_action customer_client keyword_view search_term_view user_list"
)


# --- GAQL ---------------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
    |(?P<string>'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")
    |(?P<number>-?\d+(?:\.\d+)?)(?![\w.])
    |(?P<op>!=|>=|<=|=|<|>)
    |(?P<punct>[(),])
    |(?P<word>[A-Za-z_][A-Za-z0-9_.]*)
    """,
    re.VERBOSE,
)
_FIELD_NAME = re.compile(r"^[a-z][a-zA-Z0-9._]*$")
_RESOURCE_NAME = re.compile(r"^[a-z][a-zA-Z0-9_]*$")
_KEYWORDS = _words(
    "SELECT FROM WHERE AND OR ORDER BY ASC DESC LIMIT PARAMETERS BETWEEN IN NOT LIKE IS NULL "
    "CONTAINS ANY ALL NONE DURING REGEXP_MATCH"
)
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "'": "'", '"': '"', "\\": "\\"}
_DURING = _words(
    "TODAY YESTERDAY LAST_7_DAYS LAST_14_DAYS LAST_30_DAYS LAST_BUSINESS_WEEK LAST_MONTH "
    "LAST_WEEK_MON_SUN LAST_WEEK_SUN_SAT THIS_MONTH THIS_WEEK_MON_TODAY THIS_WEEK_SUN_TODAY"
)
_PARAMETERS = {"include_drafts", "omit_unselected_resource_names"}


@dataclass
class Token:
    """One GAQL token: kind (string, number, op, punct, word) and text."""

    kind: str
    text: str
    pos: int


@dataclass
class Condition:
    """One WHERE condition as written: `field op value`."""

    field: str
    op: str  # =, !=, <, <=, >, >=, IN, NOT IN, LIKE, NOT LIKE, REGEXP_MATCH, NOT REGEXP_MATCH,
    # BETWEEN, IS NULL, IS NOT NULL, DURING, CONTAINS ANY, CONTAINS ALL, CONTAINS NONE
    values: list[tuple[str, str]] = field(default_factory=list)  # (kind, text) literals


@dataclass
class Gaql:
    """A parsed GAQL query, names not yet resolved."""

    select: list[str]
    resource: str
    where: list[Condition] = field(default_factory=list)
    order: list[tuple[str, bool]] = field(default_factory=list)
    limit: int | None = None
    parameters: dict[str, bool] = field(default_factory=dict)


def tokenize(text: str) -> list[Token]:
    """Split GAQL into tokens."""
    tokens = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            char = text[pos]
            if char in "'\"":
                raise _query_error(
                    "STRING_NOT_TERMINATED",
                    f"Error in query: unterminated string starting at position {pos}.",
                    text[pos : pos + 30],
                )
            if not char.isascii():
                raise _query_error("BAD_SYMBOL", f"Error in query: invalid symbol '{char}'.", char)
            raise _query_error(
                "UNEXPECTED_INPUT", f"Error in query: unexpected input {char}.", char
            )
        if match.lastgroup != "ws":
            tokens.append(Token(match.lastgroup or "", match.group(), pos))
        pos = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.i = 0

    def peek(self, offset: int = 0) -> Token | None:
        index = self.i + offset
        return self.tokens[index] if index < len(self.tokens) else None

    def at(self, word: str, offset: int = 0) -> bool:
        token = self.peek(offset)
        return token is not None and token.kind == "word" and token.text.upper() == word

    def take(self, what: str) -> Token:
        token = self.peek()
        if token is None:
            raise _query_error(
                "UNEXPECTED_END_OF_QUERY", f"Error in query: unexpected end of query, {what}."
            )
        self.i += 1
        return token

    def at_punct(self, char: str) -> bool:
        token = self.peek()
        return token is not None and token.kind == "punct" and token.text == char

    def field_name(self, clause: str) -> str:
        token = self.take(f"expecting a field name in {clause}")
        if token.kind != "word" or token.text.upper() in _KEYWORDS:
            raise _query_error(
                "UNEXPECTED_INPUT",
                f"Error in query: unexpected input {token.text} in {clause}, "
                "expecting a field name.",
                token.text,
            )
        if not _FIELD_NAME.match(token.text) or token.text.endswith("."):
            raise _query_error(
                "BAD_FIELD_NAME", f"Error in query: invalid field name '{token.text}'.", token.text
            )
        return token.text

    def parse(self) -> Gaql:
        if not self.at("SELECT"):
            raise _query_error("EXPECTED_SELECT", "Error in query: expecting SELECT.")
        self.i += 1
        select = [self.field_name("SELECT clause")]
        while self.at_punct(","):
            self.i += 1
            select.append(self.field_name("SELECT clause"))
        if not self.at("FROM"):
            token = self.peek()
            if token is None:
                raise _query_error("EXPECTED_FROM", "Error in query: expecting FROM clause.")
            raise _query_error(
                "EXPECTED_FROM",
                f"Error in query: unexpected input {token.text}, expecting FROM.",
                token.text,
            )
        self.i += 1
        resource = self.take("expecting a resource name in FROM clause").text
        if not _RESOURCE_NAME.match(resource):
            raise _query_error(
                "BAD_RESOURCE_TYPE_IN_FROM_CLAUSE",
                f"Error in query: invalid resource type '{resource}' in FROM clause.",
                resource,
            )
        query = Gaql(select, resource)
        if self.at("WHERE"):
            self.i += 1
            query.where.append(self.condition())
            while self.at("AND"):
                self.i += 1
                query.where.append(self.condition())
            if self.at("OR"):
                raise _query_error(
                    "UNEXPECTED_INPUT",
                    "Error in query: OR is not supported; conditions are joined with AND.",
                    "OR",
                )
        if self.at("ORDER"):
            self.i += 1
            if not self.at("BY"):
                raise _query_error("EXPECTED_BY", "Error in query: expecting BY after ORDER.")
            self.i += 1
            query.order.append(self.ordering())
            while self.at_punct(","):
                self.i += 1
                query.order.append(self.ordering())
        if self.at("LIMIT"):
            self.i += 1
            token = self.take("expecting a LIMIT value")
            if token.kind != "number" or not token.text.isdigit() or int(token.text) < 1:
                raise _query_error(
                    "BAD_LIMIT_VALUE",
                    f"Error in query: invalid LIMIT value '{token.text}'.",
                    token.text,
                )
            query.limit = int(token.text)
        if self.at("PARAMETERS"):
            self.i += 1
            self.parameter(query)
            while self.at_punct(","):
                self.i += 1
                self.parameter(query)
        token = self.peek()
        if token is not None:
            raise _query_error(
                "UNEXPECTED_INPUT", f"Error in query: unexpected input {token.text}.", token.text
            )
        return query

    def parameter(self, query: Gaql) -> None:
        name = self.take("expecting a parameter name").text
        if name not in _PARAMETERS:
            raise _query_error(
                "BAD_PARAMETER_NAME", f"Error in query: unknown parameter '{name}'.", name
            )
        token = self.take("expecting '='")
        if token.text != "=":
            raise _query_error(
                "UNEXPECTED_INPUT", f"Error in query: unexpected input {token.text}."
            )
        value = self.take("expecting a parameter value").text.strip("'\"").lower()
        if value not in ("true", "false"):
            raise _query_error(
                "BAD_PARAMETER_VALUE", f"Error in query: invalid value '{value}' for {name}.", value
            )
        query.parameters[name] = value == "true"

    def ordering(self) -> tuple[str, bool]:
        name = self.field_name("ORDER BY clause")
        descending = False
        if self.at("ASC") or self.at("DESC"):
            descending = self.take("ASC or DESC").text.upper() == "DESC"
        return name, descending

    def value(self) -> tuple[str, str]:
        token = self.take("expecting a value")
        if token.kind == "string":
            body = re.sub(r"\\(.)", lambda m: _ESCAPES.get(m[1], "\\" + m[1]), token.text[1:-1])
            return "string", body
        if token.kind == "number":
            return "number", token.text
        if token.kind == "word" and "." not in token.text and token.text.upper() not in _KEYWORDS:
            return "literal", token.text
        raise _query_error(
            "UNEXPECTED_INPUT",
            f"Error in query: unexpected input {token.text}, expecting a value.",
            token.text,
        )

    def value_list(self) -> list[tuple[str, str]]:
        if not self.at_punct("("):
            raise _query_error(
                "EXPECTED_LIST", "Error in query: the operator requires a list of values."
            )
        self.i += 1
        if self.at_punct(")"):
            raise _query_error(
                "PROHIBITED_EMPTY_LIST_IN_CONDITION", "Error in query: empty list in condition."
            )
        values = [self.value()]
        while self.at_punct(","):
            self.i += 1
            values.append(self.value())
        closing = self.take("expecting ')'")
        if closing.text != ")":
            raise _query_error(
                "UNEXPECTED_INPUT", f"Error in query: unexpected input {closing.text}."
            )
        return values

    def condition(self) -> Condition:
        name = self.field_name("WHERE clause")
        if self.at("IS"):
            self.i += 1
            negated = self.at("NOT")
            if negated:
                self.i += 1
            if not self.at("NULL"):
                raise _query_error("BAD_OPERATOR", "Error in query: expecting NULL after IS.")
            self.i += 1
            return Condition(name, "IS NOT NULL" if negated else "IS NULL")
        if self.at("BETWEEN"):
            self.i += 1
            low = self.value()
            if not self.at("AND"):
                raise _query_error(
                    "EXPECTED_AND", "Error in query: expecting AND between BETWEEN values."
                )
            self.i += 1
            return Condition(name, "BETWEEN", [low, self.value()])
        negated = self.at("NOT")
        if negated:
            self.i += 1
        if self.at("IN"):
            self.i += 1
            return Condition(name, "NOT IN" if negated else "IN", self.value_list())
        for word in ("LIKE", "REGEXP_MATCH"):
            if self.at(word):
                self.i += 1
                return Condition(name, f"NOT {word}" if negated else word, [self.value()])
        if negated:
            raise _query_error("BAD_OPERATOR", "Error in query: invalid operator after NOT.")
        if self.at("CONTAINS"):
            self.i += 1
            kind = self.take("expecting ANY, ALL or NONE").text.upper()
            if kind not in ("ANY", "ALL", "NONE"):
                raise _query_error(
                    "BAD_OPERATOR", f"Error in query: invalid operator CONTAINS {kind}."
                )
            return Condition(name, f"CONTAINS {kind}", self.value_list())
        if self.at("DURING"):
            self.i += 1
            return Condition(name, "DURING", [self.value()])
        token = self.take("expecting an operator")
        if token.kind != "op":
            raise _query_error(
                "BAD_OPERATOR", f"Error in query: invalid operator '{token.text}'.", token.text
            )
        return Condition(name, token.text, [self.value()])


def parse_gaql(text: str) -> Gaql:
    """Parse the GAQL this server understands (names are resolved by `compile_query`)."""
    return _Parser(text).parse()


# --- GAQL -> SQL --------------------------------------------------------------------------------


@dataclass
class Compiled:
    """A GAQL query resolved against the catalog and translated to DuckDB SQL.

    `sql` selects every matching row numbered `__rn` in query order (no LIMIT), with the selected
    fields as `c0..`, resource names as `_rn_<resource>` and, for metric queries, the additive
    metrics as `_m_<name>`.
    """

    resource: ResourceDef
    fields: list[FieldDef]
    named: list[str]  # resources whose resourceName each row carries
    sql: str
    params: dict[str, Any]
    limit: int | None
    metrics: bool

    @property
    def field_mask(self) -> str:
        """The `fieldMask` of the response: the selected fields in camelCase."""
        return ",".join(".".join(f.path) for f in self.fields)


_ADDITIVE = ("impressions", "clicks", "cost_micros", "conversions", "conversions_value")


def _resolve(name: str, resource: ResourceDef, clause: str) -> FieldDef:
    spec = FIELDS.get(name)
    allowed = {resource.name, *resource.attributed, "metrics", "segments"}
    if spec is None:
        raise _query_error(
            "UNRECOGNIZED_FIELD", f"Unrecognized field in the query: '{name}'.", name
        )
    if spec.resource not in allowed:
        where = {"SELECT": "SELECT", "WHERE": "WHERE", "ORDER BY": "WHERE"}[clause]
        raise _query_error(
            f"PROHIBITED_RESOURCE_TYPE_IN_{where}_CLAUSE",
            f"Cannot {'select' if clause == 'SELECT' else 'use'} '{name}': fields from the "
            f"resource '{spec.resource}' are incompatible with the resource in FROM clause "
            f"('{resource.name}').",
            name,
        )
    return spec


def _typed(spec: FieldDef, literal: tuple[str, str]) -> Any:
    kind, text = literal
    bad = _query_error(
        "BAD_VALUE", f"Error in query: invalid value {text!r} for field '{spec.name}'.", text
    )
    if spec.kind in ("int64", "int32"):
        if kind in ("number", "string") and re.fullmatch(r"-?\d+", text):
            return int(text)
        raise bad
    if spec.kind == "double":
        if kind == "number" or (kind == "string" and re.fullmatch(r"-?\d+(\.\d+)?", text)):
            return float(text)
        raise bad
    if spec.kind == "enum":
        if kind in ("string", "literal") and text in spec.enum:
            return text
        raise _query_error(
            "BAD_ENUM_CONSTANT",
            f"Error in query: invalid enum constant '{text}' for field '{spec.name}'.",
            text,
        )
    if spec.kind == "date":
        try:
            if kind != "string" or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
                raise ValueError(text)
            return date.fromisoformat(text)
        except ValueError:
            raise _query_error(
                "BAD_VALUE",
                f"Error in query: invalid date '{text}' for field '{spec.name}'; "
                "expected 'YYYY-MM-DD'.",
                text,
            ) from None
    if spec.kind == "bool":
        if text.lower() in ("true", "false"):
            return text.lower() == "true"
        raise bad
    if kind != "string":
        raise bad
    return text


def _like_pattern(text: str) -> str:
    """GAQL LIKE (`[x]` escapes x) -> DuckDB LIKE with escape character backslash."""
    out = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "[" and i + 2 < len(text) and text[i + 2] == "]":
            literal = text[i + 1]
            out.append("\\" + literal if literal in "%_\\" else literal)
            i += 3
            continue
        out.append("\\\\" if char == "\\" else char)
        i += 1
    return "".join(out)


def during_range(function: str, today: date) -> tuple[date, date]:
    """Return the inclusive date range of a DURING function, relative to `today`."""
    monday = today - timedelta(days=today.weekday())
    sunday_start = today - timedelta(days=(today.weekday() + 1) % 7)
    first = today.replace(day=1)
    ranges = {
        "TODAY": (today, today),
        "YESTERDAY": (today - timedelta(1), today - timedelta(1)),
        "LAST_7_DAYS": (today - timedelta(7), today - timedelta(1)),
        "LAST_14_DAYS": (today - timedelta(14), today - timedelta(1)),
        "LAST_30_DAYS": (today - timedelta(30), today - timedelta(1)),
        "LAST_BUSINESS_WEEK": (monday - timedelta(7), monday - timedelta(3)),
        "LAST_MONTH": ((first - timedelta(1)).replace(day=1), first - timedelta(1)),
        "LAST_WEEK_MON_SUN": (monday - timedelta(7), monday - timedelta(1)),
        "LAST_WEEK_SUN_SAT": (sunday_start - timedelta(7), sunday_start - timedelta(1)),
        "THIS_MONTH": (first, today),
        "THIS_WEEK_MON_TODAY": (monday, today),
        "THIS_WEEK_SUN_TODAY": (sunday_start, today),
    }
    return ranges[function]


class _Sql:
    """Collects named parameters while SQL is written."""

    def __init__(self) -> None:
        self.params: dict[str, Any] = {}

    def param(self, value: Any) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f"${name}"


def _condition_sql(cond: Condition, spec: FieldDef, expr: str, sql: _Sql, today: date) -> str:
    op = cond.op
    if spec.kind in ("strings", "params"):
        if op in ("IS NULL", "IS NOT NULL"):
            empty = f"({expr} is null or len({expr}) = 0)"
            return empty if op == "IS NULL" else f"(not {empty})"
        if not op.startswith("CONTAINS") or spec.kind == "params":
            raise _query_error(
                "PROHIBITED_FIELD_IN_WHERE_CLAUSE",
                f"Error in query: field '{spec.name}' cannot be filtered with {op}.",
                spec.name,
            )
        values = [_typed(FieldDef(spec.name, spec.resource, "", "string"), v) for v in cond.values]
        listed = "[" + ", ".join(sql.param(v) for v in values) + "]"
        if op == "CONTAINS ANY":
            return f"coalesce(list_has_any({expr}, {listed}), false)"
        if op == "CONTAINS ALL":
            return f"coalesce(list_has_all({expr}, {listed}), false)"
        return f"(not coalesce(list_has_any({expr}, {listed}), false))"
    if op.startswith("CONTAINS"):
        raise _query_error(
            "OPERATOR_FIELD_MISMATCH",
            f"Error in query: {op} can only be used with repeated fields, not '{spec.name}'.",
            spec.name,
        )
    if op == "IS NULL":
        return f"({expr} is null)"
    if op == "IS NOT NULL":
        return f"({expr} is not null)"
    if op == "DURING":
        if spec.kind != "date":
            raise _query_error(
                "OPERATOR_FIELD_MISMATCH",
                f"Error in query: DURING can only be used with date fields, not '{spec.name}'.",
                spec.name,
            )
        function = cond.values[0][1].upper()
        if cond.values[0][0] != "literal" or function not in _DURING:
            raise _query_error(
                "INVALID_VALUE_WITH_DURING_OPERATOR",
                f"Error in query: invalid value '{cond.values[0][1]}' with DURING.",
                cond.values[0][1],
            )
        low, high = during_range(function, today)
        return f"({expr} between {sql.param(low)} and {sql.param(high)})"
    if op in ("LIKE", "NOT LIKE", "REGEXP_MATCH", "NOT REGEXP_MATCH"):
        if spec.kind not in ("string", "resource"):
            raise _query_error(
                "OPERATOR_FIELD_MISMATCH",
                f"Error in query: {op} can only be used with string fields, not '{spec.name}'.",
                spec.name,
            )
        text = _typed(spec, cond.values[0])
        if "LIKE" in op:
            test = f"({expr} like {sql.param(_like_pattern(text))} escape '\\')"
        else:
            test = f"regexp_full_match({expr}, {sql.param(text)})"
        return (
            f"(not coalesce({test}, false))" if op.startswith("NOT") else f"coalesce({test}, false)"
        )
    if op in ("IN", "NOT IN"):
        values = [_typed(spec, v) for v in cond.values]
        listed = ", ".join(sql.param(v) for v in values)
        if op == "IN":
            return f"({expr} in ({listed}))"
        return f"(not coalesce({expr} in ({listed}), false))"
    if op == "BETWEEN":
        low, high = (_typed(spec, v) for v in cond.values)
        if spec.kind == "date" and low > high:
            raise _query_error(
                "DATE_RANGE_TOO_NARROW",
                "Filters on date/week/month/quarter have a start date after end date.",
                spec.name,
            )
        return f"({expr} between {sql.param(low)} and {sql.param(high)})"
    value = _typed(spec, cond.values[0])
    if op == "!=":
        return f"({expr} is distinct from {sql.param(value)})"
    return f"({expr} {op} {sql.param(value)})"


def _bounded(conditions: list[tuple[Condition, FieldDef]]) -> bool:
    """Whether date-segment conditions restrict the dates to a finite range."""
    low = high = False
    for cond, spec in conditions:
        if spec.name not in _DATE_SEGMENTS:
            continue
        if cond.op in ("=", "IN", "BETWEEN", "DURING"):
            low = high = True
        elif cond.op in (">", ">="):
            low = True
        elif cond.op in ("<", "<="):
            high = True
    return low and high


def compile_query(
    query: Gaql, tables: Callable[[str], str], customer_id: str, today: date
) -> Compiled:
    """Resolve `query`'s names and write its SQL over the world tables named by `tables`."""
    resource = RESOURCES.get(query.resource)
    if resource is None:
        code = (
            "PROHIBITED_RESOURCE_TYPE_IN_FROM_CLAUSE"
            if query.resource in _OTHER_RESOURCES
            else "BAD_RESOURCE_TYPE_IN_FROM_CLAUSE"
        )
        raise _query_error(
            code,
            f"Error in query: invalid resource '{query.resource}' in FROM clause.",
            query.resource,
        )
    selected: list[FieldDef] = []
    for name in query.select:
        spec = _resolve(name, resource, "SELECT")
        if spec not in selected:
            selected.append(spec)
    where = [(cond, _resolve(cond.field, resource, "WHERE")) for cond in query.where]
    order = [(_resolve(name, resource, "ORDER BY"), desc) for name, desc in query.order]
    for spec, _ in order:
        if spec.kind in ("strings", "params"):
            raise _query_error(
                "PROHIBITED_FIELD_IN_ORDER_BY_CLAUSE",
                f"Error in query: field '{spec.name}' cannot be used in ORDER BY.",
                spec.name,
            )
        if spec.resource == "segments" and spec not in selected:
            raise _query_error(
                "EXPECTED_REFERENCED_FIELD_IN_SELECT_CLAUSE",
                f"Error in query: segment '{spec.name}' in ORDER BY must be selected.",
                spec.name,
            )
    segments = [spec for spec in selected if spec.resource == "segments"]
    referenced = [*selected, *(spec for _, spec in where), *(spec for spec, _ in order)]
    uses_metrics = any(spec.resource in ("metrics", "segments") for spec in referenced)
    if segments and not _bounded(where):
        raise _query_error(
            "EXPECTED_FILTERS_ON_DATE_RANGE",
            "Error in query: a finite date range is required on segments.date (or another date "
            f"segment) in WHERE when '{segments[0].name}' is selected.",
            segments[0].name,
        )

    sql = _Sql()
    alias = resource.alias
    joins = [f"{tables(resource.table)} {alias}"]
    for table, join_alias, on in resource.joins:
        joins.append(f"join {tables(table)} {join_alias} on {on}")
    outer = [f"c.id = {sql.param(customer_id)}"]
    if uses_metrics:
        inner = [f"customer_id = {sql.param(customer_id)}"]
        for cond, spec in where:
            if spec.resource == "segments":
                inner.append(_condition_sql(cond, spec, spec.sql, sql, today))
        seg_columns = "".join(f", {spec.sql} as {spec.column}" for spec in segments)
        sums = ", ".join(f"sum({name}) as {name}" for name in _ADDITIVE)
        joins.append(
            f"join (select {resource.metrics_key} as _mk{seg_columns}, {sums} "
            f"from {tables('google_ads/ad_metrics')} where {' and '.join(inner)} "
            f"group by all) m on m._mk = {alias}.id"
        )
    for cond, spec in where:
        if spec.resource != "segments":
            outer.append(_condition_sql(cond, spec, _expr(spec), sql, today))

    named = [resource.name]
    for spec in selected:
        if spec.resource in RESOURCES and spec.resource not in named:
            named.append(spec.resource)
    if query.parameters.get("omit_unselected_resource_names"):
        named = [name for name in named if any(f.name == f"{name}.resource_name" for f in selected)]
    ordering = [f"{_expr(spec)} {'desc' if desc else 'asc'}" for spec, desc in order]
    ordering += [f"{alias}.id asc"] + [f"m.{spec.column} asc" for spec in segments]
    columns = [f"row_number() over (order by {', '.join(ordering)}) as __rn"]
    columns += [f"{RESOURCES[name].resource_name} as _rn_{name}" for name in named]
    columns += [f"{_expr(spec)} as c{i}" for i, spec in enumerate(selected)]
    if uses_metrics:
        columns += [f"m.{name} as _m_{name}" for name in _ADDITIVE]
    text = f"select {', '.join(columns)} from {' '.join(joins)} where {' and '.join(outer)}"
    return Compiled(resource, selected, named, text, sql.params, query.limit, uses_metrics)


def _expr(spec: FieldDef) -> str:
    if spec.resource == "metrics":
        return spec.sql.format(m="m")
    if spec.resource == "segments":
        return f"m.{spec.column}"
    return spec.sql


# --- rendering ----------------------------------------------------------------------------------


def render_value(spec: FieldDef, value: Any) -> Any:
    """Render a value as the REST API's JSON has it; None for what proto3 JSON leaves out."""
    if value is None:
        return None
    kind = spec.kind
    if kind == "int64":
        return str(int(value))
    if kind == "int32":
        return int(value)
    if kind == "double":
        return float(value)
    if kind == "bool":
        return bool(value)
    if kind == "date":
        return value.isoformat() if isinstance(value, date) else str(value)[:10]
    if kind == "strings":
        return list(value) or None
    if kind == "params":
        params = [
            {k: v for k, v in (("key", p["key"]), ("value", p["value"])) if v is not None}
            for p in value
        ]
        return params or None
    return str(value)


def _put(row: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    node = row
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = value


def render_row(compiled: Compiled, raw: dict[str, Any]) -> dict[str, Any]:
    """One GoogleAdsRow: resource names of the named resources, then the selected fields."""
    row: dict[str, Any] = {}
    for name in compiled.named:
        row[camel(name)] = {"resourceName": raw[f"_rn_{name}"]}
    for i, spec in enumerate(compiled.fields):
        value = render_value(spec, raw[f"c{i}"])
        if value is not None:
            _put(row, spec.path, value)
    return row


# --- the server's state -------------------------------------------------------------------------


@dataclass
class Snapshot:
    """A `:search` result frozen in a DuckDB table, paged by page tokens."""

    key: str
    table: str
    compiled: Compiled
    total: int  # rows matching, ignoring LIMIT
    served: int  # rows served (LIMIT applied)
    query_hash: str


class GoogleAdsApi:
    """The endpoints' logic over one `WorldState`; query methods run in a worker thread."""

    def __init__(
        self,
        state: WorldState,
        plan: FaultPlan,
        version: str,
        page_size: int,
        stream_batch_size: int,
    ) -> None:
        self.state = state
        self.plan = plan
        self.version = version
        self.page_size = page_size
        self.stream_batch_size = stream_batch_size
        self.snapshots: OrderedDict[str, Snapshot] = OrderedDict()
        self._ids = 0
        self._lock = threading.Lock()

    # --- customers ---
    def customers(self) -> dict[str, dict[str, Any]]:
        """Return the customers that exist at the moment, by id."""
        rows = self.state.fetch(
            f"select * from {self.state.table('google_ads/customers')} order by id"
        )
        return {row["id"]: row for row in rows}

    def today(self, customer: dict[str, Any]) -> date:
        """Return the customer's local date at the world's moment."""
        return self.state.moment.astimezone(ZoneInfo(customer["time_zone"])).date()

    # --- queries ---
    def compile(self, text: str, customer: dict[str, Any]) -> Compiled:
        """Parse and compile `text` for `customer`."""
        if not text or not text.strip():
            raise _request_error("REQUIRED_FIELD_MISSING", "The query is empty.")
        return compile_query(
            parse_gaql(text), self.state.table, customer["id"], self.today(customer)
        )

    def _new_name(self) -> str:
        with self._lock:
            self._ids += 1
            return f"gads_result_{self._ids}"

    def snapshot(self, compiled: Compiled, query_hash: str) -> Snapshot:
        """Run `compiled` and keep its rows for paging."""
        table = self._new_name()
        self.state.fetch(f"create table {table} as {compiled.sql}", compiled.params)
        total = int(self.state.fetch(f"select count(*) as n from {table}")[0]["n"])
        served = total if compiled.limit is None else min(total, compiled.limit)
        snap = Snapshot(table, table, compiled, total, served, query_hash)
        stale = []
        with self._lock:
            self.snapshots[snap.key] = snap
            while len(self.snapshots) > MAX_OPEN_SNAPSHOTS:
                stale.append(self.snapshots.popitem(last=False)[1])
        for old in stale:
            self.state.fetch(f"drop table if exists {old.table}")
        return snap

    def page(self, snap: Snapshot, start: int, count: int) -> list[dict[str, Any]]:
        """Rows `start`..`start+count` (0-based, within the served rows) of a snapshot."""
        end = min(start + count, snap.served)
        raw = self.state.fetch(
            f"select * from {snap.table} where __rn > $a and __rn <= $b order by __rn",
            {"a": start, "b": end},
        )
        return [render_row(snap.compiled, row) for row in raw]

    def summary(self, compiled: Compiled, source: str, params: dict[str, Any]) -> dict[str, Any]:
        """Return the summary row of the metrics over `source` (a relation with `_m_*` columns)."""
        metrics = [spec for spec in compiled.fields if spec.resource == "metrics"]
        if not metrics:
            return {}
        sums = ", ".join(f"sum(_m_{name}) as {name}" for name in _ADDITIVE)
        columns = ", ".join(f"{spec.sql.format(m='s')} as c{i}" for i, spec in enumerate(metrics))
        raw = self.state.fetch(f"select {columns} from (select {sums} from {source}) s", params)
        row: dict[str, Any] = {}
        for i, spec in enumerate(metrics):
            value = render_value(spec, raw[0][f"c{i}"])
            if value is not None:
                _put(row, spec.path, value)
        return row

    def encode_token(self, snap: Snapshot, offset: int) -> str:
        """Return an opaque page token for the rows of `snap` from `offset`."""
        raw = json.dumps([snap.key, offset, snap.query_hash]).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def decode_token(self, token: str, query_hash: str) -> tuple[Snapshot, int]:
        """Return the snapshot and offset a page token points at."""
        try:
            key, offset, token_hash = json.loads(
                base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            )
            offset = int(offset)
        except (ValueError, TypeError):
            raise _request_error("INVALID_PAGE_TOKEN", "Page token is invalid.") from None
        if token_hash != query_hash:
            raise _request_error(
                "INVALID_PAGE_TOKEN",
                "Page token is invalid: the request does not match the one that produced it.",
            )
        with self._lock:
            snap = self.snapshots.get(key)
        if snap is None:
            raise _request_error("EXPIRED_PAGE_TOKEN", "Page token has expired.")
        if not 0 < offset < snap.served:
            raise _request_error("INVALID_PAGE_TOKEN", "Page token is invalid.")
        return snap, offset

    def search(self, customer: dict[str, Any], body: dict[str, Any], path: str) -> dict[str, Any]:
        """`googleAds:search`: one page of results."""
        text = body.get("query") or ""
        settings = body.get("searchSettings") or body.get("search_settings") or {}
        if not isinstance(settings, dict):
            raise _invalid_json("searchSettings must be an object")
        query_hash = hashlib.sha1(f"{customer['id']}\n{text}".encode()).hexdigest()[:16]
        token = body.get("pageToken") or body.get("page_token")
        compiled = self.compile(text, customer)
        if body.get("validateOnly") or body.get("validate_only"):
            return {"fieldMask": compiled.field_mask}
        if token:
            snap, offset = self.decode_token(str(token), query_hash)
        else:
            snap, offset = self.snapshot(compiled, query_hash), 0
        start, count = offset, self.page_size
        if offset > 0 and self.plan.take(path, {"repeat_record"}) is not None:
            start, count = offset - 1, count + 1
        results = self.page(snap, start, count)
        following = offset + self.page_size
        answer: dict[str, Any] = {}
        if results:
            answer["results"] = results
        if following < snap.served:
            answer["nextPageToken"] = self.encode_token(snap, following)
        if settings.get("returnTotalResultsCount") or settings.get("return_total_results_count"):
            answer["totalResultsCount"] = str(snap.total)
        answer["fieldMask"] = compiled.field_mask
        last = following >= snap.served
        if last and (settings.get("returnSummaryRow") or settings.get("return_summary_row")):
            answer["summaryRow"] = self.summary(
                compiled, f"{snap.table} where __rn <= {snap.served}", {}
            )
        answer["queryResourceConsumption"] = str(max(1, snap.total))
        if last and not token:
            with self._lock:
                self.snapshots.pop(snap.key, None)
            self.state.fetch(f"drop table if exists {snap.table}")
        return answer

    def search_stream(self, customer: dict[str, Any], body: dict[str, Any]) -> list[dict]:
        """`googleAds:searchStream`: every row, in batches."""
        compiled = self.compile(body.get("query") or "", customer)
        setting = body.get("summaryRowSetting") or body.get("summary_row_setting") or ""
        limit = "" if compiled.limit is None else f" where __rn <= {int(compiled.limit)}"
        source = f"({compiled.sql}){limit}"
        rows = (
            []
            if setting == "SUMMARY_ROW_ONLY"
            else self.state.fetch(f"select * from {source} order by __rn", compiled.params)
        )
        rendered = [render_row(compiled, row) for row in rows]
        size = self.stream_batch_size
        batches: list[dict[str, Any]] = []
        for i in range(0, max(1, len(rendered)), size):
            batch: dict[str, Any] = {}
            if rendered[i : i + size]:
                batch["results"] = rendered[i : i + size]
            batch["fieldMask"] = compiled.field_mask
            batch["requestId"] = request_id()
            batches.append(batch)
        if setting in ("SUMMARY_ROW_WITH_RESULTS", "SUMMARY_ROW_ONLY"):
            batches[-1]["summaryRow"] = self.summary(compiled, source, compiled.params)
        batches[-1]["queryResourceConsumption"] = str(max(1, len(rendered)))
        return batches


def _invalid_json(detail: str) -> GoogleAdsError:
    return GoogleAdsError(
        400, None, "", detail, top_message=f"Invalid JSON payload received. {detail}"
    )


_SEARCH_FIELDS = {
    "query",
    "pageToken",
    "page_token",
    "pageSize",
    "page_size",
    "validateOnly",
    "validate_only",
    "searchSettings",
    "search_settings",
    "customerId",
    "customer_id",
}
_STREAM_FIELDS = {"query", "summaryRowSetting", "summary_row_setting", "customerId", "customer_id"}


def _seconds_to_pacific_midnight() -> int:
    now = datetime.now(ZoneInfo("America/Los_Angeles"))
    tomorrow = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(1, math.ceil((tomorrow - now).total_seconds()))


def create_app(
    state: WorldState,
    plan: FaultPlan,
    client_id: str = DEFAULT_CLIENT_ID,
    client_secret: str = DEFAULT_CLIENT_SECRET,
    refresh_token: str = DEFAULT_REFRESH_TOKEN,
    developer_token: str = DEFAULT_DEVELOPER_TOKEN,
    api_version: str = API_VERSION,
    rate_limit: tuple[int, float] | None = (100, 1.0),
    daily_limit: int = DAILY_OPERATIONS,
    token_lifetime: float = TOKEN_LIFETIME,
    page_size: int = PAGE_SIZE,
    stream_batch_size: int = PAGE_SIZE,
) -> Callable:
    """Return the Google Ads ASGI app over `state`, with `plan`'s faults applied.

    `rate_limit` is a rolling (requests, seconds) window over API calls (None turns it off);
    `daily_limit` counts operations (a `:search` page fetched with a page token is free);
    `page_size` and `stream_batch_size` are Google's fixed 10,000 unless a test shrinks them.
    """
    api = GoogleAdsApi(state, plan, api_version, page_size, stream_batch_size)
    limiter = RollingLimit(*rate_limit) if rate_limit else None
    tokens: dict[str, float] = {}
    usage = {"operations": 0}
    lock = threading.Lock()

    def fail(exc: GoogleAdsError) -> JSONResponse:
        return error_response(exc, api_version)

    # --- OAuth ---
    async def token_route(request: Request) -> JSONResponse:
        form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("basic "):
            try:
                user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                user, password = "", ""
            form.setdefault("client_id", user)
            form.setdefault("client_secret", password)
        grant = form.get("grant_type", "")
        if grant != "refresh_token":
            return JSONResponse(
                {
                    "error": "unsupported_grant_type",
                    "error_description": f"Invalid grant_type: {grant}",
                },
                status_code=400,
            )
        if form.get("client_id") != client_id:
            return JSONResponse(
                {"error": "invalid_client", "error_description": "The OAuth client was not found."},
                status_code=401,
            )
        if not secrets.compare_digest(form.get("client_secret", ""), client_secret):
            return JSONResponse(
                {"error": "invalid_client", "error_description": "Unauthorized"},
                status_code=401,
            )
        if not secrets.compare_digest(form.get("refresh_token", ""), refresh_token):
            return JSONResponse(
                {"error": "invalid_grant", "error_description": "Bad Request"}, status_code=400
            )
        access = "ya29.demo-" + secrets.token_urlsafe(48)
        with lock:
            tokens[access] = time.monotonic() + token_lifetime
        return JSONResponse(
            {
                "access_token": access,
                "expires_in": int(token_lifetime),
                "scope": SCOPE,
                "token_type": "Bearer",
            }
        )

    # --- the gate every API call passes ---
    def authenticate(request: Request) -> None:
        if request.path_params["version"] != api_version:
            raise GoogleAdsError(404, None, "", "Not found")
        auth = request.headers.get("authorization", "")
        scheme, _, access = auth.partition(" ")
        access = access.strip()
        if scheme.lower() != "bearer" or not access:
            raise GoogleAdsError(
                401,
                "authenticationError",
                "AUTHENTICATION_ERROR",
                "Authentication of the request failed.",
                top_message=_MISSING_CREDENTIAL,
            )
        with lock:
            expiry = tokens.get(access)
        if expiry is None:
            raise GoogleAdsError(
                401,
                "authenticationError",
                "OAUTH_TOKEN_INVALID",
                "OAuth token in the header is not valid.",
            )
        if time.monotonic() >= expiry or plan.take(request.url.path, {"expired_token"}):
            with lock:
                tokens.pop(access, None)
            raise GoogleAdsError(
                401,
                "authenticationError",
                "OAUTH_TOKEN_EXPIRED",
                "OAuth token in the header has expired.",
            )
        dev = request.headers.get("developer-token")
        if dev is None or not dev.strip():
            raise _request_error(
                "DEVELOPER_TOKEN_PARAMETER_MISSING", "developer-token parameter is missing."
            )
        if not secrets.compare_digest(dev.strip(), developer_token):
            raise GoogleAdsError(
                401,
                "authenticationError",
                "DEVELOPER_TOKEN_INVALID",
                "The developer token is not valid.",
            )
        if limiter is not None:
            allowed, _, wait = limiter.take()
            if not allowed:
                seconds = max(1, math.ceil(wait))
                raise GoogleAdsError(
                    429,
                    "quotaError",
                    "RESOURCE_TEMPORARILY_EXHAUSTED",
                    f"Too many requests. Retry in {seconds} seconds.",
                    details={
                        "quotaErrorDetails": {
                            "rateScope": "ACCOUNT",
                            "rateName": "Request rate per account",
                            "retryDelay": f"{seconds}s",
                        }
                    },
                )

    def count_operation() -> None:
        with lock:
            if usage["operations"] >= daily_limit:
                exhausted = True
            else:
                usage["operations"] += 1
                exhausted = False
        if exhausted:
            seconds = _seconds_to_pacific_midnight()
            raise GoogleAdsError(
                429,
                "quotaError",
                "RESOURCE_EXHAUSTED",
                f"Too many requests. Retry in {seconds} seconds.",
                details={
                    "quotaErrorDetails": {
                        "rateScope": "DEVELOPER",
                        "rateName": "Number of operations for basic access",
                        "retryDelay": f"{seconds}s",
                    }
                },
            )

    def customer_for(request: Request) -> dict[str, Any]:
        customer_id = request.path_params["customer_id"]
        if not customer_id.isdigit():
            raise GoogleAdsError(
                400,
                "authenticationError",
                "CLIENT_CUSTOMER_ID_INVALID",
                f"Invalid customer ID '{customer_id}'.",
            )
        known = api.customers()
        login = (request.headers.get("login-customer-id") or "").strip()
        customer = known.get(customer_id)
        if login:
            if not login.isdigit():
                raise GoogleAdsError(
                    400,
                    "authenticationError",
                    "CLIENT_CUSTOMER_ID_INVALID",
                    f"Invalid login-customer-id '{login}'.",
                )
            manager = known.get(login)
            if manager is None or (login != customer_id and not manager["manager"]):
                customer = None
        if customer is None:
            raise GoogleAdsError(
                403, "authorizationError", "USER_PERMISSION_DENIED", _PERMISSION_MESSAGE
            )
        return customer

    async def read_json(request: Request, allowed: set[str]) -> dict[str, Any]:
        raw = await request.body()
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            raise _invalid_json("Unexpected token.") from None
        if not isinstance(body, dict):
            raise _invalid_json("The body must be an object.")
        for name in body:
            if name not in allowed:
                raise _invalid_json(f'Unknown name "{name}": Cannot find field.')
        return body

    def respond(handler: Callable) -> Callable:
        async def route(request: Request) -> Response:
            try:
                authenticate(request)
                response = await handler(request)
            except GoogleAdsError as exc:
                return fail(exc)
            except Exception:  # an unexpected failure still answers in Google's format
                return fail(
                    GoogleAdsError(
                        500, "internalError", "INTERNAL_ERROR", "An internal error has occurred."
                    )
                )
            response.headers.setdefault("request-id", request_id())
            return response

        return route

    async def list_accessible(request: Request) -> Response:
        count_operation()
        names = [f"customers/{cid}" for cid in await run_in_threadpool(api.customers)]
        return JSONResponse({"resourceNames": names})

    async def search(request: Request) -> Response:
        body = await read_json(request, _SEARCH_FIELDS)
        if body.get("pageSize") or body.get("page_size"):
            raise _request_error(
                "PAGE_SIZE_NOT_SUPPORTED",
                "Setting the page size is not supported. Search Responses will have fixed page "
                f"size of {PAGE_SIZE} rows.",
            )
        customer = await run_in_threadpool(customer_for, request)
        if not (body.get("pageToken") or body.get("page_token")):
            count_operation()
        answer = await run_in_threadpool(api.search, customer, body, request.url.path)
        return JSONResponse(answer)

    async def search_stream(request: Request) -> Response:
        body = await read_json(request, _STREAM_FIELDS)
        customer = await run_in_threadpool(customer_for, request)
        count_operation()
        batches = await run_in_threadpool(api.search_stream, customer, body)
        return JSONResponse(batches)

    async def not_found(request: Request, exc: Exception) -> Response:
        # Google's front end answers an unknown method or path with a bare NOT_FOUND.
        return fail(GoogleAdsError(404, None, "", str(getattr(exc, "detail", exc))))

    base = "/{version}/customers"
    routes = [
        Route("/token", token_route, methods=["POST"]),
        Route(f"{base}:listAccessibleCustomers", respond(list_accessible), methods=["GET"]),
        Route(f"{base}/{{customer_id}}/googleAds:search", respond(search), methods=["POST"]),
        Route(
            f"{base}/{{customer_id}}/googleAds:searchStream",
            respond(search_stream),
            methods=["POST"],
        ),
        *admin_routes(state, plan),
    ]
    app = Starlette(routes=routes, exception_handlers={404: not_found, 405: not_found})
    app.router.redirect_slashes = False
    return fault_middleware(plan, lambda status, message: error_body(status, message, api_version))(
        app
    )


def start(world_dir: Path | str, moment: datetime | None = None, **kw: Any) -> ServerHandle:
    """Serve the Google Ads API over `world_dir` on 127.0.0.1; the handle carries `.state`, `.plan`.

    Keyword arguments go to `create_app` (client_id, client_secret, refresh_token,
    developer_token, api_version, rate_limit, daily_limit, token_lifetime, page_size,
    stream_batch_size).
    """
    state = WorldState(Path(world_dir), moment)
    plan = FaultPlan()
    handle = serve(create_app(state, plan, **kw))
    handle.state = state  # type: ignore[attr-defined]
    handle.plan = plan  # type: ignore[attr-defined]
    return handle
