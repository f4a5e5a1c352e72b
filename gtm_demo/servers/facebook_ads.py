"""A local Meta (Facebook) Marketing API over the demo world, in the Graph API's own wire format.

It serves what an ads reporting integration reads, under one Graph API version (`/v23.0` unless
configured otherwise; other versions answer error 2635):

- `GET /me/adaccounts` and `GET /act_<id>` (fields such as `account_id`, `name`, `currency`,
  `timezone_name`, `timezone_offset_hours_utc`, `account_status`, `amount_spent`).
- Edges `GET /act_<id>/campaigns|adsets|ads|adcreatives` with `fields=`, `limit=` (default 25),
  `after=`, `filtering=[{"field","operator","value"}]` (times as unix seconds) and
  `effective_status=[...]`, answered as `{"data": [...], "paging": {"cursors": {"before",
  "after"}, "next"?}}` with only the requested fields (plus `id`); `next` is an absolute URL
  and is absent on the last page. Nodes read directly: `GET /<campaign|adset|ad|creative id>`.
- Insights, synchronous (`GET /act_<id>/insights`, refused past `sync_max_days`) and
  asynchronous (`POST /act_<id>/insights` -> `{"report_run_id"}`; `GET /<run id>` polls
  `async_status` / `async_percent_completion` through a configurable schedule, by default
  including a poll that reports 100% while still "Job Running"; `GET /<run id>/insights`
  pages the rows). Levels ad / adset / campaign / account, `time_increment` 1-90, `monthly` or
  `all_days`, `time_range` or `date_preset`, `action_attribution_windows`. Numbers are strings;
  `actions` (type `lead`) and `cost_per_action_type` are left out of rows without leads, and
  days without any delivery are not returned, as the real API does.

Timestamps read like `2025-08-26T17:00:00-0700`: in the ad account's time zone, as Meta sends
them. Auth is an `access_token` parameter (query or form body) or `Authorization: Bearer`/`OAuth`;
a bad one is error 190. Every account call counts against a per-account rolling limit
(`rate_limit` for management calls, `insights_rate_limit` for insights) that drives the
`X-Business-Use-Case-Usage`, `X-Ad-Account-Usage` and `X-FB-Ads-Insights-Throttle` headers and,
once spent, HTTP 400 with error 17 (subcode 2446079) or 80000 for insights.

Faults: the generic kinds of `gtm_demo.serving`, plus `expired_token` (error 190, subcode 463),
`repeat_record` (the next page starts with the last record of the page before it), `throttle`
(the next call answers the throttling error; `options={"code": 80000}` picks the code),
`stuck_report` (a run created by the next POST stays "Job Running" at 100%; `options={"polls":
n}` lets it complete after n polls) and `failed_report` (the run ends "Job Failed").
"""

from __future__ import annotations

import base64
import itertools
import json
import math
import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
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

API_VERSION = "v23.0"
DEFAULT_TOKEN = "demo-facebook-token"
ACCESS_TIER = "standard_access"
DEFAULT_LIMIT = 25
MAX_LIMIT = 5000
MAX_RUNS = 200
DEFAULT_REPORT_SCHEDULE: tuple[tuple[str, int], ...] = (
    ("Job Not Started", 0),
    ("Job Started", 0),
    ("Job Running", 47),
    ("Job Running", 100),
    ("Job Completed", 100),
)
RATE_LIMIT_DOCS = "https://developers.facebook.com/docs/graph-api/overview/rate-limiting"
INVALID_TOKEN = "Invalid OAuth access token - Cannot parse access token"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ATTRIBUTION_WINDOWS = {
    "1d_click",
    "7d_click",
    "28d_click",
    "1d_view",
    "7d_view",
    "28d_view",
    "1d_ev",
    "dda",
    "default",
    "skan_click",
    "skan_view",
}
EFFECTIVE_STATUSES = {
    "ACTIVE",
    "PAUSED",
    "DELETED",
    "ARCHIVED",
    "CAMPAIGN_PAUSED",
    "ADSET_PAUSED",
    "IN_PROCESS",
    "WITH_ISSUES",
    "PENDING_REVIEW",
    "DISAPPROVED",
    "PREAPPROVED",
    "PENDING_BILLING_INFO",
}


# --- errors -------------------------------------------------------------------------------------


class GraphError(Exception):
    """An error the Graph API answers with its `{"error": {...}}` body."""

    def __init__(
        self,
        message: str,
        code: int,
        subcode: int | None = None,
        status: int = 400,
        transient: bool = False,
        kind: str = "OAuthException",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.subcode = subcode
        self.status = status
        self.transient = transient
        self.kind = kind


def fbtrace_id() -> str:
    """Make a trace id like the ones Meta puts in error bodies and `x-fb-trace-id`."""
    return base64.urlsafe_b64encode(secrets.token_bytes(9)).decode()


def graph_error(exc: GraphError) -> JSONResponse:
    """Render `exc` as the Graph API does."""
    body: dict[str, Any] = {"message": exc.message, "type": exc.kind, "code": exc.code}
    if exc.subcode is not None:
        body["error_subcode"] = exc.subcode
    body["is_transient"] = exc.transient
    trace = fbtrace_id()
    body["fbtrace_id"] = trace
    response = JSONResponse({"error": body}, status_code=exc.status)
    response.headers["x-fb-trace-id"] = trace
    if exc.code == 190:
        response.headers["WWW-Authenticate"] = (
            f'OAuth "Facebook Platform" "invalid_token" "{exc.message}"'
        )
    return response


def _invalid_token() -> GraphError:
    return GraphError(INVALID_TOKEN, 190)


def _expired_token() -> GraphError:
    now = datetime.now(UTC)
    return GraphError(
        "Error validating access token: Session has expired on "
        f"{(now - timedelta(hours=1)).strftime('%A, %d-%b-%y %H:%M:%S UTC')}. "
        f"The current time is {now.strftime('%A, %d-%b-%y %H:%M:%S UTC')}.",
        190,
        463,
    )


def throttle_error(code: int) -> GraphError:
    """Return the throttling error for `code` (17: user request limit; 80000: insights)."""
    if code == 17:
        return GraphError("(#17) User request limit reached", 17, 2446079, transient=True)
    if code == 613:
        return GraphError(
            "(#613) There have been too many calls from this ad-account. Please wait a bit "
            "and try again.",
            613,
            1487742,
            transient=True,
        )
    return GraphError(
        f"(#{code}) There have been too many calls from this ad-account. Wait a bit and try "
        f"again. For more info, please refer to {RATE_LIMIT_DOCS}.",
        code,
        2446079,
        transient=True,
    )


def _param_error(message: str, subcode: int | None = None) -> GraphError:
    return GraphError(f"(#100) {message}", 100, subcode)


def _no_object(node: str) -> GraphError:
    return _param_error(
        f"Unsupported get request. Object with ID '{node}' does not exist, cannot be loaded due "
        "to missing permissions, or does not support this operation. Please read the Graph API "
        "documentation at https://developers.facebook.com/docs/graph-api",
        33,
    )


_STATUS_ERRORS: dict[int, Callable[[], GraphError]] = {
    400: lambda: _param_error("Invalid parameter"),
    401: _invalid_token,
    403: lambda: GraphError("(#200) Permissions error", 200, status=403),
    404: lambda: GraphError(
        "(#803) Some of the aliases you requested do not exist", 803, status=404
    ),
    429: lambda: throttle_error(17),
    500: lambda: GraphError("An unknown error occurred", 1, 99, status=500, transient=True),
}


def error_body(status: int, message: str) -> Response:
    """Render an injected `status` as the Graph API would answer it (for `fault_middleware`)."""
    if status in (502, 503, 504):
        exc = GraphError(
            "An unexpected error has occurred. Please retry your request later.",
            2,
            status=status,
            transient=True,
        )
    elif status in _STATUS_ERRORS:
        exc = _STATUS_ERRORS[status]()
        exc.status = status
    else:
        exc = GraphError("An unknown error occurred", 1, status=status, transient=status >= 500)
    return graph_error(exc)


# --- formats ------------------------------------------------------------------------------------


def graph_time(value: datetime | None, zone: ZoneInfo) -> str | None:
    """Render a moment as Meta does: `2026-01-02T10:20:30-0800`, in the account's time zone."""
    if value is None:
        return None
    return value.astimezone(zone).strftime("%Y-%m-%dT%H:%M:%S%z")


def money(value: Decimal | float | int) -> str:
    """Render an amount as a decimal string with two places, as insights `spend`."""
    return f"{Decimal(value):.2f}"


def ratio(value: float) -> str:
    """Render a derived metric (cpc, cpm, ctr) as Meta does: a string of up to six decimals."""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return text or "0"


def _encode_cursor(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")


def _decode_cursor(text: str) -> str:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
    except (ValueError, UnicodeDecodeError) as exc:
        raise _param_error(f"Invalid cursor: {text}") from exc


def _json_param(raw: str | None, name: str) -> Any:
    if raw is None or raw == "":
        return None
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise _param_error(f"Param {name} must be a valid JSON value") from exc


def _list_param(raw: str | None, name: str) -> list[str]:
    """Read a list parameter sent as a JSON array or as comma-separated names."""
    if raw is None or raw.strip() == "":
        return []
    text = raw.strip()
    if text.startswith("["):
        value = _json_param(text, name)
        if not isinstance(value, list):
            raise _param_error(f"Param {name} must be an array")
        return [str(v) for v in value]
    return [part.strip() for part in text.split(",") if part.strip()]


def parse_fields(raw: str | None) -> list[str]:
    """Split a `fields` parameter at top-level commas (sub-selections like `creative{id}`)."""
    if raw is None:
        return []
    text = raw.strip()
    if text.startswith("["):
        return _list_param(text, "fields")
    names, depth, current = [], 0, ""
    for char in text:
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        if char == "," and depth == 0:
            names.append(current)
            current = ""
        else:
            current += char
    names.append(current)
    return [name.split("{")[0].split(".")[0].strip() for name in names if name.strip()]


def _limit(params: dict[str, str]) -> int:
    raw = params.get("limit")
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    try:
        value = int(raw)
    except ValueError as exc:
        raise _param_error(f"Param limit must be an integer, got {raw}") from exc
    return max(1, min(value, MAX_LIMIT))


def _parse_day(text: Any, name: str) -> date:
    try:
        return date.fromisoformat(str(text))
    except ValueError as exc:
        raise _param_error(f"Param time_range[{name}] must be a date (YYYY-MM-DD)") from exc


# --- filtering ----------------------------------------------------------------------------------

_OPERATORS = {
    "EQUAL": "=",
    "NOT_EQUAL": "<>",
    "GREATER_THAN": ">",
    "GREATER_THAN_OR_EQUAL": ">=",
    "LESS_THAN": "<",
    "LESS_THAN_OR_EQUAL": "<=",
}


def _filter_value(value: Any, kind: str, field_name: str) -> Any:
    try:
        if kind == "time":
            return EPOCH + timedelta(seconds=float(value))
        if kind == "num":
            return float(value)
    except (TypeError, ValueError) as exc:
        raise _param_error(f"Filtering field {field_name} needs a numeric value") from exc
    return str(value)


def compile_filtering(
    rules: Any, columns: dict[str, tuple[str, str]]
) -> tuple[list[str], list[Any]]:
    """Translate a `filtering` array into SQL clauses over `columns` (name -> (sql, kind))."""
    if rules is None:
        return [], []
    if not isinstance(rules, list):
        raise _param_error("Param filtering must be an array")
    clauses: list[str] = []
    params: list[Any] = []
    for rule in rules:
        if not isinstance(rule, dict) or not {"field", "operator"} <= set(rule):
            raise _param_error("Each filtering rule needs field, operator and value")
        name, operator = str(rule["field"]), str(rule["operator"]).upper()
        if name not in columns:
            raise _param_error(
                f"Filtering field '{name}' with operation '{operator.lower()}' is not supported"
            )
        sql, kind = columns[name]
        value = rule.get("value")
        if operator in _OPERATORS:
            clauses.append(f"{sql} {_OPERATORS[operator]} ?")
            params.append(_filter_value(value, kind, name))
        elif operator in ("IN", "NOT_IN"):
            values = value if isinstance(value, list) else [value]
            marks = ", ".join("?" for _ in values) or "null"
            negate = "not " if operator == "NOT_IN" else ""
            clauses.append(f"coalesce({negate}({sql} in ({marks})), {operator == 'NOT_IN'})")
            params.extend(_filter_value(v, kind, name) for v in values)
        elif operator in ("IN_RANGE", "NOT_IN_RANGE"):
            if not isinstance(value, list) or len(value) != 2:
                raise _param_error(f"Filtering field {name}: {operator} needs [low, high]")
            negate = "not " if operator == "NOT_IN_RANGE" else ""
            clauses.append(f"{negate}({sql} between ? and ?)")
            params.extend(_filter_value(v, kind, name) for v in value)
        elif operator in ("CONTAIN", "NOT_CONTAIN"):
            negate = "not " if operator == "NOT_CONTAIN" else ""
            clauses.append(f"{negate}contains(lower(cast({sql} as varchar)), lower(?))")
            params.append(str(value))
        else:
            raise _param_error(f"Filtering operator '{operator}' is not supported")
    return clauses, params


# --- the object model ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Edge:
    """An ad-account edge: its path name, node type, SQL source and fields."""

    name: str
    node_type: str
    prefix: str  # as filtering fields spell the object (campaign.id, adset.id)
    fields: dict[str, tuple[str, str]]  # field -> (render kind, column)
    filters: dict[str, tuple[str, str]]  # filtering field -> (sql, kind)
    has_effective_status: bool = True


def _entity_filters(prefix: str, extra: dict[str, tuple[str, str]]) -> dict[str, tuple[str, str]]:
    base = {
        "id": ("id", "str"),
        "name": ("name", "str"),
        "status": ("status", "str"),
        "effective_status": ("effective_status", "str"),
        "created_time": ("created_time", "time"),
        "updated_time": ("updated_time", "time"),
        **extra,
    }
    prefixed = {f"{prefix}.{name}": value for name, value in base.items()}
    return {**base, **prefixed}


_TIMES = ("created_time", "updated_time")
EDGES: dict[str, _Edge] = {
    "campaigns": _Edge(
        "campaigns",
        "Campaign",
        "campaign",
        {
            "id": ("str", "id"),
            "account_id": ("str", "account_id"),
            "name": ("str", "name"),
            "objective": ("str", "objective"),
            "status": ("str", "status"),
            "configured_status": ("str", "status"),
            "effective_status": ("str", "effective_status"),
            "buying_type": ("const", "AUCTION"),
            "start_time": ("time", "start_time"),
            "stop_time": ("time", "stop_time"),
            "created_time": ("time", "created_time"),
            "updated_time": ("time", "updated_time"),
        },
        _entity_filters("campaign", {"objective": ("objective", "str")}),
    ),
    "adsets": _Edge(
        "adsets",
        "AdSet",
        "adset",
        {
            "id": ("str", "id"),
            "account_id": ("str", "account_id"),
            "campaign_id": ("str", "campaign_id"),
            "name": ("str", "name"),
            "status": ("str", "status"),
            "configured_status": ("str", "status"),
            "effective_status": ("str", "effective_status"),
            "campaign": ("ref", "campaign_id"),
            "created_time": ("time", "created_time"),
            "updated_time": ("time", "updated_time"),
        },
        _entity_filters("adset", {"campaign.id": ("campaign_id", "str")}),
    ),
    "ads": _Edge(
        "ads",
        "Ad",
        "ad",
        {
            "id": ("str", "id"),
            "account_id": ("str", "account_id"),
            "campaign_id": ("str", "campaign_id"),
            "adset_id": ("str", "adset_id"),
            "name": ("str", "name"),
            "status": ("str", "status"),
            "configured_status": ("str", "status"),
            "effective_status": ("str", "effective_status"),
            "creative": ("ref", "creative_id"),
            "campaign": ("ref", "campaign_id"),
            "adset": ("ref", "adset_id"),
            "created_time": ("time", "created_time"),
            "updated_time": ("time", "updated_time"),
        },
        _entity_filters(
            "ad",
            {
                "campaign.id": ("campaign_id", "str"),
                "adset.id": ("adset_id", "str"),
                "creative.id": ("creative_id", "str"),
            },
        ),
    ),
    "adcreatives": _Edge(
        "adcreatives",
        "AdCreative",
        "adcreative",
        {
            "id": ("str", "id"),
            "account_id": ("str", "account_id"),
            "name": ("str", "name"),
            "status": ("const", "ACTIVE"),
            "url_tags": ("str", "url_tags"),
            "link_url": ("str", "link_url"),
            "object_story_spec": ("story", "link_url"),
        },
        {
            **{k: v for k, v in _entity_filters("adcreative", {}).items() if "time" not in k},
            "status": ("'ACTIVE'", "str"),
            "adcreative.status": ("'ACTIVE'", "str"),
            "effective_status": ("'ACTIVE'", "str"),
        },
        has_effective_status=False,
    ),
}
_NODE_TYPES = {edge.node_type: edge for edge in EDGES.values()}

ACCOUNT_FIELDS = (
    "id",
    "account_id",
    "name",
    "currency",
    "timezone_name",
    "timezone_offset_hours_utc",
    "account_status",
    "amount_spent",
    "business_country_code",
    "created_time",
)
INSIGHT_FIELDS = {
    "account_id",
    "account_name",
    "account_currency",
    "campaign_id",
    "campaign_name",
    "adset_id",
    "adset_name",
    "ad_id",
    "ad_name",
    "objective",
    "date_start",
    "date_stop",
    "impressions",
    "clicks",
    "spend",
    "cpc",
    "cpm",
    "ctr",
    "actions",
    "cost_per_action_type",
}
LEVEL_COLUMNS = {
    "ad": ("account_id", "campaign_id", "adset_id", "ad_id"),
    "adset": ("account_id", "campaign_id", "adset_id"),
    "campaign": ("account_id", "campaign_id"),
    "account": ("account_id",),
}
_NAMES = {"campaign_id": "campaign_name", "adset_id": "adset_name", "ad_id": "ad_name"}
_DEFAULT_INSIGHT_FIELDS = ["impressions", "spend"]


@dataclass
class InsightsQuery:
    """What an insights request asks for, validated."""

    level: str
    since: date
    until: date
    increment: str  # "1".."90", "monthly" or "all_days"
    fields: list[str]
    windows: list[str] | None
    filtering: Any

    @property
    def days(self) -> int:
        """Days in the time range."""
        return (self.until - self.since).days + 1


@dataclass
class ReportRun:
    """An async insights job: its rows (computed when created) and where its polls are."""

    id: str
    account_id: str
    query: InsightsQuery
    rows: list[dict[str, Any]]
    schedule: tuple[tuple[str, int], ...]
    created: datetime
    polls: int = 0
    completed_at: datetime | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def advance(self) -> tuple[str, int]:
        """Count one poll and return the status it reports."""
        with self.lock:
            self.polls += 1
            status, percent = self.schedule[min(self.polls, len(self.schedule)) - 1]
            if status == "Job Completed" and self.completed_at is None:
                self.completed_at = datetime.now(UTC)
            return status, percent

    def current(self) -> tuple[str, int]:
        """Return the status of the last poll (or of the first one, before any)."""
        with self.lock:
            return self.schedule[max(0, min(self.polls, len(self.schedule)) - 1)]


class FacebookAdsApi:
    """The endpoints over one `WorldState`; every method runs in a worker thread."""

    def __init__(
        self,
        state: WorldState,
        plan: FaultPlan,
        report_schedule: Sequence[tuple[str, int]] = DEFAULT_REPORT_SCHEDULE,
        sync_max_days: int | None = 90,
    ) -> None:
        self.state = state
        self.plan = plan
        self.report_schedule = tuple((str(s), int(p)) for s, p in report_schedule)
        if not self.report_schedule:
            raise ValueError("the report schedule needs at least one step")
        self.sync_max_days = sync_max_days
        self.runs: OrderedDict[str, ReportRun] = OrderedDict()
        self._runs_lock = threading.Lock()
        self._run_ids = itertools.count(1)

    # --- lookups ------------------------------------------------------------------------------

    def accounts(self) -> dict[str, dict[str, Any]]:
        """Return the ad accounts as of the moment, by account id."""
        table = self.state.table("facebook_ads/ad_accounts")
        rows = self.state.fetch(f"select * from {table} order by account_id")
        return {row["account_id"]: row for row in rows}

    def account(self, account_id: str) -> dict[str, Any]:
        """One ad account, or the Graph API's error for an unknown one."""
        row = self.accounts().get(account_id)
        if row is None:
            raise _no_object(f"act_{account_id}")
        return row

    def account_of(self, node_id: str) -> str | None:
        """Return the account a node (report run, campaign, ad set, ad, creative) belongs to."""
        if node_id.startswith("act_"):
            return node_id[4:]
        with self._runs_lock:
            run = self.runs.get(node_id)
        if run is not None:
            return run.account_id
        found = self._find_node(node_id)
        return found[1]["account_id"] if found else None

    def _find_node(self, node_id: str) -> tuple[_Edge, dict[str, Any]] | None:
        if not node_id.isdigit():
            return None
        for edge in EDGES.values():
            rows = self.state.fetch(
                f"select * from ({self._edge_source(edge)}) where id = ?", [node_id]
            )
            if rows:
                return edge, rows[0]
        return None

    def _run(self, run_id: str) -> ReportRun:
        with self._runs_lock:
            run = self.runs.get(run_id)
        if run is None:
            raise _no_object(run_id)
        return run

    # --- objects ------------------------------------------------------------------------------

    def _edge_source(self, edge: _Edge) -> str:
        t = self.state.table
        if edge.name == "campaigns":
            return f"select *, status as effective_status from {t('facebook_ads/campaigns')}"
        if edge.name == "adsets":
            return (
                "select s.*, case when s.status = 'ACTIVE' and coalesce(c.status, 'ACTIVE') "
                "<> 'ACTIVE' then 'CAMPAIGN_PAUSED' else s.status end as effective_status "
                f"from {t('facebook_ads/ad_sets')} s "
                f"left join {t('facebook_ads/campaigns')} c on c.id = s.campaign_id"
            )
        if edge.name == "ads":
            return (
                "select a.*, case when a.status <> 'ACTIVE' then a.status "
                "when coalesce(c.status, 'ACTIVE') <> 'ACTIVE' then 'CAMPAIGN_PAUSED' "
                "when coalesce(s.status, 'ACTIVE') <> 'ACTIVE' then 'ADSET_PAUSED' "
                "else 'ACTIVE' end as effective_status "
                f"from {t('facebook_ads/ads')} a "
                f"left join {t('facebook_ads/ad_sets')} s on s.id = a.adset_id "
                f"left join {t('facebook_ads/campaigns')} c on c.id = a.campaign_id"
            )
        return f"select * from {t('facebook_ads/ad_creatives')}"

    @staticmethod
    def _chosen(fields: list[str], known: Sequence[str], node_type: str) -> list[str]:
        for name in fields:
            if name not in known:
                raise _param_error(
                    f"Tried accessing nonexisting field ({name}) on node type ({node_type})"
                )
        return list(dict.fromkeys(["id", *fields]))

    @staticmethod
    def _render(edge: _Edge, row: dict[str, Any], chosen: list[str], zone: ZoneInfo) -> dict:
        record: dict[str, Any] = {}
        for name in chosen:
            kind, column = edge.fields[name]
            if kind == "const":
                record[name] = column
            elif kind == "time":
                record[name] = graph_time(row[column], zone)
            elif kind == "ref":
                record[name] = {"id": row[column]}
            elif kind == "story":
                record[name] = {"link_data": {"link": row[column]}}
            else:
                record[name] = row[column]
        return {key: value for key, value in record.items() if value is not None}

    def _render_account(self, row: dict[str, Any], chosen: list[str]) -> dict[str, Any]:
        zone = ZoneInfo(row["timezone_name"])
        values: dict[str, Any] = {
            "id": f"act_{row['account_id']}",
            "account_id": row["account_id"],
            "name": row["name"],
            "currency": row["currency"],
            "timezone_name": row["timezone_name"],
            "account_status": 1,
            "business_country_code": {"USD": "US", "GBP": "GB", "EUR": "DE"}.get(
                row["currency"], "US"
            ),
            "created_time": graph_time(row["_version_at"], zone),
        }
        if "timezone_offset_hours_utc" in chosen:
            offset = self.state.moment.astimezone(zone).utcoffset() or timedelta(0)
            values["timezone_offset_hours_utc"] = offset.total_seconds() / 3600
        if "amount_spent" in chosen:
            table = self.state.table("facebook_ads/insights")
            spent = self.state.fetch(
                f"select coalesce(sum(spend), 0) as spent from {table} where account_id = ?",
                [row["account_id"]],
            )[0]["spent"]
            values["amount_spent"] = str(int(Decimal(spent) * 100))
        return {name: values[name] for name in chosen}

    def node(self, request: Request, params: dict[str, str]) -> Response:
        """GET /<node id>: an ad account, a report run, or a campaign / ad set / ad / creative."""
        node_id = request.path_params["node_id"]
        fields = parse_fields(params.get("fields"))
        if node_id.startswith("act_"):
            row = self.account(node_id[4:])
            chosen = self._chosen(fields, ACCOUNT_FIELDS, "AdAccount")
            if not fields:
                chosen = ["id", "account_id"]
            return JSONResponse(self._render_account(row, chosen))
        with self._runs_lock:
            run = self.runs.get(node_id)
        if run is not None:
            return JSONResponse(self._report_status(run, fields))
        found = self._find_node(node_id)
        if found is None:
            raise _no_object(node_id)
        edge, row = found
        zone = ZoneInfo(self.account(row["account_id"])["timezone_name"])
        chosen = self._chosen(fields, list(edge.fields), edge.node_type)
        return JSONResponse(self._render(edge, row, chosen, zone))

    def me_adaccounts(self, request: Request, params: dict[str, str]) -> Response:
        """GET /me/adaccounts."""
        fields = parse_fields(params.get("fields"))
        chosen = self._chosen(fields, ACCOUNT_FIELDS, "AdAccount")
        if not fields:
            chosen = ["account_id", "id"]
        table = self.state.table("facebook_ads/ad_accounts")
        rows, more = self._keyset(
            f"select *, lpad(account_id, 20, '0') as _k from {table}",
            [],
            [],
            params,
            self._take_repeat(request, params),
        )
        data = [self._render_account(row, chosen) for row in rows]
        return JSONResponse(self._paged(request, data, rows, more))

    def edge(self, request: Request, params: dict[str, str]) -> Response:
        """GET /act_<id>/campaigns|adsets|ads|adcreatives."""
        edge = EDGES.get(request.path_params["edge"])
        if edge is None:
            raise GraphError(
                f"(#100) Tried accessing nonexisting field ({request.path_params['edge']}) "
                "on node type (AdAccount)",
                100,
            )
        account = self.account(request.path_params["account_id"])
        zone = ZoneInfo(account["timezone_name"])
        chosen = self._chosen(parse_fields(params.get("fields")), list(edge.fields), edge.node_type)
        where, args = ["account_id = ?"], [account["account_id"]]
        clauses, values = compile_filtering(
            _json_param(params.get("filtering"), "filtering"), edge.filters
        )
        where += clauses
        args += values
        statuses = _list_param(params.get("effective_status"), "effective_status")
        if statuses:
            unknown = [s for s in statuses if s not in EFFECTIVE_STATUSES]
            if unknown:
                choices = ", ".join(sorted(EFFECTIVE_STATUSES))
                raise _param_error(f"Param effective_status[0] must be one of {{{choices}}}")
            column = "effective_status" if edge.has_effective_status else "'ACTIVE'"
            where.append(f"{column} in ({', '.join('?' for _ in statuses)})")
            args += statuses
        source = f"select *, lpad(id, 20, '0') as _k from ({self._edge_source(edge)})"
        rows, more = self._keyset(source, where, args, params, self._take_repeat(request, params))
        data = [self._render(edge, row, chosen, zone) for row in rows]
        answer = self._paged(request, data, rows, more)
        if params.get("summary") in ("true", "1", "total_count", '["total_count"]'):
            total = self.state.fetch(
                f"select count(*) as n from ({source}) where {' and '.join(where)}", args
            )[0]["n"]
            answer["summary"] = {"total_count": total}
        return JSONResponse(answer)

    # --- paging -------------------------------------------------------------------------------

    def _take_repeat(self, request: Request, params: dict[str, str]) -> bool:
        return bool(params.get("after")) and (
            self.plan.take(request.url.path, {"repeat_record"}) is not None
        )

    def _keyset(
        self,
        source: str,
        where: list[str],
        args: list[Any],
        params: dict[str, str],
        repeat: bool,
    ) -> tuple[list[dict[str, Any]], bool]:
        """One page of `source` (which has a sortable string key `_k`) after the cursor."""
        limit = _limit(params)
        clauses, values = list(where), list(args)
        after = params.get("after")
        if after:
            clauses.append(f"_k {'>=' if repeat else '>'} ?")
            values.append(_decode_cursor(after))
        take = limit + (1 if repeat and after else 0)
        sql = (
            f"select * from ({source}) "
            + (f"where {' and '.join(clauses)} " if clauses else "")
            + f"order by _k limit {take + 1}"
        )
        rows = self.state.fetch(sql, values)
        return rows[:take], len(rows) > take

    @staticmethod
    def _paged(
        request: Request, data: list[dict], rows: list[dict[str, Any]], more: bool
    ) -> dict[str, Any]:
        answer: dict[str, Any] = {"data": data}
        if rows:
            after = _encode_cursor(rows[-1]["_k"])
            answer["paging"] = {
                "cursors": {"before": _encode_cursor(rows[0]["_k"]), "after": after}
            }
            if more:
                url = request.url.remove_query_params("before")
                answer["paging"]["next"] = str(url.include_query_params(after=after))
        return answer

    # --- insights -----------------------------------------------------------------------------

    def parse_insights(self, account: dict[str, Any], params: dict[str, str]) -> InsightsQuery:
        """Validate an insights request's parameters."""
        level = params.get("level") or "account"
        if level not in LEVEL_COLUMNS:
            raise _param_error("Param level must be one of {ad, adset, campaign, account}")
        fields = parse_fields(params.get("fields")) or list(_DEFAULT_INSIGHT_FIELDS)
        for name in fields:
            if name not in INSIGHT_FIELDS:
                raise _param_error(
                    f"{name} is not valid for fields param. please check "
                    "https://developers.facebook.com/docs/marketing-api/reference/ads-insights/ "
                    "for all valid values"
                )
        increment = str(params.get("time_increment") or "all_days")
        if increment not in ("monthly", "all_days") and not (
            increment.isdigit() and 1 <= int(increment) <= 90
        ):
            raise _param_error("Param time_increment must be all_days, monthly or 1 to 90")
        windows = None
        if params.get("action_attribution_windows"):
            windows = _list_param(
                params["action_attribution_windows"], "action_attribution_windows"
            )
            bad = [w for w in windows if w not in ATTRIBUTION_WINDOWS]
            if bad:
                raise _param_error(
                    f"Param action_attribution_windows[0] must be one of "
                    f"{{{', '.join(sorted(ATTRIBUTION_WINDOWS))}}}"
                )
        since, until = self._range(account, params)
        return InsightsQuery(
            level,
            since,
            until,
            increment,
            fields,
            windows,
            _json_param(params.get("filtering"), "filtering"),
        )

    def _range(self, account: dict[str, Any], params: dict[str, str]) -> tuple[date, date]:
        raw = params.get("time_range")
        if raw:
            value = _json_param(raw, "time_range")
            if not isinstance(value, dict) or not {"since", "until"} <= set(value):
                raise _param_error("Param time_range must be a JSON object with since and until")
            since, until = _parse_day(value["since"], "since"), _parse_day(value["until"], "until")
            if since > until:
                raise _param_error("Param time_range: since must not be after until")
            return since, until
        today = self.state.moment.astimezone(ZoneInfo(account["timezone_name"])).date()
        preset = params.get("date_preset") or "last_30d"
        if preset == "today":
            return today, today
        if preset == "yesterday":
            return today - timedelta(days=1), today - timedelta(days=1)
        if preset == "this_month":
            return today.replace(day=1), today
        if preset == "last_month":
            end = today.replace(day=1) - timedelta(days=1)
            return end.replace(day=1), end
        if preset == "maximum":
            start = date.fromisoformat(self.state.meta["history_start"])
            return start, today
        match = re.fullmatch(r"last_(\d+)d", preset)
        if match and int(match.group(1)) in (3, 7, 14, 28, 30, 90):
            return today - timedelta(days=int(match.group(1))), today - timedelta(days=1)
        raise _param_error(f"Param date_preset is not a supported preset: {preset}")

    def insights_sql(self, account_id: str, query: InsightsQuery) -> tuple[str, list[Any]]:
        """Build the SQL of an insights report: a row per object and period, keyed by `_k`."""
        t = self.state.table
        level_cols = LEVEL_COLUMNS[query.level]
        since, until = f"date '{query.since.isoformat()}'", f"date '{query.until.isoformat()}'"
        if query.increment == "all_days":
            start, stop = since, until
        elif query.increment == "monthly":
            start = f"greatest(cast(date_trunc('month', date_start) as date), {since})"
            stop = f"least(last_day(date_start), {until})"
        else:
            n = int(query.increment)
            start = f"({since} + cast(datediff('day', {since}, date_start) // {n} * {n} as int))"
            stop = f"least({start} + {n - 1}, {until})"
        row_filters = {
            "ad.id": ("i.ad_id", "str"),
            "adset.id": ("i.adset_id", "str"),
            "campaign.id": ("i.campaign_id", "str"),
            "ad.name": ("a.name", "str"),
            "adset.name": ("s.name", "str"),
            "campaign.name": ("c.name", "str"),
            "campaign.objective": ("c.objective", "str"),
            "ad.effective_status": (
                "case when a.status <> 'ACTIVE' then a.status when c.status <> 'ACTIVE' "
                "then 'CAMPAIGN_PAUSED' when s.status <> 'ACTIVE' then 'ADSET_PAUSED' "
                "else 'ACTIVE' end",
                "str",
            ),
            "adset.effective_status": (
                "case when s.status = 'ACTIVE' and c.status <> 'ACTIVE' "
                "then 'CAMPAIGN_PAUSED' else s.status end",
                "str",
            ),
            "campaign.effective_status": ("c.status", "str"),
        }
        metric_filters = {name: (name, "num") for name in ("impressions", "clicks", "spend")} | {
            f"ad.{name}": (name, "num") for name in ("impressions", "clicks", "spend")
        }
        rules = query.filtering or []
        if not isinstance(rules, list):
            raise _param_error("Param filtering must be an array")
        row_rules = [r for r in rules if isinstance(r, dict) and r.get("field") in row_filters]
        metric_rules = [r for r in rules if r not in row_rules]
        row_clauses, row_args = compile_filtering(row_rules, row_filters)
        metric_clauses, metric_args = compile_filtering(metric_rules or None, metric_filters)
        names = [f"any_value({_NAMES[c]}) as {_NAMES[c]}" for c in level_cols if c in _NAMES]
        key_id = level_cols[-1]
        sql = f"""
            select * from (
            select {", ".join(level_cols)}, {", ".join([*names, ""])}
                b_start as date_start, b_stop as date_stop,
                sum(impressions) as impressions, sum(clicks) as clicks, sum(spend) as spend,
                sum(leads_7d_click) as leads_7d_click, sum(leads_1d_view) as leads_1d_view,
                any_value(objective) as objective,
                strftime(b_start, '%Y-%m-%d') || '|' || lpad({key_id}, 20, '0') as _k
            from (
                select i.*, a.name as ad_name, s.name as adset_name, c.name as campaign_name,
                    c.objective as objective, {start} as b_start, {stop} as b_stop
                from {t("facebook_ads/insights")} i
                left join {t("facebook_ads/ads")} a on a.id = i.ad_id
                left join {t("facebook_ads/ad_sets")} s on s.id = i.adset_id
                left join {t("facebook_ads/campaigns")} c on c.id = i.campaign_id
                where i.account_id = ? and i.date_start between {since} and {until}
                    and (i.impressions <> 0 or i.clicks <> 0 or i.spend <> 0
                        or i.leads_7d_click <> 0 or i.leads_1d_view <> 0)
                    {"".join(f" and {c}" for c in row_clauses)}
            )
            group by {", ".join(level_cols)}, b_start, b_stop
            ) {("where " + " and ".join(metric_clauses)) if metric_clauses else ""}
        """
        return sql, [account_id, *row_args, *metric_args]

    @staticmethod
    def insight_row(
        row: dict[str, Any], query: InsightsQuery, account: dict[str, Any]
    ) -> dict[str, Any]:
        """One insights row as Meta sends it: numbers as strings, `actions` only when any."""
        impressions, clicks = int(row["impressions"]), int(row["clicks"])
        spend = Decimal(row["spend"])
        click_leads, view_leads = int(row["leads_7d_click"]), int(row["leads_1d_view"])
        leads = click_leads + view_leads
        out: dict[str, Any] = {}
        for name in query.fields:
            if name in ("account_name", "account_currency"):
                out[name] = account["name" if name == "account_name" else "currency"]
            elif name in ("date_start", "date_stop"):
                continue
            elif name.endswith(("_id", "_name")) or name == "objective":
                if row.get(name) is not None:
                    out[name] = row[name]
            elif name in ("impressions", "clicks"):
                out[name] = str(impressions if name == "impressions" else clicks)
            elif name == "spend":
                out[name] = money(spend)
            elif name == "cpc" and clicks:
                out[name] = ratio(float(spend) / clicks)
            elif name == "cpm" and impressions:
                out[name] = ratio(float(spend) * 1000 / impressions)
            elif name == "ctr" and impressions:
                out[name] = ratio(clicks * 100 / impressions)
            elif name == "actions" and leads:
                action = {"action_type": "lead", "value": str(leads)}
                for window in query.windows or []:
                    if window == "7d_click":
                        action[window] = str(click_leads)
                    elif window == "1d_view":
                        action[window] = str(view_leads)
                    elif window == "default":
                        action[window] = str(leads)
                out[name] = [action]
            elif name == "cost_per_action_type" and leads:
                out[name] = [{"action_type": "lead", "value": ratio(float(spend) / leads)}]
        out["date_start"] = row["date_start"].isoformat()
        out["date_stop"] = row["date_stop"].isoformat()
        return out

    def insights(self, request: Request, params: dict[str, str]) -> Response:
        """GET /act_<id>/insights (synchronous) or POST (creates an async report run)."""
        account = self.account(request.path_params["account_id"])
        query = self.parse_insights(account, params)
        if request.method == "POST":
            return JSONResponse({"report_run_id": self.create_run(request, account, query)})
        sql, args = self.insights_sql(account["account_id"], query)
        if self.sync_max_days is not None and query.days > self.sync_max_days:
            raise GraphError(
                "Please reduce the amount of data you're asking for, then retry your request",
                1,
                status=500,
            )
        rows, more = self._keyset(sql, [], args, params, self._take_repeat(request, params))
        data = [self.insight_row(row, query, account) for row in rows]
        return JSONResponse(self._paged(request, data, rows, more))

    # --- async report runs --------------------------------------------------------------------

    def create_run(self, request: Request, account: dict[str, Any], query: InsightsQuery) -> str:
        """Compute the report's rows now and register a run that completes over a few polls."""
        sql, args = self.insights_sql(account["account_id"], query)
        rows = self.state.fetch(f"select * from ({sql}) order by _k", args)
        schedule = self.report_schedule
        fault = self.plan.take(request.url.path, {"stuck_report", "failed_report"})
        if fault is not None and fault.kind == "stuck_report":
            polls = fault.options.get("polls")
            stuck = (("Job Running", 100),) * int(polls or 1)
            schedule = (*stuck, ("Job Completed", 100)) if polls else stuck
        elif fault is not None:
            steps = [s for s in schedule if s[0] != "Job Completed"] or [("Job Running", 0)]
            schedule = (*steps, ("Job Failed", steps[-1][1]))
        run_id = str(6_120_000_000_000 + next(self._run_ids))
        run = ReportRun(
            run_id,
            account["account_id"],
            query,
            [self.insight_row(row, query, account) for row in rows],
            schedule,
            datetime.now(UTC),
        )
        with self._runs_lock:
            self.runs[run_id] = run
            while len(self.runs) > MAX_RUNS:
                self.runs.popitem(last=False)
        return run_id

    def _report_status(self, run: ReportRun, fields: list[str]) -> dict[str, Any]:
        status, percent = run.advance()
        values: dict[str, Any] = {
            "id": run.id,
            "account_id": run.account_id,
            "time_ref": int(run.created.timestamp()),
            "time_completed": int(run.completed_at.timestamp()) if run.completed_at else 0,
            "async_status": status,
            "async_percent_completion": percent,
            "date_start": run.query.since.isoformat(),
            "date_stop": run.query.until.isoformat(),
            "emails": [],
            "friendly_name": "",
            "is_bookmarked": False,
            "is_running": status in ("Job Not Started", "Job Started", "Job Running"),
            "schedule_id": "0",
        }
        if status == "Job Failed":
            values["error_code"] = 2601
            values["error_message"] = "Error accessing adreport job."
        chosen = self._chosen(fields, list(values), "AdReportRun")
        if not fields:
            chosen = [
                "id",
                "account_id",
                "time_ref",
                "time_completed",
                "async_status",
                "async_percent_completion",
                "date_start",
                "date_stop",
            ]
            chosen += [k for k in ("error_code", "error_message") if k in values]
        return {name: values[name] for name in chosen}

    def run_insights(self, request: Request, params: dict[str, str]) -> Response:
        """GET /<report run id>/insights: the rows of a completed run, paged."""
        run = self._run(request.path_params["node_id"])
        status, _ = run.current()
        if status == "Job Failed":
            raise GraphError("(#2601) Error accessing adreport job.", 2601)
        if status != "Job Completed":
            raise _param_error(
                f"The report run {run.id} is not complete yet (async_status: {status}); poll "
                "it until Job Completed"
            )
        limit = _limit(params)
        after = params.get("after")
        start = 0
        if after:
            raw = _decode_cursor(after)
            if not raw.isdigit():
                raise _param_error(f"Invalid cursor: {after}")
            start = int(raw) + 1
            if self._take_repeat(request, params):
                start -= 1
                limit += 1
        page = run.rows[start : start + limit]
        answer: dict[str, Any] = {"data": page}
        if page:
            last = start + len(page) - 1
            answer["paging"] = {
                "cursors": {
                    "before": _encode_cursor(str(start)),
                    "after": _encode_cursor(str(last)),
                }
            }
            if last + 1 < len(run.rows):
                answer["paging"]["next"] = str(
                    request.url.include_query_params(after=_encode_cursor(str(last)))
                )
        return JSONResponse(answer)


# --- the app ------------------------------------------------------------------------------------


class _Limits:
    """Per-account rolling limits, one set for management calls and one for insights."""

    def __init__(self, rate_limit: tuple[int, float], insights_rate_limit: tuple[int, float]):
        self.specs = {"management": rate_limit, "insights": insights_rate_limit}
        self._limits: dict[tuple[str, str], RollingLimit] = {}
        self._lock = threading.Lock()

    def take(self, kind: str, key: str) -> tuple[bool, int, float, RollingLimit]:
        with self._lock:
            limiter = self._limits.get((kind, key))
            if limiter is None:
                limiter = self._limits[(kind, key)] = RollingLimit(*self.specs[kind])
        allowed, remaining, wait = limiter.take()
        return allowed, remaining, wait, limiter


def usage_headers(
    kind: str, account_id: str | None, limiter: RollingLimit, remaining: int, wait: float
) -> dict[str, str]:
    """Return the usage headers Meta sends, from a rolling limit's state (percent used)."""
    pct = 100 if wait > 0 else math.ceil(100 * (limiter.limit - remaining) / limiter.limit)
    if account_id is None:
        usage = {"call_count": pct, "total_cputime": pct // 2, "total_time": pct // 2}
        return {"X-App-Usage": json.dumps(usage)}
    regain = math.ceil(wait / 60) if wait > 0 else 0
    buc = {
        account_id: [
            {
                "type": "ads_insights" if kind == "insights" else "ads_management",
                "call_count": pct,
                "total_cputime": pct // 2,
                "total_time": pct // 2,
                "estimated_time_to_regain_access": regain,
                "ads_api_access_tier": ACCESS_TIER,
            }
        ]
    }
    headers = {
        "X-Business-Use-Case-Usage": json.dumps(buc),
        "X-Ad-Account-Usage": json.dumps(
            {
                "acc_id_util_pct": pct,
                "reset_time_duration": math.ceil(wait) if wait > 0 else 0,
                "ads_api_access_tier": ACCESS_TIER,
            }
        ),
    }
    if kind == "insights":
        headers["X-FB-Ads-Insights-Throttle"] = json.dumps(
            {"app_id_util_pct": pct, "acc_id_util_pct": pct, "ads_api_access_tier": ACCESS_TIER}
        )
    return headers


def _version_error(version: str, expected: str) -> GraphError:
    if re.fullmatch(r"v\d+\.\d+", version):
        return GraphError(
            f"(#2635) You are calling a deprecated version of the Ads API. Please update to the "
            f"latest version: {expected}.",
            2635,
        )
    return GraphError(f"Unknown path components: /{version}", 2500)


async def _params(request: Request) -> dict[str, str]:
    """Query parameters merged with a POST body (form-encoded, as the SDKs send, or JSON)."""
    params = dict(request.query_params)
    if request.method == "POST":
        body = await request.body()
        if body:
            if "json" in request.headers.get("content-type", ""):
                try:
                    loaded = json.loads(body)
                except ValueError as exc:
                    raise _param_error("The request body is not valid JSON") from exc
                if isinstance(loaded, dict):
                    for key, value in loaded.items():
                        params[key] = value if isinstance(value, str) else json.dumps(value)
            else:
                params.update(parse_qsl(body.decode(), keep_blank_values=True))
    return params


def _token(request: Request, params: dict[str, str]) -> str | None:
    token = params.pop("access_token", None)
    if token:
        return token
    header = request.headers.get("authorization", "")
    for scheme in ("Bearer ", "OAuth "):
        if header.startswith(scheme):
            return header[len(scheme) :].strip()
    return None


def create_app(
    state: WorldState,
    plan: FaultPlan,
    token: str = DEFAULT_TOKEN,
    version: str = API_VERSION,
    rate_limit: tuple[int, float] = (300, 60.0),
    insights_rate_limit: tuple[int, float] = (120, 60.0),
    report_schedule: Sequence[tuple[str, int]] = DEFAULT_REPORT_SCHEDULE,
    sync_max_days: int | None = 90,
) -> Callable:
    """Return the Marketing API ASGI app over `state`, with `plan`'s faults applied.

    `rate_limit` / `insights_rate_limit` are the per-account rolling (calls, seconds) windows of
    management and insights calls; `report_schedule` is the (async_status, percent) each poll
    of a report run reports in turn (the last step repeats); `sync_max_days` is the longest
    time range the synchronous insights call answers (None: any).
    """
    api = FacebookAdsApi(state, plan, report_schedule, sync_max_days)
    limits = _Limits(rate_limit, insights_rate_limit)

    def endpoint(handler: Callable[[Request, dict[str, str]], Response], kind: str) -> Callable:
        async def route(request: Request) -> Response:
            try:
                if request.path_params["version"] != version:
                    raise _version_error(request.path_params["version"], version)
                params = await _params(request)
                if _token(request, params) != token:
                    raise _invalid_token()
                if plan.take(request.url.path, {"expired_token"}) is not None:
                    raise _expired_token()
                node = request.path_params.get("node_id")
                account_id = request.path_params.get("account_id")
                if account_id is None and node is not None:
                    account_id = await run_in_threadpool(api.account_of, node)
                allowed, remaining, wait, limiter = limits.take(kind, account_id or "app")
                headers = usage_headers(kind, account_id, limiter, remaining, wait)
                fault = plan.take(request.url.path, {"throttle"})
                if fault is not None:
                    code = int(fault.options.get("code", 17))
                    headers = usage_headers(kind, account_id, limiter, 0, 60.0)
                    response = graph_error(throttle_error(code))
                elif not allowed:
                    code = 80000 if kind == "insights" and account_id else 17
                    response = graph_error(throttle_error(code))
                else:
                    response = await run_in_threadpool(handler, request, params)
                    response.headers["x-fb-trace-id"] = fbtrace_id()
                response.headers.update(headers)
                return response
            except GraphError as exc:
                return graph_error(exc)

        return route

    prefix = "/{version}"
    routes = [
        *admin_routes(state, plan),
        Route(f"{prefix}/me/adaccounts", endpoint(api.me_adaccounts, "management")),
        Route(
            f"{prefix}/act_{{account_id}}/insights",
            endpoint(api.insights, "insights"),
            methods=["GET", "POST"],
        ),
        Route(f"{prefix}/act_{{account_id}}/{{edge}}", endpoint(api.edge, "management")),
        Route(f"{prefix}/{{node_id}}/insights", endpoint(api.run_insights, "insights")),
        Route(f"{prefix}/{{node_id}}", endpoint(api.node, "management")),
    ]
    app = Starlette(routes=routes)
    app.router.redirect_slashes = False
    return fault_middleware(plan, error_body)(app)


def start(world_dir: Path, moment: datetime | None = None, **kw: Any) -> ServerHandle:
    """Serve the Marketing API over `world_dir` on 127.0.0.1; the handle carries `.state`, `.plan`.

    Keyword arguments go to `create_app` (token, version, rate_limit, insights_rate_limit,
    report_schedule, sync_max_days).
    """
    state = WorldState(Path(world_dir), moment)
    plan = FaultPlan()
    handle = serve(create_app(state, plan, **kw))
    handle.state = state
    handle.plan = plan
    return handle
