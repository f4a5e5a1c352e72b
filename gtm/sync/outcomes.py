"""What one sync did: per-record outcomes of a batch, the run's counts, and their `ops` rows.

`ops.sync_runs` gets one row per sync per run; `ops.sync_rejections` one row per rejected record
with its reason (written by `state.record_rejection` with the batch it belongs to). Record keys
are CRM ids, never e-mail addresses, so neither the tables nor the printed lines carry personal
data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb


@dataclass
class Outcome:
    """One record's answer from the destination."""

    key: str
    ok: bool
    remote_id: str | None = None
    created: bool = False
    reason: str | None = None


@dataclass
class SyncResult:
    """The counts of one sync's run (a dry run counts what it would do)."""

    name: str
    run_id: str
    dry_run: bool = False
    full_resync: bool = False
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    finished_at: datetime | None = None
    status: str = "running"
    method: str = ""
    model_rows: int = 0
    changed: int = 0
    sent: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    rejected: int = 0
    removed: int = 0
    api_calls: int = 0
    message: str = ""
    samples: list[dict[str, Any]] = field(default_factory=list)
    """Dry run: a few changes as {key, old, new}."""
    reasons: dict[str, int] = field(default_factory=dict)
    """Rejections counted by reason."""

    def count(self, outcomes: list[Outcome]) -> None:
        """Add a batch's outcomes to the counts."""
        for outcome in outcomes:
            self.sent += 1
            if not outcome.ok:
                self.rejected += 1
                reason = outcome.reason or "rejected"
                self.reasons[reason] = self.reasons.get(reason, 0) + 1
            elif outcome.created:
                self.created += 1
            else:
                self.updated += 1

    def line(self) -> str:
        """One line summing the run up."""
        verb = "would send" if self.dry_run else "sent"
        parts = [
            f"{self.name}: {verb} {self.changed if self.dry_run else self.sent}",
            f"created {self.created}",
            f"updated {self.updated}",
            f"unchanged {self.unchanged}",
            f"skipped {self.skipped}",
            f"rejected {self.rejected}",
        ]
        if self.removed:
            parts.append(f"removed {self.removed}")
        if self.api_calls:
            parts.append(f"{self.api_calls} API calls")
        text = ", ".join(parts)
        return f"{text} ({self.message})" if self.message else text

    def to_json(self) -> dict[str, Any]:
        """Return the run's counts as a plain dict (for run reports)."""
        keys = ("name", "status", "method", "model_rows", "changed", "sent", "created")
        keys += ("updated", "unchanged", "skipped", "rejected", "removed", "api_calls", "message")
        return {key: getattr(self, key) for key in keys} | {"dry_run": self.dry_run}


def record_run(con: duckdb.DuckDBPyConnection, result: SyncResult) -> None:
    """Append the sync's run row to `ops.sync_runs` (a dry run writes nothing, so has none)."""
    con.execute(
        "insert into ops.sync_runs values "
        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            result.run_id,
            result.name,
            result.started_at,
            result.finished_at,
            result.status,
            result.dry_run,
            result.full_resync,
            result.method,
            result.model_rows,
            result.changed,
            result.sent,
            result.created,
            result.updated,
            result.unchanged,
            result.skipped,
            result.rejected,
            result.removed,
            result.api_calls,
            result.message,
        ],
    )
