#!/usr/bin/env bash
# Benchmark of the Platform's support programmes (issue 18), this machine:
# 10,000 applications to one call through review and award over the HTTP
# API, then the call's public page with its 10,000 awards.
#
# Setup (not timed): an administrator's token makes the applicant
# organisations, their developers and tokens; the programme manager
# publishes a programme and a call. Timed: each application is drafted,
# submitted, admitted (reviewers from the demo's pool of three), declared on
# and scored by two reviewers, awarded and accepted: nine durable, logged
# writes with If-Match. Both the server and the load generator share the two
# cores for the write figure. For the page's latency the server is pinned to
# core 0 (taskset -a -p) and wrk to core 1.
# Usage: bench/programmes.sh [applications] [workers]
#        BACKEND=postgres bench/programmes.sh   (a fresh database on 127.0.0.1:5432)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/senim/target}"
APPLICATIONS="${1:-10000}"
WORKERS="${2:-32}"
command -v wrk >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; }
cargo build --release --locked -p senim-cli -p senim-loadgen
BIN="$CARGO_TARGET_DIR/release"
DATA="$(mktemp -d)"
PORT="${PORT:-18557}"
URL="http://127.0.0.1:$PORT"
STORE=(--data-dir "$DATA")
PG_ADMIN="postgres://postgres@127.0.0.1:5432/test"
DB="senim_bench_$$"
if [ "${BACKEND:-sqlite}" = postgres ]; then
  psql "$PG_ADMIN" -qc "CREATE DATABASE $DB" >/dev/null
  STORE+=(--database-url "postgres://postgres@127.0.0.1:5432/$DB")
fi
cleanup() {
  kill $SERVER 2>/dev/null || true
  wait $SERVER 2>/dev/null || true
  rm -rf "$DATA"
  [ "${BACKEND:-sqlite}" = postgres ] && psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null || true
}
trap cleanup EXIT

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r); backend: ${BACKEND:-sqlite}"
"$BIN/senim" serve --demo "${STORE[@]}" --bind "127.0.0.1:$PORT" >"$DATA/server.log" 2>&1 & SERVER=$!
for _ in $(seq 1 4000); do curl -fs "$URL/readyz" >/dev/null 2>&1 && break; sleep 0.005; done

token() { "$BIN/senim" admin "${STORE[@]}" token create --email "$1" --scopes "$2"; }
ADMIN=$(token admin@senim.demo admin)
MANAGER=$(token programmes@platform.demo write)
REV="$(token expert@ministry.demo write),$(token expert2@ministry.demo write),$(token expert3@ministry.demo write)"

echo "$APPLICATIONS applications through review and award, $WORKERS workers:"
REPORT="$("$BIN/senim-loadgen" programmes --server "$URL" --admin "$ADMIN" --manager "$MANAGER" \
  --reviewers "$REV" --applications "$APPLICATIONS" --workers "$WORKERS")"
echo "$REPORT" | sed 's/^/  /'
CALL="$(echo "$REPORT" | sed -n 's/.*"call_id": "\([^"]*\)".*/\1/p')"
echo "awards on the call: $(curl -fs "$URL/api/v1/calls/$CALL" | sed -n 's/.*"awarded_count":\([0-9]*\).*/\1/p')"

echo "the call's public page (server on core 0, wrk on core 1, one connection as bench/pages.sh, 20 s):"
taskset -a -pc 0 "$SERVER" >/dev/null
curl -fs -o /dev/null "$URL/calls/$CALL"
taskset -c 1 wrk -t1 -c1 -d20s --latency "$URL/calls/$CALL" | sed -n '/Latency Distribution/,/Requests\/sec/p' | sed 's/^/  /'
if [ "${BACKEND:-sqlite}" = postgres ]; then
  # Right after 90,000 writes PostgreSQL's autovacuum and checkpointer are
  # busy on the same two cores; the page again once they are done shows
  # which part of the tail is theirs.
  echo "the same page after the burst's VACUUM (ANALYZE) finished:"
  psql "postgres://postgres@127.0.0.1:5432/$DB" -qc "VACUUM (ANALYZE)" >/dev/null
  taskset -c 1 wrk -t1 -c1 -d20s --latency "$URL/calls/$CALL" | sed -n '/Latency Distribution/,/Requests\/sec/p' | sed 's/^/  /'
fi
echo "the call's JSON (same pinning):"
taskset -c 1 wrk -t1 -c1 -d20s --latency "$URL/api/v1/calls/$CALL" | sed -n '/Latency Distribution/,/Requests\/sec/p' | sed 's/^/  /'
echo "resident memory after the run: $(awk '/VmRSS/ {printf "%.1f MiB", $2/1024}' /proc/$SERVER/status)"
echo "log entries: $(curl -fs "$URL/log/checkpoint" | sed -n 2p)"
