"""A local HubSpot API over the demo world, in HubSpot's own wire format.

It serves what a private app reads: CRM v3 objects (list and search), properties, v4 association
batch reads, deal pipelines, owners, legacy marketing e-mail events, forms and their submissions,
and web analytics events. Auth is a private-app bearer token; a rolling ten-second limit answers
429 with HubSpot's body and headers; search has its own per-second limit and, like HubSpot's,
sends no rate-limit headers. Server-specific fault kinds: `expired_token` (401
EXPIRED_AUTHENTICATION) and `repeat_record` (the next page repeats the last record of the page
before it).
"""

from gtm_demo.servers.hubspot.app import create_app, start
from gtm_demo.servers.hubspot.settings import (
    AUTH_MESSAGE,
    DAILY_LIMIT,
    DEFAULT_OAUTH_CLIENT,
    DEFAULT_TOKEN,
    EPOCH,
    EXPIRED_MESSAGE,
    SEARCH_CAP,
)

__all__ = [
    "AUTH_MESSAGE",
    "DAILY_LIMIT",
    "DEFAULT_OAUTH_CLIENT",
    "DEFAULT_TOKEN",
    "EPOCH",
    "EXPIRED_MESSAGE",
    "SEARCH_CAP",
    "create_app",
    "start",
]
