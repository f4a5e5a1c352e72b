"""Killed with SIGKILL during extract and during load, then run again: nothing lost or doubled."""

from __future__ import annotations

import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from ingest_support import ROOT, assert_same_raw, load, raw_tables

from ingest.demo.servers import hubspot, salesforce
from ingest.hubspot import hubspot_source
from ingest.salesforce import salesforce_source

END = datetime(2026, 6, 30, tzinfo=UTC)
CHILD = Path(__file__).with_name("ingest_child.py")


def _source(name: str, url: str):
    if name == "salesforce":
        return salesforce_source(
            base_url=url, client_id="demo-client", client_secret="demo-secret", batch_size=500
        )
    return hubspot_source(
        base_url=url,
        access_token="demo-hubspot-token",
        requests_per_10s=100_000,
        searches_per_second=1_000,
    )


@pytest.fixture(scope="module", params=["salesforce", "hubspot"])
def served(request, world_small, tmp_path_factory):
    name = request.param
    module = salesforce if name == "salesforce" else hubspot
    kw = {} if name == "salesforce" else {"rate_limit": (100_000, 10.0), "search_rate_limit": None}
    handle = module.start(world_small, moment=END, **kw)
    baseline = tmp_path_factory.mktemp(f"{name}_baseline") / "baseline.duckdb"
    load(name, _source(name, handle.url), baseline)
    yield name, handle, raw_tables(baseline, f"raw_{name}")
    handle.stop()


@pytest.mark.parametrize("step", ["extract", "load"])
def test_a_run_killed_midway_and_rerun_equals_an_uninterrupted_run(served, step, tmp_path):
    name, handle, expected = served
    db = tmp_path / "killed.duckdb"
    child = subprocess.run(
        [sys.executable, str(CHILD), name, handle.url, str(db), step],
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
    result = load(name, _source(name, handle.url), db)
    assert result.finished_pending == (step == "load")
    assert_same_raw(raw_tables(db, f"raw_{name}"), expected)
