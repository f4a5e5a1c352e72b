"""LinkedIn Ads: a dlt source over the LinkedIn Marketing API (versioned REST, Rest.li 2.0).

Tables (`raw_linkedin_ads`):

- `ad_accounts`: each account read, merged on `id`, with its `currency` and `time_zone` (always
  'UTC': LinkedIn accounts have no time zone, and adAnalytics reports days in UTC).
- `campaign_groups`, `campaigns`, `creatives`: merged on `id`, read whole each run per account
  with the search / criteria finders (paged by `pageToken` / `metadata.nextPageToken`), so a
  status change lands on the next run. Ids are int64 (URNs reduced to their number); budgets are
  exact decimals; a creative's whole `content` is kept as JSON text beside its landing page.
- `creative_analytics_daily` (creative × date, merged on `creative_id`, `date`): adAnalytics
  with `pivot=CREATIVE`, `timeGranularity=DAILY`, per account. `cost_in_local_currency` and
  `cost_in_usd` are the decimal strings LinkedIn sends, as decimals (never floats), with the
  account's `currency` and `time_zone` on every row.
- `campaign_analytics_daily` (campaign × date, merged on `campaign_id`, `date`): the same with
  `pivot=CAMPAIGN`, so spend reconciles at campaign level whatever the creatives the token can
  read. An account whose creatives cannot be read still gets both (its date ranges sized by the
  element cap alone, halved while refused).

adAnalytics has no paging and refuses a call that would return more elements than its cap
(15,000), so each account's dates are split into ranges that cannot reach the cap (the cap over
the account's number of creatives, in days), and a range refused anyway is halved until it is
answered. Queries are written out in Rest.li 2.0 syntax (structure raw, URNs percent-encoded once),
never through an HTTP library's parameter encoding.

Each run re-reads every account's analytics from its last loaded date less `lookback_days` (28 by
default) up to `end_date`, so figures LinkedIn restates after the fact (conversions, spend)
replace the old ones on their key instead of adding to them. The last loaded date per account is
kept in the resource's dlt state; the first run starts at the account's creation (or
`start_date`, when later). Accounts and date ranges are read concurrently within a client-side
request rate; a daily throttle (429 "... DAY limit") is a spent quota and ends the run.

Configuration (`SOURCES__LINKEDIN_ADS__*`): secrets `client_id`, `client_secret` and
`refresh_token` (OAuth; without a refresh token the client credentials grant is used), or a ready
`access_token`; `account_ids` (default: every account the token can see), `base_url`,
`token_url`, `linkedin_version`, `start_date`, `lookback_days`, `end_date` (default: today in
UTC).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta

import dlt
import pyarrow as pa
from dlt.sources import DltResource

from ingest._oauth import OAuth, grant
from ingest._transport import AuthenticationError, RateLimiter, SourceError, Transport
from ingest.extract import date_windows, id_list, parse_date, run_concurrently, skip_repeats
from ingest.linkedin_ads.helpers import (
    ANALYTICS_FIELDS,
    accounts_table,
    analytics_table,
    campaign_groups_table,
    campaigns_table,
    classify,
    creatives_table,
    error_message,
    id_of,
    moment,
    over_element_cap,
    page_token,
    restli_date,
    urn,
)
from ingest.linkedin_ads.settings import (
    ACCOUNT_ENTITIES,
    AD_ACCOUNT,
    AD_ACCOUNTS,
    AD_ANALYTICS,
    DEFAULT_BASE_URL,
    DEFAULT_START_DATE,
    DEFAULT_TOKEN_URL,
    LINKEDIN_VERSION,
    LOOKBACK_DAYS,
    MAX_ELEMENTS,
    MAX_PAGE_SIZE,
    NAME,
    PAGE_SIZE,
    REQUESTS_PER_WINDOW,
    RESTLI_PROTOCOL_VERSION,
    TOKEN_PATH,
    WINDOW_SECONDS,
    WORKERS,
)


class LinkedInApi:
    """The calls the source makes, over one authenticated, rate-limited client."""

    def __init__(
        self,
        client: Transport,
        account_ids: list[int] | None,
        page_size: int,
        max_elements: int,
        workers: int,
    ) -> None:
        self.client = client
        self.account_ids = account_ids
        self.page_size = page_size
        self.max_elements = max_elements
        self.workers = workers
        self._accounts: list[dict] | None = None
        self._creatives: dict[int, list[dict]] = {}
        self._lock = threading.Lock()
        self._accounts_lock = threading.Lock()
        self._creative_locks: dict[int, threading.Lock] = {}

    def paged(self, path: str, query: str) -> Iterator[list[dict]]:
        """Every page of a search / criteria finder, each element once.

        The finder's query is written out in Rest.li syntax; only the page token is added as
        a parameter.
        """
        url = f"{path}?{query}&pageSize={self.page_size}"
        pages = self.client.paginate(url, page_token(), "elements")
        yield from skip_repeats(pages, lambda element: str(element.get("id")))

    def accounts(self) -> list[dict]:
        """Return the accounts to read: those configured, or every one the token can see."""
        with self._accounts_lock:
            if self._accounts is None:
                if self.account_ids:
                    found = run_concurrently(
                        lambda ident: self.client.get(AD_ACCOUNT.format(account_id=ident)).json(),
                        self.account_ids,
                        self.workers,
                    )
                    accounts = sorted((a for _, a in found), key=lambda a: id_of(a["id"]) or 0)
                else:
                    accounts = [a for page in self.paged(AD_ACCOUNTS, "q=search") for a in page]
                self._accounts = accounts
            return self._accounts

    def entities(self, account_id: int, kind: str) -> list[dict]:
        """Every campaign group, campaign or creative of an account."""
        finder = "q=criteria" if kind == "creatives" else "q=search"
        path = ACCOUNT_ENTITIES.format(account_id=account_id, kind=kind)
        return [e for page in self.paged(path, finder) for e in page]

    def creatives(self, account_id: int) -> list[dict]:
        """Return an account's creatives, read once per run (the analytics plan counts them)."""
        with self._lock:
            lock = self._creative_locks.setdefault(account_id, threading.Lock())
        with lock:
            if account_id not in self._creatives:
                self._creatives[account_id] = self.entities(account_id, "creatives")
            return self._creatives[account_id]

    def analytics(
        self, account_id: int, first: date, last: date, pivot: str = "CREATIVE"
    ) -> list[dict] | None:
        """Daily analytics of `first`..`last` by `pivot`; None when past the element cap.

        `pivot` is CREATIVE or CAMPAIGN.
        """
        query = (
            f"q=analytics&pivot={pivot}&timeGranularity=DAILY"
            f"&dateRange=(start:{restli_date(first)},end:{restli_date(last)})"
            f"&accounts=List({urn('sponsoredAccount', account_id)})"
            f"&fields={','.join(ANALYTICS_FIELDS)}"
        )
        reply = self.client.get(f"{AD_ANALYTICS}?{query}", ok_statuses=frozenset({200, 400}))
        if reply.status_code == 200:
            return (reply.json() or {}).get("elements") or []
        if over_element_cap(reply.status_code, reply.json()) and first < last:
            return None
        raise SourceError(
            f"{NAME}: adAnalytics refused account {account_id} for {first}..{last} (HTTP "
            f"{reply.status_code}): {error_message(reply.content) or reply.content[:300]!r}"
        )


def _halves(task: tuple[int, date, date]) -> list[tuple[int, date, date]]:
    """Split an analytics range the API refused as too many elements in two."""
    account_id, first, last = task
    middle = first + (last - first) // 2
    return [(account_id, first, middle), (account_id, middle + timedelta(days=1), last)]


def _accounts_resource(api: LinkedInApi) -> DltResource:
    def read() -> Iterator[pa.Table]:
        accounts = api.accounts()
        if accounts:
            yield accounts_table(accounts)

    return dlt.resource(
        read, name="ad_accounts", primary_key="id", write_disposition="merge", parallelized=True
    )


_ENTITIES = {
    "campaign_groups": ("adCampaignGroups", campaign_groups_table),
    "campaigns": ("adCampaigns", campaigns_table),
    "creatives": ("creatives", creatives_table),
}


def _entity_resource(api: LinkedInApi, table: str) -> DltResource:
    kind, to_table = _ENTITIES[table]

    def fetch(account_id: int) -> list[dict]:
        if kind == "creatives":
            return api.creatives(account_id)
        return api.entities(account_id, kind)

    def read() -> Iterator[pa.Table]:
        ids = [id_of(a["id"]) for a in api.accounts()]
        for _, elements in run_concurrently(fetch, ids, api.workers):
            if elements:
                yield to_table(elements)

    return dlt.resource(
        read, name=table, primary_key="id", write_disposition="merge", parallelized=True
    )


ANALYTICS = {
    "CREATIVE": ("creative_analytics_daily", "creative_id"),
    "CAMPAIGN": ("campaign_analytics_daily", "campaign_id"),
}
"""The adAnalytics pivots read: pivot -> (raw table, key column beside `date`)."""


def _analytics_resource(
    api: LinkedInApi, start: date, end: date, lookback_days: int, pivot: str
) -> DltResource:
    table_name, key = ANALYTICS[pivot]

    def read() -> Iterator[pa.Table]:
        # The last date loaded per account: each run re-reads `lookback_days` before it.
        last: dict[str, str] = dlt.current.resource_state().setdefault("last_date", {})
        accounts = {id_of(a["id"]): a for a in api.accounts()}
        creatives = dict(run_concurrently(api.creatives, list(accounts), api.workers))
        tasks: list[tuple[int, date, date]] = []
        for account_id, account in accounts.items():
            created = moment(
                ((account.get("changeAuditStamps") or {}).get("created") or {}).get("time")
            )
            first = max(start, created.date()) if created else start
            if str(account_id) in last:
                since = date.fromisoformat(last[str(account_id)]) - timedelta(days=lookback_days)
                first = max(first, since)
            if first > end:
                continue
            # A day has at most one element per creative (and so per campaign): ranges this
            # long stay under the cap. With no creatives readable the analytics are still read
            # (LinkedIn reports them whatever the token may see of the creatives): one range,
            # halved while the API refuses it as too many elements.
            days = max(1, api.max_elements // max(1, len(creatives[account_id])))
            tasks += [(account_id, low, high) for low, high in date_windows(first, end, days)]

        def fetch(task: tuple[int, date, date]) -> list[dict] | None:
            return api.analytics(*task, pivot=pivot)

        # A range refused as past the element cap is halved and queued again.
        done = run_concurrently(fetch, tasks, api.workers, split=_halves)
        for (account_id, _, _), elements in done:
            if not elements:
                continue
            currency = accounts[account_id].get("currency")
            table = analytics_table(elements, account_id, currency, key)
            newest = max(table["date"].to_pylist()).isoformat()
            if newest > last.get(str(account_id), ""):
                last[str(account_id)] = newest
            yield table

    return dlt.resource(
        read,
        name=table_name,
        primary_key=(key, "date"),
        write_disposition="merge",
        parallelized=True,
    )


def _account_ids(value: str | int | Sequence[str | int] | None) -> list[int] | None:
    """Read account ids from a list, a JSON list or a comma-separated string (None: all)."""
    try:
        ids = [id_of(v) for v in id_list(value)]
    except ValueError:
        raise SourceError(f"{NAME}: account ids are numbers or account URNs: {value!r}") from None
    return [i for i in ids if i is not None] or None


@dlt.source(name=NAME, max_table_nesting=0)
def linkedin_ads_source(
    client_id: str | None = dlt.secrets.value,
    client_secret: str | None = dlt.secrets.value,
    refresh_token: str | None = dlt.secrets.value,
    access_token: str | None = dlt.secrets.value,
    account_ids: str | int | Sequence[str | int] | None = None,
    base_url: str = DEFAULT_BASE_URL,
    token_url: str | None = None,
    linkedin_version: str = LINKEDIN_VERSION,
    start_date: str = DEFAULT_START_DATE,
    lookback_days: int = LOOKBACK_DAYS,
    end_date: str | None = None,
    requests_per_window: int = REQUESTS_PER_WINDOW,
    window_seconds: float = WINDOW_SECONDS,
    max_elements: int = MAX_ELEMENTS,
    page_size: int = PAGE_SIZE,
    workers: int = WORKERS,
) -> Iterator[DltResource]:
    """LinkedIn ad accounts, campaign groups, campaigns, creatives and daily analytics.

    Daily analytics are read by creative and by campaign.

    `account_ids` (a list, or ids separated by commas) picks the accounts; by default every
    account the token can see. `token_url` defaults to LinkedIn's, or to the same host as a
    non-default `base_url` (a local server). `end_date` is the last day read (default: today in
    UTC); each run re-reads analytics from `lookback_days` before the last day loaded. The
    client keeps under `requests_per_window` calls per `window_seconds`. Timeouts and retries
    follow dlt's `[runtime]` settings.
    """
    if lookback_days < 0 or page_size < 1 or max_elements < 1:
        raise SourceError(f"{NAME}: lookback_days must be >= 0, page_size and max_elements >= 1")
    ids = _account_ids(account_ids)
    start = parse_date(start_date or DEFAULT_START_DATE, "start_date", NAME)
    end = parse_date(end_date, "end_date", NAME) or datetime.now(UTC).date()
    if token_url is None:
        token_url = (
            DEFAULT_TOKEN_URL
            if base_url.rstrip("/") == DEFAULT_BASE_URL
            else base_url.rstrip("/") + TOKEN_PATH
        )
    # With a refresh token (three-legged OAuth) or only the client's id and secret (the client
    # credentials grant) a token is fetched, and renewed after a 401; a bare access token
    # cannot be renewed, so an expired one ends the run.
    form = grant(client_id, client_secret, refresh_token)
    if form is None and not access_token:
        raise AuthenticationError(
            f"{NAME}: no credentials: set access_token, or client_id and client_secret "
            "(with refresh_token for a member's three-legged token)"
        )
    client = Transport(
        NAME,
        base_url,
        auth=OAuth(NAME, token_url, form, token=access_token),
        classify=classify,
        limiter=RateLimiter(requests_per_window, window_seconds),
        pool_size=max(16, workers * 2),
        headers={
            "LinkedIn-Version": linkedin_version,
            "X-Restli-Protocol-Version": RESTLI_PROTOCOL_VERSION,
        },
    )
    api = LinkedInApi(client, ids, min(page_size, MAX_PAGE_SIZE), max_elements, workers)
    yield _accounts_resource(api)
    for table in _ENTITIES:
        yield _entity_resource(api, table)
    for pivot in ANALYTICS:
        yield _analytics_resource(api, start, end, lookback_days, pivot)
