#!/usr/bin/env bash
# Malformed input to --verify: each answers exit 2 with a message naming the
# entry and what is wrong. Usage: errors.sh MOCK
set -euo pipefail
mock=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cat >"$work/good.har" <<'HAR'
{"log": {"version": "1.2", "creator": {"name": "test", "version": "1"}, "entries": [
 {"startedDateTime": "2025-01-01T00:00:00.000Z", "time": 1,
  "request": {"method": "GET", "url": "https://api.descovo.com/v1/credits?apiKey=%3Ckey-1%3E", "httpVersion": "HTTP/1.1",
              "cookies": [], "headers": [], "queryString": [{"name": "apiKey", "value": "<key-1>"}],
              "headersSize": -1, "bodySize": 0},
  "response": {"status": 200, "statusText": "OK", "httpVersion": "HTTP/1.1", "cookies": [],
               "headers": [{"name": "Content-Type", "value": "application/json"}],
               "content": {"size": 40, "mimeType": "application/json",
                           "text": "{\"output\":{\"credits\":50000},\"chargeInfo\":{\"method\":\"free\",\"message\":\"Checking credits is free.\"}}"},
               "redirectURL": "", "headersSize": -1, "bodySize": 40},
  "cache": {}, "timings": {"send": 0, "wait": 1, "receive": 0}}]}}
HAR
"$mock" --verify "$work/good.har" >/dev/null || { echo "FAIL: the good HAR does not verify"; exit 1; }

failed=0
# expect NAME FILTER TEXT...: the good HAR through a jq FILTER must be refused
# with exit 2 and a message holding every TEXT.
expect() {
  local name=$1 filter=$2
  shift 2
  jq "$filter" "$work/good.har" >"$work/$name.har"
  check "$name" "$work/$name.har" "$@"
}
check() {
  local name=$1 file=$2
  shift 2
  local rc=0
  "$mock" --verify "$file" >"$work/$name.out" 2>"$work/$name.err" || rc=$?
  if [ $rc != 2 ]; then
    echo "FAIL $name: exit $rc, expected 2"; failed=1; return
  fi
  for text in "$@"; do
    grep -qF -- "$text" "$work/$name.err" || { echo "FAIL $name: the message lacks \"$text\":"; cat "$work/$name.err"; failed=1; }
  done
  echo "ok $name: $(cat "$work/$name.err")"
}
entry='log.entries[0] (GET https://api.descovo.com/v1/credits?apiKey=%3Ckey-1%3E)'

printf 'not a har' >"$work/text.har"
check not-json "$work/text.har" "not JSON"
check no-file "$work/missing.har" "cannot read"
expect not-har '{"log": {"version": "1.2"}}' "not HAR" "entries"
expect no-version 'del(.log.version)' "log.version is missing"
expect no-method 'del(.log.entries[0].request.method)' "log.entries[0]" "request.method is missing"
expect no-status 'del(.log.entries[0].response.status)' "$entry" "response.status is missing"
expect status-text '.log.entries[0].response.status = "200"' "$entry" "response.status"
expect no-content 'del(.log.entries[0].response.content)' "$entry" "response.content is missing"
expect body-not-json '.log.entries[0].response.content.text = "{\"output\": "' "$entry" "response.content.text is not JSON"
expect bad-time '.log.entries[0].startedDateTime = "yesterday"' "$entry" "startedDateTime" "not ISO 8601"
expect relative-url '.log.entries[0].request.url = "/v1/credits"' "request.url" "not an absolute"
expect no-query 'del(.log.entries[0].request.queryString)' "$entry" "request.queryString is missing"
expect bad-header '.log.entries[0].response.headers = [{"name": "Content-Type"}]' "$entry" "response.headers"
expect second-entry '.log.entries += [.log.entries[0] | del(.response)]' "log.entries[1]" "response is missing"

printf '{"divergences": [{"endpoint": "*", "path": "output.x"}]}' >"$work/known.json"
rc=0
"$mock" --verify "$work/good.har" --known "$work/known.json" >/dev/null 2>"$work/known.err" || rc=$?
if [ $rc = 2 ] && grep -q 'divergences\[0\].reason is missing' "$work/known.err"; then
  echo "ok known-no-reason: $(cat "$work/known.err")"
else
  echo "FAIL known-no-reason: exit $rc"; cat "$work/known.err"; failed=1
fi
exit $failed
