"""Versions, credentials, limits, metrics and pivots of the local LinkedIn Marketing API."""

from __future__ import annotations

import re
from datetime import UTC, datetime

DEFAULT_CLIENT_ID = "demo-linkedin-client"


DEFAULT_CLIENT_SECRET = "demo-linkedin-secret"


DEFAULT_TOKEN = "demo-linkedin-token"


DEFAULT_REFRESH_TOKEN = "demo-linkedin-refresh-token"


# The monthly versions served (inclusive); LinkedIn supports each for about a year.
OLDEST_VERSION = "202506"


LATEST_VERSION = "202612"


DAILY_LIMIT = 100_000


MAX_ELEMENTS = 15_000


PAGE_SIZE_DEFAULT = 100


PAGE_SIZE_MAX = 1000


MAX_FIELDS = 20


ACCESS_TOKEN_SECONDS = 5_184_000  # 60 days, a three-legged token


APP_TOKEN_SECONDS = 1_800  # 30 minutes, a client-credentials token


REFRESH_TOKEN_SECONDS = 31_536_000


ORGANIZATION_URN = "urn:li:organization:10460573"


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


VERSION_MISSING_MESSAGE = (
    "A version must be present. Please specify a version by adding the LinkedIn-Version header."
)


PARAM_MESSAGE = "Invalid param. Please see errorDetails for more information."


THROTTLE_MESSAGE = "Resource level throttle {scope} limit for calls to this resource is reached."


EXPIRED_MESSAGES = {
    "EXPIRED_ACCESS_TOKEN": "The token used in the request has expired",
    "REVOKED_ACCESS_TOKEN": "The token used in the request has been revoked by the user",
}


_VERSION = re.compile(r"^(\d{6})(\.\d{2})?$")


_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}")


_DIGITS = re.compile(r"^\d+$")


_STATUS_ERRORS: dict[int, tuple[str, int | None]] = {
    400: ("ILLEGAL_ARGUMENT", None),
    401: ("INVALID_ACCESS_TOKEN", 65600),
    403: ("ACCESS_DENIED", 100),
    404: ("NOT_FOUND", None),
    405: ("METHOD_NOT_ALLOWED", None),
    429: ("TOO_MANY_REQUESTS", 101),
    500: ("INTERNAL_SERVER_ERROR", None),
    502: ("BAD_GATEWAY", None),
    503: ("SERVICE_UNAVAILABLE", None),
    504: ("GATEWAY_TIMEOUT", None),
}


# adAnalytics metrics this world can answer: wire name -> analytics column.
METRICS = {
    "impressions": "impressions",
    "clicks": "clicks",
    "costInLocalCurrency": "cost_in_local_currency",
    "costInUsd": "cost_in_usd",
    "externalWebsiteConversions": "external_website_conversions",
}


DEFAULT_FIELDS = ("impressions", "clicks")


PIVOTS = {
    "ACCOUNT": ("a.account_id", "sponsoredAccount"),
    "CAMPAIGN_GROUP": ("c.campaign_group_id", "sponsoredCampaignGroup"),
    "CAMPAIGN": ("a.campaign_id", "sponsoredCampaign"),
    "CREATIVE": ("a.creative_id", "sponsoredCreative"),
}


GRANULARITIES = {"DAILY": "day", "MONTHLY": "month", "YEARLY": "year", "ALL": None}


# Facet parameter -> (URN type, analytics column).
FACETS = {
    "accounts": ("sponsoredAccount", "a.account_id"),
    "campaignGroups": ("sponsoredCampaignGroup", "c.campaign_group_id"),
    "campaigns": ("sponsoredCampaign", "a.campaign_id"),
    "creatives": ("sponsoredCreative", "a.creative_id"),
}
