"""The sources a run can load, and how: from the real APIs, or from the demo world's local servers.

Each system registers one `SourceSpec`: its dlt loader, and (through the optional demo package)
its local API server. The demo is imported only when a world is served, so the product runs
without the demo's web-server dependencies installed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest import SYSTEMS, source_factory


class DemoUnavailableError(RuntimeError):
    """The demo package's web-server dependencies are not installed."""


@dataclass(frozen=True)
class LoadContext:
    """What a source's `load` needs to know about this run.

    It carries the fields of `ingest.pipelines.IngestContext` (what `run_source` reads) without
    importing dlt, so that `gtm --help` does not pay for it.
    """

    root: Path
    """The repo root (dlt's project folder)."""
    duckdb_path: Path
    """The DuckDB warehouse file that dlt loads into and dbt builds from."""
    world_dir: Path | None = None
    """The demo world folder when loading from the local demo servers, else None (real APIs)."""
    destination: Any = None
    """dlt's destination for another warehouse engine (gtm.engines), None for the DuckDB file."""
    destination_key: str = ""
    """The dbt target that `destination` belongs to (keeps its dlt working folder apart)."""


@dataclass(frozen=True)
class SourceSpec:
    """One source system.

    `serve(world_dir: Path)` starts the local API server for the demo world and returns a handle
    with a `url` attribute and a `stop()` method. `load(context: LoadContext)` runs the dlt
    pipeline and may return a mapping of table name to rows loaded. Either may be None.
    """

    name: str
    serve: Callable[..., Any] | None = None
    load: Callable[..., Any] | None = None


def demo() -> Any:
    """Return the demo package's settings module, or say in one line how to install it."""
    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401

        from gtm_demo import settings
    except ImportError as exc:
        raise DemoUnavailableError(
            f"the demo world needs the 'demo' extra ({exc.name} is missing): "
            "run `make env`, or `uv sync --extra demo`"
        ) from None
    return settings


@contextmanager
def _demo_server(system: str, context: LoadContext) -> Iterator[Any]:
    """Serve the demo world while a loader runs; yield the handle (None for the real API)."""
    if context.world_dir is None:
        yield None
        return
    handle = demo().start_server(system, context.world_dir)
    try:
        yield handle
    finally:
        handle.stop()


def _loader(system: str) -> Callable[[LoadContext], Any]:
    """`load(context)` for `system`: run its dlt source (against the demo server if any)."""

    def load(context: LoadContext) -> Any:
        from dlt.common.configuration.exceptions import ConfigFieldMissingException

        from ingest import SourceError
        from ingest.pipelines import IngestContext, run_source

        with _demo_server(system, context) as handle:
            try:
                if handle:
                    source = demo().demo_source(system, handle.url, context.world_dir)
                else:
                    source = source_factory(system)()
            except ConfigFieldMissingException as exc:
                missing = ", ".join(exc.fields)
                raise SourceError(
                    f"{system}: missing configuration: {missing}; set them in .dlt/secrets.toml "
                    f"(see .dlt/example.secrets.toml) or as SOURCES__{system.upper()}__<NAME> "
                    "environment variables, or leave out --live to load the demo world"
                ) from None
            ingest_context = IngestContext(
                context.root, context.duckdb_path, context.destination, context.destination_key
            )
            return run_source(system, source, ingest_context)

    return load


def _serve(system: str) -> Callable[[Path], Any]:
    return lambda world_dir: demo().start_server(system, world_dir)


SOURCES: dict[str, SourceSpec] = {
    system: SourceSpec(system, serve=_serve(system), load=_loader(system)) for system in SYSTEMS
}
"""Registered sources by name."""


def available_sources() -> list[str]:
    """Return the names of the registered sources, sorted."""
    return sorted(SOURCES)


def servable_sources() -> list[SourceSpec]:
    """Return the registered sources that have a local API server, sorted by name."""
    return [SOURCES[name] for name in available_sources() if SOURCES[name].serve is not None]
