#!/usr/bin/env bash
# Benchmark of the oversight workflow (issue 5), SQLite backend, this machine:
# many dossiers moving through expert review at once, through the HTTP API.
# Each worker registers a high-risk system, submits it, has its two assigned
# reviewers declare, check and recommend (every fourth dossier first goes
# through a request for information and its answer), and the supervisor
# decides: 9 or 11 durable, logged writes per dossier.
# Usage: bench/oversight.sh [workers] [seconds]
#        BACKEND=postgres bench/oversight.sh   (a fresh database on 127.0.0.1:5432)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/senim/target}"
WORKERS="${1:-16}"
SECONDS_RUN="${2:-20}"
cargo build --release --locked -p senim-cli -p senim-loadgen
BIN="$CARGO_TARGET_DIR/release"
DATA="$(mktemp -d)"
PORT="${PORT:-18556}"
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
"$BIN/senim" serve --demo "${STORE[@]}" --bind "127.0.0.1:$PORT" >/dev/null 2>&1 & SERVER=$!
for _ in $(seq 1 2000); do curl -fs "$URL/readyz" >/dev/null 2>&1 && break; sleep 0.005; done

token() { "$BIN/senim" admin "${STORE[@]}" token create --email "$1" --scopes write; }
DEV=$(token developer@hospital.demo)
SUP=$(token supervisor@ministry.demo)
REV="$(token expert@ministry.demo),$(token expert2@ministry.demo),$(token expert3@ministry.demo)"

echo "mixed review workflow, $WORKERS workers, ${SECONDS_RUN} s:"
"$BIN/senim-loadgen" workflow --server "$URL" --developer "$DEV" --supervisor "$SUP" \
  --reviewers "$REV" --workers "$WORKERS" --seconds "$SECONDS_RUN" --file bench/triage.toml | sed 's/^/  /'
echo "resident memory after the run: $(awk '/VmRSS/ {printf "%.1f MiB", $2/1024}' /proc/$SERVER/status)"
echo "log entries: $(curl -fs "$URL/log/checkpoint" | sed -n 2p)"
echo "verify the whole log:"
/usr/bin/time -f "  %e s, %M KiB max resident" "$BIN/senim" verify --server "$URL" --state "$DATA/verify-state.json" 2>&1 | tail -2 | sed 's/^/  /'
