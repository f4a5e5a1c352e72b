"""LinkedIn Marketing API endpoints, version and defaults."""

from __future__ import annotations

NAME = "linkedin_ads"
DEFAULT_BASE_URL = "https://api.linkedin.com"
DEFAULT_TOKEN_URL = "https://www.linkedin.com/oauth/v2/accessToken"
TOKEN_PATH = "/oauth/v2/accessToken"
"""The token endpoint under a non-default `base_url` (a local server)."""
LINKEDIN_VERSION = "202609"
"""The Marketing API version sent as `LinkedIn-Version` (LinkedIn serves each for about a year)."""
RESTLI_PROTOCOL_VERSION = "2.0.0"
DEFAULT_START_DATE = "2010-01-01"

AD_ACCOUNTS = "/rest/adAccounts"
AD_ACCOUNT = "/rest/adAccounts/{account_id}"
ACCOUNT_ENTITIES = "/rest/adAccounts/{account_id}/{kind}"
AD_ANALYTICS = "/rest/adAnalytics"

MAX_ELEMENTS = 15_000
"""The most elements one adAnalytics call returns."""
PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
LOOKBACK_DAYS = 28
REQUESTS_PER_WINDOW = 90
WINDOW_SECONDS = 10.0
WORKERS = 4
