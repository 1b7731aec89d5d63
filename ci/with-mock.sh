#!/usr/bin/env bash
# Runs a command against a descovo-mock started for it: the mock listens on a
# free loopback port, the command starts once GET /_mock/health answers, and
# sees DESCOVO_BASE_URL, DESCOVO_API_KEY and DESCOVO_API_KEY_2 (the mock's
# two development keys unless set: the second is another account, for the
# conformance suite's isolation cases).
# The mock is stopped afterwards; the exit status is the command's.
#
# Usage: ci/with-mock.sh [MOCK OPTIONS ...] -- COMMAND [ARGS ...]
#   DESCOVO_MOCK  the descovo-mock binary (default: on PATH, else the build tree)
# Example (what docs/CI.md's workflow runs):
#   ci/with-mock.sh --clock manual -- descovo-conformance
set -euo pipefail

mock_args=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  mock_args+=("$1")
  shift
done
[ "${1:-}" = "--" ] || { echo "usage: with-mock.sh [MOCK OPTIONS] -- COMMAND [ARGS]" >&2; exit 2; }
shift
[ $# -gt 0 ] || { echo "with-mock.sh: no command given" >&2; exit 2; }

mock=${DESCOVO_MOCK:-$(command -v descovo-mock || true)}
if [ -z "$mock" ]; then
  here=$(cd "$(dirname "$0")/.." && pwd)
  mock="$here/build/mockserver/descovo-mock"
fi
[ -x "$mock" ] || { echo "with-mock.sh: descovo-mock not found (set DESCOVO_MOCK)" >&2; exit 2; }

out=$(mktemp)
"$mock" --port 0 --quiet "${mock_args[@]}" >"$out" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -f "$out"' EXIT

base=""
for _ in $(seq 1 200); do
  base=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$out" | head -n 1 || true)
  if [ -n "$base" ] && curl -fsS "$base/_mock/health" >/dev/null 2>&1; then
    break
  fi
  kill -0 "$pid" 2>/dev/null || { echo "with-mock.sh: descovo-mock exited:" >&2; cat "$out" >&2; exit 1; }
  base=""
  sleep 0.05
done
[ -n "$base" ] || { echo "with-mock.sh: descovo-mock did not become healthy" >&2; cat "$out" >&2; exit 1; }

export DESCOVO_BASE_URL=$base
export DESCOVO_API_KEY=${DESCOVO_API_KEY:-sk_test_descovo_dev}
export DESCOVO_API_KEY_2=${DESCOVO_API_KEY_2:-sk_test_descovo_other}
set +e
"$@"
status=$?
set -e
exit $status
