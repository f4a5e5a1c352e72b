"""A local Google Ads API (REST) over the demo world, in Google's own wire format.

A source written against the Google Ads REST API runs unchanged against it:

- OAuth: `POST /token` exchanges a refresh token for a short-lived access token (the shape of
  `https://oauth2.googleapis.com/token`); API calls need `Authorization: Bearer <token>` and a
  `developer-token` header; `login-customer-id` is honoured.
- `GET /vNN/customers:listAccessibleCustomers` lists the world's ad accounts.
- `POST /vNN/customers/<id>/googleAds:search` answers GAQL with fixed pages of 10,000 rows and an
  opaque `nextPageToken` over a server-side snapshot of the result (`totalResultsCount` and
  `summaryRow` on request through `searchSettings`); `googleAds:searchStream` answers a JSON array
  of batches of up to 10,000 rows, each with `fieldMask` and `requestId`.
- GAQL is parsed here (SELECT, FROM, WHERE with AND of comparisons, IN, LIKE, REGEXP_MATCH,
  BETWEEN, IS NULL, DURING, CONTAINS; ORDER BY, LIMIT, PARAMETERS) and translated into DuckDB SQL
  over `WorldState.table`, for the resources customer, campaign, ad_group and ad_group_ad with
  metrics and date segments. Rows are camelCase JSON: int64 as strings, doubles as numbers, enums
  as names; only the selected fields appear, plus the resource name of each selected resource.
- Errors are Google's `{"error": {code, message, status, details: [GoogleAdsFailure]}}`. Quota
  errors carry `quotaErrorDetails` {`rateScope`, `rateName`, `retryDelay`} as Google documents
  them (https://developers.google.com/google-ads/api/reference/rpc/v26/QuotaErrorDetails and
  https://developers.google.com/google-ads/api/docs/best-practices/quotas): a rolling
  request-rate limit answers 429 `RESOURCE_TEMPORARILY_EXHAUSTED` with the seconds until a slot
  frees; past the daily operations limit calls get 429 `RESOURCE_EXHAUSTED` (`DEVELOPER`,
  "Number of operations for basic access", retry at midnight Pacific; pages fetched with a page
  token are free).
- Versions: the paths carry the API version; the server answers v23 to v26 (v26 the latest, as
  Google's reference pages name it; v21 and v22 sunset in 2026) and any other with a 404
  `NOT_FOUND`.
- Faults: the generic kinds of `gtm_demo.serving`, plus `expired_token` (the access token dies:
  401 `OAUTH_TOKEN_EXPIRED`), `repeat_record` (the next `:search` page starts with the last
  row of the page before it) and `quota_error` (a 429 quotaError whose code, rate scope, rate
  name and retry delay the fault's options give).
"""

from gtm_demo.servers.google_ads.app import create_app, start
from gtm_demo.servers.google_ads.settings import (
    API_VERSION,
    DAILY_OPERATIONS,
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_DEVELOPER_TOKEN,
    DEFAULT_REFRESH_TOKEN,
    MAX_OPEN_SNAPSHOTS,
    PAGE_SIZE,
    SCOPE,
    TOKEN_LIFETIME,
)

__all__ = [
    "API_VERSION",
    "DAILY_OPERATIONS",
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "DEFAULT_DEVELOPER_TOKEN",
    "DEFAULT_REFRESH_TOKEN",
    "MAX_OPEN_SNAPSHOTS",
    "PAGE_SIZE",
    "SCOPE",
    "TOKEN_LIFETIME",
    "create_app",
    "start",
]
