#!/usr/bin/env bash
# Backups under load (issue 19), SQLite backend, this machine: a register
# whose audit log holds ENTRIES entries (default 1,000,000, filled first with
# `senim-loadgen log-fill`) is backed up with `senim admin backup`, first
# alone, then while `senim-loadgen log-appends` makes durable register
# changes (64 at a time, 20 s); the appends' latency with and without the
# backup running, the copy's own log check, and the time `senim admin
# restore` takes to put that copy back (checked, with the rollback recorded).
# Usage: bench/backup.sh        (ENTRIES=1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/senim/target}"
cargo build --release --locked -p senim-cli -p senim-loadgen
BIN="$CARGO_TARGET_DIR/release"
ENTRIES="${ENTRIES:-1000000}"
DATA="$(mktemp -d)"
OUT="$(mktemp -d)"
trap 'rm -rf "$DATA" "$OUT"' EXIT

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r)"
echo "== filling the log to $ENTRIES entries"
/usr/bin/time -f "fill: %e s" "$BIN/senim-loadgen" log-fill --data-dir "$DATA" --entries "$ENTRIES" --chunk 200000 2>&1 | tail -1
echo "register: $(du -sh "$DATA/senim.db" | cut -f1)"

echo "== the backup alone"
/usr/bin/time -f "backup alone: %e s, max RSS %M KiB" "$BIN/senim" admin --data-dir "$DATA" backup "$OUT/alone" 2>&1 | tail -3

echo "== durable appends alone (64 at a time, 20 s)"
"$BIN/senim-loadgen" log-appends --data-dir "$DATA" --seconds 20 --concurrency 64

# The second run starts from the first backup: the same 1,000,000 entries
# (the load generator names its organisations from 1 again, so it needs a
# register it has not written to).
cp "$DATA/log.key" "$OUT/alone/"
echo "== durable appends (64 at a time, 20 s) with a backup started 5 s in"
"$BIN/senim-loadgen" log-appends --data-dir "$OUT/alone" --seconds 20 --concurrency 64 > "$OUT/during.json" &
LOAD=$!
sleep 5
/usr/bin/time -f "backup during the appends: %e s" "$BIN/senim" admin --data-dir "$OUT/alone" backup "$OUT/during" 2>&1 | tail -3
wait $LOAD
cat "$OUT/during.json"

echo "== the copy taken during the appends checks"
"$BIN/senim" admin --data-dir "$OUT/during" --log-key-file "$DATA/log.key" check-log

# The restore (`senim admin restore`): the copy taken during the appends
# replaces the first register, whose own history went on meanwhile, so the
# rollback must be accepted; the restored register then checks.
echo "== restoring the copy taken during the appends over the first register"
/usr/bin/time -f "restore: %e s, max RSS %M KiB" "$BIN/senim" admin --data-dir "$DATA" restore "$OUT/during" \
  --accept-rollback="benchmark: restored from the copy taken during the appends" 2>&1 | tail -4
"$BIN/senim" admin --data-dir "$DATA" check-log
