"""The bundled dashboard: one static, self-contained HTML file built from the published marts.

`build_dashboard` reads the published file only (never the warehouse), checks it (`data`), draws
each page (`pages`, `figures`) and writes one HTML file with plotly.js inlined (`render`), which
opens offline from disk, as a CI artifact or on any static host. `gtm run` builds it after each
publish; `gtm dashboard` builds it on its own.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from gtm import project

DASHBOARD_DIR = "dashboard"
DASHBOARD_FILE = "index.html"
DEFAULT_MAX_AGE_DAYS = 7
"""`gtm dashboard` refuses a publish older than this many days unless told otherwise."""


@dataclass(frozen=True)
class Dashboard:
    """What a build wrote: the file, its size, the publish it shows, and how long it took."""

    path: Path
    bytes: int
    run_id: str
    published_at: datetime
    pages: tuple[str, ...]
    seconds: float


def dashboard_path(root: Path, warehouse: Path) -> Path:
    """Return where the dashboard of `warehouse`'s publish goes: its target folder's dashboard/."""
    return project.target_dir(root, warehouse) / DASHBOARD_DIR / DASHBOARD_FILE


def build_dashboard(
    published: Path,
    out: Path,
    *,
    max_age: timedelta | None = None,
    now: datetime | None = None,
) -> Dashboard:
    """Build the dashboard of the published file `published` into `out`; return what was written.

    Raises `DashboardInputError` (one line) when the file is missing, empty, not a gtm publish,
    older than `max_age`, or lacks a mart column the dashboard reads.
    """
    from gtm.dashboard import data, pages
    from gtm.dashboard import formatting as fmt
    from gtm.dashboard.render import render

    started = time.perf_counter()
    with data.open_published(published) as source:
        info = source.info()
        data.check_fresh(info, published, max_age, now or datetime.now(UTC))
        source.check_columns()
        currency = source.currency()
        built = [
            pages.overview(source, currency),
            pages.attribution(source, currency),
            pages.campaigns(source, currency),
            pages.funnel(source),
            pages.lead_scoring(source),
            pages.data_health(source),
        ]
        as_of = source.as_of()
        months = source.month_range()
        facts = {
            "run_id": info.run_id,
            "published_at": info.published_at.isoformat(),
            "as_of": as_of,
            "currency": currency,
            "attribution_model": source.roi_model(),
        }
    meta = (
        (f"Data as of {as_of:%-d %b %Y}" if as_of else "Data")
        + (f" · {fmt.month_span(*months)} · {currency}" if months else f" · {currency}")
        + f" · published by run {info.run_id} at {info.published_at:%Y-%m-%d %H:%M} UTC"
    )
    document = render("Go-to-market dashboard", meta, built, facts)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.tmp")
    partial.write_text(document, encoding="utf-8")
    os.replace(partial, out)
    return Dashboard(
        out,
        out.stat().st_size,
        info.run_id,
        info.published_at,
        tuple(page.key for page in built),
        time.perf_counter() - started,
    )
