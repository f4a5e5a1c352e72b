"""Versions, credentials, quotas and page sizes of the local Google Ads API."""

from __future__ import annotations

API_VERSION = "v26"
"""The latest version (released October 2026); the server answers the versions below too."""

API_VERSIONS = ("v23", "v24", "v25", "v26")
"""The versions Google serves as of the demo's year (each sunsets about a year after release:
v21 on 5 August 2026, v22 on 7 October 2026); any other is a 404."""


PAGE_SIZE = 10_000


DEFAULT_CLIENT_ID = "demo-google-ads.apps.googleusercontent.com"


DEFAULT_CLIENT_SECRET = "demo-google-ads-secret"


DEFAULT_REFRESH_TOKEN = "demo-google-ads-refresh-token"


DEFAULT_DEVELOPER_TOKEN = "demo-developer-token-0001"


TOKEN_LIFETIME = 3599


DAILY_OPERATIONS = 15_000  # Basic access


SCOPE = "https://www.googleapis.com/auth/adwords"


MAX_OPEN_SNAPSHOTS = 20


_TOP_MESSAGES = {
    400: "Request contains an invalid argument.",
    401: (
        "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
        "cookie or other valid authentication credential. See "
        "https://developers.google.com/identity/sign-in/web/devconsole-project."
    ),
    403: "The caller does not have permission",
    404: "Requested entity was not found.",
    429: "Resource has been exhausted (e.g. check quota).",
    500: "Internal error encountered.",
    501: "Operation is not implemented, or supported, or enabled.",
    502: "Bad Gateway",
    503: "The service is currently unavailable.",
    504: "Deadline expired before operation could complete.",
}


_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


# What an injected status carries inside its GoogleAdsFailure (None: a front-end error, no details).
_FAULT_ERRORS: dict[int, tuple[str, str, str] | None] = {
    400: ("requestError", "UNKNOWN", "The request was invalid."),
    401: ("authenticationError", "AUTHENTICATION_ERROR", "Authentication of the request failed."),
    403: (
        "authorizationError",
        "USER_PERMISSION_DENIED",
        "User doesn't have permission to access customer.",
    ),
    429: (
        "quotaError",
        "RESOURCE_TEMPORARILY_EXHAUSTED",
        "Too many requests. Retry in 1 seconds.",
    ),
    500: ("internalError", "INTERNAL_ERROR", "An internal error has occurred."),
}


_PERMISSION_MESSAGE = (
    "User doesn't have permission to access customer. Note: If you're accessing a client "
    "customer, the manager's customer id must be set in the 'login-customer-id' header. See "
    "https://developers.google.com/google-ads/api/docs/concepts/call-structure#cid"
)


_MISSING_CREDENTIAL = (
    "Request is missing required authentication credential. Expected OAuth 2 access token, "
    "login cookie or other valid authentication credential. See "
    "https://developers.google.com/identity/sign-in/web/devconsole-project."
)
