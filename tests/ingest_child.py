"""Run one source's ingestion in a child process that kills itself (SIGKILL) at a chosen step.

Usage: python tests/ingest_child.py <salesforce|hubspot> <server url> <duckdb file> <extract|load>
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from dlt.load.load import Load

from ingest import http
from ingest.hubspot import hubspot_source
from ingest.pipelines import run_source
from ingest.project import find_repo_root
from ingest.salesforce import salesforce_source
from ingest.sources import IngestContext

KILL_AFTER_REQUESTS = 12
KILL_AFTER_JOB_BATCHES = 2


def die() -> None:
    """Die the way an OOM kill or a pulled plug does: no cleanup at all."""
    os.kill(os.getpid(), signal.SIGKILL)


def kill_during_extract() -> None:
    """Die on the Nth HTTP request, in the middle of extraction."""
    original = http.ApiClient.request
    count = {"n": 0}

    def request(self, *args, **kwargs):
        count["n"] += 1
        if count["n"] == KILL_AFTER_REQUESTS:
            die()
        return original(self, *args, **kwargs)

    http.ApiClient.request = request


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
    name, url, db, step = sys.argv[1:5]
    {"extract": kill_during_extract, "load": kill_during_load}[step]()
    if name == "salesforce":
        source = salesforce_source(
            base_url=url, client_id="demo-client", client_secret="demo-secret", batch_size=500
        )
    else:
        source = hubspot_source(
            base_url=url,
            access_token="demo-hubspot-token",
            requests_per_10s=100_000,
            searches_per_second=1_000,
        )
    root = find_repo_root(Path(__file__).parent)
    run_source(name, source, IngestContext(root=root, duckdb_path=Path(db)))
    sys.exit(3)  # not killed: the test's hook never fired


if __name__ == "__main__":
    main()
