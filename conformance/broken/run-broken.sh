#!/bin/sh
# Runs the conformance suite against descovo-mock behind descovo-broken-proxy
# in one mode, and checks the outcome:
#   - mode passthrough: the suite must pass (the proxy itself breaks nothing);
#   - mode real-like: no proxy, but a mock without its control plane and on
#     a fast real clock, so the suite takes the path of a real service
#     (spending allowed within DESCOVO_MAX_CREDITS, polling with sleeps,
#     mock-only cases skipped); it must pass;
#   - any other mode: the suite must fail, the case named for that defect
#     must be among the failures (caught by its own check), and its message
#     must contain EXPECTED_TEXT (caught for the right reason).
#
#   run-broken.sh MOCK PROXY SUITE WORKDIR MODE [EXPECTED_CASE [EXPECTED_TEXT]]
#
# EXPECTED_CASE is "group/case" as the suite prints it. Only processes this
# script started are stopped, by their pid.
set -u

mock_bin=$1 proxy_bin=$2 suite_bin=$3 work=$4 mode=$5 expected=${6:-} expected_text=${7:-}
rm -rf "$work"
mkdir -p "$work"
mock_pid= proxy_pid=

stop() {
    [ -n "$proxy_pid" ] && kill "$proxy_pid" 2>/dev/null && wait "$proxy_pid" 2>/dev/null
    [ -n "$mock_pid" ] && kill "$mock_pid" 2>/dev/null && wait "$mock_pid" 2>/dev/null
}
trap stop EXIT

# Waits for the first line of a log to carry a URL (at most 15 s, looking
# every 20 ms: the mock starts in a few), and prints that URL.
url_of() {
    i=0
    while [ $i -lt 750 ]; do
        url=$(sed -n '1s|.*\(http://127\.0\.0\.1:[0-9]*\).*|\1|p' "$1")
        if [ -n "$url" ]; then
            echo "$url"
            return 0
        fi
        sleep 0.02
        i=$((i + 1))
    done
    echo "no URL in $1:" >&2
    cat "$1" >&2
    return 1
}

# The real-like mock doubles the per-minute limits: the run archives more
# audiences than the delete limit of 20 lets through at once, and a real
# service is waited out (Retry-After, in real seconds here) once, which the
# control should not spend a minute on.
if [ "$mode" = real-like ]; then
    "$mock_bin" --port 0 --no-control --clock real --time-scale 100 --rate-limit-scale 2 --quiet \
        >"$work/mock.log" 2>&1 &
else
    "$mock_bin" --port 0 --clock manual --quiet >"$work/mock.log" 2>&1 &
fi
mock_pid=$!
mock_url=$(url_of "$work/mock.log") || exit 1
target=$mock_url
if [ "$mode" != real-like ]; then
    "$proxy_bin" --mode "$mode" --upstream "$mock_url" --owner-key sk_test_descovo_dev >"$work/proxy.log" 2>&1 &
    proxy_pid=$!
    target=$(url_of "$work/proxy.log") || exit 1
fi

# The real-like mock's clock runs 100 times real speed: a poll every 10 of
# its seconds is one every 0.1 s (DESCOVO_TIME_SCALE; the other modes are on
# the manual clock, where neither is used).
DESCOVO_BASE_URL=$target DESCOVO_API_KEY=sk_test_descovo_dev DESCOVO_API_KEY_2=sk_test_descovo_other \
    DESCOVO_ALLOW_SPEND=1 DESCOVO_MAX_CREDITS=100 DESCOVO_POLL_INTERVAL=10 DESCOVO_TIME_SCALE=100 \
    DESCOVO_POLL_TIMEOUT=60 DESCOVO_ALLOW_FLOOD= "$suite_bin" --results "$work/results" >"$work/suite.log" 2>&1
rc=$?
cat "$work/suite.log"

if [ "$mode" = real-like ]; then
    if [ $rc -ne 0 ]; then
        echo "run-broken: the suite failed against a mock that looks real (exit $rc)"
        exit 1
    fi
    # Only the cases that need the control plane or a flood may skip, and
    # one that saw a tiny build finish faster than it could watch it (a real
    # clock at 100 times its speed races the requests; the manual clock of
    # conformance.mock checks the same case without a race).
    if grep "^  skip  " "$work/suite.log" | grep -v -e "mock only" -e "DESCOVO_ALLOW_FLOOD" \
        -e "the build finished"; then
        echo "run-broken: cases skipped for another reason against a mock that looks real"
        exit 1
    fi
    echo "run-broken: real-like target: the suite passes, mock-only cases skipped"
    exit 0
fi
if [ "$mode" = passthrough ]; then
    if [ $rc -ne 0 ]; then
        echo "run-broken: the suite failed through the pass-through proxy (exit $rc)"
        exit 1
    fi
    echo "run-broken: pass-through proxy: the suite passes"
    exit 0
fi
if [ $rc -eq 0 ]; then
    echo "run-broken: mode $mode: the suite PASSED against a broken server"
    exit 1
fi
if ! grep -q "^  FAIL  $expected:" "$work/suite.log"; then
    echo "run-broken: mode $mode: the suite failed (exit $rc), but not in $expected"
    exit 1
fi
if ! grep "^  FAIL  $expected:" "$work/suite.log" | grep -q -F -- "$expected_text"; then
    echo "run-broken: mode $mode: $expected failed, but its message lacks \"$expected_text\""
    exit 1
fi
echo "run-broken: mode $mode: caught by $expected (exit $rc); all failures:"
grep "^  FAIL  " "$work/suite.log" | cut -d: -f1
exit 0
