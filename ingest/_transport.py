"""What the sources add to dlt's HTTP client: a shared rate limit, vendor verdicts, redaction.

dlt does the rest. `Transport` is a `dlt.sources.helpers.rest_client.RESTClient` over
`dlt.sources.helpers.requests.Client` (a retrying session per thread: connection errors,
timeouts, `Retry-After`, exponential backoff), configured from dlt's `[runtime]` settings
(`request_timeout`, `request_max_attempts`, `request_backoff_factor`,
`request_max_retry_delay`). Around each attempt it adds what dlt lacks: a client-side rolling
window shared by every thread (`RateLimiter`), the vendor's reading of an answer (a `Verdict`:
retry, refresh the token, quota spent, or fatal), one retry with a renewed token after a 401,
a JSON body parsed once and retried when cut short, and one `SourceError` naming the source
with the URL's query string left out. A vendor may also read each answer's throttling signals
(a `Throttle`: how long every caller must wait, and how many calls its window has left), which
the shared limiter obeys.
"""

from __future__ import annotations

import email.utils
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache, partial
from typing import Any
from urllib.parse import urlsplit

from dlt.common.configuration import resolve_configuration
from dlt.common.configuration.specs import RuntimeConfiguration
from dlt.common.jsonpath import compile_path
from dlt.sources.helpers.requests import Client
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.paginators import BasePaginator
from requests import PreparedRequest, RequestException, Response
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase
from requests.exceptions import (
    ChunkedEncodingError,
    ConnectionError,
    ContentDecodingError,
    Timeout,
)

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
"""Statuses retried unless the vendor's verdict says otherwise."""
RETRY_EXCEPTIONS = (ConnectionError, Timeout, ChunkedEncodingError, ContentDecodingError)
"""Transport failures retried (dlt's defaults, and a body that fails to decompress)."""
OK_STATUSES = frozenset({200, 201, 202, 204, 207})


class SourceError(RuntimeError):
    """A failure that retrying will not fix; its message starts with the source's name."""


class AuthenticationError(SourceError):
    """Credentials were refused (and a refresh, where possible, did not help)."""


class QuotaExceededError(SourceError):
    """The API's quota for the period is used up; a later run will succeed."""


Verdict = str | None
"""What a vendor's `classify(status, headers, body)` says: "retry", "refresh", "quota", "fatal"
or None (the status decides). It may also raise a `SourceError` in the vendor's own words."""


@dataclass(frozen=True)
class Throttle:
    """What a vendor's answer says about its rate limit (see `Transport`'s `throttle`).

    `hold`: seconds every caller of the limiter must wait from now (the window a 429 names, or
    a quota error's retry delay); `remaining`: calls the server's window still allows, with
    `maximum` calls per `window` seconds, so the limiter can slow down before a 429.
    """

    hold: float = 0.0
    remaining: int | None = None
    maximum: int | None = None
    window: float | None = None


def redact(url: str) -> str:
    """Return `url` without its query string (which may carry tokens)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}" + ("?…" if parts.query else "")


def summary(content: bytes, limit: int = 300) -> str:
    """Return the start of a response body, for an error message."""
    text = content.decode("utf-8", "replace").strip()
    return text if len(text) <= limit else text[:limit] + "…"


def retry_after(headers: Any) -> float | None:
    """Seconds a `Retry-After` header asks to wait (None when there is none)."""
    value = (headers or {}).get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_tz(value)
        return max(0.0, email.utils.mktime_tz(parsed) - time.time()) if parsed else None


class RateLimiter:
    """A client-side rolling window: at most `limit` requests in any `interval` seconds.

    `acquire` blocks until a request may go. The window is kept slightly wider than the
    server's (`margin` seconds) so that clock and network jitter do not draw a 429.
    """

    def __init__(self, limit: int, interval: float, margin: float = 0.05) -> None:
        if limit < 1 or interval <= 0:
            raise ValueError("a rate limit needs limit >= 1 and interval > 0")
        self.limit = limit
        self.margin = margin
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
        """After a throttling answer, hold every caller back for `seconds`."""
        with self._lock:
            self._hold_until = max(self._hold_until, time.monotonic() + seconds)

    def observe(
        self, remaining: int, maximum: int | None = None, window: float | None = None
    ) -> None:
        """Follow the server's own count: at most `remaining` more calls in the window now.

        Another client of the same account spends the same limit: when the server says fewer
        calls are left than this window thinks, the gap is taken as calls made now. A server
        limit stricter than the configured one (`maximum` calls per `window` seconds, such as a
        Starter account's 100 when 190 was set) replaces it.
        """
        with self._lock:
            if maximum is not None and maximum >= 1:
                current = self.interval - self.margin
                seconds = current if window is None else window
                if maximum / seconds < self.limit / current:
                    # The margin keeps its share of the window.
                    self.margin = self.margin * seconds / current
                    self.limit, self.interval = maximum, seconds + self.margin
            now = time.monotonic()
            while self._times and now - self._times[0] >= self.interval:
                self._times.popleft()
            gap = self.limit - len(self._times) - max(0, remaining)
            self._times.extend([now] * max(0, gap))


class _LimitedAdapter(HTTPAdapter):
    """The connection pool, taking a slot of the rate limit before every attempt."""

    def __init__(self, limiter: RateLimiter | None, pool_size: int) -> None:
        super().__init__(pool_connections=pool_size, pool_maxsize=pool_size)
        self.limiter = limiter

    def send(self, request: PreparedRequest, *args: Any, **kwargs: Any) -> Response:
        """Wait for the rate limit, then send."""
        if self.limiter is not None:
            self.limiter.acquire()
        return super().send(request, *args, **kwargs)


class _ThreadSession:
    """Hands RESTClient the calling thread's dlt session, and names what makes it give up."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport.session(), name)

    def send(self, request: PreparedRequest, **kwargs: Any) -> Response:
        """Send with dlt's retries; raise a `SourceError` when they run out."""
        transport = self._transport
        where = f"{request.method} {redact(request.url or '')}"
        try:
            response = transport.session().send(request, **kwargs)
        except SourceError:
            raise
        except RETRY_EXCEPTIONS as exc:
            raise SourceError(
                f"{transport.source}: gave up after {transport.max_attempts} attempts: "
                f"{type(exc).__name__} on {where}"
            ) from None
        except RequestException as exc:
            raise SourceError(f"{transport.source}: {type(exc).__name__} on {where}") from None
        if getattr(response, "gtm_retry", False):
            problem = getattr(response, "gtm_problem", f"HTTP {response.status_code}")
            raise SourceError(
                f"{transport.source}: gave up after {transport.max_attempts} attempts: "
                f"{problem} on {where}"
            )
        return response


class Transport:
    """One source's HTTP client: dlt's `RESTClient` and retrying `Client`, plus our checks.

    `auth` is a requests `AuthBase`; one with a `refresh(request)` method (see
    `ingest._oauth.OAuth`) is asked to renew the token after a 401, once per request.
    `classify(status, headers, body)` lets a source teach the client its API's quirks (such as
    Meta's throttling errors sent as 400s); its verdict overrides the status-based default.
    `throttle(status, headers, body)` reads every answer's rate-limit signals (a `Throttle`):
    its `hold` replaces `Retry-After` when a retry is throttled, and its `remaining` paces the
    limiter before the server refuses a call.
    """

    def __init__(
        self,
        source: str,
        base_url: str,
        *,
        auth: AuthBase | None = None,
        classify: Callable[[int, Any, bytes], Verdict] | None = None,
        limiter: RateLimiter | None = None,
        headers: dict[str, str] | None = None,
        pool_size: int = 16,
        throttle: Callable[[int, Any, bytes], Throttle | None] | None = None,
    ) -> None:
        self.source = source
        self.classify = classify
        self.throttle = throttle
        self.limiter = limiter
        config = resolve_configuration(RuntimeConfiguration())
        self.max_attempts = max(1, int(config.request_max_attempts))
        self.backoff = float(config.request_backoff_factor)
        self.client = Client(
            request_timeout=config.request_timeout,
            request_max_attempts=self.max_attempts,
            request_backoff_factor=self.backoff,
            request_max_retry_delay=config.request_max_retry_delay,
            raise_for_status=False,
            status_codes=(),  # the verdict decides, through `retry_condition`
            exceptions=RETRY_EXCEPTIONS,
            retry_condition=lambda response, _: bool(getattr(response, "gtm_retry", False)),
            max_connections=pool_size,
        )
        self._adapter = _LimitedAdapter(limiter, pool_size)
        self.rest = RESTClient(
            base_url,
            headers={"User-Agent": "gtm-warehouse", **(headers or {})},
            auth=auth,
            session=_ThreadSession(self),  # type: ignore[arg-type]
            config=config,
        )

    def session(self) -> Any:
        """Return the calling thread's dlt session, with the rate-limited pool mounted."""
        session = self.client.session
        if session.adapters.get("https://") is not self._adapter:
            session.mount("https://", self._adapter)
            session.mount("http://", self._adapter)
        return session

    def request(
        self,
        method: str,
        path: str,
        *,
        expect_json: bool = True,
        ok_statuses: frozenset[int] = OK_STATUSES,
        **kwargs: Any,
    ) -> Response:
        """Send one request (path relative to the base URL, or a full URL) until it succeeds.

        `params`, `json`, `data` and `headers` are passed on. The answer's `json()` is the
        body parsed once, inside the retries (None for an empty body).
        """
        hook = partial(self._check, expect_json=expect_json, ok_statuses=ok_statuses)
        return self.rest.request(path, method=method, hooks={"response": [hook]}, **kwargs)

    def get(self, path: str, **kwargs: Any) -> Response:
        """GET `path`; see `request`."""
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Response:
        """POST `path`; see `request`."""
        return self.request("POST", path, **kwargs)

    def paginate(
        self, path: str, paginator: BasePaginator, data: str, **kwargs: Any
    ) -> Iterator[list[Any]]:
        """Yield the records at `data` (a JSON path) of every page `paginator` leads to."""
        hook = partial(self._check, expect_json=True, ok_statuses=OK_STATUSES)
        yield from self.rest.paginate(
            path,
            paginator=paginator,
            data_selector=_compiled(data),
            hooks={"response": [hook]},
            **kwargs,
        )

    def _check(
        self,
        response: Response,
        *args: Any,
        expect_json: bool,
        ok_statuses: frozenset[int],
        **kwargs: Any,
    ) -> Response:
        """Read one attempt's answer: mark it for a retry, renew the token, or raise."""
        status = response.status_code
        content = response.content
        verdict = self.classify(status, response.headers, content) if self.classify else None
        signals = self.throttle(status, response.headers, content) if self.throttle else None
        if signals is not None and self.limiter is not None:
            if signals.hold > 0:
                self.limiter.penalise(signals.hold)
            if signals.remaining is not None:
                self.limiter.observe(signals.remaining, signals.maximum, signals.window)
        if verdict is None:
            if status == 401:
                verdict = "refresh"
            elif status in RETRY_STATUSES:
                verdict = "retry"
            elif status not in ok_statuses:
                verdict = "fatal"
        request = response.request
        where = f"{request.method} {redact(request.url or '')}"
        if verdict == "refresh":
            refresh = getattr(self.rest.auth, "refresh", None)
            if not getattr(request, "gtm_refreshed", False) and refresh and refresh(request):
                request.gtm_refreshed = True  # type: ignore[attr-defined]
                return _retry(response, f"HTTP {status}")
            raise AuthenticationError(
                f"{self.source}: the API refused the credentials (HTTP {status} on {where}): "
                f"{summary(content)}"
            )
        if verdict == "quota":
            raise QuotaExceededError(
                f"{self.source}: the API quota is exhausted (HTTP {status} on {where}): "
                f"{summary(content)}; run again when it resets"
            )
        if verdict == "fatal":
            raise SourceError(f"{self.source}: HTTP {status} on {where}: {summary(content)}")
        if verdict == "retry":
            if status == 429 and self.limiter is not None and not (signals and signals.hold):
                self.limiter.penalise(retry_after(response.headers) or self.backoff)
            return _retry(response, "an incomplete body" if status < 300 else f"HTTP {status}")
        if expect_json:
            try:
                parsed = json.loads(content) if content else None
            except ValueError:
                # A body cut short in transit; the same request again gets it whole.
                return _retry(response, "an incomplete JSON body")
            # Parsed once: the source and dlt's paginators read this, not the bytes again.
            response.json = lambda **_: parsed  # type: ignore[method-assign]
        return response


def _retry(response: Response, problem: str) -> Response:
    response.gtm_retry = True  # type: ignore[attr-defined]
    response.gtm_problem = problem  # type: ignore[attr-defined]
    return response


@cache
def _compiled(path: str) -> Any:
    """Return `path` compiled, once (dlt would parse the text again on every page)."""
    return compile_path(path)
