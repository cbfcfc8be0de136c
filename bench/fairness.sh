#!/usr/bin/env bash
# Senim fairness engine vs Fairlearn: wall time and peak RSS on 10M rows.
#
#   bench/fairness.sh [ROWS]        (default 10000000)
#
# Runs `senim audit metrics` (release build) and Fairlearn's MetricFrame on the
# same generated file. Fairlearn takes about an hour on 10M rows.
#
# Env: PYTHON (default the test command's venv, $HOME/.cache/senim/venv, with
# fairlearn, pandas, pyarrow), CARGO_TARGET_DIR (default $HOME/.cache/senim/target),
# BENCH_DIR (default /tmp/senim-fairness-bench), SKIP_FAIRLEARN=1,
# FAIRLEARN_BOOT_SAMPLE (rows for Fairlearn's bootstrap, default 100000),
# FAIRLEARN_BOOT_N (default 20).
set -euo pipefail
ROWS=${1:-10000000}
HERE=$(cd "$(dirname "$0")/fairness" && pwd)
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PYTHON=${PYTHON:-$HOME/.cache/senim/venv/bin/python}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/senim/target}
DIR=${BENCH_DIR:-/tmp/senim-fairness-bench}
SENIM="$CARGO_TARGET_DIR/release/senim"
mkdir -p "$DIR"
[ -x /usr/bin/time ] || { echo "install GNU time: apt-get install -y time" >&2; exit 1; }

echo "== machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB RAM, $(uname -srm)"
(cd "$ROOT" && cargo build --release --locked -q -p senim-cli)

DATA="$DIR/predictions_$ROWS"
if [ ! -f "$DATA.csv" ] || [ ! -f "$DATA.parquet" ]; then
  echo "== generating $ROWS rows"
  "$PYTHON" "$HERE/gen_data.py" "$ROWS" "$DATA"
fi
ls -l "$DATA.csv" "$DATA.parquet"

measure() { # label, command...
  local label=$1; shift
  /usr/bin/time -v "$@" > "$DIR/out.txt" 2> "$DIR/time.txt" || { cat "$DIR/time.txt" >&2; exit 1; }
  local wall rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/{print $2}' "$DIR/time.txt")
  rss=$(awk -F': ' '/Maximum resident set size/{print $2}' "$DIR/time.txt")
  printf '%-44s wall %-10s peak RSS %6.0f MiB\n' "$label" "$wall" "$(echo "$rss / 1024" | bc -l)"
  echo "$label|$wall|$rss" >> "$DIR/results.txt"
}
seconds() { # h:mm:ss or m:ss.xx -> seconds
  echo "$1" | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }'
}
: > "$DIR/results.txt"
ARGS=(--y-true y_true --y-pred y_pred --score score --weight sample_weight --sensitive sex,age_band --privileged sex=male --format json)

echo "== Senim (senim audit metrics, release, every metric, no bootstrap)"
measure "senim csv" "$SENIM" audit metrics "$DATA.csv" "${ARGS[@]}"
cp "$DIR/out.txt" "$DIR/senim_csv.json"
measure "senim parquet" "$SENIM" audit metrics "$DATA.parquet" "${ARGS[@]}"
measure "senim csv, no score (no ROC AUC)" "$SENIM" audit metrics "$DATA.csv" --y-true y_true --y-pred y_pred --weight sample_weight --sensitive sex,age_band --privileged sex=male --format json

echo "== Senim bootstrap"
measure "senim csv, bootstrap 1000" "$SENIM" audit metrics "$DATA.csv" "${ARGS[@]}" --bootstrap 1000 --seed 1
grep -o '"scheme": "[a-z_]*"' "$DIR/out.txt" | head -1
if [ "$ROWS" -ge 1000000 ]; then
  "$PYTHON" -c "import pandas as pd; pd.read_parquet('$DATA.parquet').iloc[:1000000].to_csv('$DIR/sample_1m.csv', index=False)"
  measure "senim 1M rows, bootstrap 1000" "$SENIM" audit metrics "$DIR/sample_1m.csv" "${ARGS[@]}" --bootstrap 1000 --seed 1
  grep -o '"scheme": "[a-z_]*"' "$DIR/out.txt" | head -1
fi

if [ "${SKIP_FAIRLEARN:-0}" != 1 ]; then
  echo "== Fairlearn $("$PYTHON" -c 'import fairlearn; print(fairlearn.__version__)') (pandas read + MetricFrame + fairness functions)"
  measure "fairlearn csv" "$PYTHON" "$HERE/fairlearn_bench.py" "$DATA.csv"
  cat "$DIR/out.txt"
  cp "$DIR/out.txt" "$DIR/fairlearn_csv.txt"
  BOOT_ROWS=${FAIRLEARN_BOOT_SAMPLE:-100000}
  BOOT_N=${FAIRLEARN_BOOT_N:-20}
  measure "fairlearn bootstrap $BOOT_N on first $BOOT_ROWS rows" "$PYTHON" "$HERE/fairlearn_bench.py" "$DATA.csv" --n-boot "$BOOT_N" --sample "$BOOT_ROWS"
  cat "$DIR/out.txt"

  s_wall=$(seconds "$(awk -F'|' '$1=="senim csv"{print $2}' "$DIR/results.txt")")
  f_wall=$(seconds "$(awk -F'|' '$1=="fairlearn csv"{print $2}' "$DIR/results.txt")")
  f_mf=$(awk '/metricframe_seconds/{print $2}' "$DIR/fairlearn_csv.txt")
  echo "== ratio (wall, CSV, same file): Fairlearn ${f_wall}s / Senim ${s_wall}s = $(echo "$f_wall / $s_wall" | bc -l | cut -c1-6)x"
  echo "== ratio (Fairlearn MetricFrame alone ${f_mf}s / Senim end-to-end ${s_wall}s) = $(echo "$f_mf / $s_wall" | bc -l | cut -c1-6)x"
  echo "== check: Senim demographic_parity_difference $("$PYTHON" -c "import json; print(json.load(open('$DIR/senim_csv.json'))['fairlearn'][0]['demographic_parity_difference']['between_groups'])"), Fairlearn: $(awk '/^check/{print $3}' "$DIR/fairlearn_csv.txt")"
fi
