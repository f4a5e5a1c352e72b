"""The report of one `gtm run`: a typed object built by the run, printed, stored and alerted on.

`RunReport.to_json()` is the one serialised form: the file in the target folder, the `report`
column of `ops.run_history` and the alert message all read it. Earlier reports come back from the
history as that JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from gtm.ops.dbt import DbtSummary

RunStatus = Literal["running", "success", "failed", "skipped", "interrupted"]


@dataclass
class Stage:
    """How long one stage of the run took."""

    stage: str
    seconds: float

    def to_json(self) -> dict[str, Any]:
        """Return the stage as stored in the report."""
        return {"stage": self.stage, "seconds": round(self.seconds, 3)}


@dataclass
class SourceResult:
    """What happened to one source in a run: loaded, failed or skipped."""

    status: Literal["loaded", "failed", "skipped"]
    started_at: str | None = None
    finished_at: str | None = None
    seconds: float = 0.0
    tables: dict[str, Any] = field(default_factory=dict)
    """Per table: `extracted`, `loaded` (new in raw) and `rows_in_raw` once measured."""
    finished_pending: bool = False
    error: str | None = None
    reason: str | None = None
    exception: BaseException | None = field(default=None, repr=False, compare=False)
    """The failure itself (never serialised): `gtm ingest` shows or re-raises it."""

    def to_json(self) -> dict[str, Any]:
        """Return the source's entry in the report's `ingest`."""
        if self.status == "skipped":
            return {"status": "skipped", "reason": self.reason}
        out: dict[str, Any] = {
            "status": self.status,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "seconds": round(self.seconds, 3),
        }
        if self.status == "failed":
            return out | {"error": self.error}
        return out | {"tables": self.tables, "finished_pending": self.finished_pending}


@dataclass
class RunError:
    """An error in one stage (and source) of the run."""

    stage: str
    message: str
    source: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Return the error as stored in the report."""
        out = {"stage": self.stage}
        if self.source is not None:
            out["source"] = self.source
        return out | {"message": self.message}


@dataclass
class WorldInfo:
    """The demo world a run loaded from."""

    path: str
    generated: bool
    manifest: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        """Return the world as stored in the report."""
        keys = ("generator_version", "seed", "scale", "as_of", "rows_total", "tables")
        return {"path": self.path, "generated": self.generated} | {
            key: self.manifest.get(key) for key in keys
        }


@dataclass
class PublishOutcome:
    """Whether the marts were published for BI, and which publish BI keeps if not."""

    path: str
    tested: bool
    published: bool = False
    published_at: str | None = None
    tables: dict[str, int] = field(default_factory=dict)
    reason: str | None = None
    kept: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        """Return the publish outcome as stored in the report."""
        out: dict[str, Any] = {"path": self.path, "tested": self.tested}
        if self.published:
            return out | {
                "published": True,
                "published_at": self.published_at,
                "tables": self.tables,
            }
        return out | {"published": False, "reason": self.reason, "kept": self.kept}


@dataclass
class AlertOutcome:
    """Which alert kinds the run called for and whether the message went out."""

    kinds: list[str]
    sent: bool
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Return the alert outcome as stored in the report."""
        out: dict[str, Any] = {"kinds": self.kinds, "sent": self.sent}
        return out if self.reason is None else out | {"reason": self.reason}


@dataclass
class RunReport:
    """Everything one `gtm run` did, in the order it did it."""

    run_id: str
    started_at: datetime
    mode: Literal["demo", "live"]
    warehouse: str
    status: RunStatus = "running"
    finished_at: datetime | None = None
    world: WorldInfo | None = None
    stages: list[Stage] = field(default_factory=list)
    ingest: dict[str, SourceResult] = field(default_factory=dict)
    errors: list[RunError] = field(default_factory=list)
    schema_changes: list[dict[str, Any]] = field(default_factory=list)
    anomalies: list[dict[str, Any]] = field(default_factory=list)
    dbt: DbtSummary | None = None
    """What the build did, when it ran."""
    build_plan: dict[str, Any] | None = None
    """What the build was asked to do and why: `select` (None: all), `reason`."""
    publish: PublishOutcome | None = None
    dashboard: dict[str, Any] | None = None
    """After a publish: the dashboard's `path`, whether it was `built`, and the `error` if not."""
    alert: AlertOutcome | None = None
    summary: dict[str, Any] | None = None
    """The daily summary this run sent (gtm.ops.summary), or None when none was due."""
    schema_change_email: str | None = None
    """`sent`, or why not, when this run's schema changes were routed to e-mail."""

    def dbt_failures(self) -> list[dict[str, Any]]:
        """Return the failing dbt nodes (none when the build did not run)."""
        return list(self.dbt.failed) if self.dbt is not None else []

    def to_json(self) -> dict[str, Any]:
        """Return the report as written to the report file and `ops.run_history`."""
        out: dict[str, Any] = {
            "run_id": self.run_id,
            "started_at": self.started_at.isoformat(),
            "mode": self.mode,
            "warehouse": self.warehouse,
            "stages": [stage.to_json() for stage in self.stages],
            "ingest": {name: result.to_json() for name, result in self.ingest.items()},
            "errors": [error.to_json() for error in self.errors],
            "schema_changes": self.schema_changes,
            "anomalies": self.anomalies,
        }
        if self.world is not None:
            out["world"] = self.world.to_json()
        if self.build_plan is not None:
            out["build_plan"] = self.build_plan
        if self.dbt is not None:
            out["dbt"] = self.dbt.to_json()
        if self.publish is not None:
            out["publish"] = self.publish.to_json()
        if self.dashboard is not None:
            out["dashboard"] = self.dashboard
        out["status"] = self.status
        if self.finished_at is not None:
            out["finished_at"] = self.finished_at.isoformat()
        if self.alert is not None:
            out["alert"] = self.alert.to_json()
        if self.summary is not None:
            out["summary"] = self.summary
        if self.schema_change_email is not None:
            out["schema_change_email"] = self.schema_change_email
        return out
