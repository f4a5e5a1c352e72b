"""What points a dlt source at its local demo server: the one place the demo meets the sources.

The dependency runs one way: the demo passes settings (base URLs, credentials, the world's end
date) into the sources' factories, and the sources never know the demo exists.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from gtm_demo.generator import read_world_meta
from ingest import source_factory


def server_module(system: str) -> Any:
    """Return the local demo server module of `system`."""
    return importlib.import_module(f"gtm_demo.servers.{system}")


def start_server(system: str, world_dir: Path, **options: Any) -> Any:
    """Serve `world_dir` as `system`'s API; the handle has `url` and `stop()`."""
    return server_module(system).start(world_dir, **options)


def _world_end(world_dir: Path | None) -> str:
    """Return the demo world's as-of date, the ads sources' "today" in the demo."""
    meta = read_world_meta(world_dir) if world_dir else None
    return str(meta["as_of"]) if meta else ""


def demo_settings(system: str, url: str, world_dir: Path | None) -> dict[str, Any]:
    """Return the settings that point `system`'s source at its demo server at `url`."""
    server = server_module(system)
    if system == "salesforce":
        return {"base_url": url, "client_id": "demo-client", "client_secret": "demo-secret"}
    if system == "hubspot":
        return {"base_url": url, "access_token": server.DEFAULT_TOKEN}
    end = _world_end(world_dir)
    if system == "google_ads":
        return {
            "base_url": url,
            "token_url": f"{url}/token",
            "client_id": server.DEFAULT_CLIENT_ID,
            "client_secret": server.DEFAULT_CLIENT_SECRET,
            "refresh_token": server.DEFAULT_REFRESH_TOKEN,
            "developer_token": server.DEFAULT_DEVELOPER_TOKEN,
            "end_date": end,
        }
    if system == "facebook_ads":
        return {
            "base_url": url,
            "access_token": server.DEFAULT_TOKEN,
            "end_date": end,
            "poll_interval": 0.05,
        }
    return {
        "base_url": url,
        "token_url": f"{url}/oauth/v2/accessToken",
        "client_id": server.DEFAULT_CLIENT_ID,
        "client_secret": server.DEFAULT_CLIENT_SECRET,
        "refresh_token": server.DEFAULT_REFRESH_TOKEN,
        "end_date": end,
    }


def demo_source(system: str, url: str, world_dir: Path | None, **overrides: Any) -> Any:
    """Return `system`'s dlt source pointed at its demo server at `url`."""
    return source_factory(system)(**(demo_settings(system, url, world_dir) | overrides))
