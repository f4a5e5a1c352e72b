"""The object model: edges of an ad account, their fields, insights queries and report runs."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any


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
    "action_values",
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
