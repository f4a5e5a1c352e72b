"""Running a dlt source into the warehouse: one pipeline per source, `raw_<source>` datasets.

`run_source` is what every source's loader calls. It keeps dlt's working folder beside the
warehouse file (so two warehouses never share cursors), forgets local state when the warehouse
lost its copy, finishes a load package that a killed run left behind before extracting anew, and
loads Parquet (Arrow tables pass straight through), never dlt's row-by-row default.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dlt
from dlt.pipeline.exceptions import PipelineStepFailed

# dlt imports pandas lazily, the first time it checks an item's type. Sources extract in several
# threads (and several sources at once), and a module imported by two threads at the same moment
# can be handed half-initialised to one of them ("partially initialized module 'pandas'"). When
# pandas is installed, import it once here, before any thread starts.
with contextlib.suppress(ImportError):
    import pandas  # noqa: F401

from ingest._transport import SourceError


@dataclass(frozen=True)
class IngestContext:
    """Where a source's run loads: the repo root and the DuckDB warehouse file."""

    root: Path
    """The repo root (dlt's project folder)."""
    duckdb_path: Path
    """The DuckDB warehouse file that dlt loads into and dbt builds from."""
    destination: Any = None
    """Another dlt destination to load into instead of the DuckDB file (PostgreSQL, or Parquet
    files for Spark), chosen by the warehouse target; None for the DuckDB file."""
    destination_key: str = ""
    """A short name for `destination` (the dbt target), which keeps its dlt working folder apart."""


@dataclass
class LoadResult:
    """What one source's run did."""

    source: str
    rows: dict[str, int] = field(default_factory=dict)
    """Rows extracted per table in this run (dlt's normalize counts, internal tables left out)."""
    finished_pending: bool = False
    """Whether a load package left by an interrupted run was completed first."""


def pipelines_dir(duckdb_path: Path, destination_key: str = "") -> Path:
    """Dlt's working folder for the pipelines that load `duckdb_path` (or another destination)."""
    name = f"{duckdb_path.stem}-{destination_key}" if destination_key else duckdb_path.stem
    return duckdb_path.parent / ".gtm" / "pipelines" / name


def dataset_name(source: str) -> str:
    """Return the raw schema a source lands in."""
    return f"raw_{source}"


def _warehouse_has_state(pipeline: dlt.Pipeline) -> bool:
    """Whether the warehouse holds this pipeline's state table.

    Asked through dlt's own connection: sources load concurrently in one process, and DuckDB
    refuses a read-only connection to a file this process already has open for writing.
    """
    destination = pipeline.destination_client()
    if pipeline.destination.destination_name == "filesystem":
        layout = Path(destination.config.bucket_url.removeprefix("file://"))
        return (layout / pipeline.dataset_name / "_dlt_pipeline_state").is_dir()
    database = getattr(destination.config.credentials, "database", None)
    if pipeline.destination.destination_name == "duckdb" and not Path(database).exists():
        return False
    with pipeline.sql_client() as client:
        found = client.execute_sql(
            "select count(*) from information_schema.tables "
            "where table_schema = %s and table_name = '_dlt_pipeline_state'",
            pipeline.dataset_name,
        )
    return bool(found and found[0][0])


def make_pipeline(
    name: str, duckdb_path: Path, destination: Any = None, destination_key: str = ""
) -> dlt.Pipeline:
    """Return the dlt pipeline that loads source `name` into `raw_<name>` of `duckdb_path`.

    `destination` (with its `destination_key`) loads into another warehouse instead.

    If the warehouse has no state for this source (a new or deleted file), the local working
    folder is wiped first, so stale cursors can never skip data the warehouse does not hold.
    """
    pipeline = dlt.pipeline(
        pipeline_name=f"gtm_{name}",
        pipelines_dir=str(pipelines_dir(duckdb_path, destination_key)),
        destination=destination or dlt.destinations.duckdb(str(duckdb_path)),
        dataset_name=dataset_name(name),
    )
    if not _warehouse_has_state(pipeline):
        pipeline = pipeline.drop()
    return pipeline


def _row_counts(pipeline: dlt.Pipeline) -> dict[str, int]:
    trace = pipeline.last_trace
    info = trace.last_normalize_info if trace else None
    counts = dict(info.row_counts) if info else {}
    return {table: rows for table, rows in counts.items() if not table.startswith("_dlt")}


def _file_format(pipeline: dlt.Pipeline) -> str:
    """Parquet, except on PostgreSQL: there dlt's row inserts, which also write nested columns.

    dlt loads Parquet into PostgreSQL only through an ADBC driver and otherwise falls back to
    CSV, which cannot hold the nested columns some sources keep (HubSpot's e-mail events).
    """
    return "insert_values" if pipeline.destination.destination_name == "postgres" else "parquet"


def run_source(name: str, source: Any, context: IngestContext) -> LoadResult:
    """Extract, normalize and load `source` into the warehouse; return what was loaded.

    A failure inside the source surfaces as its own `SourceError` (one line naming the source)
    rather than dlt's step wrapper; nothing from the failed run is loaded.
    """
    pipeline = make_pipeline(
        name, context.duckdb_path, context.destination, context.destination_key
    )
    result = LoadResult(name)
    try:
        if pipeline.has_pending_data:
            # A killed run left extracted or normalized packages: finish them first.
            pipeline.normalize()
            pipeline.load()
            result.finished_pending = True
        pipeline.run(source, loader_file_format=_file_format(pipeline))
    except PipelineStepFailed as exc:
        cause = exc.__cause__ or exc.exception
        while cause is not None and not isinstance(cause, SourceError):
            cause = cause.__cause__ or cause.__context__
        if isinstance(cause, SourceError):
            raise type(cause)(str(cause)) from None
        raise
    result.rows = _row_counts(pipeline)
    return result
