#!/usr/bin/env bash
# Benchmark of the documents people download (issue 21), SQLite, this
# machine: a registration certificate and an extract from the register
# (on a loaded register), and a decision on a violation and an audit's
# report (on the demo's, whose decision and audit they are), each a
# PDF/A-3b document made on request with the audit log's receipt of its
# entry (the inclusion proof read from the log's tiles) embedded.
#   - latency of one download, one connection, 20 s (p50/p90/p99), server
#     on core 0 and wrk on core 1;
#   - certificates per second with two connections on the server's core;
#   - the server's memory: resident before, after, and its peak (VmHWM).
# Target (issue 21): p99 of one download <= 50 ms, memory bounded.
# Usage: bench/documents.sh [systems, default 1000]
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/senim/target}"
COUNT="${1:-1000}"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
cargo build --release --locked -p senim-cli -p senim-loadgen
BIN="$CARGO_TARGET_DIR/release"
WORK="$(mktemp -d)"
DATA="$WORK/data"
PORT="${PORT:-18561}"
URL="http://127.0.0.1:$PORT"
SERVER=
DEMO=
trap 'kill $SERVER $DEMO 2>/dev/null || true; wait $SERVER $DEMO 2>/dev/null || true; rm -rf "$WORK"' EXIT

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r)"
"$BIN/senim-loadgen" populate --data-dir "$DATA" --systems "$COUNT" | tail -1
taskset -c 0 "$BIN/senim" serve --data-dir "$DATA" --bind "127.0.0.1:$PORT" >"$WORK/server.log" 2>&1 & SERVER=$!
for _ in $(seq 1 20000); do curl -fs "$URL/readyz" >/dev/null 2>&1 && break; sleep 0.01; done
SYS=$(curl -fs "$URL/api/v1/systems?status=registered&limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')
echo "registered systems: $(curl -fs "$URL/api/v1/systems?status=registered&limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])') of $(curl -fs "$URL/api/v1/systems?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')"
# The log's sequencer may still be catching up after the population.
for _ in $(seq 1 600); do
  code=$(curl -s -o "$WORK/c.pdf" -w '%{http_code}' -H 'Accept-Language: kk' "$URL/systems/$SYS/certificate.pdf")
  [ "$code" = 200 ] && break
  sleep 0.5
done
echo "certificate: $(wc -c <"$WORK/c.pdf") bytes; log entries: $(curl -fs "$URL/log/checkpoint" | sed -n 2p)"
rss() { awk -v k="$1" '$1 == k":" {printf "%.0f MiB", $2/1024}' /proc/$SERVER/status; }
echo "server memory before: resident $(rss VmRSS)"

for path in "/systems/$SYS/certificate.pdf" "/systems/$SYS/extract.pdf"; do
  echo
  echo "== GET $path (Accept-Language: kk; server on core 0, wrk on core 1)"
  echo "-- one connection, 20 s"
  taskset -c 1 wrk -t1 -c1 -d20s --latency -H 'Accept-Language: kk' "$URL$path" | grep -E 'Requests/sec|50%|90%|99%|Non-2xx' || true
  echo "-- two connections, 20 s"
  taskset -c 1 wrk -t1 -c2 -d20s --latency -H 'Accept-Language: kk' "$URL$path" | grep -E 'Requests/sec|99%|Non-2xx' || true
  echo "   server resident after it: $(rss VmRSS)"
done
echo
echo "== memory over a longer run: 3 more rounds of 20 s, two connections, resident after each"
for round in 1 2 3; do
  taskset -c 1 wrk -t1 -c2 -d20s -H 'Accept-Language: ru' "$URL/systems/$SYS/certificate.pdf" | grep -E 'Requests/sec' || true
  echo "   round $round: resident $(rss VmRSS)"
done
echo
echo "server memory after: resident $(rss VmRSS), peak $(rss VmHWM)"
kill $SERVER; wait $SERVER 2>/dev/null || true

# The demo's register: its published decision (a fine), and its audit,
# closed by its auditor, whose report is downloaded with their session.
echo
DEMO_PORT=$((PORT + 1))
DEMO_URL="http://127.0.0.1:$DEMO_PORT"
taskset -c 0 "$BIN/senim" serve --demo --data-dir "$WORK/demo" --bind "127.0.0.1:$DEMO_PORT" >"$WORK/demo.log" 2>&1 & DEMO=$!
SERVER=$DEMO
for _ in $(seq 1 20000); do curl -fs "$DEMO_URL/readyz" >/dev/null 2>&1 && break; sleep 0.01; done
DECISION=$(curl -fs "$DEMO_URL/api/v1/decisions" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["case_id"])')
PASSWORD=$(awk -F'\t' '$1 == "auditor@audit.demo" {print $3}' "$WORK/demo/demo-accounts.txt")
CSRF=$(curl -fs -c "$WORK/jar" -H 'content-type: application/json' \
  -d "{\"email\":\"auditor@audit.demo\",\"password\":\"$PASSWORD\"}" "$DEMO_URL/api/v1/session" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["csrf_token"])')
read -r AUDIT REVISION < <(curl -fs -b "$WORK/jar" "$DEMO_URL/api/v1/cases?kind=audit" \
  | python3 -c 'import json,sys; c=json.load(sys.stdin)["items"][0]; print(c["id"], c["revision"])')
curl -fs -o /dev/null -b "$WORK/jar" -H "x-csrf-token: $CSRF" -H 'content-type: application/json' \
  -H "if-match: \"$REVISION\"" -d '{"action":"close_audit","conclusion":"The risk assessment is to be brought up to date."}' \
  "$DEMO_URL/api/v1/cases/$AUDIT/steps"
COOKIE=$(awk '$6 == "senim_session" {print "senim_session=" $7}' "$WORK/jar")
for _ in $(seq 1 600); do
  code=$(curl -s -o "$WORK/a.pdf" -w '%{http_code}' -H "Cookie: $COOKIE" "$DEMO_URL/desk/cases/$AUDIT/audit-report.pdf")
  [ "$code" = 200 ] && break
  sleep 0.5
done
curl -fs -o "$WORK/d.pdf" -H 'Accept-Language: kk' "$DEMO_URL/decisions/$DECISION/decision.pdf"
echo "demo register: decision $(wc -c <"$WORK/d.pdf") bytes, audit report $(wc -c <"$WORK/a.pdf") bytes"
echo "demo server memory before: resident $(rss VmRSS)"
for path in "/decisions/$DECISION/decision.pdf" "/desk/cases/$AUDIT/audit-report.pdf"; do
  echo
  echo "== GET $path (Accept-Language: kk; server on core 0, wrk on core 1)"
  echo "-- one connection, 20 s"
  taskset -c 1 wrk -t1 -c1 -d20s --latency -H 'Accept-Language: kk' -H "Cookie: $COOKIE" "$DEMO_URL$path" | grep -E 'Requests/sec|50%|90%|99%|Non-2xx' || true
  echo "-- two connections, 20 s"
  taskset -c 1 wrk -t1 -c2 -d20s --latency -H 'Accept-Language: kk' -H "Cookie: $COOKIE" "$DEMO_URL$path" | grep -E 'Requests/sec|99%|Non-2xx' || true
  echo "   server resident after it: $(rss VmRSS)"
done
echo
echo "demo server memory after: resident $(rss VmRSS), peak $(rss VmHWM)"
