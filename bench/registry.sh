#!/usr/bin/env bash
# Benchmarks of the registry core (issue 2), SQLite backend, on this machine:
#   - start to ready (10 starts on an existing database);
#   - idle resident memory after start;
#   - reading one system by id: wrk, 64 connections, 2 threads, 20 s;
#   - durable writes of new versions: senim-loadgen, 64 workers, 20 s.
# Usage: bench/registry.sh            (prints the figures for docs/BENCHMARKS.md)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/senim/target}"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
cargo build --release --locked -p senim-cli -p senim-loadgen
BIN="$CARGO_TARGET_DIR/release"
DATA="$(mktemp -d)"
PORT="${PORT:-18555}"
URL="http://127.0.0.1:$PORT"
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$DATA"' EXIT

wait_ready() {
  for _ in $(seq 1 2000); do
    curl -fs "$URL/readyz" >/dev/null 2>&1 && return 0
    sleep 0.002
  done
  echo "server did not become ready" >&2
  return 1
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r)"

# First start loads the demo (27 systems), then stop.
"$BIN/senim" serve --demo --data-dir "$DATA" --bind "127.0.0.1:$PORT" >/dev/null 2>&1 & SERVER=$!
wait_ready; kill $SERVER; wait $SERVER 2>/dev/null || true

echo "start to ready (ms), existing database, 10 starts:"
times=()
for _ in $(seq 1 10); do
  t0=$(date +%s%N)
  "$BIN/senim" serve --data-dir "$DATA" --bind "127.0.0.1:$PORT" >/dev/null 2>&1 & SERVER=$!
  wait_ready
  t1=$(date +%s%N)
  times+=($(( (t1 - t0) / 1000000 )))
  kill $SERVER; wait $SERVER 2>/dev/null || true
done
printf '  %s\n' "$(printf '%s ' "${times[@]}")"
printf '  median %s ms, max %s ms\n' "$(printf '%s\n' "${times[@]}" | sort -n | sed -n 5p)" "$(printf '%s\n' "${times[@]}" | sort -n | tail -1)"

"$BIN/senim" serve --data-dir "$DATA" --bind "127.0.0.1:$PORT" >/dev/null 2>&1 & SERVER=$!
wait_ready
sleep 2
echo "idle resident memory: $(awk '/VmRSS/ {printf "%.1f MiB", $2/1024}' /proc/$SERVER/status)"

ID=$(curl -fs "$URL/api/v1/systems?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')
echo "read one system by id (GET /api/v1/systems/$ID, $(curl -fs "$URL/api/v1/systems/$ID" | wc -c) bytes):"
wrk -t2 -c64 -d20s --latency "$URL/api/v1/systems/$ID" | grep -E 'Requests/sec|50%|99%|Non-2xx|Socket errors' | sed 's/^/  /'
echo "resident memory after the read run: $(awk '/VmRSS/ {printf "%.1f MiB", $2/1024}' /proc/$SERVER/status)"

TOKEN=$("$BIN/senim" admin --data-dir "$DATA" token create --email developer@hospital.demo --scopes write)
echo "durable writes of new versions (synchronous=FULL, group commit), 64 workers:"
"$BIN/senim-loadgen" versions --server "$URL" --token "$TOKEN" --workers 64 --seconds 20 | sed 's/^/  /'
echo "resident memory after the write run: $(awk '/VmRSS/ {printf "%.1f MiB", $2/1024}' /proc/$SERVER/status)"
