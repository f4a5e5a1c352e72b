"""The dashboard's bad input, its health tables and the run's hook, on the session's publish.

No published file, an empty or stale one, one not written by gtm, a mart missing a column or rows:
`gtm dashboard` says so in one line and exits non-zero. A chart whose data has no rows says "no
data for this period". The publish's schema `ops` holds exactly what the warehouse and dbt said.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from dashboard_support import RUN_ID
from typer.testing import CliRunner

from gtm import cli
from gtm.dashboard import build_dashboard
from gtm.dashboard.data import DashboardInputError
from gtm.dashboard.render import NO_DATA
from gtm.ops import run
from gtm.ops.report import RunReport

runner = CliRunner()


def copy_of(published: Path, tmp_path: Path, *statements: str) -> Path:
    path = tmp_path / "marts.duckdb"
    shutil.copy(published, path)
    with duckdb.connect(str(path)) as con:
        for statement in statements:
            con.execute(statement)
    return path


def dashboard_cli(published: Path, tmp_path: Path, *extra: str):
    return runner.invoke(
        cli.app,
        ["dashboard", "--published", str(published), "--out", str(tmp_path / "d.html"), *extra],
    )


def one_line(result) -> str:
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    return lines[0]


@pytest.mark.parametrize(
    ("statements", "expected"),
    [
        (
            ["alter table rpt_marketing_roi drop column won_revenue"],
            "mart rpt_marketing_roi in {path} lacks column won_revenue that the dashboard reads",
        ),
        (["drop table fct_lead_scores"], "{path} has no mart fct_lead_scores"),
        (["delete from rpt_marketing_roi"], "{path} is empty: rpt_marketing_roi has no rows"),
        (["drop table gtm_publish_info"], "{path} is not a gtm publish"),
    ],
    ids=["missing-column", "missing-mart", "empty-mart", "not-a-publish"],
)
def test_a_bad_publish_is_one_line_and_exit_1(published_marts, tmp_path, statements, expected):
    path = copy_of(published_marts.path, tmp_path, *statements)
    result = dashboard_cli(path, tmp_path, "--max-age-days", "0")
    assert result.exit_code == 1
    assert expected.format(path=path) in one_line(result)
    assert not (tmp_path / "d.html").exists()


def test_missing_and_empty_files(tmp_path):
    missing = tmp_path / "nothing.duckdb"
    result = dashboard_cli(missing, tmp_path)
    assert result.exit_code == 1
    assert f"no published marts at {missing}: run `gtm run` first" in one_line(result)
    empty = tmp_path / "empty.duckdb"
    empty.touch()
    result = dashboard_cli(empty, tmp_path)
    assert result.exit_code == 1
    assert f"the published file {empty} is empty (0 bytes)" in one_line(result)
    garbage = tmp_path / "garbage.duckdb"
    garbage.write_text("not a database")
    result = dashboard_cli(garbage, tmp_path)
    assert result.exit_code == 1
    assert f"cannot open the published file {garbage}" in one_line(result)


def test_a_stale_publish_is_refused(published_marts, tmp_path):
    path = copy_of(
        published_marts.path,
        tmp_path,
        "update gtm_publish_info set published_at = timestamptz '2026-07-01 06:00:00+00'",
    )
    eight_days = datetime(2026, 7, 9, 6, 0, 1, tzinfo=UTC)
    with pytest.raises(DashboardInputError) as raised:
        build_dashboard(path, tmp_path / "d.html", max_age=timedelta(days=7), now=eight_days)
    assert str(raised.value) == (
        f"the published file {path} is stale: run {RUN_ID} published it 2026-07-01 06:00 UTC, "
        "8 day(s) ago, more than the 7 day(s) allowed (--max-age-days); run `gtm run` to "
        "refresh it"
    )
    build_dashboard(path, tmp_path / "d.html", max_age=timedelta(days=9), now=eight_days)
    result = dashboard_cli(path, tmp_path)  # the CLI's default: 7 days before the clock
    assert result.exit_code == 1
    assert "is stale" in one_line(result)
    assert dashboard_cli(path, tmp_path, "--max-age-days", "0").exit_code == 0


def test_a_chart_without_rows_says_no_data(published_marts, tmp_path):
    path = copy_of(
        published_marts.path,
        tmp_path,
        "delete from rpt_lead_score_evaluation",
        "delete from fct_opportunities",
    )
    built = build_dashboard(path, tmp_path / "d.html")
    page = built.path.read_text(encoding="utf-8")
    for chart_id in ("scoring-lift", "scoring-calibration", "funnel-cycle"):
        assert f'<div class="no-data" id="{chart_id}">{NO_DATA}</div>' in page
    assert 'data-chart="scoring-lift"' not in page
    assert 'data-chart="overview-trend"' in page


def test_the_page_is_self_contained(dashboard):
    page = dashboard.path.read_text(encoding="utf-8")
    assert "<script src" not in page and "<link" not in page
    assert page.count("* plotly.js v") == 1  # the library inlined, once
    assert page.count('<script type="application/json" class="figure">') == 17
    facts = json.loads(page.split('id="dashboard-facts">')[1].split("</script>")[0])
    assert facts["run_id"] == RUN_ID
    assert facts["currency"] == "USD"
    assert facts["as_of"] == "2026-06-30"
    assert facts["attribution_model"] == "data_driven"


def test_the_publish_carries_the_runs_health(published_marts):
    path, warehouse = published_marts.path, published_marts.warehouse
    with duckdb.connect(str(path), read_only=True) as con:
        tables = con.execute(
            "select table_name from information_schema.tables where table_schema = 'ops' "
            "order by table_name"
        ).fetchall()
        assert [t for (t,) in tables] == [
            "anomalies",
            "quarantined_records",
            "run_history",
            "schema_changes",
            "source_loads",
            "test_results",
        ]
        by_reason = con.execute(
            "select reason, sum(records) from ops.quarantined_records group by reason "
            "order by reason"
        ).fetchall()
        tests = con.execute(
            "select status, count(*) from ops.test_results group by status order by status"
        ).fetchall()
        history = con.execute("select run_id, status, published from ops.run_history").fetchall()
        loads = con.execute(
            "select source, rows_loaded, rows_in_raw from ops.source_loads order by source"
        ).fetchall()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        expected = con.execute(
            "select reason, count(*) from int_records_quarantined group by reason order by reason"
        ).fetchall()
    assert [(r, int(n)) for r, n in by_reason] == expected
    results = json.loads(published_marts.results_file.read_text())["results"]
    counted: dict[str, int] = {}
    for result in results:
        if result["unique_id"].startswith(("test.", "unit_test.")):
            counted[result["status"]] = counted.get(result["status"], 0) + 1
    assert dict(tests) == counted
    assert history == [(RUN_ID, "published", True)]
    report = published_marts.report["ingest"]
    assert loads == [
        (
            source,
            sum(t["loaded"] for t in report[source]["tables"].values()),
            sum(t["rows_in_raw"] for t in report[source]["tables"].values()),
        )
        for source in sorted(report)
    ]


def test_the_run_builds_the_dashboard_after_a_publish(published_marts, tmp_path, monkeypatch):
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    report = RunReport(RUN_ID, datetime(2026, 7, 1, tzinfo=UTC), "demo", "w.duckdb")
    run._dashboard_stage(tmp_path, tmp_path / "w.duckdb", report, published_marts.path)
    path = tmp_path / "target" / "dashboard" / "index.html"
    assert report.to_json()["dashboard"] == {"path": str(path), "built": True}
    assert path.stat().st_size > 1_000_000
    assert [stage.stage for stage in report.stages] == ["dashboard"]
    broken = RunReport(RUN_ID, datetime(2026, 7, 1, tzinfo=UTC), "demo", "w.duckdb")
    run._dashboard_stage(tmp_path, tmp_path / "w.duckdb", broken, tmp_path / "none.duckdb")
    assert broken.to_json()["dashboard"] == {
        "path": str(path),
        "built": False,
        "error": f"no published marts at {tmp_path / 'none.duckdb'}: run `gtm run` first "
        "(it publishes after a tested build)",
    }
    assert broken.errors == [] and broken.stages == []
