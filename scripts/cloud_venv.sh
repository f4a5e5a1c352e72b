#!/usr/bin/env bash
# Build the cloud adapters' venv, .venv-cloud: dbt-core 1.11 with dbt-snowflake, dbt-bigquery and
# dbt-databricks at the versions locked in scripts/cloud_requirements.txt (pins in cloud_requirements.in).
# A separate venv because dbt-databricks pins an older dbt-spark than the main venv's (pyproject.toml).
#
#   bash scripts/cloud_venv.sh          # build or bring up to date; instant when the lock has not changed
#   bash scripts/cloud_venv.sh --lock   # re-resolve cloud_requirements.in into the lock, then build
#
# Uses the uv and the Python interpreter of the main venv (`make env` first); packages come from uv's cache
# when they are there. GTM_CLOUD_VENV puts the venv elsewhere. Prints the venv's bin folder on stdout.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
uv="$root/.venv/bin/uv"
requirements_in="$root/scripts/cloud_requirements.in"
lock="$root/scripts/cloud_requirements.txt"
venv="${GTM_CLOUD_VENV:-$root/.venv-cloud}"
stamp="$venv/.gtm-cloud-synced"
export UV_PYTHON_DOWNLOADS=never

if [ ! -x "$uv" ]; then
    echo "error: $uv is missing: run \`make env\` first" >&2
    exit 1
fi

if [ "${1:-}" = "--lock" ]; then
    "$uv" pip compile --quiet --python "$root/.venv/bin/python" --no-header \
        "$requirements_in" -o "$lock"
    echo "locked $(grep -c '==' "$lock") packages into ${lock#"$root"/}" >&2
fi

# The stamp holds the lock's checksum: an unchanged lock means nothing to do.
checksum="$(sha256sum "$lock" | cut -d' ' -f1)"
if [ -x "$venv/bin/dbt" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$checksum" ]; then
    echo "$venv/bin"
    exit 0
fi

if [ ! -x "$venv/bin/python" ]; then
    "$uv" venv --quiet --python "$root/.venv/bin/python" "$venv" >&2
fi
"$uv" pip sync --quiet --python "$venv/bin/python" "$lock" >&2
echo "$checksum" >"$stamp"
echo "$venv/bin"
