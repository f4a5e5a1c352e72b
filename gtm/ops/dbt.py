"""Running dbt in-process for a run: `dbt build`, `--select` checks, and reading what it did.

dbt is invoked with the same profile, target and target folder that a plain `dbt build` in the
repo root uses for the default warehouse, so switching between `gtm` and `dbt` keeps dbt's
partial parse (see `project.dbt_invocation`).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gtm import project
from gtm.errors import GtmError
from gtm.ops import switches

BAD_STATUSES = frozenset({"error", "fail", "runtime error"})
"""dbt statuses that count as failures."""
WARN_STATUS = "warn"
"""The status of a test with `severity: warn` that found rows: reported, never a failure."""
CHECKS_TEST = "column_checks_"
"""Name prefix of the per-model tests of macros/tests/column_checks.sql."""
LOG_FILE = "dbt.log"
"""dbt's own full log (debug level), in the run's log folder."""

NodeProgress = Callable[[int, int], None]
"""`on_node(done, total)`: called as dbt finishes each node of a build."""


@dataclass
class DbtSummary:
    """What one `dbt build` did, counted by resource type and status."""

    success: bool
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    seconds: float = 0.0
    failed: list[dict[str, Any]] = field(default_factory=list)
    """The nodes that errored or failed: unique_id, status, message, failing rows."""
    warned: list[dict[str, Any]] = field(default_factory=list)
    """The tests that warned (severity `warn`): unique_id, status, message, failing rows."""

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
        return sum(
            n for s in self.counts.values() for status, n in s.items() if status in BAD_STATUSES
        )

    def to_json(self) -> dict[str, Any]:
        """Return the `dbt` part of a run report."""
        return {
            "success": self.success,
            "counts": self.counts,
            "failures": self.failed,
            "warnings": self.warned,
        }


def read_run_results(
    path: Path,
) -> tuple[dict[str, dict[str, int]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Return counts by resource type and status, the failing and the warning nodes.

    Read from the run_results.json a build wrote. The project's hooks (`on-run-start`'s raw-schema
    check, resource type `operation`) are counted only when they fail: they are not models or tests.
    """
    counter: Counter[tuple[str, str]] = Counter()
    failed: list[dict[str, Any]] = []
    warned: list[dict[str, Any]] = []
    for result in json.loads(path.read_text(encoding="utf-8"))["results"]:
        resource = result["unique_id"].split(".", 1)[0]
        if resource != "operation" or result["status"] in BAD_STATUSES:
            counter[(resource, result["status"])] += 1  # hooks count only when they fail
        if result["status"] in BAD_STATUSES or result["status"] == WARN_STATUS:
            found = failed if result["status"] in BAD_STATUSES else warned
            found.append(
                {
                    "unique_id": result["unique_id"],
                    "status": result["status"],
                    "message": " ".join(str(result.get("message") or "").split()),
                    "failures": result.get("failures"),
                }
            )
    return _nest(counter), failed, warned


def explain_failed_checks(
    warehouse: Path, results_file: Path, failed: list[dict[str, Any]]
) -> None:
    """Name the failing checks in each failed `column_checks` test's message, in place.

    dbt reports a failed test as "Got N results"; a `column_checks` test folds many checks of one
    model into one node, so its rows say which: the compiled query is rerun (only for the tests
    that failed) on the DuckDB warehouse and "failing checks: person_id not_null (3 rows), ..." is
    appended. Left as dbt wrote it when the warehouse is not a DuckDB file or the query fails.
    """
    wanted = [f for f in failed if f["unique_id"].split(".")[2].startswith(CHECKS_TEST)]
    if not wanted or not warehouse.is_file():
        return
    import duckdb

    compiled = {
        r["unique_id"]: r.get("compiled_code")
        for r in json.loads(results_file.read_text(encoding="utf-8"))["results"]
    }
    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error:
        return
    with con:
        for failure in wanted:
            sql = compiled.get(failure["unique_id"])
            if not sql:
                continue
            try:
                query = f"select check_name, failing_rows from ({sql}) as checks"
                rows = con.execute(query).fetchall()
            except duckdb.Error:
                continue
            found = ", ".join(
                f"{name} ({count} row{'s' if count != 1 else ''})" for name, count in sorted(rows)
            )
            if found:
                failure["message"] = f"{failure['message']}; failing checks: {found}"


def _nest(counter: Counter[tuple[str, str]]) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for (resource, status), n in counter.items():
        counts.setdefault(resource, {})[status] = n
    return counts


def _summarise(result: Any) -> dict[str, dict[str, int]]:
    counter: Counter[tuple[str, str]] = Counter()
    for node_result in getattr(result, "results", None) or []:
        node = getattr(node_result, "node", None)
        resource = str(getattr(getattr(node, "resource_type", None), "value", "other"))
        status = getattr(node_result.status, "value", str(node_result.status))
        counter[(resource, str(status))] += 1
    return _nest(counter)


def release_duckdb() -> None:
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


def logs_dir(root: Path, warehouse: Path) -> Path:
    """Return the folder of a warehouse's full logs: `logs/` beside its dbt target folder.

    For the default warehouse that is `<root>/logs`, where a plain `dbt build` logs too.
    """
    return project.target_dir(root, warehouse).parent / "logs"


def _progress_callback(on_node: NodeProgress) -> Callable[[Any], None]:
    """Return a dbt event callback reporting each finished node and the build's node count."""
    state = {"done": 0, "total": 0}

    def on_event(event: Any) -> None:
        total = getattr(event.data, "total", 0)
        if isinstance(total, int) and total > state["total"]:
            state["total"] = total
            on_node(state["done"], total)
        if event.info.name == "NodeFinished":
            state["done"] += 1
            on_node(state["done"], state["total"])

    return on_event


def _invoke(
    root: Path,
    warehouse: Path,
    command: str,
    *extra: str,
    verbose: bool = True,
    on_node: NodeProgress | None = None,
    manifest: Any = None,
) -> Any:
    """Run `dbt <command>` in-process for `warehouse`; re-raise Ctrl-C, which dbt swallows.

    dbt's full log goes to `logs_dir(...)/dbt.log` either way; unless `verbose`, dbt prints
    nothing to the terminal and `on_node` is told about each finished node instead. A `manifest`
    (from `parse_project`) spares dbt its parse.
    """
    from dbt.cli.main import dbtRunner

    args, workdir = project.dbt_invocation(root, warehouse)
    args += ["--log-path", str(logs_dir(root, warehouse))]
    args += switches.vars_args(warehouse)  # the `<source>_enabled` vars: what the warehouse holds
    if not verbose:  # dbt's file log follows --log-level unless told otherwise
        args += ["--log-level", "none", "--log-level-file", "debug"]
    callbacks = [] if on_node is None else [_progress_callback(on_node)]
    with project.working_directory(workdir):
        try:
            outcome = dbtRunner(manifest=manifest, callbacks=callbacks).invoke(
                [command, *args, *extra]
            )
        finally:
            release_duckdb()
    if isinstance(outcome.exception, KeyboardInterrupt):
        raise outcome.exception
    return outcome


def check_select(root: Path, warehouse: Path, select: Sequence[str]) -> int:
    """Check a `--select` before anything is loaded; return how many nodes it selects.

    Runs `dbt ls` with the build's own profile and target folder (so the parse is reused by the
    build) and raises `GtmError` when the selection is invalid or selects nothing.
    """
    if not select:
        return 0
    outcome = _invoke(root, warehouse, "ls", "--quiet", "--select", *select)
    shown = " ".join(select)
    if outcome.exception is not None:
        message = " ".join(str(outcome.exception).split())
        raise GtmError(f"--select {shown!r} is not a valid dbt selection: {message}")
    if not outcome.success:
        raise GtmError(f"--select {shown!r} could not be checked: dbt ls failed")
    nodes = list(outcome.result or [])
    if not nodes:
        raise GtmError(f"--select {shown!r} matches no dbt model, seed or test; nothing was loaded")
    return len(nodes)


def parse_project(root: Path, warehouse: Path, *, verbose: bool = True) -> Any:
    """Run `dbt parse` (writing manifest.json as a build does); return the manifest, or None.

    Two builds given this manifest parse the project once between them (gtm.ops.phases).
    """
    outcome = _invoke(root, warehouse, "parse", verbose=verbose)
    return outcome.result if outcome.success else None


def run_dbt_build(
    root: Path,
    warehouse: Path,
    select: Sequence[str] = (),
    *,
    verbose: bool = True,
    on_node: NodeProgress | None = None,
    full_refresh: bool = False,
    exclude: Sequence[str] = (),
    manifest: Any = None,
) -> DbtSummary:
    """Run `dbt build` in-process against the project at `root`; return what it did.

    Counts, failing and warning nodes come from the run_results.json this build writes. Unless
    `verbose`, dbt's per-node log goes only to its log file and `on_node` shows progress. With
    `full_refresh`, incremental models are rebuilt in full (`--full-refresh`); `exclude` is dbt's
    `--exclude`; a `manifest` from `parse_project` spares the parse. One dbt invocation:
    `gtm.ops.phases.build` runs the two phases around the training.
    """
    results_file = project.target_dir(root, warehouse) / "run_results.json"
    results_file.unlink(missing_ok=True)
    extra = ["--select", *select] if select else []
    if exclude:
        extra += ["--exclude", *exclude]
    if full_refresh:
        extra.append("--full-refresh")
    started = time.perf_counter()
    outcome = _invoke(
        root, warehouse, "build", *extra, verbose=verbose, on_node=on_node, manifest=manifest
    )
    seconds = time.perf_counter() - started
    if outcome.exception is not None:
        raise GtmError(f"dbt build could not run: {outcome.exception}")
    if results_file.exists():
        counts, failed, warned = read_run_results(results_file)
        explain_failed_checks(warehouse, results_file, failed)
        explain_failed_checks(warehouse, results_file, warned)
    else:
        counts, failed, warned = _summarise(outcome.result), [], []
    return DbtSummary(bool(outcome.success), counts, seconds, failed, warned)


def run_dbt_models(root: Path, warehouse: Path, select: Sequence[str] = ()) -> DbtSummary:
    """Run `dbt run --full-refresh` (models only, no tests) in-process; return what it did.

    Used to rebuild the models downstream of raw tables that an erasure changed: in full, so an
    incremental model keeps no row of what raw no longer holds.
    """
    results_file = project.target_dir(root, warehouse) / "run_results.json"
    results_file.unlink(missing_ok=True)
    extra = ["--full-refresh", *(["--select", *select] if select else [])]
    started = time.perf_counter()
    outcome = _invoke(root, warehouse, "run", *extra, verbose=False)
    seconds = time.perf_counter() - started
    if outcome.exception is not None:
        raise GtmError(f"dbt run could not run: {outcome.exception}")
    if results_file.exists():
        counts, failed, warned = read_run_results(results_file)
    else:
        counts, failed, warned = _summarise(outcome.result), [], []
    return DbtSummary(bool(outcome.success), counts, seconds, failed, warned)
