#!/usr/bin/env bash
# Copies the front-end files Senim serves from its binary out of the npm
# registry's packages, pinned in vendor/package.json and package-lock.json.
#
#   ./scripts/vendor.sh          # refresh crates/senim-web/assets/ from npm
#   ./scripts/vendor.sh --check  # fail if the committed copies differ from npm's
#
# The copies are committed, so building Senim needs no npm; the test command
# runs --check, so a copy cannot drift from the package it names.
set -euo pipefail
cd "$(dirname "$0")/../vendor"
npm ci --no-audit --no-fund --silent
assets=../crates/senim-web/assets
files=("node_modules/htmx.org/dist/htmx.min.js:htmx.min.js")
status=0
for pair in "${files[@]}"; do
  from="${pair%%:*}" to="$assets/${pair##*:}"
  if [ "${1:-}" = "--check" ]; then
    if ! cmp -s "$from" "$to"; then
      echo "$to differs from $from (run ./scripts/vendor.sh)" >&2
      status=1
    fi
  else
    cp "$from" "$to"
  fi
done
exit $status
