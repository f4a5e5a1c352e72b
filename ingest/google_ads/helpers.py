"""Google Ads helpers: OAuth, Google's error bodies, GAQL table specs and rows as Arrow tables."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

import pyarrow as pa

from ingest.http import (
    ApiClient,
    AuthenticationError,
    QuotaExceededError,
    SourceError,
    Verdict,
)

NAME = "google_ads"
TOKEN_MARGIN = 60.0
"""Seconds before its expiry at which an access token is replaced rather than used."""

_PARAMS = pa.list_(pa.struct([("key", pa.string()), ("value", pa.string())]))
_ARROW_TYPES: dict[str, pa.DataType] = {
    "id": pa.string(),
    "string": pa.string(),
    "enum": pa.string(),
    "resource": pa.string(),
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


# --- OAuth --------------------------------------------------------------------------------------


class GoogleAdsAuth:
    """OAuth 2.0 refresh-token flow plus the developer token and login-customer-id headers.

    Thread-safe: a 401 seen by several threads triggers one token refresh; a token is also
    replaced shortly before it expires.
    """

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        developer_token: str,
        login_customer_id: str | None = None,
        timeout: float = 60.0,
        backoff: float = 0.5,
    ) -> None:
        missing = [
            name
            for name, value in (
                ("client_id", client_id),
                ("client_secret", client_secret),
                ("refresh_token", refresh_token),
                ("developer_token", developer_token),
            )
            if not value
        ]
        if missing:
            raise AuthenticationError(f"{NAME}: missing credentials: {', '.join(missing)}")
        self.token_url = token_url
        self.form = {
            "grant_type": "refresh_token",
            "client_id": client_id,
            "client_secret": client_secret,
            "refresh_token": refresh_token,
        }
        self.developer_token = developer_token
        self.login_customer_id = digits(login_customer_id) if login_customer_id else None
        self.token: str | None = None
        self.expires_at = 0.0
        self.generation = 0
        self._lock = threading.Lock()
        self._used = threading.local()  # the token generation this thread's request carried
        self._http = ApiClient(
            NAME,
            token_url,
            classify=_classify_token,
            max_attempts=4,
            backoff=backoff,
            timeout=timeout,
        )

    def fetch(self, seen_generation: int | None = None) -> bool:
        """Get a new access token, unless another thread already did since `seen_generation`."""
        with self._lock:
            if seen_generation is not None and seen_generation != self.generation:
                return True
            reply = self._http.post(self.token_url, data=self.form)
            self.token = reply.data["access_token"]
            lifetime = float(reply.data.get("expires_in") or 3599)
            self.expires_at = time.monotonic() + lifetime
            self.generation += 1
            return True

    def authorize(self, headers: dict[str, str]) -> None:
        """Put the bearer token, the developer token and login-customer-id on a request."""
        if self.token is None or time.monotonic() > self.expires_at - TOKEN_MARGIN:
            self.fetch(self.generation)
        with self._lock:
            token, self._used.generation = self.token, self.generation
        headers["Authorization"] = f"Bearer {token}"
        headers["developer-token"] = self.developer_token
        if self.login_customer_id:
            headers["login-customer-id"] = self.login_customer_id

    def refresh(self) -> bool:
        """Get a new token after a 401 (unless another thread already replaced the one used)."""
        return self.fetch(getattr(self._used, "generation", self.generation))


def _classify_token(status: int, headers: Any, body: bytes) -> Verdict:
    """Make refused credentials at the token endpoint final, in OAuth's own words."""
    if status in (400, 401, 403):
        try:
            data = json.loads(body)
        except ValueError:
            data = {}
        error = data.get("error") if isinstance(data, dict) else None
        if isinstance(error, str):
            description = data.get("error_description") or ""
            raise AuthenticationError(
                f"{NAME}: the OAuth token endpoint refused the credentials "
                f"(HTTP {status}): {error}" + (f": {description}" if description else "")
            )
    return None


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


def classify(status: int, headers: Any, body: bytes) -> Verdict:
    """Google Ads' errors: what to retry, when to refresh, and what ends the run (raised here).

    A rate limit (`RESOURCE_TEMPORARILY_EXHAUSTED`) waits and retries; the spent daily operations
    quota (`RESOURCE_EXHAUSTED`) raises `QuotaExceededError`; an expired or invalid access token
    refreshes; a refused developer token or a denied customer raises `AuthenticationError`;
    other client errors (a bad query, say) raise `SourceError` with Google's own words.
    """
    if status < 400 or status in (408, 500, 502, 503, 504):
        return None
    _, errors = google_errors(body)
    codes = {code for _, code, _ in errors}
    groups = {group for group, _, _ in errors}
    if status == 429:
        if "RESOURCE_EXHAUSTED" in codes:
            raise QuotaExceededError(
                f"{NAME}: the daily operations quota is exhausted: {_describe(errors)}; run "
                "again after it resets (midnight Pacific time)"
            )
        return "retry"
    if codes & _DEVELOPER_TOKEN_CODES:
        raise AuthenticationError(f"{NAME}: the developer token was refused: {_describe(errors)}")
    if status == 401:
        return "refresh"
    if "CUSTOMER_NOT_ENABLED" in codes:
        raise CustomerNotEnabledError(f"{NAME}: {_describe(errors)}")
    if status == 403 or groups & {"authenticationError", "authorizationError"}:
        raise AuthenticationError(
            f"{NAME}: access denied (HTTP {status}): {_describe(errors)} (check customer_ids "
            "and login_customer_id)"
        )
    raise SourceError(f"{NAME}: HTTP {status}: {_describe(errors)}")


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
)
"""Campaigns, ad groups and ads (ad group ads): read whole each run, merged on their ids."""
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
)
"""Daily performance by ad and by campaign (Performance Max spends with no ad-level rows)."""


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
        else:
            array = pa.array(values, _ARROW_TYPES[kind])
        if column.field.startswith("metrics."):
            array = array.fill_null(0)
        elif kind == "bool":
            array = array.fill_null(False)
        arrays.append(array)
    return pa.Table.from_arrays(arrays, schema=spec.schema())


# --- dates and concurrency ----------------------------------------------------------------------


T = TypeVar("T")
R = TypeVar("R")
