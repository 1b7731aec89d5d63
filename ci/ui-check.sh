#!/usr/bin/env bash
# The dashboard (/_mock/ui) in a real browser: Debian's chromium driven by
# playwright-core, pinned in mockserver/tests/browser/package.json and
# package-lock.json (npm ci; no browser is downloaded: the tests launch
# /usr/bin/chromium). Each test starts its own descovo-mock on a free port
# with --clock manual. Screenshots of the main views go to build/ci-ui/.
# Usage: ci/ui-check.sh                       (from anywhere; builds the mock)
#        DESCOVO_MOCK=path/to/descovo-mock ci/ui-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=build/ci-ui
TESTS=mockserver/tests/browser

bash ci/install-deps.sh chromium
# Node 18 or later with npm; Debian's own packages when there is none (a
# nodejs from elsewhere brings its npm, and Debian's npm would conflict).
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  bash ci/install-deps.sh nodejs npm
fi

MOCK=${DESCOVO_MOCK:-}
if [ -z "$MOCK" ]; then
  echo "== building descovo-mock into build/ui"
  cmake -S . -B build/ui -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build/ui --target descovo-mock -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
  MOCK=build/ui/mockserver/descovo-mock
fi
MOCK=$(realpath "$MOCK")

echo "== npm ci (playwright-core, pinned by package-lock.json)"
# No lifecycle scripts: nothing runs at install time, no browser is downloaded.
(cd "$TESTS" && timeout 300 npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)

rm -rf "$OUT"
mkdir -p "$OUT"
echo "== browser tests ($(chromium --version 2>/dev/null | head -1), playwright-core $(jq -r .version "$TESTS/node_modules/playwright-core/package.json"))"
(cd "$TESTS" && DESCOVO_MOCK="$MOCK" CHROMIUM=/usr/bin/chromium UI_SCREENSHOTS="$(realpath -m "../../../$OUT")" \
   timeout 300 node --test --test-concurrency=1 --test-reporter=spec ui.test.mjs)
echo "== screenshots in $OUT: $(cd "$OUT" && ls *.png | tr '\n' ' ')"
