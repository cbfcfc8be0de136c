#!/usr/bin/env bash
# Runs Senim's browser tests (e2e/tests/*.test.mjs) against a demo server:
# Debian's Chromium driven by playwright-core, with axe-core scans.
#
#   ./e2e/run.sh SENIM_BINARY
#
# Installs what is missing first: Debian's chromium (never a browser that
# playwright downloads) and the pinned npm packages. The server runs on a free
# port with a fresh data directory and is stopped at the end. Screenshots go
# to e2e/artifacts/, emptied at each run.
set -euo pipefail
if [ $# -ne 1 ]; then
  echo "usage: $0 SENIM_BINARY" >&2
  exit 2
fi
# The binary's path as given, before the cd below changes what it is relative to.
senim="$(realpath -e "$1")"
cd "$(dirname "$0")/.."

# The browser: Debian's package; CHROMIUM may name another binary instead.
if [ -z "${CHROMIUM:-}" ] && [ ! -x /usr/bin/chromium ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
fi

# The npm packages, exactly as locked. npm keeps a copy of the lock file in
# node_modules; one older than e2e/package-lock.json means the lock changed.
if [ ! -f e2e/node_modules/.package-lock.json ] \
  || [ e2e/package-lock.json -nt e2e/node_modules/.package-lock.json ]; then
  (cd e2e && npm ci --no-audit --no-fund)
fi

if [ ! -f tools/oidc-provider/node_modules/.package-lock.json ] \
  || [ tools/oidc-provider/package-lock.json -nt tools/oidc-provider/node_modules/.package-lock.json ]; then
  npm ci --prefix tools/oidc-provider --no-audit --no-fund
fi

data="$(mktemp -d)"
free_port() { node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })'; }
port="$(free_port)"
url="http://127.0.0.1:$port"
# A certified OpenID provider (npm oidc-provider) that the sign-in page
# offers beside passwords, for the browser test of signing in through one.
op_port="$(free_port)"
node tools/oidc-provider/provider.mjs "$op_port" >"$data/provider.log" 2>&1 &
provider=$!
printf 'senim-test-secret\n' >"$data/client-secret"
printf '[[identity_providers]]\nid = "test"\nname = "Test ID"\nissuer = "http://127.0.0.1:%s"\nclient_id = "senim"\nclient_secret_file = "%s"\n' \
  "$op_port" "$data/client-secret" >"$data/senim.toml"
# A test PKI shaped like the National Certification Authority's, trusted
# for signing in with an electronic digital signature.
tools/test-pki/make.sh "$data/pki"
printf '[eds]\nroots = ["%s/root.pem"]\nintermediates = ["%s/inter.pem"]\ncrls = ["%s/root.crl", "%s/inter.crl"]\n' \
  "$data/pki" "$data/pki" "$data/pki" "$data/pki" >>"$data/senim.toml"
"$senim" serve --config "$data/senim.toml" --demo --data-dir "$data/senim" --bind "127.0.0.1:$port" >"$data/server.log" 2>&1 &
server=$!
stop() {
  kill "$server" "$provider" 2>/dev/null || true
  wait "$server" "$provider" 2>/dev/null || true
  rm -rf "$data"
}
trap stop EXIT
server_log() {
  echo "--- the server's log (last 60 lines) ---" >&2
  tail -n 60 "$data/server.log" >&2
}
# Up to two minutes: a debug build loads the demo slowly.
for _ in $(seq 1 240); do
  curl -fsS "$url/readyz" >/dev/null 2>&1 && break
  if ! kill -0 "$server" 2>/dev/null; then
    server_log
    echo "the demo server did not start" >&2
    exit 1
  fi
  sleep 0.5
done
if ! curl -fsS "$url/readyz" >/dev/null 2>&1; then
  server_log
  echo "the demo server was not ready after two minutes" >&2
  exit 1
fi
if [ ! -s "$data/senim/demo-accounts.txt" ]; then
  server_log
  echo "the demo server wrote no $data/senim/demo-accounts.txt" >&2
  exit 1
fi

# The test person's IIN signs the demo expert in; the test organisation
# employee's signs the demo supervisor's decisions.
"$senim" admin --data-dir "$data/senim" account link-identity \
  --email expert@ministry.demo --iin 880101300123 >/dev/null
"$senim" admin --data-dir "$data/senim" account link-identity \
  --email supervisor@ministry.demo --iin 900202400343 >/dev/null

export SENIM_URL="$url"
export SENIM_TEST_PKI="$data/pki"
export SENIM_OIDC_ISSUER="http://127.0.0.1:$op_port"
export SENIM_DEMO_ACCOUNTS="$data/senim/demo-accounts.txt"
export SENIM_ARTIFACTS="$PWD/e2e/artifacts"
rm -rf "$SENIM_ARTIFACTS"
mkdir -p "$SENIM_ARTIFACTS"

# One test file at a time: they share the one server and two cores. The shell
# expands the file list (newer Node versions read a directory argument as a
# glob that matches no file).
if ! node --test --test-concurrency=1 e2e/tests/*.test.mjs; then
  server_log
  exit 1
fi
