#!/usr/bin/env bash
# Prints the figures the foundation issue asks for, as medians of RUNS runs:
#   1. wrk --latency on GET /api/v1/me (authenticated, cheap): requests/s, p50, p99;
#   2. POST /api/v1/customers (a record plus its audit entry): creates/s on SQLite and PostgreSQL;
#   3. durability: records acknowledged with 201 right before `kill -9` are all there after restart.
# Uses the release build (make build). RUNS (default 3), SECONDS (default 10), CONNS (default 50).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
bin=$root/build/release/ting
runs=${RUNS:-3}
secs=${SECONDS_PER_RUN:-10}
conns=${CONNS:-50}
work=$(mktemp -d /tmp/ting-bench.XXXXXX)
chmod 755 "$work"
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  bash tests/pg_cluster.sh stop "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

start() {  # start DATA_DIR [--db URL]
  port=$(free_port)
  "$bin" serve --data "$1" "${@:2}" --http "127.0.0.1:$port" --demo --demo-password bench-pass-1 \
    --log-level warn >"$work/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 200); do
    curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && return 0
    sleep 0.05
  done
  echo "server did not start"; cat "$work/server.log"; exit 1
}

stop() { kill "$pid"; wait "$pid" || true; pid=""; }

login() {
  curl -sf -X POST "http://127.0.0.1:$port/api/v1/auth/login" -H 'Content-Type: application/json' \
    -d '{"tenant":"demo","username":"1001","password":"bench-pass-1"}' |
    python3 -c 'import json,sys;print(json.load(sys.stdin)["token"])'
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# wrk output → "rps p50_ms p99_ms"
parse_wrk() {
  python3 -c '
import re,sys
t=sys.stdin.read()
def ms(v,u): return float(v)*{"us":0.001,"ms":1,"s":1000}[u]
rps=float(re.search(r"Requests/sec:\s+([\d.]+)",t).group(1))
lat=dict((p,ms(v,u)) for p,v,u in re.findall(r"\s+(\d+)%\s+([\d.]+)(us|ms|s)\b",t))
non=re.search(r"Non-2xx or 3xx responses: (\d+)",t)
print(rps, lat.get("50",0), lat.get("99",0), non.group(1) if non else 0)'
}

# report TITLE UNIT FILE: medians of the "rps p50 p99 non2xx" lines in FILE.
report() {
  local f=$3
  echo "$1:" \
    "median $(cut -d' ' -f1 "$f" | median) $2," \
    "p50 $(cut -d' ' -f2 "$f" | median) ms, p99 $(cut -d' ' -f3 "$f" | median) ms," \
    "non-2xx $(cut -d' ' -f4 "$f" | paste -sd+ | bc); runs: $(cut -d' ' -f1 "$f" | xargs)"
}

bench_get() {
  local token=$1
  for _ in $(seq 1 "$runs"); do
    wrk -t2 -c"$conns" -d"${secs}s" --latency -H "Authorization: Bearer $token" \
      "http://127.0.0.1:$port/api/v1/me" | parse_wrk
  done >"$work/get.txt"
  report "GET /api/v1/me, $conns connections, ${secs}s x $runs" req/s "$work/get.txt"
}

bench_create() {
  local label=$1 token=$2
  for _ in $(seq 1 "$runs"); do
    TING_TOKEN=$token wrk -t2 -c"$conns" -d"${secs}s" --latency -s bench/create_customer.lua \
      "http://127.0.0.1:$port" | parse_wrk
  done >"$work/post.txt"
  report "POST /api/v1/customers on $label, $conns connections, ${secs}s x $runs" creates/s \
    "$work/post.txt"
}

durability() {
  local data=$work/durable acknowledged=() missing=0
  for round in $(seq 1 5); do
    start "$data"
    local token
    token=$(login)
    # Creates acknowledged one after another, then kill -9 with no clean shutdown.
    for i in $(seq 1 40); do
      body=$(curl -s -X POST "http://127.0.0.1:$port/api/v1/customers" \
        -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
        -d "{\"name\":\"durable-$round-$i\"}" -w ' %{http_code}')
      [[ $body == *" 201" ]] && acknowledged+=("$(echo "$body" | python3 -c 'import json,sys;print(json.loads(sys.stdin.read().rsplit(" ",1)[0])["id"])')")
    done
    kill -9 "$pid"; wait "$pid" 2>/dev/null || true; pid=""
  done
  start "$data"
  local token
  token=$(login)
  for id in "${acknowledged[@]}"; do
    code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/api/v1/customers/$id" \
      -H "Authorization: Bearer $token")
    [ "$code" = 200 ] || missing=$((missing + 1))
  done
  stop
  echo "durability: ${#acknowledged[@]} records acknowledged across 5 kill -9 rounds, $missing missing after restart"
}

echo "ting $("$bin" version | cut -d' ' -f2), $(nproc) cores, wrk on the same machine"
start "$work/sqlite"
token=$(login)
bench_get "$token"
bench_create SQLite "$token"
stop

# fsync on, unlike the test cluster: the figure should be what a deployment gets.
pg_url=$(PG_FSYNC=on bash tests/pg_cluster.sh start "$work/pg")
start "$work/pgdata" --db "$pg_url"
token=$(login)
bench_create PostgreSQL "$token"
stop

durability
