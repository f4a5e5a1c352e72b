"""`gtm run` reads at a glance: progress and a short summary, the full logs in files.

On the scratch project of run_support (one fake source, two tiny models, one accepted-values test
that `THING_ID` makes fail), so each run takes seconds.
"""

import io
import logging

import pytest
from run_support import FakeSource, make_project, register
from typer.testing import CliRunner

from gtm import cli
from gtm.ops import logs

runner = CliRunner()
FAILING = "accepted_values_dim_things_thing_id__1"
MESSAGE = "Got 1 result, configured to fail if != 0"


@pytest.fixture
def project(tmp_path, monkeypatch):
    root = make_project(tmp_path / "project")
    monkeypatch.chdir(root)
    monkeypatch.setenv("GTM_DUCKDB_PATH", str(root / "warehouse.duckdb"))
    monkeypatch.setenv("GTM__ALERTS__WEBHOOK_URL", "")
    monkeypatch.delenv("DLT_PROJECT_DIR", raising=False)
    monkeypatch.delenv("DBT_TARGET_PATH", raising=False)
    monkeypatch.delenv("GTM__PUBLISH__PATH", raising=False)
    register(monkeypatch, FakeSource())
    return root


def test_a_run_prints_a_short_summary_naming_the_failing_test(project, monkeypatch):
    monkeypatch.setenv("THING_ID", "2")
    result = runner.invoke(cli.app, ["run", "--live"])
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert len(lines) <= 30, result.output
    assert f"FAIL {FAILING}: {MESSAGE}" in lines
    assert "Running with dbt=" not in result.output
    assert "Full logs: logs (dbt.log, gtm_run.log); --verbose streams them." in lines
    assert "Not published (the build has failing nodes): nothing has been published yet." in lines
    # The full stream is in dbt's own log file.
    dbt_log = (project / "logs" / "dbt.log").read_text()
    assert "Running with dbt=" in dbt_log
    assert FAILING in dbt_log


def test_verbose_brings_back_dbts_log(project, monkeypatch):
    monkeypatch.setenv("THING_ID", "1")
    verbose = runner.invoke(cli.app, ["run", "--live", "--verbose"])
    assert verbose.exit_code == 0, verbose.output
    assert "Running with dbt=" in verbose.output
    assert "OK created sql table model marts.dim_things" in verbose.output
    assert "Loaded fake in" in verbose.output
    assert "Published 2 mart tables for BI: marts.duckdb" in verbose.output.splitlines()


def test_dlt_schema_hint_warnings_go_to_the_file_only(tmp_path):
    dlt_logger = logging.getLogger("dlt")
    shown = io.StringIO()
    console = logging.StreamHandler(shown)
    dlt_logger.addHandler(console)
    hint = (
        "In resource: ad_accounts, when merging arrow schema with dlt schema, several column hints "
        "were different. dlt schema hints were kept and arrow schema and data were unmodified."
    )
    try:
        with logs.dlt_logs_to_file(tmp_path / "gtm_run.log") as path:
            dlt_logger.warning(hint)
            dlt_logger.warning("the API answered 429; retrying in 2 s")
        dlt_logger.warning("after the run")
    finally:
        dlt_logger.removeHandler(console)
    assert shown.getvalue().splitlines() == [
        "the API answered 429; retrying in 2 s",
        "after the run",
    ]
    written = path.read_text()
    assert hint in written
    assert "the API answered 429; retrying in 2 s" in written
    assert "after the run" not in written


def test_the_summary_names_warning_tests_and_caps_long_lists(capsys):
    from datetime import UTC, datetime

    from gtm import console
    from gtm.ops.dbt import DbtSummary
    from gtm.ops.report import RunReport

    warned = {
        "unique_id": "test.gtm_warehouse.assert_spend_is_recent.1a2b",
        "status": "warn",
        "message": "Got 3 results, configured to warn if != 0",
        "failures": 3,
    }
    change = {"kind": "new_table", "schema": "raw_hubspot", "table": "t"}
    report = RunReport(
        run_id="r1",
        started_at=datetime(2026, 7, 1, tzinfo=UTC),
        mode="demo",
        warehouse="warehouse.duckdb",
        status="success",
        dbt=DbtSummary(True, {"test": {"pass": 5, "warn": 1}}, 1.0, [], [warned]),
        schema_changes=[change | {"table": f"t{n}"} for n in range(25)],
    )
    console.print_run(report, None)
    lines = capsys.readouterr().out.splitlines()
    assert "dbt: test: 5 pass, 1 warn" in lines
    assert "WARN assert_spend_is_recent: Got 3 results, configured to warn if != 0" in lines
    assert [line for line in lines if line.startswith("Schema change")] == [
        *(f"Schema change: new table raw_hubspot.t{n}" for n in range(10)),
        "Schema change: ... and 15 more (see the report file)",
    ]
    assert len(lines) < 30
