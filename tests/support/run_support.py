"""Helpers for the tests of `gtm run`: a small dbt project, a cheap dlt source, a webhook receiver.

The scratch project copies the real dbt_project.yml, profiles.yml and macros and holds two tiny
marts whose data test fails on demand (env var `THING_ID` other than 1), so the run, publish and
alert mechanics are tested without the full build. The fake source runs a real dlt pipeline
through `ingest.pipelines.run_source` into `raw_fake`, with rows and columns set by the test.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import duckdb
from warehouse_support import warehouse_env

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

THINGS = """with

things as (
    select cast({{ env_var('THING_ID', '1') }} as integer) as thing_id
),

final as (
    select things.thing_id
    from things
)

select * from final
"""

OTHERS = """with

others as (
    select 7 as other_id
),

final as (
    select others.other_id
    from others
)

select * from final
"""

SLOW = '''import os
import time
from pathlib import Path


def model(dbt, session):
    """Sleep while `GTM_TEST_SLOW` names a marker file, so a test can stop the build midway."""
    marker = os.environ.get("GTM_TEST_SLOW")
    if marker:
        Path(marker).write_text("building")
        time.sleep(float(os.environ.get("GTM_TEST_SLOW_SECONDS", "120")))
    return session.sql("select 1 as slow_id")
'''

MODELS_YML = """version: 2
models:
  - name: dim_things
    columns:
      - name: thing_id
        data_tests:
          - accepted_values:
              arguments:
                values: [1]
  - name: dim_others
"""


def make_project(root: Path, slow: bool = False) -> Path:
    """Write the scratch dbt project into `root` and return it."""
    root.mkdir(parents=True, exist_ok=True)
    for name in ("dbt_project.yml", "profiles.yml"):
        shutil.copy(REPO / name, root / name)
    shutil.copytree(REPO / "macros", root / "macros", dirs_exist_ok=True)
    marts = root / "models" / "marts"
    marts.mkdir(parents=True, exist_ok=True)
    (marts / "dim_things.sql").write_text(THINGS)
    (marts / "dim_others.sql").write_text(OTHERS)
    (marts / "_marts.yml").write_text(MODELS_YML)
    if slow:
        (marts / "slow_things.py").write_text(SLOW)
    return root


@dataclass
class FakeSource:
    """A dlt source of `rows` rows in table `things`; flags add a column, retype one, or fail."""

    rows: int = 10
    extra_column: bool = False
    retype_number: bool = False
    fail: bool = False

    def load(self, context: Any) -> Any:
        """Load like a registered source does (`SourceSpec.load`)."""
        import dlt

        from ingest.pipelines import run_source

        if self.fail:
            raise RuntimeError("fake: the API is down")
        spec = self

        @dlt.resource(name="things", write_disposition="append")
        def things():
            for number in range(spec.rows):
                row: dict[str, Any] = {"thing_number": number, "label": f"thing {number}"}
                if spec.extra_column:
                    row["colour"] = "red"
                if spec.retype_number:
                    row["thing_number"] = f"number {number}"
                yield row

        return run_source("fake", things(), context)


def register(monkeypatch: Any, fake: FakeSource) -> None:
    """Make `fake` the only registered source."""
    from gtm import sources

    monkeypatch.setattr(sources, "SOURCES", {"fake": sources.SourceSpec("fake", None, fake.load)})


def run_env(warehouse: Path, **extra: str) -> dict[str, str]:
    """The environment of a `gtm run` child on a scratch project: its warehouse, no webhook, and
    no target, publish path or failing-test switch inherited from the caller."""
    env = warehouse_env(warehouse) | {"GTM__ALERTS__WEBHOOK_URL": ""} | extra
    for name in ("DBT_TARGET_PATH", "GTM__PUBLISH__PATH", "THING_ID"):
        env.pop(name, None)
    return env


def read_report(root: Path) -> dict[str, Any]:
    """The report of the last run in the scratch project `root`."""
    return json.loads((root / "target" / "gtm_run_report.json").read_text())


def query(path: Path, sql: str) -> list[tuple]:
    """Run `sql` read-only against the DuckDB file `path` (in this process)."""
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


class Reader:
    """Another process that opens a DuckDB file read-only and keeps it open, like a BI tool."""

    SCRIPT = (
        "import sys, duckdb\n"
        "con = duckdb.connect(sys.argv[1], read_only=True)\n"
        "print('open', flush=True)\n"
        "for line in sys.stdin:\n"
        "    print(repr(con.execute(line).fetchall()), flush=True)\n"
    )

    def __init__(self, path: Path) -> None:
        """Open `path` in a child process and wait until it is open."""
        self.process = subprocess.Popen(
            [sys.executable, "-c", self.SCRIPT, str(path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        assert self.process.stdout.readline().strip() == "open"

    def query(self, sql: str) -> str:
        """The rows `sql` returns, as the child prints them."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(sql.replace("\n", " ") + "\n")
        self.process.stdin.flush()
        return self.process.stdout.readline().strip()

    def close(self) -> None:
        """Stop the child."""
        if self.process.stdin:
            self.process.stdin.close()
        self.process.wait(timeout=30)


@dataclass
class Receiver:
    """A local HTTP server that records the JSON bodies POSTed to it (a stand-in for Slack)."""

    status: int = 200
    messages: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        """Start serving on 127.0.0.1 on a free port."""
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.messages.append(json.loads(body))
                self.send_response(receiver.status)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        """The webhook URL, with a secret-looking path that must never be printed."""
        return f"http://127.0.0.1:{self.server.server_port}/services/T000/B000/secret-token"

    def stop(self) -> None:
        """Shut the server down."""
        self.server.shutdown()
        self.server.server_close()
