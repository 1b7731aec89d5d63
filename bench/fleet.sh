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
# --baseline: after that run, the floor. descovo-bench-bare (a bare
# libmicrohttpd server in the mock's threading mode, with the mock's
# --threads when --mock-args gives one) answers every request with one
# fixed 350-byte body, and the two download paths of the floor with
# bodies of the mean size the mock's downloads had in the run just made;
# the fleet runs with --floor (the same requests, placeholder ids, any 2xx
# taken, nothing read or checked) for the same tenants and duration. A
# last block prints both servers' throughput, their CPU per workflow (user
# and system) and per request, the ratio bare / mock (as bench/run.sh
# does), and the mock's CPU above the floor. The floor is a lower bound:
# no API work, no JSON built, every answer a shared response.
#
# Usage: bench/fleet.sh [--build-dir DIR] [--no-build] [--mock-args "ARGS"] [--baseline] [FLEET ARGS...]
#   --build-dir DIR   where to build (build-bench); --no-build uses it as is
#   --mock-args ARGS  more options for descovo-mock (default "--no-rate-limit")
#   --baseline        then the floor run against descovo-bench-bare (above)
# Exits with the fleet's status: 0 when there were no errors and every
# tenant's balance was exact (with --baseline: and the floor run had no
# errors either, its downloads at the mock's sizes).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
build=1
baseline=0
build_dir="$root/build-bench"
mock_args="--no-rate-limit"
fleet_args=()

while [ $# -gt 0 ]; do
  case $1 in
    --build-dir) [ -n "${2:-}" ] || { echo "fleet.sh: --build-dir DIR" >&2; exit 2; }; build_dir=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    --mock-args) mock_args=${2:-}; shift 2 ;;
    --baseline) baseline=1; shift ;;
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
    cmake --build "$build_dir" -j "$(nproc 2>/dev/null || echo 2)" --target descovo-mock descovo-bench-fleet descovo-bench-bare; } \
    >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; exit 1; }
fi
mock_bin="$build_dir/mockserver/descovo-mock"
fleet_bin="$build_dir/bench/descovo-bench-fleet"
bare_bin="$build_dir/bench/descovo-bench-bare"
bins=("$mock_bin" "$fleet_bin")
[ "$baseline" -eq 1 ] && bins+=("$bare_bin")
for b in "${bins[@]}"; do
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
mock_rc=0
"$fleet_bin" --url "$url" --server-pid "$pid" "${fleet_args[@]}" | tee "$work/fleet.mock" || mock_rc=$?
[ "$baseline" -eq 1 ] || exit "$mock_rc"

# field FILE PATTERN N: field N of the first line of FILE matching PATTERN.
field() { awk -v n="$3" "/$2/ { print \$n; exit }" "$1"; }
# The floor's download paths, from the header the generator is built with.
floor_path() { sed -n "s/^#define $1 \"\(.*\)\"$/\1/p" "$here/fleet_workflow.h"; }

stop_pid "$pid"
threads=0
read -r -a margs <<<"$mock_args"
for i in "${!margs[@]}"; do
  case ${margs[$i]} in
    --threads) threads=${margs[$((i + 1))]:-0} ;;
    --threads=*) threads=${margs[$i]#--threads=} ;;
  esac
done
companies_bytes=$(field "$work/fleet.mock" '^GET download companies' 7)
prospects_bytes=$(field "$work/fleet.mock" '^GET download prospects' 7)
companies_path=$(floor_path FW_FLOOR_COMPANIES_CSV)
prospects_path=$(floor_path FW_FLOOR_PROSPECTS_CSV)
if [ -z "$companies_bytes" ] || [ -z "$prospects_bytes" ] || [ -z "$companies_path" ] || [ -z "$prospects_path" ]; then
  log "fleet.sh: no download sizes in the mock's run, or no FW_FLOOR_* paths in fleet_workflow.h"
  exit 1
fi
start_server bare "$bare_bin" --port 0 --threads "$threads" \
  --path-body "$companies_path=$companies_bytes" --path-body "$prospects_path=$prospects_bytes"
# shellcheck disable=SC2154 # start_server (lib.sh) sets them
bare_url=$server_url bare_pid=$server_pid
log "== descovo-bench-bare $bare_url (pid $bare_pid), the fleet with --floor"
floor_rc=0
"$fleet_bin" --url "$bare_url" --server-pid "$bare_pid" "${fleet_args[@]}" --floor | tee "$work/fleet.bare" ||
  floor_rc=$?

# The downloads must have come back at the mock's sizes: a placeholder
# path that the bare server did not know would get 350 bytes.
floor_companies=$(field "$work/fleet.bare" '^GET download companies' 7)
floor_prospects=$(field "$work/fleet.bare" '^GET download prospects' 7)
if [ "$floor_companies" != "$companies_bytes" ] || [ "$floor_prospects" != "$prospects_bytes" ]; then
  log "fleet.sh: the floor's downloads were $floor_companies and $floor_prospects B, the mock's $companies_bytes and $prospects_bytes"
  floor_rc=1
fi
awk -v threads="$threads" -v cb="$companies_bytes" -v pb="$prospects_bytes" '
  FNR == 1 { run++ }
  /^workflows / { w[run] = substr($3, 2) + 0 }
  /^requests / { r[run] = substr($3, 2) + 0 }
  /^server CPU / { cw[run] = $5; cr[run] = $9; cu[run] = $14 + 0; cs[run] = $16 + 0 }
  function ratio(a, b) { return b > 0 ? sprintf("%.2f", a / b) : "-" }
  END {
    printf "\nbaseline: the same requests, descovo-bench-bare (threads: %s; downloads %d and %d B, as the mock'"'"'s)\n",
           (threads > 0 ? threads : "one per core, as the mock"), cb, pb
    printf "%-28s %10s %10s %10s\n", "", "mock", "bare", "bare/mock"
    printf "%-28s %10d %10d %10s\n", "workflows/s", w[1], w[2], ratio(w[2], w[1])
    printf "%-28s %10d %10d %10s\n", "requests/s", r[1], r[2], ratio(r[2], r[1])
    printf "%-28s %10d %10d %10s\n", "server CPU us per workflow", cw[1], cw[2], ratio(cw[2], cw[1])
    printf "%-28s %10d %10d %10s\n", "  user", cu[1], cu[2], ratio(cu[2], cu[1])
    printf "%-28s %10d %10d %10s\n", "  system", cs[1], cs[2], ratio(cs[2], cs[1])
    printf "%-28s %10.1f %10.1f %10s\n", "server CPU us per request", cr[1], cr[2], ratio(cr[2], cr[1])
    printf "the mock above the floor: %d us per workflow, %.1f us per request\n", cw[1] - cw[2], cr[1] - cr[2]
  }' "$work/fleet.mock" "$work/fleet.bare"
[ "$mock_rc" -eq 0 ] && [ "$floor_rc" -eq 0 ]
