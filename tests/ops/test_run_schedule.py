"""`gtm run --due`: each source loads on its own cadence, judged from the run history."""

from datetime import UTC, datetime, timedelta

import pytest

from gtm.ops import anomalies, schedule
from gtm.ops.settings import RunSettings

NOW = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
SETTINGS = RunSettings(
    cadence_hours={"salesforce": 6, "hubspot": 2, "google_ads": 24}, grace_minutes=30
)


def run_at(hours_ago: float, **statuses: str) -> dict:
    started = NOW - timedelta(hours=hours_ago)
    return {
        "started_at": started.isoformat(),
        "ingest": {name: {"status": status} for name, status in statuses.items()},
    }


def test_each_source_is_due_after_its_own_cadence():
    history = [  # newest first, as read_history returns it
        run_at(1.2, hubspot="loaded", salesforce="skipped", google_ads="skipped"),
        run_at(5.6, hubspot="loaded", salesforce="loaded", google_ads="skipped"),
        run_at(20, hubspot="loaded", salesforce="loaded", google_ads="loaded"),
    ]
    decisions = schedule.due_sources(
        ["salesforce", "hubspot", "google_ads", "linkedin_ads"], history, SETTINGS, NOW
    )
    assert decisions["salesforce"] == "due"  # 5.6 h ago, every 6 h, within the 30 min grace
    assert decisions["hubspot"].startswith("not due: loaded 2026-07-01T10:48")  # 1.2 h < 2 h - 30 m
    assert decisions["google_ads"].startswith("not due")  # 20 h < 24 h
    assert decisions["linkedin_ads"] == "due"  # never loaded


def test_a_failed_load_does_not_count_as_loaded():
    history = [run_at(1, hubspot="failed"), run_at(3, hubspot="loaded")]
    assert schedule.due_sources(["hubspot"], history, SETTINGS, NOW) == {"hubspot": "due"}


@pytest.mark.parametrize(
    ("past", "new", "expected"),
    [
        ([10, 10, 10], 12, None),  # +20% is not more than 20%
        ([10, 10, 10], 13, 0.3),
        ([10, 10, 10], 7, 0.3),
        ([0, 0, 0], 0, None),
        ([10, 10], 100, None),  # only two earlier runs: no verdict yet
    ],
)
def test_anomalies_compare_new_rows_with_recent_runs(past, new, expected):
    def ingest(rows):
        return {"hubspot": {"status": "loaded", "tables": {"contacts": {"loaded": rows}}}}

    history = [{"ingest": ingest(rows)} for rows in past]
    # no absolute floor here: these check the relative threshold alone
    found = anomalies.anomalies(ingest(new), history, RunSettings(anomaly_min_rows=0))
    if expected is None:
        assert found == []
    else:
        [anomaly] = found
        assert (anomaly["table"], anomaly["new_rows"], anomaly["deviation"]) == (
            "contacts",
            new,
            expected,
        )
        assert anomaly["baseline"] == 10.0


def test_the_anomaly_window_keeps_only_recent_runs():
    history = [
        {"ingest": {"s": {"status": "loaded", "tables": {"t": {"loaded": rows}}}}}
        for rows in [100, 100, 100, 1, 1, 1]  # newest first
    ]
    current = {"s": {"status": "loaded", "tables": {"t": {"loaded": 100}}}}
    settings = RunSettings(anomaly_window=3)
    assert anomalies.anomalies(current, history, settings) == []
    assert (
        anomalies.anomalies(current, history, RunSettings(anomaly_window=6))[0]["baseline"] == 50.5
    )


def test_run_due_skips_what_is_not_due(tmp_path, monkeypatch):
    from run_support import FakeSource, make_project, query, read_report, register
    from typer.testing import CliRunner

    from gtm import cli, sources

    root = make_project(tmp_path / "project")
    monkeypatch.chdir(root)
    monkeypatch.setenv("GTM_DUCKDB_PATH", str(root / "warehouse.duckdb"))
    monkeypatch.setenv("GTM__ALERTS__WEBHOOK_URL", "")
    monkeypatch.setenv("GTM__SCHEDULE__FAKE", "6")
    for name in ("DLT_PROJECT_DIR", "DBT_TARGET_PATH", "GTM__PUBLISH__PATH", "THING_ID"):
        monkeypatch.delenv(name, raising=False)
    register(monkeypatch, FakeSource())
    broken = sources.SourceSpec("broken", None, FakeSource(fail=True).load)
    monkeypatch.setitem(sources.SOURCES, "broken", broken)
    monkeypatch.setenv("GTM__RUN__SOURCES", '["fake"]')  # `broken` is registered, not configured
    runner = CliRunner()
    first = runner.invoke(cli.app, ["run", "--live", "--due"])
    assert first.exit_code == 0, first.output
    assert sorted(read_report(root)["ingest"]) == ["fake"]
    second = runner.invoke(cli.app, ["run", "--live", "--due"])
    assert second.exit_code == 0, second.output
    assert "No source is due: nothing to ingest or build." in second.output
    assert "fake: not due: loaded 20" in second.output
    assert ", every 6 h" in second.output
    assert query(root / "warehouse.duckdb", "select count(*) from ops.run_history") == [(1,)]


def test_an_unknown_configured_source_is_refused(tmp_path, monkeypatch):
    from run_support import make_project
    from typer.testing import CliRunner

    from gtm import cli

    monkeypatch.chdir(make_project(tmp_path / "project"))
    monkeypatch.setenv("GTM_DUCKDB_PATH", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("GTM__RUN__SOURCES", '["salesforce", "hubspott"]')
    monkeypatch.delenv("DLT_PROJECT_DIR", raising=False)
    result = CliRunner().invoke(cli.app, ["run", "--live"])
    assert result.exit_code == 2
    assert "unknown source 'hubspott'" in result.output
    assert not (tmp_path / "warehouse.duckdb").exists()
