"""Row-count anomalies: a table whose new rows differ from its recent incremental loads.

The baseline is the mean of the rows the table gained in its last `anomaly_window` loads, counting
only incremental loads: a load into an empty table (the first full load, or a reload after the
table was dropped) brings the whole history and is not comparable, so it neither enters the
baseline nor is judged. A difference of fewer than `anomaly_min_rows` rows is never an anomaly,
so a steady state of a few rows (or none) per run raises nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from gtm.ops.settings import RunSettings


def is_full_load(counts: Mapping[str, Any]) -> bool:
    """Whether a table's load filled an empty table: every row in raw is new."""
    rows_in_raw = counts.get("rows_in_raw")
    return rows_in_raw is not None and rows_in_raw > 0 and counts.get("loaded") == rows_in_raw


def _past_loads(
    history: Sequence[Mapping[str, Any]], source: str, table: str, window: int
) -> list[int]:
    """Return the rows `table` gained in its last `window` incremental loads, newest first."""
    past = []
    for run in history:
        result = run.get("ingest", {}).get(source, {})
        if result.get("status") != "loaded":
            continue
        counts = (result.get("tables") or {}).get(table)
        if counts is None or is_full_load(counts):
            continue
        past.append(int(counts["loaded"]))
        if len(past) == window:
            break
    return past


def anomalies(
    ingest: Mapping[str, Any], history: Sequence[Mapping[str, Any]], settings: RunSettings
) -> list[dict[str, Any]]:
    """Tables whose new rows differ from the mean of their recent loads by more than the threshold.

    `ingest` maps each source to its result in this run and `history` holds earlier reports, newest
    first (both as stored in the report). A table needs `anomaly_min_runs` earlier incremental
    loads before it is judged; a baseline of zero is exceeded by any number of rows at or over the
    floor.
    """
    found: list[dict[str, Any]] = []
    for source, result in ingest.items():
        if result.get("status") != "loaded":
            continue
        for table, counts in (result.get("tables") or {}).items():
            if is_full_load(counts):
                continue
            past = _past_loads(history, source, table, settings.anomaly_window)
            if len(past) < settings.anomaly_min_runs:
                continue
            baseline = sum(past) / len(past)
            new = counts["loaded"]
            if abs(new - baseline) < max(settings.anomaly_min_rows, 1e-9):
                continue
            deviation = float("inf") if baseline == 0 else abs(new - baseline) / baseline
            if deviation > settings.anomaly_threshold:
                found.append(
                    {
                        "source": source,
                        "table": table,
                        "new_rows": new,
                        "baseline": round(baseline, 2),
                        "runs": len(past),
                        "deviation": None if deviation == float("inf") else round(deviation, 4),
                        "threshold": settings.anomaly_threshold,
                    }
                )
    return found
