#!/usr/bin/env bash
# The comparisons the planted upstream does not reach, on one real
# recording edited by jq: credit arithmetic between two readings, a CSV's
# rows against its export answer, the Allow and Content-Type headers. Each
# edit must be reported at its path, with its kind, and nothing else.
# Usage: mutations.sh MOCK
set -euo pipefail
mock=$1
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d) work_is_temp=1
. "$here/lib.sh"
scale=50
start upstream "$mock" --port 0 --quiet --time-scale $scale --rate-limit-scale 0.2
start recorder "$mock" --port 0 --quiet --upstream "$url" --record "$work/rec.har"
recorder=$pid
DRIFT_SETTLE=0.5 DRIFT_BURST=25 bash "$here/workflow.sh" "$url"
stop "$recorder"
"$mock" --verify "$work/rec.har" --time-scale $scale --rate-limit-scale 0.2 >"$work/base.txt" || { cat "$work/base.txt"; echo "FAIL: the unedited recording drifts"; exit 1; }

failed=0
# mutate NAME EXPECTED FILTER: the recording through a jq FILTER must report
# exactly EXPECTED ("ENDPOINT|PATH|KIND").
mutate() {
  local name=$1 expected=$2 filter=$3
  jq "$filter" "$work/rec.har" >"$work/$name.har"
  local rc=0
  "$mock" --verify "$work/$name.har" --time-scale $scale --rate-limit-scale 0.2 --format json --out "$work/$name.json" || rc=$?
  local got
  got=$(jq -r '.differences[] | "\(.endpoint)|\(.path)|\(.kind)"' "$work/$name.json" | sort -u)
  if [ $rc = 1 ] && [ "$got" = "$expected" ]; then
    echo "ok $name: $expected"
  else
    echo "FAIL $name (exit $rc): expected $expected, reported:"; echo "$got"; failed=1
  fi
}
credits='[.log.entries | to_entries[] | select(.value.request.url | test("/v1/credits\\?apiKey=%3Ckey-1%3E$"))][1].key'
mutate credits "GET /v1/credits|output.credits|credits" \
  ".log.entries[$(jq "$credits" "$work/rec.har")].response.content.text |= (fromjson | .output.credits -= 7 | tojson)"
csv='[.log.entries | to_entries[] | select(.value.request.url | test("/v1/exports/"))][0].key'
mutate csv-rows "GET /v1/exports/{id}|csv.rows|csv-rows" \
  ".log.entries[$(jq "$csv" "$work/rec.har")].response.content._descovoRows += 1"
allow='[.log.entries | to_entries[] | select(.value.response.status == 405)][0].key'
mutate allow "GET /v1/audiences/create|headers.Allow|header" \
  ".log.entries[$(jq "$allow" "$work/rec.har")].response.headers |= map(if .name == \"Allow\" then .value = \"GET\" else . end)"
mutate content-type "GET /v1/credits|headers.Content-Type|header" \
  ".log.entries[0].response.headers |= map(if .name == \"Content-Type\" then .value = \"text/json\" else . end)"
exit $failed
