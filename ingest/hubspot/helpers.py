"""HubSpot helpers: paginators, error verdicts, and API pages as Arrow tables."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa
from dlt.sources.helpers.rest_client.paginators import JSONResponseCursorPaginator
from requests import Response

from ingest._transport import QuotaExceededError, Throttle, Verdict
from ingest.extract import keyed
from ingest.hubspot.settings import NAME, POLICY_WINDOWS, SEARCH_CAP, SEARCH_LIMIT

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
TIMESTAMP = pa.timestamp("us", tz="UTC")


class SearchPaginator(JSONResponseCursorPaginator):
    """Search's `after` cursor, sent in the request body, stopping short of the results cap.

    After the last page below the cap, `capped` says whether the search had more to give.
    """

    def __init__(self, limit: int = SEARCH_LIMIT, cap: int = SEARCH_CAP) -> None:
        super().__init__(cursor_path="paging.next.after", cursor_body_path="after")
        self.limit = limit
        self.cap = cap
        self.capped = False

    def update_state(self, response: Response, data: list[Any] | None = None) -> None:
        """Follow `paging.next.after` unless the next page would pass the cap."""
        super().update_state(response, data)
        if self.has_next_page and int(self._next_reference) + self.limit > self.cap:
            self._has_next_page = False
            self.capped = True


def after_cursor() -> JSONResponseCursorPaginator:
    """Return the `paging.next.after` cursor of the v3 lists, sent as the `after` parameter."""
    return JSONResponseCursorPaginator(cursor_path="paging.next.after", cursor_param="after")


def offset_cursor() -> JSONResponseCursorPaginator:
    """Return the e-mail events API's `offset` cursor, followed while `hasMore` is true."""
    return JSONResponseCursorPaginator(
        cursor_path="offset", cursor_param="offset", has_more_path="hasMore"
    )


def _policy(body: bytes) -> str | None:
    try:
        policy = json.loads(body).get("policyName")
    except (ValueError, AttributeError):
        return None
    return policy if isinstance(policy, str) else None


def _number(headers: Any, name: str) -> float | None:
    value = (headers or {}).get(name)
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


def classify(status: int, headers: Any, body: bytes) -> Verdict:
    """HubSpot's errors: the DAILY policy ends the run (raised here); other 429s retry."""
    if status == 429:
        if _policy(body) == "DAILY":
            daily = _number(headers, "X-HubSpot-RateLimit-Daily")
            limit = f" of {int(daily):,} calls" if daily else ""
            raise QuotaExceededError(
                f"{NAME}: the API quota is exhausted: the account's DAILY limit{limit} is spent; "
                "run again after it resets at midnight in the account's time zone"
            )
        return "retry"
    return None


def throttle(status: int, headers: Any, body: bytes) -> Throttle | None:
    """HubSpot's rate-limit signals: the window a 429 names, and the calls left in it.

    A 429 for the ten-secondly (or secondly) policy comes without `Retry-After`: every caller
    waits out the window `X-HubSpot-RateLimit-Interval-Milliseconds` names (the policy's own
    window when the headers are missing, as on search). Every answer that carries
    `X-HubSpot-RateLimit-Remaining` and `-Max` paces the limiter by them.
    """
    interval_ms = _number(headers, "X-HubSpot-RateLimit-Interval-Milliseconds")
    remaining = _number(headers, "X-HubSpot-RateLimit-Remaining")
    maximum = _number(headers, "X-HubSpot-RateLimit-Max")
    window = interval_ms / 1000 if interval_ms else None
    hold = 0.0
    if status == 429:
        hold = window or POLICY_WINDOWS.get(_policy(body) or "", POLICY_WINDOWS["SECONDLY"])
    if not hold and remaining is None:
        return None
    return Throttle(
        hold=hold,
        remaining=None if remaining is None or status == 429 else int(remaining),
        maximum=None if maximum is None else int(maximum),
        window=window,
    )


def snake(name: str) -> str:
    """Return a camelCase field name in snake_case (`emailCampaignId` -> `email_campaign_id`)."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def email_event_fields(event: dict[str, Any], prefix: str = "") -> dict[str, str | None]:
    """Every field of an e-mail event as snake_case text, nested objects joined with `_`."""
    out: dict[str, str | None] = {}
    for key, value in event.items():
        name = prefix + snake(key)
        if isinstance(value, dict):
            out.update(email_event_fields(value, name + "_"))
        elif isinstance(value, list):
            out[name] = json.dumps(value)
        elif isinstance(value, bool):
            out[name] = "true" if value else "false"
        else:
            out[name] = None if value is None else str(value)
    return out


def parse_time(text: str) -> datetime:
    """Parse an ISO 8601 time as HubSpot writes it (`2024-01-15T10:20:30.000Z`)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def ms(moment: datetime) -> int:
    """Milliseconds since the epoch."""
    return (moment - EPOCH) // timedelta(milliseconds=1)


def from_ms(value: int | str) -> datetime:
    """Return the moment `value` epoch milliseconds stand for."""
    return EPOCH + timedelta(milliseconds=int(value))


def _timestamps(values: Iterable[str | None]) -> pa.Array:
    return pa.array(list(values), pa.string()).cast(TIMESTAMP)


def crm_table(records: list[dict[str, Any]], properties: list[str]) -> pa.Table:
    """CRM records as a table: system fields typed, every property a text column as sent."""
    columns: dict[str, pa.Array] = {
        "id": pa.array([r["id"] for r in records], pa.string()),
        "created_at": _timestamps(r.get("createdAt") for r in records),
        "updated_at": _timestamps(r.get("updatedAt") for r in records),
        "archived": pa.array([bool(r.get("archived")) for r in records], pa.bool_()),
        "archived_at": _timestamps(r.get("archivedAt") for r in records),
    }
    for name in properties:
        if name in columns:
            continue
        columns[name] = pa.array([r.get("properties", {}).get(name) for r in records], pa.string())
    return keyed(pa.table(columns), "id")


def merged_away(table: pa.Table) -> pa.Table | None:
    """Rows that delete contacts merged into others (listed in survivors' merged ids)."""
    if "hs_merged_object_ids" not in table.column_names:
        return None
    gone, stamps = [], []
    for survivor, listed, updated in zip(
        table["id"].to_pylist(),
        table["hs_merged_object_ids"].to_pylist(),
        table["updated_at"].to_pylist(),
        strict=True,
    ):
        for merged in (listed or "").split(";"):
            if merged and merged != survivor:
                gone.append(merged)
                stamps.append(updated)
    if not gone:
        return None
    return keyed(
        pa.table(
            {
                "id": pa.array(gone, pa.string()),
                "updated_at": pa.array(stamps, TIMESTAMP),
                "merged_away": pa.array([True] * len(gone)),
            }
        ),
        "id",
    )
