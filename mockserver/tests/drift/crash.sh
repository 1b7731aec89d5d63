#!/usr/bin/env bash
# Crash-safety of a recording: SIGKILL the recording proxy mid-session; the
# journal it leaves must hold every exchange answered before the kill, a new
# --record must refuse to overwrite it, and --verify must complete it into
# the HAR (leaving out a last line cut by the crash) and replay it.
# Usage: crash.sh MOCK
set -euo pipefail
mock=$1
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d) work_is_temp=1
. "$here/lib.sh"

start upstream "$mock" --port 0 --quiet --clock manual
start recorder "$mock" --port 0 --quiet --upstream "$url" --record "$work/rec.har"
recorder=$pid
k=sk_test_descovo_dev
for i in 1 2 3; do
  curl -sS -X POST -H 'Content-Type: application/json' "$url/v1/audiences/create" \
    -d "{\"apiKey\":\"$k\",\"name\":\"crash $i\"}" >/dev/null
done
curl -sS "$url/v1/credits?apiKey=$k" >/dev/null
curl -sS "$url/v1/audiences?apiKey=$k" >/dev/null
kill -KILL "$recorder"
wait "$recorder" 2>/dev/null || true

[ ! -e "$work/rec.har" ] || { echo "FAIL: a HAR was written although the proxy never stopped"; exit 1; }
lines=$(wc -l <"$work/rec.har.journal")
[ "$lines" = 6 ] || { echo "FAIL: the journal has $lines lines, expected the head and 5 exchanges"; exit 1; }
# The crash may cut the line being written: simulate it.
printf '{"startedDateTime":"2025-01-01T00:00:0' >>"$work/rec.har.journal"

rc=0
"$mock" --port 0 --upstream "$url" --record "$work/rec.har" >"$work/again.out" 2>&1 || rc=$?
[ $rc = 4 ] && grep -q "did not stop cleanly" "$work/again.out" ||
  { echo "FAIL: a new --record did not refuse the unfinished journal"; cat "$work/again.out"; exit 1; }

"$mock" --verify "$work/rec.har" >"$work/verify.out" 2>"$work/verify.err" ||
  { echo "FAIL: --verify of the completed recording"; cat "$work/verify.out" "$work/verify.err"; exit 1; }
grep -q "completed the unfinished recording" "$work/verify.err" && grep -q "left out" "$work/verify.err" ||
  { echo "FAIL: --verify did not say it completed the journal"; cat "$work/verify.err"; exit 1; }
[ "$(jq '.log.entries | length' "$work/rec.har")" = 5 ] || { echo "FAIL: the HAR does not hold the 5 exchanges"; exit 1; }
[ ! -e "$work/rec.har.journal" ] || { echo "FAIL: the journal was left behind"; exit 1; }
grep -q "no drift" "$work/verify.out" || { echo "FAIL: the completed recording drifted"; cat "$work/verify.out"; exit 1; }
echo "ok crash: 5 exchanges survived SIGKILL, the cut line was left out, --verify completed and replayed them"
