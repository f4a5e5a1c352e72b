"""Salesforce: a dlt source over the REST and Bulk API 2.0, incremental on `SystemModstamp`.

Every object is one resource, merged on `Id`. Its columns come from the `describe` call, so a
custom field appears in raw on the next run with no code change. Rows are read with `queryAll`,
so a deleted record arrives with `IsDeleted = true` rather than vanishing; records purged from
the recycle bin between runs are caught by the `/deleted/` endpoint into `deleted_records`.
The first load of a large object goes through a Bulk API 2.0 query job (CSV, paged by
`Sforce-Locator`); later loads read the changes with SOQL through the REST API. Pages become
Arrow tables typed from the describe call, so dlt loads them as Parquet, not row by row.

Configuration (`.dlt/config.toml` / `.dlt/secrets.toml`, or `SOURCES__SALESFORCE__*`):
`base_url` (the login or My Domain URL), `client_id`, `client_secret`, optionally
`refresh_token` (else the client-credentials flow), `api_version`, `start_date`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import dlt
import pyarrow as pa
from dlt.sources import DltResource

from ingest.http import ApiClient, AuthenticationError, SourceError, Verdict
from ingest.salesforce.helpers import (
    DEFAULT_OBJECTS,
    LARGE_OBJECTS,
    arrow_from_csv,
    arrow_from_records,
    parse_api_datetime,
    queryable_fields,
    soql_datetime,
)

NAME = "salesforce"
DEFAULT_API_VERSION = "v62.0"
DEFAULT_START_DATE = "2000-01-01T00:00:00Z"


class SalesforceAuth:
    """OAuth 2.0 for Salesforce: a token from the client-credentials or refresh-token flow.

    The token response's `instance_url` becomes the API's base URL. Thread-safe; a 401 on any
    request triggers one refresh shared by every thread that saw it.
    """

    def __init__(
        self, login_url: str, client_id: str, client_secret: str, refresh_token: str | None
    ) -> None:
        self.login_url = login_url
        self.client_id = client_id
        self.client_secret = client_secret
        self.refresh_token = refresh_token
        self.token: str | None = None
        self.instance_url: str | None = None
        self.generation = 0
        self._lock = threading.Lock()
        self._http = ApiClient(NAME, login_url, max_attempts=4, backoff=0.5)

    def fetch(self, seen_generation: int | None = None) -> bool:
        """Get a new token (unless another thread already did since `seen_generation`)."""
        with self._lock:
            if seen_generation is not None and seen_generation != self.generation:
                return True
            form = {"client_id": self.client_id, "client_secret": self.client_secret}
            if self.refresh_token:
                form |= {"grant_type": "refresh_token", "refresh_token": self.refresh_token}
            else:
                form["grant_type"] = "client_credentials"
            try:
                reply = self._http.post("/services/oauth2/token", data=form)
            except SourceError as exc:
                raise AuthenticationError(
                    f"{NAME}: could not get an access token from {self.login_url}: "
                    f"{str(exc).split(': ', 1)[-1]}"
                ) from None
            self.token = reply.data["access_token"]
            self.instance_url = reply.data.get("instance_url") or self.login_url
            self.generation += 1
            return True

    def authorize(self, headers: dict[str, str]) -> None:
        """Put the bearer token on a request's headers."""
        if self.token is None:
            self.fetch()
        headers["Authorization"] = f"Bearer {self.token}"

    def refresh(self) -> bool:
        """Refresh after a 401."""
        return self.fetch(self.generation)


def _classify(status: int, headers: Any, body: bytes) -> Verdict:
    """Salesforce's errors: 401 INVALID_SESSION_ID refreshes, REQUEST_LIMIT_EXCEEDED is final."""
    if status == 403 and b"REQUEST_LIMIT_EXCEEDED" in body:
        return "quota"
    if status == 401:
        return "refresh"
    return None


class SalesforceApi:
    """The calls the source makes, over one authenticated client."""

    def __init__(self, client: ApiClient, api_version: str) -> None:
        self.client = client
        self.data = f"/services/data/{api_version}"

    def describe(self, sobject: str) -> dict[str, Any]:
        """Return the describe result of `sobject`."""
        return self.client.get(f"{self.data}/sobjects/{sobject}/describe").data

    def query(self, soql: str, batch_size: int = 2000) -> Iterator[list[dict[str, Any]]]:
        """Yield the pages of a `queryAll` (deleted records included), following the cursor."""
        headers = {"Sforce-Query-Options": f"batchSize={batch_size}"}
        reply = self.client.get(f"{self.data}/queryAll", params={"q": soql}, headers=headers)
        last_id = None
        while True:
            records = reply.data["records"]
            # A record repeated across a page boundary is read once.
            if records and last_id is not None and records[0].get("Id") == last_id:
                records = records[1:]
            if records:
                last_id = records[-1].get("Id")
                yield records
            following = reply.data.get("nextRecordsUrl")
            if reply.data.get("done", True) or not following:
                return
            reply = self.client.get(following, headers=headers)

    def bulk_query(
        self, soql: str, max_records: int = 50_000, poll_seconds: float = 0.2
    ) -> Iterator[bytes]:
        """Run a Bulk API 2.0 `queryAll` job and yield its CSV result pages."""
        jobs = f"{self.data}/jobs/query"
        job = self.client.post(
            jobs, json_body={"operation": "queryAll", "query": soql, "lineEnding": "LF"}
        ).data
        job_url = f"{jobs}/{job['id']}"
        wait = poll_seconds
        while job["state"] not in ("JobComplete", "Failed", "Aborted"):
            time.sleep(wait)
            wait = min(wait * 2, 10.0)
            job = self.client.get(job_url).data
        if job["state"] != "JobComplete":
            raise SourceError(
                f"{NAME}: Bulk API job {job['id']} for {job.get('object')} ended "
                f"{job['state']}: {job.get('errorMessage', 'no message')}"
            )
        locator = ""
        while True:
            params = {"maxRecords": max_records} | ({"locator": locator} if locator else {})
            for _attempt in range(self.client.max_attempts):
                reply = self.client.get(f"{job_url}/results", params=params, expect_json=False)
                expected = reply.headers.get("Sforce-NumberOfRecords")
                # A body cut short can still be valid CSV: check it against the count sent.
                if expected is None or reply.content.count(b"\n") >= int(expected) + 1:
                    break
            else:
                raise SourceError(f"{NAME}: Bulk API job {job['id']} kept sending short pages")
            yield reply.content
            locator = reply.headers.get("Sforce-Locator", "null")
            if not locator or locator == "null":
                break
        self.client.request("DELETE", job_url, expect_json=False)

    def deleted(self, sobject: str, start: datetime, end: datetime) -> dict[str, Any]:
        """Return what `getDeleted` reports for `sobject` between `start` and `end`."""
        return self.client.get(
            f"{self.data}/sobjects/{sobject}/deleted/",
            params={"start": soql_datetime(start), "end": soql_datetime(end)},
        ).data


def _object_resource(
    api: SalesforceApi,
    sobject: str,
    describe: dict[str, Any],
    start: datetime,
    use_bulk: bool,
    batch_size: int,
    bulk_page_size: int,
) -> DltResource:
    fields = queryable_fields(describe)
    names = {spec["name"] for spec in fields}
    cursor = "SystemModstamp" if "SystemModstamp" in names else "CreatedDate"
    select = ", ".join(spec["name"] for spec in fields)

    def read(
        modified: dlt.sources.incremental[datetime] = dlt.sources.incremental(
            cursor, initial_value=start
        ),
    ) -> Iterator[pa.Table]:
        since = modified.last_value or start
        soql = (
            f"SELECT {select} FROM {sobject} WHERE {cursor} >= {soql_datetime(since)} "
            f"ORDER BY {cursor} ASC"
        )
        first_load = modified.last_value is None or modified.last_value == start
        if use_bulk and first_load:
            for page in api.bulk_query(soql, bulk_page_size):
                table = arrow_from_csv(page, fields)
                if table.num_rows:
                    yield table
        else:
            for records in api.query(soql, batch_size):
                yield arrow_from_records(records, fields)

    return dlt.resource(
        read,
        name=sobject,
        primary_key="Id",
        write_disposition="merge",
        parallelized=True,
    )


@dlt.source(name=NAME, max_table_nesting=0)
def salesforce_source(
    base_url: str = dlt.config.value,
    client_id: str = dlt.secrets.value,
    client_secret: str = dlt.secrets.value,
    refresh_token: str | None = None,
    api_version: str = DEFAULT_API_VERSION,
    start_date: str = DEFAULT_START_DATE,
    objects: Sequence[str] = DEFAULT_OBJECTS,
    bulk_objects: Sequence[str] = LARGE_OBJECTS,
    batch_size: int = 2000,
    bulk_page_size: int = 50_000,
    max_attempts: int = 6,
    backoff: float = 0.5,
    timeout: float = 60.0,
) -> Iterator[DltResource]:
    """Salesforce objects, each merged on `Id` and read incrementally by `SystemModstamp`.

    `objects` picks the sObjects; `bulk_objects` names the ones whose first load uses a Bulk
    API 2.0 job. `start_date` (ISO 8601) bounds the first load. `batch_size` is the REST page
    size (200–2,000) and `bulk_page_size` the records per Bulk result page.
    """
    auth = SalesforceAuth(base_url, client_id, client_secret, refresh_token)
    auth.fetch()
    client = ApiClient(
        NAME,
        auth.instance_url or base_url,
        authorize=auth.authorize,
        refresh=auth.refresh,
        classify=_classify,
        max_attempts=max_attempts,
        backoff=backoff,
        timeout=timeout,
    )
    api = SalesforceApi(client, api_version)
    start = datetime.fromisoformat(start_date.replace("Z", "+00:00")).astimezone(UTC)
    for sobject in objects:
        describe = api.describe(sobject)
        bulk = sobject in bulk_objects
        yield _object_resource(api, sobject, describe, start, bulk, batch_size, bulk_page_size)
    yield _deleted_resource(api, list(objects))


def _deleted_resource(api: SalesforceApi, objects: list[str]) -> DltResource:
    """Ids the org reports deleted (purged ones included), merged on (object, id).

    The `getDeleted` window starts where the last run's ended (`latestDateCovered`, kept in the
    resource's state); on the first run it starts at the earliest date the org still has.
    """

    def read() -> Iterator[list[dict[str, Any]]]:
        state = dlt.current.resource_state()
        end = datetime.now(UTC)
        covered = state.setdefault("covered", {})
        for sobject in objects:
            if sobject in covered:
                since = max(parse_api_datetime(x) for x in covered[sobject])
            else:
                probe = api.deleted(sobject, end - timedelta(days=1), end)
                since = parse_api_datetime(probe["earliestDateAvailable"])
            answer = api.deleted(sobject, since, end)
            rows = [
                {"sobject": sobject, "id": item["id"], "deleted_date": item["deletedDate"]}
                for item in answer.get("deletedRecords", [])
            ]
            if rows:
                yield rows
            covered[sobject] = [answer["latestDateCovered"], answer["earliestDateAvailable"]]

    return dlt.resource(
        read,
        name="deleted_records",
        primary_key=("sobject", "id"),
        write_disposition="merge",
        columns={"deleted_date": {"data_type": "timestamp"}},
    )
