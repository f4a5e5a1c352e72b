"""The HTTP clients syncs write through: ingestion's transport, limiter and quota guards, reused.

`hubspot_client` and `salesforce_client` build an `ingest._transport.Transport` exactly as the
sources do (dlt's retrying session, the shared rolling-window `RateLimiter`, the vendor's
`classify`, OAuth renewal), and `Budget` reads the daily usage the APIs report on every answer
(`X-HubSpot-RateLimit-Daily(-Remaining)`, `Sforce-Limit-Info: api-usage=used/limit`) so a sync
stops cleanly before it eats the quota ingestion needs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from gtm.errors import GtmError


class BudgetExhausted(GtmError):
    """The sync reached its share of the API's daily quota; the next run resumes."""


@dataclass
class Budget:
    """Counts a destination's API calls and stops at a fraction of its daily allowance."""

    fraction: float
    calls: int = 0
    used: int | None = None
    limit: int | None = None

    def observe(self, response: Any) -> None:
        """Count one answered call and read the daily usage from its headers."""
        self.calls += 1
        headers = response.headers
        info = headers.get("Sforce-Limit-Info")
        if info:
            match = re.search(r"api-usage=(\d+)/(\d+)", info)
            if match:
                self.used, self.limit = int(match[1]), int(match[2])
        daily = headers.get("X-HubSpot-RateLimit-Daily")
        remaining = headers.get("X-HubSpot-RateLimit-Daily-Remaining")
        if daily and remaining:
            self.limit = int(daily)
            self.used = self.limit - int(remaining)

    def check(self, what: str) -> None:
        """Raise `BudgetExhausted` once the daily usage passed the sync's share."""
        if self.used is not None and self.limit and self.used >= self.fraction * self.limit:
            raise BudgetExhausted(
                f"{what}: stopped at {self.used}/{self.limit} daily API calls "
                f"(the sync's budget is {self.fraction:.0%}); the next run resumes"
            )


def hubspot_client(settings: dict[str, Any]) -> Any:
    """Return a HubSpot `Transport` from the source's settings (base_url, access_token or OAuth)."""
    from ingest._oauth import OAuth, grant
    from ingest._transport import RateLimiter, Transport
    from ingest.hubspot.helpers import classify
    from ingest.hubspot.settings import DEFAULT_BASE_URL, NAME, REQUESTS_PER_10S, TOKEN_PATH

    base_url = settings.get("base_url") or DEFAULT_BASE_URL
    refresh = settings.get("refresh_token")
    form = (
        grant(settings.get("client_id"), settings.get("client_secret"), refresh)
        if refresh
        else None
    )
    if form is None and not settings.get("access_token"):
        raise GtmError("hubspot: no credentials for syncs: set sources.hubspot.access_token")
    auth = OAuth(
        NAME,
        base_url.rstrip("/") + TOKEN_PATH,
        form,
        token=None if form else settings["access_token"],
    )
    limit = int(settings.get("requests_per_10s") or REQUESTS_PER_10S)
    return Transport(NAME, base_url, auth=auth, classify=classify, limiter=RateLimiter(limit, 10.0))


def salesforce_client(settings: dict[str, Any]) -> tuple[Any, str]:
    """Return a Salesforce `Transport` on the org's instance, and the API version."""
    from ingest._oauth import OAuth, grant
    from ingest._transport import Transport
    from ingest.salesforce.helpers import classify
    from ingest.salesforce.settings import DEFAULT_API_VERSION, NAME, TOKEN_PATH

    base_url = settings.get("base_url")
    if not base_url or not settings.get("client_id"):
        raise GtmError("salesforce: no credentials for syncs: set sources.salesforce.*")
    form = grant(
        settings["client_id"], settings.get("client_secret"), settings.get("refresh_token")
    )
    auth = OAuth(NAME, base_url.rstrip("/") + TOKEN_PATH, form)
    instance = auth.fetch().get("instance_url") or base_url
    version = settings.get("api_version") or DEFAULT_API_VERSION
    return Transport(NAME, instance, auth=auth, classify=classify), version


def live_settings(system: str) -> dict[str, Any]:
    """Return the source's settings from dlt's config and secrets (`sources.<system>.*`)."""
    import dlt

    keys = ("base_url", "access_token", "client_id", "client_secret", "refresh_token")
    found = {}
    for key in keys:
        value = dlt.secrets.get(f"sources.{system}.{key}") or dlt.config.get(
            f"sources.{system}.{key}"
        )
        if value:
            found[key] = value
    return found
