"""One bearer-token helper for every source: a fixed token, or OAuth 2.0 with renewal.

`OAuth` is a requests `AuthBase` that the `Transport` puts on each request. With a grant form
(the refresh-token or client-credentials grant) it fetches a token on first use, replaces it a
minute before the `expires_in` the endpoint named, and renews it after a 401; threads that saw
the same 401 share one renewal. A fixed token cannot be renewed: a 401 is final, unless the API
is known to refuse a good token now and then (`retry_refused`). The token endpoint's refusal
ends the run as an `AuthenticationError` in OAuth's own words.
"""

from __future__ import annotations

import json
import math
import threading
import time
from typing import Any

from requests import PreparedRequest
from requests.auth import AuthBase

from ingest._transport import AuthenticationError, Transport, Verdict, summary

EXPIRY_MARGIN = 60.0
"""Seconds before its expiry at which an access token is replaced rather than used."""


def grant(
    client_id: str | None, client_secret: str | None, refresh_token: str | None
) -> dict[str, str] | None:
    """Return the token request's form: refresh-token grant, else client credentials."""
    if not (client_id and client_secret):
        return None
    form = {"client_id": client_id, "client_secret": client_secret}
    if refresh_token:
        return form | {"grant_type": "refresh_token", "refresh_token": refresh_token}
    return form | {"grant_type": "client_credentials"}


class OAuth(AuthBase):
    """A bearer token on every request; fetched and renewed from `token_url` when `form` is set."""

    def __init__(
        self,
        source: str,
        token_url: str | None = None,
        form: dict[str, str] | None = None,
        *,
        token: str | None = None,
        retry_refused: bool = False,
    ) -> None:
        if form is None and not token:
            raise AuthenticationError(f"{source}: no credentials configured")
        # A token given with a grant is used until it is refused, then renewed by the grant.
        self.source = source
        self.form = form
        self.token = token or None
        self.retry_refused = retry_refused
        self.answer: dict[str, Any] = {}
        """The token endpoint's last answer (Salesforce's names the instance URL)."""
        self._expires_at = math.inf
        self._lock = threading.Lock()
        self._http = (
            Transport(source, token_url, classify=self._refused) if form and token_url else None
        )

    def fetch(self) -> dict[str, Any]:
        """Get a new access token now; return the token endpoint's answer."""
        with self._lock:
            return self._fetch()

    def _fetch(self) -> dict[str, Any]:
        if self._http is None:
            raise AuthenticationError(f"{self.source}: no token endpoint to renew the token at")
        answer = self._http.post("", data=self.form).json() or {}
        token = answer.get("access_token")
        if not token:
            raise AuthenticationError(f"{self.source}: the token endpoint answered no access_token")
        self.token, self.answer = token, answer
        lifetime = answer.get("expires_in")
        self._expires_at = (
            time.monotonic() + float(lifetime) - EXPIRY_MARGIN if lifetime else math.inf
        )
        return answer

    def __call__(self, request: PreparedRequest) -> PreparedRequest:
        """Put the bearer token on `request` (fetching or replacing it first when due)."""
        if self.form is not None and (self.token is None or time.monotonic() > self._expires_at):
            with self._lock:
                if self.token is None or time.monotonic() > self._expires_at:
                    self._fetch()
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request

    def refresh(self, request: PreparedRequest) -> bool:
        """After a 401: renew the token (unless another thread already did) and re-sign."""
        if self.form is None:
            return self.retry_refused
        with self._lock:
            if request.headers.get("Authorization") == f"Bearer {self.token}":
                self._fetch()
        self(request)
        return True

    def _refused(self, status: int, headers: Any, body: bytes) -> Verdict:
        """End the run, in OAuth's words, when the token endpoint refuses the client or grant."""
        if status in (400, 401, 403):
            try:
                data = json.loads(body)
            except ValueError:
                data = None
            error = data.get("error") if isinstance(data, dict) else None
            if isinstance(error, str):
                described = data.get("error_description")
                words = error + (f": {described}" if described else "")
            else:
                words = summary(body)
            raise AuthenticationError(
                f"{self.source}: the OAuth token endpoint refused the credentials "
                f"(HTTP {status}): {words}"
            )
        return None
