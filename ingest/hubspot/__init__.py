"""HubSpot: a dlt source over the CRM v3/v4, marketing and events APIs, incremental.

- `contacts`, `companies`, `deals`: merged on `id`, incremental on `updated_at` (the
  last-modified property). The first load pages the list endpoint (active, then archived); later
  loads search for records modified since the cursor, restarting the search past its 10,000-result
  cap, and re-read the archived list, so an archived record lands with `archived = true`. Every
  property the properties endpoint lists is requested, so custom properties arrive as new
  columns. Contacts merged into another are deleted from raw (the survivor's
  `hs_merged_object_ids` says which), as HubSpot itself stops returning them.
- `contacts_to_companies`, `deals_to_contacts`, `deals_to_companies`: associations (v4) of the
  records read in the run.
- `owners`, `deal_pipeline_stages`, `forms`: small, read whole each run.
- `email_events`, `form_submissions`, `web_events`: append-only events merged on their ids and
  read from the cursor on; web events are fetched in time windows concurrently.

All values arrive as strings, as HubSpot sends them; staging casts. Requests stay inside the
ten-second rolling limit (and search's own per-second one) with a client-side window.

Throttling follows HubSpot's usage guidelines: a 429 (no `Retry-After`) holds every caller
for the window `X-HubSpot-RateLimit-Interval-Milliseconds` names, `-Remaining` paces the client
before a 429, and the DAILY policy ends the run with one line.

Configuration (`SOURCES__HUBSPOT__*`, documented in docs/ingestion.md): `access_token` (private
app) or `client_id`, `client_secret` and `refresh_token` (OAuth); `base_url`, `start_date`,
`requests_per_10s`, `searches_per_second`, `workers`, `objects`, `crm_api_version`,
`associations_api_version`.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import dlt
import pyarrow as pa
from dlt.sources import DltResource

from ingest._oauth import OAuth, grant
from ingest._transport import AuthenticationError, RateLimiter, SourceError, Transport
from ingest.extract import keyed, skip_repeats, stream_concurrently
from ingest.hubspot.helpers import (
    TIMESTAMP,
    SearchPaginator,
    after_cursor,
    classify,
    crm_table,
    email_event_fields,
    from_ms,
    merged_away,
    ms,
    offset_cursor,
    parse_time,
    throttle,
)
from ingest.hubspot.settings import (
    ASSOCIATIONS,
    ASSOCIATIONS_API_VERSION,
    ASSOCIATIONS_BATCH,
    ASSOCIATIONS_BATCH_SIZE,
    CRM_API_VERSION,
    CRM_OBJECTS,
    DEAL_PIPELINES,
    DEFAULT_BASE_URL,
    DEFAULT_START_DATE,
    EMAIL_EVENTS,
    EMAIL_EVENTS_LIMIT,
    EVENTS_LIMIT,
    FORMS,
    FORMS_LIMIT,
    LIST_LIMIT,
    NAME,
    OBJECTS,
    OWNERS,
    OWNERS_LIMIT,
    PROPERTIES,
    REQUESTS_PER_10S,
    SEARCH,
    SEARCH_CAP,
    SEARCH_LIMIT,
    SEARCHES_PER_SECOND,
    SUBMISSIONS,
    SUBMISSIONS_LIMIT,
    TOKEN_PATH,
    WEB_EVENTS,
    WINDOW_MARGIN,
    WORKERS,
)


class HubSpotApi:
    """The calls the source makes: one client under the ten-second limit, one for search."""

    def __init__(
        self,
        client: Transport,
        search: Transport,
        crm_version: str = CRM_API_VERSION,
        associations_version: str = ASSOCIATIONS_API_VERSION,
    ) -> None:
        self.client = client
        self.search_client = search
        self.versions = {"crm": crm_version, "associations": associations_version}

    def path(self, template: str, **names: str) -> str:
        """Return an endpoint's path with the configured API versions filled in."""
        return template.format(**self.versions, **names)

    def properties(self, object_type: str) -> list[str]:
        """Names of every property of `object_type` (custom ones included)."""
        reply = self.client.get(self.path(PROPERTIES, object_type=object_type)).json()
        return [item["name"] for item in reply["results"] if not item.get("archived")]

    def list_pages(
        self, object_type: str, properties: list[str], archived: bool
    ) -> Iterator[list[dict]]:
        """Every record of the list endpoint, page by page; one repeated across pages once."""
        params = {
            "limit": LIST_LIMIT,
            "archived": str(archived).lower(),
            "properties": ",".join(properties),
        }
        path = self.path(OBJECTS, object_type=object_type)
        pages = self.client.paginate(path, after_cursor(), "results", params=params)
        yield from skip_repeats(pages, lambda record: record["id"])

    def search_pages(
        self,
        object_type: str,
        filters: list[dict],
        properties: list[str],
        sort_property: str,
        since: datetime,
    ) -> Iterator[list[dict]]:
        """Yield pages of records matching `filters` with `sort_property` >= `since`, in order.

        The search API stops at 10,000 results a query; at the cap the search starts again from
        the last value seen (the records at that value repeat; merging on `id` keeps one copy).
        """
        floor = ms(since)
        properties = list(dict.fromkeys([*properties, sort_property]))
        path = self.path(SEARCH, object_type=object_type)
        while True:
            last_seen = None
            bound = {"propertyName": sort_property, "operator": "GTE", "value": floor}
            body = {
                "filterGroups": [{"filters": [*filters, bound]}],
                "sorts": [{"propertyName": sort_property, "direction": "ASCENDING"}],
                "properties": properties,
                "limit": SEARCH_LIMIT,
                "after": 0,
            }
            paginator = SearchPaginator()
            for results in self.search_client.paginate(
                path, paginator, "results", method="POST", json=body
            ):
                if results:
                    yield results
                    last_seen = results[-1]["properties"].get(sort_property) or last_seen
            if not paginator.capped:
                return
            next_floor = ms(parse_time(last_seen))
            if next_floor <= floor:
                raise SourceError(
                    f"{NAME}: more than {SEARCH_CAP} {object_type} share one {sort_property} "
                    "value; the search API cannot page past them"
                )
            floor = next_floor

    def associations(self, from_type: str, to_type: str, ids: list[str]) -> list[dict]:
        """Association rows from `ids` to `to_type` (v4 batch reads of up to 1,000 ids)."""
        rows = []
        path = self.path(ASSOCIATIONS_BATCH, from_type=from_type, to_type=to_type)
        for start in range(0, len(ids), ASSOCIATIONS_BATCH_SIZE):
            inputs = [{"id": x} for x in ids[start : start + ASSOCIATIONS_BATCH_SIZE]]
            data = self.client.post(path, json={"inputs": inputs}).json()
            for result in data.get("results", []):
                for target in result.get("to", []):
                    for kind in target.get("associationTypes", []):
                        rows.append(
                            {
                                "from_id": str(result["from"]["id"]),
                                "to_id": str(target["toObjectId"]),
                                "type_id": int(kind["typeId"]),
                                "category": kind.get("category"),
                                "label": kind.get("label"),
                            }
                        )
        return rows

    def newest_contact_created(self) -> datetime | None:
        """Return when the newest contact was created (None when there are none)."""
        body = {
            "sorts": [{"propertyName": "createdate", "direction": "DESCENDING"}],
            "properties": ["createdate"],
            "limit": 1,
        }
        path = self.path(SEARCH, object_type="contacts")
        found = self.search_client.post(path, json=body).json().get("results") or []
        return parse_time(found[0]["createdAt"]) if found else None

    def contacts_to_backfill(self, since: datetime) -> list[str]:
        """Ids of contacts identified since `since`, whose older page views just appeared.

        That is every contact created since then: active, archived, or already merged into
        another (listed in a survivor's `hs_merged_object_ids`).
        """
        ids = [
            r["id"]
            for page in self.search_pages("contacts", [], [], "createdate", since)
            for r in page
        ]
        for page in self.list_pages("contacts", ["createdate"], archived=True):
            ids += [r["id"] for r in page if parse_time(r["createdAt"]) >= since]
        merged = [{"propertyName": "hs_merged_object_ids", "operator": "HAS_PROPERTY"}]
        merged_pages = self.search_pages(
            "contacts", merged, ["hs_merged_object_ids"], "lastmodifieddate", since
        )
        for record in (r for page in merged_pages for r in page):
            listed = record.get("properties", {}).get("hs_merged_object_ids") or ""
            ids += [x for x in listed.split(";") if x and x != record["id"]]
        return list(dict.fromkeys(ids))

    def paged(self, path: str, params: dict[str, Any]) -> Iterator[list[dict]]:
        """Every non-empty `results` page of an endpoint paged by `paging.next.after`."""
        for page in self.client.paginate(path, after_cursor(), "results", params=dict(params)):
            if page:
                yield page


def _crm_resource(api: HubSpotApi, object_type: str, start: datetime) -> list[DltResource]:
    modified_property = CRM_OBJECTS[object_type]

    def read(
        updated: dlt.sources.incremental[datetime] = dlt.sources.incremental(
            "updated_at", initial_value=start
        ),
    ) -> Iterator[pa.Table]:
        properties = api.properties(object_type)
        first_load = updated.last_value is None or updated.last_value == start
        if first_load:
            pages = api.list_pages(object_type, properties, archived=False)
        else:
            pages = api.search_pages(
                object_type, [], properties, modified_property, updated.last_value
            )
        # Archived records are never in search results: their list is read every run.
        archived = api.list_pages(object_type, properties, archived=True)
        for records in itertools.chain(pages, archived):
            table = crm_table(records, properties)
            yield table
            if object_type == "contacts":
                gone = merged_away(table)
                if gone is not None:
                    yield gone

    resource = dlt.resource(
        read,
        name=object_type,
        primary_key="id",
        write_disposition="merge",
        parallelized=True,
        columns={"merged_away": {"data_type": "bool", "hard_delete": True}}
        if object_type == "contacts"
        else None,
    )
    transformers = []
    for from_type, to_type in ASSOCIATIONS:
        if from_type != object_type:
            continue
        transformers.append(_association_transformer(api, resource, from_type, to_type))
    return [resource, *transformers]


def _association_transformer(
    api: HubSpotApi, parent: DltResource, from_type: str, to_type: str
) -> DltResource:
    def read(table: pa.Table) -> Iterator[list[dict]]:
        if "created_at" not in table.column_names:
            return  # deletion rows of merged contacts carry no associations
        rows = api.associations(from_type, to_type, table["id"].to_pylist())
        if rows:
            yield rows

    return dlt.transformer(
        read,
        data_from=parent,
        name=f"{from_type}_to_{to_type}",
        primary_key=("from_id", "to_id", "type_id"),
        write_disposition="merge",
        parallelized=True,
    )


def _events_resource(api: HubSpotApi, start: datetime, workers: int) -> DltResource:
    """Web analytics page views of contacts, merged on `id`.

    Page views of an anonymous visitor attach to a contact when the visitor is identified,
    with their original (older) `occurredAt`. So a run reads (1) every event since the last
    run's newest, in time windows fetched concurrently, and (2) the older history of each
    contact created since the last run. Both cursors live in the resource's state.
    """

    def read() -> Iterator[pa.Table]:
        state = dlt.current.resource_state()
        since = parse_time(state["occurred_since"]) if "occurred_since" in state else start
        created_since = state.get("contacts_created_since")
        newest_contact = api.newest_contact_created()
        base = {"objectType": "contact", "limit": EVENTS_LIMIT}
        probe = {**base, "limit": 1, "occurredAfter": since.isoformat()}
        first = api.client.get(WEB_EVENTS, params=probe).json().get("results", [])
        tasks = []
        if first:
            last = api.client.get(WEB_EVENTS, params={**probe, "sort": "-occurredAt"}).json()
            low = parse_time(first[0]["occurredAt"])
            high = parse_time(last["results"][0]["occurredAt"])
            slices = max(1, workers * 2)
            step = (high - low) / slices
            bounds: list[datetime | None] = [low + step * i for i in range(slices)] + [None]
            tasks += [_event_pages(api, base, bounds[i], bounds[i + 1]) for i in range(slices)]
            state_next = high
        else:
            state_next = since
        if created_since is not None and since > start:
            for contact_id in api.contacts_to_backfill(parse_time(created_since)):
                params = {**base, "objectId": contact_id}
                tasks.append(_event_pages(api, params, None, since))
        yield from stream_concurrently(tasks, workers)
        state["occurred_since"] = state_next.isoformat()
        if newest_contact is not None:
            state["contacts_created_since"] = newest_contact.isoformat()

    return dlt.resource(
        read,
        name="web_events",
        primary_key="id",
        write_disposition="merge",
        parallelized=True,
    )


def _event_pages(
    api: HubSpotApi, base: dict[str, Any], lower: datetime | None, upper: datetime | None
) -> Any:
    def pages() -> Iterator[pa.Table]:
        params = dict(base)
        if lower is not None:
            params["occurredAfter"] = lower.isoformat()
        if upper is not None:
            params["occurredBefore"] = upper.isoformat()
        for results in api.paged(WEB_EVENTS, params):
            yield _web_events_table(results)

    return pages


def _web_events_table(results: list[dict]) -> pa.Table:
    return keyed(
        pa.table(
            {
                "id": pa.array([r["id"] for r in results], pa.string()),
                "object_type": pa.array([r.get("objectType") for r in results], pa.string()),
                "object_id": pa.array([str(r.get("objectId")) for r in results], pa.string()),
                "event_type": pa.array([r.get("eventType") for r in results], pa.string()),
                "occurred_at": pa.array([r.get("occurredAt") for r in results]).cast(TIMESTAMP),
                "url": pa.array([r.get("properties", {}).get("hs_url") for r in results]),
                "referrer": pa.array([r.get("properties", {}).get("hs_referrer") for r in results]),
                "page_title": pa.array(
                    [r.get("properties", {}).get("hs_page_title") for r in results], pa.string()
                ),
            }
        ),
        "id",
    )


def _email_events_resource(api: HubSpotApi, start: datetime) -> DltResource:
    def read(
        created: dlt.sources.incremental[datetime] = dlt.sources.incremental(
            "created", initial_value=start
        ),
    ) -> Iterator[pa.Table]:
        since = created.last_value or start
        params = {"startTimestamp": ms(since), "limit": EMAIL_EVENTS_LIMIT}
        for events in api.client.paginate(EMAIL_EVENTS, offset_cursor(), "events", params=params):
            if events:
                yield _email_events_table(events)

    return dlt.resource(
        read,
        name="email_events",
        primary_key="id",
        write_disposition="merge",
        parallelized=True,
    )


def _email_events_table(events: list[dict]) -> pa.Table:
    """E-mail events as a table: every field HubSpot sent, whatever the event type.

    `id` is text and `created` a timestamp; every other field becomes a snake_case text column
    as sent (nested objects such as `browser`, `location` and `sentBy` flattened with `_`, lists
    as JSON), so fields HubSpot adds arrive as new columns; staging casts.
    """
    flat = [email_event_fields(event) for event in events]
    names = list(dict.fromkeys(name for row in flat for name in row))
    columns: dict[str, pa.Array] = {
        "id": pa.array([e["id"] for e in events], pa.string()),
        "created": pa.array([from_ms(e["created"]) for e in events], TIMESTAMP),
    }
    for name in names:
        if name not in columns:
            columns[name] = pa.array([row.get(name) for row in flat], pa.string())
    return keyed(pa.table(columns), "id")


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _forms_resources(api: HubSpotApi, start: datetime, workers: int) -> list[DltResource]:
    def forms() -> Iterator[list[dict]]:
        for results in api.paged(FORMS, {"limit": FORMS_LIMIT}):
            yield [
                {
                    "id": f["id"],
                    "name": f.get("name"),
                    "form_type": f.get("formType"),
                    "created_at": f.get("createdAt"),
                    "updated_at": f.get("updatedAt"),
                    "archived": bool(f.get("archived")),
                }
                for f in results
            ]

    def submissions(
        submitted: dlt.sources.incremental[datetime] = dlt.sources.incremental(
            "submitted_at", initial_value=start
        ),
    ) -> Iterator[pa.Table]:
        since = ms(submitted.last_value or start)
        guids = [f["id"] for page in api.paged(FORMS, {"limit": FORMS_LIMIT}) for f in page]

        def one_form(guid: str) -> Any:
            def pages() -> Iterator[pa.Table]:
                # Newest first: stop at the first submission older than the cursor.
                path = SUBMISSIONS.format(guid=guid)
                for results in api.paged(path, {"limit": SUBMISSIONS_LIMIT}):
                    fresh = [r for r in results if int(r["submittedAt"]) >= since]
                    if fresh:
                        yield _submissions_table(guid, fresh)
                    if len(fresh) < len(results):
                        return

            return pages

        yield from stream_concurrently([one_form(g) for g in guids], workers)

    return [
        dlt.resource(
            forms,
            name="forms",
            primary_key="id",
            write_disposition="merge",
            columns={"created_at": {"data_type": "timestamp"}},
        ),
        dlt.resource(
            submissions,
            name="form_submissions",
            primary_key="conversion_id",
            write_disposition="merge",
            parallelized=True,
        ),
    ]


_VALUES = pa.list_(pa.struct([("name", pa.string()), ("value", pa.string())]))


def _submissions_table(guid: str, results: list[dict]) -> pa.Table:
    return keyed(
        pa.table(
            {
                "conversion_id": pa.array([r["conversionId"] for r in results], pa.string()),
                "form_id": pa.array([guid] * len(results), pa.string()),
                "submitted_at": pa.array([from_ms(r["submittedAt"]) for r in results], TIMESTAMP),
                "page_url": pa.array([r.get("pageUrl") for r in results], pa.string()),
                "values": pa.array(
                    [
                        [
                            {"name": v.get("name"), "value": _text(v.get("value"))}
                            for v in r["values"]
                        ]
                        for r in results
                    ],
                    _VALUES,
                ),
            }
        ),
        "conversion_id",
    )


def _owners_resource(api: HubSpotApi) -> DltResource:
    def owners() -> Iterator[list[dict]]:
        for archived in (False, True):
            params = {"limit": OWNERS_LIMIT, "archived": str(archived).lower()}
            for results in api.paged(api.path(OWNERS), params):
                yield [
                    {
                        "id": o["id"],
                        "email": o.get("email"),
                        "first_name": o.get("firstName"),
                        "last_name": o.get("lastName"),
                        "user_id": o.get("userId"),
                        "archived": bool(o.get("archived")),
                        "created_at": o.get("createdAt"),
                        "updated_at": o.get("updatedAt"),
                    }
                    for o in results
                ]

    return dlt.resource(
        owners,
        name="owners",
        primary_key="id",
        write_disposition="merge",
        columns={
            "created_at": {"data_type": "timestamp"},
            "updated_at": {"data_type": "timestamp"},
        },
    )


def _stages_resource(api: HubSpotApi) -> DltResource:
    def stages() -> Iterator[list[dict]]:
        data = api.client.get(api.path(DEAL_PIPELINES)).json()
        yield [
            {
                "pipeline_id": pipeline["id"],
                "pipeline_label": pipeline.get("label"),
                "stage_id": stage["id"],
                "label": stage.get("label"),
                "display_order": stage.get("displayOrder"),
                "is_closed": (stage.get("metadata") or {}).get("isClosed"),
                "probability": (stage.get("metadata") or {}).get("probability"),
                "archived": bool(stage.get("archived")),
            }
            for pipeline in data.get("results", [])
            for stage in pipeline.get("stages", [])
        ]

    return dlt.resource(
        stages,
        name="deal_pipeline_stages",
        primary_key=("pipeline_id", "stage_id"),
        write_disposition="merge",
    )


@dlt.source(name=NAME, max_table_nesting=0)
def hubspot_source(
    access_token: str | None = dlt.secrets.value,
    client_id: str | None = None,
    client_secret: str | None = None,
    refresh_token: str | None = None,
    base_url: str = DEFAULT_BASE_URL,
    start_date: str = DEFAULT_START_DATE,
    requests_per_10s: int = REQUESTS_PER_10S,
    searches_per_second: int = SEARCHES_PER_SECOND,
    workers: int = WORKERS,
    objects: Sequence[str] = tuple(CRM_OBJECTS),
    crm_api_version: str = CRM_API_VERSION,
    associations_api_version: str = ASSOCIATIONS_API_VERSION,
) -> Iterator[DltResource]:
    """HubSpot CRM objects, associations, owners, pipelines, forms, e-mail and web events.

    `requests_per_10s` is the account's burst limit (190 for Professional and Enterprise;
    100 for Free and Starter); `searches_per_second` keeps search under its own limit. A 429
    holds every caller for the window HubSpot's headers name, and the calls left in that
    window (`X-HubSpot-RateLimit-Remaining`) pace the client before a 429; the DAILY policy
    ends the run. `crm_api_version` and `associations_api_version` are the versions in the
    paths (v3 and v4). Timeouts and retries follow dlt's `[runtime]` settings.
    """
    form = grant(client_id, client_secret, refresh_token) if refresh_token else None
    if form is None and not access_token:
        raise AuthenticationError(
            f"{NAME}: no credentials: set access_token (a private app's token) or "
            "client_id, client_secret and refresh_token (OAuth)"
        )
    token_url = base_url.rstrip("/") + TOKEN_PATH
    auth = OAuth(NAME, token_url, form, token=None if form else access_token)
    common: dict[str, Any] = {"auth": auth, "classify": classify, "throttle": throttle}
    limiter = RateLimiter(requests_per_10s, 10.0, margin=WINDOW_MARGIN)
    client = Transport(NAME, base_url, limiter=limiter, **common)
    search = Transport(NAME, base_url, limiter=RateLimiter(searches_per_second, 1.0), **common)
    api = HubSpotApi(client, search, crm_api_version, associations_api_version)
    start = parse_time(start_date).astimezone(UTC)
    for object_type in objects:
        yield from _crm_resource(api, object_type, start)
    yield _owners_resource(api)
    yield _stages_resource(api)
    yield from _forms_resources(api, start, workers)
    yield _email_events_resource(api, start)
    yield _events_resource(api, start, workers)
