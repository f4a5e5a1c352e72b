"""Registry of source systems: what `gtm demo` serves locally and what `gtm ingest` loads.

Each source system registers one `SourceSpec` here: its local demo API server and its dlt loader,
each None until it exists; the CLI says plainly what is missing instead of pretending.
"""

from __future__ import annotations

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


def _serve_hubspot(world_dir: Path) -> Any:
    from ingest.demo.servers import hubspot

    return hubspot.start(world_dir)


def _serve_salesforce(world_dir: Path) -> Any:
    from ingest.demo.servers import salesforce

    return salesforce.start(world_dir)


@contextmanager
def _demo_server(serve: Callable[[Path], Any], context: IngestContext) -> Iterator[str | None]:
    """Serve the demo world while a loader runs; yield its URL (None when using the real API)."""
    if context.world_dir is None:
        yield None
        return
    handle = serve(context.world_dir)
    try:
        yield handle.url
    finally:
        handle.stop()


def _load_salesforce(context: IngestContext) -> Any:
    from ingest.pipelines import run_source
    from ingest.salesforce import salesforce_source

    with _demo_server(_serve_salesforce, context) as url:
        demo = {"base_url": url, "client_id": "demo-client", "client_secret": "demo-secret"}
        return run_source("salesforce", salesforce_source(**(demo if url else {})), context)


def _load_hubspot(context: IngestContext) -> Any:
    from ingest.hubspot import hubspot_source
    from ingest.pipelines import run_source

    with _demo_server(_serve_hubspot, context) as url:
        demo = {"base_url": url, "access_token": "demo-hubspot-token"}
        return run_source("hubspot", hubspot_source(**(demo if url else {})), context)


SOURCES: dict[str, SourceSpec] = {
    "hubspot": SourceSpec("hubspot", serve=_serve_hubspot, load=_load_hubspot),
    "salesforce": SourceSpec("salesforce", serve=_serve_salesforce, load=_load_salesforce),
}
"""Registered sources by name."""


def available_sources() -> list[str]:
    """Return the names of the registered sources, sorted."""
    return sorted(SOURCES)


def servable_sources() -> list[SourceSpec]:
    """Return the registered sources that have a local API server, sorted by name."""
    return [SOURCES[name] for name in available_sources() if SOURCES[name].serve is not None]
