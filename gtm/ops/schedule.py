"""`gtm run --due`: which sources are due under their cadence, judged from the run history."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from gtm.ops.settings import DEFAULT_CADENCE_HOURS, RunSettings


def _last_loaded(history: Iterable[Mapping[str, Any]], source: str) -> datetime | None:
    for run in history:
        if run.get("ingest", {}).get(source, {}).get("status") == "loaded":
            return datetime.fromisoformat(run["started_at"])
    return None


def due_sources(
    names: Sequence[str],
    history: Sequence[Mapping[str, Any]],
    settings: RunSettings,
    now: datetime,
) -> dict[str, str]:
    """Which of `names` are due under their cadence; maps each name to 'due' or why it is not."""
    grace = timedelta(minutes=settings.grace_minutes)
    out: dict[str, str] = {}
    for name in names:
        hours = settings.cadence_hours.get(name, DEFAULT_CADENCE_HOURS)
        last = _last_loaded(history, name)
        if last is None or now - last >= timedelta(hours=hours) - grace:
            out[name] = "due"
        else:
            out[name] = f"not due: loaded {last.isoformat(timespec='minutes')}, every {hours:g} h"
    return out
