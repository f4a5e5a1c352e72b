"""Errors, value formats, cursors and request parameters of the HubSpot API."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from gtm_demo.servers.hubspot.settings import EPOCH


class ApiError(Exception):
    """An error HubSpot answers with its JSON error body."""

    def __init__(self, status: int, message: str, category: str = "VALIDATION_ERROR", **extra):
        super().__init__(message)
        self.status = status
        self.message = message
        self.category = category
        self.extra = extra


def iso(value: datetime) -> str:
    """Render a moment as HubSpot does: ISO 8601 in UTC with milliseconds and `Z`."""
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def epoch_ms(value: datetime) -> int:
    """Milliseconds since the epoch."""
    return (value - EPOCH) // timedelta(milliseconds=1)


def property_value(value: Any) -> str | None:
    """Render a property value as HubSpot sends it: always a string (or null)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def parse_moment(value: Any) -> datetime:
    """Parse a filter or query moment: epoch milliseconds (number or digits) or ISO 8601."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return EPOCH + timedelta(milliseconds=int(value))
    text = str(value).strip()
    if text.lstrip("-").isdigit():
        return EPOCH + timedelta(milliseconds=int(text))
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ApiError(400, f"Invalid date value: {text}") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _correlation() -> str:
    return str(uuid.uuid4())


def error_response(status: int, message: str, category: str, **extra: Any) -> JSONResponse:
    """HubSpot's standard error body."""
    body = {"status": "error", "message": message, "correlationId": _correlation()}
    body.update(extra)
    body["category"] = category
    return JSONResponse(body, status_code=status)


def rate_limit_body(policy: str = "TEN_SECONDLY_ROLLING") -> dict[str, str]:
    """HubSpot's 429 body for a rate-limit policy."""
    return {
        "status": "error",
        "message": f"You have reached your {policy.lower()} limit.",
        "errorType": "RATE_LIMIT",
        "correlationId": _correlation(),
        "policyName": policy,
        "requestId": _correlation(),
    }


_STATUS_CATEGORIES = {
    400: "VALIDATION_ERROR",
    403: "MISSING_SCOPES",
    404: "OBJECT_NOT_FOUND",
    409: "CONFLICT",
}


def _encode_cursor(values: list) -> str:
    """Make an opaque token of key values (moments as epoch milliseconds)."""
    plain = [epoch_ms(v) if isinstance(v, datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain).encode()).decode().rstrip("=")


def _decode_cursor(text: str, size: int, times: tuple[int, ...] = ()) -> list:
    """Read a token of `size` key values back; positions in `times` are moments."""
    try:
        values = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        if not isinstance(values, list) or len(values) != size:
            raise ValueError("wrong size")
        for i in times:
            values[i] = EPOCH + timedelta(milliseconds=int(values[i]))
    except (ValueError, TypeError) as exc:
        raise ApiError(400, f"Invalid after/offset token: {text}") from exc
    return values


def _int_param(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ApiError(400, f"Invalid value for {name}: {raw}") from exc


def _bool_param(request: Request, name: str) -> bool:
    return (request.query_params.get(name) or "false").lower() == "true"


def _csv_params(request: Request, name: str) -> list[str]:
    values: list[str] = []
    for raw in request.query_params.getlist(name):
        values.extend(part.strip() for part in raw.split(",") if part.strip())
    return values
