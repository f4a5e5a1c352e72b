"""HubSpot helpers: auth, error classes, and API pages as Arrow tables."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa

from ingest.extract import keyed
from ingest.http import ApiClient, AuthenticationError, SourceError, Verdict

NAME = "hubspot"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
TIMESTAMP = pa.timestamp("us", tz="UTC")
CRM_OBJECTS = {"contacts": "lastmodifieddate", "companies": "hs_lastmodifieddate"} | {
    "deals": "hs_lastmodifieddate"
}
"""The CRM objects read, with the property that holds each one's last-modified moment."""
ASSOCIATIONS = (("contacts", "companies"), ("deals", "contacts"), ("deals", "companies"))
"""The associations read, from one object type to another."""


class HubSpotAuth:
    """A private-app token, or OAuth with a refresh token (refreshed once on a 401)."""

    def __init__(
        self,
        base_url: str,
        access_token: str | None,
        client_id: str | None,
        client_secret: str | None,
        refresh_token: str | None,
    ) -> None:
        self.oauth = bool(client_id and client_secret and refresh_token)
        if not self.oauth and not access_token:
            raise AuthenticationError(
                f"{NAME}: no credentials: set access_token (a private app's token) or "
                "client_id, client_secret and refresh_token (OAuth)"
            )
        self.token = None if self.oauth else access_token
        self.form = {
            "grant_type": "refresh_token",
            "client_id": client_id or "",
            "client_secret": client_secret or "",
            "refresh_token": refresh_token or "",
        }
        self.generation = 0
        self._lock = threading.Lock()
        self._http = ApiClient(NAME, base_url, max_attempts=4)

    def _fetch(self, seen: int | None) -> bool:
        with self._lock:
            if seen is not None and seen != self.generation:
                return True
            try:
                reply = self._http.post("/oauth/v1/token", data=self.form)
            except SourceError as exc:
                raise AuthenticationError(
                    f"{NAME}: could not refresh the OAuth token: {str(exc).split(': ', 1)[-1]}"
                ) from None
            self.token = reply.data["access_token"]
            self.generation += 1
            return True

    def authorize(self, headers: dict[str, str]) -> None:
        """Put the bearer token on a request's headers."""
        if self.token is None:
            self._fetch(None)
        headers["Authorization"] = f"Bearer {self.token}"

    def refresh(self) -> bool:
        """After a 401: a new OAuth token; a private-app token cannot be refreshed."""
        return self.oauth and self._fetch(self.generation)


def classify(status: int, headers: Any, body: bytes) -> Verdict:
    """HubSpot's errors: the DAILY policy is a spent quota; other 429s wait and retry."""
    if status == 429:
        try:
            policy = json.loads(body).get("policyName")
        except (ValueError, AttributeError):
            policy = None
        return "quota" if policy == "DAILY" else "retry"
    return None


def ms(moment: datetime) -> int:
    """Milliseconds since the epoch."""
    return (moment - EPOCH) // timedelta(milliseconds=1)


def from_ms(value: int | str) -> datetime:
    """Return the moment `value` epoch milliseconds stand for."""
    return EPOCH + timedelta(milliseconds=int(value))


def _timestamps(values: Iterable[str | None]) -> pa.Array:
    return pa.array(list(values), pa.string()).cast(TIMESTAMP)


def crm_table(records: list[dict[str, Any]], properties: list[str]) -> pa.Table:
    """CRM records as a table: system fields typed, every property a text column as sent."""
    columns: dict[str, pa.Array] = {
        "id": pa.array([r["id"] for r in records], pa.string()),
        "created_at": _timestamps(r.get("createdAt") for r in records),
        "updated_at": _timestamps(r.get("updatedAt") for r in records),
        "archived": pa.array([bool(r.get("archived")) for r in records], pa.bool_()),
        "archived_at": _timestamps(r.get("archivedAt") for r in records),
    }
    for name in properties:
        if name in columns:
            continue
        columns[name] = pa.array([r.get("properties", {}).get(name) for r in records], pa.string())
    return keyed(pa.table(columns), "id")


def merged_away(table: pa.Table) -> pa.Table | None:
    """Rows that delete contacts merged into others (listed in survivors' merged ids)."""
    if "hs_merged_object_ids" not in table.column_names:
        return None
    gone, stamps = [], []
    for survivor, listed, updated in zip(
        table["id"].to_pylist(),
        table["hs_merged_object_ids"].to_pylist(),
        table["updated_at"].to_pylist(),
        strict=True,
    ):
        for merged in (listed or "").split(";"):
            if merged and merged != survivor:
                gone.append(merged)
                stamps.append(updated)
    if not gone:
        return None
    return keyed(
        pa.table(
            {
                "id": pa.array(gone, pa.string()),
                "updated_at": pa.array(stamps, TIMESTAMP),
                "merged_away": pa.array([True] * len(gone)),
            }
        ),
        "id",
    )
