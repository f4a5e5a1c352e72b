"""The Marketing API app: routes, rate limits, faults, start."""

from __future__ import annotations

import json
import math
import re
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gtm_demo.servers.facebook_ads.api import FacebookAdsApi
from gtm_demo.servers.facebook_ads.errors import (
    GraphError,
    _expired_token,
    _invalid_token,
    _param_error,
    error_body,
    fbtrace_id,
    graph_error,
    throttle_error,
)
from gtm_demo.servers.facebook_ads.settings import (
    ACCESS_TIER,
    API_VERSIONS,
    DEFAULT_REPORT_SCHEDULE,
    DEFAULT_TOKEN,
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


class _Limits:
    """Per-account rolling limits, one set for management calls and one for insights."""

    def __init__(self, rate_limit: tuple[int, float], insights_rate_limit: tuple[int, float]):
        self.specs = {"management": rate_limit, "insights": insights_rate_limit}
        self._limits: dict[tuple[str, str], RollingLimit] = {}
        self._lock = threading.Lock()

    def take(self, kind: str, key: str) -> tuple[bool, int, float, RollingLimit]:
        with self._lock:
            limiter = self._limits.get((kind, key))
            if limiter is None:
                limiter = self._limits[(kind, key)] = RollingLimit(*self.specs[kind])
        allowed, remaining, wait = limiter.take()
        return allowed, remaining, wait, limiter


def usage_headers(
    kind: str, account_id: str | None, limiter: RollingLimit, remaining: int, wait: float
) -> dict[str, str]:
    """Return the usage headers Meta sends, from a rolling limit's state (percent used)."""
    pct = 100 if wait > 0 else math.ceil(100 * (limiter.limit - remaining) / limiter.limit)
    if account_id is None:
        usage = {"call_count": pct, "total_cputime": pct // 2, "total_time": pct // 2}
        return {"X-App-Usage": json.dumps(usage)}
    regain = math.ceil(wait / 60) if wait > 0 else 0
    buc = {
        account_id: [
            {
                "type": "ads_insights" if kind == "insights" else "ads_management",
                "call_count": pct,
                "total_cputime": pct // 2,
                "total_time": pct // 2,
                "estimated_time_to_regain_access": regain,
                "ads_api_access_tier": ACCESS_TIER,
            }
        ]
    }
    headers = {
        "X-Business-Use-Case-Usage": json.dumps(buc),
        "X-Ad-Account-Usage": json.dumps(
            {
                "acc_id_util_pct": pct,
                "reset_time_duration": math.ceil(wait) if wait > 0 else 0,
                "ads_api_access_tier": ACCESS_TIER,
            }
        ),
    }
    if kind == "insights":
        headers["X-FB-Ads-Insights-Throttle"] = json.dumps(
            {"app_id_util_pct": pct, "acc_id_util_pct": pct, "ads_api_access_tier": ACCESS_TIER}
        )
    return headers


def _version_error(version: str, expected: str) -> GraphError:
    """Meta's answer to a version it does not serve: 2635 for a deprecated `vNN.N`, else 2500."""
    if re.fullmatch(r"v\d+\.\d+", version):
        return GraphError(
            f"(#2635) You are calling a deprecated version of the Ads API. Please update to the "
            f"latest version: {expected}.",
            2635,
        )
    return GraphError(f"Unknown path components: /{version}", 2500)


async def _params(request: Request) -> dict[str, str]:
    """Query parameters merged with a POST body (form-encoded, as the SDKs send, or JSON)."""
    params = dict(request.query_params)
    if request.method == "POST":
        body = await request.body()
        if body:
            if "json" in request.headers.get("content-type", ""):
                try:
                    loaded = json.loads(body)
                except ValueError as exc:
                    raise _param_error("The request body is not valid JSON") from exc
                if isinstance(loaded, dict):
                    for key, value in loaded.items():
                        params[key] = value if isinstance(value, str) else json.dumps(value)
            else:
                params.update(parse_qsl(body.decode(), keep_blank_values=True))
    return params


def _token(request: Request, params: dict[str, str]) -> str | None:
    token = params.pop("access_token", None)
    if token:
        return token
    header = request.headers.get("authorization", "")
    for scheme in ("Bearer ", "OAuth "):
        if header.startswith(scheme):
            return header[len(scheme) :].strip()
    return None


def create_app(
    state: WorldState,
    plan: FaultPlan,
    token: str = DEFAULT_TOKEN,
    version: str | Sequence[str] = API_VERSIONS,
    rate_limit: tuple[int, float] = (300, 60.0),
    insights_rate_limit: tuple[int, float] = (120, 60.0),
    report_schedule: Sequence[tuple[str, int]] = DEFAULT_REPORT_SCHEDULE,
    sync_max_days: int | None = 90,
) -> Callable:
    """Return the Marketing API ASGI app over `state`, with `plan`'s faults applied.

    `version` is the Graph API version (or versions) served, by default those Meta has not
    expired (`API_VERSIONS`); `rate_limit` / `insights_rate_limit` are the per-account rolling
    (calls, seconds) windows of management and insights calls; `report_schedule` is the
    (async_status, percent) each poll of a report run reports in turn (the last step repeats);
    `sync_max_days` is the longest time range the synchronous insights call answers (None: any).
    """
    served = {version} if isinstance(version, str) else set(version)
    latest = max(served, key=lambda v: tuple(int(n) for n in v[1:].split(".")))
    api = FacebookAdsApi(state, plan, report_schedule, sync_max_days)
    limits = _Limits(rate_limit, insights_rate_limit)

    def endpoint(handler: Callable[[Request, dict[str, str]], Response], kind: str) -> Callable:
        async def route(request: Request) -> Response:
            try:
                if request.path_params["version"] not in served:
                    raise _version_error(request.path_params["version"], latest)
                params = await _params(request)
                if _token(request, params) != token:
                    raise _invalid_token()
                if plan.take(request.url.path, {"expired_token"}) is not None:
                    raise _expired_token()
                node = request.path_params.get("node_id")
                account_id = request.path_params.get("account_id")
                if account_id is None and node is not None:
                    account_id = await run_in_threadpool(api.account_of, node)
                allowed, remaining, wait, limiter = limits.take(kind, account_id or "app")
                headers = usage_headers(kind, account_id, limiter, remaining, wait)
                fault = plan.take(request.url.path, {"throttle"})
                if fault is not None:
                    code = int(fault.options.get("code", 17))
                    headers = usage_headers(kind, account_id, limiter, 0, 60.0)
                    response = graph_error(throttle_error(code))
                elif not allowed:
                    code = 80000 if kind == "insights" and account_id else 17
                    response = graph_error(throttle_error(code))
                else:
                    response = await run_in_threadpool(handler, request, params)
                    response.headers["x-fb-trace-id"] = fbtrace_id()
                response.headers.update(headers)
                return response
            except GraphError as exc:
                return graph_error(exc)

        return route

    prefix = "/{version}"
    routes = [
        *admin_routes(state, plan),
        Route(f"{prefix}/me/adaccounts", endpoint(api.me_adaccounts, "management")),
        Route(
            f"{prefix}/act_{{account_id}}/insights",
            endpoint(api.insights, "insights"),
            methods=["GET", "POST"],
        ),
        Route(f"{prefix}/act_{{account_id}}/{{edge}}", endpoint(api.edge, "management")),
        Route(f"{prefix}/{{node_id}}/insights", endpoint(api.run_insights, "insights")),
        Route(f"{prefix}/{{node_id}}", endpoint(api.node, "management")),
    ]
    app = Starlette(routes=routes)
    app.router.redirect_slashes = False
    return fault_middleware(plan, error_body)(app)


def start(world_dir: Path, moment: datetime | None = None, **kw: Any) -> ServerHandle:
    """Serve the Marketing API over `world_dir` on 127.0.0.1; the handle carries `.state`, `.plan`.

    Keyword arguments go to `create_app` (token, version, rate_limit, insights_rate_limit,
    report_schedule, sync_max_days).
    """
    state = WorldState(Path(world_dir), moment)
    plan = FaultPlan()
    handle = serve(create_app(state, plan, **kw))
    handle.state = state
    handle.plan = plan
    return handle
