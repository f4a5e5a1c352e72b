"""The LinkedIn Marketing API app: OAuth, versions, routes, faults, start."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gtm_demo.servers.linkedin_ads.api import LinkedInApi
from gtm_demo.servers.linkedin_ads.errors import (
    LinkedInError,
    error_body,
    error_response,
    throttle_response,
)
from gtm_demo.servers.linkedin_ads.restli import parse_query
from gtm_demo.servers.linkedin_ads.settings import (
    _VERSION,
    ACCESS_TOKEN_SECONDS,
    APP_TOKEN_SECONDS,
    DAILY_LIMIT,
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_REFRESH_TOKEN,
    DEFAULT_TOKEN,
    EXPIRED_MESSAGES,
    LATEST_VERSION,
    MAX_ELEMENTS,
    OLDEST_VERSION,
    REFRESH_TOKEN_SECONDS,
    VERSION_MISSING_MESSAGE,
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


class _Daily:
    """A daily call count that resets at midnight UTC, like LinkedIn's."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.day = datetime.now(UTC).date()
        self.used = 0
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            today = datetime.now(UTC).date()
            if today != self.day:
                self.day, self.used = today, 0
            if self.used >= self.limit:
                return False
            self.used += 1
            return True


def _version_ok(version: str, versions: tuple[str, str]) -> bool:
    match = _VERSION.match(version)
    return bool(match) and versions[0] <= match.group(1) <= versions[1]


def create_app(
    state: WorldState,
    plan: FaultPlan,
    client_id: str = DEFAULT_CLIENT_ID,
    client_secret: str = DEFAULT_CLIENT_SECRET,
    token: str | None = DEFAULT_TOKEN,
    refresh_token: str = DEFAULT_REFRESH_TOKEN,
    rate_limit: tuple[int, float] | None = (100, 10.0),
    daily_limit: int = DAILY_LIMIT,
    max_elements: int = MAX_ELEMENTS,
    versions: tuple[str, str] = (OLDEST_VERSION, LATEST_VERSION),
) -> Callable:
    """Return the LinkedIn Marketing API ASGI app over `state`, with `plan`'s faults applied.

    `token` is a static access token accepted beside issued ones (None accepts issued ones
    only); `refresh_token` is the one a client may exchange; `rate_limit` is the rolling
    (requests, seconds) window (None turns it off); `daily_limit` counts calls per UTC day;
    `max_elements` caps an adAnalytics answer; `versions` is the (oldest, latest) `YYYYMM`
    version served.
    """
    api = LinkedInApi(state, plan, max_elements)
    limiter = RollingLimit(*rate_limit) if rate_limit else None
    daily = _Daily(daily_limit)
    issued: set[str] = set()
    refresh_tokens = {refresh_token}
    lock = threading.Lock()

    async def access_token(request: Request) -> JSONResponse:
        form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
        form = {**dict(request.query_params), **form}
        grant = form.get("grant_type")
        if not grant:
            return JSONResponse(
                {
                    "error": "invalid_request",
                    "error_description": 'A required parameter "grant_type" is missing',
                },
                status_code=400,
            )
        if grant not in ("client_credentials", "refresh_token"):
            return JSONResponse(
                {
                    "error": "unsupported_grant_type",
                    "error_description": f"{grant} is not supported",
                },
                status_code=400,
            )
        if form.get("client_id") != client_id or not secrets.compare_digest(
            form.get("client_secret", ""), client_secret
        ):
            return JSONResponse(
                {"error": "invalid_client", "error_description": "Client authentication failed"},
                status_code=401,
            )
        new = secrets.token_urlsafe(48)
        if grant == "client_credentials":
            with lock:
                issued.add(new)
            return JSONResponse({"access_token": new, "expires_in": APP_TOKEN_SECONDS})
        presented = form.get("refresh_token", "")
        with lock:
            known = presented in refresh_tokens
            if known:
                issued.add(new)
        if not known:
            return JSONResponse(
                {
                    "error": "invalid_grant",
                    "error_description": "The provided authorization grant or refresh token is "
                    "invalid, expired or revoked",
                },
                status_code=400,
            )
        return JSONResponse(
            {
                "access_token": new,
                "expires_in": ACCESS_TOKEN_SECONDS,
                "refresh_token": presented,
                "refresh_token_expires_in": REFRESH_TOKEN_SECONDS,
                "scope": "r_ads,r_ads_reporting",
            }
        )

    def gate(request: Request) -> Response | None:
        """Auth, version and protocol headers, limits: an error response or None."""
        scheme, _, presented = request.headers.get("authorization", "").partition(" ")
        presented = presented.strip()
        with lock:
            valid = scheme.lower() == "bearer" and (
                presented in issued or (token is not None and presented == token)
            )
        if not valid:
            return error_body(401, "Invalid access token")
        fault = plan.take(request.url.path, {"expired_token"})
        if fault is not None:
            code = fault.options.get("code", "EXPIRED_ACCESS_TOKEN")
            with lock:
                issued.discard(presented)
            return error_response(
                401,
                code,
                EXPIRED_MESSAGES.get(code, EXPIRED_MESSAGES["EXPIRED_ACCESS_TOKEN"]),
                65601,
            )
        version = request.headers.get("linkedin-version")
        if not version:
            return JSONResponse(
                {"status": 400, "code": "VERSION_MISSING", "message": VERSION_MISSING_MESSAGE},
                status_code=400,
            )
        if not _version_ok(version.strip(), versions):
            return JSONResponse(
                {
                    "status": 426,
                    "code": "NONEXISTENT_VERSION",
                    "message": f"Requested version {version.strip()} is not active",
                },
                status_code=426,
            )
        if request.headers.get("x-restli-protocol-version", "").strip() != "2.0.0":
            return error_response(
                400,
                "ILLEGAL_ARGUMENT",
                "This endpoint speaks Rest.li protocol 2.0.0: send X-Restli-Protocol-Version: "
                "2.0.0",
            )
        if limiter is not None and not limiter.take()[0]:
            return throttle_response()
        if not daily.take():
            return throttle_response("APPLICATION DAY")
        return None

    def endpoint(handler: Callable[[Request, dict[str, Any]], Response]) -> Callable:
        async def route(request: Request) -> Response:
            refused = gate(request)
            if refused is not None:
                return refused
            raw = request.scope.get("query_string", b"").decode("latin-1")
            if request.method == "POST":
                if request.headers.get("x-http-method-override", "").upper() != "GET":
                    return error_body(405, "POST here is query tunneling: X-HTTP-Method-Override")
                body = (await request.body()).decode("latin-1")
                raw = "&".join(part for part in (raw, body) if part)
            try:
                query = parse_query(raw)
                return await run_in_threadpool(handler, request, query)
            except LinkedInError as exc:
                return exc.response()

        return route

    methods = ["GET", "POST"]
    accounts = "/rest/adAccounts"
    account = accounts + "/{account_id}"
    routes = [
        Route("/oauth/v2/accessToken", access_token, methods=["POST"]),
        Route(accounts, endpoint(api.search_accounts), methods=methods),
        Route(account, endpoint(api.get_account), methods=methods),
        Route(f"{account}/adCampaignGroups", endpoint(api.search_groups), methods=methods),
        Route(
            f"{account}/adCampaignGroups/{{entity_id}}", endpoint(api.get_group), methods=methods
        ),
        Route(f"{account}/adCampaigns", endpoint(api.search_campaigns), methods=methods),
        Route(f"{account}/adCampaigns/{{entity_id}}", endpoint(api.get_campaign), methods=methods),
        Route(f"{account}/creatives", endpoint(api.criteria_creatives), methods=methods),
        Route(f"{account}/creatives/{{entity_id}}", endpoint(api.get_creative), methods=methods),
        Route("/rest/adAnalytics", endpoint(api.analytics), methods=methods),
        *admin_routes(state, plan),
    ]
    app = Starlette(routes=routes)
    app.router.redirect_slashes = False
    return fault_middleware(plan, error_body)(app)


def start(world_dir: Path | str, moment: datetime | None = None, **kw: Any) -> ServerHandle:
    """Serve the LinkedIn Marketing API over `world_dir` on 127.0.0.1.

    The handle carries `.state` and `.plan`. Keyword arguments go to `create_app` (client_id,
    client_secret, token, refresh_token, rate_limit, daily_limit, max_elements, versions).
    """
    state = WorldState(Path(world_dir), moment)
    plan = FaultPlan()
    handle = serve(create_app(state, plan, **kw))
    handle.state = state  # type: ignore[attr-defined]
    handle.plan = plan  # type: ignore[attr-defined]
    return handle
