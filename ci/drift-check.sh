#!/usr/bin/env bash
# Drift detection in CI (docs/DRIFT.md):
#   1. fixtures/cassettes/vendor-docs.har, written from the vendor's
#      documentation, verifies with no drift outside fixtures/cassettes/
#      known.json (and, as a control, drifts without it);
#   2. self-consistency: the conformance suite runs through a recording
#      descovo-mock --upstream in front of a descovo-mock, and the recording
#      verifies with zero drift;
#   3. the HAR files are read back by a validator nobody here wrote
#      (har-validator, pinned in ci/har/), which must also refuse a broken one.
# The suite polls every 10 s of the upstream's clock and waits out the
# delete limit's Retry-After (it archives more than 20) in its seconds too:
# DESCOVO_TIME_SCALE=$SCALE makes that 0.3 s and 0.6 s of real time.
# Everything listens on 127.0.0.1; every process started here is stopped.
# Usage: ci/drift-check.sh   (DESCOVO_MOCK_BIN, DESCOVO_CONFORMANCE_BIN: the binaries)
set -euo pipefail
cd "$(dirname "$0")/.."

MOCK=${DESCOVO_MOCK_BIN:-build/mockserver/descovo-mock}
CONFORMANCE=${DESCOVO_CONFORMANCE_BIN:-build/conformance/descovo-conformance}
TOOLS=build/npm-har
WORK=build/drift
SCALE=100
started=$(date +%s)
say() { echo "== [$(( $(date +%s) - started ))s] $*"; }
die() { echo "drift-check: FAIL: $*" >&2; exit 1; }
work=$WORK
. mockserver/tests/drift/lib.sh

[ -x "$MOCK" ] || die "no descovo-mock at $MOCK (set DESCOVO_MOCK_BIN)"
[ -x "$CONFORMANCE" ] || die "no descovo-conformance at $CONFORMANCE (set DESCOVO_CONFORMANCE_BIN)"
rm -rf "$WORK"
mkdir -p "$WORK" "$TOOLS"

say "1. the vendor-docs cassette"
"$MOCK" --verify fixtures/cassettes/vendor-docs.har --known fixtures/cassettes/known.json ||
  die "vendor-docs.har drifts outside fixtures/cassettes/known.json"
rc=0
"$MOCK" --verify fixtures/cassettes/vendor-docs.har --format json --out "$WORK/vendor-unknown.json" || rc=$?
[ $rc = 1 ] || die "control: without the known list, vendor-docs.har should drift (exit $rc)"

say "2. self-consistency: the conformance suite through a recording proxy"
start upstream "$MOCK" --port 0 --quiet --time-scale $SCALE
start recorder "$MOCK" --port 0 --quiet --upstream "$url" --record "$WORK/self.har"
recorder=$pid
DESCOVO_BASE_URL=$url DESCOVO_API_KEY=sk_test_descovo_dev DESCOVO_API_KEY_2=sk_test_descovo_other \
  DESCOVO_ALLOW_SPEND=1 DESCOVO_MAX_CREDITS=1000 DESCOVO_POLL_INTERVAL=30 DESCOVO_TIME_SCALE=$SCALE \
  "$CONFORMANCE" --results "$WORK/conformance" >"$WORK/conformance.out" 2>&1 ||
  { cat "$WORK/conformance.out"; die "the conformance suite failed through the proxy"; }
tail -n 1 "$WORK/conformance.out"
stop "$recorder" || die "the recording proxy did not stop cleanly"
"$MOCK" --verify "$WORK/self.har" --time-scale $SCALE --format junit --out "$WORK/self-consistency.xml" ||
  { "$MOCK" --verify "$WORK/self.har" --time-scale $SCALE || true; die "the self-consistency cassette drifts"; }
"$MOCK" --verify "$WORK/self.har" --time-scale $SCALE | tail -n 1

say "3. the HAR files, read by har-validator"
command -v node >/dev/null && command -v npm >/dev/null || bash ci/install-deps.sh nodejs npm
if ! cmp -s ci/har/package-lock.json "$TOOLS/package-lock.json" || [ ! -d "$TOOLS/node_modules/har-validator" ]; then
  cp ci/har/package.json ci/har/package-lock.json "$TOOLS/"
  (cd "$TOOLS" && timeout 600 npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
fi
node ci/har/validate.js "$TOOLS/node_modules" "$WORK/self.har" fixtures/cassettes/vendor-docs.har ||
  die "har-validator refused a HAR file"
jq 'del(.log.entries[0].request)' "$WORK/self.har" >"$WORK/broken.har"
if node ci/har/validate.js "$TOOLS/node_modules" "$WORK/broken.har" >"$WORK/broken.out"; then
  die "control: har-validator accepted a HAR entry without its request"
fi
say "drift check passed"
