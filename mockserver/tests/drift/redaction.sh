#!/usr/bin/env bash
# Redaction: a session through the recording proxy carries secrets in every
# place they can be (apiKey in bodies and queries, four keys, userEmail,
# Authorization and Cookie headers, e-mails and phone numbers in JSON and
# CSV answers); the written HAR must contain none of them, and each key
# must have become its own placeholder. Then the isolation check of the
# session (another key's audience answers 404) must verify with zero drift,
# and must fail once the two placeholders are merged: two keys stay two
# accounts. Usage: redaction.sh MOCK
set -euo pipefail
mock=$1
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d) work_is_temp=1
. "$here/lib.sh"

scale=50
start upstream "$mock" --port 0 --quiet --time-scale $scale
start recorder "$mock" --port 0 --quiet --upstream "$url" --record "$work/rec.har"
recorder=$pid
base=$url
k1=sk_test_descovo_dev
k2=sk_test_descovo_other
answers="$work/answers"
mkdir "$answers"
n=0
# Every answer is kept as the client saw it, to list the secrets it held.
call() {
  n=$((n + 1))
  curl -sS -H 'Authorization: Bearer tok_SECRET_bearer_8842' -H 'Cookie: session=SECRET_cookie_9931' "$@" \
    >"$answers/$n"
  cat "$answers/$n"
}
json=(-H 'Content-Type: application/json')

call "$base/v1/credits?apiKey=$k1" >/dev/null
call "$base/v1/credits?apiKey=sk_live_SECRET_wrong_key_1234" >/dev/null
audience=$(call -X POST "${json[@]}" "$base/v1/audiences/create" -d "{\"apiKey\":\"$k1\",\"name\":\"Redaction\"}" | jq -r .output.audienceId)
call -X PATCH "${json[@]}" "$base/v1/audiences/$audience/search-params" -d "{\"apiKey\":\"$k1\",
  \"companySearchParams\":{\"headquartersCountryCode\":[\"US\"]},\"maxCompanies\":8,\"maxProspects\":30}" >/dev/null
call -X POST "${json[@]}" "$base/v1/audiences/$audience/build" -d "{\"apiKey\":\"$k1\"}" >/dev/null
sleep 0.5
call "$base/v1/audiences/$audience?apiKey=$k1" >/dev/null
call "$base/v1/audiences/$audience?apiKey=$k2" >/dev/null                  # isolation: 404
call -X POST "${json[@]}" "$base/v1/audiences/$audience/enrich" \
  -d "{\"apiKey\":\"$k1\",\"maxProspectsToEnrich\":30,\"userEmail\":\"owner.SECRET@private-mail.org\"}" >/dev/null
sleep 0.5
call "$base/v1/audiences/$audience/enrichment/status?apiKey=$k1" >/dev/null
csv_url=$(call -X POST "${json[@]}" "$base/v1/audiences/$audience/export/prospects" \
  -d "{\"apiKey\":\"$k1\",\"format\":\"PROSPECT_GENERIC_CSV\",\"onlyWithContacts\":true,\"userEmail\":\"x.SECRET@mail.example.org\"}" \
  | jq -r .output.downloadUrl)
call "$csv_url" >/dev/null
call "$base/v1/audiences/$audience/prospects?apiKey=$k1&pageSize=30" >/dev/null
call -X POST "${json[@]}" "$base/v1/audiences/$audience/build" -d '{"apiKey": "sk_live_SECRET_in_bad_json", ' >/dev/null
stop "$recorder" || { echo "FAIL: the recording proxy did not stop cleanly"; exit 1; }
har="$work/rec.har"

secrets=(sk_test_descovo_dev sk_test_descovo_other sk_live_SECRET_wrong_key_1234 sk_live_SECRET_in_bad_json
         tok_SECRET_bearer_8842 SECRET_cookie_9931 owner.SECRET@private-mail.org x.SECRET@mail.example.org)
# The contacts the answers carried (JSON pages and the CSV).
mapfile -t emails < <(cat "$answers"/* | grep -ohE '[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}' | sort -u)
mapfile -t phones < <(cat "$answers"/* | grep -ohE '\+[0-9]{1,3} [0-9][0-9 ()-]{6,}[0-9]' | sort -u)
[ "${#emails[@]}" -gt 0 ] || { echo "FAIL: the session carried no e-mail address: nothing was tested"; exit 1; }
[ "${#phones[@]}" -gt 0 ] || { echo "FAIL: the session carried no phone number: nothing was tested"; exit 1; }
failed=0
for s in "${secrets[@]}" "${emails[@]}" "${phones[@]}"; do
  if grep -qF -- "$s" "$har"; then
    echo "FAIL: the HAR contains a secret: $s"
    failed=1
  fi
done
for p in '<key-1>' '<key-2>' '<key-3>' '<key-4>'; do
  grep -qF -- "$p" "$har" || { echo "FAIL: no placeholder $p in the HAR"; failed=1; }
done
[ "$(jq '[.log.entries[].request.headers[] | select(.name == "Authorization" or .name == "Cookie") | .value] | unique' -c "$har")" = '["<redacted>"]' ] ||
  { echo "FAIL: Authorization and Cookie are not <redacted>"; failed=1; }
# Redacted contacts keep their shape (same length, still an e-mail / a number).
jq -r '.log.entries[].response.content.text // ""' "$har" >"$work/bodies.txt"
grep -qE 'x+@x+\.x+' "$work/bodies.txt" || { echo "FAIL: no masked e-mail"; failed=1; }
grep -qE '\+0{1,3} 0{3} 0{3}-0{4}' "$work/bodies.txt" || { echo "FAIL: no masked phone"; failed=1; }
[ $failed = 0 ] || exit 1
echo "ok redaction: ${#secrets[@]} secrets, ${#emails[@]} e-mails, ${#phones[@]} phone numbers absent from the HAR"

# Isolation: the two keys stay two accounts through the replay.
"$mock" --verify "$har" --time-scale $scale >"$work/verify.txt" || { cat "$work/verify.txt"; echo "FAIL: isolation replay drifted"; exit 1; }
other=$(jq -r '[.log.entries[] | select(.response.status == 404)][0].request.queryString[]
                | select(.name == "apiKey") | .value' "$har")
[ "$other" != "<key-1>" ] || { echo "FAIL: the other key's request was recorded with <key-1>"; exit 1; }
sed "s/$other/<key-1>/g" "$har" >"$work/merged.har"
rc=0
"$mock" --verify "$work/merged.har" --time-scale $scale --format json --out "$work/merged.json" || rc=$?
[ $rc = 1 ] && jq -e '.differences[] | select(.kind == "status" and .recorded == "404" and .simulated == "200")' \
  "$work/merged.json" >/dev/null || { echo "FAIL: merging the two keys went unnoticed"; cat "$work/merged.json"; exit 1; }
echo "ok isolation: <key-1> and $other are two accounts (merged, the 404 becomes a 200)"
