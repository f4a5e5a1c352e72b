"""Google Ads endpoints, API version and defaults."""

from __future__ import annotations

NAME = "google_ads"
DEFAULT_BASE_URL = "https://googleads.googleapis.com"
DEFAULT_TOKEN_URL = "https://oauth2.googleapis.com/token"
DEFAULT_API_VERSION = "v26"
"""The REST version in every path. Google releases a major version about each quarter and
sunsets each about a year after its release (v26: October 2026, sunset about November 2027)."""
DEFAULT_START_DATE = "2000-01-01"

CUSTOMERS = "/{api_version}/customers"
"""The customers collection; the endpoints below follow it."""
LIST_ACCESSIBLE = ":listAccessibleCustomers"
SEARCH = "/{customer_id}/googleAds:search"
SEARCH_STREAM = "/{customer_id}/googleAds:searchStream"

LOOKBACK_DAYS = 28
"""Days before the last loaded date that each run reads again (conversions are restated)."""
WINDOW_DAYS = 90
"""The most dates one `searchStream` call reads."""
MAX_QUOTA_WAIT = 300.0
"""Seconds of a quota error's `retryDelay` the run waits out; a longer one ends the run."""
REQUESTS_PER_SECOND = 10
WORKERS = 4
"""Accounts and date windows read at once."""
