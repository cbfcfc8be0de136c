#!/usr/bin/env bash
# Benchmarks of the public audit log (issue 4), SQLite backend, this machine:
#   - durable appends with group commit: senim-loadgen log-appends, 1024
#     concurrent register changes through the store's writer, 30 s;
#   - a log of 10 million entries (filled once, kept in $LOG_DATA), served by
#     `senim serve`:
#       - `senim verify` of the whole log from its tiles and entry bundles;
#       - inclusion proofs for random entries, wrk -t2 -c8 and -t1 -c1;
#       - random full hash tiles, wrk -t2 -c64; the checkpoint;
#     first with the default tile cache (4,096 tiles), then with one that
#     holds every tile of the log (log_tile_cache = 65536).
# Usage: bench/log.sh      (LOG_DATA=/path/with/space ENTRIES=10000000)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/senim/target}"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
cargo build --release --locked -p senim-cli -p senim-loadgen
BIN="$CARGO_TARGET_DIR/release"
ENTRIES="${ENTRIES:-10000000}"
LOG_DATA="${LOG_DATA:-/work/benchdata/log10m}"
PORT="${PORT:-18556}"
URL="http://127.0.0.1:$PORT"
APPENDS="$(mktemp -d)"
STATE="$(mktemp -d)"
SCRIPTS="$(mktemp -d)"
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$APPENDS" "$STATE" "$SCRIPTS"' EXIT
SERVER=""

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r)"

echo "== durable appends (group commit), fresh SQLite log"
"$BIN/senim-loadgen" log-appends --data-dir "$APPENDS" --seconds 30 --concurrency 1024

if [ ! -f "$LOG_DATA/senim.db" ]; then
  echo "== filling $LOG_DATA to $ENTRIES entries"
  /usr/bin/time -f "fill: %e s, max RSS %M KiB" \
    "$BIN/senim-loadgen" log-fill --data-dir "$LOG_DATA" --entries "$ENTRIES" --chunk 200000 2>&1 | tail -2
fi
du -sh "$LOG_DATA"

cat > "$SCRIPTS/proof.lua" <<'LUA'
local size = tonumber(os.getenv("SIZE"))
math.randomseed(os.time())
request = function()
  local i = math.random(0, size - 1)
  return wrk.format("GET", "/api/v1/log/proof/inclusion?index=" .. i .. "&size=" .. size)
end
LUA
cat > "$SCRIPTS/tile.lua" <<'LUA'
local size = tonumber(os.getenv("SIZE"))
local full = math.floor(size / 256)
math.randomseed(os.time())
local function path(n)
  local groups = { string.format("%03d", n % 1000) }
  n = math.floor(n / 1000)
  while n > 0 do
    table.insert(groups, 1, string.format("x%03d", n % 1000))
    n = math.floor(n / 1000)
  end
  return table.concat(groups, "/")
end
request = function()
  return wrk.format("GET", "/log/tile/0/" .. path(math.random(0, full - 1)))
end
LUA

measure() { # $1: label, $2: tile cache size
  printf 'data_dir = "%s"\nbind = "127.0.0.1:%s"\nlog_tile_cache = %s\n' "$LOG_DATA" "$PORT" "$2" > "$SCRIPTS/config.toml"
  "$BIN/senim" serve --config "$SCRIPTS/config.toml" >/dev/null 2>&1 & SERVER=$!
  for _ in $(seq 1 3000); do curl -fs "$URL/readyz" >/dev/null 2>&1 && break; sleep 0.01; done
  SIZE=$(curl -fs "$URL/log/checkpoint" | sed -n 2p)
  export SIZE
  echo "==== $1: log of $SIZE entries, log_tile_cache = $2"
  rm -f "$STATE/state.json"
  echo "== senim verify of the whole log (also fills the tile cache)"
  /usr/bin/time -f "verify: %e s wall, %U s user, %S s system, max RSS %M KiB" \
    "$BIN/senim" verify --server "$URL" --state "$STATE/state.json" --parallel 16 2>&1 | grep -v "^note\|^      compare"
  echo "== senim verify again (and consistency with the first run)"
  /usr/bin/time -f "verify: %e s wall" \
    "$BIN/senim" verify --server "$URL" --state "$STATE/state.json" --parallel 16
  echo "== inclusion proofs, random entries, 8 connections"
  wrk -t2 -c8 -d20s --latency -s "$SCRIPTS/proof.lua" "$URL" | grep -E "50%|90%|99%|Requests/sec|Non-2xx"
  echo "== inclusion proofs, random entries, 1 connection"
  wrk -t1 -c1 -d20s --latency -s "$SCRIPTS/proof.lua" "$URL" | grep -E "50%|90%|99%|Requests/sec|Non-2xx"
  echo "== full hash tiles (8 KiB), random, 64 connections"
  wrk -t2 -c64 -d20s --latency -s "$SCRIPTS/tile.lua" "$URL" | grep -E "50%|99%|Requests/sec|Transfer/sec|Non-2xx"
  echo "== checkpoint, 64 connections"
  wrk -t2 -c64 -d10s --latency "$URL/log/checkpoint" | grep -E "99%|Requests/sec|Non-2xx"
  echo "server RSS: $(awk '/VmRSS/ {printf "%.1f MiB", $2/1024}' /proc/$SERVER/status)"
  kill $SERVER; wait $SERVER 2>/dev/null || true
}

cat "$LOG_DATA/senim.db" > /dev/null   # the same page cache for both runs
measure "default configuration" 4096
measure "tile cache holding the whole log" 65536
