"""A local HubSpot API over the demo world, in HubSpot's own wire format.

It serves what a private app reads: CRM v3 objects (list and search), properties, v4 association
batch reads, deal pipelines, owners, legacy marketing e-mail events, forms and their submissions,
and web analytics events. Auth is a private-app bearer token. A path with a CRM version other than
v3 (v4 for associations) is a 404 in HubSpot's error format.

Rate limits, as HubSpot's usage guidelines document them
(https://developers.hubspot.com/docs/developer-tooling/platform/usage-guidelines): every answer
but search's carries `X-HubSpot-RateLimit-Interval-Milliseconds`, `-Max` and `-Remaining` (and
`-Daily`, `-Daily-Remaining`); past the rolling ten-second limit the answer is a 429 whose body
names the policy (`"policyName": "TEN_SECONDLY_ROLLING"`, `"errorType": "RATE_LIMIT"`) with those
headers and no `Retry-After`; search has its own per-second limit (`SECONDLY`) and, like
HubSpot's, sends no rate-limit headers; past the daily limit every call is a 429 `DAILY`.

E-mail events follow the legacy email events API
(https://developers.hubspot.com/docs/api-reference/legacy/email-analytics-v1/guide): besides the
common fields, SENT carries `subject` and `from`, DELIVERED `response` and `smtpId`, BOUNCE
`category`, `response` and `status`, OPEN `browser`, `location`, `userAgent`, `deviceType`,
`duration` and `filteredEvent`, CLICK `url`, `browser`, `location`, `userAgent`, `deviceType`
and `referer`.

Server-specific fault kinds: `expired_token` (401 EXPIRED_AUTHENTICATION) and `repeat_record` (the
next page repeats the last record of the page before it).
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
