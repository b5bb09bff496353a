#!/usr/bin/env bash
# Private PostgreSQL cluster for tests (see docs/testing.md).
#
#   tests/pg_cluster.sh start DIR   initdb + start; prints postgresql://ting@127.0.0.1:PORT/postgres
#   tests/pg_cluster.sh stop DIR    stops it (DIR is kept; remove it yourself)
#   tests/pg_cluster.sh url DIR     prints the URL of a running cluster
#
# Trust auth on loopback only, superuser `ting`, Unix socket in DIR.
# When run as root the server binaries run as the `postgres` user.
set -euo pipefail

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}

usage() { echo "usage: $0 start|stop|url DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
cmd=$1
mkdir -p "$2"
dir=$(cd "$2" && pwd)

as_pg() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

free_port() {
  python3 - <<'PY'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
}

case "$cmd" in
  start)
    if [ "$(id -u)" -eq 0 ]; then
      chown postgres "$dir"
      # Every parent must be traversable by the postgres user.
      if ! runuser -u postgres -- test -w "$dir"; then
        echo "$0: $dir is not reachable by the postgres user" >&2
        exit 1
      fi
    fi
    if [ ! -f "$dir/db/PG_VERSION" ]; then
      as_pg "$PGBIN/initdb" -D "$dir/db" -A trust -U ting -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    fi
    started=0
    for _ in 1 2 3 4 5; do
      port=$(free_port)
      if as_pg "$PGBIN/pg_ctl" -D "$dir/db" -l "$dir/log" \
          -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=${PG_FSYNC:-off} -c max_connections=200" \
          -w -t 60 start >/dev/null 2>&1; then
        started=1
        break
      fi
    done
    if [ $started -ne 1 ]; then
      echo "$0: could not start PostgreSQL; log follows" >&2
      cat "$dir/log" >&2 || true
      exit 1
    fi
    echo "$port" >"$dir/port"
    echo "postgresql://ting@127.0.0.1:$port/postgres"
    ;;
  stop)
    if [ -f "$dir/db/postmaster.pid" ]; then
      as_pg "$PGBIN/pg_ctl" -D "$dir/db" -m fast -w -t 60 stop >/dev/null
    fi
    ;;
  url)
    [ -f "$dir/port" ] || { echo "$0: no cluster in $dir" >&2; exit 1; }
    echo "postgresql://ting@127.0.0.1:$(cat "$dir/port")/postgres"
    ;;
  *) usage ;;
esac
