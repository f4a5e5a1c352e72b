"""Running dbt in-process for a run: `dbt build`, `--select` checks, and reading what it did.

dbt is invoked with the same profile, target and target folder that a plain `dbt build` in the
repo root uses for the default warehouse, so switching between `gtm` and `dbt` keeps dbt's
partial parse (see `project.dbt_invocation`).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gtm import project
from gtm.errors import GtmError

BAD_STATUSES = frozenset({"error", "fail", "runtime error"})
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
        return sum(
            n for s in self.counts.values() for status, n in s.items() if status in BAD_STATUSES
        )

    def to_json(self) -> dict[str, Any]:
        """Return the `dbt` part of a run report."""
        return {"success": self.success, "counts": self.counts, "failures": self.failed}


def read_run_results(path: Path) -> tuple[dict[str, dict[str, int]], list[dict[str, Any]]]:
    """Return counts by resource type and status, and the failing nodes, from run_results.json."""
    counter: Counter[tuple[str, str]] = Counter()
    failed: list[dict[str, Any]] = []
    for result in json.loads(path.read_text(encoding="utf-8"))["results"]:
        resource = result["unique_id"].split(".", 1)[0]
        counter[(resource, result["status"])] += 1
        if result["status"] in BAD_STATUSES:
            failed.append(
                {
                    "unique_id": result["unique_id"],
                    "status": result["status"],
                    "message": " ".join(str(result.get("message") or "").split()),
                    "failures": result.get("failures"),
                }
            )
    return _nest(counter), failed


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


def _invoke(root: Path, warehouse: Path, command: str, *extra: str) -> Any:
    """Run `dbt <command>` in-process for `warehouse`; re-raise Ctrl-C, which dbt swallows."""
    from dbt.cli.main import dbtRunner

    args, workdir = project.dbt_invocation(root, warehouse)
    with project.working_directory(workdir):
        try:
            outcome = dbtRunner().invoke([command, *args, *extra])
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


def run_dbt_build(root: Path, warehouse: Path, select: Sequence[str] = ()) -> DbtSummary:
    """Run `dbt build` in-process against the project at `root`; return what it did.

    Counts and failing nodes come from the run_results.json this build writes.
    """
    results_file = project.target_dir(root, warehouse) / "run_results.json"
    results_file.unlink(missing_ok=True)
    extra = ["--select", *select] if select else []
    started = time.perf_counter()
    outcome = _invoke(root, warehouse, "build", *extra)
    seconds = time.perf_counter() - started
    if outcome.exception is not None:
        raise GtmError(f"dbt build could not run: {outcome.exception}")
    if results_file.exists():
        counts, failed = read_run_results(results_file)
    else:
        counts, failed = _summarise(outcome.result), []
    return DbtSummary(bool(outcome.success), counts, seconds, failed)


def run_dbt_models(root: Path, warehouse: Path, select: Sequence[str] = ()) -> DbtSummary:
    """Run `dbt run` (models only, no tests) in-process; return what it did.

    Used to rebuild the models downstream of raw tables that an erasure changed.
    """
    results_file = project.target_dir(root, warehouse) / "run_results.json"
    results_file.unlink(missing_ok=True)
    extra = ["--select", *select] if select else []
    started = time.perf_counter()
    outcome = _invoke(root, warehouse, "run", *extra)
    seconds = time.perf_counter() - started
    if outcome.exception is not None:
        raise GtmError(f"dbt run could not run: {outcome.exception}")
    if results_file.exists():
        counts, failed = read_run_results(results_file)
    else:
        counts, failed = _summarise(outcome.result), []
    return DbtSummary(bool(outcome.success), counts, seconds, failed)
