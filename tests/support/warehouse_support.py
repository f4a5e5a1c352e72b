"""The demo warehouse built for real: the scale-0.1 world ingested by dlt, then `dbt build`.

Used by the tests that compare the dbt layers with the demo world's truth. Everything runs in
subprocesses against a warehouse file of its own, exactly as `gtm ingest` and `dbt build` run for a
user; the repository's own `warehouse.duckdb` and `target/` are never touched.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class BuiltWarehouse:
    """A warehouse file after ingest and `dbt build`, with dbt's run results and the world."""

    path: Path
    world: Path
    results: list[dict]

    def query(self, sql: str) -> list[tuple]:
        """Run `sql` against the warehouse (read-only) and return all rows."""
        with duckdb.connect(str(self.path), read_only=True) as con:
            return con.execute(sql).fetchall()

    def scalar(self, sql: str) -> object:
        """The single value `sql` returns."""
        return self.query(sql)[0][0]

    def planned(self, names: Sequence[str]) -> set[str]:
        """Return the ids of the seeds, models, data tests and unit tests matching any of `names`.

        Read from the manifest the build wrote, so a test can check that every one of them ran.
        """
        manifest = json.loads((self.path.parent / "target" / "manifest.json").read_text())
        nodes = {**manifest["nodes"], **manifest.get("unit_tests", {})}
        kinds = {"seed", "model", "test", "unit_test"}
        return {
            unique_id
            for unique_id, node in nodes.items()
            if node["resource_type"] in kinds and any(name in unique_id for name in names)
        }

    def failures(self) -> list[str]:
        """The dbt nodes that errored or failed, with their messages."""
        bad = {"error", "fail", "runtime error"}
        return [f"{r['unique_id']}: {r.get('message')}" for r in self.results if r["status"] in bad]


def warehouse_env(path: Path) -> dict[str, str]:
    """The environment `gtm` and dbt run with to use the warehouse file `path`."""
    env = os.environ | {
        "GTM_DUCKDB_PATH": str(path),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    env.pop("DLT_PROJECT_DIR", None)
    return env


def run_dbt(path: Path, work: Path, *args: str) -> subprocess.CompletedProcess:
    """Run `dbt <args>` on the project against warehouse `path`; target and logs under `work`."""
    return subprocess.run(
        [
            str(BIN / "dbt"),
            *args,
            "--project-dir",
            str(REPO),
            "--profiles-dir",
            str(REPO),
            "--target-path",
            str(work / "target"),
            "--log-path",
            str(work / "logs"),
        ],
        cwd=REPO,
        env=warehouse_env(path),
        capture_output=True,
        text=True,
    )


def build_warehouse(world: Path, work: Path) -> BuiltWarehouse:
    """Ingest `world` through the local API servers into `work`/warehouse.duckdb, then build.

    `gtm build`: dbt build in two phases around the training of the predictive models, dbt's target
    folder `work`/target.
    """
    work.mkdir(parents=True, exist_ok=True)
    path = work / "warehouse.duckdb"
    subprocess.run(
        [str(BIN / "gtm"), "ingest", "--world", str(world)],
        cwd=REPO,
        env=warehouse_env(path),
        check=True,
    )
    build = subprocess.run(
        [str(BIN / "gtm"), "build"],
        cwd=REPO,
        env=warehouse_env(path) | {"DBT_TARGET_PATH": str(work / "target")},
        capture_output=True,
        text=True,
    )
    results_file = work / "target" / "run_results.json"
    if not results_file.exists():
        raise RuntimeError(f"dbt build did not run:\n{build.stdout}\n{build.stderr}")
    results = json.loads(results_file.read_text())["results"]
    return BuiltWarehouse(path, world, results)


TEST_HMAC_KEY = "gtm-tests-hmac-key-not-a-secret"
"""The HMAC key tests publish with (a real project keeps its own in .dlt/secrets.toml)."""


def publish_built(built: BuiltWarehouse, target: Path, run_id: str, **extra: Any) -> Any:
    """Publish `built`'s marts as `gtm run` does: with the PII policy of its manifest and a key."""
    from gtm.ops import publish
    from gtm.privacy import policy

    manifest = policy.load_manifest(built.path.parent / "target" / "manifest.json")
    return publish.publish_marts(
        built.path, target, run_id, manifest, key=lambda: TEST_HMAC_KEY, **extra
    )
