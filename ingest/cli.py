"""The `gtm` command line: generate the demo world, serve it, ingest, build the warehouse."""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from ingest import project, sources

app = typer.Typer(
    name="gtm",
    help="gtm-warehouse: demo world, ingestion with dlt, and the dbt build into DuckDB.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

REPORT_FILE = Path("target") / "gtm_run_report.json"


class GtmError(Exception):
    """An expected failure whose message is meant for the user as it stands."""


@dataclass
class _State:
    debug: bool = False


_STATE = _State()


# --------------------------------------------------------------------------------------------------
# helpers


def _error_line(message: str) -> None:
    """Print one red `error: ...` line on stderr."""
    err_console.print(Text(f"error: {message}", style="bold red"))


def _one_line(exc: BaseException) -> str:
    """Turn an exception into one readable line."""
    message = " ".join(str(exc).split())
    plain = (GtmError, ValueError, RuntimeError, OSError, ImportError)
    if not message:
        return type(exc).__name__
    if isinstance(exc, plain):
        return message
    return f"{type(exc).__name__}: {message}"


def _root() -> Path:
    return project.find_repo_root()


def _display(path: Path) -> str:
    """Show a path relative to cwd when it is below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _generator() -> Any:
    """Import the demo-world generator lazily (it is heavy and optional for most commands)."""
    from ingest.demo import generator

    return generator


# --------------------------------------------------------------------------------------------------
# demo world


@dataclass
class WorldResult:
    """The demo world used by a command and whether this command generated it."""

    path: Path
    manifest: dict[str, Any]
    generated: bool
    seconds: float


def _generate_with_progress(
    out: Path, scale: float, seed: int, as_of: date | None
) -> tuple[dict[str, Any], float]:
    """Run the generator with a rich progress display; return its manifest and the seconds taken."""
    generator = _generator()
    kwargs: dict[str, Any] = {"scale": scale, "seed": seed}
    if as_of is not None:
        kwargs["as_of"] = as_of
    columns = (
        TextColumn("[bold]{task.description:<24}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    started = time.perf_counter()
    with Progress(*columns, console=console) as progress:
        tasks: dict[str, TaskID] = {}

        def on_progress(stage: str, done: int, total: int) -> None:
            task = tasks.get(stage)
            if task is None:
                task = progress.add_task(stage, total=total or None)
                tasks[stage] = task
            progress.update(task, completed=done, total=total or None)

        manifest = generator.generate(out, progress=on_progress, **kwargs)
    return manifest, time.perf_counter() - started


def _world_matches(meta: dict[str, Any] | None, scale: float, seed: int, as_of: date) -> bool:
    if not meta:
        return False
    try:
        return (
            meta.get("generator_version") == _generator().GENERATOR_VERSION
            and int(meta["seed"]) == seed
            and float(meta["scale"]) == float(scale)
            and str(meta["as_of"]) == as_of.isoformat()
        )
    except (KeyError, TypeError, ValueError):
        return False


def _ensure_world(world_dir: Path, scale: float | None, seed: int | None) -> WorldResult:
    """Reuse the world in `world_dir` if seed, scale and as-of date match; else generate it."""
    generator = _generator()
    scale = generator.DEFAULT_SCALE if scale is None else scale
    seed = generator.DEFAULT_SEED if seed is None else seed
    meta = generator.read_world_meta(world_dir)
    if _world_matches(meta, scale, seed, generator.DEFAULT_AS_OF):
        console.print(
            f"Using the demo world in {_display(world_dir)} (seed {seed}, scale {scale})."
        )
        return WorldResult(world_dir, meta or {}, generated=False, seconds=0.0)
    console.print(
        f"Generating the demo world in {_display(world_dir)} (seed {seed}, scale {scale})."
    )
    manifest, seconds = _generate_with_progress(world_dir, scale, seed, None)
    return WorldResult(world_dir, manifest, generated=True, seconds=seconds)


def _world_table(manifest: dict[str, Any]) -> Table:
    table = Table(title="Demo world", show_footer=True)
    tables: dict[str, int] = manifest.get("tables", {})
    total = manifest.get("rows_total", sum(tables.values()))
    table.add_column("table", footer="total")
    table.add_column("rows", justify="right", footer=f"{total:,}")
    for name in sorted(tables):
        table.add_row(name, f"{tables[name]:,}")
    return table


# --------------------------------------------------------------------------------------------------
# ingest


def _resolve_sources(names: Sequence[str]) -> list[sources.SourceSpec]:
    """Return the requested sources (every one that can load when `names` is empty)."""
    registered = sources.available_sources()
    unknown = [name for name in names if name not in sources.SOURCES]
    if unknown:
        listed = ", ".join(registered) if registered else "none are registered yet"
        _error_line(f"unknown source {', '.join(map(repr, unknown))}; registered sources: {listed}")
        raise typer.Exit(code=2)
    loadable = [name for name in registered if sources.SOURCES[name].load is not None]
    chosen = list(dict.fromkeys(names)) if names else loadable
    return [sources.SOURCES[name] for name in chosen]


def _run_ingest(root: Path, names: Sequence[str], world_dir: Path | None) -> dict[str, Any]:
    """Call `load` for each requested source; return per-source results for the report."""
    specs = _resolve_sources(names)
    if not specs:
        console.print("No sources are configured yet: nothing to ingest.")
        return {}
    context = sources.IngestContext(
        root=root, duckdb_path=project.prepare_environment(root), world_dir=world_dir
    )
    results: dict[str, Any] = {}
    for spec in specs:
        if spec.load is None:
            raise GtmError(f"source {spec.name!r} has no loader yet")
        console.print(f"Loading {spec.name} ...")
        started = time.perf_counter()
        loaded = spec.load(context)
        seconds = time.perf_counter() - started
        results[spec.name] = {
            "seconds": round(seconds, 3),
            "tables": getattr(loaded, "rows", loaded if isinstance(loaded, dict) else None),
        }
        console.print(f"Loaded {spec.name} in {seconds:.1f} s.")
    return results


# --------------------------------------------------------------------------------------------------
# dbt


@dataclass
class DbtSummary:
    """What one `dbt build` did, counted by resource type and status."""

    success: bool
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    seconds: float = 0.0

    def describe(self) -> str:
        """One line per resource type, e.g. `model: 3 success`."""
        if not self.counts:
            return "dbt found nothing to build."
        lines = []
        for resource, statuses in sorted(self.counts.items()):
            parts = ", ".join(f"{n} {status}" for status, n in sorted(statuses.items()))
            lines.append(f"{resource}: {parts}")
        return "\n".join(lines)

    def failures(self) -> int:
        """How many nodes errored or failed."""
        bad = {"error", "fail", "runtime error"}
        return sum(n for s in self.counts.values() for status, n in s.items() if status in bad)


def _summarise(result: Any) -> dict[str, dict[str, int]]:
    counter: Counter[tuple[str, str]] = Counter()
    for node_result in getattr(result, "results", None) or []:
        node = getattr(node_result, "node", None)
        resource = str(getattr(getattr(node, "resource_type", None), "value", "other"))
        status = getattr(node_result.status, "value", str(node_result.status))
        counter[(resource, str(status))] += 1
    counts: dict[str, dict[str, int]] = {}
    for (resource, status), n in counter.items():
        counts.setdefault(resource, {})[status] = n
    return counts


def _release_duckdb() -> None:
    """Close the DuckDB handle dbt-duckdb keeps open in-process, so later steps can open the file.

    dbt-duckdb caches its connection environment on a class attribute beyond the end of a run; this
    uses that private attribute and does nothing if a future version moves it.
    """
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:
        return
    manager: Any = DuckDBConnectionManager
    with manager._LOCK:
        env = getattr(manager, "_ENV", None)
        if env is not None:
            env.close()
            manager._ENV = None


def run_dbt_build(root: Path, select: Sequence[str] = ()) -> DbtSummary:
    """Run `dbt build` in-process against the project at `root`; return what it did."""
    project.prepare_environment(root)
    from dbt.cli.main import dbtRunner

    args = ["build", "--project-dir", str(root), "--profiles-dir", str(root)]
    if select:
        args += ["--select", *select]
    started = time.perf_counter()
    try:
        outcome = dbtRunner().invoke(args)
    finally:
        _release_duckdb()
    seconds = time.perf_counter() - started
    if outcome.exception is not None:
        raise GtmError(f"dbt build could not run: {outcome.exception}")
    return DbtSummary(bool(outcome.success), _summarise(outcome.result), seconds)


# --------------------------------------------------------------------------------------------------
# commands


@app.callback()
def _main_options(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show full tracebacks instead of one error line.")
    ] = False,
) -> None:
    """gtm-warehouse: demo world, ingestion with dlt, and the dbt build into DuckDB."""
    _STATE.debug = debug


ScaleOption = Annotated[
    float | None,
    typer.Option("--scale", min=0.0, help="World size, 1.0 = full (default: the generator's)."),
]
SeedOption = Annotated[
    int | None, typer.Option("--seed", help="Random seed (default: the generator's).")
]


@app.command("generate")
def generate_command(
    scale: ScaleOption = None,
    seed: SeedOption = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Folder to write the world into (default: .gtm/world)."),
    ] = None,
    as_of: Annotated[
        datetime | None,
        typer.Option("--as-of", formats=["%Y-%m-%d"], help="The world's 'today', YYYY-MM-DD."),
    ] = None,
) -> None:
    """Generate the synthetic demo world (CRM, marketing and ads data) into a folder."""
    generator = _generator()
    out = out if out is not None else _root() / project.DEFAULT_WORLD_DIR
    scale = generator.DEFAULT_SCALE if scale is None else scale
    seed = generator.DEFAULT_SEED if seed is None else seed
    manifest, seconds = _generate_with_progress(
        out, scale, seed, as_of.date() if as_of is not None else None
    )
    console.print(_world_table(manifest))
    total = manifest.get("rows_total", sum(manifest.get("tables", {}).values()))
    console.print(f"Wrote {total:,} rows to {_display(out)} in {seconds:.1f} s.")


@app.command("demo")
def demo_command(
    scale: ScaleOption = None,
    seed: SeedOption = None,
    world: Annotated[
        Path | None, typer.Option("--world", help="Demo world folder (default: .gtm/world).")
    ] = None,
) -> None:
    """Generate the demo world if needed, then serve it through the local API servers."""
    world_dir = world if world is not None else _root() / project.DEFAULT_WORLD_DIR
    result = _ensure_world(world_dir, scale, seed)
    if result.generated:
        console.print(_world_table(result.manifest))
    console.print(f"Demo world: {world_dir.resolve()}")
    servable = sources.servable_sources()
    if not servable:
        console.print(
            "No local API servers are implemented yet, so there is nothing to serve. "
            "The world's files are in the folder above."
        )
        return
    handles: list[tuple[str, Any]] = []
    try:
        for spec in servable:
            assert spec.serve is not None
            handle = spec.serve(world_dir)
            handles.append((spec.name, handle))
            console.print(f"{spec.name}: {getattr(handle, 'url', 'started')}")
        console.print("Serving; press Ctrl-C to stop.")
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        console.print("Stopping.")
    finally:
        for _name, handle in reversed(handles):
            stop: Callable[[], None] | None = getattr(handle, "stop", None)
            if stop is not None:
                stop()


@app.command("ingest")
def ingest_command(
    names: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[SOURCE]...", help="Sources to load (default: every loadable one)."
        ),
    ] = None,
    world: Annotated[
        Path | None,
        typer.Option("--world", help="Load from the local demo servers for this world folder."),
    ] = None,
) -> None:
    """Load source systems into DuckDB with dlt."""
    root = _root()
    _run_ingest(root, names or [], world)


@app.command("build")
def build_command(
    select: Annotated[
        list[str] | None,
        typer.Option("--select", "-s", help="dbt node selection; repeat for several."),
    ] = None,
) -> None:
    """Run `dbt build` (models, seeds and data tests) into the DuckDB warehouse."""
    root = _root()
    summary = run_dbt_build(root, select or [])
    console.print(summary.describe())
    if not summary.success:
        _error_line(f"dbt build failed: {summary.failures()} failing node(s), see the log above")
        raise typer.Exit(code=1)


@app.command("run")
def run_command(scale: ScaleOption = None, seed: SeedOption = None) -> None:
    """Generate the demo world if needed, ingest every source, build, and summarise."""
    root = _root()
    world_dir = root / project.DEFAULT_WORLD_DIR
    stages: list[dict[str, Any]] = []
    report: dict[str, Any] = {"started_at": datetime.now().astimezone().isoformat()}

    world = _ensure_world(world_dir, scale, seed)
    stages.append({"stage": "generate", "seconds": round(world.seconds, 3)})
    report["world"] = {
        "path": str(world_dir),
        "generated": world.generated,
        **{k: world.manifest.get(k) for k in ("seed", "scale", "as_of", "rows_total", "tables")},
    }

    started = time.perf_counter()
    report["ingest"] = _run_ingest(root, [], world_dir)
    stages.append({"stage": "ingest", "seconds": round(time.perf_counter() - started, 3)})

    summary = run_dbt_build(root)
    stages.append({"stage": "build", "seconds": round(summary.seconds, 3)})
    report["dbt"] = {"success": summary.success, "counts": summary.counts}
    report["stages"] = stages
    report["warehouse"] = str(project.duckdb_path(root))

    report_path = root / REPORT_FILE
    report_path.parent.mkdir(parents=True, exist_ok=True)
    report_path.write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")

    timing = Table(title="Stages")
    timing.add_column("stage")
    timing.add_column("seconds", justify="right")
    for stage in stages:
        timing.add_row(stage["stage"], f"{stage['seconds']:.1f}")
    console.print(_world_table(world.manifest))
    console.print(timing)
    console.print(summary.describe())
    console.print(f"Warehouse: {_display(Path(report['warehouse']))}")
    console.print(f"Report: {_display(report_path)}")
    if not summary.success:
        _error_line(f"dbt build failed: {summary.failures()} failing node(s), see the log above")
        raise typer.Exit(code=1)


# --------------------------------------------------------------------------------------------------
# entry point


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of `gtm`: one red error line on failure, the traceback with `--debug`."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        app(args=args, prog_name="gtm")
    except SystemExit:
        raise
    except KeyboardInterrupt:
        _error_line("interrupted")
        sys.exit(130)
    except Exception as exc:
        if _STATE.debug or "--debug" in args:
            raise
        _error_line(f"{_one_line(exc)} (rerun with --debug for the traceback)")
        sys.exit(1)


if __name__ == "__main__":
    main()
