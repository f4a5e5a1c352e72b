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
`refresh_token` (else the client-credentials flow), or a ready `access_token` with its
`instance_url`; `token_url`, `api_version`, `start_date`, `objects`, `bulk_objects`,
`batch_size`, `bulk_page_size` (docs/ingestion.md lists them all).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import dlt
import pyarrow as pa
from dlt.sources import DltResource
from dlt.sources.helpers.rest_client.paginators import JSONLinkPaginator

from ingest._oauth import OAuth, grant
from ingest._transport import AuthenticationError, SourceError, Transport
from ingest.extract import skip_repeats
from ingest.salesforce.helpers import (
    arrow_from_csv,
    arrow_from_records,
    classify,
    parse_api_datetime,
    queryable_fields,
    soql_datetime,
)
from ingest.salesforce.settings import (
    BATCH_SIZE,
    BULK_PAGE_SIZE,
    BULK_POLL_SECONDS,
    BULK_QUERY_JOBS,
    DATA,
    DEFAULT_API_VERSION,
    DEFAULT_OBJECTS,
    DEFAULT_START_DATE,
    DELETED,
    DESCRIBE,
    LARGE_OBJECTS,
    NAME,
    QUERY_ALL,
    TOKEN_PATH,
)


class SalesforceApi:
    """The calls the source makes, over one authenticated client."""

    def __init__(self, client: Transport, api_version: str) -> None:
        self.client = client
        self.data = DATA.format(api_version=api_version)

    def describe(self, sobject: str) -> dict[str, Any]:
        """Return the describe result of `sobject`."""
        return self.client.get(self.data + DESCRIBE.format(sobject=sobject)).json()

    def query(self, soql: str, batch_size: int = BATCH_SIZE) -> Iterator[list[dict[str, Any]]]:
        """Yield the pages of a `queryAll` (deleted records included), by `nextRecordsUrl`.

        A record repeated across a page boundary is read once.
        """
        pages = self.client.paginate(
            self.data + QUERY_ALL,
            JSONLinkPaginator(next_url_path="nextRecordsUrl"),
            "records",
            params={"q": soql},
            headers={"Sforce-Query-Options": f"batchSize={batch_size}"},
        )
        yield from skip_repeats(pages, lambda record: record.get("Id"))

    def bulk_query(
        self, soql: str, max_records: int = BULK_PAGE_SIZE, poll_seconds: float = BULK_POLL_SECONDS
    ) -> Iterator[bytes]:
        """Run a Bulk API 2.0 `queryAll` job and yield its CSV result pages.

        The pages are CSV, not JSON, so they are followed here (by `Sforce-Locator`) rather
        than through a dlt paginator, which reads every page as JSON.
        """
        jobs = self.data + BULK_QUERY_JOBS
        body = {"operation": "queryAll", "query": soql, "lineEnding": "LF"}
        job = self.client.post(jobs, json=body).json()
        job_url = f"{jobs}/{job['id']}"
        wait = poll_seconds
        while job["state"] not in ("JobComplete", "Failed", "Aborted"):
            time.sleep(wait)
            wait = min(wait * 2, 10.0)
            job = self.client.get(job_url).json()
        if job["state"] != "JobComplete":
            raise SourceError(
                f"{NAME}: Bulk API job {job['id']} for {job.get('object')} ended "
                f"{job['state']}: {job.get('errorMessage', 'no message')}"
            )
        locator = ""
        while True:
            params = {"maxRecords": max_records} | ({"locator": locator} if locator else {})
            reply = self.client.get(f"{job_url}/results", params=params, expect_json=False)
            yield reply.content
            locator = reply.headers.get("Sforce-Locator", "null")
            if not locator or locator == "null":
                break
        self.client.request("DELETE", job_url, expect_json=False)

    def deleted(self, sobject: str, start: datetime, end: datetime) -> dict[str, Any]:
        """Return what `getDeleted` reports for `sobject` between `start` and `end`."""
        return self.client.get(
            self.data + DELETED.format(sobject=sobject),
            params={"start": soql_datetime(start), "end": soql_datetime(end)},
        ).json()


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
    base_url: str | None = None,
    client_id: str | None = None,
    client_secret: str | None = None,
    refresh_token: str | None = None,
    access_token: str | None = None,
    instance_url: str | None = None,
    token_url: str | None = None,
    api_version: str = DEFAULT_API_VERSION,
    start_date: str = DEFAULT_START_DATE,
    objects: Sequence[str] = DEFAULT_OBJECTS,
    bulk_objects: Sequence[str] = LARGE_OBJECTS,
    batch_size: int = BATCH_SIZE,
    bulk_page_size: int = BULK_PAGE_SIZE,
) -> Iterator[DltResource]:
    """Salesforce objects, each merged on `Id` and read incrementally by `SystemModstamp`.

    `objects` picks the sObjects; `bulk_objects` names the ones whose first load uses a Bulk
    API 2.0 job. `start_date` (ISO 8601) bounds the first load. `batch_size` is the REST page
    size (200–2,000) and `bulk_page_size` the records per Bulk result page. Timeouts and
    retries follow dlt's `[runtime]` settings.

    Credentials: `client_id` and `client_secret` (client-credentials grant, or the refresh-token
    grant with `refresh_token`) at `token_url` (default `<base_url>/services/oauth2/token`); or a
    ready `access_token` (a JWT bearer flow or another tool's session) with the `instance_url`
    it was issued for. Given both, the token is used until refused, then renewed by the grant.
    """
    form = grant(client_id, client_secret, refresh_token)
    if form is None and not access_token:
        raise AuthenticationError(
            f"{NAME}: no credentials: set client_id and client_secret (optionally with "
            "refresh_token), or access_token with instance_url"
        )
    if not (base_url or instance_url):
        raise SourceError(
            f"{NAME}: set base_url (the login or My Domain URL) or instance_url (with access_token)"
        )
    if not token_url and base_url:
        token_url = base_url.rstrip("/") + TOKEN_PATH
    auth = OAuth(NAME, token_url, form, token=access_token or None)
    if not access_token:
        # The token's answer names the org's instance, which serves the API.
        instance_url = instance_url or auth.fetch().get("instance_url")
    instance_url = instance_url or base_url or ""
    api = SalesforceApi(Transport(NAME, instance_url, auth=auth, classify=classify), api_version)
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
