"""One run: ingest every source concurrently, build, test, publish for BI, report and alert.

`ingest` loads sources side by side (each has its own dlt pipeline and raw schema) and returns a
`SourceResult` per source, a failure kept rather than raised. `execute_run` does a whole run under
the caller's warehouse lock and returns its `RunReport`, already written to the target folder,
appended to `ops.run_history` and alerted on. Nothing here prints: status lines go to `say`.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gtm import project, sources
from gtm.errors import GtmError
from gtm.ops import (
    alerts,
    anomalies,
    changes,
    dbt,
    history,
    logs,
    phases,
    publish,
    schedule,
    summary,
    world,
)
from gtm.ops.health import RunHealth
from gtm.ops.report import PublishOutcome, RunError, RunReport, SourceResult, Stage, WorldInfo
from gtm.ops.settings import RunSettings, load_settings
from gtm.ops.world import Progress, ProgressBars, Say, WorldResult


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped a run, which was recorded as interrupted."""

    def __init__(self, report: RunReport) -> None:
        """Keep the report of the interrupted run."""
        super().__init__(report.run_id)
        self.report = report


class UnknownSource(GtmError):
    """A source name that is not registered (a usage error: exit status 2)."""

    exit_code = 2


def one_line(exc: BaseException) -> str:
    """Turn an exception into one readable line."""
    message = " ".join(str(exc).split())
    plain = (GtmError, ValueError, RuntimeError, OSError, ImportError)
    if not message:
        return type(exc).__name__
    if isinstance(exc, plain):
        return message
    return f"{type(exc).__name__}: {message}"


def _quiet(_line: str) -> None:
    return None


# --------------------------------------------------------------------------------------------------
# ingest


def resolve_sources(names: Sequence[str]) -> list[sources.SourceSpec]:
    """Return the requested sources (every one that can load when `names` is empty)."""
    registered = sources.available_sources()
    unknown = [name for name in names if name not in sources.SOURCES]
    if unknown:
        listed = ", ".join(registered) if registered else "none are registered yet"
        raise UnknownSource(
            f"unknown source {', '.join(map(repr, unknown))}; registered sources: {listed}"
        )
    loadable = [name for name in registered if sources.SOURCES[name].load is not None]
    chosen = list(dict.fromkeys(names)) if names else loadable
    return [sources.SOURCES[name] for name in chosen]


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _load_one(spec: sources.SourceSpec, context: sources.LoadContext, say: Say) -> SourceResult:
    """Load one source; return its result (an exception is kept, not raised)."""
    say(f"Loading {spec.name} ...")
    started_at = _now()
    started = time.perf_counter()
    try:
        if spec.load is None:
            raise GtmError(f"source {spec.name!r} has no loader yet")
        loaded = spec.load(context)
    except Exception as exc:
        seconds = time.perf_counter() - started
        say(f"Failed {spec.name} after {seconds:.1f} s.")
        return SourceResult(
            "failed", started_at, _now(), seconds, error=one_line(exc), exception=exc
        )
    seconds = time.perf_counter() - started
    say(f"Loaded {spec.name} in {seconds:.1f} s.")
    rows = getattr(loaded, "rows", loaded if isinstance(loaded, dict) else None)
    return SourceResult(
        "loaded",
        started_at,
        _now(),
        seconds,
        tables=dict(rows or {}),
        finished_pending=bool(getattr(loaded, "finished_pending", False)),
    )


def ingest(
    root: Path,
    warehouse: Path,
    specs: Sequence[sources.SourceSpec],
    world_dir: Path | None,
    say: Say = _quiet,
    on_done: Callable[[int, int], None] | None = None,
) -> dict[str, SourceResult]:
    """Load `specs` concurrently into `warehouse`; return each source's result.

    `on_done(done, total)` is called as each source finishes (a progress bar).
    A failed source is reported (status `failed`, its error and exception kept) while the others
    finish. The caller holds the warehouse lock (and the world's, when loading the demo).
    """
    if not specs:
        return {}
    import contextlib

    import duckdb

    from gtm import engines

    target = engines.current_target(root)
    engines.preflight(target)
    context = sources.LoadContext(
        root=root,
        duckdb_path=warehouse,
        world_dir=world_dir,
        destination=engines.dlt_destination(target),
        destination_key="" if target.type == "duckdb" else target.name,
    )
    # Each source's dlt pipeline opens and closes its own connections to the warehouse, and two
    # threads attaching the file at the same moment race in DuckDB ("Unique file handle
    # conflict"). A connection held open for the whole load keeps the file attached, so every
    # pipeline joins that one database instance.
    keep_attached = (
        duckdb.connect(str(warehouse)) if context.destination is None else contextlib.nullcontext()
    )
    with keep_attached:
        pool = ThreadPoolExecutor(max_workers=len(specs), thread_name_prefix="ingest")
        try:
            futures = {spec.name: pool.submit(_load_one, spec, context, say) for spec in specs}
            if on_done is not None:
                on_done(0, len(futures))
                for done, _future in enumerate(as_completed(futures.values()), start=1):
                    on_done(done, len(futures))
            results = {name: future.result() for name, future in futures.items()}
        except KeyboardInterrupt:
            pool.shutdown(wait=False, cancel_futures=True)  # Ctrl-C: do not wait for the loads
            raise
        pool.shutdown()
    if target.type == "spark":
        engines.register_spark_raw()
    if context.destination is not None:
        # The suppression list and retention purge work on the DuckDB file (docs/engines.md).
        return results
    # Erased people and expired events leave raw before any model reads it.
    from gtm.privacy.forget import apply_suppressions

    apply_suppressions(root, warehouse, say)
    return results


# --------------------------------------------------------------------------------------------------
# the run


@dataclass(frozen=True)
class RunOptions:
    """What the user asked `gtm run` for."""

    world_dir: Path | None
    """The demo world folder, or None to load from the real APIs (`--live`)."""
    scale: float | None = None
    seed: int | None = None
    due: bool = False
    select: tuple[str, ...] = ()
    full_refresh: bool = False
    """Build everything in full (incremental models too) and publish, changed or not."""
    verbose: bool = False
    """Stream dbt's per-node log and every load line instead of progress bars."""


def prepare_run(options: RunOptions, root: Path, warehouse: Path) -> tuple[RunSettings, list[str]]:
    """Check everything a run can check before it changes anything; return settings and sources.

    Refuses bad settings, unknown sources and a `--select` that is invalid or selects nothing.
    """
    from gtm import engines

    target = engines.current_target(root)
    if target.type != "duckdb":
        raise GtmError(
            f"target {target.name!r} ({target.type}): gtm run keeps its run history, publish and "
            "alerts in DuckDB; on this target run `gtm ingest` then `gtm build` (docs/engines.md)"
        )
    settings = load_settings(sorted(sources.SOURCES))
    names = [spec.name for spec in resolve_sources(settings.sources)]
    dbt.check_select(root, warehouse, options.select)
    return settings, names


def execute_run(
    root: Path,
    warehouse: Path,
    options: RunOptions,
    *,
    say: Say = _quiet,
    progress: ProgressBars | None = None,
) -> tuple[RunReport, WorldResult | None]:
    """Do one run under the caller's lock; return its report and the world it loaded from.

    Ctrl-C stops the run: it is recorded as `interrupted` (report file and history, no alert)
    and `KeyboardInterrupt` is raised again for the caller to exit on.
    """
    settings, names = prepare_run(options, root, warehouse)
    started_at = datetime.now(UTC)
    report = RunReport(
        run_id=f"{started_at:%Y%m%dT%H%M%SZ}-{os.getpid()}",
        started_at=started_at,
        mode="live" if options.world_dir is None else "demo",
        warehouse=str(warehouse),
    )
    loaded_world: WorldResult | None = None
    run_log = dbt.logs_dir(root, warehouse) / logs.RUN_LOG_FILE
    steps = _Steps(say, progress, options.verbose)
    try:
        with logs.dlt_logs_to_file(run_log):
            loaded_world = _work(root, warehouse, options, report, settings, names, steps)
        report.status = (
            report.status
            if report.status == "skipped"
            else "failed"
            if report.errors or report.publish is None or not report.publish.tested
            else "success"
        )
    except KeyboardInterrupt:
        report.status = "interrupted"
        _finish(root, warehouse, report, settings, say)
        raise RunInterrupted(report) from None
    if report.status == "skipped":
        report.finished_at = datetime.now(UTC)
        # A skipped run still sends a due daily summary, and is remembered when it did.
        if _daily_summary(warehouse, report, settings):
            history.append_history(warehouse, report.to_json())
        return report, loaded_world
    _finish(root, warehouse, report, settings, say)
    return report, loaded_world


def _drop_raw(warehouse: Path) -> None:
    """Drop every source's raw schema and dlt working folder, so the next load starts afresh."""
    import shutil

    import duckdb

    from ingest.pipelines import dataset_name, pipelines_dir

    with duckdb.connect(str(warehouse)) as con:
        for name in sorted(sources.SOURCES):
            con.execute(f"drop schema if exists {dataset_name(name)} cascade")
    shutil.rmtree(pipelines_dir(warehouse), ignore_errors=True)


def _daily_summary(warehouse: Path, report: RunReport, settings: RunSettings) -> bool:
    """Send the daily summary when this run is the first after the configured hour; say if sent.

    The day is the run's own start time, so the schedule follows the runs' timestamps.
    """
    if report.status == "interrupted" or settings.summary_hour is None:
        return False
    past = history.read_history(warehouse)
    report.summary = summary.send_summary(
        past, report.started_at, settings.summary_hour, settings.webhook_url, settings.email
    )
    return report.summary is not None


@dataclass(frozen=True)
class _Steps:
    """How a run shows its stages: status lines, and progress bars unless verbose."""

    say: Say
    progress: ProgressBars | None
    verbose: bool

    @contextmanager
    def bar(self) -> Iterator[Progress | None]:
        """Open a progress display for one stage (yield None when verbose or without one)."""
        if self.progress is None or self.verbose:
            yield None
            return
        with self.progress() as on_progress:
            yield on_progress

    def detail(self) -> Say:
        """Where per-source status lines go: shown when verbose, else only in the summary."""
        return self.say if self.verbose else _quiet


def _work(
    root: Path,
    warehouse: Path,
    options: RunOptions,
    report: RunReport,
    settings: RunSettings,
    names: list[str],
    steps: _Steps,
) -> WorldResult | None:
    """Load the world (demo), ingest, build and publish; fill `report` as it goes."""
    say = steps.say
    progress = steps.progress
    holding = (
        nullcontext(None)
        if options.world_dir is None
        else world.reading(
            options.world_dir,
            options.scale,
            options.seed,
            command="gtm run",
            say=say,
            progress=progress,
        )
    )
    with holding as loaded_world:
        if loaded_world is not None:
            report.stages.append(Stage("generate", loaded_world.seconds))
            report.world = WorldInfo(
                str(loaded_world.path), loaded_world.generated, loaded_world.manifest
            )
        past = history.read_history(warehouse)
        if loaded_world is not None and world.loaded_another_world(past, loaded_world.manifest):
            say("The warehouse holds another demo world's raw data: loading this one afresh.")
            _drop_raw(warehouse)
        if options.due:
            names = _due(report, names, past, settings, report.started_at)
            if not names:
                say("No source is due: nothing to ingest or build.")
                report.status = "skipped"
                return loaded_world
        _ingest_stage(root, warehouse, report, names, options.world_dir, past, settings, steps)
    _build_and_publish(
        root, warehouse, report, settings, options.select, steps, options.full_refresh
    )
    _sync_stage(root, warehouse, report, options.world_dir, say)
    return loaded_world


def _due(
    report: RunReport,
    names: list[str],
    past: list[dict[str, Any]],
    settings: RunSettings,
    now: datetime,
) -> list[str]:
    decisions = schedule.due_sources(names, past, settings, now)
    for name, decision in decisions.items():
        if decision != "due":
            report.ingest[name] = SourceResult("skipped", reason=decision)
    return [name for name, decision in decisions.items() if decision == "due"]


def _ingest_stage(
    root: Path,
    warehouse: Path,
    report: RunReport,
    names: list[str],
    world_dir: Path | None,
    past: list[dict[str, Any]],
    settings: RunSettings,
    steps: _Steps,
) -> None:
    started = time.perf_counter()
    before = history.snapshot_raw(warehouse)
    specs = resolve_sources(names)
    with steps.bar() as bar:
        on_done = None if bar is None else (lambda done, total: bar("sources", done, total))
        results = ingest(root, warehouse, specs, world_dir, steps.detail(), on_done)
    after = history.snapshot_raw(warehouse)
    for name, result in results.items():
        if result.status == "loaded":
            result.tables = history.table_rows(name, result.tables, before, after)
        else:
            report.errors.append(RunError("ingest", result.error or "failed", source=name))
        report.ingest[name] = result
    report.stages.append(Stage("ingest", time.perf_counter() - started))
    report.schema_changes = history.schema_changes(before, after)
    current = {name: result.to_json() for name, result in report.ingest.items()}
    report.anomalies = anomalies.anomalies(current, past, settings)


def _build_and_publish(
    root: Path,
    warehouse: Path,
    report: RunReport,
    settings: RunSettings,
    select: Sequence[str],
    steps: _Steps,
    full_refresh: bool = False,
) -> None:
    target = publish.publish_path(warehouse, settings.publish_path, root)
    fingerprints = changes.current_fingerprints(root, warehouse)
    plan = _plan_build(root, warehouse, select, fingerprints, full_refresh)
    steps.say(plan.reason[:1].upper() + plan.reason[1:] + ".")
    report.build_plan = {
        "select": None if plan.select is None else list(plan.select),
        "full_refresh": plan.full_refresh,
        "reason": plan.reason,
    }
    if plan.nothing:
        report.publish = PublishOutcome(
            path=str(target),
            tested=True,
            reason="nothing changed since the last published build",
            kept=publish.read_published(target),
        )
        return
    try:
        with steps.bar() as bar:
            on_node = None if bar is None else (lambda done, total: bar("dbt nodes", done, total))
            built = phases.build(
                root,
                warehouse,
                plan.select or (),
                verbose=steps.verbose,
                on_node=on_node,
                full_refresh=plan.full_refresh,
            )
        report.dbt = built.dbt
        if built.training is not None:
            report.stages.append(Stage("train", built.training.seconds))
    except GtmError as exc:
        report.errors.append(RunError("build", str(exc)))
    if report.dbt is not None:
        report.stages.append(Stage("build", report.dbt.seconds))
    started = time.perf_counter()
    manifest = project.target_dir(root, warehouse) / "semantic_manifest.json"
    health = RunHealth(report.to_json(), project.target_dir(root, warehouse) / "run_results.json")
    report.publish, error = publish.publish_if_tested(
        warehouse,
        target,
        report.run_id,
        report.dbt,
        root,
        semantic_manifest=manifest,
        health=health,
    )
    if error is not None:
        report.errors.append(RunError("publish", one_line(error)))
    elif report.publish.published:
        report.stages.append(Stage("publish", time.perf_counter() - started))
        _dashboard_stage(root, warehouse, report, target)
        if not select:  # a build of the user's --select does not make the whole warehouse current
            changes.write_fingerprints(warehouse, fingerprints)


def _plan_build(
    root: Path,
    warehouse: Path,
    select: Sequence[str],
    fingerprints: dict[str, str],
    full_refresh: bool = False,
) -> changes.BuildPlan:
    """Decide what the build does: the user's --select, else what changed since the last publish.

    `--full-refresh` rebuilds the selection (or everything) in full, changed or not.
    """
    if full_refresh:
        reason = "--full-refresh given: building " + ("the --select given" if select else "all")
        return changes.BuildPlan(tuple(select) or None, reason + " in full", full_refresh=True)
    if select:
        return changes.BuildPlan(tuple(select), "building the --select given")
    manifest = project.target_dir(root, warehouse) / "manifest.json"
    return changes.plan_build(changes.read_fingerprints(warehouse), fingerprints, manifest)


def _dashboard_stage(root: Path, warehouse: Path, report: RunReport, published: Path) -> None:
    """Build the dashboard from what was just published; the report says where, or why not."""
    from gtm.dashboard import build_dashboard, dashboard_path

    started = time.perf_counter()
    path = dashboard_path(root, warehouse)
    try:
        build_dashboard(published, path)
    except (GtmError, OSError, ValueError, ImportError) as exc:
        # The marts are published and tested: a dashboard that cannot be drawn is reported, and
        # does not fail the run (BI tools read the published file either way).
        report.dashboard = {"path": str(path), "built": False, "error": one_line(exc)}
        return
    report.dashboard = {"path": str(path), "built": True}
    report.stages.append(Stage("dashboard", time.perf_counter() - started))


def _sync_stage(
    root: Path, warehouse: Path, report: RunReport, world_dir: Path | None, say: Say
) -> None:
    """Run the reverse-ETL syncs when `gtm.sync.enabled`, after a tested build only."""
    from gtm.sync import core, spec

    sync_settings = spec.load_settings()
    if not sync_settings.enabled or report.publish is None or not report.publish.tested:
        return
    started = time.perf_counter()
    try:
        if world_dir is None:
            results = core.run_syncs(root, warehouse, sync_settings.names, say=say)
        else:
            with core.demo_endpoints(world_dir) as endpoints:
                results = core.run_syncs(
                    root, warehouse, sync_settings.names, endpoints=endpoints, say=say
                )
    except GtmError as exc:
        report.errors.append(RunError("sync", str(exc)))
        return
    for result in results:
        if result.status in ("failed", "budget"):
            report.errors.append(RunError("sync", f"{result.name}: {result.message}"))
    report.stages.append(Stage("sync", time.perf_counter() - started))


def _finish(
    root: Path, warehouse: Path, report: RunReport, settings: RunSettings, say: Say
) -> None:
    """Alert, write the report file and append the history."""
    report.finished_at = datetime.now(UTC)
    report.alert = alerts.send_alert(report.to_json(), settings.webhook_url)
    report.schema_change_email = summary.email_schema_changes(report.to_json(), settings.email)
    _daily_summary(warehouse, report, settings)
    stored = report.to_json()
    path = project.report_path(root, warehouse)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(stored, indent=2, default=str) + "\n", encoding="utf-8")
    try:
        history.append_history(warehouse, stored)
    except Exception as exc:  # the run's work is done; say so rather than hide the report
        say(f"Could not append to {history.HISTORY_TABLE}: {one_line(exc)}")
