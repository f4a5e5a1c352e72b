"""Registry of source systems: what `gtm demo` serves locally and what `gtm ingest` loads.

Each source sub-package (added in later work) registers one `SourceSpec` here. The registry is empty
until then; the CLI says so plainly instead of pretending.
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


SOURCES: dict[str, SourceSpec] = {}
"""Registered sources by name. Empty until the first source lands."""


def available_sources() -> list[str]:
    """Return the names of the registered sources, sorted."""
    return sorted(SOURCES)


def servable_sources() -> list[SourceSpec]:
    """Return the registered sources that have a local API server, sorted by name."""
    return [SOURCES[name] for name in available_sources() if SOURCES[name].serve is not None]
