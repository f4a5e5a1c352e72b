"""The HubSpot API app: routes, authentication, rate limits, faults, start."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gtm_demo.servers.hubspot.api import HubSpotApi
from gtm_demo.servers.hubspot.errors import (
    _STATUS_CATEGORIES,
    ApiError,
    error_response,
    rate_limit_body,
)
from gtm_demo.servers.hubspot.settings import (
    API_VERSIONS,
    AUTH_MESSAGE,
    DAILY_LIMIT,
    DEFAULT_OAUTH_CLIENT,
    DEFAULT_TOKEN,
    EXPIRED_MESSAGE,
)
from gtm_demo.servers.hubspot.writes import write_routes
from gtm_demo.serving import (
    FaultPlan,
    RollingLimit,
    ServerHandle,
    WorldState,
    admin_routes,
    fault_middleware,
    serve,
)


def error_body(status: int, message: str, limiter: RollingLimit | None = None) -> Response:
    """Render `status` in HubSpot's error format (used for injected faults too)."""
    if status == 429:
        response = JSONResponse(rate_limit_body(), status_code=429)
        if limiter is not None:
            response.headers["X-HubSpot-RateLimit-Max"] = str(limiter.limit)
            response.headers["X-HubSpot-RateLimit-Remaining"] = "0"
            response.headers["X-HubSpot-RateLimit-Interval-Milliseconds"] = str(
                int(limiter.interval * 1000)
            )
        return response
    if status == 401:
        return error_response(401, AUTH_MESSAGE, "INVALID_AUTHENTICATION")
    return error_response(status, message, _STATUS_CATEGORIES.get(status, "INTERNAL_ERROR"))


def create_app(
    state: WorldState,
    plan: FaultPlan,
    token: str = DEFAULT_TOKEN,
    oauth_client: tuple[str, str, str] = DEFAULT_OAUTH_CLIENT,
    rate_limit: tuple[int, float] = (190, 10.0),
    search_rate_limit: tuple[int, float] | None = (5, 1.0),
    daily_limit: int = DAILY_LIMIT,
) -> Callable:
    """Return the HubSpot ASGI app over `state`, with `plan`'s faults applied.

    `token` is the private-app token; `oauth_client` is the (client id, client secret, refresh
    token) that `POST /oauth/v1/token` exchanges for access tokens, which work as well.
    `rate_limit` is the rolling (requests, seconds) window of every endpoint but search;
    `search_rate_limit` is search's own window (None turns it off). Past `daily_limit` calls get
    429 with the DAILY policy.
    """
    api = HubSpotApi(state, plan)
    limiter = RollingLimit(*rate_limit)
    search_limiter = RollingLimit(*search_rate_limit) if search_rate_limit else None
    daily = {"used": 0}
    daily_lock = threading.Lock()
    issued: set[str] = set()

    async def oauth_token(request: Request) -> Response:
        form = dict(parse_qsl((await request.body()).decode()))
        client_id, client_secret, refresh = oauth_client
        if form.get("grant_type") != "refresh_token":
            return JSONResponse(
                {"status": "BAD_GRANT_TYPE", "message": "grant_type must be refresh_token"}, 400
            )
        if form.get("client_id") != client_id or form.get("client_secret") != client_secret:
            return JSONResponse(
                {"status": "BAD_CLIENT_ID", "message": "missing or unknown client id"}, 400
            )
        if form.get("refresh_token") != refresh:
            return JSONResponse(
                {"status": "BAD_REFRESH_TOKEN", "message": "missing or unknown refresh token"}, 400
            )
        access = f"oauth-{uuid.uuid4()}"
        issued.add(access)
        return JSONResponse(
            {
                "token_type": "bearer",
                "refresh_token": refresh,
                "access_token": access,
                "expires_in": 1800,
            }
        )

    def endpoint(handler: Callable[[Request, bytes], Response], search: bool = False) -> Callable:
        async def route(request: Request) -> Response:
            version = request.path_params.get("version")
            if version is not None:
                family = "associations" if "/associations/" in request.url.path else "crm"
                if version not in API_VERSIONS[family]:
                    return error_response(
                        404,
                        f"Unknown API version '{version}' for {request.url.path}; this API "
                        f"serves {', '.join(API_VERSIONS[family])}",
                        "OBJECT_NOT_FOUND",
                    )
            presented = request.headers.get("authorization", "").removeprefix("Bearer ")
            if presented != token and presented not in issued:
                return error_body(401, AUTH_MESSAGE)
            if plan.take(request.url.path, {"expired_token"}) is not None:
                return error_response(401, EXPIRED_MESSAGE, "EXPIRED_AUTHENTICATION")
            headers: dict[str, str] = {}
            if search:
                if search_limiter is not None and not search_limiter.take()[0]:
                    return JSONResponse(rate_limit_body("SECONDLY"), status_code=429)
            else:
                allowed, remaining, _ = limiter.take()
                if not allowed:
                    return error_body(429, "rate limited", limiter)
                with daily_lock:
                    daily["used"] += 1
                    used = daily["used"]
                if used > daily_limit:
                    response = JSONResponse(rate_limit_body("DAILY"), status_code=429)
                    response.headers["X-HubSpot-RateLimit-Daily"] = str(daily_limit)
                    response.headers["X-HubSpot-RateLimit-Daily-Remaining"] = "0"
                    return response
                headers = {
                    "X-HubSpot-RateLimit-Daily": str(daily_limit),
                    "X-HubSpot-RateLimit-Daily-Remaining": str(max(0, daily_limit - used)),
                    "X-HubSpot-RateLimit-Interval-Milliseconds": str(int(limiter.interval * 1000)),
                    "X-HubSpot-RateLimit-Max": str(limiter.limit),
                    "X-HubSpot-RateLimit-Remaining": str(remaining),
                }
            body = await request.body()
            try:
                response = await run_in_threadpool(handler, request, body)
            except ApiError as exc:
                response = error_response(exc.status, exc.message, exc.category, **exc.extra)
            response.headers.update(headers)
            return response

        return route

    routes = [
        Route("/oauth/v1/token", oauth_token, methods=["POST"]),
        Route("/crm/{version}/objects/{object_type}", endpoint(api.list_objects), methods=["GET"]),
        Route(
            "/crm/{version}/objects/{object_type}/search",
            endpoint(api.search, search=True),
            methods=["POST"],
        ),
        Route("/crm/{version}/properties/{object_type}", endpoint(api.properties), methods=["GET"]),
        Route(
            "/crm/{version}/associations/{from_type}/{to_type}/batch/read",
            endpoint(api.batch_read_associations),
            methods=["POST"],
        ),
        Route(
            "/crm/{version}/pipelines/{object_type}", endpoint(api.pipelines_route), methods=["GET"]
        ),
        Route("/crm/{version}/owners/", endpoint(api.owners), methods=["GET"]),
        Route("/crm/{version}/owners", endpoint(api.owners), methods=["GET"]),
        Route("/email/public/v1/events", endpoint(api.email_events), methods=["GET"]),
        Route("/marketing/v3/forms/", endpoint(api.forms), methods=["GET"]),
        Route("/marketing/v3/forms", endpoint(api.forms), methods=["GET"]),
        Route(
            "/form-integrations/v1/submissions/forms/{guid}",
            endpoint(api.form_submissions),
            methods=["GET"],
        ),
        Route("/events/v3/events", endpoint(api.web_events), methods=["GET"]),
        Route("/events/v3/events/", endpoint(api.web_events), methods=["GET"]),
        *write_routes(api, endpoint),
        *admin_routes(state, plan),
    ]
    app = Starlette(routes=routes)
    app.router.redirect_slashes = False
    return fault_middleware(plan, lambda status, message: error_body(status, message, limiter))(app)


def start(world_dir: Path, moment: datetime | None = None, **kw: Any) -> ServerHandle:
    """Serve the HubSpot API over `world_dir` on 127.0.0.1; the handle carries `.state`, `.plan`.

    Keyword arguments go to `create_app` (token, rate_limit, search_rate_limit, daily_limit).
    """
    state = WorldState(Path(world_dir), moment)
    plan = FaultPlan()
    handle = serve(create_app(state, plan, **kw))
    handle.state = state
    handle.plan = plan
    return handle
