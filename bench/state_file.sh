#!/usr/bin/env bash
# bench/state_file.sh: what --state-file costs (issue 14).
#
# 1. Throughput: POST /v1/audiences/create at 32 connections (wrk, 2
#    threads, keep-alive), spread over 1,000 keys, against descovo-mock
#    without a state file, then with one in $STATE_DIR (default: a
#    temporary folder under $TMPDIR, on disk); prints creates/s of each,
#    the ratio (target: >= 0.5) and how many changes each fdatasync covered
#    (group commit), with the median fdatasync time of this disk, which
#    bounds what any durable server can do per connection (and for a 4 KiB
#    batch appended, and written over zeros as the log does); then the same
#    with the state file on /dev/shm (syncs cost nothing), which shows what
#    the mechanism itself costs; and the server's CPU time (user + system,
#    from /proc) per create of each run, the figure that holds under load.
#    --pairs N (default 3) runs memory and durable N times each, taking
#    turns (memory first in odd pairs, durable first in even ones, so that
#    a host growing busier or quieter does not favour either), and prints
#    each pair's ratio and their median: the verdict. On a shared host one
#    pair's ratio moves by half between runs of the same binary.
#    --connections N adds a run at N connections with the state file.
#    --threads N gives descovo-mock N server threads in every run (memory,
#    durable, tmpfs, wide; default: its own, one per core): on a 2-core
#    machine where wrk takes a core, --threads 1 shows the ratio at one
#    server thread per core the load generator leaves free.
#    --trace-syncs times each fdatasync of the durable run inside the
#    server (perf trace, as root) and prints their median and p90: the
#    figure that decides the durable rate, steadier than the rate itself.
# 2. Restart, the time from exec to the first 200 of GET /_mock/health
#    (descovo-bench-first-answer, median of 3), after histories written by
#    the server itself on a file in /dev/shm where syncs are free:
#    a. --changes N changes (default 1,000,000) of a long-lived shared
#       server whose state stays bounded: 200 tenants (keys on demand)
#       create, set filters and build, move their clocks, get account PUTs
#       and reset themselves; automatic compaction on (--compact-after
#       default). Target: 200 ms whatever N.
#    b. the same number of creates and account PUTs with compaction off
#       (--compact-after 0): the whole history replayed, as before.
#    c. --large N draft audiences (default 500,000) held at once: the
#       snapshot itself is large, and the restart restores all of it.
#
# Usage: bench/state_file.sh [--duration S] [--changes N] [--large N]
#                            [--pairs N] [--connections N] [--threads N] [--trace-syncs] [--smoke]
#                            [--build-dir DIR] [--no-build]
#   --smoke   1 s runs, 2 pairs, 5,000 changes and audiences, one restart each:
#             checks that it works (CI)
# Figures on a shared machine are under load: read them as such.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
duration=5
changes=1000000
large=500000
more_connections=0
threads=0
trace_syncs=0
runs=3
pairs=3
build=1
build_dir="$root/build-bench"

# need_int, die, start_server, stop_all: bench/lib.sh.
. "$here/lib.sh"
while [ $# -gt 0 ]; do
  case $1 in
    --duration) need_int "$1" "${2:-}"; duration=$2; shift 2 ;;
    --changes) need_int "$1" "${2:-}"; changes=$2; shift 2 ;;
    --large) need_int "$1" "${2:-}"; large=$2; shift 2 ;;
    --connections) need_int "$1" "${2:-}"; more_connections=$2; shift 2 ;;
    --threads) need_int "$1" "${2:-}"; threads=$2; shift 2 ;;
    --pairs) need_int "$1" "${2:-}"; pairs=$2; shift 2 ;;
    --trace-syncs) trace_syncs=1; shift ;;
    --smoke) duration=1; changes=5000; large=5000; runs=1; pairs=2; shift ;;
    --build-dir) build_dir=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "state_file.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[ "$pairs" -ge 1 ] || die "--pairs: at least 1"

work=$(mktemp -d "${TMPDIR:-/tmp}/descovo-state-bench.XXXXXX")
shm=$(mktemp -d /dev/shm/descovo-state-bench.XXXXXX 2>/dev/null || mktemp -d "$work/shm.XXXXXX")
state_dir=${STATE_DIR:-$work}
pids=()
cleanup() { stop_all; rm -rf "$work" "$shm"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

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
if [ "$trace_syncs" -eq 1 ]; then
  command -v perf >/dev/null 2>&1 || die "--trace-syncs needs perf (apt-get install linux-perf), run as root"
fi

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
# A long-lived shared server: tenants on demand that create, filter and
# build audiences, move their clocks, get credits and reset themselves.
cat >"$work/shared.lua" <<'LUA'
local n = 0
local drafts, built, owner = {}, {}, {}
local json = {["Content-Type"] = "application/json"}
request = function()
  n = n + 1
  local key = string.format("sk_test_hist_%03d", n % 200)
  local round = math.floor(n / 200) % 40
  if round == 39 then
    return wrk.format("POST", "/_mock/accounts/" .. key .. "/reset")
  elseif round == 38 then
    return wrk.format("POST", "/_mock/accounts/" .. key .. "/clock/advance", json, '{"seconds":300}')
  elseif round == 37 then
    return wrk.format("PUT", "/_mock/accounts/" .. key, json, string.format('{"credits":%d}', 100000 + n % 1000))
  elseif n % 1000 == 0 then
    return wrk.format("POST", "/_mock/clock/advance", json, '{"seconds":60}')
  elseif #built > 0 then
    local id = table.remove(built)
    return wrk.format("POST", "/v1/audiences/" .. id .. "/build", json, '{"apiKey":"' .. owner[id] .. '"}')
  elseif #drafts > 0 then
    local id = table.remove(drafts)
    return wrk.format("PATCH", "/v1/audiences/" .. id .. "/search-params", json, '{"apiKey":"' .. owner[id] ..
                      '","companySearchParams":{"employeeCountV2":{"min":1}},"maxCompanies":5,"maxProspects":20}')
  end
  return wrk.format("POST", "/v1/audiences/create", json, '{"apiKey":"' .. key .. '","name":"' .. key .. '"}')
end
response = function(status, headers, body)
  local id = body:match('"audienceId":"(aud_[0-9a-f]+)"')
  if status ~= 200 or id == nil then return end
  local key = body:match('"name":"(sk_test_hist_[0-9]+)"')
  if key ~= nil then
    owner[id] = key
    if #drafts < 64 then table.insert(drafts, id) end
  elseif body:find('"companySearchParams"', 1, true) and #built < 64 then
    table.insert(built, id)
  else
    owner[id] = nil
  end
end
LUA
common=(--clock manual --no-rate-limit --quiet --journal-size 0 --keys-file "$work/keys.txt")
# The throughput runs only: the restarts below keep the server's default.
thread_args=()
thread_note="server threads: descovo-mock's default (one per core)"
if [ "$threads" -gt 0 ]; then
  thread_args=(--threads "$threads")
  thread_note="server threads: $threads (--threads $threads)"
fi

# start NAME ARGS...: starts the mock, sets $url and $pid.
start() {
  local name=$1
  shift
  start_server "$name" "$mock" --port 0 "${common[@]}" "$@"
  url=$server_url
  pid=$server_pid
}

# cpu_ticks PID: user + system time of a process so far, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# rate CONNECTIONS SCRIPT: requests/s of one wrk run against $url; fails
# on any answer other than 2xx. Leaves the server's CPU time per request
# (user + system, microseconds: stable under load, unlike the rate) in
# $work/cpu.
rate() {
  local before after
  before=$(cpu_ticks "$pid")
  wrk -t2 -c"$1" -d"${duration}s" -s "$2" "$url" >"$work/wrk.out" 2>&1 || { cat "$work/wrk.out" >&2; die "wrk failed"; }
  after=$(cpu_ticks "$pid")
  if grep -q 'Non-2xx' "$work/wrk.out"; then cat "$work/wrk.out" >&2; die "errors under load"; fi
  awk -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" '/ requests in / {printf "%.1f", t / hz * 1e6 / $1}' \
    "$work/wrk.out" >"$work/cpu"
  awk '/Requests\/sec/ {printf "%.0f", $2}' "$work/wrk.out"
}

# health_of FIELD: a number of the stateFile section of $url's GET
# /_mock/health ("?" when it cannot be read).
health_of() {
  curl -s --max-time 10 "$url/_mock/health" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["output"]["stateFile"][sys.argv[1]])' "$1" 2>/dev/null ||
    echo "?"
}

# syncs_of: "N changes in M syncs" of the server at $url (it runs with
# --quiet, so it prints nothing of the kind as it stops: read before).
syncs_of() {
  printf '%s changes in %s syncs' "$(health_of changes)" "$(health_of syncs)"
}

# median: the median of the numbers on standard input, one a line (the
# mean of the middle two for an even count).
median() {
  sort -g | awk '{a[NR] = $1} END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# memory_run, durable_run: one throughput run each; append "rate cpu" to
# $work/memory.runs or $work/durable.runs. The first durable run is the
# one --trace-syncs times; the last leaves its sync count in
# $durable_syncs.
memory_run() {
  start memory "${thread_args[@]}"
  echo "$(rate 32 "$work/create.lua") $(cat "$work/cpu")" >>"$work/memory.runs"
  stop_pid "$pid"
}
durable_run() {
  rm -f "$state_dir/bench-state.log"
  start durable "${thread_args[@]}" --state-file "$state_dir/bench-state.log"
  local tracing=0
  if [ "$trace_syncs" -eq 1 ] && [ ! -s "$work/durable.runs" ]; then
    tracing=1
    # One create first: perf follows the threads there are, and the
    # flusher starts with the first change that waits for it.
    curl -s --max-time 10 -o /dev/null -H 'Content-Type: application/json' \
      -d '{"apiKey":"sk_bench_key_0000","name":"first"}' "$url/v1/audiences/create"
    perf trace -e fdatasync -p "$pid" -o "$work/syncs.trace" 2>"$work/perf.err" &
    tracer=$!
    pids+=("$tracer")
    sleep 1 # attached before the run
  fi
  echo "$(rate 32 "$work/create.lua") $(cat "$work/cpu")" >>"$work/durable.runs"
  durable_syncs=$(syncs_of)
  if [ "$tracing" -eq 1 ]; then
    kill -INT "$tracer" 2>/dev/null || true
    wait "$tracer" 2>/dev/null || true
  fi
  stop_pid "$pid"
}

log "== throughput: POST /v1/audiences/create, 32 connections, ${duration} s each, $pairs pair(s) (under load; $thread_note)"
: >"$work/memory.runs"
: >"$work/durable.runs"
for i in $(seq 1 "$pairs"); do
  if [ $((i % 2)) -eq 1 ]; then memory_run; durable_run; else durable_run; memory_run; fi
  read -r m _ < <(sed -n "${i}p" "$work/memory.runs")
  read -r d _ < <(sed -n "${i}p" "$work/durable.runs")
  awk -v i="$i" -v m="$m" -v d="$d" 'BEGIN { printf "state_file pair %d: memory=%s durable=%s ratio=%.2f\n", i, m, d, d / m }'
done
pair_ratios=$(paste -d' ' "$work/memory.runs" "$work/durable.runs" | awk '{printf "%.2f\n", $3 / $1}')
ratio=$(printf '%s\n' "$pair_ratios" | median)
memory_rate=$(cut -d' ' -f1 "$work/memory.runs" | median | xargs printf '%.0f')
durable_rate=$(cut -d' ' -f1 "$work/durable.runs" | median | xargs printf '%.0f')
memory_cpu=$(cut -d' ' -f2 "$work/memory.runs" | median)
durable_cpu=$(cut -d' ' -f2 "$work/durable.runs" | median)
if [ "$trace_syncs" -eq 1 ]; then
  # Lines like "  0.583 ( 0.274 ms): persist-flush/21315 fdatasync(fd: 3) = 0";
  # a binary older than the flusher's name: every thread's.
  who=persist-flush
  grep -q ': persist-flush/' "$work/syncs.trace" || who=
  sync_trace=$(sed -n "s/^.*( *\([0-9.]*\) ms): ${who}[^ ]* fdatasync.*$/\1/p" "$work/syncs.trace" | sort -n |
    awk -v who="${who:-every thread}" '{a[NR] = $1} END {
      if (NR == 0) { print "state_file fdatasync_in_server: none traced (perf trace failed?)"; exit }
      printf "state_file fdatasync_in_server_ms median=%.3f p90=%.3f (%d syncs of %s, perf trace: it slows the durable run)\n",
             a[int((NR + 1) / 2)], a[int(NR * 0.9) + 1], NR, who }')
fi
# The same on a tmpfs, where a sync costs nothing: what the mechanism
# itself (queue, held answers, flusher) costs beside the disk.
start tmpfs "${thread_args[@]}" --state-file "$shm/tmpfs-state.log"
tmpfs_rate=$(rate 32 "$work/create.lua")
tmpfs_cpu=$(cat "$work/cpu")
tmpfs_syncs=$(syncs_of)
stop_pid "$pid"
rm -f "$shm/tmpfs-state.log"
# This disk's fdatasync, medians: after a small append (what a lone
# create costs at least), then for a batch of 32 creates (4 KiB, a new
# block each time) appended (the file grows: each sync commits its size
# through the file system's journal) and written over zeros written
# ahead, as the log does (sim/persist.h, "The tail").
read -r sync_ms batch_ms < <(python3 - "$state_dir/sync-probe" <<'PY' 2>/dev/null || echo "? ?"
import os, sys, time
def median(fd, write, n):
    times = []
    for i in range(n):
        write(fd, i)
        t = time.perf_counter(); os.fdatasync(fd); times.append(time.perf_counter() - t)
    os.close(fd); os.unlink(sys.argv[1])
    times.sort(); return times[len(times) // 2] * 1000
def appending():
    return os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
small = median(appending(), lambda fd, i: os.write(fd, b"x" * 200 + b"\n"), 50)
block = b"x" * 4095 + b"\n"
appended = median(appending(), lambda fd, i: os.write(fd, block), 200)
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT, 0o600)
os.write(fd, bytes(4096 * 200)); os.fdatasync(fd)
over = median(fd, lambda fd, i: os.pwrite(fd, block, 4096 * i), 200)
print("%.2f append:%.2f,over_zeros:%.2f" % (small, appended, over))
PY
)
printf 'state_file creates_per_s memory=%s durable=%s ratio=%.2f (target >= 0.50; the median of %s pair(s): %s) %s fdatasync_ms=%s fdatasync_4k_ms=%s\n' \
  "$memory_rate" "$durable_rate" "$ratio" "$pairs" "$(printf '%s\n' "$pair_ratios" | paste -sd' ')" "$durable_syncs" "$sync_ms" "$batch_ms"
printf 'state_file creates_per_s tmpfs=%s ratio=%.2f (a state file whose syncs cost nothing) %s\n' \
  "$tmpfs_rate" "$(awk -v a="$tmpfs_rate" -v b="$memory_rate" 'BEGIN { print a / b }')" "$tmpfs_syncs"
printf 'state_file server_cpu_us_per_create memory=%s durable=%s tmpfs=%s (user + system, medians; load average %s)\n' \
  "$memory_cpu" "$durable_cpu" "$tmpfs_cpu" "$(cut -d' ' -f1 /proc/loadavg)"
printf 'state_file %s\n' "$thread_note"
if [ "$trace_syncs" -eq 1 ]; then printf '%s\n' "$sync_trace"; fi
if [ "$more_connections" -gt 0 ]; then
  rm -f "$state_dir/bench-state.log"
  start wide "${thread_args[@]}" --state-file "$state_dir/bench-state.log"
  wide_rate=$(rate "$more_connections" "$work/create.lua")
  wide_syncs=$(syncs_of)
  stop_pid "$pid"
  printf 'state_file creates_per_s durable=%s at %s connections, %s\n' "$wide_rate" "$more_connections" "$wide_syncs"
fi
rm -f "$state_dir/bench-state.log"

# fill SCRIPT N: runs wrk with SCRIPT against $url until the server has
# logged N changes (GET /_mock/health), whatever the state file holds.
fill() {
  local script=$1 want=$2 done_now left secs
  while :; do
    done_now=$(health_of changes)
    [[ $done_now =~ ^[0-9]+$ ]] || die "cannot read the server's health"
    [ "$done_now" -ge "$want" ] && break
    left=$(( want - done_now ))
    # Short runs near the end, so that N is not overshot by much.
    secs=$(( left / 40000 + 1 ))
    [ "$secs" -gt 10 ] && secs=10
    wrk -t2 -c32 -d"${secs}s" -s "$script" "$url" >"$work/wrk.out" 2>&1 || die "wrk failed"
  done
}

# restart NAME FILE WHAT TARGET: the median restart time on FILE, printed
# with TARGET (a note).
restart() {
  local name=$1 file=$2 what=$3 target=$4 median size
  size=$(du -h "$file" | cut -f1)
  "$first" --runs "$runs" --timeout-ms 600000 -- "$mock" --port @PORT@ "${common[@]}" --state-file "$file" \
    >"$work/first-$name.out" 2>&1 || { cat "$work/first-$name.out" >&2; die "the restart ($name) failed"; }
  median=$(grep -o 'median=[0-9.]*' "$work/first-$name.out" | cut -d= -f2)
  printf 'state_file restart_ms=%s %s (%s file; %s)\n' "$median" "$what" "$size" "$target"
}

log "== restart after $changes changes of a shared server, compaction on"
shared="$shm/shared.log"
start shared --state-file "$shared"
fill "$work/shared.lua" "$changes"
made=$(health_of changes)
compactions=$(health_of compactions)
pause=$(health_of lastPauseMs)
stop_pid "$pid"
restart shared "$shared" "after $made changes, $compactions compactions (last pause ${pause} ms), tenants that build and reset" \
  "target <= 200"
rm -f "$shared"

log "== restart after $changes changes (creates and account PUTs), compaction off"
history="$shm/history.log"
start history --state-file "$history" --compact-after 0
fill "$work/mixed.lua" "$changes"
made=$(health_of changes)
stop_pid "$pid"
restart history "$history" "after $made changes replayed whole (--compact-after 0)" "the old behaviour, for comparison"
rm -f "$history"

log "== restart with $large draft audiences held (a large snapshot)"
big="$shm/large.log"
start large --state-file "$big"
fill "$work/create.lua" "$large"
curl -s --max-time 600 -X POST "$url/_mock/state/compact" >"$work/compact.out" || die "the compaction failed"
grep -q '"compacted":true' "$work/compact.out" || { cat "$work/compact.out" >&2; die "the compaction failed"; }
objects=$(python3 -c 'import json, sys; o = json.load(open(sys.argv[1]))["output"]; print(o["snapshotObjects"], o["pauseMs"], o["durationMs"])' "$work/compact.out")
read -r objects pause took <<<"$objects"
audiences=$(curl -s "$url/_mock/health" | python3 -c 'import json, sys; print(json.load(sys.stdin)["output"]["audiences"])')
stop_pid "$pid"
printf 'state_file compaction of %s audiences: %s snapshot objects, store held %s ms, %s ms to durable\n' \
  "$audiences" "$objects" "$pause" "$took"
restart large "$big" "from a snapshot of $audiences audiences" "grows with the state, not the history"
rm -f "$big"
