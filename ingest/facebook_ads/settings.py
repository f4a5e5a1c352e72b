"""Meta Marketing API (Graph API) endpoints, version and defaults."""

from __future__ import annotations

NAME = "facebook_ads"
DEFAULT_BASE_URL = "https://graph.facebook.com"
DEFAULT_API_VERSION = "v26.0"
"""The Graph / Marketing API version (Marketing API versions expire about a year after release)."""
DEFAULT_HISTORY_DAYS = 3 * 365
"""How far back the first load reads when no `start_date` is set (Meta keeps 37 months)."""

MY_AD_ACCOUNTS = "me/adaccounts"
AD_ACCOUNT = "act_{account_id}"
EDGE = "act_{account_id}/{edge}"
INSIGHTS = "act_{account_id}/insights"
REPORT_RESULTS = "{run_id}/insights"

EFFECTIVE_STATUSES = (
    "ACTIVE",
    "PAUSED",
    "ARCHIVED",
    "CAMPAIGN_PAUSED",
    "ADSET_PAUSED",
    "IN_PROCESS",
    "WITH_ISSUES",
    "PENDING_REVIEW",
    "DISAPPROVED",
    "PREAPPROVED",
    "PENDING_BILLING_INFO",
)
"""Every effective status asked for (edges leave archived objects out unless asked)."""
DONE, FAILED = "Job Completed", ("Job Failed", "Job Skipped")
"""Report run statuses: complete, and ended without completing."""

LOOKBACK_DAYS = 28
DAYS_PER_REPORT = 30
ATTRIBUTION_WINDOWS = ("7d_click", "1d_view")
LEAD_ACTION_TYPE = "lead"
PAGE_SIZE = 100
INSIGHTS_PAGE_SIZE = 500
REQUESTS_PER_MINUTE = 300
"""Management calls per ad account and minute kept to by the client."""
INSIGHTS_REQUESTS_PER_MINUTE = 120
"""Insights calls per ad account and minute kept to by the client."""
WORKERS = 4
POLL_INTERVAL = 1.0
REPORT_TIMEOUT = 1800.0
REPORT_ATTEMPTS = 3
MAX_THROTTLE_WAIT = 600.0
"""The longest throttling wait (seconds) sat out; a longer one ends the run as a spent quota."""
