"""What `gtm` prints: status lines, error lines, progress bars and the run report's tables.

rich is imported here and nowhere in the core, and only when a command prints something.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gtm.project import display_path

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from gtm.ops.report import RunReport
    from gtm.ops.world import Progress


@cache
def out() -> Console:
    """Return the console for normal output (stdout)."""
    from rich.console import Console

    return Console(highlight=False)


@cache
def err() -> Console:
    """Return the console for error lines (stderr)."""
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


def say(line: str) -> None:
    """Print one status line as it stands (no markup)."""
    from rich.text import Text

    out().print(Text(line), soft_wrap=True)


def error_line(message: str) -> None:
    """Print one red `error: ...` line on stderr."""
    from rich.text import Text

    err().print(Text(f"error: {message}", style="bold red"))


@contextmanager
def progress_bars() -> Iterator[Progress]:
    """Show rich progress bars; yield the `progress(stage, done, total)` callback it shows."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskID,
        TextColumn,
        TimeElapsedColumn,
    )

    columns = (
        TextColumn("[bold]{task.description:<24}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=out()) as progress:
        tasks: dict[str, TaskID] = {}

        def on_progress(stage: str, done: int, total: int) -> None:
            task = tasks.get(stage)
            if task is None:
                task = progress.add_task(stage, total=total or None)
                tasks[stage] = task
            progress.update(task, completed=done, total=total or None)

        yield on_progress


def world_table(manifest: dict[str, Any]) -> Table:
    """Rows per table of a demo world."""
    from rich.table import Table

    table = Table(title="Demo world", show_footer=True)
    tables: dict[str, int] = manifest.get("tables", {})
    total = manifest.get("rows_total", sum(tables.values()))
    table.add_column("table", footer="total")
    table.add_column("rows", justify="right", footer=f"{total:,}")
    for name in sorted(tables):
        table.add_row(name, f"{tables[name]:,}")
    return table


_LIST_LIMIT = 10
"""At most this many schema changes or anomalies are listed; the report file holds them all."""


def _capped(lines: list[str]) -> list[str]:
    shown = lines[:_LIST_LIMIT]
    if len(lines) > _LIST_LIMIT:
        shown.append(f"... and {len(lines) - _LIST_LIMIT} more (see the report file)")
    return shown


def node_name(unique_id: str) -> str:
    """Return the name people know a dbt node by (`test.gtm_warehouse.<name>.<hash>`: `<name>`)."""
    parts = unique_id.split(".")
    return parts[2] if len(parts) > 2 else unique_id


def print_run(
    report: RunReport,
    world_manifest: dict[str, Any] | None,
    *,
    verbose: bool = False,
    logs: Path | None = None,
) -> None:
    """Print a run's summary: loads, stages, failing and warning tests, changes, publish, alert.

    Short by default (rows per source, one line per failing or warning test with its message);
    `verbose` adds the demo world's tables and rows per raw table.
    """
    from rich.table import Table
    from rich.text import Text

    from gtm.ops import alerts

    console = out()
    if world_manifest is not None and verbose:
        console.print(world_table(world_manifest))
    _print_loads(report, verbose)
    timing = Table(title="Stages")
    timing.add_column("stage")
    timing.add_column("seconds", justify="right")
    for stage in report.stages:
        timing.add_row(stage.stage, f"{stage.seconds:.1f}")
    console.print(timing)
    for error in report.errors:
        where = f"{error.stage} {error.source or ''}".strip()
        console.print(Text(f"Error in {where}: {error.message}", style="red"), soft_wrap=True)
    if report.dbt is not None:
        say("dbt: " + "; ".join(report.dbt.describe().splitlines()))
        for failure in report.dbt.failed:
            line = f"{failure['status'].upper()} {node_name(failure['unique_id'])}: "
            console.print(Text(line + failure["message"], "red"), soft_wrap=True)
        for warning in report.dbt.warned:
            line = f"WARN {node_name(warning['unique_id'])}: {warning['message']}"
            console.print(Text(line, "yellow"), soft_wrap=True)
    for line in _capped([alerts.describe_change(c) for c in report.schema_changes]):
        say(f"Schema change: {line}")
    for line in _capped([alerts.describe_anomaly(a) for a in report.anomalies]):
        say(f"Anomaly: {line}")
    if report.status != "skipped":
        _print_outputs(report)
    alert = report.alert
    if alert is not None and alert.sent:
        say(f"Alert sent: {', '.join(alert.kinds)}.")
    elif alert is not None and alert.kinds:
        say(f"Alert not sent ({alert.reason}): {', '.join(alert.kinds)}.")
    if logs is not None:
        say(f"Full logs: {display_path(logs)} (dbt.log, gtm_run.log); --verbose streams them.")
    say(f"Warehouse: {display_path(Path(report.warehouse))} (run {report.run_id})")


def _print_outputs(report: RunReport) -> None:
    """Where BI reads: the published file (and its metrics tables), and the dashboard if built."""
    from rich.text import Text

    outcome = report.publish
    if outcome is not None and outcome.published:
        marts = [name for name in outcome.tables if "." not in name]
        metrics = [name for name in outcome.tables if name.startswith("metrics.")]
        with_metrics = f" and {len(metrics)} metrics tables" if metrics else ""
        say(
            f"Published {len(marts)} mart tables{with_metrics} for BI: "
            f"{display_path(Path(outcome.path))}"
        )
    elif outcome is not None:
        kept = outcome.kept
        keeps = (
            f"BI keeps the publish of run {kept['run_id']} ({kept['published_at']})"
            if kept
            else "nothing has been published yet"
        )
        message = f"Not published ({outcome.reason}): {keeps}."
        out().print(Text(message, style="yellow"), soft_wrap=True)
    dashboard = getattr(report, "dashboard", None)
    path = getattr(dashboard, "path", dashboard)
    if isinstance(path, str | Path) and str(path):
        say(f"Dashboard: {display_path(Path(path))}")


def _print_loads(report: RunReport, per_table: bool = True) -> None:
    from rich.table import Table

    loads = Table(title="Loaded", show_footer=True)
    totals = Counter[str]()
    rows = []
    skipped: list[str] = []
    for name, result in sorted(report.ingest.items()):
        if result.status == "skipped":
            skipped.append(f"Skipped {name}: {result.reason}")
        if result.status != "loaded":
            continue
        source_totals = Counter[str]()
        for table, counts in sorted(result.tables.items()):
            totals.update(counts)
            source_totals.update(counts)
            if per_table:
                rows.append(_load_row(name, table, counts))
        if not per_table:
            rows.append(_load_row(name, f"{len(result.tables)} tables", source_totals))
    loads.add_column("source", footer="total")
    loads.add_column("table" if per_table else "tables")
    loads.add_column("extracted", justify="right", footer=f"{totals['extracted']:,}")
    loads.add_column("new rows", justify="right", footer=f"{totals['loaded']:,}")
    loads.add_column("rows in raw", justify="right", footer=f"{totals['rows_in_raw']:,}")
    for row in rows:
        loads.add_row(*row)
    if rows:
        out().print(loads)
    for line in skipped:
        say(line)


def _load_row(source: str, table: str, counts: Any) -> tuple[str, ...]:
    return (
        source,
        table,
        f"{counts['extracted']:,}",
        f"{counts['loaded']:,}",
        f"{counts['rows_in_raw']:,}",
    )
