"""LinkedIn Ads helpers: the paginator, error verdicts, Rest.li query text, Arrow pages."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

import pyarrow as pa
from dlt.sources.helpers.rest_client.paginators import JSONResponseCursorPaginator

from ingest._transport import SourceError, Verdict
from ingest.linkedin_ads.settings import NAME

TIMESTAMP = pa.timestamp("us", tz="UTC")
MONEY = pa.decimal128(38, 18)
"""Costs: LinkedIn sends decimal strings with up to ~17 significant digits; kept exactly."""
REPORTING_TIME_ZONE = "UTC"
"""LinkedIn's analytics report every day in UTC, whatever the account (it has no time zone)."""
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MONEY_STEP = Decimal(1).scaleb(-MONEY.scale)
_DAY_THROTTLE = re.compile(r"\bDAY\b")
_OVER_CAP = re.compile(r"element.*max|max.*element", re.IGNORECASE | re.DOTALL)


def page_token() -> JSONResponseCursorPaginator:
    """Return the finders' paginator: `metadata.nextPageToken` sent back as `pageToken`."""
    return JSONResponseCursorPaginator(
        cursor_path="metadata.nextPageToken", cursor_param="pageToken"
    )


def error_message(body: bytes) -> str:
    """Return the `message` of a LinkedIn error body ('' when there is none)."""
    try:
        message = json.loads(body).get("message")
    except (ValueError, AttributeError):
        return ""
    return message if isinstance(message, str) else ""


def classify(status: int, headers: Any, body: bytes) -> Verdict:
    """LinkedIn's errors: a daily throttle is a spent quota; other 429s wait and retry."""
    if status == 429:
        return "quota" if _DAY_THROTTLE.search(error_message(body)) else "retry"
    return None


def over_element_cap(status: int, data: Any) -> bool:
    """Whether an adAnalytics answer is the error for a request past the element cap."""
    if status != 400 or not isinstance(data, dict):
        return False
    return bool(_OVER_CAP.search(str(data.get("message") or "")))


def urn(kind: str, ident: int | str) -> str:
    """Return `urn:li:<kind>:<id>` percent-encoded once, as a value inside Rest.li `List()`."""
    return quote(f"urn:li:{kind}:{ident}", safe="")


def restli_date(day: date) -> str:
    """Return a Rest.li date record: `(year:2025,month:1,day:31)`."""
    return f"(year:{day.year},month:{day.month},day:{day.day})"


def id_of(value: Any) -> int | None:
    """Return the numeric id of a URN (`urn:li:sponsoredCampaign:123`) or of a bare id."""
    if value is None or value == "":
        return None
    return int(str(value).rsplit(":", 1)[-1])


def moment(value: Any) -> datetime | None:
    """Return the moment epoch milliseconds stand for (None for None)."""
    return None if value is None else EPOCH + timedelta(milliseconds=int(value))


def money(value: Any) -> Decimal | None:
    """Parse a decimal string as sent; digits past the 18th decimal place are rounded."""
    if value is None or value == "":
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise SourceError(f"{NAME}: {value!r} is not a money amount") from None
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MONEY.scale:
        amount = amount.quantize(_MONEY_STEP)
    return amount


def _json_text(value: Any) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True, separators=(",", ":"))


def _stamps(elements: list[dict], name: str) -> pa.Array:
    return pa.array(
        [
            moment(((e.get("changeAuditStamps") or {}).get(name) or {}).get("time"))
            for e in elements
        ],
        TIMESTAMP,
    )


def _schedule(elements: list[dict], name: str) -> pa.Array:
    return pa.array([moment((e.get("runSchedule") or {}).get(name)) for e in elements], TIMESTAMP)


def _budget(elements: list[dict], name: str) -> tuple[pa.Array, pa.Array]:
    budgets = [e.get(name) or {} for e in elements]
    return (
        pa.array([money(b.get("amount")) for b in budgets], MONEY),
        pa.array([b.get("currencyCode") for b in budgets], pa.string()),
    )


def accounts_table(elements: list[dict]) -> pa.Table:
    """Ad accounts: currency, and the time zone the analytics days are in."""
    return pa.table(
        {
            "id": pa.array([id_of(e["id"]) for e in elements], pa.int64()),
            "name": pa.array([e.get("name") for e in elements], pa.string()),
            "currency": pa.array([e.get("currency") for e in elements], pa.string()),
            # LinkedIn accounts carry no time zone: adAnalytics days are UTC days for all.
            "time_zone": pa.array([REPORTING_TIME_ZONE] * len(elements), pa.string()),
            "type": pa.array([e.get("type") for e in elements], pa.string()),
            "status": pa.array([e.get("status") for e in elements], pa.string()),
            "reference": pa.array([e.get("reference") for e in elements], pa.string()),
            "test": pa.array([e.get("test") for e in elements], pa.bool_()),
            "serving_statuses": pa.array(
                [_json_text(e.get("servingStatuses")) for e in elements], pa.string()
            ),
            "created_at": _stamps(elements, "created"),
            "last_modified_at": _stamps(elements, "lastModified"),
        }
    )


def campaign_groups_table(elements: list[dict]) -> pa.Table:
    """Campaign groups with their run schedule and total budget."""
    budget, budget_currency = _budget(elements, "totalBudget")
    return pa.table(
        {
            "id": pa.array([id_of(e["id"]) for e in elements], pa.int64()),
            "account_id": pa.array([id_of(e.get("account")) for e in elements], pa.int64()),
            "name": pa.array([e.get("name") for e in elements], pa.string()),
            "status": pa.array([e.get("status") for e in elements], pa.string()),
            "test": pa.array([e.get("test") for e in elements], pa.bool_()),
            "run_start": _schedule(elements, "start"),
            "run_end": _schedule(elements, "end"),
            "total_budget_amount": budget,
            "total_budget_currency": budget_currency,
            "serving_statuses": pa.array(
                [_json_text(e.get("servingStatuses")) for e in elements], pa.string()
            ),
            "created_at": _stamps(elements, "created"),
            "last_modified_at": _stamps(elements, "lastModified"),
        }
    )


def campaigns_table(elements: list[dict]) -> pa.Table:
    """Campaigns with their group, cost type, budgets (decimal) and run schedule."""
    daily, daily_currency = _budget(elements, "dailyBudget")
    total, total_currency = _budget(elements, "totalBudget")
    return pa.table(
        {
            "id": pa.array([id_of(e["id"]) for e in elements], pa.int64()),
            "account_id": pa.array([id_of(e.get("account")) for e in elements], pa.int64()),
            "campaign_group_id": pa.array(
                [id_of(e.get("campaignGroup")) for e in elements], pa.int64()
            ),
            "name": pa.array([e.get("name") for e in elements], pa.string()),
            "status": pa.array([e.get("status") for e in elements], pa.string()),
            "type": pa.array([e.get("type") for e in elements], pa.string()),
            "objective_type": pa.array([e.get("objectiveType") for e in elements], pa.string()),
            "cost_type": pa.array([e.get("costType") for e in elements], pa.string()),
            "daily_budget_amount": daily,
            "daily_budget_currency": daily_currency,
            "total_budget_amount": total,
            "total_budget_currency": total_currency,
            "run_start": _schedule(elements, "start"),
            "run_end": _schedule(elements, "end"),
            "test": pa.array([e.get("test") for e in elements], pa.bool_()),
            "created_at": _stamps(elements, "created"),
            "last_modified_at": _stamps(elements, "lastModified"),
        }
    )


def creatives_table(elements: list[dict]) -> pa.Table:
    """Creatives: campaign, status, landing page (text ads) and the whole `content` as JSON."""
    contents = [e.get("content") or {} for e in elements]
    return pa.table(
        {
            "id": pa.array([id_of(e["id"]) for e in elements], pa.int64()),
            "account_id": pa.array([id_of(e.get("account")) for e in elements], pa.int64()),
            "campaign_id": pa.array([id_of(e.get("campaign")) for e in elements], pa.int64()),
            "name": pa.array([e.get("name") for e in elements], pa.string()),
            "intended_status": pa.array([e.get("intendedStatus") for e in elements], pa.string()),
            "landing_page": pa.array(
                [(c.get("textAd") or {}).get("landingPage") for c in contents], pa.string()
            ),
            "content": pa.array([_json_text(e.get("content")) for e in elements], pa.string()),
            "is_test": pa.array([e.get("isTest") for e in elements], pa.bool_()),
            "created_at": pa.array([moment(e.get("createdAt")) for e in elements], TIMESTAMP),
            "last_modified_at": pa.array(
                [moment(e.get("lastModifiedAt")) for e in elements], TIMESTAMP
            ),
        }
    )


ANALYTICS_FIELDS = (
    "dateRange",
    "pivotValues",
    "impressions",
    "clicks",
    "costInLocalCurrency",
    "costInUsd",
    "externalWebsiteConversions",
)
"""What each adAnalytics call projects (the date and the creative always among them)."""


def analytics_table(
    elements: list[dict], account_id: int, currency: str | None, key: str = "creative_id"
) -> pa.Table:
    """Daily analytics of one pivot: counts as int64, costs as exact decimals, the currency.

    `key` names the pivot's column: `creative_id` or `campaign_id`.
    """
    days = [(e.get("dateRange") or {}).get("start") or {} for e in elements]
    count = len(elements)
    return pa.table(
        {
            key: pa.array(
                [id_of((e.get("pivotValues") or [None])[0]) for e in elements], pa.int64()
            ),
            "date": pa.array([date(d["year"], d["month"], d["day"]) for d in days], pa.date32()),
            "account_id": pa.array([account_id] * count, pa.int64()),
            "impressions": pa.array([e.get("impressions") for e in elements], pa.int64()),
            "clicks": pa.array([e.get("clicks") for e in elements], pa.int64()),
            "cost_in_local_currency": pa.array(
                [money(e.get("costInLocalCurrency")) for e in elements], MONEY
            ),
            "cost_in_usd": pa.array([money(e.get("costInUsd")) for e in elements], MONEY),
            "external_website_conversions": pa.array(
                [e.get("externalWebsiteConversions") for e in elements], pa.int64()
            ),
            "currency": pa.array([currency] * count, pa.string()),
            # LinkedIn reports every day in UTC (accounts have no time zone of their own).
            "time_zone": pa.array([REPORTING_TIME_ZONE] * count, pa.string()),
        }
    )
