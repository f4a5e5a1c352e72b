"""Registry of source systems: what `gtm demo` serves locally and what `gtm ingest` loads.

Each source system registers one `SourceSpec` here: its local demo API server and its dlt loader,
each None until it exists; the CLI says plainly what is missing instead of pretending.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class IngestContext:
    """What a source's `load` needs to know about this run."""

    root: Path
    """The repo root."""
    duckdb_path: Path
    """The DuckDB warehouse file that dlt loads into and dbt builds from."""
    world_dir: Path | None = None
    """The demo world folder when loading from the local demo servers, else None (real APIs)."""


@dataclass(frozen=True)
class SourceSpec:
    """One source system.

    `serve(world_dir: Path)` starts the local API server for the demo world and returns a handle
    with a `url` attribute and a `stop()` method. `load(context: IngestContext)` runs the dlt
    pipeline and may return a mapping of table name to rows loaded. Either may be None while not
    implemented.
    """

    name: str
    serve: Callable[..., Any] | None = None
    load: Callable[..., Any] | None = None


def _server(system: str) -> Any:
    """Return the local demo server module of `system`."""
    return importlib.import_module(f"ingest.demo.servers.{system}")


@contextmanager
def _demo_server(system: str, context: IngestContext) -> Iterator[Any]:
    """Serve the demo world while a loader runs; yield the handle (None for the real API)."""
    if context.world_dir is None:
        yield None
        return
    handle = _server(system).start(context.world_dir)
    try:
        yield handle
    finally:
        handle.stop()


def _world_end(context: IngestContext) -> str:
    """Return the demo world's as-of date, the ads sources' "today" in the demo."""
    from ingest.demo.generator import read_world_meta

    meta = read_world_meta(context.world_dir) if context.world_dir else None
    return str(meta["as_of"]) if meta else ""


def _demo_settings(system: str, url: str, context: IngestContext) -> dict[str, Any]:
    """Return the settings that point a source at its demo server instead of the real API."""
    server = _server(system)
    if system == "salesforce":
        return {"base_url": url, "client_id": "demo-client", "client_secret": "demo-secret"}
    if system == "hubspot":
        return {"base_url": url, "access_token": server.DEFAULT_TOKEN}
    end = _world_end(context)
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


def demo_source(system: str, url: str, context: IngestContext, **overrides: Any) -> Any:
    """Return `system`'s dlt source pointed at its demo server at `url`."""
    make_source = getattr(importlib.import_module(f"ingest.{system}"), f"{system}_source")
    return make_source(**(_demo_settings(system, url, context) | overrides))


def _loader(system: str) -> Callable[[IngestContext], Any]:
    """`load(context)` for `system`: run its dlt source (against the demo server if any)."""

    def load(context: IngestContext) -> Any:
        from dlt.common.configuration.exceptions import ConfigFieldMissingException

        from ingest.http import SourceError
        from ingest.pipelines import run_source

        make_source = getattr(importlib.import_module(f"ingest.{system}"), f"{system}_source")
        with _demo_server(system, context) as handle:
            try:
                source = demo_source(system, handle.url, context) if handle else make_source()
            except ConfigFieldMissingException as exc:
                missing = ", ".join(exc.fields)
                raise SourceError(
                    f"{system}: missing configuration: {missing}; set them in .dlt/secrets.toml "
                    f"(see .dlt/example.secrets.toml) or as SOURCES__{system.upper()}__<NAME> "
                    "environment variables, or load the demo world with --world"
                ) from None
            return run_source(system, source, context)

    return load


def _serve(system: str) -> Callable[[Path], Any]:
    return lambda world_dir: _server(system).start(world_dir)


SYSTEMS = ("facebook_ads", "google_ads", "hubspot", "linkedin_ads", "salesforce")

SOURCES: dict[str, SourceSpec] = {
    system: SourceSpec(
        system,
        serve=_serve(system),
        load=_loader(system) if importlib.util.find_spec(f"ingest.{system}") else None,
    )
    for system in SYSTEMS
}
"""Registered sources by name."""


def available_sources() -> list[str]:
    """Return the names of the registered sources, sorted."""
    return sorted(SOURCES)


def servable_sources() -> list[SourceSpec]:
    """Return the registered sources that have a local API server, sorted by name."""
    return [SOURCES[name] for name in available_sources() if SOURCES[name].serve is not None]
