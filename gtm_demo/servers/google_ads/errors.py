"""What the Google Ads API answers when a call fails: GoogleAdsFailure bodies, gRPC status codes."""

from __future__ import annotations

import secrets
from typing import Any

from starlette.responses import JSONResponse, Response

from gtm_demo.servers.google_ads.settings import (
    _FAULT_ERRORS,
    _STATUS_NAMES,
    _TOP_MESSAGES,
    API_VERSION,
)


class GoogleAdsError(Exception):
    """An API error answered as Google's error body with one GoogleAdsFailure error.

    `group` is the member of `errorCode` (`queryError`, `authenticationError`, ...); a `group` of
    None makes a front-end error without GoogleAdsFailure details.
    """

    def __init__(
        self,
        status: int,
        group: str | None,
        code: str,
        message: str,
        trigger: str | None = None,
        details: dict[str, Any] | None = None,
        top_message: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.group = group
        self.code = code
        self.message = message
        self.trigger = trigger
        self.details = details
        self.top_message = top_message


def request_id() -> str:
    """Return a new request id, shaped like Google's (22 URL-safe characters)."""
    return secrets.token_urlsafe(16)[:22]


def failure_body(exc: GoogleAdsError, version: str, rid: str) -> dict[str, Any]:
    """Google's JSON error body for `exc`."""
    body: dict[str, Any] = {
        "code": exc.status,
        "message": exc.top_message or _TOP_MESSAGES.get(exc.status, exc.message),
        "status": _STATUS_NAMES.get(exc.status, "UNKNOWN"),
    }
    if exc.group is not None:
        error: dict[str, Any] = {"errorCode": {exc.group: exc.code}, "message": exc.message}
        if exc.trigger is not None:
            error["trigger"] = {"stringValue": exc.trigger}
        if exc.details is not None:
            error["details"] = exc.details
        body["details"] = [
            {
                "@type": f"type.googleapis.com/google.ads.googleads.{version}.errors."
                "GoogleAdsFailure",
                "errors": [error],
                "requestId": rid,
            }
        ]
    return {"error": body}


def error_response(exc: GoogleAdsError, version: str = API_VERSION) -> JSONResponse:
    """Render `exc` as Google does, with a `request-id` header."""
    rid = request_id()
    return JSONResponse(
        failure_body(exc, version, rid), status_code=exc.status, headers={"request-id": rid}
    )


def error_body(status: int, message: str, version: str = API_VERSION) -> Response:
    """Render an injected `status` in Google's error format (for `fault_middleware`)."""
    spec = _FAULT_ERRORS.get(status)
    if spec is None:
        return error_response(GoogleAdsError(status, None, "", message), version)
    group, code, text = spec
    details = None
    if status == 429:
        details = {
            "quotaErrorDetails": {
                "rateScope": "ACCOUNT",
                "rateName": "Request rate per account",
                "retryDelay": "1s",
            }
        }
    return error_response(GoogleAdsError(status, group, code, text, details=details), version)


def _query_error(code: str, message: str, trigger: str | None = None) -> GoogleAdsError:
    return GoogleAdsError(400, "queryError", code, message, trigger)


def _request_error(code: str, message: str) -> GoogleAdsError:
    return GoogleAdsError(400, "requestError", code, message)
