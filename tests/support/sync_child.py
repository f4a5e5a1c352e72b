"""Run syncs in a child process that kills itself (SIGKILL) after N write requests.

Usage:
    python tests/support/sync_child.py HUBSPOT_URL SALESFORCE_URL WORLD_DIR DUCKDB_FILE N SYNC...
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from requests.adapters import HTTPAdapter

from gtm.project import find_repo_root
from gtm.sync.core import Endpoints, run_syncs
from gtm.sync.spec import SyncSettings
from gtm_demo.settings import demo_settings

WRITE_MARKERS = ("/batch/", "/composite/sobjects", "/memberships/")


def kill_after_writes(count: int) -> None:
    """Die (no cleanup at all) as the Nth write request is answered, before the state is kept."""
    original = HTTPAdapter.send
    seen = {"n": 0}

    def send(self, request, *args, **kwargs):
        response = original(self, request, *args, **kwargs)
        if any(marker in (request.url or "") for marker in WRITE_MARKERS):
            seen["n"] += 1
            if seen["n"] == count:
                os.kill(os.getpid(), signal.SIGKILL)
        return response

    HTTPAdapter.send = send


def main() -> None:
    """Run the syncs; the process is expected to die before this returns."""
    hubspot_url, salesforce_url, world, db, count, *names = sys.argv[1:]
    kill_after_writes(int(count))
    endpoints = Endpoints(
        {
            "hubspot": demo_settings("hubspot", hubspot_url, Path(world)),
            "salesforce": demo_settings("salesforce", salesforce_url, Path(world)),
        }
    )
    root = find_repo_root(Path(__file__).parent)
    run_syncs(root, Path(db), names, endpoints=endpoints, settings=SyncSettings())
    sys.exit(3)  # not killed: the hook never fired


if __name__ == "__main__":
    main()
