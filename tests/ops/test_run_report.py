"""`gtm run` for real: every demo source loaded concurrently, figures measured, history kept.

Two runs of the scale-0.1 world into one warehouse (the scratch dbt project keeps the build
small). During the second run a BI reader holds the published file open and a third `gtm run`
tries to start: it must refuse at once, naming the running one.
"""

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from run_support import BIN, Reader, make_project, query, run_env

from gtm import cli, sources
from gtm.ops import anomalies, lock, publish
from gtm.ops.settings import RunSettings


@dataclass
class Runs:
    root: Path
    warehouse: Path
    first: dict
    second: dict
    raw_after_first: dict[tuple[str, str], int]
    contender: subprocess.CompletedProcess
    contender_seconds: float
    second_pid: int
    second_still_running: bool
    reader_during: str
    reader_after: str


def raw_counts(path: Path) -> dict[tuple[str, str], int]:
    with duckdb.connect(str(path), read_only=True) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema like 'raw_%' and table_schema not like '%_staging' "
            "and table_name not like '\\_dlt%' escape '\\'"
        ).fetchall()
        return {
            (schema, table): con.execute(f'select count(*) from {schema}."{table}"').fetchone()[0]
            for schema, table in tables
        }


@pytest.fixture(scope="module")
def two_runs(world_small, tmp_path_factory):
    root = make_project(tmp_path_factory.mktemp("run") / "project")
    warehouse = root / "warehouse.duckdb"
    env = run_env(warehouse)
    command = [str(BIN / "gtm"), "run", "--world", str(world_small)]
    report_file = root / "target" / "gtm_run_report.json"

    first = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True)
    # Nothing changes between the runs, so the next ones must be told to build and publish again.
    command.append("--full-refresh")
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    first_report = json.loads(report_file.read_text())
    raw_after_first = raw_counts(warehouse)

    reader = Reader(root / "marts.duckdb")
    try:
        second = subprocess.Popen(
            command, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        lock_file = lock.lock_path(warehouse)
        deadline = time.monotonic() + 60
        while str(second.pid) not in (lock_file.read_text() if lock_file.exists() else ""):
            assert time.monotonic() < deadline, "the second run never took the lock"
            time.sleep(0.05)
        started = time.monotonic()
        contender = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True)
        contender_seconds = time.monotonic() - started
        still_running = second.poll() is None
        output, _ = second.communicate(timeout=600)
        assert second.returncode == 0, output[-4000:]
        query = f"select run_id from {publish.INFO_TABLE}"
        reader_during = reader.query(query)
    finally:
        reader.close()
    after = Reader(root / "marts.duckdb")
    try:
        reader_after = after.query(query)
    finally:
        after.close()
    return Runs(
        root=root,
        warehouse=warehouse,
        first=first_report,
        second=json.loads(report_file.read_text()),
        raw_after_first=raw_after_first,
        contender=contender,
        contender_seconds=contender_seconds,
        second_pid=second.pid,
        second_still_running=still_running,
        reader_during=reader_during,
        reader_after=reader_after,
    )


def reported_raw(report: dict) -> dict[tuple[str, str], dict[str, int]]:
    return {
        (f"raw_{source}", table): counts
        for source, result in report["ingest"].items()
        for table, counts in result["tables"].items()
    }


def test_first_run_reports_every_raw_table_with_the_rows_it_holds(two_runs):
    report = two_runs.first
    assert report["status"] == "success"
    assert sorted(report["ingest"]) == sorted(sources.SOURCES)
    assert {result["status"] for result in report["ingest"].values()} == {"loaded"}
    tables = reported_raw(report)
    assert {key: counts["rows_in_raw"] for key, counts in tables.items()} == (
        two_runs.raw_after_first
    )
    # A first load: everything in raw is new, and dlt extracted at least that much (merges
    # collapse duplicates, e.g. merged HubSpot contacts).
    for counts in tables.values():
        assert counts["loaded"] == counts["rows_in_raw"]
        assert counts["extracted"] >= counts["loaded"]
    assert sum(c["loaded"] for c in tables.values()) == sum(two_runs.raw_after_first.values())
    assert report["schema_changes"] == []
    assert report["anomalies"] == []
    assert [stage["stage"] for stage in report["stages"]] == [
        "generate",
        "ingest",
        "build",
        "publish",
    ]
    assert report["dbt"] == {
        "success": True,
        "counts": {"model": {"success": 2}, "test": {"pass": 1}},
        "failures": [],
        "warnings": [],
    }


def test_sources_load_concurrently(two_runs):
    loads = two_runs.first["ingest"].values()
    starts = [datetime.fromisoformat(load["started_at"]) for load in loads]
    ends = [datetime.fromisoformat(load["finished_at"]) for load in loads]
    assert max(starts) < min(ends)


def test_second_run_reports_the_rows_it_added(two_runs):
    second = reported_raw(two_runs.second)
    now = raw_counts(two_runs.warehouse)
    assert {key: counts["rows_in_raw"] for key, counts in second.items()} == now
    for key, counts in second.items():
        assert counts["loaded"] == now[key] - two_runs.raw_after_first.get(key, 0)


def test_unchanged_demo_runs_raise_no_anomaly(two_runs):
    # The demo world does not change between runs: four runs like the second after the first
    # full load are a steady state, and the first load is no baseline for them.
    second = two_runs.second
    assert second["anomalies"] == []
    history = [second] * 4 + [two_runs.first]  # newest first
    assert anomalies.anomalies(second["ingest"], history, RunSettings()) == []
    assert (
        anomalies.anomalies(second["ingest"], history[-2:], RunSettings(anomaly_min_runs=1)) == []
    )


def test_every_report_is_in_the_run_history(two_runs):
    rows = query(
        two_runs.warehouse,
        "select run_id, status, rows_loaded, published, report "
        "from ops.run_history order by started_at",
    )
    assert [row[0] for row in rows] == [two_runs.first["run_id"], two_runs.second["run_id"]]
    for (_run_id, status, rows_loaded, published, stored), report in zip(
        rows, (two_runs.first, two_runs.second), strict=True
    ):
        assert json.loads(stored) == report
        assert status == report["status"] == "success"
        assert rows_loaded == sum(c["loaded"] for c in reported_raw(report).values())
        assert published is True


def test_a_second_run_refuses_at_once_naming_the_first(two_runs):
    contender = two_runs.contender
    assert contender.returncode == cli.LOCK_HELD_EXIT
    assert two_runs.second_still_running
    lines = contender.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: another gtm process is already using ")
    assert f"pid {two_runs.second_pid}, `gtm run` started 20" in lines[0]
    assert contender.stdout == ""


def test_a_reader_holding_the_published_file_is_never_blocked(two_runs):
    assert two_runs.reader_during == repr([(two_runs.first["run_id"],)])
    assert two_runs.reader_after == repr([(two_runs.second["run_id"],)])


def test_the_lock_of_a_dead_holder_does_not_block(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from gtm.ops.lock import RunLock; "
            "RunLock(Path(sys.argv[1]), 'holder').acquire(); print('held', flush=True); "
            "time.sleep(60)",
            str(warehouse),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "held"
    with pytest.raises(lock.LockHeld, match=f"pid {holder.pid}, `holder` started 20"):
        lock.RunLock(warehouse).acquire()
    holder.kill()
    holder.wait(timeout=10)
    with lock.RunLock(warehouse, "after"):
        assert json.loads(lock.lock_path(warehouse).read_text())["pid"] == os.getpid()
