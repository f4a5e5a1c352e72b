"""Ctrl-C during `gtm run`: exit 130 with one clear line, recorded as interrupted, no alert."""

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from run_support import Receiver, make_project, query, read_report, run_env

TESTS = Path(__file__).resolve().parents[1] / "support"

RUN_CHILD = """
import sys
sys.path.insert(0, sys.argv[1])
from run_support import FakeSource
from gtm import cli, sources
sources.SOURCES = {"fake": sources.SourceSpec("fake", None, FakeSource().load)}
cli.main(["run", "--live"])
"""


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.stop()


def test_ctrl_c_during_the_build_is_recorded_as_interrupted(tmp_path, receiver):
    root = make_project(tmp_path / "project", slow=True)
    warehouse = root / "warehouse.duckdb"
    marker = tmp_path / "building"
    env = run_env(
        warehouse,
        GTM_TEST_SLOW=str(marker),
        # dbt cancels its queries at once but waits for Python work that is running: the slow
        # model sleeps 15 s, then dbt stops and the run records the interruption.
        GTM_TEST_SLOW_SECONDS="15",
        GTM__ALERTS__WEBHOOK_URL=receiver.url,
    )
    child = subprocess.Popen(
        [sys.executable, "-c", RUN_CHILD, str(TESTS)],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # As in a terminal: a job started in the background may inherit SIGINT ignored.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 240
    while not marker.exists():
        assert child.poll() is None, child.communicate()
        assert time.monotonic() < deadline, "the build never reached the slow model"
        time.sleep(0.2)
    child.send_signal(signal.SIGINT)
    _out, err = child.communicate(timeout=120)
    assert child.returncode == 130, err
    report = read_report(root)
    assert err.strip().splitlines()[-1] == (
        f"error: interrupted (Ctrl-C): run {report['run_id']} is recorded as interrupted in "
        "ops.run_history; nothing was published and no alert was sent"
    )
    assert "Traceback" not in err
    assert report["status"] == "interrupted"
    assert report["alert"] == {"kinds": [], "sent": False, "reason": "the run was interrupted"}
    assert report["ingest"]["fake"]["status"] == "loaded"
    assert query(warehouse, "select status, published from ops.run_history") == [
        ("interrupted", False)
    ]
    assert receiver.messages == []
    assert not (root / "marts.duckdb").exists()
