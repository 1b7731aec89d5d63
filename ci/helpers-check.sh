#!/usr/bin/env bash
# Runs the test helpers' own tests and their examples, as a user would:
# helpers/python (unittest, and pytest when installed) and helpers/node
# (node --test), against a descovo-mock built here or given.
# Usage: ci/helpers-check.sh            (installs missing packages)
#   DESCOVO_MOCK_BIN  the descovo-mock to use (default: built in build/helpers-check)
set -euo pipefail
cd "$(dirname "$0")/.."

bash ci/install-deps.sh python3 python3-pytest nodejs

if [ -z "${DESCOVO_MOCK_BIN:-}" ]; then
  cmake -S . -B build/helpers-check -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build build/helpers-check -j "$(nproc 2>/dev/null || echo 2)" --target descovo-mock >/dev/null
  DESCOVO_MOCK_BIN=$PWD/build/helpers-check/mockserver/descovo-mock
fi
DESCOVO_MOCK_BIN=$(cd "$(dirname "$DESCOVO_MOCK_BIN")" && pwd)/$(basename "$DESCOVO_MOCK_BIN")
export DESCOVO_MOCK_BIN
# Neither a running server nor a token of the caller's: the helpers start their own.
unset DESCOVO_BASE_URL DESCOVO_ADMIN_TOKEN DESCOVO_API_KEY
export PYTHONDONTWRITEBYTECODE=1

python=$(command -v python3)
echo "== python helper ($("$python" --version 2>&1)): tests"
(cd helpers/python && timeout 120 "$python" -m unittest discover -s tests)
echo "== python helper: the unittest example"
(cd helpers/python/examples && PYTHONPATH=.. timeout 120 "$python" -m unittest test_example_unittest)
# pytest: the python3 on PATH, or Debian's (python3-pytest) when another one comes first.
with_pytest=""
for candidate in "$python" /usr/bin/python3; do
  if [ -x "$candidate" ] && "$candidate" -c "import pytest" 2>/dev/null; then with_pytest=$candidate; break; fi
done
if [ -n "$with_pytest" ]; then
  echo "== python helper: the pytest example and the tests under pytest ($("$with_pytest" --version 2>&1))"
  (cd helpers/python/examples && PYTHONPATH=.. timeout 120 "$with_pytest" -m pytest -q -p no:cacheprovider test_example_pytest.py)
  (cd helpers/python && timeout 120 "$with_pytest" -m pytest -q -p no:cacheprovider tests)
else
  echo "== python helper: pytest is not installed; its fixtures are not checked"
fi

node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 18 ] || { echo "helpers-check: node $(node --version) is older than 18"; exit 1; }
echo "== node helper (node $(node --version)): tests and the example"
(cd helpers/node && timeout 120 node --test test/descovo-mock.test.js examples/example.test.js)
echo "helpers-check: all passed"
