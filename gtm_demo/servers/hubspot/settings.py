"""Credentials, limits and messages of the local HubSpot API."""

from __future__ import annotations

from datetime import UTC, datetime

DEFAULT_TOKEN = "demo-hubspot-token"


DEFAULT_OAUTH_CLIENT = ("demo-hubspot-client", "demo-hubspot-secret", "demo-hubspot-refresh")


DAILY_LIMIT = 625_000
"""Calls a day of a Professional account."""

API_VERSIONS = {"crm": ("v3",), "associations": ("v4",)}
"""The versions served in the CRM paths (`/crm/v3/objects/...`) and the associations paths."""


AUTH_MESSAGE = (
    "Authentication credentials not found. This API supports OAuth 2.0 authentication and you "
    "can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"
)


EXPIRED_MESSAGE = "The OAuth token used to make this call expired 0 day(s) ago."


SEARCH_CAP = 10_000


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
