"""The HTTP client every source shares: retries with backoff, rate limits, token refresh.

A source builds one `ApiClient` per run. It retries what is worth retrying (connection errors,
timeouts, 429, 5xx, a truncated or undecodable body) with exponential backoff and full jitter,
honouring `Retry-After`; it keeps under the API's request rate with a client-side rolling window
so that a long run uses the allowance without drawing 429s; it refreshes an expired token once;
and it turns what cannot be retried into one `SourceError` that names the source. Secrets never
reach a message: query strings are redacted.
"""

from __future__ import annotations

import email.utils
import json
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
"""Statuses retried by default."""


class SourceError(RuntimeError):
    """A failure that retrying will not fix; its message starts with the source's name."""


class AuthenticationError(SourceError):
    """Credentials were refused (and a refresh, where possible, did not help)."""


class QuotaExceededError(SourceError):
    """The API's quota for the period is used up; a later run will succeed."""


def redact(url: str) -> str:
    """Return `url` without its query string (which may carry tokens)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}" + ("?…" if parts.query else "")


class RateLimiter:
    """A client-side rolling window: at most `limit` requests in any `interval` seconds.

    `acquire` blocks until a request may go. The window is kept slightly wider than the
    server's (`margin` seconds) so that clock and network jitter do not draw a 429.
    """

    def __init__(self, limit: int, interval: float, margin: float = 0.05) -> None:
        if limit < 1 or interval <= 0:
            raise ValueError("a rate limit needs limit >= 1 and interval > 0")
        self.limit = limit
        self.interval = interval + margin
        self._times: deque[float] = deque()
        self._hold_until = 0.0
        self._lock = threading.Lock()

    def acquire(self) -> None:
        """Wait for a free slot in the window (and past any hold after a 429), then take it."""
        while True:
            with self._lock:
                now = time.monotonic()
                if now >= self._hold_until:
                    while self._times and now - self._times[0] >= self.interval:
                        self._times.popleft()
                    if len(self._times) < self.limit:
                        self._times.append(now)
                        return
                    wait = self.interval - (now - self._times[0])
                else:
                    wait = self._hold_until - now
            time.sleep(max(wait, 0.001))

    def penalise(self, seconds: float) -> None:
        """After a 429, hold every caller back for `seconds`."""
        with self._lock:
            self._hold_until = max(self._hold_until, time.monotonic() + seconds)


@dataclass
class Reply:
    """A successful answer: status, headers, raw body, and the decoded JSON when asked for."""

    status: int
    headers: requests.structures.CaseInsensitiveDict
    content: bytes
    data: Any = None


Verdict = str | None
"""What `classify` says about an answer: "retry", "refresh", "quota", "fatal" or None (fine)."""


class ApiClient:
    """A retrying, rate-limited, thread-safe JSON/CSV client for one source's API.

    `authorize(session_headers)` puts credentials on a request's headers (and may fetch a
    token); `refresh()` gets a new token after a 401 and returns False when it cannot.
    `classify(status, headers, body)` lets a source teach the client its API's quirks (such as
    Meta's throttling errors sent as 400s); its answer overrides the status-based default.
    """

    def __init__(
        self,
        source: str,
        base_url: str,
        *,
        authorize: Callable[[dict[str, str]], None] | None = None,
        refresh: Callable[[], bool] | None = None,
        classify: Callable[[int, Any, bytes], Verdict] | None = None,
        limiter: RateLimiter | None = None,
        max_attempts: int = 6,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        timeout: float = 60.0,
        pool_size: int = 16,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.source = source
        self.base_url = base_url.rstrip("/") + "/"
        self.authorize = authorize
        self.refresh = refresh
        self.classify = classify
        self.limiter = limiter
        self.max_attempts = max(1, max_attempts)
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.timeout = timeout
        self.session = requests.Session()
        adapter = HTTPAdapter(pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers.update({"User-Agent": "gtm-warehouse", **(headers or {})})

    def url(self, path: str) -> str:
        """Resolve `path` (absolute, or relative to the base URL) to a full URL."""
        return urljoin(self.base_url, path)

    def _delay(self, attempt: int, headers: Any = None) -> float:
        retry_after = (headers or {}).get("Retry-After")
        if retry_after:
            try:
                return min(float(retry_after), self.max_backoff * 4)
            except ValueError:
                parsed = email.utils.parsedate_to_datetime(retry_after)
                return max(0.0, parsed.timestamp() - time.time())
        return random.uniform(0, min(self.max_backoff, self.backoff * 2**attempt))

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | list[tuple[str, Any]] | None = None,
        json_body: Any = None,
        data: Any = None,
        headers: dict[str, str] | None = None,
        expect_json: bool = True,
        ok_statuses: frozenset[int] = frozenset({200, 201, 202, 204, 207}),
    ) -> Reply:
        """Send one request, retrying until it succeeds or cannot; return the `Reply`."""
        url = self.url(path)
        refreshed = False
        last_problem = ""
        for attempt in range(self.max_attempts):
            if self.limiter is not None:
                self.limiter.acquire()
            request_headers = dict(headers or {})
            if self.authorize is not None:
                self.authorize(request_headers)
            try:
                response = self.session.request(
                    method,
                    url,
                    params=params,
                    json=json_body,
                    data=data,
                    headers=request_headers,
                    timeout=self.timeout,
                )
                content = response.content
            except (
                requests.ConnectionError,
                requests.Timeout,
                requests.exceptions.ChunkedEncodingError,
                requests.exceptions.ContentDecodingError,
            ) as exc:
                last_problem = f"{type(exc).__name__} on {method} {redact(url)}"
                time.sleep(self._delay(attempt))
                continue
            status = response.status_code
            verdict = self.classify(status, response.headers, content) if self.classify else None
            if verdict is None:
                if status == 401:
                    verdict = "refresh"
                elif status in RETRY_STATUSES:
                    verdict = "retry"
                elif status not in ok_statuses:
                    verdict = "fatal"
            if verdict == "refresh":
                if not refreshed and self.refresh is not None and self.refresh():
                    refreshed = True
                    continue
                raise AuthenticationError(
                    f"{self.source}: the API refused the credentials (HTTP {status} on "
                    f"{method} {redact(url)}): {_summary(content)}"
                )
            if verdict == "quota":
                raise QuotaExceededError(
                    f"{self.source}: the API quota is exhausted (HTTP {status} on {method} "
                    f"{redact(url)}): {_summary(content)}; run again when it resets"
                )
            if verdict == "fatal":
                raise SourceError(
                    f"{self.source}: HTTP {status} on {method} {redact(url)}: {_summary(content)}"
                )
            if verdict == "retry":
                last_problem = f"HTTP {status} on {method} {redact(url)}"
                delay = self._delay(attempt, response.headers)
                if status == 429 and self.limiter is not None:
                    self.limiter.penalise(delay)
                time.sleep(delay)
                continue
            reply = Reply(status, response.headers, content)
            if expect_json and content:
                try:
                    reply.data = json.loads(content)
                except ValueError:
                    # A body cut short in transit; the same request again gets it whole.
                    last_problem = f"an incomplete JSON body from {method} {redact(url)}"
                    time.sleep(self._delay(attempt))
                    continue
            return reply
        raise SourceError(
            f"{self.source}: gave up after {self.max_attempts} attempts: {last_problem}"
        )

    def get(self, path: str, **kw: Any) -> Reply:
        """GET `path`; see `request`."""
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> Reply:
        """POST `path`; see `request`."""
        return self.request("POST", path, **kw)

    def close(self) -> None:
        """Close the connection pool."""
        self.session.close()


def _summary(content: bytes, limit: int = 300) -> str:
    text = content.decode("utf-8", "replace").strip()
    return text if len(text) <= limit else text[:limit] + "…"
