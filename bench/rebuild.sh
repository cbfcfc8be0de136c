#!/usr/bin/env bash
# Incremental debug rebuild of the `senim` binary after touching one page
# template and after touching one API route, as a developer edits them.
#
#   bench/rebuild.sh [TREE]     (TREE: a checkout of Senim; default this one)
#
# Works on the layout before the split of senim-server (templates and routes
# inside senim-server) and after it (senim-web, senim-api), so one run can
# measure both: `git worktree add /tmp/before <commit>; bench/rebuild.sh /tmp/before`.
# Each figure is the median of RUNS (default 3) rebuilds, wall time and CPU
# time (user + system), from a warm build of the same tree.
set -euo pipefail
TREE="$(cd "${1:-$(dirname "$0")/..}" && pwd)"
RUNS="${RUNS:-3}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/senim/target}"
cd "$TREE"
if [ -d crates/senim-web ]; then
  template=crates/senim-web/templates/base.html
  route=crates/senim-api/src/systems.rs
else
  template=crates/senim-server/templates/base.html
  route=crates/senim-server/src/routes/systems.rs
fi
echo "tree: $TREE ($(git rev-parse --short HEAD)); machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
cargo build -q --locked -p senim-cli
measure() {
  local file=$1 walls=() cpus=()
  for _ in $(seq 1 "$RUNS"); do
    touch "$file"
    local out
    out=$( { /usr/bin/time -f "%e %U %S" cargo build -q --locked -p senim-cli; } 2>&1 | tail -1)
    read -r wall user sys <<<"$out"
    walls+=("$wall")
    cpus+=("$(echo "$user + $sys" | bc)")
  done
  printf '%-45s wall %s s (runs: %s), CPU %s s\n' "$file" \
    "$(printf '%s\n' "${walls[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p")" "${walls[*]}" \
    "$(printf '%s\n' "${cpus[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p")"
}
measure "$template"
measure "$route"
