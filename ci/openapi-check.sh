#!/usr/bin/env bash
# Checks docs/openapi.json with tools nobody here wrote:
#   1. Redocly CLI lints it (ci/openapi/redocly.yaml: the strict recommended
#      ruleset, two rules off, each justified there).
#   2. Prism, as a validating proxy in front of a descovo-mock started here,
#      checks every request and response of a whole workflow (and its errors)
#      against the document; any violation fails the check.
#   3. Prism in front of a tiny fake server that answers a status body
#      missing a required field must report it: the live check can fail.
# The tools are pinned in ci/openapi/package.json and package-lock.json and
# installed into build/npm-tools (never committed). Needs Node 20 and npm,
# curl, jq (ci/install-deps.sh), cmake and a C compiler.
# Everything listens on 127.0.0.1 only; every process started here is
# stopped on exit; every wait is bounded.
# Usage: ci/openapi-check.sh          (from anywhere)
#        DESCOVO_MOCK_BIN=path/to/descovo-mock ci/openapi-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."

TOOLS=build/npm-tools
BUILD=build/openapi
WORK="$BUILD/check"
DOC=docs/openapi.json
KEY=sk_test_descovo_dev
POOR=sk_test_descovo_poor
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_UPDATE_NOTIFIER=1

started=$(date +%s)
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    # Bounded: a process that ignores SIGTERM gets SIGKILL after 5 s.
    for _ in $(seq 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() {
  echo "== [$(( $(date +%s) - started ))s] $*"
}

die() {
  echo "openapi-check: FAIL: $*" >&2
  exit 1
}

rm -rf "$WORK"
mkdir -p "$WORK" "$TOOLS"

# ---- 0. the pinned tools --------------------------------------------------
if ! cmp -s ci/openapi/package-lock.json "$TOOLS/package-lock.json" ||
   [ ! -x "$TOOLS/node_modules/.bin/redocly" ] || [ ! -x "$TOOLS/node_modules/.bin/prism" ]; then
  say "installing the pinned tools into $TOOLS"
  cp ci/openapi/package.json ci/openapi/package-lock.json "$TOOLS/"
  # Lifecycle scripts are not needed by either tool; skipping them keeps the
  # install from running code at install time.
  (cd "$TOOLS" && timeout 600 npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
fi
REDOCLY="$TOOLS/node_modules/.bin/redocly"
PRISM="$TOOLS/node_modules/.bin/prism"
say "tools: @redocly/cli $(jq -r .version "$TOOLS/node_modules/@redocly/cli/package.json"), @stoplight/prism-cli $(jq -r .version "$TOOLS/node_modules/@stoplight/prism-cli/package.json")"

# ---- 1. lint ---------------------------------------------------------------
say "redocly lint $DOC"
jq -e .openapi "$DOC" >/dev/null ||
  die "$DOC is not valid JSON"
timeout 120 "$REDOCLY" lint "$DOC" --config ci/openapi/redocly.yaml --format=stylish ||
  die "redocly lint reported problems"

# ---- 2. the live check against descovo-mock --------------------------------
# DESCOVO_MOCK_BIN: an already built descovo-mock (e.g. from ci/test.sh);
# otherwise it is built here, into build/openapi.
MOCK_BIN=${DESCOVO_MOCK_BIN:-}
if [ -z "$MOCK_BIN" ]; then
  say "building descovo-mock into $BUILD"
  if [ ! -f "$BUILD/CMakeCache.txt" ]; then
    cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  fi
  cmake --build "$BUILD" --target descovo-mock -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
  MOCK_BIN="$BUILD/mockserver/descovo-mock"
fi
[ -x "$MOCK_BIN" ] || die "no descovo-mock binary at $MOCK_BIN"

free_port() {
  node -e 'const s = require("net").createServer();
           s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

# wait_for SECONDS COMMAND...: polls COMMAND every 0.2 s.
wait_for() {
  local deadline=$(( $(date +%s) + $1 ))
  shift
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}

# With a state file: GET /_mock/health then has its stateFile section, and
# POST /_mock/state/compact can be checked.
"$MOCK_BIN" --port 0 --clock manual --quiet --state-file "$WORK/state.log" >"$WORK/mock.out" 2>&1 &
pids+=($!)
mock_pid=$!
wait_for 15 grep -q 'listening on http://127.0.0.1:' "$WORK/mock.out" ||
  die "descovo-mock did not start: $(cat "$WORK/mock.out")"
MOCK=$(sed -n 's|.*listening on \(http://127\.0\.0\.1:[0-9]*\).*|\1|p' "$WORK/mock.out" | head -n1)
say "descovo-mock at $MOCK"

# A fake upstream for part 3: a status body without "status" (a required
# field) for GET /v1/audiences/{id}, and a correct credits body, so that the
# check also shows a correct answer passes through the same proxy.
cat >"$WORK/fake.js" <<'EOF'
const http = require("http");
const free = { method: "free", message: "Checking status is free." };
const server = http.createServer((req, res) => {
  const url = new URL(req.url, "http://127.0.0.1");
  let body;
  if (url.pathname === "/v1/credits") {
    body = { output: { credits: 42 }, chargeInfo: free };
  } else {
    body = { output: { audienceId: "aud_0123456789abcdef", name: "fake", creationMethod: "NORMAL",
                       createdAt: "2025-01-01T00:00:00.000Z", buildingStartedAt: null,
                       buildingFinishedAt: null, companiesCount: null, prospectsCount: null },
             chargeInfo: free };
  }
  res.writeHead(200, { "Content-Type": "application/json" });
  res.end(JSON.stringify(body));
});
server.listen(0, "127.0.0.1", () => console.log("fake listening on " + server.address().port));
EOF
node "$WORK/fake.js" >"$WORK/fake.out" 2>&1 &
pids+=($!)
wait_for 15 grep -q 'fake listening on' "$WORK/fake.out" || die "the fake server did not start"
FAKE="http://127.0.0.1:$(sed -n 's/fake listening on //p' "$WORK/fake.out")"

# Both proxies start together (Prism takes a few seconds to start).
PROXY_PORT=$(free_port)
FAKE_PROXY_PORT=$(free_port)
"$PRISM" proxy "$DOC" "$MOCK" --errors --host 127.0.0.1 --port "$PROXY_PORT" >"$WORK/prism.log" 2>&1 &
pids+=($!)
prism_pid=$!
"$PRISM" proxy "$DOC" "$FAKE" --errors --host 127.0.0.1 --port "$FAKE_PROXY_PORT" >"$WORK/prism-fake.log" 2>&1 &
pids+=($!)
fake_prism_pid=$!
P="http://127.0.0.1:$PROXY_PORT"
FP="http://127.0.0.1:$FAKE_PROXY_PORT"
wait_for 90 grep -q 'Prism is listening' "$WORK/prism.log" ||
  die "prism (mock) did not start: $(tail -n 20 "$WORK/prism.log")"
wait_for 90 grep -q 'Prism is listening' "$WORK/prism-fake.log" ||
  die "prism (fake) did not start: $(tail -n 20 "$WORK/prism-fake.log")"
say "prism proxy at $P -> $MOCK"

# Prism (proxy mode, --errors) signals a violation by answering in its own
# problem+json shape instead of the upstream's: 422 for an invalid request
# (not forwarded), 500 "VIOLATIONS" for an invalid response, with the list in
# the sl-violations header (which also carries non-error findings). Any of
# these on a call through the proxy is a failure.
failures=0
n_calls=0
BODY="$WORK/body"
HEADERS="$WORK/headers"

# call EXPECTED METHOD URL [JSON]: one request; the body lands in $BODY.
# CALL_HEADER="Name: value" call ...: with that request header too.
call() {
  local expected=$1 method=$2 url=$3 data=${4-}
  local args=(-sS -m 30 -X "$method" -D "$HEADERS" -o "$BODY" -w '%{http_code} %{time_total}\n')
  if [ -n "${CALL_HEADER:-}" ]; then
    args+=(-H "$CALL_HEADER")
  fi
  if [ -n "$data" ]; then
    args+=(-H 'Content-Type: application/json' --data-binary "$data")
  fi
  local status seconds
  rm -f "$HEADERS" "$BODY"
  read -r status seconds < <(curl "${args[@]}" "$url" || echo "curl-error 0")
  n_calls=$((n_calls + 1))
  local problem=""
  touch "$HEADERS" "$BODY"
  if grep -qi '^sl-violations:' "$HEADERS"; then
    problem="sl-violations: $(grep -i '^sl-violations:' "$HEADERS" | cut -d' ' -f2- | tr -d '\r')"
  elif grep -qi '^content-type: application/problem+json' "$HEADERS" || grep -q 'stoplight.io/prism/errors' "$BODY"; then
    problem="prism error: $(head -c 600 "$BODY")"
  elif [ "$status" != "$expected" ]; then
    problem="expected $expected, got $status: $(head -c 300 "$BODY")"
  fi
  if [ -n "$problem" ]; then
    failures=$((failures + 1))
    printf '  FAIL %s %s /%s\n       %s\n' "$status" "$method" "${url#http://127.0.0.1:*/}" "$problem"
    return 0
  fi
  printf '  ok   %s %s /%s (%.2fs)\n' "$status" "$method" "${url#http://127.0.0.1:*/}" "$seconds"
}

# rejected METHOD URL JSON: a request the document forbids must be refused
# by the proxy itself (422, not forwarded): the request side is checked too.
rejected=0
rejected() {
  local status
  rm -f "$HEADERS" "$BODY"
  status=$(curl -sS -m 30 -X "$1" -D "$HEADERS" -o "$BODY" -w '%{http_code}' \
    -H 'Content-Type: application/json' --data-binary "$3" "$2") || status="curl-error"
  n_calls=$((n_calls + 1))
  if [ "$status" = 422 ] && grep -q 'stoplight.io/prism/errors#UNPROCESSABLE_ENTITY' "$BODY"; then
    rejected=$((rejected + 1))
    printf '  ok   422 %s /%s (refused by the proxy: %s)\n' "$1" "${2#http://127.0.0.1:*/}" \
      "$(field validation.0.message)"
  else
    failures=$((failures + 1))
    printf '  FAIL %s %s /%s: expected the proxy to refuse it with 422\n' "$status" "$1" "${2#http://127.0.0.1:*/}"
  fi
}

# field a.0.b: a value of the last body ("" when absent or null).
field() {
  jq -r --arg p "$1" 'getpath($p | split(".") | map(tonumber? // .)) // empty' "$BODY" 2>/dev/null || true
}

header() {
  grep -i "^$1:" "$HEADERS" | head -n1 | cut -d' ' -f2- | tr -d '\r'
}

advance() {   # the manual clock, through the mock directly
  curl -sS -m 10 -o /dev/null -f -X POST "$MOCK/_mock/clock/advance" -d "{\"seconds\":$1}" ||
    die "clock advance failed"
}

expect_field() {   # expect_field PATH VALUE
  local got
  got=$(field "$1")
  if [ "$got" != "$2" ]; then
    failures=$((failures + 1))
    echo "  FAIL $1: expected \"$2\", got \"$got\""
  fi
}

say "workflow through the proxy"
call 200 GET "$P/_mock/health"
call 200 POST "$P/_mock/reset"
call 200 GET "$P/_mock/clock"
call 200 POST "$P/_mock/clock/advance" '{"seconds":0}'
call 200 POST "$P/v1/audiences/create" "{\"apiKey\":\"$KEY\",\"name\":\"AI companies\",\"note\":\"unknown fields are warnings\"}"
AUD=$(field output.audienceId)
expect_field warnings.0.field note
call 200 POST "$P/v1/audiences/create" "{\"apiKey\":\"$KEY\",\"name\":\"No filters\",\"creationMethod\":\"START_FROM_PROSPECTS\"}"
AUD2=$(field output.audienceId)
call 200 GET "$P/v1/audiences/$AUD?apiKey=$KEY"
call 200 PATCH "$P/v1/audiences/$AUD/search-params" "{\"apiKey\":\"$KEY\",
  \"companySearchParams\":{\"industriesV2\":[\"artificial-intelligence\"],
    \"employeeCountV2\":{\"lowerBoundExclusive\":0,\"upperBoundInclusive\":500},
    \"headquartersCountryCode\":{\"anyOf\":[\"USA\",\"X-DACH\"]},\"revenueUSD\":{\"min\":1}},
  \"prospectSearchParams\":{\"jobTitleV2\":{\"anyOf\":[{\"type\":\"term\",\"term\":\"engineer\"}],\"excluded\":[\"intern\"]},
    \"yearsOfExperience\":{\"min\":1}},
  \"maxCompanies\":40,\"maxProspects\":60}"
call 400 POST "$P/v1/audiences/$AUD2/build" "{\"apiKey\":\"$KEY\"}"
call 200 POST "$P/v1/audiences/$AUD/build" "{\"apiKey\":\"$KEY\"}"
call 200 GET "$P/v1/audiences/$AUD?apiKey=$KEY"
expect_field output.status BUILDING
call 400 POST "$P/v1/audiences/$AUD/enrichment/estimate" "{\"apiKey\":\"$KEY\",\"maxProspectsToEnrich\":10}"
call 400 DELETE "$P/v1/audiences/$AUD?apiKey=$KEY"
advance 300
call 200 GET "$P/v1/audiences/$AUD?apiKey=$KEY"
expect_field output.status NORMAL
call 400 GET "$P/v1/audiences/$AUD/enrichment/status?apiKey=$KEY"
call 200 POST "$P/v1/audiences/$AUD/enrichment/estimate" "{\"apiKey\":\"$KEY\",\"maxProspectsToEnrich\":20,\"enrichmentType\":{\"getPhoneNumbers\":false}}"
call 200 POST "$P/v1/audiences/$AUD/enrich" "{\"apiKey\":\"$KEY\",\"maxProspectsToEnrich\":20,\"enrichmentType\":{\"getPhoneNumbers\":false},\"userEmail\":\"dev@example.com\"}"
call 200 GET "$P/v1/audiences/$AUD/enrichment/status?apiKey=$KEY"
call 400 POST "$P/v1/audiences/$AUD/enrich" "{\"apiKey\":\"$KEY\",\"maxProspectsToEnrich\":5}"
advance 600
call 200 GET "$P/v1/audiences/$AUD/enrichment/status?apiKey=$KEY"
expect_field output.currentStage DONE
call 200 POST "$P/_mock/state/compact"
expect_field output.compacted true
call 200 GET "$P/_mock/health"
call 200 POST "$P/v1/audiences/$AUD/export/companies" "{\"apiKey\":\"$KEY\",\"format\":\"COMPANY_GENERIC_CSV\",\"excludeFields\":[\"description\"]}"
COMPANIES_CSV=$(field output.exportId)
call 200 POST "$P/v1/audiences/$AUD/export/prospects" "{\"apiKey\":\"$KEY\",\"format\":\"PROSPECT_GENERIC_CSV\",\"onlyWithContacts\":true,\"maxRowsToExport\":15,\"userEmail\":\"dev@example.com\"}"
PROSPECTS_CSV=$(field output.exportId)
rejected POST "$P/v1/audiences/$AUD/export/companies" "{\"apiKey\":\"$KEY\",\"format\":\"COMPANY_GENERIC_CSV\",\"excludeFields\":[\"no_such_column\"]}"
call 200 GET "$P/v1/exports/$COMPANIES_CSV"
head -n1 "$BODY" | grep -q '^descovo_id,' || { failures=$((failures + 1)); echo "  FAIL: companies CSV header"; }
call 200 GET "$P/v1/exports/$PROSPECTS_CSV"
call 404 GET "$P/v1/exports/exp_00000000000000000000000000000000"
call 200 GET "$P/v1/credits?apiKey=$KEY"
call 200 GET "$P/v1/audiences?apiKey=$KEY"
call 200 GET "$P/v1/audiences/$AUD/companies?apiKey=$KEY&pageSize=5"
CURSOR=$(field output.nextCursor)
call 200 GET "$P/v1/audiences/$AUD/companies?apiKey=$KEY&pageSize=500&cursor=$CURSOR"
call 200 GET "$P/v1/audiences/$AUD/prospects?apiKey=$KEY"
call 400 GET "$P/v1/audiences/$AUD/prospects?apiKey=$KEY&cursor=not-a-cursor"
call 400 GET "$P/v1/audiences/$AUD2/companies?apiKey=$KEY"
call 200 DELETE "$P/v1/audiences/$AUD2?apiKey=$KEY"
call 404 GET "$P/v1/audiences/$AUD2?apiKey=$KEY"
call 404 POST "$P/v1/audiences/aud_ffffffffffffffff/build" "{\"apiKey\":\"$KEY\"}"

say "control plane and injected faults through the proxy"
call 200 GET "$P/_mock/scenarios"
# One tenant's own clock, scenario, faults and reset (a key on demand).
TENANT=sk_test_openapi_check
call 200 GET "$P/_mock/accounts/$TENANT/clock"
call 200 POST "$P/_mock/accounts/$TENANT/clock/advance" '{"seconds":60}'
call 200 POST "$P/_mock/accounts/$TENANT/scenario" '{"settings":{"buildStages":true},"faults":[{"match":{"path":"/v1/nothing"},"action":{"type":"status","status":500}}]}'
call 400 POST "$P/_mock/accounts/$TENANT/scenario" '{"settings":{"timeScale":2}}'
call 200 GET "$P/_mock/accounts/$TENANT/faults"
call 200 DELETE "$P/_mock/accounts/$TENANT/faults"
call 200 POST "$P/_mock/accounts/$TENANT/reset"
call 404 GET "$P/_mock/accounts/not_a_test_key/clock"
call 401 GET "$P/v1/credits?apiKey=sk_live_openapi_check"
call 200 POST "$P/_mock/faults" '{"match":{"method":"GET","path":"/v1/credits"},"times":1,"action":{"type":"status","status":503,"retryAfter":2}}'
call 503 GET "$P/v1/credits?apiKey=$KEY"
[ "$(header Retry-After)" = 2 ] || { failures=$((failures + 1)); echo "  FAIL: injected 503 without Retry-After: 2"; }
call 200 POST "$P/_mock/faults" '{"match":{"path":"/v1/exports/**"},"times":1,"action":{"type":"status","status":502}}'
call 502 GET "$P/v1/exports/$COMPANIES_CSV"
call 200 POST "$P/_mock/faults" '{"match":{"path":"/v1/audiences/*/build"},"times":1,"action":{"type":"hold","status":"HEALING_COMPANIES"}}'
HOLD_RULE=$(field output.id)
call 200 POST "$P/v1/audiences/create" "{\"apiKey\":\"$KEY\",\"name\":\"held\"}"
HELD=$(field output.audienceId)
call 200 PATCH "$P/v1/audiences/$HELD/search-params" "{\"apiKey\":\"$KEY\",\"prospectSearchParams\":{\"tags\":{\"anyOf\":[\"decision-maker\"]}},\"maxProspects\":10}"
call 200 POST "$P/v1/audiences/$HELD/build" "{\"apiKey\":\"$KEY\"}"
advance 300
call 200 GET "$P/v1/audiences/$HELD?apiKey=$KEY"
expect_field output.status HEALING_COMPANIES
call 200 GET "$P/_mock/faults"
call 200 DELETE "$P/_mock/faults/$HOLD_RULE"
call 404 DELETE "$P/_mock/faults/999999"
call 200 POST "$P/_mock/faults" '{"match":{"method":"POST","path":"/v1/audiences/*/enrich"},"times":1,"action":{"type":"fail-enrichment","stage":"CLEANING_NAMES"}}'
call 200 POST "$P/v1/audiences/$AUD/enrich" "{\"apiKey\":\"$KEY\",\"maxProspectsToEnrich\":3,\"userEmail\":\"dev@example.com\"}"
advance 600
call 200 GET "$P/v1/audiences/$AUD/enrichment/status?apiKey=$KEY"
expect_field output.currentStage FAILED
call 200 DELETE "$P/_mock/faults"
call 200 GET "$P/_mock/accounts/$KEY/ledger"
expect_field output.entries.0.kind refund
call 200 GET "$P/_mock/accounts/$KEY/ledger?offset=1&limit=2"
call 404 GET "$P/_mock/accounts/sk_test_nobody/ledger"
call 200 GET "$P/_mock/accounts?limit=2"
call 200 GET "$P/_mock/audiences"
call 200 GET "$P/_mock/audiences?apiKey=$KEY&status=NORMAL&limit=1"
call 200 GET "$P/_mock/ui"
call 200 GET "$P/_mock/requests?bodies=false&limit=3"
call 200 GET "$P/_mock/requests?before=5"
call 200 GET "$P/_mock/requests?method=POST&path=/v1/audiences/*/build&limit=5"
call 400 GET "$P/_mock/requests?since=yesterday"
call 200 DELETE "$P/_mock/requests"
# A web page of another site may not change the simulator (403), whatever
# the body; the same request without Origin goes through.
CALL_HEADER='Origin: http://attacker.example' call 403 POST "$P/_mock/reset"
CALL_HEADER='Origin: null' call 403 POST "$P/_mock/faults" '{"match":{"path":"/v1/nothing"},"action":{"type":"status","status":500}}'
CALL_HEADER='Origin: http://attacker.example' call 403 PUT "$P/_mock/accounts/$KEY" '{"credits":1}'
CALL_HEADER='Origin: http://attacker.example' call 403 DELETE "$P/_mock/accounts/$TENANT/faults"
call 200 GET "$P/_mock/outbox?to=dev@example.com"
call 200 DELETE "$P/_mock/outbox"
call 404 POST "$P/_mock/scenarios" '{"name":"no-such-scenario"}'

say "errors through the proxy"
call 401 GET "$P/v1/credits?apiKey=sk_not_a_key"
call 401 POST "$P/v1/audiences/create" '{"apiKey":"sk_not_a_key","name":"x"}'
# A 400 the document cannot see coming: an industry that does not exist.
call 200 POST "$P/v1/audiences/create" "{\"apiKey\":\"$KEY\",\"name\":\"bad filter\"}"
call 400 PATCH "$P/v1/audiences/$(field output.audienceId)/search-params" "{\"apiKey\":\"$KEY\",\"companySearchParams\":{\"industriesV2\":[\"no-such-industry\"]}}"
# 402, with lowCreditAlert on the way: a poor key builds with 0 credits.
call 200 PUT "$P/_mock/accounts/$POOR" '{"credits":0}'
call 200 POST "$P/v1/audiences/create" "{\"apiKey\":\"$POOR\",\"name\":\"poor\"}"
POOR_AUD=$(field output.audienceId)
expect_field chargeInfo.lowCreditAlert.availableCredits 0
call 200 PATCH "$P/v1/audiences/$POOR_AUD/search-params" "{\"apiKey\":\"$POOR\",\"companySearchParams\":{\"stage\":[\"seed\"]}}"
call 402 POST "$P/v1/audiences/$POOR_AUD/build" "{\"apiKey\":\"$POOR\"}"
# 403: the export quota used up.
call 200 PUT "$P/_mock/accounts/$KEY" '{"exportQuota":100,"exportRowsUsed":100}'
call 403 POST "$P/v1/audiences/$AUD/export/companies" "{\"apiKey\":\"$KEY\",\"format\":\"COMPANY_GENERIC_CSV\"}"
call 200 GET "$P/_mock/accounts/$KEY"
call 404 GET "$P/_mock/accounts/sk_test_nobody"
rejected POST "$P/_mock/clock/advance" '{"seconds":1e12}'
rejected POST "$P/v1/audiences/create" "{\"apiKey\":\"$KEY\",\"name\":\"\"}"
# 413: a body over 1 MiB (valid JSON, so the proxy forwards it).
node -e 'process.stdout.write(JSON.stringify({apiKey: "sk_test_descovo_dev", name: "big", pad: "x".repeat(1100000)}))' >"$WORK/big.json"
call 413 POST "$P/v1/audiences/create" "@$WORK/big.json"
# 429: the credits endpoint allows 100 requests per minute per key; the
# manual clock does not move, so the 101st call is refused.
for _ in $(seq 100); do
  printf 'url = "%s"\noutput = "/dev/null"\n' "$P/v1/credits?apiKey=$KEY"
done >"$WORK/credits.curl"
curl -sS -m 120 -K "$WORK/credits.curl" -w '%{http_code}\n' >"$WORK/credits.codes" || die "credits calls failed"
n_calls=$((n_calls + 100))
# An earlier credits call in the same window counts too: 200s, then
# perhaps 429s, nothing else; the next call below must be the 429.
if ! tr '\n' ' ' <"$WORK/credits.codes" | grep -Eq '^(200 )+(429 )*$'; then
  failures=$((failures + 1))
  echo "  FAIL: the 100 credits calls: $(sort "$WORK/credits.codes" | uniq -c | tr '\n' ' ')"
fi
call 429 GET "$P/v1/credits?apiKey=$KEY"
retry_after=$(header Retry-After)
[[ "$retry_after" =~ ^[0-9]+$ ]] && [ "$retry_after" -ge 1 ] ||
  { failures=$((failures + 1)); echo "  FAIL: 429 without a valid Retry-After ($retry_after)"; }

# Last, as it changes settings until the next reset: a scenario.
call 200 POST "$P/_mock/scenarios" '{"name":"check","description":"openapi-check","settings":{"buildStages":true,"rateLimitScale":2},"accounts":{"sk_test_descovo_other":{"credits":10}},"faults":[{"match":{"path":"/v1/nothing"},"action":{"type":"latency","ms":5}}]}'

say "routing errors, directly (they match no operation of the document)"
code=$(curl -sS -m 10 -X PUT -D "$HEADERS" -o "$BODY" -w '%{http_code}' "$MOCK/v1/audiences/$AUD?apiKey=$KEY")
[ "$code" = 405 ] && [ "$(header Allow)" = "GET, DELETE" ] && [ "$(field error.code)" = 405 ] ||
  { failures=$((failures + 1)); echo "  FAIL: 405 with Allow: got $code, Allow $(header Allow)"; }
code=$(curl -sS -m 10 -D "$HEADERS" -o "$BODY" -w '%{http_code}' "$MOCK/v2/nothing")
[ "$code" = 404 ] && [ "$(field error.code)" = 404 ] ||
  { failures=$((failures + 1)); echo "  FAIL: unknown path: got $code"; }
echo "  ok   405 (Allow: GET, DELETE) and 404 in the error shape"

# Prism's own log must not mention a violation either.
# The only errors it may log are the deliberate request-side rejections.
grep -E '✖|VIOLATIONS|UNPROCESSABLE_ENTITY' "$WORK/prism.log" >"$WORK/prism-errors.txt" || true
if grep -q 'VIOLATIONS' "$WORK/prism-errors.txt" ||
   [ "$(grep -c 'UNPROCESSABLE_ENTITY' "$WORK/prism-errors.txt" || true)" -ne "$rejected" ] ||
   grep -v 'UNPROCESSABLE_ENTITY' "$WORK/prism-errors.txt" | grep -q .; then
  failures=$((failures + 1))
  echo "  FAIL: prism's log reports violations:"
  sed 's/^/       /' "$WORK/prism-errors.txt" | head -n 20
fi
kill -0 "$mock_pid" 2>/dev/null || die "descovo-mock died during the check"
kill -0 "$prism_pid" 2>/dev/null || die "prism died during the check"

# ---- 3. a deliberately wrong response is caught -----------------------------
say "a wrong response must be caught (fake upstream at $FAKE)"
code=$(curl -sS -m 30 -D "$HEADERS" -o "$BODY" -w '%{http_code}' "$FP/v1/credits?apiKey=$KEY")
if [ "$code" != 200 ] || grep -qi '^sl-violations:' "$HEADERS"; then
  failures=$((failures + 1))
  echo "  FAIL: a correct body from the fake was not passed through ($code)"
else
  echo "  ok   a correct body passes: 200"
fi
code=$(curl -sS -m 30 -D "$HEADERS" -o "$BODY" -w '%{http_code}' "$FP/v1/audiences/aud_0123456789abcdef?apiKey=$KEY")
if [ "$code" = 500 ] && grep -qi "^sl-violations:.*required property 'status'" "$HEADERS" &&
   grep -q 'stoplight.io/prism/errors#VIOLATIONS' "$BODY"; then
  echo "  ok   the status body without \"status\" is reported: 500, $(header sl-violations | head -c 160)"
else
  failures=$((failures + 1))
  echo "  FAIL: the wrong body was not reported (got $code): $(head -c 400 "$BODY")"
fi
kill -0 "$fake_prism_pid" 2>/dev/null || die "prism (fake) died during the check"

elapsed=$(( $(date +%s) - started ))
if [ "$failures" -ne 0 ]; then
  echo "openapi-check: FAIL: $failures problem(s) in $n_calls calls through the proxy (${elapsed}s); logs in $WORK" >&2
  exit 1
fi
echo "openapi-check: OK: lint clean, $n_calls calls through the proxy without a violation, wrong response caught (${elapsed}s)"
