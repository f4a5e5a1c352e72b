"""What the LinkedIn API answers when a call fails: error bodies and throttling."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from starlette.responses import JSONResponse, Response

from gtm_demo.servers.linkedin_ads.settings import (
    _STATUS_ERRORS,
    EPOCH,
    PARAM_MESSAGE,
    THROTTLE_MESSAGE,
)


class LinkedInError(Exception):
    """An error LinkedIn answers with its JSON error body."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        service_code: int | None = None,
        field: str | None = None,
        description: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.service_code = service_code
        self.field = field
        self.description = description

    def response(self) -> JSONResponse:
        """Render the error as LinkedIn does."""
        if self.field is not None:
            return param_error_response(self.field, self.description or "")
        return error_response(self.status, self.code, self.message, self.service_code)


def error_response(
    status: int, code: str, message: str, service_code: int | None = None
) -> JSONResponse:
    """LinkedIn's error body: `status`, `serviceErrorCode` (where LinkedIn sets one), `code`."""
    body: dict[str, Any] = {"status": status}
    if service_code is not None:
        body["serviceErrorCode"] = service_code
    body["code"] = code
    body["message"] = message
    return JSONResponse(body, status_code=status)


def param_error_response(field: str, description: str) -> JSONResponse:
    """Rest.li's validation error for a query parameter, naming it in `errorDetails`."""
    body = {
        "errorDetailType": "com.linkedin.common.error.BadRequest",
        "status": 400,
        "code": "PARAM_INVALID",
        "message": PARAM_MESSAGE,
        "errorDetails": {
            "inputErrors": [
                {
                    "description": description,
                    "input": {"inputPath": {"fieldPath": field}},
                    "code": "PARAM_INVALID",
                }
            ]
        },
    }
    return JSONResponse(body, status_code=400)


def param_error(field: str, description: str) -> LinkedInError:
    """Return a 400 for query parameter `field`."""
    return LinkedInError(400, "PARAM_INVALID", PARAM_MESSAGE, field=field, description=description)


def throttle_response(scope: str = "APPLICATION MINUTE") -> JSONResponse:
    """LinkedIn's 429 body."""
    return error_response(
        429, "TOO_MANY_REQUESTS", THROTTLE_MESSAGE.format(scope=scope), _STATUS_ERRORS[429][1]
    )


def error_body(status: int, message: str) -> Response:
    """Render `status` in LinkedIn's error format (used for injected faults)."""
    if status == 429:
        return throttle_response()
    if status == 401:
        return error_response(401, "INVALID_ACCESS_TOKEN", "Invalid access token", 65600)
    code, service_code = _STATUS_ERRORS.get(status, ("INTERNAL_SERVER_ERROR", None))
    return error_response(status, code, message, service_code)


def epoch_ms(value: datetime) -> int:
    """Milliseconds since the epoch."""
    return (value - EPOCH) // timedelta(milliseconds=1)


def money(value: Decimal | None) -> str | None:
    """Render a money amount as LinkedIn does: a decimal string."""
    return None if value is None else format(value, "f")
