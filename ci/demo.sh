#!/usr/bin/env bash
# The main job: builds descovo-mock, starts it on the embedded default
# dataset, and walks the nine steps of the Descovo Audiences workflow against
# it with curl, printing each request and its answer. CSVs land in demo-out/.
# Usage: ci/demo.sh            (from anywhere; installs missing packages)
set -euo pipefail
cd "$(dirname "$0")/.."

bash ci/install-deps.sh

cmake -S . -B build/demo -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/demo -j "$(nproc 2>/dev/null || echo 2)" --target descovo-mock descovo-cli >/dev/null

log=$(mktemp)
# Time runs 10x faster so that the build and enrichment take a few seconds.
build/demo/mockserver/descovo-mock --port 0 --time-scale 10 >"$log" 2>&1 &
mock_pid=$!
trap 'kill "$mock_pid" 2>/dev/null || true; wait "$mock_pid" 2>/dev/null || true; rm -f "$log"' EXIT

base=""
for _ in $(seq 1 100); do
  base=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$log" | head -n 1 || true)
  [ -n "$base" ] && break
  sleep 0.05
done
[ -n "$base" ] || { echo "descovo-mock did not start:"; cat "$log"; exit 1; }
head -n 1 "$log"

key=sk_test_descovo_dev

step() { printf '\n== %s\n' "$1"; }
# call METHOD PATH [BODY]: prints the request and the pretty answer; the raw
# answer is left in $answer.
call() {
  local method=$1 path=$2 body=${3:-}
  printf '%s %s\n' "$method" "$path"
  if [ -n "$body" ]; then
    printf '%s\n' "$body" | jq -c .
    answer=$(curl -sS -X "$method" "$base$path" -H 'Content-Type: application/json' --data "$body")
  else
    answer=$(curl -sS -X "$method" "$base$path")
  fi
  printf '%s\n' "$answer" | jq .
}

step "0. credits"
call GET "/v1/credits?apiKey=$key"

step "1. create an audience"
call POST /v1/audiences/create "{\"apiKey\":\"$key\",\"name\":\"AI VPs in US\",\"creationMethod\":\"NORMAL\"}"
id=$(jq -r .output.audienceId <<<"$answer")

step "2. set search filters"
call PATCH "/v1/audiences/$id/search-params" "{\"apiKey\":\"$key\",
  \"companySearchParams\":{\"headquartersCountryCode\":[\"US\"],\"employeeCountV2\":{\"min\":10,\"max\":5000},
                           \"industriesV2\":[\"artificial-intelligence\",\"software\"]},
  \"prospectSearchParams\":{\"jobTitleV2\":{\"anyOf\":[{\"type\":\"dynamic-groups\",\"groups\":[\"vp\",\"director\"]}]}},
  \"maxCompanies\":100,\"maxProspects\":200}"

step "3. build"
call POST "/v1/audiences/$id/build" "{\"apiKey\":\"$key\"}"

step "4. poll the audience until NORMAL"
for _ in $(seq 1 120); do
  answer=$(curl -sS "$base/v1/audiences/$id?apiKey=$key")
  status=$(jq -r .output.status <<<"$answer")
  echo "status: $status"
  [ "$status" = NORMAL ] && break
  [ "$status" = FAILED ] && { echo "build FAILED"; exit 1; }
  sleep 0.5
done
jq . <<<"$answer"
[ "$status" = NORMAL ] || { echo "build did not finish"; exit 1; }

enrich_body="{\"apiKey\":\"$key\",\"maxProspectsToEnrich\":50,
  \"enrichmentType\":{\"getWorkEmails\":true,\"getPersonalEmails\":false,\"getPhoneNumbers\":true}}"

step "5. estimate the enrichment (free)"
call POST "/v1/audiences/$id/enrichment/estimate" "$enrich_body"

step "6. enrich (charged upfront)"
call POST "/v1/audiences/$id/enrich" "$enrich_body"

step "7. poll the enrichment until DONE"
for _ in $(seq 1 240); do
  answer=$(curl -sS "$base/v1/audiences/$id/enrichment/status?apiKey=$key")
  stage=$(jq -r .output.currentStage <<<"$answer")
  echo "stage: $stage ($(jq -r .output.progressPercent <<<"$answer")%)"
  [ "$stage" = DONE ] && break
  [ "$stage" = FAILED ] && { echo "enrichment FAILED"; exit 1; }
  sleep 0.5
done
jq . <<<"$answer"
[ "$stage" = DONE ] || { echo "enrichment did not finish"; exit 1; }

mkdir -p demo-out
step "8. export companies"
call POST "/v1/audiences/$id/export/companies" "{\"apiKey\":\"$key\",\"format\":\"COMPANY_GENERIC_CSV\"}"
curl -sS -o demo-out/companies.csv "$(jq -r .output.downloadUrl <<<"$answer")"
echo "-> demo-out/companies.csv: $(wc -c <demo-out/companies.csv) bytes"

step "9. export prospects with a contact found"
call POST "/v1/audiences/$id/export/prospects" "{\"apiKey\":\"$key\",\"format\":\"PROSPECT_GENERIC_CSV\",\"onlyWithContacts\":true}"
curl -sS -o demo-out/prospects.csv "$(jq -r .output.downloadUrl <<<"$answer")"
echo "-> demo-out/prospects.csv: $(wc -c <demo-out/prospects.csv) bytes"

step "credits after the workflow"
call GET "/v1/credits?apiKey=$key"

step "the same nine steps with the descovo CLI, from a job file"
DESCOVO_BASE_URL=$base DESCOVO_API_KEY=$key \
  build/demo/client/cli/descovo run fixtures/jobs/ai-leaders-us.json --yes --interval 1 --out demo-out/cli
ls -l demo-out/cli

printf '\nRequest log of descovo-mock:\n'
tail -n +2 "$log"
echo "demo: all nine steps done, with curl and with the CLI"
