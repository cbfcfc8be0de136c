#!/usr/bin/env bash
# Runs every test of Senim on SQLite and on PostgreSQL, installing what it needs.
#
#   ./scripts/test.sh
#
# What it does, in order:
#   1. installs missing system packages (PostgreSQL client and server) with apt-get
#      and cargo-nextest with cargo;
#   2. makes sure PostgreSQL answers on 127.0.0.1:5432 (starting the local
#      cluster with pg_ctlcluster if it is installed but stopped);
#   3. creates a fresh database for this run (dropped at the end);
#   4. checks formatting, clippy (warnings are errors) and rustdoc;
#   5. runs the whole test suite with nextest: unit tests, the store's
#      conformance suite and the HTTP tests on both backends (sign-in
#      through a real OpenID provider, npm's oidc-provider, included), the
#      CLI journeys;
#   6. runs the data library's standard clients (installed from PyPI in a
#      virtual environment, ~/.cache/senim/venv, with moto, the local
#      S3-compatible server the storage test uses) against a demo server;
#      then compares `senim audit metrics` with Fairlearn on generated data;
#   7. checks the vendored front-end files against npm and runs the browser
#      tests (e2e/: Debian's Chromium, playwright-core and axe-core from npm)
#      against a demo server; screenshots land in e2e/artifacts/.
#
# Build artefacts go to $CARGO_TARGET_DIR (default ~/.cache/senim/target), outside
# the clone, so repeated runs and CI reuse them.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/senim/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
PG_HOST=127.0.0.1
PG_PORT=5432
PG_ADMIN_URL="${SENIM_TEST_POSTGRES_ADMIN_URL:-postgres://postgres@$PG_HOST:$PG_PORT/test}"

say() { printf '\n==> %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_install() {
  say "installing $*"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@"
}

# 1. Tools.
command -v psql >/dev/null 2>&1 || apt_install postgresql-client
command -v pg_isready >/dev/null 2>&1 || apt_install postgresql-client
# The test PKI of the electronic digital signature tests (tools/test-pki).
command -v openssl >/dev/null 2>&1 || apt_install openssl
# The independent readers of the documents people download (issue 21):
# qpdf checks a PDF's structure, poppler's pdftotext and pdftoppm read its
# text and draw its page, zbarimg decodes its QR codes.
command -v qpdf >/dev/null 2>&1 || apt_install qpdf
command -v pdftotext >/dev/null 2>&1 || apt_install poppler-utils
command -v zbarimg >/dev/null 2>&1 || apt_install zbar-tools
if ! cargo nextest --version >/dev/null 2>&1; then
  say "installing cargo-nextest"
  cargo install cargo-nextest --locked
fi

# 2. PostgreSQL.
if ! pg_isready -q -h "$PG_HOST" -p "$PG_PORT"; then
  if ! command -v pg_lsclusters >/dev/null 2>&1; then
    apt_install postgresql
  fi
  say "starting PostgreSQL"
  if [ -z "$(pg_lsclusters -h 2>/dev/null)" ]; then
    version="$(ls /usr/lib/postgresql | sort -V | tail -1)"
    as_root pg_createcluster "$version" main
  fi
  pg_lsclusters -h | while read -r version cluster _; do
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" "$cluster" start || true
  done
  for _ in $(seq 1 30); do
    pg_isready -q -h "$PG_HOST" -p "$PG_PORT" && break
    sleep 1
  done
  pg_isready -h "$PG_HOST" -p "$PG_PORT"
fi
# A fresh install needs the trusted local role and the `test` database.
if ! psql "$PG_ADMIN_URL" -qtAc 'SELECT 1' >/dev/null 2>&1; then
  say "preparing PostgreSQL access for tests"
  conf="$(as_root -u postgres psql -qtAc 'SHOW hba_file' 2>/dev/null || true)"
  if [ -n "$conf" ]; then
    as_root sed -i -E 's/^(host\s+all\s+all\s+127\.0\.0\.1\/32\s+)\S+/\1trust/' "$conf"
    as_root -u postgres psql -qc 'SELECT pg_reload_conf()' >/dev/null
  fi
  as_root -u postgres createdb test 2>/dev/null || true
fi

# 3. A fresh database for this run.
DB="senim_test_$(date +%s)_$$"
psql "$PG_ADMIN_URL" -qc "CREATE DATABASE $DB" >/dev/null
cleanup() { psql "$PG_ADMIN_URL" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true; }
trap cleanup EXIT
export SENIM_TEST_POSTGRES_URL="postgres://postgres@$PG_HOST:$PG_PORT/$DB"
say "PostgreSQL database for this run: $DB"

# 3b. Python tools from PyPI in a virtual environment outside the clone: the
#     library's standard clients, and moto, a local S3-compatible server for
#     the storage test (started here on a free port, with a fresh bucket).
VENV="${SENIM_VENV:-$HOME/.cache/senim/venv}"
if ! python3 -m venv --help >/dev/null 2>&1; then
  apt_install python3 python3-venv
fi
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
say "Python packages (ckanapi, mlcroissant, pyarrow, rdflib, moto, fairlearn)"
"$VENV/bin/pip" install -q --disable-pip-version-check ckanapi mlcroissant pyarrow rdflib 'moto[server]' \
  fairlearn==0.15.0 scikit-learn==1.9.1 pandas==3.1.1
S3_PORT="$("$VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$VENV/bin/moto_server" -H 127.0.0.1 -p "$S3_PORT" >/dev/null 2>&1 &
MOTO=$!
cleanup() {
  kill "$MOTO" 2>/dev/null || true
  psql "$PG_ADMIN_URL" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
}
export SENIM_TEST_S3_URL="http://127.0.0.1:$S3_PORT" SENIM_TEST_S3_BUCKET="senim-test-$$"
for _ in $(seq 1 60); do
  curl -fs "$SENIM_TEST_S3_URL" >/dev/null 2>&1 && break
  sleep 0.5
done
"$VENV/bin/python" -c "import boto3, os; boto3.client('s3', endpoint_url=os.environ['SENIM_TEST_S3_URL'], aws_access_key_id='senim-test', aws_secret_access_key='senim-test', region_name='us-east-1').create_bucket(Bucket=os.environ['SENIM_TEST_S3_BUCKET'])"
say "S3-compatible server (moto) at $SENIM_TEST_S3_URL, bucket $SENIM_TEST_S3_BUCKET"

# 4. Static checks.
say "cargo fmt --check"
cargo fmt --all -- --check
say "cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings
say "cargo doc (warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked --quiet

# 4b. The independent Open Badges verifiers (tools/ob-verify): npm packages as
#     locked (reinstalled when the lock changes, as e2e/run.sh does), and
#     openbadgeslib from PyPI in the virtual environment; with
#     SENIM_REQUIRE_VERIFIERS=1 the senim-badges tests fail rather than skip.
command -v npm >/dev/null 2>&1 || apt_install nodejs npm
if [ ! -f tools/ob-verify/node_modules/.package-lock.json ] \
  || [ tools/ob-verify/package-lock.json -nt tools/ob-verify/node_modules/.package-lock.json ]; then
  say "installing the independent Open Badges verifier (tools/ob-verify)"
  npm ci --prefix tools/ob-verify --no-audit --no-fund
fi
"$VENV/bin/pip" install -q --disable-pip-version-check 'openbadgeslib[ldp]==4.6.3'
export SENIM_REQUIRE_VERIFIERS=1 SENIM_OB_PYTHON="$VENV/bin/python"

# 4c. The certified OpenID provider the sign-in tests start (npm
#     oidc-provider, configured by tools/oidc-provider/provider.mjs), as
#     locked.
if [ ! -f tools/oidc-provider/node_modules/.package-lock.json ] \
  || [ tools/oidc-provider/package-lock.json -nt tools/oidc-provider/node_modules/.package-lock.json ]; then
  say "installing the test OpenID provider (tools/oidc-provider)"
  npm ci --prefix tools/oidc-provider --no-audit --no-fund
fi

# 5. Tests.
say "tests (SQLite and PostgreSQL)"
cargo nextest run --workspace --locked --no-fail-fast

# 6. The standard clients of the data library, from PyPI, against a demo server.
say "standard clients (ckanapi, mlcroissant, rdflib) against a demo server"
cargo build --locked -q -p senim-cli
./scripts/client-tests.sh "$CARGO_TARGET_DIR/debug/senim" "$VENV/bin/python"

# 6b. The algorithmic audit engine against Fairlearn 0.15 (the reference):
#     generated data sets (weights, missing and single-class groups,
#     intersections, control features, string labels, Parquet), every metric
#     equal within 1e-9, and bad files refused with their column and row.
say "senim audit metrics against Fairlearn"
"$VENV/bin/python" scripts/fairlearn_check.py "$CARGO_TARGET_DIR/debug/senim" audit metrics

# 7. The pages in a real browser: Debian's Chromium driven by playwright-core
#    and scanned by axe-core, both from npm (e2e/run.sh installs what is
#    missing); the front-end files served from the binary must be exactly the
#    npm packages they name.
say "front-end files match their npm packages"
command -v npm >/dev/null 2>&1 || apt_install nodejs npm
./scripts/vendor.sh --check
say "browser tests (Chromium, playwright-core, axe-core) against a demo server"
./e2e/run.sh "$CARGO_TARGET_DIR/debug/senim"

say "all tests passed"
