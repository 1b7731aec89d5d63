#!/usr/bin/env bash
# One planted difference, end to end: the workflow goes through a recording
# descovo-mock --upstream, to drift-planted-upstream --mode MODE, to a real
# descovo-mock; --verify must report exactly the EXPECTED differences
# ("ENDPOINT|PATH|KIND" lines, each at least once) and nothing else.
# Usage: planted.sh MOCK PLANTED MODE [EXPECTED...]
set -euo pipefail
mock=$1 planted=$2 mode=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d) work_is_temp=1
. "$here/lib.sh"

scale=50
start upstream "$mock" --port 0 --quiet --time-scale $scale --rate-limit-scale 0.2
start planted "$planted" --mode "$mode" --upstream "$url"
start recorder "$mock" --port 0 --quiet --upstream "$url" --record "$work/rec.har"
recorder=$pid
DRIFT_SETTLE=0.5 DRIFT_BURST=25 bash "$here/workflow.sh" "$url"
stop "$recorder" || { echo "FAIL: the recording proxy did not stop cleanly"; exit 1; }

rc=0
"$mock" --verify "$work/rec.har" --time-scale $scale --rate-limit-scale 0.2 --format json --out "$work/report.json" || rc=$?
got=$(jq -r '.differences[] | "\(.endpoint)|\(.path)|\(.kind)"' "$work/report.json" | sort -u)
want=$(printf '%s\n' "$@" | sed '/^$/d' | sort -u)
if [ "$got" != "$want" ]; then
  echo "FAIL $mode: expected differences:"; echo "$want"
  echo "reported:"; echo "$got"
  "$mock" --verify "$work/rec.har" --time-scale $scale --rate-limit-scale 0.2 || true
  exit 1
fi
expected_rc=$([ $# -gt 0 ] && echo 1 || echo 0)
[ "$rc" = "$expected_rc" ] || { echo "FAIL $mode: exit $rc, expected $expected_rc"; exit 1; }
# A diverged status: what depends on it is "not compared", never a cascade.
if [ "$mode" = other-status ]; then
  build=$(jq '[.differences[] | select(.kind == "status")][0].entry' "$work/report.json")
  deps=$(jq --arg r "depends on entries[$build]" '[.notCompared[] | select(.reason == $r)] | length' "$work/report.json")
  [ "$deps" -gt 3 ] || { echo "FAIL $mode: expected the polls, enrichment and exports to depend on entries[$build]"; exit 1; }
fi
echo "ok $mode: $(jq -r '"\(.entries) entries, \(.differences | length) differences, \(.notCompared | length) not compared"' "$work/report.json")"
