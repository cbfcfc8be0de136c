#!/usr/bin/env bash
# Benchmark of the data library's files (issue 6), SQLite, local storage,
# this machine: a 5 GiB file uploaded through the HTTP API (one streamed
# PATCH of a declared upload; the server writes it, checks its SHA-256 and
# moves it into the storage) and downloaded back, against dd on the same
# disk in the same run (writing with conv=fdatasync, reading the file back),
# with the server's resident memory before and after.
# Usage: bench/library.sh [size in MiB, default 5120]
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/senim/target}"
MIB="${1:-5120}"
cargo build --release --locked -p senim-cli
BIN="$CARGO_TARGET_DIR/release"
# On the same disk as the clone (not /tmp, which may be another device).
WORK="$(mktemp -d "$PWD/.bench-library.XXXXXX")"
DATA="$WORK/data"
PORT="${PORT:-18557}"
URL="http://127.0.0.1:$PORT"
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r); disk: $(df -h "$WORK" | awk 'NR==2 {print $1}')"
"$BIN/senim" serve --demo --data-dir "$DATA" --bind "127.0.0.1:$PORT" >/dev/null 2>&1 & SERVER=$!
for _ in $(seq 1 2000); do curl -fs "$URL/readyz" >/dev/null 2>&1 && break; sleep 0.005; done
TOKEN=$("$BIN/senim" admin --data-dir "$DATA" token create --email data_steward@hospital.demo --scopes write)
DATASET=$(curl -fs "$URL/api/v1/datasets?q=sepsis" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')

# Reads are measured from the disk, not the page cache: the caches are
# dropped before each (root only; otherwise the script says so).
drop() { sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || echo "  (cannot drop the page cache: the next read comes from memory)"; }
rate() { python3 -c "print(f'{$1 / 1048576 / $2:.0f}')"; }
now() { date +%s.%N; }
rss() { awk '/VmRSS/ {printf "%.1f", $2/1024}' /proc/$SERVER/status; }
hwm() { awk '/VmHWM/ {printf "%.1f", $2/1024}' /proc/$SERVER/status; }

FILE="$WORK/file.bin"
BYTES=$((MIB * 1048576))
t0=$(now); dd if=/dev/urandom of="$FILE" bs=1M count="$MIB" conv=fdatasync status=none; t1=$(now)
echo "dd write (conv=fdatasync) of $MIB MiB of random data: $(rate $BYTES "$(echo "$t1 - $t0" | bc)") MiB/s (includes reading /dev/urandom)"
t0=$(now); dd if=/dev/zero of="$WORK/zero.bin" bs=1M count="$MIB" conv=fdatasync status=none; t1=$(now)
DD_WRITE=$(rate $BYTES "$(echo "$t1 - $t0" | bc)")
echo "dd write (conv=fdatasync) of $MIB MiB: $DD_WRITE MiB/s"
drop
t0=$(now); dd if="$WORK/zero.bin" of=/dev/null bs=1M status=none; t1=$(now)
DD_READ=$(rate $BYTES "$(echo "$t1 - $t0" | bc)")
echo "dd read of the same file, from the disk: $DD_READ MiB/s"
t0=$(now); dd if="$WORK/zero.bin" of=/dev/null bs=1M status=none; t1=$(now)
echo "dd read again, from the page cache: $(rate $BYTES "$(echo "$t1 - $t0" | bc)") MiB/s"
rm -f "$WORK/zero.bin"
SHA=$(sha256sum "$FILE" | cut -d' ' -f1)

echo "server resident memory before: $(rss) MiB (peak so far $(hwm) MiB)"
UPLOAD=$(curl -fs -X POST "$URL/api/v1/datasets/$DATASET/uploads" -H "Authorization: Bearer $TOKEN" \
  -H 'Content-Type: application/json' -d "{\"name\": \"file.bin\", \"size\": $BYTES, \"sha256\": \"$SHA\"}" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
t0=$(now)
RESOURCE=$(curl -fs -X PATCH -T "$FILE" "$URL/api/v1/uploads/$UPLOAD" -H "Authorization: Bearer $TOKEN" \
  -H 'Upload-Offset: 0' -H 'Content-Type: application/offset+octet-stream' \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
t1=$(now)
UP=$(rate $BYTES "$(echo "$t1 - $t0" | bc)")
echo "upload through the API (write, SHA-256 check, move into storage): $UP MiB/s = $(python3 -c "print(f'{100*$UP/$DD_WRITE:.0f}')")% of dd write"
echo "server resident memory after the upload: $(rss) MiB (peak $(hwm) MiB)"
drop
t0=$(now)
curl -fs "$URL/api/v1/resources/$RESOURCE/file" -H "Authorization: Bearer $TOKEN" -o /dev/null
t1=$(now)
DOWN=$(rate $BYTES "$(echo "$t1 - $t0" | bc)")
echo "download through the API, from the disk: $DOWN MiB/s = $(python3 -c "print(f'{100*$DOWN/$DD_READ:.0f}')")% of dd read"
t0=$(now)
curl -fs "$URL/api/v1/resources/$RESOURCE/file" -H "Authorization: Bearer $TOKEN" -o /dev/null
t1=$(now)
echo "download again, from the page cache: $(rate $BYTES "$(echo "$t1 - $t0" | bc)") MiB/s"
echo "server resident memory after the download: $(rss) MiB (peak $(hwm) MiB)"
