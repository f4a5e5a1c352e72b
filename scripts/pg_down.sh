#!/usr/bin/env bash
# Stop the throwaway PostgreSQL server that scripts/pg_up.sh started and delete its state folder.
#
#   bash scripts/pg_down.sh <state folder printed by pg_up.sh>
set -euo pipefail

state="${1:?usage: pg_down.sh <state folder printed by pg_up.sh>}"
case "$(basename "$state")" in
    gtm-pg.*) ;;
    *) echo "error: $state is not a folder made by pg_up.sh" >&2; exit 1 ;;
esac
if [ -f "$state/data/postmaster.pid" ]; then
    bindir=$(dirname "$(ls -d /usr/lib/postgresql/*/bin/pg_ctl | head -1)")
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$bindir/pg_ctl" -D "$state/data" -m fast -w stop >/dev/null
    else
        "$bindir/pg_ctl" -D "$state/data" -m fast -w stop >/dev/null
    fi
fi
rm -rf "$state"
