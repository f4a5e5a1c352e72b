"""A local Meta (Facebook) Marketing API over the demo world, in the Graph API's own wire format.

It serves what an ads reporting integration reads, under the Graph API versions Meta has not
expired (`API_VERSIONS`: v25.0 to v27.0; the default client version is v26.0); a deprecated
version answers error 2635 "You are calling a deprecated version of the Ads API", as Meta does
(https://developers.facebook.com/docs/graph-api/changelog/versions/):

- `GET /me/adaccounts` and `GET /act_<id>` (fields such as `account_id`, `name`, `currency`,
  `timezone_name`, `timezone_offset_hours_utc`, `account_status`, `amount_spent`).
- Edges `GET /act_<id>/campaigns|adsets|ads|adcreatives` with `fields=`, `limit=` (default 25),
  `after=`, `filtering=[{"field","operator","value"}]` (times as unix seconds) and
  `effective_status=[...]`, answered as `{"data": [...], "paging": {"cursors": {"before",
  "after"}, "next"?}}` with only the requested fields (plus `id`); `next` is an absolute URL
  and is absent on the last page. Nodes read directly: `GET /<campaign|adset|ad|creative id>`.
- Insights, synchronous (`GET /act_<id>/insights`, refused past `sync_max_days`) and
  asynchronous (`POST /act_<id>/insights` -> `{"report_run_id"}`; `GET /<run id>` polls
  `async_status` / `async_percent_completion` through a configurable schedule, by default
  including a poll that reports 100% while still "Job Running"; `GET /<run id>/insights`
  pages the rows). Levels ad / adset / campaign / account, `time_increment` 1-90, `monthly` or
  `all_days`, `time_range` or `date_preset`, `action_attribution_windows`. Numbers are strings;
  days without any delivery are not returned, as the real API does.
- `actions`, `action_values` and `cost_per_action_type` are lists of Ads Action Stats
  (https://developers.facebook.com/docs/marketing-api/reference/ads-action-stats/):
  `{"action_type", "value", "<window>": ...}` with every number a string, for `link_click`,
  `landing_page_view`, `video_view`, `lead` and `offsite_conversion.fb_pixel_lead` from the
  world's counts; only the conversion types (`lead`, the pixel lead) carry windows past one day
  (`7d_click`, `28d_click`, `1d_view`), as the page says; `action_values` lists only the types
  with a value (the leads, at the pixel's value per lead); a type with no action that day is
  left out, and so is a list with nothing in it.

Timestamps read like `2025-08-26T17:00:00-0700`: in the ad account's time zone, as Meta sends
them. Auth is an `access_token` parameter (query or form body) or `Authorization: Bearer`/`OAuth`;
a bad one is error 190. Every account call counts against a per-account rolling limit
(`rate_limit` for management calls, `insights_rate_limit` for insights) that drives the
`X-Business-Use-Case-Usage` (per business object: `type`, `call_count`, `total_cputime`,
`total_time`, `estimated_time_to_regain_access` in minutes, `ads_api_access_tier`),
`X-Ad-Account-Usage` (`acc_id_util_pct`, `reset_time_duration` in seconds) and
`X-FB-Ads-Insights-Throttle` headers (app-level calls get `X-App-Usage`) and, once spent, HTTP 400
with error 17 "User request limit reached" (subcode 2446079), or 80000 for insights, with
`is_transient: true`, as documented in
https://developers.facebook.com/docs/marketing-api/overview/rate-limiting and
https://developers.facebook.com/docs/graph-api/overview/rate-limiting (Meta throttles with 400,
not 429, and sends no `Retry-After`).

Faults: the generic kinds of `gtm_demo.serving`, plus `expired_token` (error 190, subcode 463),
`repeat_record` (the next page starts with the last record of the page before it), `throttle`
(the next call answers the throttling error; `options={"code": 80000}` picks the code),
`stuck_report` (a run created by the next POST stays "Job Running" at 100%; `options={"polls":
n}` lets it complete after n polls) and `failed_report` (the run ends "Job Failed").
"""

from gtm_demo.servers.facebook_ads.app import create_app, start
from gtm_demo.servers.facebook_ads.settings import (
    ACCESS_TIER,
    API_VERSION,
    API_VERSIONS,
    ATTRIBUTION_WINDOWS,
    DEFAULT_LIMIT,
    DEFAULT_REPORT_SCHEDULE,
    DEFAULT_TOKEN,
    EFFECTIVE_STATUSES,
    EPOCH,
    INVALID_TOKEN,
    MAX_LIMIT,
    MAX_RUNS,
    RATE_LIMIT_DOCS,
)

__all__ = [
    "ACCESS_TIER",
    "API_VERSION",
    "API_VERSIONS",
    "ATTRIBUTION_WINDOWS",
    "DEFAULT_LIMIT",
    "DEFAULT_REPORT_SCHEDULE",
    "DEFAULT_TOKEN",
    "EFFECTIVE_STATUSES",
    "EPOCH",
    "INVALID_TOKEN",
    "MAX_LIMIT",
    "MAX_RUNS",
    "RATE_LIMIT_DOCS",
    "create_app",
    "start",
]
