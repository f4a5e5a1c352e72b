"""The `gtm` command line: generate the demo world, serve it, ingest, build the warehouse."""

from __future__ import annotations

import json
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
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

from gtm import project, sources
from gtm.ops import alerts, publish, runs

app = typer.Typer(
    name="gtm",
    help="gtm-warehouse: demo world, ingestion with dlt, and the dbt build into DuckDB.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

REPORT_FILE = "gtm_run_report.json"
"""The latest run's report, written into dbt's target folder."""
LOCK_HELD_EXIT = 75
"""Exit status when another gtm process holds the warehouse (EX_TEMPFAIL: try again later)."""


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


def _target_dir(root: Path) -> Path:
    """Dbt's target folder: `$DBT_TARGET_PATH` (from cwd) or `<root>/target`."""
    configured = os.environ.get("DBT_TARGET_PATH")
    return Path(configured).expanduser().resolve() if configured else root / "target"


@contextmanager
def _warehouse_lock(root: Path, command: str) -> Iterator[Path]:
    """Hold the warehouse's run lock for a command; refuse at once if another process has it."""
    path = project.prepare_environment(root)
    lock = runs.RunLock(path, command)
    try:
        lock.acquire()
    except runs.LockHeld as exc:
        _error_line(str(exc))
        raise typer.Exit(code=LOCK_HELD_EXIT) from None
    try:
        yield path
    finally:
        lock.release()


def _generator() -> Any:
    """Import the demo-world generator lazily (it is heavy and optional for most commands)."""
    from gtm_demo import generator

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


def _load_one(spec: sources.SourceSpec, context: sources.LoadContext) -> dict[str, Any]:
    """Load one source; return its result for the report (an exception is kept, not raised)."""
    console.print(f"Loading {spec.name} ...")
    started_at = datetime.now(UTC).isoformat()
    started = time.perf_counter()
    try:
        if spec.load is None:
            raise GtmError(f"source {spec.name!r} has no loader yet")
        loaded = spec.load(context)
    except Exception as exc:
        seconds = time.perf_counter() - started
        console.print(f"Failed {spec.name} after {seconds:.1f} s.")
        return {
            "status": "failed",
            "started_at": started_at,
            "finished_at": datetime.now(UTC).isoformat(),
            "seconds": round(seconds, 3),
            "error": _one_line(exc),
            "exception": exc,
        }
    seconds = time.perf_counter() - started
    console.print(f"Loaded {spec.name} in {seconds:.1f} s.")
    rows = getattr(loaded, "rows", loaded if isinstance(loaded, dict) else None)
    return {
        "status": "loaded",
        "started_at": started_at,
        "finished_at": datetime.now(UTC).isoformat(),
        "seconds": round(seconds, 3),
        "tables": dict(rows or {}),
        "finished_pending": bool(getattr(loaded, "finished_pending", False)),
    }


def _run_ingest(
    root: Path, names: Sequence[str], world_dir: Path | None, *, keep_going: bool = False
) -> dict[str, Any]:
    """Load the requested sources concurrently; return per-source results for the report.

    Each source has its own dlt pipeline and raw schema, so they load side by side. With
    `keep_going` a failed source is reported (status `failed`, `error`) while the others finish;
    without it the first failure is raised once every source has stopped.
    """
    specs = _resolve_sources(names)
    if not specs:
        console.print("No sources are configured yet: nothing to ingest.")
        return {}
    context = sources.LoadContext(
        root=root, duckdb_path=project.prepare_environment(root), world_dir=world_dir
    )
    import duckdb

    # Each source's dlt pipeline opens and closes its own connections to the warehouse, and two
    # threads attaching the file at the same moment race in DuckDB ("Unique file handle
    # conflict"). A connection held open for the whole load keeps the file attached, so every
    # pipeline joins that one database instance.
    with (
        duckdb.connect(str(context.duckdb_path)),
        ThreadPoolExecutor(max_workers=len(specs), thread_name_prefix="ingest") as pool,
    ):
        futures = {spec.name: pool.submit(_load_one, spec, context) for spec in specs}
        results = {name: future.result() for name, future in futures.items()}
    for result in results.values():
        exc = result.pop("exception", None)
        if exc is not None and not keep_going:
            raise exc
    return results


# --------------------------------------------------------------------------------------------------
# dbt


_BAD = frozenset({"error", "fail", "runtime error"})
"""dbt statuses that count as failures."""


@dataclass
class DbtSummary:
    """What one `dbt build` did, counted by resource type and status."""

    success: bool
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    seconds: float = 0.0
    failed: list[dict[str, Any]] = field(default_factory=list)
    """The nodes that errored or failed: unique_id, status, message, failing rows."""

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
        return sum(n for s in self.counts.values() for status, n in s.items() if status in _BAD)


def _read_run_results(path: Path) -> tuple[dict[str, dict[str, int]], list[dict[str, Any]]]:
    """Return counts by resource type and status, and the failing nodes, from run_results.json."""
    counter: Counter[tuple[str, str]] = Counter()
    failed: list[dict[str, Any]] = []
    for result in json.loads(path.read_text(encoding="utf-8"))["results"]:
        resource = result["unique_id"].split(".", 1)[0]
        counter[(resource, result["status"])] += 1
        if result["status"] in _BAD:
            failed.append(
                {
                    "unique_id": result["unique_id"],
                    "status": result["status"],
                    "message": " ".join(str(result.get("message") or "").split()),
                    "failures": result.get("failures"),
                }
            )
    counts: dict[str, dict[str, int]] = {}
    for (resource, status), n in counter.items():
        counts.setdefault(resource, {})[status] = n
    return counts, failed


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
    """Run `dbt build` in-process against the project at `root`; return what it did.

    Counts and failing nodes come from the run_results.json this build writes.
    """
    project.prepare_environment(root)
    from dbt.cli.main import dbtRunner

    target = _target_dir(root)
    results_file = target / "run_results.json"
    results_file.unlink(missing_ok=True)
    args = ["build", "--project-dir", str(root), "--profiles-dir", str(root)]
    args += ["--target-path", str(target)]
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
    if results_file.exists():
        counts, failed = _read_run_results(results_file)
    else:
        counts, failed = _summarise(outcome.result), []
    return DbtSummary(bool(outcome.success), counts, seconds, failed)


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
    """Load source systems into DuckDB with dlt (several sources load concurrently)."""
    root = _root()
    with _warehouse_lock(root, "gtm ingest"):
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
    with _warehouse_lock(root, "gtm build"):
        summary = run_dbt_build(root, select or [])
    console.print(summary.describe())
    if not summary.success:
        _error_line(f"dbt build failed: {summary.failures()} failing node(s), see the log above")
        raise typer.Exit(code=1)


@app.command("run")
def run_command(
    scale: ScaleOption = None,
    seed: SeedOption = None,
    world: Annotated[
        Path | None, typer.Option("--world", help="Demo world folder (default: .gtm/world).")
    ] = None,
    live: Annotated[
        bool,
        typer.Option(
            "--live", help="Ingest from the real APIs with your credentials, not the demo."
        ),
    ] = False,
    due: Annotated[
        bool,
        typer.Option(
            "--due", help="Only ingest the sources whose cadence ([gtm.schedule]) is due."
        ),
    ] = False,
    select: Annotated[
        list[str] | None,
        typer.Option(
            "--select", "-s", help="dbt node selection for the build; repeat for several."
        ),
    ] = None,
) -> None:
    """Ingest every source, build, test, publish the marts for BI, report and alert.

    One run at a time per warehouse: a second one refuses at once (exit status 75). The report is
    printed, written to target/gtm_run_report.json and appended to ops.run_history.
    """
    if live and world is not None:
        raise GtmError("--live loads from the real APIs; it cannot be combined with --world")
    root = _root()
    with _warehouse_lock(root, "gtm run") as warehouse:
        report = _execute_run(
            root,
            warehouse,
            world_dir=None if live else (world or root / project.DEFAULT_WORLD_DIR),
            scale=scale,
            seed=seed,
            due=due,
            select=select or [],
        )
    if report["status"] == "failed":
        failing = len(report["dbt"].get("failures", [])) if report.get("dbt") else 0
        what = [f"{len(report['errors'])} error(s)"] if report["errors"] else []
        what += [f"{failing} failing dbt node(s)"] if failing else []
        what = what or ["the build did not succeed"]
        _error_line(f"run failed: {', '.join(what)}; see the report above")
        raise typer.Exit(code=1)


def _execute_run(
    root: Path,
    warehouse: Path,
    *,
    world_dir: Path | None,
    scale: float | None,
    seed: int | None,
    due: bool,
    select: Sequence[str],
) -> dict[str, Any]:
    """Do one run under the lock and return its report (also written, stored and alerted on)."""
    settings = runs.load_settings(sorted(sources.SOURCES))
    started_at = datetime.now(UTC)
    report: dict[str, Any] = {
        "run_id": f"{started_at:%Y%m%dT%H%M%SZ}-{os.getpid()}",
        "started_at": started_at.isoformat(),
        "mode": "live" if world_dir is None else "demo",
        "warehouse": str(warehouse),
        "stages": [],
        "ingest": {},
        "errors": [],
        "schema_changes": [],
        "anomalies": [],
    }
    stages: list[dict[str, Any]] = report["stages"]
    world: WorldResult | None = None
    if world_dir is not None:
        world = _ensure_world(world_dir, scale, seed)
        stages.append({"stage": "generate", "seconds": round(world.seconds, 3)})
        report["world"] = {
            "path": str(world_dir),
            "generated": world.generated,
            **{
                k: world.manifest.get(k) for k in ("seed", "scale", "as_of", "rows_total", "tables")
            },
        }

    history = runs.read_history(warehouse)
    names = [spec.name for spec in _resolve_sources(settings.sources)]
    if due:
        decisions = runs.due_sources(names, history, settings, started_at)
        for name, decision in decisions.items():
            if decision != "due":
                report["ingest"][name] = {"status": "skipped", "reason": decision}
        names = [name for name, decision in decisions.items() if decision == "due"]
        if not names:
            console.print("No source is due: nothing to ingest or build.")
            report |= {"status": "skipped", "finished_at": datetime.now(UTC).isoformat()}
            _print_run(report, world)
            return report

    started = time.perf_counter()
    before = runs.snapshot_raw(warehouse)
    loaded = _run_ingest(root, names, world_dir, keep_going=True)
    after = runs.snapshot_raw(warehouse)
    for name, result in loaded.items():
        if result["status"] == "loaded":
            result["tables"] = runs.table_rows(name, result["tables"], before, after)
        else:
            report["errors"].append({"stage": "ingest", "source": name, "message": result["error"]})
        report["ingest"][name] = result
    stages.append({"stage": "ingest", "seconds": round(time.perf_counter() - started, 3)})
    report["schema_changes"] = runs.schema_changes(before, after)
    report["anomalies"] = runs.anomalies(report["ingest"], history, settings)

    summary: DbtSummary | None = None
    try:
        summary = run_dbt_build(root, select)
    except GtmError as exc:
        report["errors"].append({"stage": "build", "message": str(exc)})
    if summary is not None:
        stages.append({"stage": "build", "seconds": round(summary.seconds, 3)})
        report["dbt"] = {
            "success": summary.success,
            "counts": summary.counts,
            "failures": summary.failed,
        }
    report["publish"] = _publish(root, warehouse, report, summary, settings, stages)
    report["status"] = (
        "failed" if report["errors"] or not report["publish"]["tested"] else "success"
    )
    report["finished_at"] = datetime.now(UTC).isoformat()
    report["alert"] = alerts.send_alert(report, settings.webhook_url)

    report_path = _target_dir(root) / REPORT_FILE
    report_path.parent.mkdir(parents=True, exist_ok=True)
    report_path.write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    try:
        runs.append_history(warehouse, report)
    except Exception as exc:  # the run's work is done; say so rather than hide the report
        _error_line(f"could not append to {runs.HISTORY_TABLE}: {_one_line(exc)}")
    _print_run(report, world)
    console.print(f"Report: {_display(report_path)}")
    return report


def _publish(
    root: Path,
    warehouse: Path,
    report: dict[str, Any],
    summary: DbtSummary | None,
    settings: runs.RunSettings,
    stages: list[dict[str, Any]],
) -> dict[str, Any]:
    """Publish the marts for BI when the build passed every test; else keep the last publish."""
    target = publish.publish_path(warehouse, settings.publish_path, root)
    tested = summary is not None and summary.success and not summary.failed
    outcome: dict[str, Any] = {"path": str(target), "tested": tested, "published": False}
    if not tested:
        outcome["reason"] = (
            "the build did not run" if summary is None else "the build has failing nodes"
        )
        outcome["kept"] = publish.read_published(target)
        return outcome
    started = time.perf_counter()
    try:
        done = publish.publish_marts(warehouse, target, report["run_id"])
    except (_duckdb_error(), OSError, ValueError) as exc:
        report["errors"].append({"stage": "publish", "message": _one_line(exc)})
        outcome["reason"] = "publishing failed"
        outcome["kept"] = publish.read_published(target)
        return outcome
    stages.append({"stage": "publish", "seconds": round(time.perf_counter() - started, 3)})
    return outcome | {
        "published": True,
        "published_at": done.published_at,
        "tables": done.tables,
    }


def _duckdb_error() -> type[Exception]:
    """Return DuckDB's base exception class (imported lazily)."""
    import duckdb

    return duckdb.Error


def _print_run(report: dict[str, Any], world: WorldResult | None) -> None:
    """Print a run's report: loads, stages, tests, schema changes, anomalies, publish, alert."""
    if world is not None and world.generated:
        console.print(_world_table(world.manifest))
    loads = Table(title="Loaded", show_footer=True)
    totals = Counter[str]()
    rows = []
    skipped: list[str] = []
    for name, result in sorted(report["ingest"].items()):
        if result["status"] == "skipped":
            skipped.append(f"Skipped {name}: {result['reason']}")
        if result["status"] != "loaded":
            continue
        for table, counts in sorted(result["tables"].items()):
            totals.update(counts)
            rows.append(
                (
                    name,
                    table,
                    f"{counts['extracted']:,}",
                    f"{counts['loaded']:,}",
                    f"{counts['rows_in_raw']:,}",
                )
            )
    loads.add_column("source", footer="total")
    loads.add_column("table")
    loads.add_column("extracted", justify="right", footer=f"{totals['extracted']:,}")
    loads.add_column("new rows", justify="right", footer=f"{totals['loaded']:,}")
    loads.add_column("rows in raw", justify="right", footer=f"{totals['rows_in_raw']:,}")
    for row in rows:
        loads.add_row(*row)
    if rows:
        console.print(loads)
    for line in skipped:
        console.print(line, soft_wrap=True)
    timing = Table(title="Stages")
    timing.add_column("stage")
    timing.add_column("seconds", justify="right")
    for stage in report["stages"]:
        timing.add_row(stage["stage"], f"{stage['seconds']:.1f}")
    console.print(timing)
    for error in report["errors"]:
        where = f"{error['stage']} {error.get('source', '')}".strip()
        console.print(Text(f"Error in {where}: {error['message']}", style="red"), soft_wrap=True)
    if "dbt" in report:
        dbt = report["dbt"]
        console.print(DbtSummary(dbt["success"], dbt["counts"]).describe())
        for failure in dbt["failures"]:
            line = f"{failure['status']}: {failure['unique_id']} {failure['message']}"
            console.print(Text(line, "red"), soft_wrap=True)
    for change in report["schema_changes"]:
        console.print(f"Schema change: {alerts.describe_change(change)}", soft_wrap=True)
    for anomaly in report["anomalies"]:
        console.print(f"Anomaly: {alerts.describe_anomaly(anomaly)}", soft_wrap=True)
    if report["status"] == "skipped":
        return
    outcome = report["publish"]
    if outcome["published"]:
        console.print(
            f"Published {len(outcome['tables'])} mart tables for BI: "
            f"{_display(Path(outcome['path']))}",
            soft_wrap=True,
        )
    else:
        kept = outcome.get("kept")
        keeps = (
            f"BI keeps the publish of run {kept['run_id']} ({kept['published_at']})"
            if kept
            else "nothing has been published yet"
        )
        message = f"Not published ({outcome['reason']}): {keeps}."
        console.print(Text(message, style="yellow"), soft_wrap=True)
    alert = report["alert"]
    if alert["sent"]:
        console.print(f"Alert sent: {', '.join(alert['kinds'])}.")
    elif alert["kinds"]:
        kinds = ", ".join(alert["kinds"])
        console.print(f"Alert not sent ({alert['reason']}): {kinds}.", soft_wrap=True)
    console.print(f"Warehouse: {_display(Path(report['warehouse']))} (run {report['run_id']})")


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
