#!/usr/bin/env bash
# Runs the standard tools that read Senim's library, unchanged, against a demo
# server: the CKAN client `ckanapi`, MLCommons' `mlcroissant` and `rdflib`.
#
#   ./scripts/client-tests.sh SENIM_BINARY PYTHON
#
# PYTHON is a Python with those packages installed (./scripts/test.sh makes a
# virtual environment for them). The server runs on a free port with a fresh
# data directory and is stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
senim="$1"
python="$2"

data="$(mktemp -d)"
port="$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
url="http://127.0.0.1:$port"
"$senim" serve --demo --data-dir "$data/senim" --bind "127.0.0.1:$port" >"$data/server.log" 2>&1 &
server=$!
stop() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  rm -rf "$data"
}
trap stop EXIT
for _ in $(seq 1 120); do
  curl -fsS "$url/readyz" >/dev/null 2>&1 && break
  if ! kill -0 "$server" 2>/dev/null; then
    cat "$data/server.log"
    echo "the demo server did not start" >&2
    exit 1
  fi
  sleep 0.5
done

"$python" tests/clients/ckan_client.py "$url"
"$python" tests/clients/standard_metadata.py "$url"
