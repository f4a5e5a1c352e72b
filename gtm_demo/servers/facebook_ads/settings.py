"""Versions, tokens, limits and the attribution windows of the local Marketing API."""

from __future__ import annotations

from datetime import UTC, datetime

API_VERSION = "v26.0"
"""The newest Graph / Marketing API version served (released 29 July 2026)."""
API_VERSIONS = ("v25.0", "v26.0", "v27.0")
"""The versions served. Marketing API versions expire about a year after release (v24.0 on
6 October 2026), earlier than the Graph API's dates; older ones answer error 2635. See
https://developers.facebook.com/docs/graph-api/changelog/versions/ ."""


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
