#!/usr/bin/env bash
# A client session that touches every endpoint and the answers clients
# depend on (the nine steps, both CSV downloads, a page by cursor, 401, 404
# of another key's audience, 405, 429 with Retry-After), sent to BASE with
# curl. The drift tests record it through `descovo-mock --upstream`, against
# a descovo-mock started with --time-scale 100, and replay the recording
# with --verify. Usage: workflow.sh BASE_URL
# DRIFT_SETTLE=SECONDS waits that long before the first poll of a build or
# an enrichment, so that the polls see finished work: a poll made while the
# work runs is as exact as the recording's timestamps (docs/DRIFT.md,
# "progress"), and the planted-difference tests want nothing uncertain.
set -euo pipefail
base=$1
k1=sk_test_descovo_dev
k2=sk_test_descovo_other
k3=sk_test_descovo_poor
json=(-H 'Content-Type: application/json')

get() { curl -sS "$base$1"; }
send() { curl -sS -X "$1" "${json[@]}" "$base$2" -d "$3"; }
field() { jq -r "$1"; }

get "/v1/credits?apiKey=$k1" >/dev/null
get "/v1/credits?apiKey=$k2" >/dev/null
get "/v1/credits?apiKey=sk_live_not_a_key_4711" >/dev/null             # 401
audience=$(send POST /v1/audiences/create "{\"apiKey\":\"$k1\",\"name\":\"AI VPs in US\"}" | field .output.audienceId)
send PATCH "/v1/audiences/$audience/search-params" "{\"apiKey\":\"$k1\",
  \"companySearchParams\":{\"headquartersCountryCode\":[\"US\"],\"industriesV2\":[\"artificial-intelligence\"]},
  \"prospectSearchParams\":{\"yearsOfExperience\":{\"min\":3,\"max\":40}},\"maxCompanies\":5,\"maxProspects\":12}" >/dev/null
send POST "/v1/audiences/$audience/build" "{\"apiKey\":\"$k1\"}" >/dev/null
sleep "${DRIFT_SETTLE:-0}"
for _ in $(seq 1 100); do
  status=$(get "/v1/audiences/$audience?apiKey=$k1" | field .output.status)
  case $status in NORMAL|FAILED) break ;; esac
  sleep 0.1
done
get "/v1/audiences/$audience?apiKey=$k2" >/dev/null                        # another key's: 404
send POST "/v1/audiences/$audience/enrichment/estimate" "{\"apiKey\":\"$k1\",\"maxProspectsToEnrich\":3}" >/dev/null
send POST "/v1/audiences/$audience/enrich" "{\"apiKey\":\"$k1\",\"maxProspectsToEnrich\":3,\"userEmail\":\"ann.lee@acme.io\"}" >/dev/null
sleep "${DRIFT_SETTLE:-0}"
for _ in $(seq 1 100); do
  stage=$(get "/v1/audiences/$audience/enrichment/status?apiKey=$k1" | field .output.currentStage)
  case $stage in DONE|FAILED) break ;; esac
  sleep 0.1
done
get "/v1/credits?apiKey=$k1" >/dev/null
url=$(send POST "/v1/audiences/$audience/export/companies" "{\"apiKey\":\"$k1\",\"format\":\"COMPANY_GENERIC_CSV\"}" | field .output.downloadUrl)
[ "$url" = null ] || curl -sS "$url" >/dev/null
url=$(send POST "/v1/audiences/$audience/export/prospects" "{\"apiKey\":\"$k1\",\"format\":\"PROSPECT_GENERIC_CSV\",\"onlyWithContacts\":true}" | field .output.downloadUrl)
[ "$url" = null ] || curl -sS "$url" >/dev/null
cursor=$(get "/v1/audiences/$audience/prospects?apiKey=$k1&pageSize=2" | field .output.nextCursor)
get "/v1/audiences/$audience/prospects?apiKey=$k1&pageSize=2&cursor=$cursor" >/dev/null
get "/v1/audiences?apiKey=$k1" >/dev/null
get "/v1/audiences/create?apiKey=$k1" >/dev/null                           # 405 with Allow
# The third key's first minute: past the credits limit (100 a minute, or
# DRIFT_BURST-1 with the --rate-limit-scale of the tests) checks are refused
# (429). One curl for all of them, so that they fit well inside the minute.
burst=()
for _ in $(seq 1 "${DRIFT_BURST:-101}"); do burst+=("$base/v1/credits?apiKey=$k3"); done
curl -sS "${burst[@]}" >/dev/null
curl -sS -X DELETE "$base/v1/audiences/$audience?apiKey=$k1" >/dev/null
