#!/usr/bin/env bash
# The offline check of the cloud targets (docs/engines.md, "Clouds"): builds or reuses .venv-cloud
# (scripts/cloud_venv.sh), then parses the project for snowflake, bigquery and databricks and compiles it
# for snowflake and bigquery without a connection, and parses the compiled SQL with sqlglot in each dialect
# (scripts/cloud_check.py; its options, e.g. --out DIR to keep the compiled SQL, are passed on).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="$(bash "$root/scripts/cloud_venv.sh")"
exec "$root/.venv/bin/python" "$root/scripts/cloud_check.py" --dbt "$bin/dbt" "$@"
