#!/usr/bin/env python3
"""Check the project on Snowflake, BigQuery and Databricks offline (docs/engines.md, "Clouds").

Usage: scripts/cloud_check.py [--out DIR] [--report FILE] [--targets ...]
(scripts/cloud_check.sh builds the cloud venv first, then runs this with the main venv's Python.)

With dummy credentials (a throwaway service-account key made with openssl for BigQuery), it runs,
each under `timeout` so a hang fails fast:

- `dbt compile --no-populate-cache --no-introspect --vars '{offline_compile: true}'` for snowflake
  and bigquery (which parses the project first). The var makes the root project's
  `is_incremental()` false and date spines count one interval, since dbt's own ask the warehouse;
- `dbt parse` for databricks: its adapter asks the cluster for its runtime while compiling.

Then every compiled SQL model and data test is parsed with sqlglot in the engine's dialect, and
scanned for constructs sqlglot accepts but the engine does not (DIALECT_DENYLIST). Prints one line
per problem and a summary; exits 1 on any. dbt writes into a temporary folder (or `--out`), never
the repo's target/.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import sqlglot
from sqlglot.errors import SqlglotError

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT_SECONDS = 420
"""Seconds per dbt call. A compile took 12 s on an idle 2-core machine (portability notes) and up
to 200 s here at a load average of 10; a hang (a plain Databricks compile retries for minutes) is
killed here."""

PROJECT = "gtm_warehouse"
COMPILED = ("snowflake", "bigquery")
PARSED_ONLY = ("databricks",)
DIALECTS = {"snowflake": "snowflake", "bigquery": "bigquery"}

DUMMY_ENV = {
    "GTM_SNOWFLAKE_ACCOUNT": "offline-check",
    "GTM_SNOWFLAKE_USER": "offline_check",
    "GTM_SNOWFLAKE_PASSWORD": "offline-check",
    "GTM_BIGQUERY_PROJECT": "offline-check",
    "GTM_DATABRICKS_HOST": "offline-check.cloud.databricks.com",
    "GTM_DATABRICKS_HTTP_PATH": "/sql/1.0/warehouses/offline",
    "GTM_DATABRICKS_TOKEN": "offline-check",
}
"""Credentials that let the profiles render; nothing connects with them."""

# Valid in the DuckDB/PostgreSQL spelling and accepted by sqlglot's reader, but not by the engine.
# Matched on the compiled SQL with string literals and comments blanked out.
DIALECT_DENYLIST: dict[str, dict[str, re.Pattern[str]]] = {
    "bigquery": {
        "varchar (BigQuery: string)": re.compile(r"\bvarchar\b", re.IGNORECASE),
        "double (BigQuery: float64)": re.compile(r"\bdouble\b", re.IGNORECASE),
        "text type (BigQuery: string)": re.compile(r"\bas\s+text\b", re.IGNORECASE),
        "at time zone": re.compile(r"\bat\s+time\s+zone\b", re.IGNORECASE),
        "timestamp with time zone": re.compile(r"\btimestamp\s+with\b|\btimestamptz\b", re.I),
        "::": re.compile(r"::"),
        "try_cast (BigQuery: safe_cast)": re.compile(r"\btry_cast\b", re.IGNORECASE),
        "ilike": re.compile(r"\bilike\b", re.IGNORECASE),
    },
    "snowflake": {
        "at time zone (Snowflake: convert_timezone)": re.compile(r"\bat\s+time\s+zone\b", re.I),
        "unnest (Snowflake: lateral flatten)": re.compile(r"\bunnest\s*\(", re.IGNORECASE),
        "string_split/string_to_array": re.compile(r"\bstring_(split|to_array)\b", re.I),
        "regexp_extract (Snowflake: regexp_substr)": re.compile(r"\bregexp_extract\b", re.I),
        "json_extract_string": re.compile(r"\bjson_extract_string\b", re.IGNORECASE),
        "url_decode": re.compile(r"\burl_decode\b", re.IGNORECASE),
    },
}
_MASK = re.compile(r"/\*.*?\*/|--[^\n]*|'(?:[^'\\]|\\.|'')*'", re.DOTALL)

ALLOWED_PARSE_ERRORS: dict[str, set[str]] = {"snowflake": set(), "bigquery": set()}
"""Compiled files (`<resource type>.<name>`) whose parse error is sqlglot's, not the SQL's."""


@dataclass
class TargetResult:
    """What one dbt call on one cloud target gave."""

    target: str
    command: str
    returncode: int
    seconds: float
    output_tail: str
    enabled_models: list[str] = field(default_factory=list)
    compiled_models: list[str] = field(default_factory=list)
    parsed_files: int = 0
    problems: list[str] = field(default_factory=list)


def write_service_account_key(folder: Path) -> Path:
    """Write a throwaway service-account key (a fresh RSA key from openssl) for BigQuery."""
    pem = subprocess.run(
        ["openssl", "genrsa", "2048"], check=True, capture_output=True, text=True, timeout=60
    ).stdout
    key = {
        "type": "service_account",
        "project_id": DUMMY_ENV["GTM_BIGQUERY_PROJECT"],
        "private_key_id": "0" * 40,
        "private_key": pem,
        "client_email": "offline-check@offline-check.iam.gserviceaccount.com",
        "client_id": "0",
        "token_uri": "https://oauth2.googleapis.com/token",
    }
    path = folder / "bigquery-offline-key.json"
    path.write_text(json.dumps(key), encoding="utf-8")
    path.chmod(0o600)
    return path


def run_dbt(dbt: Path, target: str, work: Path, env: dict[str, str]) -> TargetResult:
    """Run the offline compile (or, for databricks, parse) of `target` under `timeout`."""
    command = "compile" if target in COMPILED else "parse"
    args = [
        "timeout",
        "--kill-after=10",
        str(TIMEOUT_SECONDS),
        str(dbt),
        "--no-use-colors",
        command,
        "--target",
        target,
        "--project-dir",
        str(ROOT),
        "--profiles-dir",
        str(ROOT),
        "--target-path",
        str(work / target / "target"),
        "--log-path",
        str(work / target / "logs"),
    ]
    if command == "compile":
        args += ["--no-populate-cache", "--no-introspect", "--vars", "{offline_compile: true}"]
    started = time.monotonic()
    done = subprocess.run(
        args, cwd=ROOT, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL
    )
    output = (done.stdout + done.stderr).strip().splitlines()
    return TargetResult(
        target=target,
        command=command,
        returncode=done.returncode,
        seconds=round(time.monotonic() - started, 1),
        output_tail="\n".join(output[-25:]),
    )


def check_compiled(result: TargetResult, work: Path) -> None:
    """Check that every enabled SQL model compiled, and parse each compiled model and test."""
    target_dir = work / result.target / "target"
    manifest = json.loads((target_dir / "manifest.json").read_text(encoding="utf-8"))
    dialect = DIALECTS[result.target]
    for unique_id, node in sorted(manifest["nodes"].items()):
        if node["resource_type"] not in ("model", "test") or node["package_name"] != PROJECT:
            continue
        if not node["config"].get("enabled", True):
            # A test of a disabled model (dbt keeps it in the manifest, uncompiled).
            continue
        if node["resource_type"] == "model":
            result.enabled_models.append(node["name"])
        if node.get("language") == "python":
            # Python models compile to Python; they are not SQL to parse.
            if node.get("compiled_code"):
                result.compiled_models.append(node["name"])
            continue
        compiled = node.get("compiled_code")
        if compiled is None:
            result.problems.append(f"{result.target}: {unique_id} did not compile")
            continue
        if node["resource_type"] == "model":
            result.compiled_models.append(node["name"])
        result.parsed_files += 1
        key = f"{node['resource_type']}.{node['name']}"
        try:
            sqlglot.parse(compiled, read=dialect)
        except SqlglotError as error:
            if key not in ALLOWED_PARSE_ERRORS[result.target]:
                first = str(error).splitlines()[0]
                result.problems.append(f"{result.target}: {key}: sqlglot ({dialect}): {first}")
        masked = _MASK.sub("''", compiled)
        for name, pattern in DIALECT_DENYLIST[result.target].items():
            match = pattern.search(masked)
            if match:
                line = masked.count("\n", 0, match.start()) + 1
                result.problems.append(f"{result.target}: {key}: line {line}: {name}")


def main(argv: list[str] | None = None) -> int:
    """Run the check; return 0 when every cloud parsed, compiled and passed sqlglot."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="keep dbt's output here (default: a temp folder)")
    parser.add_argument("--report", type=Path, help="write the results as JSON here")
    parser.add_argument(
        "--dbt", type=Path, default=ROOT / ".venv-cloud" / "bin" / "dbt", help="the cloud dbt"
    )
    parser.add_argument(
        "--targets",
        nargs="+",
        choices=COMPILED + PARSED_ONLY,
        default=list(COMPILED + PARSED_ONLY),
        help="check only these targets",
    )
    options = parser.parse_args(argv)
    if not options.dbt.exists():
        print(f"error: {options.dbt} is missing: run bash scripts/cloud_venv.sh", file=sys.stderr)
        return 1

    with tempfile.TemporaryDirectory(prefix="gtm-cloud-check-") as scratch:
        work = options.out.resolve() if options.out else Path(scratch)
        work.mkdir(parents=True, exist_ok=True)
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("GTM_", "DBT_")) or key == "GTM_CLOUD_VENV"
        }
        env |= DUMMY_ENV
        env["GTM_BIGQUERY_KEYFILE"] = str(write_service_account_key(Path(scratch)))
        env["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
        env["DBT_PARTIAL_PARSE"] = "false"
        started = time.monotonic()
        # Two at a time: the machine has two cores, and each dbt call keeps one busy.
        with ThreadPoolExecutor(max_workers=2) as pool:
            results = list(
                pool.map(lambda target: run_dbt(options.dbt, target, work, env), options.targets)
            )
        for result in results:
            if result.returncode != 0:
                reason = "timed out" if result.returncode in (124, 137) else "failed"
                result.problems.append(
                    f"{result.target}: dbt {result.command} {reason} (rc={result.returncode}):\n"
                    f"{result.output_tail}"
                )
            elif result.command == "compile":
                check_compiled(result, work)
        elapsed = round(time.monotonic() - started, 1)

    problems = [problem for result in results for problem in result.problems]
    for problem in problems:
        print(problem)
    for result in results:
        detail = (
            f"{len(result.compiled_models)}/{len(result.enabled_models)} models compiled, "
            f"{result.parsed_files} SQL files parsed by sqlglot"
            if result.command == "compile"
            else "parsed"
        )
        state = "ok" if not result.problems else f"{len(result.problems)} problem(s)"
        print(f"{result.target}: dbt {result.command} {state} in {result.seconds} s ({detail})")
    print(f"cloud check: {'ok' if not problems else 'FAILED'} in {elapsed} s")
    if options.report:
        options.report.write_text(
            json.dumps({"elapsed": elapsed, "results": [vars(r) for r in results]}, indent=2),
            encoding="utf-8",
        )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
