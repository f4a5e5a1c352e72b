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
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gtm import project, sources
from gtm.errors import GtmError
from gtm.ops import alerts, anomalies, dbt, history, publish, schedule, world
from gtm.ops.report import RunError, RunReport, SourceResult, Stage, WorldInfo
from gtm.ops.settings import RunSettings, load_settings
from gtm.ops.world import ProgressBars, Say, WorldResult


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
) -> dict[str, SourceResult]:
    """Load `specs` concurrently into `warehouse`; return each source's result.

    A failed source is reported (status `failed`, its error and exception kept) while the others
    finish. The caller holds the warehouse lock (and the world's, when loading the demo).
    """
    if not specs:
        return {}
    import duckdb

    context = sources.LoadContext(root=root, duckdb_path=warehouse, world_dir=world_dir)
    # Each source's dlt pipeline opens and closes its own connections to the warehouse, and two
    # threads attaching the file at the same moment race in DuckDB ("Unique file handle
    # conflict"). A connection held open for the whole load keeps the file attached, so every
    # pipeline joins that one database instance.
    with duckdb.connect(str(warehouse)):
        pool = ThreadPoolExecutor(max_workers=len(specs), thread_name_prefix="ingest")
        try:
            futures = {spec.name: pool.submit(_load_one, spec, context, say) for spec in specs}
            results = {name: future.result() for name, future in futures.items()}
        except KeyboardInterrupt:
            pool.shutdown(wait=False, cancel_futures=True)  # Ctrl-C: do not wait for the loads
            raise
        pool.shutdown()
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


def prepare_run(options: RunOptions, root: Path, warehouse: Path) -> tuple[RunSettings, list[str]]:
    """Check everything a run can check before it changes anything; return settings and sources.

    Refuses bad settings, unknown sources and a `--select` that is invalid or selects nothing.
    """
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
    try:
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
            if options.due:
                names = _due(report, names, past, settings, started_at)
                if not names:
                    say("No source is due: nothing to ingest or build.")
                    report.status = "skipped"
                    report.finished_at = datetime.now(UTC)
                    return report, loaded_world
            _ingest_stage(root, warehouse, report, names, options.world_dir, past, settings, say)
        _build_and_publish(root, warehouse, report, settings, options.select)
        report.status = (
            "failed"
            if report.errors or report.publish is None or not report.publish.tested
            else "success"
        )
    except KeyboardInterrupt:
        report.status = "interrupted"
        _finish(root, warehouse, report, settings, say)
        raise RunInterrupted(report) from None
    _finish(root, warehouse, report, settings, say)
    return report, loaded_world


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
    say: Say,
) -> None:
    started = time.perf_counter()
    before = history.snapshot_raw(warehouse)
    specs = resolve_sources(names)
    results = ingest(root, warehouse, specs, world_dir, say)
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
    root: Path, warehouse: Path, report: RunReport, settings: RunSettings, select: Sequence[str]
) -> None:
    try:
        report.dbt = dbt.run_dbt_build(root, warehouse, select)
    except GtmError as exc:
        report.errors.append(RunError("build", str(exc)))
    if report.dbt is not None:
        report.stages.append(Stage("build", report.dbt.seconds))
    target = publish.publish_path(warehouse, settings.publish_path, root)
    started = time.perf_counter()
    report.publish, error = publish.publish_if_tested(
        warehouse, target, report.run_id, report.dbt, root
    )
    if error is not None:
        report.errors.append(RunError("publish", one_line(error)))
    elif report.publish.published:
        report.stages.append(Stage("publish", time.perf_counter() - started))


def _finish(
    root: Path, warehouse: Path, report: RunReport, settings: RunSettings, say: Say
) -> None:
    """Alert, write the report file and append the history."""
    report.finished_at = datetime.now(UTC)
    report.alert = alerts.send_alert(report.to_json(), settings.webhook_url)
    stored = report.to_json()
    path = project.report_path(root, warehouse)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(stored, indent=2, default=str) + "\n", encoding="utf-8")
    try:
        history.append_history(warehouse, stored)
    except Exception as exc:  # the run's work is done; say so rather than hide the report
        say(f"Could not append to {history.HISTORY_TABLE}: {one_line(exc)}")
