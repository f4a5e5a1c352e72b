"""What the Graph API answers when a call fails: error bodies, throttling, fbtrace ids."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.responses import JSONResponse, Response

from gtm_demo.servers.facebook_ads.settings import INVALID_TOKEN, RATE_LIMIT_DOCS


class GraphError(Exception):
    """An error the Graph API answers with its `{"error": {...}}` body."""

    def __init__(
        self,
        message: str,
        code: int,
        subcode: int | None = None,
        status: int = 400,
        transient: bool = False,
        kind: str = "OAuthException",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.subcode = subcode
        self.status = status
        self.transient = transient
        self.kind = kind


def fbtrace_id() -> str:
    """Make a trace id like the ones Meta puts in error bodies and `x-fb-trace-id`."""
    return base64.urlsafe_b64encode(secrets.token_bytes(9)).decode()


def graph_error(exc: GraphError) -> JSONResponse:
    """Render `exc` as the Graph API does."""
    body: dict[str, Any] = {"message": exc.message, "type": exc.kind, "code": exc.code}
    if exc.subcode is not None:
        body["error_subcode"] = exc.subcode
    body["is_transient"] = exc.transient
    trace = fbtrace_id()
    body["fbtrace_id"] = trace
    response = JSONResponse({"error": body}, status_code=exc.status)
    response.headers["x-fb-trace-id"] = trace
    if exc.code == 190:
        response.headers["WWW-Authenticate"] = (
            f'OAuth "Facebook Platform" "invalid_token" "{exc.message}"'
        )
    return response


def _invalid_token() -> GraphError:
    return GraphError(INVALID_TOKEN, 190)


def _expired_token() -> GraphError:
    now = datetime.now(UTC)
    return GraphError(
        "Error validating access token: Session has expired on "
        f"{(now - timedelta(hours=1)).strftime('%A, %d-%b-%y %H:%M:%S UTC')}. "
        f"The current time is {now.strftime('%A, %d-%b-%y %H:%M:%S UTC')}.",
        190,
        463,
    )


def throttle_error(code: int) -> GraphError:
    """Return the throttling error for `code` (17: user request limit; 80000: insights)."""
    if code == 17:
        return GraphError("(#17) User request limit reached", 17, 2446079, transient=True)
    if code == 613:
        return GraphError(
            "(#613) There have been too many calls from this ad-account. Please wait a bit "
            "and try again.",
            613,
            1487742,
            transient=True,
        )
    return GraphError(
        f"(#{code}) There have been too many calls from this ad-account. Wait a bit and try "
        f"again. For more info, please refer to {RATE_LIMIT_DOCS}.",
        code,
        2446079,
        transient=True,
    )


def _param_error(message: str, subcode: int | None = None) -> GraphError:
    return GraphError(f"(#100) {message}", 100, subcode)


def _no_object(node: str) -> GraphError:
    return _param_error(
        f"Unsupported get request. Object with ID '{node}' does not exist, cannot be loaded due "
        "to missing permissions, or does not support this operation. Please read the Graph API "
        "documentation at https://developers.facebook.com/docs/graph-api",
        33,
    )


_STATUS_ERRORS: dict[int, Callable[[], GraphError]] = {
    400: lambda: _param_error("Invalid parameter"),
    401: _invalid_token,
    403: lambda: GraphError("(#200) Permissions error", 200, status=403),
    404: lambda: GraphError(
        "(#803) Some of the aliases you requested do not exist", 803, status=404
    ),
    429: lambda: throttle_error(17),
    500: lambda: GraphError("An unknown error occurred", 1, 99, status=500, transient=True),
}


def error_body(status: int, message: str) -> Response:
    """Render an injected `status` as the Graph API would answer it (for `fault_middleware`)."""
    if status in (502, 503, 504):
        exc = GraphError(
            "An unexpected error has occurred. Please retry your request later.",
            2,
            status=status,
            transient=True,
        )
    elif status in _STATUS_ERRORS:
        exc = _STATUS_ERRORS[status]()
        exc.status = status
    else:
        exc = GraphError("An unknown error occurred", 1, status=status, transient=status >= 500)
    return graph_error(exc)
