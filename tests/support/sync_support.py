"""Helpers for the sync tests: local CRM servers, endpoints, a warehouse copy, CRM-side values."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from gtm.sync.core import Endpoints
from gtm.sync.spec import SyncSettings
from gtm_demo.settings import demo_settings, start_server

SYNC_TABLES = {
    "hubspot_contacts": "hubspot/contacts",
    "salesforce_leads": "salesforce/Lead",
    "salesforce_contacts": "salesforce/Contact",
}
"""Field syncs -> the served world table their writes land in."""


class Crm:
    """A local HubSpot and Salesforce over one world, with what was written to them."""

    def __init__(self, world: Path) -> None:
        self.world = world
        self.hubspot = start_server("hubspot", world)
        self.salesforce = start_server("salesforce", world)
        self.salesforce.state.writes.create_warehouse_fields()

    def endpoints(self) -> Endpoints:
        """Endpoints pointing the syncs at these servers."""
        return Endpoints(
            {
                "hubspot": demo_settings("hubspot", self.hubspot.url, self.world),
                "salesforce": demo_settings("salesforce", self.salesforce.url, self.world),
            }
        )

    def store(self, destination: str) -> Any:
        """The server's write store (request log, overlay, lists, injected rejections)."""
        return getattr(self, destination).state.writes

    def writes(self) -> int:
        """Requests made to the write endpoints of both servers so far."""
        return len(self.store("hubspot").log) + len(self.store("salesforce").log)

    def written(self, sync: str) -> dict[str, dict[str, Any]]:
        """Record id -> the values written (system timestamps left out) for a field sync."""
        table = SYNC_TABLES[sync]
        destination = table.split("/")[0]
        values = self.store(destination).overlay.writes(table).values
        skip = {"lastmodifieddate", "LastModifiedDate", "SystemModstamp"}
        return {
            k: {f: v for f, v in fields.items() if f not in skip} for k, fields in values.items()
        }

    def stop(self) -> None:
        """Stop both servers."""
        self.hubspot.stop()
        self.salesforce.stop()


def copy_warehouse(source: Path, target_dir: Path, name: str) -> Path:
    """Copy a built warehouse file (its sync state starts empty) and return the copy's path."""
    target_dir.mkdir(parents=True, exist_ok=True)
    path = target_dir / f"{name}.duckdb"
    shutil.copyfile(source, path)
    return path


def settings(**overrides: Any) -> SyncSettings:
    """Sync settings for tests (defaults unless overridden)."""
    return SyncSettings(**overrides)
