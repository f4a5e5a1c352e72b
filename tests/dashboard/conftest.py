"""The published file the dashboard tests read: the session's built warehouse, published once.

The publish carries the run's health (schema `ops`) from a report made of what the warehouse
really holds: the rows in each raw schema, dbt's own run results of the build.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from dashboard_support import RUN_ID, run_report

from gtm.dashboard import Dashboard, build_dashboard
from gtm.ops import publish
from gtm.ops.health import RunHealth


@dataclass(frozen=True)
class PublishedMarts:
    """The warehouse, its published file, dbt's results file and the report published with it."""

    warehouse: Path
    path: Path
    results_file: Path
    report: dict


@pytest.fixture(scope="session")
def published_marts(built_warehouse, tmp_path_factory) -> PublishedMarts:
    """The built warehouse's marts published once, with the run's health."""
    results_file = built_warehouse.path.parent / "target" / "run_results.json"
    report = run_report(built_warehouse.path)
    target = tmp_path_factory.mktemp("published") / "marts.duckdb"
    publish.publish_marts(
        built_warehouse.path, target, RUN_ID, health=RunHealth(report, results_file)
    )
    return PublishedMarts(built_warehouse.path, target, results_file, report)


@pytest.fixture(scope="session")
def dashboard(published_marts, tmp_path_factory) -> Dashboard:
    """The dashboard of the published file, built once."""
    out = tmp_path_factory.mktemp("dashboard") / "index.html"
    return build_dashboard(published_marts.path, out)
