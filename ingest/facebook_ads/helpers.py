"""Meta Marketing API helpers: the paginator, error verdicts, throttle waits, Arrow pages."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pyarrow as pa
from dlt.sources.helpers.rest_client.paginators import JSONLinkPaginator
from requests import Response

from ingest._transport import RateLimiter, Verdict
from ingest.facebook_ads.settings import NAME

TIMESTAMP = pa.timestamp("us", tz="UTC")
MONEY = pa.decimal128(18, 2)
GRAPH_TIME = "%Y-%m-%dT%H:%M:%S%z"

THROTTLE_CODES = frozenset({4, 17, 32, 613, *range(80000, 80015)})
"""Graph error codes that mean "too many calls, wait": app, user, page, ad-account and
business-use-case limits (sent as HTTP 400 or 403, not 429)."""
AUTH_CODES = frozenset({102, 190})
"""Graph error codes of a refused, expired or invalidated access token."""


class NextLink(JSONLinkPaginator):
    """Graph API paging: the full URL in `paging.next`, followed until one comes round again."""

    def __init__(self) -> None:
        super().__init__(next_url_path="paging.next")
        self._followed: set[str] = set()

    def update_state(self, response: Response, data: list[Any] | None = None) -> None:
        """Take `paging.next`, unless that page was already read."""
        super().update_state(response, data)
        if self._next_reference in self._followed:
            self._next_reference = None
        elif self._next_reference is not None:
            self._followed.add(self._next_reference)


# --- errors and throttling ---------------------------------------------------------------------


def graph_error(body: bytes) -> dict[str, Any]:
    """Return the `error` object of a Graph API error body (empty when there is none)."""
    try:
        error = json.loads(body).get("error")
    except (ValueError, AttributeError):
        return {}
    return error if isinstance(error, dict) else {}


def _header_json(headers: Any, name: str) -> Any:
    raw = (headers or {}).get(name)
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def throttle_hint(headers: Any) -> float:
    """Seconds the usage headers say to wait before calling again (0 when they do not say).

    `X-Ad-Account-Usage` `reset_time_duration` is in seconds and preferred; otherwise the
    largest `estimated_time_to_regain_access` (minutes) of `X-Business-Use-Case-Usage`.
    """
    account = _header_json(headers, "X-Ad-Account-Usage")
    if isinstance(account, dict):
        try:
            seconds = float(account.get("reset_time_duration") or 0)
        except (TypeError, ValueError):
            seconds = 0.0
        if seconds > 0:
            return seconds
    usage = _header_json(headers, "X-Business-Use-Case-Usage")
    minutes = 0.0
    if isinstance(usage, dict):
        for entries in usage.values():
            for entry in entries if isinstance(entries, list) else []:
                try:
                    minutes = max(minutes, float(entry.get("estimated_time_to_regain_access", 0)))
                except (TypeError, ValueError, AttributeError):
                    continue
    return minutes * 60


def make_classify(
    limiter: RateLimiter, max_throttle_wait: float
) -> Callable[[int, Any, bytes], Verdict]:
    """Return the `Transport` classifier for Graph API answers, holding `limiter` when throttled.

    Throttling (codes 4, 17, 32, 613, 80000-80014, or a 429) is retried after the wait the usage
    headers name; a wait longer than `max_throttle_wait` seconds means the allowance is spent for
    now ("quota"). Code 190 (bad, expired or invalidated token) asks for a refresh. Transient
    errors are retried; anything else falls to the status-based default.
    """

    def classify(status: int, headers: Any, body: bytes) -> Verdict:
        if status < 400:
            return None
        error = graph_error(body)
        code = error.get("code")
        if code in AUTH_CODES:
            return "refresh"
        if code in THROTTLE_CODES or status == 429:
            seconds = throttle_hint(headers)
            if seconds > max_throttle_wait:
                return "quota"
            if seconds > 0:
                limiter.penalise(seconds)
            return "retry"
        if error.get("is_transient") is True:
            return "retry"
        return None

    return classify


# --- dates --------------------------------------------------------------------------------------


def graph_timestamp(text: str | None) -> datetime | None:
    """Parse a Graph API time (`2025-08-26T17:00:00-0700`) into an aware UTC datetime."""
    if not text:
        return None
    return datetime.strptime(text, GRAPH_TIME).astimezone(UTC)


# --- Arrow tables -------------------------------------------------------------------------------


def _strings(values: Iterable[Any]) -> pa.Array:
    return pa.array([None if v is None else str(v) for v in values], pa.string())


def _ints(values: Iterable[Any], field: str) -> pa.Array:
    out = []
    for value in values:
        if value is None or value == "":
            out.append(None)
            continue
        number = Decimal(str(value))
        if number != number.to_integral_value():
            raise ValueError(f"{NAME}: {field} is not a whole number: {value!r}")
        out.append(int(number))
    return pa.array(out, pa.int64())


def _money(values: Iterable[Any]) -> pa.Array:
    # Decimal strings land as they are sent: a value with more than two places fails loudly.
    return pa.array([None if v in (None, "") else Decimal(str(v)) for v in values], MONEY)


def _dates(values: Iterable[Any]) -> pa.Array:
    return pa.array([None if v is None else date.fromisoformat(v) for v in values], pa.date32())


def _times(values: Iterable[str | None]) -> pa.Array:
    return pa.array([graph_timestamp(v) for v in values], TIMESTAMP)


def _key(name: str, kind: pa.DataType) -> pa.Field:
    return pa.field(name, kind, nullable=False)


ACCOUNT_FIELDS = (
    "account_id",
    "name",
    "currency",
    "timezone_name",
    "timezone_offset_hours_utc",
    "account_status",
    "business_country_code",
    "created_time",
)
"""Ad account fields read (besides `id`)."""


def accounts_table(records: list[dict[str, Any]]) -> pa.Table:
    """Ad accounts as a table: currency and time zone beside the ids."""
    schema = pa.schema(
        [
            _key("account_id", pa.string()),
            pa.field("id", pa.string()),
            pa.field("name", pa.string()),
            pa.field("currency", pa.string()),
            pa.field("timezone_name", pa.string()),
            pa.field("timezone_offset_hours_utc", pa.float64()),
            pa.field("account_status", pa.int64()),
            pa.field("business_country_code", pa.string()),
            pa.field("created_time", TIMESTAMP),
        ]
    )
    columns = [
        _strings(r["account_id"] for r in records),
        _strings(r.get("id") for r in records),
        _strings(r.get("name") for r in records),
        _strings(r.get("currency") for r in records),
        _strings(r.get("timezone_name") for r in records),
        pa.array([r.get("timezone_offset_hours_utc") for r in records], pa.float64()),
        _ints((r.get("account_status") for r in records), "account_status"),
        _strings(r.get("business_country_code") for r in records),
        _times(r.get("created_time") for r in records),
    ]
    return pa.Table.from_arrays(columns, schema=schema)


def _creative_link(record: dict[str, Any]) -> str | None:
    spec = record.get("object_story_spec") or {}
    link = (spec.get("link_data") or {}).get("link")
    if link:
        return link
    action = ((spec.get("video_data") or {}).get("call_to_action") or {}).get("value") or {}
    return action.get("link")


EDGES: dict[str, dict[str, Any]] = {
    "campaigns": {
        "edge": "campaigns",
        "fields": (
            "id,account_id,name,objective,status,configured_status,effective_status,"
            "buying_type,start_time,stop_time,created_time,updated_time"
        ),
        "strings": (
            "account_id",
            "name",
            "objective",
            "status",
            "configured_status",
            "effective_status",
            "buying_type",
        ),
        "times": ("start_time", "stop_time", "created_time", "updated_time"),
        "statuses": True,
    },
    "ad_sets": {
        "edge": "adsets",
        "fields": (
            "id,account_id,campaign_id,name,status,configured_status,effective_status,"
            "created_time,updated_time"
        ),
        "strings": (
            "account_id",
            "campaign_id",
            "name",
            "status",
            "configured_status",
            "effective_status",
        ),
        "times": ("created_time", "updated_time"),
        "statuses": True,
    },
    "ads": {
        "edge": "ads",
        "fields": (
            "id,account_id,campaign_id,adset_id,name,status,configured_status,"
            "effective_status,creative{id},created_time,updated_time"
        ),
        "strings": (
            "account_id",
            "campaign_id",
            "adset_id",
            "name",
            "status",
            "configured_status",
            "effective_status",
        ),
        "times": ("created_time", "updated_time"),
        "statuses": True,
    },
    "ad_creatives": {
        "edge": "adcreatives",
        "fields": "id,account_id,name,status,url_tags,object_story_spec",
        "strings": ("account_id", "name", "status", "url_tags"),
        "times": (),
        "statuses": False,
    },
}
"""The ad objects read: raw table name -> Graph edge, fields requested, column types."""


def entity_table(table: str, records: list[dict[str, Any]]) -> pa.Table:
    """Return a page of ad objects as a table typed per `EDGES[table]`."""
    spec = EDGES[table]
    fields = [_key("id", pa.string())]
    columns = [_strings(r["id"] for r in records)]
    for name in spec["strings"]:
        fields.append(pa.field(name, pa.string()))
        columns.append(_strings(r.get(name) for r in records))
    if table == "ads":
        fields.append(pa.field("creative_id", pa.string()))
        columns.append(_strings((r.get("creative") or {}).get("id") for r in records))
    if table == "ad_creatives":
        fields.append(pa.field("link_url", pa.string()))
        columns.append(_strings(_creative_link(r) for r in records))
    for name in spec["times"]:
        fields.append(pa.field(name, TIMESTAMP))
        columns.append(_times(r.get(name) for r in records))
    return pa.Table.from_arrays(columns, schema=pa.schema(fields))


INSIGHT_FIELDS = (
    "account_id",
    "account_currency",
    "campaign_id",
    "campaign_name",
    "adset_id",
    "adset_name",
    "ad_id",
    "ad_name",
    "objective",
    "impressions",
    "clicks",
    "spend",
    "actions",
    "action_values",
    "cost_per_action_type",
)
"""Insights fields requested (`date_start` / `date_stop` always come)."""

COST = pa.decimal128(18, 6)
"""Cost per action: Meta sends it as a ratio string with up to six decimals."""


def insights_table(
    rows: list[dict[str, Any]],
    account: dict[str, Any],
    lead_action_type: str,
    attribution_windows: Sequence[str],
) -> pa.Table:
    """Daily ad insights as a table: money as decimal, leads per attribution window.

    A row without `actions` (the API leaves it out when there are none) has zero leads.
    """
    leads: dict[str, list[Any]] = {"value": [], **{w: [] for w in attribution_windows}}
    for row in rows:
        found = next(
            (a for a in row.get("actions") or [] if a.get("action_type") == lead_action_type),
            {},
        )
        for key, values in leads.items():
            values.append(found.get(key, 0))
    currency, zone = account.get("currency"), account.get("timezone_name")
    fields = [
        _key("ad_id", pa.string()),
        _key("date_start", pa.date32()),
        pa.field("date_stop", pa.date32()),
        pa.field("account_id", pa.string()),
        pa.field("account_currency", pa.string()),
        pa.field("account_timezone", pa.string()),
        pa.field("campaign_id", pa.string()),
        pa.field("campaign_name", pa.string()),
        pa.field("adset_id", pa.string()),
        pa.field("adset_name", pa.string()),
        pa.field("ad_name", pa.string()),
        pa.field("objective", pa.string()),
        pa.field("impressions", pa.int64()),
        pa.field("clicks", pa.int64()),
        pa.field("spend", MONEY),
        pa.field("leads", pa.int64()),
        *(pa.field(f"leads_{w}", pa.int64()) for w in attribution_windows),
    ]
    columns = [
        _strings(r["ad_id"] for r in rows),
        _dates(r["date_start"] for r in rows),
        _dates(r.get("date_stop") for r in rows),
        _strings(r.get("account_id") or account["account_id"] for r in rows),
        _strings(r.get("account_currency") or currency for r in rows),
        _strings(zone for _ in rows),
        _strings(r.get("campaign_id") for r in rows),
        _strings(r.get("campaign_name") for r in rows),
        _strings(r.get("adset_id") for r in rows),
        _strings(r.get("adset_name") for r in rows),
        _strings(r.get("ad_name") for r in rows),
        _strings(r.get("objective") for r in rows),
        _ints((r.get("impressions") for r in rows), "impressions"),
        _ints((r.get("clicks") for r in rows), "clicks"),
        _money(r.get("spend") for r in rows),
        _ints(leads["value"], "actions.value"),
        *(_ints(leads[w], f"actions.{w}") for w in attribution_windows),
    ]
    return pa.Table.from_arrays(columns, schema=pa.schema(fields))


def _stats(row: dict[str, Any], field: str) -> dict[str, dict[str, Any]]:
    """One Ads Action Stats list of an insights row, by action type (empty when left out)."""
    found: dict[str, dict[str, Any]] = {}
    for entry in row.get(field) or []:
        kind = entry.get("action_type")
        if not kind:
            raise ValueError(
                f"{NAME}: an entry of {field} of ad {row.get('ad_id')} has no action_type"
            )
        found[str(kind)] = entry
    return found


def actions_table(
    rows: list[dict[str, Any]], account: dict[str, Any], attribution_windows: Sequence[str]
) -> pa.Table:
    """Every action type of each ad-day: count and value in total and per window, cost per action.

    One row per (`ad_id`, `date_start`, `action_type`) found in `actions` or `action_values`;
    counts are whole numbers, values and costs decimals in the account's currency. A window
    Meta leaves out of an entry (it sends windows past one day only for conversions) is null.
    """
    out: dict[str, list[Any]] = {
        "ad_id": [],
        "date_start": [],
        "action_type": [],
        "account_id": [],
        "account_currency": [],
        "action_count": [],
        "action_value": [],
        "cost_per_action": [],
        **{f"action_count_{w}": [] for w in attribution_windows},
        **{f"action_value_{w}": [] for w in attribution_windows},
    }
    currency = account.get("currency")
    for row in rows:
        counts = _stats(row, "actions")
        values = _stats(row, "action_values")
        costs = _stats(row, "cost_per_action_type")
        for kind in sorted(set(counts) | set(values)):
            count, value = counts.get(kind, {}), values.get(kind, {})
            out["ad_id"].append(row["ad_id"])
            out["date_start"].append(row["date_start"])
            out["action_type"].append(kind)
            out["account_id"].append(row.get("account_id") or account["account_id"])
            out["account_currency"].append(row.get("account_currency") or currency)
            out["action_count"].append(count.get("value", 0))
            out["action_value"].append(value.get("value"))
            out["cost_per_action"].append(costs.get(kind, {}).get("value"))
            for window in attribution_windows:
                out[f"action_count_{window}"].append(count.get(window))
                out[f"action_value_{window}"].append(value.get(window))
    fields = [
        _key("ad_id", pa.string()),
        _key("date_start", pa.date32()),
        _key("action_type", pa.string()),
        pa.field("account_id", pa.string()),
        pa.field("account_currency", pa.string()),
        pa.field("action_count", pa.int64()),
        *(pa.field(f"action_count_{w}", pa.int64()) for w in attribution_windows),
        pa.field("action_value", MONEY),
        *(pa.field(f"action_value_{w}", MONEY) for w in attribution_windows),
        pa.field("cost_per_action", COST),
    ]
    columns = [
        _strings(out["ad_id"]),
        _dates(out["date_start"]),
        _strings(out["action_type"]),
        _strings(out["account_id"]),
        _strings(out["account_currency"]),
        _ints(out["action_count"], "actions.value"),
        *(_ints(out[f"action_count_{w}"], f"actions.{w}") for w in attribution_windows),
        _money(out["action_value"]),
        *(_money(out[f"action_value_{w}"]) for w in attribution_windows),
        pa.array(
            [None if v in (None, "") else Decimal(str(v)) for v in out["cost_per_action"]], COST
        ),
    ]
    return pa.Table.from_arrays(columns, schema=pa.schema(fields))
