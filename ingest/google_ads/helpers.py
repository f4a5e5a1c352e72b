"""Google Ads helpers: the paginator, Google's error bodies, GAQL table specs, Arrow pages."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pyarrow as pa
from dlt.sources.helpers.rest_client.paginators import JSONResponseCursorPaginator

from ingest._transport import (
    AuthenticationError,
    QuotaExceededError,
    SourceError,
    Throttle,
    Verdict,
)
from ingest.google_ads.settings import DEFAULT_API_VERSION, MAX_QUOTA_WAIT, NAME

_PARAMS = pa.list_(pa.struct([("key", pa.string()), ("value", pa.string())]))
_ARROW_TYPES: dict[str, pa.DataType] = {
    "id": pa.string(),
    "string": pa.string(),
    "enum": pa.string(),
    "resource": pa.string(),
    "resource_id": pa.string(),
    "int64": pa.int64(),
    "double": pa.float64(),
    "bool": pa.bool_(),
    "date": pa.date32(),
    "strings": pa.list_(pa.string()),
    "params": _PARAMS,
}
# Auth failures that a new access token cannot fix.
_DEVELOPER_TOKEN_CODES = frozenset(
    {
        "DEVELOPER_TOKEN_INVALID",
        "DEVELOPER_TOKEN_NOT_APPROVED",
        "DEVELOPER_TOKEN_PROHIBITED",
        "DEVELOPER_TOKEN_PARAMETER_MISSING",
        "DEVELOPER_TOKEN_NOT_ON_ALLOWLIST",
    }
)


class CustomerNotEnabledError(AuthenticationError):
    """The customer is cancelled, closed or suspended: its data can no longer be read."""


def page_token() -> JSONResponseCursorPaginator:
    """Return `googleAds:search`'s paginator: `nextPageToken` sent back as `pageToken`."""
    return JSONResponseCursorPaginator(cursor_path="nextPageToken", cursor_body_path="pageToken")


# --- errors -------------------------------------------------------------------------------------


def google_errors(body: bytes) -> tuple[str, list[tuple[str, str, str]]]:
    """Return Google's status word and its (group, code, message) errors from an error body."""
    try:
        error = json.loads(body).get("error") or {}
    except (ValueError, AttributeError):
        return "", []
    if not isinstance(error, dict):
        return "", []
    found = []
    for detail in error.get("details") or []:
        for item in (detail or {}).get("errors") or []:
            for group, code in (item.get("errorCode") or {}).items():
                found.append((group, str(code), item.get("message") or ""))
    if not found:
        found.append(("", error.get("status") or "", error.get("message") or ""))
    return error.get("status") or "", found


def _describe(errors: list[tuple[str, str, str]]) -> str:
    return "; ".join(f"{code}: {message}" if code else message for _, code, message in errors)


@dataclass(frozen=True)
class QuotaError:
    """A `quotaError` and its `quotaErrorDetails`: which limit, and how long to wait."""

    code: str
    rate_scope: str
    rate_name: str
    retry_delay: float | None

    @property
    def daily_operations(self) -> bool:
        """Whether this is the developer token's daily operations quota (waits for a day)."""
        return self.code == "RESOURCE_EXHAUSTED" and "operations" in self.rate_name.lower()


def _seconds(duration: Any) -> float | None:
    """Seconds of a protobuf Duration as JSON has it (`"30s"`, `"0.5s"`)."""
    if not isinstance(duration, str) or not duration.endswith("s"):
        return None
    try:
        return max(0.0, float(duration[:-1]))
    except ValueError:
        return None


def quota_error(body: bytes) -> QuotaError | None:
    """Return the quota error of a 429 body (None when it carries none)."""
    try:
        error = json.loads(body).get("error") or {}
    except (ValueError, AttributeError):
        return None
    for detail in (error.get("details") if isinstance(error, dict) else None) or []:
        for item in (detail or {}).get("errors") or []:
            code = (item.get("errorCode") or {}).get("quotaError")
            if code:
                quota = (item.get("details") or {}).get("quotaErrorDetails") or {}
                return QuotaError(
                    str(code),
                    str(quota.get("rateScope") or ""),
                    str(quota.get("rateName") or ""),
                    _seconds(quota.get("retryDelay")),
                )
    return None


def throttle(status: int, headers: Any, body: bytes) -> Throttle | None:
    """Return the hold a quota error asks for: every caller waits out its `retryDelay`."""
    if status != 429:
        return None
    quota = quota_error(body)
    if quota is None or quota.retry_delay is None:
        return None
    return Throttle(hold=quota.retry_delay)


def make_classify(
    api_version: str = DEFAULT_API_VERSION, max_quota_wait: float = MAX_QUOTA_WAIT
) -> Callable[[int, Any, bytes], Verdict]:
    """Return Google Ads' reading of errors (see `classify`) with the run's version and budget."""

    def classify(status: int, headers: Any, body: bytes) -> Verdict:
        """Google Ads' errors: what to retry, when to refresh, and what ends the run (raised).

        A quota error (`RESOURCE_TEMPORARILY_EXHAUSTED`, or `RESOURCE_EXHAUSTED` for a request
        rate) waits its `retryDelay` and retries; it ends the run (`QuotaExceededError`) only
        when it is the daily operations quota or its delay exceeds `max_quota_wait` seconds. An
        expired or invalid access token refreshes; a refused developer token or a denied
        customer raises `AuthenticationError`; a 404 without details (an API version Google
        no longer serves) and other client errors raise `SourceError` in Google's own words.
        """
        if status < 400 or status in (408, 500, 502, 503, 504):
            return None
        top, errors = google_errors(body)
        codes = {code for _, code, _ in errors}
        groups = {group for group, _, _ in errors}
        if status == 429:
            quota = quota_error(body)
            if quota is not None and quota.daily_operations:
                raise QuotaExceededError(
                    f"{NAME}: the daily operations quota is exhausted ({quota.code}: "
                    f"{quota.rate_name}); "
                    "run again after it resets (midnight Pacific time)"
                )
            delay = None if quota is None else quota.retry_delay
            if delay is not None and delay > max_quota_wait:
                raise QuotaExceededError(
                    f"{NAME}: the API quota is exhausted ({quota.rate_name or quota.code}, "
                    f"{quota.rate_scope or 'scope unknown'}): Google asks to wait {delay:g} s, "
                    f"more than max_quota_wait ({max_quota_wait:g} s); run again later"
                )
            return "retry"
        if codes & _DEVELOPER_TOKEN_CODES:
            raise AuthenticationError(
                f"{NAME}: the developer token was refused: {_describe(errors)}"
            )
        if status == 401:
            return "refresh"
        if "CUSTOMER_NOT_ENABLED" in codes:
            raise CustomerNotEnabledError(f"{NAME}: {_describe(errors)}")
        if status == 403 or groups & {"authenticationError", "authorizationError"}:
            raise AuthenticationError(
                f"{NAME}: access denied (HTTP {status}): {_describe(errors)} (check customer_ids "
                "and login_customer_id)"
            )
        if status == 404 and not groups - {""}:
            raise SourceError(
                f"{NAME}: HTTP 404 ({top or 'NOT_FOUND'}): {_describe(errors)}; is API version "
                f"{api_version} still served? Set api_version to a current one (see "
                "docs/ingestion.md)"
            )
        raise SourceError(f"{NAME}: HTTP {status}: {_describe(errors)}")

    return classify


classify = make_classify()
"""Google Ads' errors read with the default API version and quota wait budget."""


# --- GAQL tables --------------------------------------------------------------------------------


def camel(name: str) -> str:
    """Return the JSON name of a GAQL field part (`cost_micros` -> `costMicros`)."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def digits(customer_id: str) -> str:
    """Return a customer id without the dashes of its display form (123-456-7890)."""
    return str(customer_id).replace("-", "").strip()


@dataclass(frozen=True)
class Column:
    """One raw column: its name, the GAQL field it comes from, and the field's kind."""

    name: str
    field: str
    kind: str

    @property
    def path(self) -> tuple[str, ...]:
        """The nested keys of the field in a result row."""
        return tuple(camel(part) for part in self.field.split("."))


@dataclass(frozen=True)
class TableSpec:
    """A raw table read with one GAQL query: FROM `resource`, the columns, keys."""

    name: str
    resource: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    merge_key: tuple[str, ...] = ()

    @property
    def metrics(self) -> bool:
        """Whether the query reads metrics by date."""
        return any(c.field == "segments.date" for c in self.columns)

    def query(self, since: date | None = None, until: date | None = None) -> str:
        """Return the GAQL query, with a date range when one is given."""
        text = f"SELECT {', '.join(c.field for c in self.columns)} FROM {self.resource}"
        if since is not None and until is not None:
            text += f" WHERE segments.date BETWEEN '{since.isoformat()}' AND '{until.isoformat()}'"
        return text

    def schema(self) -> pa.Schema:
        """Return the Arrow schema of the table's pages (key columns not nullable)."""
        keys = {*self.primary_key, *self.merge_key}
        return pa.schema(
            [pa.field(c.name, _ARROW_TYPES[c.kind], c.name not in keys) for c in self.columns]
        )


def _columns(*specs: tuple[str, str, str]) -> tuple[Column, ...]:
    return tuple(Column(*spec) for spec in specs)


def _tracking(prefix: str) -> tuple[tuple[str, str, str], ...]:
    return (
        ("tracking_url_template", f"{prefix}.tracking_url_template", "string"),
        ("final_url_suffix", f"{prefix}.final_url_suffix", "string"),
        ("url_custom_parameters", f"{prefix}.url_custom_parameters", "params"),
    )


_METRICS = (
    ("impressions", "metrics.impressions", "int64"),
    ("clicks", "metrics.clicks", "int64"),
    ("cost_micros", "metrics.cost_micros", "int64"),
    ("conversions", "metrics.conversions", "double"),
    ("conversions_value", "metrics.conversions_value", "double"),
)
_ACCOUNT = (
    ("customer_id", "customer.id", "id"),
    ("currency_code", "customer.currency_code", "string"),
    ("time_zone", "customer.time_zone", "string"),
)

CUSTOMERS = TableSpec(
    "customers",
    "customer",
    _columns(
        ("id", "customer.id", "id"),
        ("resource_name", "customer.resource_name", "resource"),
        ("descriptive_name", "customer.descriptive_name", "string"),
        ("currency_code", "customer.currency_code", "string"),
        ("time_zone", "customer.time_zone", "string"),
        ("manager", "customer.manager", "bool"),
        ("status", "customer.status", "enum"),
        ("tracking_url_template", "customer.tracking_url_template", "string"),
        ("final_url_suffix", "customer.final_url_suffix", "string"),
    ),
    ("id",),
)
ENTITIES = (
    TableSpec(
        "campaigns",
        "campaign",
        _columns(
            ("id", "campaign.id", "id"),
            ("resource_name", "campaign.resource_name", "resource"),
            ("customer_id", "customer.id", "id"),
            ("name", "campaign.name", "string"),
            ("status", "campaign.status", "enum"),
            ("advertising_channel_type", "campaign.advertising_channel_type", "enum"),
            ("start_date", "campaign.start_date", "date"),
            ("end_date", "campaign.end_date", "date"),
            *_tracking("campaign"),
        ),
        ("id",),
    ),
    TableSpec(
        "ad_groups",
        "ad_group",
        _columns(
            ("id", "ad_group.id", "id"),
            ("resource_name", "ad_group.resource_name", "resource"),
            ("customer_id", "customer.id", "id"),
            ("campaign_id", "campaign.id", "id"),
            ("name", "ad_group.name", "string"),
            ("status", "ad_group.status", "enum"),
            ("type", "ad_group.type", "enum"),
            *_tracking("ad_group"),
        ),
        ("id",),
    ),
    TableSpec(
        "ads",
        "ad_group_ad",
        _columns(
            ("id", "ad_group_ad.ad.id", "id"),
            ("ad_group_id", "ad_group.id", "id"),
            ("resource_name", "ad_group_ad.resource_name", "resource"),
            ("customer_id", "customer.id", "id"),
            ("campaign_id", "campaign.id", "id"),
            ("name", "ad_group_ad.ad.name", "string"),
            ("type", "ad_group_ad.ad.type", "enum"),
            ("status", "ad_group_ad.status", "enum"),
            ("final_urls", "ad_group_ad.ad.final_urls", "strings"),
            *_tracking("ad_group_ad.ad"),
        ),
        ("ad_group_id", "id"),
    ),
    TableSpec(
        "conversion_actions",
        "conversion_action",
        _columns(
            ("id", "conversion_action.id", "id"),
            ("resource_name", "conversion_action.resource_name", "resource"),
            ("customer_id", "customer.id", "id"),
            ("name", "conversion_action.name", "string"),
            ("category", "conversion_action.category", "enum"),
            ("type", "conversion_action.type", "enum"),
            ("status", "conversion_action.status", "enum"),
            ("default_value", "conversion_action.value_settings.default_value", "double"),
            (
                "include_in_conversions_metric",
                "conversion_action.include_in_conversions_metric",
                "bool",
            ),
        ),
        ("id",),
    ),
)
"""Campaigns, ad groups, ads (ad group ads) and conversion actions: read whole each run, merged
on their ids."""
METRICS = (
    TableSpec(
        "ad_metrics_daily",
        "ad_group_ad",
        _columns(
            *_ACCOUNT,
            ("campaign_id", "campaign.id", "id"),
            ("ad_group_id", "ad_group.id", "id"),
            ("ad_id", "ad_group_ad.ad.id", "id"),
            ("date", "segments.date", "date"),
            *_METRICS,
        ),
        ("ad_group_id", "ad_id", "date"),
        ("customer_id", "date"),
    ),
    TableSpec(
        "campaign_metrics_daily",
        "campaign",
        _columns(
            *_ACCOUNT,
            ("campaign_id", "campaign.id", "id"),
            ("date", "segments.date", "date"),
            *_METRICS,
        ),
        ("campaign_id", "date"),
        ("customer_id", "date"),
    ),
    TableSpec(
        "keyword_metrics_daily",
        "keyword_view",
        _columns(
            *_ACCOUNT,
            ("campaign_id", "campaign.id", "id"),
            ("ad_group_id", "ad_group.id", "id"),
            ("criterion_id", "ad_group_criterion.criterion_id", "id"),
            ("keyword_text", "ad_group_criterion.keyword.text", "string"),
            ("match_type", "ad_group_criterion.keyword.match_type", "enum"),
            ("status", "ad_group_criterion.status", "enum"),
            ("date", "segments.date", "date"),
            *_METRICS,
        ),
        ("ad_group_id", "criterion_id", "date"),
        ("customer_id", "date"),
    ),
    TableSpec(
        "conversion_action_metrics_daily",
        "ad_group_ad",
        _columns(
            *_ACCOUNT,
            ("campaign_id", "campaign.id", "id"),
            ("ad_group_id", "ad_group.id", "id"),
            ("ad_id", "ad_group_ad.ad.id", "id"),
            ("conversion_action_id", "segments.conversion_action", "resource_id"),
            ("conversion_action_name", "segments.conversion_action_name", "string"),
            ("conversion_action_category", "segments.conversion_action_category", "enum"),
            ("date", "segments.date", "date"),
            ("conversions", "metrics.conversions", "double"),
            ("conversions_value", "metrics.conversions_value", "double"),
        ),
        ("ad_group_id", "ad_id", "conversion_action_id", "date"),
        ("customer_id", "date"),
    ),
)
"""Daily performance by ad and by campaign (Performance Max spends with no ad-level rows), by
keyword (`keyword_view`), and an ad's conversions by conversion action."""


def _dig(row: dict[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = row
    for key in path:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
        if node is None:
            return None
    return node


def rows_table(spec: TableSpec, rows: list[dict[str, Any]]) -> pa.Table:
    """GoogleAdsRows as an Arrow table of `spec`'s columns, typed.

    int64 values arrive as strings and stay exact; a metric proto3 left out (a zero) is 0; a
    missing boolean is false.
    """
    arrays = []
    for column in spec.columns:
        values = [_dig(row, column.path) for row in rows]
        kind = column.kind
        if kind == "int64":
            array = pa.array(values, pa.string()).cast(pa.int64())
        elif kind == "date":
            array = pa.array(values, pa.string()).cast(pa.date32())
        elif kind == "id":
            array = pa.array([None if v is None else str(v) for v in values], pa.string())
        elif kind == "resource_id":  # `customers/1/conversionActions/2` -> `2`
            array = pa.array([None if v is None else v.rsplit("/", 1)[-1] for v in values])
        else:
            array = pa.array(values, _ARROW_TYPES[kind])
        if column.field.startswith("metrics."):
            array = array.fill_null(0)
        elif kind == "bool":
            array = array.fill_null(False)
        arrays.append(array)
    return pa.Table.from_arrays(arrays, schema=spec.schema())
