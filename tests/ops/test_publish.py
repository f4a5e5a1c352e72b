"""Write-audit-publish: BI reads a separate file that only a fully tested run replaces.

Three cases from the issue: a reader holding the published file open throughout runs, a run whose
tests fail, and runs killed midway (during the build, and during the publish itself).
"""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from run_support import (
    BIN,
    FakeSource,
    Reader,
    make_project,
    query,
    read_report,
    register,
    run_env,
)
from typer.testing import CliRunner

from gtm import cli
from gtm.ops import lock, publish

runner = CliRunner()
TESTS = Path(__file__).resolve().parents[1] / "support"


@pytest.fixture
def project(tmp_path, monkeypatch):
    root = make_project(tmp_path / "project")
    monkeypatch.chdir(root)
    monkeypatch.setenv("GTM_DUCKDB_PATH", str(root / "warehouse.duckdb"))
    monkeypatch.setenv("GTM__ALERTS__WEBHOOK_URL", "")
    monkeypatch.setenv("THING_ID", "1")
    monkeypatch.delenv("DLT_PROJECT_DIR", raising=False)
    monkeypatch.delenv("DBT_TARGET_PATH", raising=False)
    monkeypatch.delenv("GTM__PUBLISH__PATH", raising=False)
    register(monkeypatch, FakeSource())
    return root


@pytest.fixture(scope="session")
def duckdb_14(tmp_path_factory):
    """A DuckDB 1.4 client installed aside, as many BI drivers bundle one."""
    target = tmp_path_factory.mktemp("duckdb14")
    uv = BIN / "uv" if (BIN / "uv").exists() else shutil.which("uv")
    if uv is None:
        pytest.skip("cannot test with a DuckDB 1.x client: uv is not installed")
    installed = subprocess.run(
        [
            str(uv),
            "pip",
            "install",
            "--python",
            sys.executable,
            "--target",
            str(target),
            "duckdb==1.4.*",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if installed.returncode != 0:
        pytest.skip(f"cannot install duckdb 1.4 to test the published file: {installed.stderr}")
    return target


def run_id_of(path: Path) -> str:
    return query(path, f"select run_id from {publish.INFO_TABLE}")[0][0]


def test_failing_tests_keep_the_last_good_publish_while_a_reader_holds_it(
    project, monkeypatch, duckdb_14
):
    warehouse = project / "warehouse.duckdb"
    published = project / "marts.duckdb"

    first = runner.invoke(cli.app, ["run", "--live"])
    assert first.exit_code == 0, first.output
    good = read_report(project)
    assert good["publish"]["published"] is True
    assert good["publish"]["tables"] == {"dim_others": 1, "dim_things": 1}
    assert run_id_of(published) == good["run_id"]

    reader = Reader(published)
    try:
        assert reader.query("select thing_id from dim_things") == "[(1,)]"

        monkeypatch.setenv("THING_ID", "2")
        failed = runner.invoke(cli.app, ["run", "--live"])
        assert failed.exit_code == 1
        report = read_report(project)
        assert report["status"] == "failed"
        assert [f["unique_id"].split(".")[2] for f in report["dbt"]["failures"]] == [
            "accepted_values_dim_things_thing_id__1"
        ]
        assert report["publish"]["published"] is False
        assert report["publish"]["kept"]["run_id"] == good["run_id"]
        assert f"BI keeps the publish of run {good['run_id']}" in failed.output
        # The build wrote its own file; BI still sees the last good publish.
        assert query(warehouse, "select thing_id from marts.dim_things") == [(2,)]
        assert query(published, "select thing_id from dim_things") == [(1,)]
        assert reader.query("select thing_id from dim_things") == "[(1,)]"

        monkeypatch.setenv("THING_ID", "1")
        fixed = runner.invoke(cli.app, ["run", "--live"])
        assert fixed.exit_code == 0, fixed.output
        latest = read_report(project)
        assert latest["publish"]["published"] is True
        # The reader opened before all three runs keeps its snapshot; new readers see the new one.
        held = reader.query(f"select run_id from {publish.INFO_TABLE}")
        assert held == repr([(good["run_id"],)])
        assert run_id_of(published) == latest["run_id"]
    finally:
        reader.close()

    history = query(
        warehouse, "select status, tests_failed, published from ops.run_history order by started_at"
    )
    assert history == [("success", 0, True), ("failed", 1, False), ("success", 0, True)]
    leftovers = sorted(p.name for p in project.iterdir() if p.name.startswith(".marts"))
    assert leftovers == []

    # What a BI user types resolves one way only, and a DuckDB 1.x client opens the file.
    with duckdb.connect() as con:
        con.execute(f"attach '{published}' (read_only)")
        assert con.execute("select thing_id from marts.dim_things").fetchall() == [(1,)]
    old_client = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, duckdb; con = duckdb.connect(sys.argv[1], read_only=True); "
            "print(duckdb.__version__, con.execute('select thing_id from dim_things').fetchall())",
            str(published),
        ],
        env=os.environ | {"PYTHONPATH": str(duckdb_14)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert old_client.returncode == 0, old_client.stderr
    assert old_client.stdout.startswith("1.4.")
    assert old_client.stdout.strip().endswith("[(1,)]")


def test_the_publish_path_is_configurable(project, monkeypatch):
    monkeypatch.setenv("GTM__PUBLISH__PATH", "bi/gtm_marts.duckdb")
    result = runner.invoke(cli.app, ["run", "--live"])
    assert result.exit_code == 0, result.output
    assert query(project / "bi" / "gtm_marts.duckdb", "select other_id from dim_others") == [(7,)]
    assert not (project / "marts.duckdb").exists()


KILLED_PUBLISH = """
import os, signal, sys
from pathlib import Path
from gtm.ops import publish

def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

if sys.argv[3] == "copy":
    original, calls = publish._quote, []
    def quote(name):
        calls.append(name)
        if len(calls) == 2:  # the second table's copy begins: the first is already written
            die()
        return original(name)
    publish._quote = quote
else:
    publish.os.replace = die
publish.publish_marts(Path(sys.argv[1]), Path(sys.argv[2]), "killed")
sys.exit(3)
"""


@pytest.mark.parametrize("moment", ["copy", "rename"])
def test_a_publish_killed_midway_leaves_the_last_good_file(tmp_path, moment):
    warehouse = tmp_path / "warehouse.duckdb"
    target = tmp_path / "marts.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.fct_a as select range as a_id from range(1000)")
        con.execute("create table marts.fct_b as select range as b_id from range(10)")
    publish.publish_marts(warehouse, target, "good")
    reader = Reader(target)
    try:
        child = subprocess.run(
            [sys.executable, "-c", KILLED_PUBLISH, str(warehouse), str(target), moment],
            capture_output=True,
            text=True,
            check=False,
        )
        assert child.returncode == -signal.SIGKILL, child.stderr
        assert [p.name for p in tmp_path.glob(".marts.duckdb.*")]  # the half-written file
        assert run_id_of(target) == "good"
        assert query(target, "select count(*) from fct_a") == [(1000,)]
        assert reader.query("select count(*) from fct_b") == "[(10,)]"
        done = publish.publish_marts(warehouse, target, "next")
        assert done.tables == {"fct_a": 1000, "fct_b": 10}
        assert run_id_of(target) == "next"
        assert list(tmp_path.glob(".marts.duckdb.*")) == []
        assert reader.query(f"select run_id from {publish.INFO_TABLE}") == "[('good',)]"
    finally:
        reader.close()


RUN_CHILD = """
import sys
sys.path.insert(0, sys.argv[1])
from run_support import FakeSource
from gtm import cli, sources
sources.SOURCES = {"fake": sources.SourceSpec("fake", None, FakeSource().load)}
cli.main(["run", "--live"])
"""


def test_a_run_killed_during_the_build_keeps_the_publish_and_the_lock_frees(tmp_path, monkeypatch):
    root = make_project(tmp_path / "project", slow=True)
    warehouse = root / "warehouse.duckdb"
    published = root / "marts.duckdb"
    with duckdb.connect(str(warehouse)) as con:  # a last good publish to keep
        con.execute("create schema marts")
        con.execute("create table marts.dim_things as select 1 as thing_id")
    publish.publish_marts(warehouse, published, "good")

    marker = tmp_path / "building"
    env = run_env(warehouse, GTM_TEST_SLOW=str(marker))
    killed = subprocess.Popen(
        [sys.executable, "-c", RUN_CHILD, str(TESTS)],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 240
    while not marker.exists():
        assert killed.poll() is None, killed.stderr.read()
        assert time.monotonic() < deadline, "the build never reached the slow model"
        time.sleep(0.2)
    killed.send_signal(signal.SIGKILL)
    killed.wait(timeout=30)
    assert run_id_of(published) == "good"

    with lock.RunLock(warehouse, "test"):  # the dead run's lock did not outlive it
        pass
    monkeypatch.chdir(root)
    monkeypatch.setenv("GTM_DUCKDB_PATH", str(warehouse))
    monkeypatch.setenv("GTM__ALERTS__WEBHOOK_URL", "")
    monkeypatch.delenv("DLT_PROJECT_DIR", raising=False)
    monkeypatch.delenv("DBT_TARGET_PATH", raising=False)
    monkeypatch.delenv("GTM__PUBLISH__PATH", raising=False)
    register(monkeypatch, FakeSource())
    again = runner.invoke(cli.app, ["run", "--live"])
    assert again.exit_code == 0, again.output
    assert query(warehouse, "select status from ops.run_history") == [("success",)]
    assert run_id_of(published) == read_report(root)["run_id"]
    assert query(published, "select slow_id from slow_things") == [(1,)]
    # the killed run had loaded its rows; the rerun appended its own
    assert query(warehouse, "select count(*) from raw_fake.things") == [(20,)]
