#!/usr/bin/env bash
# bench/state_file.sh: what --state-file costs (issue 14).
#
# 1. Throughput: POST /v1/audiences/create at 32 connections (wrk, 2
#    threads, keep-alive), spread over 1,000 keys, against descovo-mock
#    without a state file, then with one in $STATE_DIR (default: a
#    temporary folder under $TMPDIR, on disk); prints creates/s of each,
#    the ratio (target: >= 0.5) and how many changes each fdatasync covered
#    (group commit), with the median fdatasync time of this disk, which
#    bounds what any durable server can do per connection; then the same
#    with the state file on /dev/shm (syncs cost nothing), which shows what
#    the mechanism itself costs.
#    --connections N adds a run at N connections with the state file.
# 2. Restart: a state file of --changes N changes (default 1,000,000:
#    creates and account PUTs, written by the server itself on a file in
#    /dev/shm where syncs are free), then the time from exec to the first
#    200 of GET /_mock/health (descovo-bench-first-answer, median of 3).
#
# Usage: bench/state_file.sh [--duration S] [--changes N] [--connections N]
#                            [--smoke] [--build-dir DIR] [--no-build]
#   --smoke   1 s runs, 5,000 changes, one restart: checks that it works (CI)
# Figures on a shared machine are under load: read them as such.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
duration=5
changes=1000000
more_connections=0
runs=3
build=1
build_dir="$root/build-bench"

need_int() {
  [[ $2 =~ ^[0-9]+$ ]] || { echo "state_file.sh: $1 expects a number, got '$2'" >&2; exit 2; }
}
while [ $# -gt 0 ]; do
  case $1 in
    --duration) need_int "$1" "${2:-}"; duration=$2; shift 2 ;;
    --changes) need_int "$1" "${2:-}"; changes=$2; shift 2 ;;
    --connections) need_int "$1" "${2:-}"; more_connections=$2; shift 2 ;;
    --smoke) duration=1; changes=5000; runs=1; shift ;;
    --build-dir) build_dir=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "state_file.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

. "$here/lib.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/descovo-state-bench.XXXXXX")
shm=$(mktemp -d /dev/shm/descovo-state-bench.XXXXXX 2>/dev/null || mktemp -d "$work/shm.XXXXXX")
state_dir=${STATE_DIR:-$work}
pids=()
cleanup() { stop_all; rm -rf "$work" "$shm"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
die() { log "state_file.sh: $*"; exit 1; }

if [ "$build" -eq 1 ]; then
  log "== building (Release) in $build_dir"
  { cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release &&
    cmake --build "$build_dir" -j 2 --target descovo-mock descovo-bench-first-answer; } >"$work/build.log" 2>&1 ||
    { cat "$work/build.log" >&2; die "build failed"; }
fi
# A copy with its own name: somebody's `pkill descovo-mock` must not stop it.
cp "$build_dir/mockserver/descovo-mock" "$work/descovo-bench-mock"
mock="$work/descovo-bench-mock"
first="$build_dir/bench/descovo-bench-first-answer"
command -v wrk >/dev/null 2>&1 || die "wrk is not installed (apt-get install wrk)"

for i in $(seq 0 999); do printf 'sk_bench_key_%04d 100000000\n' "$i"; done >"$work/keys.txt"
cat >"$work/create.lua" <<'LUA'
local n = 0
request = function()
  n = n + 1
  local body = string.format('{"apiKey":"sk_bench_key_%04d","name":"bench"}', n % 1000)
  return wrk.format("POST", "/v1/audiences/create", {["Content-Type"] = "application/json"}, body)
end
LUA
cat >"$work/mixed.lua" <<'LUA'
local n = 0
request = function()
  n = n + 1
  local key = string.format("sk_bench_key_%04d", n % 1000)
  if n % 2 == 0 then
    return wrk.format("PUT", "/_mock/accounts/" .. key, {["Content-Type"] = "application/json"},
                      string.format('{"credits":%d}', 1000000 + n))
  end
  return wrk.format("POST", "/v1/audiences/create", {["Content-Type"] = "application/json"},
                    '{"apiKey":"' .. key .. '","name":"history"}')
end
LUA
common=(--clock manual --no-rate-limit --quiet --journal-size 0 --keys-file "$work/keys.txt")

# start NAME ARGS...: starts the mock, sets $url and $pid.
start() {
  local name=$1 i
  shift
  "$mock" --port 0 "${common[@]}" "$@" >"$work/$name.out" 2>&1 &
  pid=$!
  pids+=("$pid")
  for i in $(seq 1 400); do
    url=$(grep -o -m 1 'http://127\.0\.0\.1:[0-9]*' "$work/$name.out" || true)
    [ -n "$url" ] && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  cat "$work/$name.out" >&2
  die "$name did not start"
}

# rate CONNECTIONS SCRIPT: requests/s of one wrk run against $url; fails
# on any answer other than 2xx.
rate() {
  wrk -t2 -c"$1" -d"${duration}s" -s "$2" "$url" >"$work/wrk.out" 2>&1 || { cat "$work/wrk.out" >&2; die "wrk failed"; }
  if grep -q 'Non-2xx' "$work/wrk.out"; then cat "$work/wrk.out" >&2; die "errors under load"; fi
  awk '/Requests\/sec/ {printf "%.0f", $2}' "$work/wrk.out"
}

# syncs_of NAME: the "N changes in M syncs" line the mock prints as it stops.
syncs_of() {
  grep -o '[0-9]* changes in [0-9]* syncs' "$work/$1.out" || echo "? changes in ? syncs"
}

log "== throughput: POST /v1/audiences/create, 32 connections, ${duration} s each (under load)"
start memory
memory_rate=$(rate 32 "$work/create.lua")
stop_pid "$pid"
start durable --state-file "$state_dir/bench-state.log"
durable_rate=$(rate 32 "$work/create.lua")
stop_pid "$pid"
durable_syncs=$(syncs_of durable)
# The same on a tmpfs, where a sync costs nothing: what the mechanism
# itself (queue, held answers, flusher) costs beside the disk.
start tmpfs --state-file "$shm/tmpfs-state.log"
tmpfs_rate=$(rate 32 "$work/create.lua")
stop_pid "$pid"
rm -f "$shm/tmpfs-state.log"
sync_ms=$(python3 - "$state_dir/sync-probe" <<'PY' 2>/dev/null || echo "?"
import os, sys, time
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
times = []
for _ in range(50):
    os.write(fd, b"x" * 200 + b"\n")
    t = time.perf_counter(); os.fdatasync(fd); times.append(time.perf_counter() - t)
os.close(fd); os.unlink(sys.argv[1])
times.sort(); print("%.2f" % (times[len(times) // 2] * 1000))
PY
)
printf 'state_file creates_per_s memory=%s durable=%s ratio=%.2f (target >= 0.50) %s fdatasync_ms=%s\n' \
  "$memory_rate" "$durable_rate" "$(awk -v a="$durable_rate" -v b="$memory_rate" 'BEGIN { print a / b }')" "$durable_syncs" "$sync_ms"
printf 'state_file creates_per_s tmpfs=%s ratio=%.2f (a state file whose syncs cost nothing) %s\n' \
  "$tmpfs_rate" "$(awk -v a="$tmpfs_rate" -v b="$memory_rate" 'BEGIN { print a / b }')" "$(syncs_of tmpfs)"
if [ "$more_connections" -gt 0 ]; then
  rm -f "$state_dir/bench-state.log"
  start wide --state-file "$state_dir/bench-state.log"
  wide_rate=$(rate "$more_connections" "$work/create.lua")
  stop_pid "$pid"
  printf 'state_file creates_per_s durable=%s at %s connections, %s\n' "$wide_rate" "$more_connections" "$(syncs_of wide)"
fi
rm -f "$state_dir/bench-state.log"

log "== restart after $changes changes (creates and account PUTs)"
history="$shm/history.log"
start history --state-file "$history"
while :; do
  lines=$(( $(wc -l <"$history") - 1 ))
  [ "$lines" -ge "$changes" ] && break
  left=$(( changes - lines ))
  secs=$(( left / 20000 + 1 ))
  [ "$secs" -gt 30 ] && secs=30
  wrk -t2 -c32 -d"${secs}s" -s "$work/mixed.lua" "$url" >"$work/wrk.out" 2>&1 || die "wrk failed"
done
stop_pid "$pid"
lines=$(( $(wc -l <"$history") - 1 ))
size=$(du -h "$history" | cut -f1)
"$first" --runs "$runs" --timeout-ms 600000 -- "$mock" --port @PORT@ "${common[@]}" --state-file "$history" >"$work/first.out" 2>&1 ||
  { cat "$work/first.out" >&2; die "the restart failed"; }
median=$(grep -o 'median=[0-9.]*' "$work/first.out" | cut -d= -f2)
printf 'state_file restart_ms=%s after %s changes (%s; target <= 200)\n' "$median" "$lines" "$size"
