"""Retention: behavioural event rows older than a horizon are deleted from raw.

`[gtm.privacy] retention_days` in `.dlt/config.toml` (or `GTM__PRIVACY__RETENTION_DAYS`) sets the
horizon; 0, the default, keeps every event. "Now" is never the clock: it is
`[gtm.privacy] retention_as_of` when set, else the dbt var `as_of_date` of `dbt_project.yml`,
the same date the models treat as today. Rows whose event time is before `as of - horizon` are
deleted from the tables in `EVENT_TABLES`, on the same path as an erasure (after every ingest
and in `gtm forget`), so a full re-ingest does not bring them back into the models.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb

from gtm.errors import GtmError

EVENT_TABLES: tuple[tuple[str, str, str], ...] = (
    ("raw_hubspot", "email_events", "created"),
    ("raw_hubspot", "web_events", "occurred_at"),
    ("raw_hubspot", "form_submissions", "submitted_at"),
    ("raw_salesforce", "task", "activity_date"),
    ("raw_salesforce", "event", "start_date_time"),
)
"""(schema, table, event time column) of the tables that record what a person did."""


class RetentionSettingError(GtmError):
    """A retention setting that makes no sense."""


@dataclass(frozen=True)
class Retention:
    """The horizon in days (0: keep everything) and the date it counts back from."""

    days: int
    as_of: date

    @property
    def cutoff(self) -> date:
        """Return the first day kept: events before it are deleted."""
        return self.as_of - timedelta(days=self.days)


def _dbt_as_of(root: Path) -> date:
    import yaml

    project = yaml.safe_load((root / "dbt_project.yml").read_text(encoding="utf-8"))
    value = (project.get("vars") or {}).get("as_of_date")
    if not value:
        raise RetentionSettingError("dbt_project.yml has no var as_of_date to count retention from")
    return date.fromisoformat(str(value))


def load_retention(root: Path) -> Retention | None:
    """Read the retention settings; None when events are kept forever."""
    import dlt

    days = dlt.config.get("gtm.privacy.retention_days", int)
    if days is None or days == 0:
        return None
    if isinstance(days, bool) or not isinstance(days, int) or days < 0:
        raise RetentionSettingError(
            f"setting gtm.privacy.retention_days must be a whole number of days >= 0, got {days!r}"
        )
    configured = dlt.config.get("gtm.privacy.retention_as_of", str)
    try:
        as_of = date.fromisoformat(configured) if configured else _dbt_as_of(root)
    except ValueError:
        raise RetentionSettingError(
            f"setting gtm.privacy.retention_as_of must be a date (YYYY-MM-DD), got {configured!r}"
        ) from None
    return Retention(days, as_of)


def purge_expired(con: duckdb.DuckDBPyConnection, retention: Retention) -> dict[str, int]:
    """Delete event rows older than the horizon; return rows removed per table."""
    removed: dict[str, int] = {}
    for schema, table, column in EVENT_TABLES:
        exists = con.execute(
            "select count(*) from information_schema.columns "
            "where table_schema = ? and table_name = ? and column_name = ?",
            [schema, table, column],
        ).fetchone()
        if not exists or not exists[0]:
            continue
        deleted = con.execute(
            f'delete from "{schema}"."{table}" where cast("{column}" as date) < ?',
            [retention.cutoff],
        ).fetchone()
        if deleted and deleted[0]:
            removed[f"{schema}.{table}"] = int(deleted[0])
    return removed
