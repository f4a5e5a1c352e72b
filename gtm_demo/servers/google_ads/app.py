"""The Google Ads API app: state, OAuth, search and searchStream routes, faults, start."""

from __future__ import annotations

import base64
import hashlib
import json
import math
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gtm_demo.servers.google_ads.compile import (
    _ADDITIVE,
    Compiled,
    _put,
    compile_query,
    render_row,
    render_value,
)
from gtm_demo.servers.google_ads.errors import (
    GoogleAdsError,
    _request_error,
    error_body,
    error_response,
    request_id,
)
from gtm_demo.servers.google_ads.gaql import parse_gaql
from gtm_demo.servers.google_ads.settings import (
    _MISSING_CREDENTIAL,
    _PERMISSION_MESSAGE,
    API_VERSION,
    API_VERSIONS,
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
from gtm_demo.serving import (
    FaultPlan,
    RollingLimit,
    ServerHandle,
    WorldState,
    admin_routes,
    fault_middleware,
    serve,
)


@dataclass
class Snapshot:
    """A `:search` result frozen in a DuckDB table, paged by page tokens."""

    key: str
    table: str
    compiled: Compiled
    total: int  # rows matching, ignoring LIMIT
    served: int  # rows served (LIMIT applied)
    query_hash: str


class GoogleAdsApi:
    """The endpoints' logic over one `WorldState`; query methods run in a worker thread."""

    def __init__(
        self,
        state: WorldState,
        plan: FaultPlan,
        version: str,
        page_size: int,
        stream_batch_size: int,
    ) -> None:
        self.state = state
        self.plan = plan
        self.version = version
        self.page_size = page_size
        self.stream_batch_size = stream_batch_size
        self.snapshots: OrderedDict[str, Snapshot] = OrderedDict()
        self._ids = 0
        self._lock = threading.Lock()

    # --- customers ---
    def customers(self) -> dict[str, dict[str, Any]]:
        """Return the customers that exist at the moment, by id."""
        rows = self.state.fetch(
            f"select * from {self.state.table('google_ads/customers')} order by id"
        )
        return {row["id"]: row for row in rows}

    def today(self, customer: dict[str, Any]) -> date:
        """Return the customer's local date at the world's moment."""
        return self.state.moment.astimezone(ZoneInfo(customer["time_zone"])).date()

    # --- queries ---
    def compile(self, text: str, customer: dict[str, Any]) -> Compiled:
        """Parse and compile `text` for `customer`."""
        if not text or not text.strip():
            raise _request_error("REQUIRED_FIELD_MISSING", "The query is empty.")
        return compile_query(
            parse_gaql(text), self.state.table, customer["id"], self.today(customer)
        )

    def _new_name(self) -> str:
        with self._lock:
            self._ids += 1
            return f"gads_result_{self._ids}"

    def snapshot(self, compiled: Compiled, query_hash: str) -> Snapshot:
        """Run `compiled` and keep its rows for paging."""
        table = self._new_name()
        self.state.fetch(f"create table {table} as {compiled.sql}", compiled.params)
        total = int(self.state.fetch(f"select count(*) as n from {table}")[0]["n"])
        served = total if compiled.limit is None else min(total, compiled.limit)
        snap = Snapshot(table, table, compiled, total, served, query_hash)
        stale = []
        with self._lock:
            self.snapshots[snap.key] = snap
            while len(self.snapshots) > MAX_OPEN_SNAPSHOTS:
                stale.append(self.snapshots.popitem(last=False)[1])
        for old in stale:
            self.state.fetch(f"drop table if exists {old.table}")
        return snap

    def page(self, snap: Snapshot, start: int, count: int) -> list[dict[str, Any]]:
        """Rows `start`..`start+count` (0-based, within the served rows) of a snapshot."""
        end = min(start + count, snap.served)
        raw = self.state.fetch(
            f"select * from {snap.table} where __rn > $a and __rn <= $b order by __rn",
            {"a": start, "b": end},
        )
        return [render_row(snap.compiled, row) for row in raw]

    def summary(self, compiled: Compiled, source: str, params: dict[str, Any]) -> dict[str, Any]:
        """Return the summary row of the metrics over `source` (a relation with `_m_*` columns)."""
        metrics = [spec for spec in compiled.fields if spec.resource == "metrics"]
        if not metrics:
            return {}
        sums = ", ".join(f"sum(_m_{name}) as {name}" for name in _ADDITIVE)
        columns = ", ".join(f"{spec.sql.format(m='s')} as c{i}" for i, spec in enumerate(metrics))
        raw = self.state.fetch(f"select {columns} from (select {sums} from {source}) s", params)
        row: dict[str, Any] = {}
        for i, spec in enumerate(metrics):
            value = render_value(spec, raw[0][f"c{i}"])
            if value is not None:
                _put(row, spec.path, value)
        return row

    def encode_token(self, snap: Snapshot, offset: int) -> str:
        """Return an opaque page token for the rows of `snap` from `offset`."""
        raw = json.dumps([snap.key, offset, snap.query_hash]).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def decode_token(self, token: str, query_hash: str) -> tuple[Snapshot, int]:
        """Return the snapshot and offset a page token points at."""
        try:
            key, offset, token_hash = json.loads(
                base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            )
            offset = int(offset)
        except (ValueError, TypeError):
            raise _request_error("INVALID_PAGE_TOKEN", "Page token is invalid.") from None
        if token_hash != query_hash:
            raise _request_error(
                "INVALID_PAGE_TOKEN",
                "Page token is invalid: the request does not match the one that produced it.",
            )
        with self._lock:
            snap = self.snapshots.get(key)
        if snap is None:
            raise _request_error("EXPIRED_PAGE_TOKEN", "Page token has expired.")
        if not 0 < offset < snap.served:
            raise _request_error("INVALID_PAGE_TOKEN", "Page token is invalid.")
        return snap, offset

    def search(self, customer: dict[str, Any], body: dict[str, Any], path: str) -> dict[str, Any]:
        """`googleAds:search`: one page of results."""
        text = body.get("query") or ""
        settings = body.get("searchSettings") or body.get("search_settings") or {}
        if not isinstance(settings, dict):
            raise _invalid_json("searchSettings must be an object")
        query_hash = hashlib.sha1(f"{customer['id']}\n{text}".encode()).hexdigest()[:16]
        token = body.get("pageToken") or body.get("page_token")
        compiled = self.compile(text, customer)
        if body.get("validateOnly") or body.get("validate_only"):
            return {"fieldMask": compiled.field_mask}
        if token:
            snap, offset = self.decode_token(str(token), query_hash)
        else:
            snap, offset = self.snapshot(compiled, query_hash), 0
        start, count = offset, self.page_size
        if offset > 0 and self.plan.take(path, {"repeat_record"}) is not None:
            start, count = offset - 1, count + 1
        results = self.page(snap, start, count)
        following = offset + self.page_size
        answer: dict[str, Any] = {}
        if results:
            answer["results"] = results
        if following < snap.served:
            answer["nextPageToken"] = self.encode_token(snap, following)
        if settings.get("returnTotalResultsCount") or settings.get("return_total_results_count"):
            answer["totalResultsCount"] = str(snap.total)
        answer["fieldMask"] = compiled.field_mask
        last = following >= snap.served
        if last and (settings.get("returnSummaryRow") or settings.get("return_summary_row")):
            answer["summaryRow"] = self.summary(
                compiled, f"{snap.table} where __rn <= {snap.served}", {}
            )
        answer["queryResourceConsumption"] = str(max(1, snap.total))
        if last and not token:
            with self._lock:
                self.snapshots.pop(snap.key, None)
            self.state.fetch(f"drop table if exists {snap.table}")
        return answer

    def search_stream(self, customer: dict[str, Any], body: dict[str, Any]) -> list[dict]:
        """`googleAds:searchStream`: every row, in batches."""
        compiled = self.compile(body.get("query") or "", customer)
        setting = body.get("summaryRowSetting") or body.get("summary_row_setting") or ""
        limit = "" if compiled.limit is None else f" where __rn <= {int(compiled.limit)}"
        source = f"({compiled.sql}){limit}"
        rows = (
            []
            if setting == "SUMMARY_ROW_ONLY"
            else self.state.fetch(f"select * from {source} order by __rn", compiled.params)
        )
        rendered = [render_row(compiled, row) for row in rows]
        size = self.stream_batch_size
        batches: list[dict[str, Any]] = []
        for i in range(0, max(1, len(rendered)), size):
            batch: dict[str, Any] = {}
            if rendered[i : i + size]:
                batch["results"] = rendered[i : i + size]
            batch["fieldMask"] = compiled.field_mask
            batch["requestId"] = request_id()
            batches.append(batch)
        if setting in ("SUMMARY_ROW_WITH_RESULTS", "SUMMARY_ROW_ONLY"):
            batches[-1]["summaryRow"] = self.summary(compiled, source, compiled.params)
        batches[-1]["queryResourceConsumption"] = str(max(1, len(rendered)))
        return batches


def _invalid_json(detail: str) -> GoogleAdsError:
    return GoogleAdsError(
        400, None, "", detail, top_message=f"Invalid JSON payload received. {detail}"
    )


_SEARCH_FIELDS = {
    "query",
    "pageToken",
    "page_token",
    "pageSize",
    "page_size",
    "validateOnly",
    "validate_only",
    "searchSettings",
    "search_settings",
    "customerId",
    "customer_id",
}


_STREAM_FIELDS = {"query", "summaryRowSetting", "summary_row_setting", "customerId", "customer_id"}


def quota_fault(options: dict[str, Any]) -> GoogleAdsError:
    """Return the 429 a `quota_error` fault plans: a quotaError with its quotaErrorDetails.

    Options: `code` (RESOURCE_TEMPORARILY_EXHAUSTED by default, or RESOURCE_EXHAUSTED),
    `rate_scope` (ACCOUNT), `rate_name` ("Requests per account"), `retry_delay` (seconds, 30).
    """
    delay = float(options.get("retry_delay", 30))
    return GoogleAdsError(
        429,
        "quotaError",
        options.get("code", "RESOURCE_TEMPORARILY_EXHAUSTED"),
        f"Too many requests. Retry in {delay:g} seconds.",
        details={
            "quotaErrorDetails": {
                "rateScope": options.get("rate_scope", "ACCOUNT"),
                "rateName": options.get("rate_name", "Requests per account"),
                "retryDelay": f"{delay:g}s",
            }
        },
    )


def _seconds_to_pacific_midnight() -> int:
    now = datetime.now(ZoneInfo("America/Los_Angeles"))
    tomorrow = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(1, math.ceil((tomorrow - now).total_seconds()))


def create_app(
    state: WorldState,
    plan: FaultPlan,
    client_id: str = DEFAULT_CLIENT_ID,
    client_secret: str = DEFAULT_CLIENT_SECRET,
    refresh_token: str = DEFAULT_REFRESH_TOKEN,
    developer_token: str = DEFAULT_DEVELOPER_TOKEN,
    api_version: str = API_VERSION,
    api_versions: tuple[str, ...] = API_VERSIONS,
    rate_limit: tuple[int, float] | None = (100, 1.0),
    daily_limit: int = DAILY_OPERATIONS,
    token_lifetime: float = TOKEN_LIFETIME,
    page_size: int = PAGE_SIZE,
    stream_batch_size: int = PAGE_SIZE,
) -> Callable:
    """Return the Google Ads ASGI app over `state`, with `plan`'s faults applied.

    `api_versions` are the versions served (`api_version`, the newest, names the error types);
    `rate_limit` is a rolling (requests, seconds) window over API calls (None turns it off);
    `daily_limit` counts operations (a `:search` page fetched with a page token is free);
    `page_size` and `stream_batch_size` are Google's fixed 10,000 unless a test shrinks them.
    """
    api = GoogleAdsApi(state, plan, api_version, page_size, stream_batch_size)
    limiter = RollingLimit(*rate_limit) if rate_limit else None
    tokens: dict[str, float] = {}
    usage = {"operations": 0}
    lock = threading.Lock()

    def fail(exc: GoogleAdsError) -> JSONResponse:
        return error_response(exc, api_version)

    # --- OAuth ---
    async def token_route(request: Request) -> JSONResponse:
        form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("basic "):
            try:
                user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                user, password = "", ""
            form.setdefault("client_id", user)
            form.setdefault("client_secret", password)
        grant = form.get("grant_type", "")
        if grant != "refresh_token":
            return JSONResponse(
                {
                    "error": "unsupported_grant_type",
                    "error_description": f"Invalid grant_type: {grant}",
                },
                status_code=400,
            )
        if form.get("client_id") != client_id:
            return JSONResponse(
                {"error": "invalid_client", "error_description": "The OAuth client was not found."},
                status_code=401,
            )
        if not secrets.compare_digest(form.get("client_secret", ""), client_secret):
            return JSONResponse(
                {"error": "invalid_client", "error_description": "Unauthorized"},
                status_code=401,
            )
        if not secrets.compare_digest(form.get("refresh_token", ""), refresh_token):
            return JSONResponse(
                {"error": "invalid_grant", "error_description": "Bad Request"}, status_code=400
            )
        access = "ya29.demo-" + secrets.token_urlsafe(48)
        with lock:
            tokens[access] = time.monotonic() + token_lifetime
        return JSONResponse(
            {
                "access_token": access,
                "expires_in": int(token_lifetime),
                "scope": SCOPE,
                "token_type": "Bearer",
            }
        )

    # --- the gate every API call passes ---
    def authenticate(request: Request) -> None:
        version = request.path_params["version"]
        if version != api_version and version not in api_versions:
            raise GoogleAdsError(
                404,
                None,
                "",
                "Not found",
                top_message=f"The requested API version {version} is not found or has been "
                f"sunset; supported versions: {', '.join(sorted({*api_versions, api_version}))}.",
            )
        auth = request.headers.get("authorization", "")
        scheme, _, access = auth.partition(" ")
        access = access.strip()
        if scheme.lower() != "bearer" or not access:
            raise GoogleAdsError(
                401,
                "authenticationError",
                "AUTHENTICATION_ERROR",
                "Authentication of the request failed.",
                top_message=_MISSING_CREDENTIAL,
            )
        with lock:
            expiry = tokens.get(access)
        if expiry is None:
            raise GoogleAdsError(
                401,
                "authenticationError",
                "OAUTH_TOKEN_INVALID",
                "OAuth token in the header is not valid.",
            )
        if time.monotonic() >= expiry or plan.take(request.url.path, {"expired_token"}):
            with lock:
                tokens.pop(access, None)
            raise GoogleAdsError(
                401,
                "authenticationError",
                "OAUTH_TOKEN_EXPIRED",
                "OAuth token in the header has expired.",
            )
        planned = plan.take(request.url.path, {"quota_error"})
        if planned is not None:
            raise quota_fault(planned.options)
        dev = request.headers.get("developer-token")
        if dev is None or not dev.strip():
            raise _request_error(
                "DEVELOPER_TOKEN_PARAMETER_MISSING", "developer-token parameter is missing."
            )
        if not secrets.compare_digest(dev.strip(), developer_token):
            raise GoogleAdsError(
                401,
                "authenticationError",
                "DEVELOPER_TOKEN_INVALID",
                "The developer token is not valid.",
            )
        if limiter is not None:
            allowed, _, wait = limiter.take()
            if not allowed:
                seconds = max(1, math.ceil(wait))
                raise GoogleAdsError(
                    429,
                    "quotaError",
                    "RESOURCE_TEMPORARILY_EXHAUSTED",
                    f"Too many requests. Retry in {seconds} seconds.",
                    details={
                        "quotaErrorDetails": {
                            "rateScope": "ACCOUNT",
                            "rateName": "Request rate per account",
                            "retryDelay": f"{seconds}s",
                        }
                    },
                )

    def count_operation() -> None:
        with lock:
            if usage["operations"] >= daily_limit:
                exhausted = True
            else:
                usage["operations"] += 1
                exhausted = False
        if exhausted:
            seconds = _seconds_to_pacific_midnight()
            raise GoogleAdsError(
                429,
                "quotaError",
                "RESOURCE_EXHAUSTED",
                f"Too many requests. Retry in {seconds} seconds.",
                details={
                    "quotaErrorDetails": {
                        "rateScope": "DEVELOPER",
                        "rateName": "Number of operations for basic access",
                        "retryDelay": f"{seconds}s",
                    }
                },
            )

    def customer_for(request: Request) -> dict[str, Any]:
        customer_id = request.path_params["customer_id"]
        if not customer_id.isdigit():
            raise GoogleAdsError(
                400,
                "authenticationError",
                "CLIENT_CUSTOMER_ID_INVALID",
                f"Invalid customer ID '{customer_id}'.",
            )
        known = api.customers()
        login = (request.headers.get("login-customer-id") or "").strip()
        customer = known.get(customer_id)
        if login:
            if not login.isdigit():
                raise GoogleAdsError(
                    400,
                    "authenticationError",
                    "CLIENT_CUSTOMER_ID_INVALID",
                    f"Invalid login-customer-id '{login}'.",
                )
            manager = known.get(login)
            if manager is None or (login != customer_id and not manager["manager"]):
                customer = None
        if customer is None:
            raise GoogleAdsError(
                403, "authorizationError", "USER_PERMISSION_DENIED", _PERMISSION_MESSAGE
            )
        return customer

    async def read_json(request: Request, allowed: set[str]) -> dict[str, Any]:
        raw = await request.body()
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            raise _invalid_json("Unexpected token.") from None
        if not isinstance(body, dict):
            raise _invalid_json("The body must be an object.")
        for name in body:
            if name not in allowed:
                raise _invalid_json(f'Unknown name "{name}": Cannot find field.')
        return body

    def respond(handler: Callable) -> Callable:
        async def route(request: Request) -> Response:
            try:
                authenticate(request)
                response = await handler(request)
            except GoogleAdsError as exc:
                return fail(exc)
            except Exception:  # an unexpected failure still answers in Google's format
                return fail(
                    GoogleAdsError(
                        500, "internalError", "INTERNAL_ERROR", "An internal error has occurred."
                    )
                )
            response.headers.setdefault("request-id", request_id())
            return response

        return route

    async def list_accessible(request: Request) -> Response:
        count_operation()
        names = [f"customers/{cid}" for cid in await run_in_threadpool(api.customers)]
        return JSONResponse({"resourceNames": names})

    async def search(request: Request) -> Response:
        body = await read_json(request, _SEARCH_FIELDS)
        if body.get("pageSize") or body.get("page_size"):
            raise _request_error(
                "PAGE_SIZE_NOT_SUPPORTED",
                "Setting the page size is not supported. Search Responses will have fixed page "
                f"size of {PAGE_SIZE} rows.",
            )
        customer = await run_in_threadpool(customer_for, request)
        if not (body.get("pageToken") or body.get("page_token")):
            count_operation()
        answer = await run_in_threadpool(api.search, customer, body, request.url.path)
        return JSONResponse(answer)

    async def search_stream(request: Request) -> Response:
        body = await read_json(request, _STREAM_FIELDS)
        customer = await run_in_threadpool(customer_for, request)
        count_operation()
        batches = await run_in_threadpool(api.search_stream, customer, body)
        return JSONResponse(batches)

    async def not_found(request: Request, exc: Exception) -> Response:
        # Google's front end answers an unknown method or path with a bare NOT_FOUND.
        return fail(GoogleAdsError(404, None, "", str(getattr(exc, "detail", exc))))

    base = "/{version}/customers"
    routes = [
        Route("/token", token_route, methods=["POST"]),
        Route(f"{base}:listAccessibleCustomers", respond(list_accessible), methods=["GET"]),
        Route(f"{base}/{{customer_id}}/googleAds:search", respond(search), methods=["POST"]),
        Route(
            f"{base}/{{customer_id}}/googleAds:searchStream",
            respond(search_stream),
            methods=["POST"],
        ),
        *admin_routes(state, plan),
    ]
    app = Starlette(routes=routes, exception_handlers={404: not_found, 405: not_found})
    app.router.redirect_slashes = False
    return fault_middleware(plan, lambda status, message: error_body(status, message, api_version))(
        app
    )


def start(world_dir: Path | str, moment: datetime | None = None, **kw: Any) -> ServerHandle:
    """Serve the Google Ads API over `world_dir` on 127.0.0.1; the handle carries `.state`, `.plan`.

    Keyword arguments go to `create_app` (client_id, client_secret, refresh_token,
    developer_token, api_version, rate_limit, daily_limit, token_lifetime, page_size,
    stream_batch_size).
    """
    state = WorldState(Path(world_dir), moment)
    plan = FaultPlan()
    handle = serve(create_app(state, plan, **kw))
    handle.state = state  # type: ignore[attr-defined]
    handle.plan = plan  # type: ignore[attr-defined]
    return handle
