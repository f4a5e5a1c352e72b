"""Registry of source systems: what `gtm demo` serves locally and what `gtm ingest` loads.

Each source system registers one `SourceSpec` here: its local demo API server and its dlt loader,
each None until it exists; the CLI says plainly what is missing instead of pretending.
"""

from __future__ import annotations

from collections.abc import Callable
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


SOURCES: dict[str, SourceSpec] = {
    "hubspot": SourceSpec("hubspot", serve=_serve_hubspot),
    "salesforce": SourceSpec("salesforce", serve=_serve_salesforce),
}
"""Registered sources by name: local API servers so far; their dlt loaders come next."""


def available_sources() -> list[str]:
    """Return the names of the registered sources, sorted."""
    return sorted(SOURCES)


def servable_sources() -> list[SourceSpec]:
    """Return the registered sources that have a local API server, sorted by name."""
    return [SOURCES[name] for name in available_sources() if SOURCES[name].serve is not None]
