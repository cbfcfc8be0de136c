#!/usr/bin/env bash
# Benchmark of the pages (issue 7), SQLite, this machine:
#   - the register page with 10,000 systems: request latency on loopback
#     (render included) with wrk, one connection, 20 s each, for the first
#     page, a faceted and sorted page, a word search and a deep page;
#   - the weight of each page type, uncached: the HTML plus every file it
#     loads (stylesheet, scripts, icon), as a first visit downloads them,
#     uncompressed and as a browser gets them (brotli).
# Usage: bench/pages.sh [systems, default 10000]
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/senim/target}"
COUNT="${1:-10000}"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
cargo build --release --locked -p senim-cli -p senim-loadgen
BIN="$CARGO_TARGET_DIR/release"
WORK="$(mktemp -d)"
DATA="$WORK/data"
PORT="${PORT:-18559}"
URL="http://127.0.0.1:$PORT"
SERVER=
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r)"
"$BIN/senim-loadgen" populate --data-dir "$DATA" --systems "$COUNT" | tail -1
# The server on core 0, the load generator on core 1 (two cores: sharing
# them would put wrk's own work in the tail).
taskset -c 0 "$BIN/senim" serve --data-dir "$DATA" --bind "127.0.0.1:$PORT" >"$WORK/server.log" 2>&1 & SERVER=$!
for _ in $(seq 1 20000); do curl -fs "$URL/readyz" >/dev/null 2>&1 && break; sleep 0.01; done
echo "systems in the register: $(curl -fs "$URL/api/v1/systems?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')"
echo "server RSS: $(awk '/VmRSS/ {printf "%.0f MiB", $2/1024}' /proc/$SERVER/status)"
grep -o 'started in [0-9]* ms' "$WORK/server.log" || true

echo
echo "== register page latency (1 connection, 20 s each, Accept-Language: ru; server on core 0, wrk on core 1)"
for path in "/register" "/register?sector=healthcare&risk=high&sort=name" "/register?q=system" \
  "/register?q=%D0%B7%D0%B4%D1%80%D0%B0%D0%B2%D0%BE%D0%BE%D1%85%D1%80%D0%B0%D0%BD%D0%B5%D0%BD%D0%B8%D0%B5" \
  "/register?q=benchmrk%20sistem%204242" "/register?q=zzqqxx" "/register?page=200&sort=number"; do
  printf '%s\n' "-- GET $path"
  taskset -c 1 wrk -t1 -c1 -d20s --latency -H 'Accept-Language: ru' "$URL$path" | grep -E 'Requests/sec|50%|90%|99%|Non-2xx' || true
done

echo
echo "== page weights, uncached (HTML + stylesheet + scripts + icon), bytes"
ASSETS=0
for a in $(curl -fs "$URL/" | grep -oE '/assets/[^"]+' | sort -u); do
  n=$(curl -fs "$URL$a" | wc -c); ASSETS=$((ASSETS + n)); echo "   asset $a: $n"
done
SYS=$(curl -fs "$URL/api/v1/systems?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')
N=$(curl -fs "$URL/log/checkpoint" | sed -n 2p)
for path in / /register "/systems/$SYS" /statistics /decisions /trusted-lists /library /report /report/status /self-check "/self-check/result?sectors=healthcare&functions=decision_support&affects=health&failure_impact=severe&autonomy=low" /audit-log "/audit-log/entries/$((N - 1))" /login; do
  html=$(curl -fs -H 'Accept-Language: kk' "$URL$path" | wc -c)
  printf '%8d  %-40s (html %d + assets %d)\n' $((html + ASSETS)) "${path:0:40}" "$html" "$ASSETS"
done

echo
echo "== the same, compressed as a browser asks (Accept-Encoding: br, gzip), bytes on the wire"
wire() { curl -fs -o /dev/null -w '%{size_download}' -H 'Accept-Language: kk' -H 'Accept-Encoding: br, gzip' "$URL$1"; }
ZASSETS=0
for a in $(curl -fs "$URL/" | grep -oE '/assets/[^"]+' | sort -u); do
  n=$(wire "$a"); ZASSETS=$((ZASSETS + n)); echo "   asset $a: $n"
done
for path in / /register "/systems/$SYS" /statistics /audit-log; do
  html=$(wire "$path")
  printf '%8d  %-40s (html %d + assets %d)\n' $((html + ZASSETS)) "${path:0:40}" "$html" "$ZASSETS"
done
