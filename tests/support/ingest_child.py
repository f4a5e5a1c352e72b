"""Run one source's ingestion in a child process that kills itself (SIGKILL) at a chosen step.

Usage:
    python tests/support/ingest_child.py SYSTEM SERVER_URL WORLD_DIR DUCKDB_FILE {extract,load}
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from dlt.load.load import Load
from requests.adapters import HTTPAdapter

from gtm.project import find_repo_root
from gtm_demo.settings import demo_source
from ingest.pipelines import IngestContext, run_source

FAST = {
    "hubspot": (
        {"rate_limit": (100_000, 10.0), "search_rate_limit": None},
        {"requests_per_10s": 100_000, "searches_per_second": 100_000},
    ),
    "facebook_ads": (
        {"rate_limit": (100_000, 60.0), "insights_rate_limit": (100_000, 60.0)},
        {
            "poll_interval": 0.01,
            "requests_per_minute": 100_000,
            "insights_requests_per_minute": 100_000,
        },
    ),
}
"""Server and source options that lift the demo's rate limits: throttling has its own tests."""
KILL_AFTER_REQUESTS = 6
KILL_AFTER_JOB_BATCHES = 2


def die() -> None:
    """Die the way an OOM kill or a pulled plug does: no cleanup at all."""
    os.kill(os.getpid(), signal.SIGKILL)


def kill_during_extract() -> None:
    """Die on the Nth HTTP request, in the middle of extraction."""
    original = HTTPAdapter.send
    count = {"n": 0}

    def request(self, *args, **kwargs):
        count["n"] += 1
        if count["n"] == KILL_AFTER_REQUESTS:
            die()
        return original(self, *args, **kwargs)

    HTTPAdapter.send = request


def kill_during_load() -> None:
    """Die after some load jobs of the package completed and before the others did."""
    original = Load.complete_jobs
    count = {"n": 0}

    def complete_jobs(self, load_id, jobs, schema):
        remaining, finalized, error = original(self, load_id, jobs, schema)
        if finalized:
            count["n"] += 1
            if count["n"] == KILL_AFTER_JOB_BATCHES:
                die()
        return remaining, finalized, error

    Load.complete_jobs = complete_jobs


def main() -> None:
    """Run the source; the process is expected to die before this returns."""
    name, url, world, db, step = sys.argv[1:6]
    {"extract": kill_during_extract, "load": kill_during_load}[step]()
    context = IngestContext(root=find_repo_root(Path(__file__).parent), duckdb_path=Path(db))
    run_source(name, demo_source(name, url, Path(world), **FAST.get(name, ({}, {}))[1]), context)
    sys.exit(3)  # not killed: the test's hook never fired


if __name__ == "__main__":
    main()
