#!/usr/bin/env bash
# Benchmark of the data library's search (issue 6), SQLite, this machine:
# CKAN's package_search over 100,000 datasets (50 organisations, titles and
# descriptions in kk/ru/en, keywords, themes, licences, 0-2 files each),
# measured with wrk against the running server:
#   - a mix of the searches portals and harvesters send (free words in each
#     language, organisation/format/tag filters, sorts, pages, facets),
#     one connection (each search's own time), then 2 threads x 8
#     connections (the server saturated), 20 s each;
#   - the heaviest: everything with five facet fields counted over all
#     100,000 datasets, 1 connection and 8 connections, 20 s each;
# plus the time the server takes to build its index at start, and its memory.
# Usage: bench/search.sh [datasets, default 100000]
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/senim/target}"
COUNT="${1:-100000}"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
cargo build --release --locked -p senim-cli -p senim-loadgen
BIN="$CARGO_TARGET_DIR/release"
WORK="$(mktemp -d)"
DATA="$WORK/data"
PORT="${PORT:-18558}"
URL="http://127.0.0.1:$PORT"
SERVER=
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r)"
"$BIN/senim-loadgen" datasets --data-dir "$DATA" --count "$COUNT" | tail -1
t0=$(date +%s.%N)
"$BIN/senim" serve --data-dir "$DATA" --bind "127.0.0.1:$PORT" >"$WORK/server.log" 2>&1 & SERVER=$!
for _ in $(seq 1 20000); do curl -fs "$URL/readyz" >/dev/null 2>&1 && break; sleep 0.01; done
t1=$(date +%s.%N)
echo "server ready (index of $COUNT datasets built from the database) in $(echo "$t1 - $t0" | bc) s; RSS $(awk '/VmRSS/ {printf "%.0f MiB", $2/1024}' /proc/$SERVER/status)"

BINS=$(curl -fs "$URL/api/3/action/organization_list" | python3 -c 'import json,sys; print(" ".join(json.load(sys.stdin)["result"]))')
python3 - "$WORK/mix.lua" $BINS <<'PY'
import sys, urllib.parse
out, bins = sys.argv[1], sys.argv[2:]
words = ["hospital", "больница", "аурухана", "road accidents", "качество воздуха", "мектеп",
         "census", "урожай", "court decisions", "energy consumption", "жол", "tax payments"]
facets = '["organization","res_format","license_id","tags","groups"]'
paths = []
def add(**params):
    paths.append("/api/3/action/package_search?" + urllib.parse.urlencode(params))
for w in words:
    add(q=w)
    add(q=w, **{"facet.field": facets})
for b in bins[:20]:
    add(fq=f"organization:{b}", rows=20, sort="metadata_modified desc")
for f in ["CSV", "PARQUET", "JSON"]:
    add(q="hospital", fq=f"res_format:{f}", rows=10)
for t in ["health", "transport", "imaging", "survey"]:
    add(fq=f"tags:{t} license_id:CC-BY-4.0", rows=50, start=100)
for start in [0, 1000, 50000]:
    add(rows=100, start=start, sort="id asc")
add(q="*:*", **{"facet.field": facets})
with open(out, "w") as f:
    f.write("paths = {\n" + ",\n".join(f'  "{p}"' for p in paths) + "\n}\n")
    f.write("request = function()\n  return wrk.format('GET', paths[math.random(#paths)])\nend\n")
    f.write("response = function(status, headers, body)\n  if status ~= 200 then error('status ' .. status) end\nend\n")
print(f"{len(paths)} different searches")
PY
ALL="$URL/api/3/action/package_search?q=*:*&facet.field=%5B%22organization%22,%22res_format%22,%22license_id%22,%22tags%22,%22groups%22%5D"
curl -fs "$ALL" | python3 -c 'import json,sys; r=json.load(sys.stdin)["result"]; print("everything:", r["count"], "datasets;", {k: len(v) for k, v in r["facets"].items()}, "facet values")'

echo "== mixed searches, one client at a time, wrk -t1 -c1 -d20s"
wrk -t1 -c1 -d20s --latency -s "$WORK/mix.lua" "$URL" | grep -E " 50%| 90%| 99%|Requests/sec|Non-2xx|errors"
echo "== mixed searches, wrk -t2 -c8 -d20s"
wrk -t2 -c8 -d20s --latency -s "$WORK/mix.lua" "$URL" | grep -E " 50%| 90%| 99%|Requests/sec|Non-2xx|errors"
echo "== everything with five facets, wrk -t1 -c1 -d20s"
wrk -t1 -c1 -d20s --latency "$ALL" | grep -E " 50%| 99%|Requests/sec|Non-2xx"
echo "== everything with five facets, wrk -t2 -c8 -d20s"
wrk -t2 -c8 -d20s --latency "$ALL" | grep -E " 50%| 99%|Requests/sec|Non-2xx"
echo "server RSS after: $(awk '/VmRSS/ {printf "%.0f MiB", $2/1024}' /proc/$SERVER/status), peak $(awk '/VmHWM/ {printf "%.0f MiB", $2/1024}' /proc/$SERVER/status)"
