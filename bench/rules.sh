#!/usr/bin/env bash
# Benchmarks of the rule packs (issue 3), on this machine:
#   - classifications per second on one core (criterion, every shipped pack
#     against every case profile in rulepacks/cases);
#   - re-classifying 100,000 registered systems after a new version of the
#     pack in force is published through the API, change report included
#     (SQLite, synchronous=FULL).
# Usage: bench/rules.sh [SYSTEMS]
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/senim/target}"
SYSTEMS="${1:-100000}"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"

echo "== classification throughput (criterion, one thread)"
cargo bench --locked -p senim-rules --bench classify -- --noplot 2>/dev/null | grep -E 'classify/|time:|thrpt:' | sed 's/^/  /'

echo "== re-classifying $SYSTEMS systems after publishing a new pack version"
cargo build --release --locked -p senim-cli -p senim-loadgen 2>/dev/null
BIN="$CARGO_TARGET_DIR/release"
DATA="$(mktemp -d)"
PORT="${PORT:-18666}"
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$DATA"' EXIT
"$BIN/senim-loadgen" populate --data-dir "$DATA" --systems "$SYSTEMS" | sed 's/^/  /'
"$BIN/senim" admin --data-dir "$DATA" account create --email sup@bench.kz --name Supervisor --role supervisor >/dev/null
TOKEN=$("$BIN/senim" admin --data-dir "$DATA" token create --email sup@bench.kz --scopes admin)
"$BIN/senim" serve --data-dir "$DATA" --bind "127.0.0.1:$PORT" >/dev/null 2>&1 & SERVER=$!
for _ in $(seq 1 500); do curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break; sleep 0.02; done
# Version 1.1.0 of the pack in force: one more rule, so that every healthcare
# system moves from its level to prohibited and shows in the change report.
python3 - "$DATA/pack.json" <<'PY'
import json, sys
text = open("rulepacks/kz-seed-2025.toml").read().replace('version = "1.0.0"', 'version = "1.1.0"', 1)
text += '''
[[rules]]
id = "benchmark-healthcare-ban"
citation = "seed-5"
risk = "prohibited"
prohibited = ["benchmark-healthcare-ban"]
when = { field = "sectors", has = "healthcare" }
[rules.rationale]
kk = "Сынақ."
ru = "Тест."
en = "Benchmark."
'''
json.dump({"source": text}, open(sys.argv[1], "w"))
PY
t0=$(date +%s%N)
curl -fs -o "$DATA/report.json" -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
  --data-binary @"$DATA/pack.json" "http://127.0.0.1:$PORT/api/v1/rulepacks"
t1=$(date +%s%N)
python3 - "$DATA/report.json" "$(( (t1 - t0) / 1000000 ))" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"  POST /api/v1/rulepacks: {int(sys.argv[2])} ms; re-classified {r['reclassified']}, changed {len(r['changed'])}, report {len(json.dumps(r)) // 1024} KiB")
PY
echo "  resident memory of the server after publishing: $(awk '/VmRSS/ {printf "%.1f MiB", $2/1024}' /proc/$SERVER/status)"
