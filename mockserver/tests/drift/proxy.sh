#!/usr/bin/env bash
# The proxy's own surface: GET /_mock/health says it is a proxy and to
# where; the rest of /_mock/ and anything outside /v1/ answer 404; a query
# and a body reach the upstream byte for byte (the upstream's journal shows
# them); Retry-After and Allow come back as sent; a CSV streams through and
# is recorded with its row count; an upstream that is down gives 502 naming
# it; the HAR's query values are decoded as the server decodes them.
# Usage: proxy.sh MOCK
set -euo pipefail
mock=$1
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d) work_is_temp=1
. "$here/lib.sh"
fail() { echo "FAIL: $*"; exit 1; }

start upstream "$mock" --port 0 --quiet --clock manual --rate-limit-scale 0.01
upstream=$url
start recorder "$mock" --port 0 --quiet --upstream "$upstream/" --record "$work/rec.har"
recorder=$pid
proxy=$url
k=sk_test_descovo_dev

health=$(curl -sS "$proxy/_mock/health")
[ "$(jq -r .output.status <<<"$health")" = proxy ] && [ "$(jq -r .output.upstream <<<"$health")" = "$upstream" ] ||
  fail "health: $health"
for path in /_mock/reset /_mock/clock /other; do
  code=$(curl -sS -o "$work/body" -w '%{http_code}' -X POST "$proxy$path")
  [ "$code" = 404 ] && jq -e '.error.code == 404' "$work/body" >/dev/null || fail "$path answered $code"
done

# Byte for byte: an encoded query value and a body with odd spacing.
# (an encoded key is decoded once, upstream: neither re-encoded nor decoded twice)
credits=$(curl -sS "$proxy/v1/credits?apiKey=sk%5Ftest%5Fdescovo%5Fdev")
[ "$(jq .output.credits <<<"$credits")" = 50000 ] || fail "an encoded query did not pass unchanged: $credits"
curl -sS -X POST -H 'Content-Type: application/json' "$proxy/v1/audiences/create" \
  -d "{ \"apiKey\" : \"$k\",  \"name\":\"caf\\u00e9 + more\" }" >/dev/null
# A '+' in the query reaches the upstream as a '+' (it answered 502, the
# request line rebuilt with a space), and the HAR's query pairs are decoded
# as the server decodes a query: '+' a space, %XX its byte, "%00" kept as
# it is (not a value cut at a NUL).
code=$(curl -sS -o "$work/body" -w '%{http_code}' "$proxy/v1/audiences?apiKey=$k&cursor=a+b%2Bc%00d")
[ "$code" = 200 ] || fail "a query with '+' answered $code: $(cat "$work/body")"
journal=$(curl -sS "$upstream/_mock/requests")
# (the upstream's journal masks keys: compare with the key masked as it does)
jq -e --arg b "{ \"apiKey\" : \"$k\",  \"name\":\"caf\\u00e9 + more\" }" --arg k "$k" \
  '.output.entries | map(select(.method == "POST")) | .[0].requestBody == ($b | sub($k; $k[0:8] + "***" + $k[-2:]))' \
  <<<"$journal" >/dev/null ||
  fail "the body did not reach the upstream unchanged: $(jq -c '.output.entries | map(select(.method == "POST")) | .[0].requestBody' <<<"$journal")"

# 405 with Allow, and 429 with Retry-After (create: 50 a minute x 0.01).
curl -sS -D "$work/h405" -o /dev/null "$proxy/v1/audiences/create?apiKey=$k"
grep -qi '^Allow: POST' "$work/h405" || fail "no Allow on the 405: $(cat "$work/h405")"
curl -sS -D "$work/h429" -o /dev/null -X POST -H 'Content-Type: application/json' "$proxy/v1/audiences/create" \
  -d "{\"apiKey\":\"$k\",\"name\":\"second\"}"
grep -q '^HTTP/1.1 429' "$work/h429" && grep -qi '^Retry-After: [0-9]' "$work/h429" ||
  fail "no 429 with Retry-After: $(cat "$work/h429")"

# A CSV through the proxy: the download URL points at the proxy.
aud=$(curl -sS -X POST -H 'Content-Type: application/json' "$upstream/v1/audiences/create" \
  -d "{\"apiKey\":\"sk_test_descovo_other\",\"name\":\"csv\"}" | jq -r .output.audienceId)
o=sk_test_descovo_other
curl -sS -X PATCH -H 'Content-Type: application/json' "$proxy/v1/audiences/$aud/search-params" \
  -d "{\"apiKey\":\"$o\",\"companySearchParams\":{\"headquartersCountryCode\":[\"US\"]},\"maxCompanies\":30}" >/dev/null
curl -sS -X POST -H 'Content-Type: application/json' "$proxy/v1/audiences/$aud/build" -d "{\"apiKey\":\"$o\"}" >/dev/null
curl -sS -X POST "$upstream/_mock/clock/advance" -d '{"seconds": 600}' >/dev/null
export_answer=$(curl -sS -X POST -H 'Content-Type: application/json' "$proxy/v1/audiences/$aud/export/companies" \
  -d "{\"apiKey\":\"$o\",\"format\":\"COMPANY_GENERIC_CSV\"}")
csv_url=$(jq -r .output.downloadUrl <<<"$export_answer")
case $csv_url in "$proxy"/v1/exports/*) ;; *) fail "downloadUrl not rewritten to the proxy: $csv_url" ;; esac
curl -sS -D "$work/hcsv" -o "$work/got.csv" "$csv_url"
grep -qi '^Content-Type: text/csv' "$work/hcsv" || fail "the CSV lost its Content-Type"
rows=$(( $(tr -cd '\n' <"$work/got.csv" | wc -c) - 1 ))
[ "$rows" = "$(jq .output.estimatedRows <<<"$export_answer")" ] || fail "the CSV has $rows rows"
stop "$recorder" || fail "the recording proxy did not stop cleanly"
[ "$(jq '[.log.entries[] | select(.request.url | test("/v1/exports/")) | .response.content._descovoRows][0]' "$work/rec.har")" = "$rows" ] ||
  fail "the recorded CSV does not count its $rows rows"
cursor=$(jq -r '[.log.entries[].request.queryString[] | select(.name == "cursor") | .value][0]' "$work/rec.har")
[ "$cursor" = 'a b+c%00d' ] || fail "the recorded query value is \"$cursor\", not as the server decodes it"

# An upstream that is down.
start dead "$mock" --port 0 --quiet --upstream "http://127.0.0.1:9" --record "$work/dead.har"
dead=$pid
code=$(curl -sS -o "$work/body" -w '%{http_code}' "$url/v1/credits?apiKey=$k")
[ "$code" = 502 ] && grep -q '127.0.0.1:9' "$work/body" || fail "a dead upstream answered $code: $(cat "$work/body")"
stop "$dead" || fail "the proxy of a dead upstream did not stop cleanly"
echo "ok proxy: health, 404s, bytes unchanged, Allow, Retry-After, the CSV streamed and counted, 502"
