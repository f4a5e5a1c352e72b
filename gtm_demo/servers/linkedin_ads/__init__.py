"""A local LinkedIn Marketing API over the demo world, in LinkedIn's versioned REST wire format.

What an ads reporting integration reads, under `/rest`:

- `GET /rest/adAccounts?q=search&search=(...)` and `GET /rest/adAccounts/{id}`;
  `GET /rest/adAccounts/{id}/adCampaignGroups?q=search`, `.../adCampaigns?q=search` and
  `.../creatives?q=criteria` (each also by id), cursor-paged by `pageSize` / `pageToken` with
  `metadata.nextPageToken` (absent on the last page), like LinkedIn's search finders since 202401.
- `GET /rest/adAnalytics?q=analytics&pivot=&timeGranularity=&dateRange=(...)&accounts=List(...)`
  with no paging: every element in one answer, and an error past `max_elements` (LinkedIn caps a
  call at 15,000 elements) so a client must split its date range. Pivots ACCOUNT, CAMPAIGN_GROUP,
  CAMPAIGN and CREATIVE; granularities DAILY, MONTHLY, YEARLY and ALL.
- OAuth: `POST /oauth/v2/accessToken` (client credentials or refresh token grants). Every `/rest`
  call needs `Authorization: Bearer <token>` (an issued token or the static `token`), a
  `LinkedIn-Version: YYYYMM` header (missing: 400 VERSION_MISSING; outside `versions`: 426
  NONEXISTENT_VERSION) and `X-Restli-Protocol-Version: 2.0.0`.

Query parameters are parsed as Rest.li 2.0 for real: `List(...)`, records `(key:value,...)`,
structural characters `( ) , :` left raw and values (URNs in particular) percent-encoded once.
A value whose structure arrived percent-encoded (`List%28...`) or that is percent-encoded twice
(`urn%253Ali...`, what a client that hands an encoded URN to an HTTP library produces) is answered
400 naming the parameter, as Rest.li's own validation error. Query tunneling (`POST` with
`X-HTTP-Method-Override: GET` and the query as a form body) is accepted.

Limits: a rolling window and a daily limit, both answered 429 `{"status": 429,
"serviceErrorCode": 101, "code": "TOO_MANY_REQUESTS", "message": "Resource level throttle
APPLICATION MINUTE|DAY limit for calls to this resource is reached."}` with no `Retry-After` and
no rate-limit headers: LinkedIn's limits are per application and member per UTC day, reset at
midnight UTC, and unpublished
(https://learn.microsoft.com/en-us/linkedin/shared/api-guide/concepts/rate-limits). Versions
follow https://learn.microsoft.com/en-us/linkedin/marketing/versioning (monthly, each served
about a year). Faults: the
generic kinds of `gtm_demo.serving`, plus `expired_token` (401 EXPIRED_ACCESS_TOKEN, or the
`code` in the fault's options such as REVOKED_ACCESS_TOKEN; an issued token stays dead, the static
token fails once) and `repeat_record` (the next page starts with the last element of the page
before it), `unreadable_creatives` (the next creatives finder call of the path lists none, as
for a token that may not read them; adAnalytics still answers). Moving the world's clock
(`state.advance`) serves restated analytics: the newest version of each (creative, date)
visible at the moment replaces older figures.
"""

from gtm_demo.servers.linkedin_ads.app import create_app, start
from gtm_demo.servers.linkedin_ads.settings import (
    ACCESS_TOKEN_SECONDS,
    APP_TOKEN_SECONDS,
    DAILY_LIMIT,
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_FIELDS,
    DEFAULT_REFRESH_TOKEN,
    DEFAULT_TOKEN,
    EPOCH,
    EXPIRED_MESSAGES,
    FACETS,
    GRANULARITIES,
    LATEST_VERSION,
    MAX_ELEMENTS,
    MAX_FIELDS,
    METRICS,
    OLDEST_VERSION,
    ORGANIZATION_URN,
    PAGE_SIZE_DEFAULT,
    PAGE_SIZE_MAX,
    PARAM_MESSAGE,
    PIVOTS,
    REFRESH_TOKEN_SECONDS,
    THROTTLE_MESSAGE,
    VERSION_MISSING_MESSAGE,
)

__all__ = [
    "ACCESS_TOKEN_SECONDS",
    "APP_TOKEN_SECONDS",
    "DAILY_LIMIT",
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "DEFAULT_FIELDS",
    "DEFAULT_REFRESH_TOKEN",
    "DEFAULT_TOKEN",
    "EPOCH",
    "EXPIRED_MESSAGES",
    "FACETS",
    "GRANULARITIES",
    "LATEST_VERSION",
    "MAX_ELEMENTS",
    "MAX_FIELDS",
    "METRICS",
    "OLDEST_VERSION",
    "ORGANIZATION_URN",
    "PAGE_SIZE_DEFAULT",
    "PAGE_SIZE_MAX",
    "PARAM_MESSAGE",
    "PIVOTS",
    "REFRESH_TOKEN_SECONDS",
    "THROTTLE_MESSAGE",
    "VERSION_MISSING_MESSAGE",
    "create_app",
    "start",
]
