#!/usr/bin/env bash
# Fuzz the HTTP request parsers (senim_app::fuzzing::request_parsers).
#
# Usage: scripts/fuzz.sh [SECONDS]   (default 60)
#
# The machine has only the stable toolchain; RUSTC_BOOTSTRAP=1 lets stable
# rustc accept the nightly -Z flags (sanitizer, coverage) cargo-fuzz passes.
set -euo pipefail

seconds="${1:-60}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/root/.cache/senim/fuzz-target}"
export RUSTC_BOOTSTRAP=1

# libFuzzer writes new inputs into the first corpus directory, so give it a
# writable (git-ignored) one and keep the committed seeds read-only.
corpus=fuzz/corpus/request_parsers
mkdir -p "$corpus"
cp -n fuzz/seeds/request_parsers/* "$corpus"/ 2>/dev/null || true

exec cargo fuzz run request_parsers "$corpus" fuzz/seeds/request_parsers -- \
    -max_total_time="$seconds"
