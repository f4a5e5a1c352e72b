#!/usr/bin/env bash
# Start a throwaway PostgreSQL server for the `postgres` dbt target and dlt destination.
#
# Installs PostgreSQL from the Debian packages when missing (as root), initdb's a fresh data directory
# under a temporary folder, trusts every connection (the server listens on 127.0.0.1 only, never on a
# network interface), starts it on a fixed port and creates the database. Prints the state folder on
# stdout: pass it to scripts/pg_down.sh (or set a trap) to stop the server and delete everything.
#
#   state=$(bash scripts/pg_up.sh); trap 'bash scripts/pg_down.sh "$state"' EXIT
#
# Settings (the same environment variables profiles.yml reads): GTM_PG_PORT (54329), GTM_PG_DBNAME (gtm).
# Durability is switched off (fsync, synchronous_commit, full_page_writes): the data is thrown away.
set -euo pipefail

port="${GTM_PG_PORT:-54329}"
dbname="${GTM_PG_DBNAME:-gtm}"

find_bin() {
    local dir
    for dir in /usr/lib/postgresql/*/bin; do
        if [ -x "$dir/initdb" ]; then echo "$dir"; return 0; fi
    done
    return 1
}

if ! bindir=$(find_bin); then
    if [ "$(id -u)" != 0 ]; then
        echo "error: PostgreSQL is not installed and installing it needs root: apt-get install postgresql" >&2
        exit 1
    fi
    echo "Installing PostgreSQL from the Debian packages..." >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    bindir=$(find_bin)
fi

as_postgres() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

state=$(mktemp -d -t gtm-pg.XXXXXX)
chmod 755 "$state"
if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$state"; fi

as_postgres "$bindir/initdb" -D "$state/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
if ! as_postgres "$bindir/pg_ctl" -D "$state/data" -l "$state/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $state -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c TimeZone=UTC" \
    start >/dev/null; then
    echo "error: PostgreSQL did not start on 127.0.0.1:$port (is the port taken?); its log:" >&2
    tail -5 "$state/server.log" >&2 || true
    rm -rf "$state"
    exit 1
fi
"$bindir/psql" -h 127.0.0.1 -p "$port" -U postgres -qAt -c "create database \"$dbname\"" >/dev/null
echo "$state"
