"""Killed with SIGKILL during extract and during load, then run again: nothing lost or doubled."""

from __future__ import annotations

import importlib
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from ingest_child import FAST
from ingest_support import ROOT, assert_same_raw, load, raw_tables

from gtm.sources import SOURCES
from gtm_demo.settings import demo_source

END = datetime(2026, 6, 30, tzinfo=UTC)
CHILD = Path(__file__).resolve().parents[1] / "support" / "ingest_child.py"


def _source(name: str, url: str, world: Path):
    return demo_source(name, url, world, **FAST.get(name, ({}, {}))[1])


@pytest.fixture(scope="module", params=sorted(SOURCES))
def served(request, world_small, tmp_path_factory):
    name = request.param
    server = importlib.import_module(f"gtm_demo.servers.{name}")
    handle = server.start(world_small, moment=END, **FAST.get(name, ({}, {}))[0])
    baseline = tmp_path_factory.mktemp(f"{name}_baseline") / "baseline.duckdb"
    load(name, _source(name, handle.url, world_small), baseline)
    yield name, handle, world_small, raw_tables(baseline, f"raw_{name}")
    handle.stop()


@pytest.mark.parametrize("step", ["extract", "load"])
def test_a_run_killed_midway_and_rerun_equals_an_uninterrupted_run(served, step, tmp_path):
    name, handle, world, expected = served
    db = tmp_path / "killed.duckdb"
    child = subprocess.run(
        [sys.executable, str(CHILD), name, handle.url, str(world), str(db), step],
        cwd=ROOT,
        capture_output=True,
        timeout=300,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr.decode()[-2000:]
    if step == "extract":
        assert raw_tables(db, f"raw_{name}") == {}
    else:
        partial = raw_tables(db, f"raw_{name}")
        assert partial != expected  # the kill really left the load unfinished
    result = load(name, _source(name, handle.url, world), db)
    assert result.finished_pending == (step == "load")
    assert_same_raw(raw_tables(db, f"raw_{name}"), expected)
