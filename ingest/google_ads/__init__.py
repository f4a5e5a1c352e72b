"""Google Ads: a dlt source over the Google Ads API (REST), read with GAQL.

Tables (`raw_google_ads`):

- `customers`: each account read, merged on `id`, with its `currency_code` and `time_zone`.
- `campaigns`, `ad_groups`, `conversion_actions` (merged on `id`) and `ads` (ad group ads,
  merged on `ad_group_id`, `id`): read whole each run with `googleAds:search` (paged by
  `nextPageToken`), so a status change or a removal (`REMOVED`) lands on the next run. The
  UTM-bearing fields (final URLs, tracking template, final URL suffix, custom parameters) come
  along.
- `ad_metrics_daily` (ad × date, merged on `ad_group_id`, `ad_id`, `date`) and
  `campaign_metrics_daily` (campaign × date, merged on `campaign_id`, `date`; it holds the spend
  of campaigns without ad-level rows, such as Performance Max): read with
  `googleAds:searchStream` in date windows, each row carrying its account's currency and time
  zone. `cost_micros` stays the exact int64 the API sends.
- `keyword_metrics_daily` (keyword × date from `keyword_view`, merged on `ad_group_id`,
  `criterion_id`, `date`, with the keyword's text, match type and status) and
  `conversion_action_metrics_daily` (ad × conversion action × date, merged on `ad_group_id`,
  `ad_id`, `conversion_action_id`, `date`: `metrics.conversions` and `conversions_value`
  segmented by `segments.conversion_action`), read like the other metrics.

Each run re-reads every account's metrics from its last loaded date less `lookback_days` (28 by
default) up to `end_date`, and replaces the rows of each (account, date) it reads, so conversions
Google restates after the fact replace the old figures instead of adding to them. The last
loaded date per account is kept in the resource's dlt state; the first run starts at the
account's first day with data (or `start_date`, when later). Accounts and date windows are read
concurrently, within a client-side request rate.

Configuration (`SOURCES__GOOGLE_ADS__*`): secrets `client_id`, `client_secret`, `refresh_token`
(OAuth) and `developer_token`; `login_customer_id` (the manager account, if any), `customer_ids`
(default: every accessible account), `base_url`, `token_url`, `api_version` (default v26),
`start_date`, `lookback_days`, `end_date` (default: today in UTC), `window_days`,
`requests_per_second`, `workers`, `max_quota_wait`; see docs/ingestion.md.

Quota errors follow Google's QuotaErrorDetails: a `RESOURCE_TEMPORARILY_EXHAUSTED` (or a
`RESOURCE_EXHAUSTED` for a request rate) holds every caller for its `retryDelay`, then retries.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import dlt
import pyarrow as pa
import pyarrow.compute as pc
from dlt.sources import DltResource

from ingest._oauth import OAuth, grant
from ingest._transport import AuthenticationError, RateLimiter, SourceError, Transport
from ingest.extract import date_windows, id_list, parse_date, run_concurrently, skip_repeats
from ingest.google_ads.helpers import (
    CUSTOMERS,
    ENTITIES,
    METRICS,
    CustomerNotEnabledError,
    TableSpec,
    digits,
    make_classify,
    page_token,
    rows_table,
    throttle,
)
from ingest.google_ads.settings import (
    CUSTOMERS as CUSTOMERS_PATH,
)
from ingest.google_ads.settings import (
    DEFAULT_API_VERSION,
    DEFAULT_BASE_URL,
    DEFAULT_START_DATE,
    DEFAULT_TOKEN_URL,
    LIST_ACCESSIBLE,
    LOOKBACK_DAYS,
    MAX_QUOTA_WAIT,
    NAME,
    REQUESTS_PER_SECOND,
    SEARCH,
    SEARCH_STREAM,
    WINDOW_DAYS,
    WORKERS,
)


class GoogleAdsApi:
    """The calls the source makes, over one authenticated, rate-limited client."""

    def __init__(
        self,
        client: Transport,
        api_version: str,
        customer_ids: Sequence[str] | None,
        workers: int,
    ) -> None:
        self.client = client
        self.prefix = CUSTOMERS_PATH.format(api_version=api_version)
        self.configured = list(customer_ids) if customer_ids else None
        self.workers = workers
        self._customers: pa.Table | None = None
        self._first_dates: dict[tuple[str, date, date], date | None] = {}
        self._lock = threading.Lock()

    def accessible(self) -> list[str]:
        """Ids of the customers the credentials can read directly."""
        data = self.client.get(self.prefix + LIST_ACCESSIBLE).json() or {}
        return sorted(name.rsplit("/", 1)[-1] for name in data.get("resourceNames", []))

    def search(self, customer_id: str, query: str) -> Iterator[list[dict[str, Any]]]:
        """Yield the result pages of a `googleAds:search`, following `nextPageToken`.

        A row repeated at the start of a page (the last row of the page before) is read once.
        """
        path = self.prefix + SEARCH.format(customer_id=customer_id)
        pages = self.client.paginate(
            path, page_token(), "results", method="POST", json={"query": query}
        )
        yield from skip_repeats(pages, lambda row: row)

    def stream(self, customer_id: str, query: str) -> list[list[dict[str, Any]]]:
        """Return the result batches of a `googleAds:searchStream`."""
        path = self.prefix + SEARCH_STREAM.format(customer_id=customer_id)
        data = self.client.post(path, json={"query": query}).json() or []
        if isinstance(data, dict):  # a single batch, not wrapped in an array
            data = [data]
        return [batch["results"] for batch in data if batch.get("results")]

    def customers(self) -> pa.Table:
        """Return the `customers` rows of every account read (fetched once, on first use).

        Without configured ids, every accessible account is read, except those Google reports
        as no longer enabled (cancelled, closed, suspended).
        """
        with self._lock:
            if self._customers is not None:
                return self._customers
            ids = self.configured if self.configured is not None else self.accessible()

            def one(customer_id: str) -> pa.Table | None:
                try:
                    rows = [r for page in self.search(customer_id, CUSTOMERS.query()) for r in page]
                except CustomerNotEnabledError:
                    if self.configured is not None:
                        raise
                    return None
                return rows_table(CUSTOMERS, rows)

            tables = [t for _, t in run_concurrently(one, ids, self.workers) if t is not None]
            table = pa.concat_tables(tables) if tables else CUSTOMERS.schema().empty_table()
            self._customers = table.sort_by("id")
            return self._customers

    def readable(self) -> list[str]:
        """Ids of the accounts that hold campaigns and metrics (manager accounts hold none)."""
        table = self.customers()
        return [
            cid
            for cid, manager in zip(
                table["id"].to_pylist(), table["manager"].to_pylist(), strict=True
            )
            if not manager
        ]

    def first_date(self, customer_id: str, since: date, until: date) -> date | None:
        """Return the first day with metrics between `since` and `until` (None: no day)."""
        key = (customer_id, since, until)
        with self._lock:
            if key in self._first_dates:
                return self._first_dates[key]
        query = (
            "SELECT segments.date, metrics.impressions FROM customer WHERE segments.date "
            f"BETWEEN '{since.isoformat()}' AND '{until.isoformat()}' "
            "ORDER BY segments.date ASC LIMIT 1"
        )
        rows = [r for page in self.search(customer_id, query) for r in page]
        found = date.fromisoformat(rows[0]["segments"]["date"]) if rows else None
        with self._lock:
            self._first_dates[key] = found
        return found


def _customers_resource(api: GoogleAdsApi) -> DltResource:
    def read() -> Iterator[pa.Table]:
        table = api.customers()
        if table.num_rows:
            yield table

    return dlt.resource(
        read,
        name=CUSTOMERS.name,
        primary_key=CUSTOMERS.primary_key,
        write_disposition="merge",
        parallelized=True,
    )


def _entity_resource(api: GoogleAdsApi, spec: TableSpec) -> DltResource:
    def read() -> Iterator[pa.Table]:
        def fetch(customer_id: str) -> list[pa.Table]:
            return [rows_table(spec, rows) for rows in api.search(customer_id, spec.query())]

        for _, tables in run_concurrently(fetch, api.readable(), api.workers):
            yield from tables

    return dlt.resource(
        read,
        name=spec.name,
        primary_key=spec.primary_key,
        write_disposition="merge",
        parallelized=True,
    )


def _metrics_resource(
    api: GoogleAdsApi,
    spec: TableSpec,
    start: date,
    end: date,
    lookback_days: int,
    window_days: int,
) -> DltResource:
    def read() -> Iterator[pa.Table]:
        # The last date loaded per account: the next run re-reads `lookback_days` before it.
        last: dict[str, str] = dlt.current.resource_state(spec.name).setdefault("last_date", {})
        tasks: list[tuple[str, date, date]] = []
        for customer_id in api.readable():
            if customer_id in last:
                since = date.fromisoformat(last[customer_id]) - timedelta(days=lookback_days)
                since = max(start, since)
            else:
                first = api.first_date(customer_id, start, end)
                if first is None:
                    continue
                since = first
            tasks += [
                (customer_id, low, high) for low, high in date_windows(since, end, window_days)
            ]

        def fetch(task: tuple[str, date, date]) -> list[pa.Table]:
            customer_id, low, high = task
            return [
                rows_table(spec, rows) for rows in api.stream(customer_id, spec.query(low, high))
            ]

        for (customer_id, _, _), tables in run_concurrently(fetch, tasks, api.workers):
            for table in tables:
                if not table.num_rows:
                    continue
                newest = pc.max(table["date"]).as_py().isoformat()
                if newest > last.get(customer_id, ""):
                    last[customer_id] = newest
                yield table

    return dlt.resource(
        read,
        name=spec.name,
        primary_key=spec.primary_key,
        merge_key=spec.merge_key,
        write_disposition="merge",
        parallelized=True,
    )


def _customer_ids(value: str | Sequence[str] | None) -> list[str] | None:
    """Read customer ids from a list, a JSON list or a comma-separated string (None: all)."""
    ids = [digits(c) for c in id_list(value)]
    bad = [c for c in ids if not c.isdigit()]
    if bad:
        raise SourceError(f"{NAME}: customer ids are digits (dashes allowed), not {bad}")
    return ids or None


@dlt.source(name=NAME, max_table_nesting=0)
def google_ads_source(
    client_id: str = dlt.secrets.value,
    client_secret: str = dlt.secrets.value,
    refresh_token: str = dlt.secrets.value,
    developer_token: str = dlt.secrets.value,
    login_customer_id: str | None = None,
    customer_ids: str | Sequence[str] | None = None,
    base_url: str = DEFAULT_BASE_URL,
    token_url: str = DEFAULT_TOKEN_URL,
    api_version: str = DEFAULT_API_VERSION,
    start_date: str = DEFAULT_START_DATE,
    lookback_days: int = LOOKBACK_DAYS,
    end_date: str | None = None,
    window_days: int = WINDOW_DAYS,
    requests_per_second: int = REQUESTS_PER_SECOND,
    workers: int = WORKERS,
    max_quota_wait: float = MAX_QUOTA_WAIT,
) -> Iterator[DltResource]:
    """Google Ads accounts, campaigns, ad groups, ads and their daily metrics.

    `customer_ids` (a list, or ids separated by commas) picks the accounts; by default every
    account the credentials can access. `end_date` is the last day read (default: today in
    UTC); each run re-reads metrics from `lookback_days` before the last day loaded.
    `window_days` bounds the dates one `searchStream` call reads. A quota error's `retryDelay`
    holds every caller; one longer than `max_quota_wait` seconds, or the daily operations
    quota, ends the run. Timeouts and retries follow dlt's `[runtime]` settings.
    """
    if lookback_days < 0 or window_days < 1:
        raise SourceError(f"{NAME}: lookback_days must be >= 0 and window_days >= 1")
    secrets = {
        "client_id": client_id,
        "client_secret": client_secret,
        "refresh_token": refresh_token,
        "developer_token": developer_token,
    }
    missing = [name for name, value in secrets.items() if not value]
    if missing:
        raise AuthenticationError(f"{NAME}: missing credentials: {', '.join(missing)}")
    ids = _customer_ids(customer_ids)
    start = parse_date(start_date or DEFAULT_START_DATE, "start_date", NAME)
    end = parse_date(end_date, "end_date", NAME) or datetime.now(UTC).date()
    headers = {"developer-token": developer_token}
    if login_customer_id:
        headers["login-customer-id"] = digits(login_customer_id)
    client = Transport(
        NAME,
        base_url,
        auth=OAuth(NAME, token_url, grant(client_id, client_secret, refresh_token)),
        classify=make_classify(api_version, max_quota_wait),
        throttle=throttle,
        limiter=RateLimiter(requests_per_second, 1.0),
        headers=headers,
        pool_size=max(16, workers * 2),
    )
    api = GoogleAdsApi(client, api_version, ids, workers)
    yield _customers_resource(api)
    for spec in ENTITIES:
        yield _entity_resource(api, spec)
    for spec in METRICS:
        yield _metrics_resource(api, spec, start, end, lookback_days, window_days)
