"""Meta (Facebook) Ads: a dlt source over the Marketing API (Graph API), incremental insights.

- `ad_accounts`: the ad accounts read (`account_ids`, or every one `/me/adaccounts` lists),
  merged on `account_id`, with their `currency` and `timezone_name`.
- `campaigns`, `ad_sets`, `ads`, `ad_creatives`: every object of each account (archived and
  paused ones included; deleted ones with `include_deleted`), merged on `id`, read whole each run.
- `ads_insights`: daily performance at ad level (`time_increment=1`), merged on
  (`ad_id`, `date_start`), from asynchronous report runs. Spend lands as decimal(18, 2) exactly
  as sent, in the account's currency (`account_currency` and `account_timezone` ride on every
  row); leads (`actions` of `lead_action_type`) land as `leads` plus one `leads_<window>` column
  per attribution window. Each run re-reads, per account, from `lookback_days` before the last
  date loaded up to `end_date`, so conversions Meta restates later replace the old figures.
- `ads_insights_actions`: every action type of each ad-day (`actions`, `action_values` and
  `cost_per_action_type`: `link_click`, `landing_page_view`, `video_view`, `lead`,
  `offsite_conversion.fb_pixel_lead`, ...), merged on (`ad_id`, `date_start`, `action_type`)
  with the ad-day as merge key, so a re-read day replaces all its action types: the count and
  value in total and per attribution window (`action_count_<window>`, `action_value_<window>`)
  and the cost per action.

Calls keep under each ad account's rolling limits (management and insights counted apart) with
a client-side window; Meta's throttling errors (HTTP 400 with code 4, 17, 32, 613 or 80000-80014)
wait as long as the usage headers say and retry, or end the run as `QuotaExceededError` when
that is longer than `max_throttle_wait`. A refused token (code 190) is retried once,
then fails as `AuthenticationError`.

Configuration (`SOURCES__FACEBOOK_ADS__*`): `access_token` (secret), `account_ids`, `base_url`,
`api_version`, `start_date`, `lookback_days`, `end_date`, `attribution_windows` and the rest of
the parameters below (docs/ingestion.md lists them all).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any

import dlt
import pyarrow as pa
from dlt.sources import DltResource

from ingest._oauth import OAuth
from ingest._transport import AuthenticationError, RateLimiter, SourceError, Transport
from ingest.extract import date_windows, id_list, parse_date, run_concurrently, skip_repeats
from ingest.facebook_ads.helpers import (
    ACCOUNT_FIELDS,
    EDGES,
    INSIGHT_FIELDS,
    NextLink,
    accounts_table,
    actions_table,
    entity_table,
    insights_table,
    make_classify,
)
from ingest.facebook_ads.settings import (
    AD_ACCOUNT,
    ATTRIBUTION_WINDOWS,
    DAYS_PER_REPORT,
    DEFAULT_API_VERSION,
    DEFAULT_BASE_URL,
    DEFAULT_HISTORY_DAYS,
    DONE,
    EDGE,
    EFFECTIVE_STATUSES,
    FAILED,
    INSIGHTS,
    INSIGHTS_PAGE_SIZE,
    INSIGHTS_REQUESTS_PER_MINUTE,
    LEAD_ACTION_TYPE,
    LOOKBACK_DAYS,
    MAX_THROTTLE_WAIT,
    MY_AD_ACCOUNTS,
    NAME,
    PAGE_SIZE,
    POLL_INTERVAL,
    REPORT_ATTEMPTS,
    REPORT_RESULTS,
    REPORT_TIMEOUT,
    REQUESTS_PER_MINUTE,
    WORKERS,
)


class ReportNotReady(Exception):
    """A report run that ended without completing (failed, skipped or stuck)."""


class Cancelled(Exception):
    """Work stopped because another task of the run failed."""


class GraphApi:
    """The calls the source makes, with one rate-limited client per ad account and call kind."""

    def __init__(
        self,
        access_token: str | None,
        base_url: str,
        api_version: str,
        *,
        account_ids: Sequence[str] | None,
        page_size: int,
        insights_page_size: int,
        requests_per_minute: int,
        insights_requests_per_minute: int,
        workers: int,
        max_throttle_wait: float,
        include_deleted: bool,
        poll_interval: float,
        report_timeout: float,
        report_attempts: int,
    ) -> None:
        if not access_token:
            raise AuthenticationError(f"{NAME}: no access_token configured")
        # Sent as a bearer header (never in URLs, so never in logs). These tokens have no
        # refresh flow: a request refused with error 190 is tried once more, then it is final.
        self.auth = OAuth(NAME, token=access_token, retry_refused=True)
        self.base_url = f"{base_url.rstrip('/')}/{api_version.strip('/')}/"
        self.account_ids = [str(a).removeprefix("act_") for a in account_ids or []]
        self.page_size = page_size
        self.insights_page_size = insights_page_size
        self.rates = {"management": requests_per_minute, "insights": insights_requests_per_minute}
        self.workers = workers
        self.max_throttle_wait = max_throttle_wait
        self.include_deleted = include_deleted
        self.poll_interval = poll_interval
        self.report_timeout = report_timeout
        self.report_attempts = max(1, report_attempts)
        self._clients: dict[tuple[str | None, str], Transport] = {}
        self._lock = threading.Lock()
        self._accounts: list[dict[str, Any]] | None = None
        self._accounts_lock = threading.Lock()

    def client(self, account_id: str | None, kind: str = "management") -> Transport:
        """Return the client for `account_id`'s calls of `kind` ("management" or "insights")."""
        with self._lock:
            client = self._clients.get((account_id, kind))
            if client is None:
                # One window per account and kind; a throttling answer holds it for the wait
                # the usage headers name.
                limiter = RateLimiter(self.rates[kind], 60.0)
                client = Transport(
                    NAME,
                    self.base_url,
                    auth=self.auth,
                    classify=make_classify(limiter, self.max_throttle_wait),
                    limiter=limiter,
                )
                self._clients[(account_id, kind)] = client
            return client

    def pages(
        self,
        client: Transport,
        path: str,
        params: dict[str, Any] | None,
        key: Callable,
        stop: threading.Event | None = None,
    ) -> Iterator[list[dict[str, Any]]]:
        """Yield the `data` pages of an edge, following `paging.next`.

        A record repeated across a page boundary (which the API can do) is dropped by `key`.
        """
        for page in skip_repeats(client.paginate(path, NextLink(), "data", params=params), key):
            yield page
            if stop is not None and stop.is_set():
                raise Cancelled(path)

    # --- accounts ---------------------------------------------------------------------------

    def accounts(self) -> list[dict[str, Any]]:
        """Return the ad accounts read this run (fetched once, shared by every resource)."""
        with self._accounts_lock:
            if self._accounts is None:
                self._accounts = self._fetch_accounts()
            return self._accounts

    def _fetch_accounts(self) -> list[dict[str, Any]]:
        fields = ",".join(["id", *ACCOUNT_FIELDS])
        if not self.account_ids:
            params = {"fields": fields, "limit": self.page_size}
            pages = self.pages(self.client(None), MY_AD_ACCOUNTS, params, _account_key)
            found = [record for page in pages for record in page]
            return sorted(found, key=lambda r: r["account_id"])

        def one(account_id: str) -> dict[str, Any]:
            client = self.client(account_id)
            path = AD_ACCOUNT.format(account_id=account_id)
            return client.get(path, params={"fields": fields}).json()

        return [found for _, found in run_concurrently(one, self.account_ids, self.workers)]

    # --- ad objects -------------------------------------------------------------------------

    def objects(self, account_id: str, table: str) -> list[dict[str, Any]]:
        """Every object of `table` (see `EDGES`) in one ad account."""
        spec = EDGES[table]
        params: dict[str, Any] = {"fields": spec["fields"], "limit": self.page_size}
        if spec["statuses"]:
            statuses = [*EFFECTIVE_STATUSES, *(["DELETED"] if self.include_deleted else [])]
            params["effective_status"] = json.dumps(statuses)
        path = EDGE.format(account_id=account_id, edge=spec["edge"])
        pages = self.pages(self.client(account_id), path, params, lambda r: r["id"])
        return [record for page in pages for record in page]

    # --- insights ---------------------------------------------------------------------------

    def insights(
        self,
        account_id: str,
        since: date,
        until: date,
        attribution_windows: Sequence[str],
        stop: threading.Event,
    ) -> list[dict[str, Any]]:
        """Daily ad-level insights of one account between `since` and `until` (inclusive).

        Runs an asynchronous report: a run that fails, is skipped or stays unfinished past
        `report_timeout` is replaced by a new one, up to `report_attempts` runs.
        """
        params = {
            "level": "ad",
            "time_increment": "1",
            "time_range": json.dumps({"since": since.isoformat(), "until": until.isoformat()}),
            "fields": ",".join(INSIGHT_FIELDS),
            "action_attribution_windows": json.dumps(list(attribution_windows)),
        }
        problem = ""
        for _attempt in range(self.report_attempts):
            path = INSIGHTS.format(account_id=account_id)
            created = self.client(account_id, "insights").post(path, data=params).json()
            run_id = str(created["report_run_id"])
            try:
                self._wait_for(account_id, run_id, stop)
            except ReportNotReady as exc:
                problem = str(exc)
                continue
            rows: list[dict[str, Any]] = []
            pages = self.pages(
                self.client(account_id, "insights"),
                REPORT_RESULTS.format(run_id=run_id),
                {"limit": self.insights_page_size},
                _insight_key,
                stop,
            )
            for page in pages:
                rows.extend(page)
            return rows
        raise SourceError(
            f"{NAME}: the insights report of act_{account_id} for {since}..{until} did not "
            f"complete in {self.report_attempts} runs: {problem}"
        )

    def _wait_for(self, account_id: str, run_id: str, stop: threading.Event) -> None:
        """Poll a report run until it is "Job Completed" at 100%."""
        client = self.client(account_id)
        began = time.monotonic()
        delay = self.poll_interval
        while True:
            if stop.wait(delay):
                raise Cancelled(run_id)
            run = client.get(
                run_id, params={"fields": "async_status,async_percent_completion"}
            ).json()
            status = run.get("async_status")
            percent = run.get("async_percent_completion")
            # A run can report 100% while still "Job Running": only both together mean done.
            if status == DONE and percent is not None and int(percent) >= 100:
                return
            if status in FAILED:
                raise ReportNotReady(f"report run {run_id} ended {status}")
            if time.monotonic() - began > self.report_timeout:
                raise ReportNotReady(
                    f"report run {run_id} still {status} at {percent}% after "
                    f"{self.report_timeout:g} s"
                )
            delay = min(delay * 1.5, self.poll_interval * 8)


def _account_key(record: dict[str, Any]) -> str:
    return str(record.get("account_id") or record.get("id"))


def _insight_key(record: dict[str, Any]) -> tuple[str, str]:
    return record["ad_id"], record["date_start"]


def _accounts_resource(api: GraphApi) -> DltResource:
    def read() -> Iterator[pa.Table]:
        accounts = api.accounts()
        if accounts:
            yield accounts_table(accounts)

    return dlt.resource(
        read,
        name="ad_accounts",
        primary_key="account_id",
        write_disposition="merge",
        parallelized=True,
    )


def _objects_resource(api: GraphApi, table: str) -> DltResource:
    def read() -> Iterator[pa.Table]:
        ids = [a["account_id"] for a in api.accounts()]
        for _, records in run_concurrently(partial(api.objects, table=table), ids, api.workers):
            if records:
                yield entity_table(table, records)

    return dlt.resource(
        read,
        name=table,
        primary_key="id",
        write_disposition="merge",
        parallelized=True,
    )


ACTIONS_HINTS = dlt.mark.make_hints(
    table_name="ads_insights_actions",
    primary_key=("ad_id", "date_start", "action_type"),
    # A re-read ad-day replaces every action type it had, so a type Meta no longer reports for
    # that day does not linger.
    merge_key=("ad_id", "date_start"),
    write_disposition="merge",
)
"""The child table of insights: one row per ad, day and action type."""


def _insights_resource(
    api: GraphApi,
    start: date | None,
    end: date,
    lookback_days: int,
    days_per_report: int,
    attribution_windows: Sequence[str],
    lead_action_type: str,
) -> DltResource:
    def read() -> Iterator[pa.Table]:
        # Per account: the last date loaded. Each run starts `lookback_days` before it.
        loaded: dict[str, str] = dlt.current.resource_state().setdefault("loaded_through", {})
        first = start or end - timedelta(days=DEFAULT_HISTORY_DAYS)
        stop = threading.Event()
        accounts = {a["account_id"]: a for a in api.accounts()}

        def report(account_id: str, low: date, high: date) -> tuple[pa.Table, pa.Table]:
            rows = api.insights(account_id, low, high, attribution_windows, stop)
            account = accounts[account_id]
            return (
                insights_table(rows, account, lead_action_type, attribution_windows),
                actions_table(rows, account, attribution_windows),
            )

        tasks = []
        for account_id in accounts:
            since = first
            if account_id in loaded:
                since = date.fromisoformat(loaded[account_id]) - timedelta(days=lookback_days)
            for low, high in date_windows(max(since, first), end, days_per_report):
                tasks.append((account_id, low, high))
        for _, (table, actions) in run_concurrently(
            lambda t: report(*t), tasks, api.workers, stop=stop
        ):
            if table.num_rows:
                yield table
            if actions.num_rows:
                yield dlt.mark.with_hints(actions, ACTIONS_HINTS, create_table_variant=True)
        for account_id in accounts:
            previous = loaded.get(account_id)
            if previous is None or date.fromisoformat(previous) < end:
                loaded[account_id] = end.isoformat()

    return dlt.resource(
        read,
        name="ads_insights",
        primary_key=("ad_id", "date_start"),
        write_disposition="merge",
        parallelized=True,
    )


@dlt.source(name=NAME, max_table_nesting=0)
def facebook_ads_source(
    access_token: str = dlt.secrets.value,
    account_ids: Sequence[str] | None = None,
    base_url: str = DEFAULT_BASE_URL,
    api_version: str = DEFAULT_API_VERSION,
    start_date: str | None = None,
    lookback_days: int = LOOKBACK_DAYS,
    end_date: str | None = None,
    days_per_report: int = DAYS_PER_REPORT,
    attribution_windows: Sequence[str] = ATTRIBUTION_WINDOWS,
    lead_action_type: str = LEAD_ACTION_TYPE,
    include_deleted: bool = False,
    page_size: int = PAGE_SIZE,
    insights_page_size: int = INSIGHTS_PAGE_SIZE,
    requests_per_minute: int = REQUESTS_PER_MINUTE,
    insights_requests_per_minute: int = INSIGHTS_REQUESTS_PER_MINUTE,
    workers: int = WORKERS,
    poll_interval: float = POLL_INTERVAL,
    report_timeout: float = REPORT_TIMEOUT,
    report_attempts: int = REPORT_ATTEMPTS,
    max_throttle_wait: float = MAX_THROTTLE_WAIT,
) -> Iterator[DltResource]:
    """Meta ad accounts, campaigns, ad sets, ads, creatives and daily ad insights.

    `end_date` (`YYYY-MM-DD`, default today in UTC) is the last day read; `start_date` bounds
    the first load (default three years back). Each later run re-reads `lookback_days` before
    the last date loaded. `days_per_report` sizes the date windows of the async report runs,
    `workers` how many run at once; `requests_per_minute` / `insights_requests_per_minute` are
    per ad account. `account_ids` may carry the `act_` prefix or not; a comma-separated string
    works too. Timeouts and retries follow dlt's `[runtime]` settings.
    """
    account_ids = id_list(account_ids)
    end = parse_date(end_date, "end_date", NAME) or datetime.now(UTC).date()
    start = parse_date(start_date, "start_date", NAME)
    if start is not None and start > end:
        raise SourceError(f"{NAME}: start_date {start} is after end_date {end}")
    api = GraphApi(
        access_token,
        base_url,
        api_version,
        account_ids=account_ids,
        page_size=page_size,
        insights_page_size=insights_page_size,
        requests_per_minute=requests_per_minute,
        insights_requests_per_minute=insights_requests_per_minute,
        workers=workers,
        max_throttle_wait=max_throttle_wait,
        include_deleted=include_deleted,
        poll_interval=poll_interval,
        report_timeout=report_timeout,
        report_attempts=report_attempts,
    )
    windows_ = tuple(attribution_windows)
    yield _accounts_resource(api)
    for table in EDGES:
        yield _objects_resource(api, table)
    yield _insights_resource(
        api, start, end, lookback_days, max(1, days_per_report), windows_, lead_action_type
    )
