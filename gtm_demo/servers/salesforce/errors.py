"""What Salesforce answers when a call fails, and how it formats values."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from starlette.responses import JSONResponse, Response

from gtm_demo.servers.salesforce.settings import _STATUS_CODES


class SalesforceError(Exception):
    """An API error, answered as Salesforce's JSON error array."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def sf_error(status: int, code: str, message: str) -> JSONResponse:
    """Return Salesforce's error body: `[{"message": ..., "errorCode": ...}]`."""
    return JSONResponse([{"message": message, "errorCode": code}], status_code=status)


def error_body(status: int, message: str) -> Response:
    """Render an injected status as Salesforce would answer it (for `fault_middleware`)."""
    return sf_error(status, _STATUS_CODES.get(status, "UNKNOWN_EXCEPTION"), message)


def _session_error() -> JSONResponse:
    return sf_error(401, "INVALID_SESSION_ID", "Session expired or invalid")


def format_datetime(moment: datetime) -> str:
    """Format `moment` the way the REST API does: `2024-01-15T10:20:30.000+0000`."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def parse_datetime(text: str) -> datetime:
    """Parse an ISO datetime as Salesforce accepts it (`Z`, `+0000` or `+00:00`; UTC if naive)."""
    value = datetime.fromisoformat(text.strip().replace(" ", "+"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _label(name: str) -> str:
    if name.endswith("__c"):
        return name[:-3].replace("_", " ")
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name)
