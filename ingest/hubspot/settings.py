"""HubSpot endpoints, page sizes and defaults."""

from __future__ import annotations

NAME = "hubspot"
DEFAULT_BASE_URL = "https://api.hubapi.com"
DEFAULT_START_DATE = "2000-01-01T00:00:00Z"
TOKEN_PATH = "/oauth/v1/token"

CRM_OBJECTS = {
    "contacts": "lastmodifieddate",
    "companies": "hs_lastmodifieddate",
    "deals": "hs_lastmodifieddate",
}
"""The CRM objects read, with the property that holds each one's last-modified moment."""
ASSOCIATIONS = (("contacts", "companies"), ("deals", "contacts"), ("deals", "companies"))
"""The associations read, from one object type to another."""

CRM_API_VERSION = "v3"
"""The version in the CRM objects, search, properties, owners and pipelines paths."""
ASSOCIATIONS_API_VERSION = "v4"
"""The version in the associations path (v4: labelled associations, batch reads of 1,000)."""

PROPERTIES = "/crm/{crm}/properties/{object_type}"
OBJECTS = "/crm/{crm}/objects/{object_type}"
SEARCH = "/crm/{crm}/objects/{object_type}/search"
ASSOCIATIONS_BATCH = "/crm/{associations}/associations/{from_type}/{to_type}/batch/read"
OWNERS = "/crm/{crm}/owners/"
DEAL_PIPELINES = "/crm/{crm}/pipelines/deals"
FORMS = "/marketing/v3/forms/"
SUBMISSIONS = "/form-integrations/v1/submissions/forms/{guid}"
EMAIL_EVENTS = "/email/public/v1/events"
WEB_EVENTS = "/events/v3/events"

LIST_LIMIT = 100
"""Records per page of the CRM list endpoints."""
SEARCH_LIMIT = 200
"""Records per page of the search endpoints (their maximum)."""
SEARCH_CAP = 10_000
"""The most results one search query pages through."""
ASSOCIATIONS_BATCH_SIZE = 1000
"""Ids per v4 association batch read (its maximum)."""
EVENTS_LIMIT = 100
EMAIL_EVENTS_LIMIT = 1000
FORMS_LIMIT = 100
SUBMISSIONS_LIMIT = 50
OWNERS_LIMIT = 500

REQUESTS_PER_10S = 190
"""The burst limit of Professional and Enterprise accounts (100 on Free and Starter)."""
WINDOW_MARGIN = 0.5
"""Seconds the client's ten-second window is kept wider than HubSpot's: a call reaches HubSpot's
count a little after the client's, and each 429 costs a whole interval's wait, so the client
stays this far clear of the boundary (at most 5% of the limit)."""
POLICY_WINDOWS = {"TEN_SECONDLY_ROLLING": 10.0, "SECONDLY": 1.0}
"""Seconds each rate-limit policy's window lasts, for a 429 that names no interval header."""
SEARCHES_PER_SECOND = 4
"""Search's own limit, kept below its documented 5 a second."""
WORKERS = 4
"""Concurrent readers of web events and form submissions."""
