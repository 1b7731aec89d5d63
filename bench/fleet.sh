#!/usr/bin/env bash
# bench/fleet.sh: the fleet benchmark of issue 19 (see docs/BENCHMARK.md).
#
# Starts descovo-mock on loopback (--clock manual --quiet, a copy named
# descovo-bench-mock so that nobody's pkill stops it mid-run) and runs
# descovo-bench-fleet against it with the server's pid, so that CPU per
# workflow and RSS are measured; every other argument goes to the fleet
# (descovo-bench-fleet --help). The server is stopped on exit.
#
# The generator's modes (its own CPU per workflow is printed by each):
#   --client http   the default: the fleet's own HTTP/1.1 client, keep-alive
#                   sockets in one epoll set per worker (--workers W, 2)
#   --client curl   the same workers through libcurl multi handles (the reference)
#   --blocking      a thread per tenant, each with a libcurl easy handle
#
# Usage: bench/fleet.sh [--build-dir DIR] [--no-build] [--mock-args "ARGS"] [FLEET ARGS...]
#   --build-dir DIR   where to build (build-bench); --no-build uses it as is
#   --mock-args ARGS  more options for descovo-mock (default "--no-rate-limit")
# Exits with the fleet's status: 0 when there were no errors and every
# tenant's balance was exact.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
build=1
build_dir="$root/build-bench"
mock_args="--no-rate-limit"
fleet_args=()

while [ $# -gt 0 ]; do
  case $1 in
    --build-dir) [ -n "${2:-}" ] || { echo "fleet.sh: --build-dir DIR" >&2; exit 2; }; build_dir=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    --mock-args) mock_args=${2:-}; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
    *) fleet_args+=("$1"); shift ;;
  esac
done

work=$(mktemp -d "${TMPDIR:-/tmp}/descovo-fleet.XXXXXX")
pids=()
. "$here/lib.sh"
trap 'stop_all; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

if [ "$build" -eq 1 ]; then
  log "== building (Release) in $build_dir"
  { cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release &&
    cmake --build "$build_dir" -j "$(nproc 2>/dev/null || echo 2)" --target descovo-mock descovo-bench-fleet; } \
    >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; exit 1; }
fi
mock_bin="$build_dir/mockserver/descovo-mock"
fleet_bin="$build_dir/bench/descovo-bench-fleet"
for b in "$mock_bin" "$fleet_bin"; do
  [ -x "$b" ] || { log "fleet.sh: missing $b (build it, or drop --no-build)"; exit 1; }
done
cp "$mock_bin" "$work/descovo-bench-mock"

# shellcheck disable=SC2086 # mock_args is a list of options
"$work/descovo-bench-mock" --port 0 --clock manual --quiet $mock_args >"$work/mock.out" 2>&1 &
pid=$!
pids+=("$pid")
url=""
for _ in $(seq 1 200); do
  url=$(grep -o -m 1 'http://127\.0\.0\.1:[0-9]*' "$work/mock.out" || true)
  [ -n "$url" ] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.05
done
[ -n "$url" ] || { cat "$work/mock.out" >&2; log "fleet.sh: descovo-mock did not start"; exit 1; }
log "== descovo-mock $url (pid $pid) $mock_args"
"$fleet_bin" --url "$url" --server-pid "$pid" "${fleet_args[@]}"
