#!/usr/bin/env bash
# The weight of each signed-in page type (issue 7), uncached: the HTML plus
# every file it loads (stylesheet, scripts, icon), on the demo, each page
# read by the role that works on it. The public pages are in bench/pages.sh.
# Page weight does not depend on the build, so the debug binary will do.
# Usage: bench/desk_pages.sh [SENIM_BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/senim/target}"
BIN="${1:-}"
if [ -z "$BIN" ]; then
  cargo build --locked -q -p senim-cli
  BIN="$CARGO_TARGET_DIR/debug/senim"
fi
WORK="$(mktemp -d)"
PORT="${PORT:-18561}"
URL="http://127.0.0.1:$PORT"
SERVER=
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
"$BIN" serve --demo --data-dir "$WORK/data" --bind "127.0.0.1:$PORT" >"$WORK/server.log" 2>&1 & SERVER=$!
for _ in $(seq 1 24000); do curl -fs "$URL/readyz" >/dev/null 2>&1 && break; sleep 0.01; done

# Signs in through the page as $1; the cookie jar is $WORK/$1.jar.
sign_in() {
  local jar="$WORK/$1.jar" password token
  password=$(grep "^$1" "$WORK/data/demo-accounts.txt" | cut -f3)
  token=$(curl -fs -c "$jar" -b "$jar" "$URL/login" | grep -o 'name="csrf_token" value="[^"]*"' | head -1 | sed 's/.*value="//;s/"//')
  curl -fs -o /dev/null -c "$jar" -b "$jar" --data-urlencode "csrf_token=$token" \
    --data-urlencode "email=$1" --data-urlencode "password=$password" "$URL/login"
}
page() { curl -fs -b "$WORK/$1.jar" -H 'Accept-Language: kk' "$URL$2"; }
first() { grep -oE "$1" | head -1; }

ASSETS=0
for a in $(curl -fs "$URL/" | grep -oE '/assets/[^"]+' | sort -u); do
  n=$(curl -fs "$URL$a" | wc -c); ASSETS=$((ASSETS + n))
done
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); assets on a first visit: $ASSETS bytes"

for who in developer@hospital.demo expert@ministry.demo supervisor@ministry.demo auditor@audit.demo \
  data_steward@hospital.demo admin@senim.demo; do
  sign_in "$who"
done

# An algorithmic audit run on the demo's audit, so its case page shows one.
AUDIT=$(page auditor@audit.demo /auditor | first '/desk/cases/[0-9a-f-]+')
CASE=$(page auditor@audit.demo "$AUDIT")
TOKEN=$(echo "$CASE" | first 'name="csrf_token" value="[^"]*"' | sed 's/.*value="//;s/"//')
REV=$(echo "$CASE" | first 'name="revision" value="[^"]*"' | sed 's/.*value="//;s/"//')
curl -fs -o /dev/null -b "$WORK/auditor@audit.demo.jar" -F "csrf_token=$TOKEN" -F "revision=$REV" \
  -F y_true=repaid -F y_pred=approved -F sensitive=sex,age_band -F score=score \
  -F "file=@examples/credit-predictions.csv" "$URL$AUDIT/metrics"
# A registration the expert works on, declared (no conflict) so its dossier opens.
REGISTRATION=$(page expert@ministry.demo /reviewer | first '/desk/cases/[0-9a-f-]+')
CASE=$(page expert@ministry.demo "$REGISTRATION")
if echo "$CASE" | grep -q 'name="action" value="declare"'; then
  TOKEN=$(echo "$CASE" | first 'name="csrf_token" value="[^"]*"' | sed 's/.*value="//;s/"//')
  REV=$(echo "$CASE" | first 'name="revision" value="[^"]*"' | sed 's/.*value="//;s/"//')
  curl -fs -o /dev/null -b "$WORK/expert@ministry.demo.jar" --data-urlencode "csrf_token=$TOKEN" \
    --data "action=declare&revision=$REV&conflict=false" "$URL$REGISTRATION"
fi
REVIEWER=$(page supervisor@ministry.demo /supervisor/reviewers | first '/supervisor/reviewers/[0-9a-f-]+')
DATASET=$(page data_steward@hospital.demo /steward | first '/library/[0-9a-f-]+')
SYSTEM=$(page developer@hospital.demo /developer | first '/systems/[0-9a-f-]+')
ACCOUNT=$(page admin@senim.demo /admin | first '/admin/accounts/[0-9a-f-]+')
ORG=$(page admin@senim.demo /admin | first '/admin/organisations/[0-9a-f-]+')

echo
echo "== signed-in page weights, uncached (HTML + assets), bytes"
while read -r who path label; do
  status=$(curl -s -o "$WORK/page.html" -w '%{http_code}' -b "$WORK/$who.jar" -H 'Accept-Language: kk' "$URL$path")
  html=$(wc -c <"$WORK/page.html")
  printf '%8d  %-44s (html %d + assets %d; HTTP %s)\n' $((html + ASSETS)) "$label" "$html" "$ASSETS" "$status"
done <<EOF
developer@hospital.demo /developer /developer
developer@hospital.demo /developer/new /developer/new (wizard, first step)
developer@hospital.demo $SYSTEM /systems/{id} (owner)
developer@hospital.demo /inbox /inbox
developer@hospital.demo /account/tokens /account/tokens
expert@ministry.demo /reviewer /reviewer
expert@ministry.demo $REGISTRATION /desk/cases/{id} (registration)
expert@ministry.demo $REGISTRATION/dossier /desk/cases/{id}/dossier
supervisor@ministry.demo /supervisor /supervisor
supervisor@ministry.demo /supervisor/reviewers /supervisor/reviewers
supervisor@ministry.demo $REVIEWER /supervisor/reviewers/{id}
supervisor@ministry.demo /supervisor/rulepacks /supervisor/rulepacks
auditor@audit.demo /auditor /auditor
auditor@audit.demo $AUDIT /desk/cases/{id} (audit, a metrics run)
data_steward@hospital.demo /steward /steward
data_steward@hospital.demo /steward/datasets/new /steward/datasets/new
data_steward@hospital.demo $DATASET /library/{id} (steward)
data_steward@hospital.demo $DATASET/edit /library/{id}/edit
admin@senim.demo /admin /admin
admin@senim.demo $ACCOUNT /admin/accounts/{id}
admin@senim.demo $ORG /admin/organisations/{id}
EOF
