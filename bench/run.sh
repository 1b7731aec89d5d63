#!/usr/bin/env bash
# bench/run.sh: descovo-mock against a bare libmicrohttpd server (issue 6).
#
# Builds (Release) descovo-mock and descovo-bench-bare, starts both on
# loopback (the mock with --clock manual --no-rate-limit --quiet and one
# NORMAL audience prepared through the API), then alternates wrk runs against
# each with identical settings (2 threads, 32 connections, keep-alive) for
#   GET  /v1/audiences/{id}?apiKey=...
#   GET  /v1/credits?apiKey=...
#   POST /v1/audiences/{id}/enrichment/estimate     (bench/estimate.lua)
# and prints, per endpoint and server, the median req/s, p50 and p99 over the
# rounds and the ratio mock / bare, with each server's CPU time per request
# (from /proc/PID/stat: less sensitive than req/s to other load on the
# machine) and their ratio bare / mock; then the time from exec to the
# first answer of GET /_mock/health for both (default database), and the
# wall time of the whole conformance suite against a fresh mock with the
# manual clock (ci/with-mock.sh).
#
# Usage: bench/run.sh [--rounds N] [--duration S] [--threads N] [--pin] [--smoke]
#                     [--compare-others] [--build-dir DIR] [--no-build]
#   --rounds N, --duration S  wrk rounds and seconds per run (3, 5)
#   --threads N       thread pool of both servers (default: one per core)
#   --pin             servers on CPU 0 (one thread unless --threads), wrk on
#                     CPU 1 with one thread (taskset): nothing takes turns on
#                     a core, so p99 shows the servers, not the scheduler
#   --smoke           1 round of 1 s, 1 start: checks that it works (CI)
#   --compare-others  adds WireMock (npm wiremock, Java 17) and Prism (npm
#                     @stoplight/prism-cli) serving the same status body;
#                     installs them under $DESCOVO_BENCH_TOOLS
#                     (~/.cache/descovo-bench); not for CI
#   --build-dir DIR   where to build (build-bench); --no-build uses it as is
#   --profile DIR     instead of the rounds: one wrk run per endpoint with
#                     `perf record -g` on the mock (and on the bare server for
#                     the status GET); perf.data and a flat report per run in DIR
# DESCOVO_BENCH_MOCK_ARGS adds options to the mock's command line (for
# example "--journal-size 0").
# Exits 1 when a server answered errors or did not start; a missed target is
# reported, not an error. Every server it starts is stopped on exit.
# Only 127.0.0.1 is ever contacted (besides npm/apt for installs).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)

rounds=3
duration=5
threads=0
pin=0
smoke=0
others=0
build=1
build_dir="$root/build-bench"
connections=32
wrk_threads=2
first_runs=5
key=sk_test_descovo_dev
profile_dir=""

. "$here/lib.sh"

while [ $# -gt 0 ]; do
  case $1 in
    --rounds) need_int "$1" "${2:-}"; rounds=$2; shift 2 ;;
    --duration) need_int "$1" "${2:-}"; duration=$2; shift 2 ;;
    --threads) need_int "$1" "${2:-}"; threads=$2; shift 2 ;;
    --pin) pin=1; shift ;;
    --smoke) smoke=1; shift ;;
    --compare-others) others=1; shift ;;
    --build-dir) [ -n "${2:-}" ] || usage 2; build_dir=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    --profile) [ -n "${2:-}" ] || usage 2; profile_dir=$2; shift 2 ;;
    -h|--help) usage 0 ;;
    *) echo "run.sh: unknown option $1" >&2; usage 2 ;;
  esac
done
if [ "$smoke" -eq 1 ]; then
  rounds=1
  duration=1
  first_runs=1
fi
[ "$rounds" -ge 1 ] && [ "$rounds" -le 50 ] || { echo "run.sh: --rounds 1..50" >&2; exit 2; }
[ "$duration" -ge 1 ] && [ "$duration" -le 120 ] || { echo "run.sh: --duration 1..120" >&2; exit 2; }

bench_work

# ---------------------------------------------------------------- build
if [ "$build" -eq 1 ]; then
  log "== building (Release) in $build_dir"
  { cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release &&
    cmake --build "$build_dir" -j "$(nproc 2>/dev/null || echo 2)" \
      --target descovo-mock descovo-bench-bare descovo-bench-first-answer descovo-conformance; } >"$work/build.log" 2>&1 ||
    { cat "$work/build.log" >&2; die "build failed"; }
fi
mock_bin="$build_dir/mockserver/descovo-mock"
bare_bin="$build_dir/bench/descovo-bench-bare"
first_bin="$build_dir/bench/descovo-bench-first-answer"
conformance_bin="$build_dir/conformance/descovo-conformance"
for b in "$mock_bin" "$bare_bin" "$first_bin" "$conformance_bin"; do
  [ -x "$b" ] || die "missing $b (build it, or drop --no-build)"
done

# Run a copy named descovo-bench-mock: on a shared machine, somebody's
# `pkill descovo-mock` must not stop the server in the middle of a run.
cp "$mock_bin" "$work/descovo-bench-mock"
mock_bin="$work/descovo-bench-mock"

if ! command -v wrk >/dev/null 2>&1; then
  log "== installing wrk"
  bash "$root/ci/install-deps.sh" wrk >&2 || die "wrk is not installed and could not be installed"
fi
command -v jq >/dev/null 2>&1 || bash "$root/ci/install-deps.sh" >&2

# ---------------------------------------------------------------- servers


# keepalive_check NAME URL: warns when the server closes after one answer.
keepalive_check() {
  if curl -sv --max-time 10 -o /dev/null -o /dev/null "$2" "$2" 2>&1 | grep -q 'Re-using existing connection'; then
    log "   $1: keep-alive ok"
  else
    log "   WARNING: $1 closed the connection after one answer (keep-alive off): figures are not comparable"
  fi
}

server_cpu=()
wrk_cpu=()
if [ "$pin" -eq 1 ]; then
  command -v taskset >/dev/null 2>&1 || die "--pin needs taskset (util-linux)"
  [ "$(nproc)" -ge 2 ] || die "--pin needs 2 cores"
  [ "$threads" -gt 0 ] || threads=1
  wrk_threads=1 # two wrk threads on one core would take turns, and time their turns
  server_cpu=(taskset -c 0)
  wrk_cpu=(taskset -c 1)
fi
thread_args=()
[ "$threads" -gt 0 ] && thread_args=(--threads "$threads")

log "== starting descovo-mock and preparing a NORMAL audience"
start_server mock "${server_cpu[@]}" "$mock_bin" --port 0 --clock manual --no-rate-limit --quiet ${DESCOVO_BENCH_MOCK_ARGS:-} "${thread_args[@]}"
mock_url=$server_url
id=$(normal_audience "$mock_url" "$key")

status_path="/v1/audiences/$id?apiKey=$key"
credits_path="/v1/credits?apiKey=$key"
estimate_path="/v1/audiences/$id/enrichment/estimate"
status_body=$(api GET "$mock_url$status_path")
status_bytes=$(printf '%s' "$status_body" | wc -c)
credits_bytes=$(api GET "$mock_url$credits_path" | wc -c)
estimate_bytes=$(api POST "$mock_url$estimate_path" \
  "{\"apiKey\":\"$key\",\"maxProspectsToEnrich\":50,\"enrichmentType\":{\"getWorkEmails\":true,\"getPersonalEmails\":false,\"getPhoneNumbers\":true}}" | wc -c)
log "   audience $id NORMAL; bodies: status $status_bytes B, credits $credits_bytes B, estimate $estimate_bytes B"

log "== starting descovo-bench-bare (fixed body of $status_bytes B)"
start_server bare "${server_cpu[@]}" "$bare_bin" --port 0 --body-bytes "$status_bytes" "${thread_args[@]}"
bare_url=$server_url
keepalive_check mock "$mock_url$status_path"
keepalive_check bare "$bare_url$status_path"

# ---------------------------------------------------------------- wrk
mkdir -p "$work/results"
failures=0

# alive_check NAME PID: fails with the server's exit status and output
# when it is no longer running.
alive_check() {
  local rc=0
  kill -0 "$2" 2>/dev/null && return 0
  wait "$2" || rc=$?
  tail -n 20 "$work/$1.out" >&2
  die "$1 (pid $2) exited with status $rc during the benchmark"
}

# cpu_ticks PID: user + system CPU time of a process, in clock ticks.
cpu_ticks() {
  awk '{sub(/^.*\) /, ""); print $12 + $13}' "/proc/$1/stat"
}
clk_tck=$(getconf CLK_TCK)

# bench_one ENDPOINT SERVER PID URL SCRIPT: one wrk run; appends
# "rps p50_us p99_us server_cpu_us_per_request".
bench_one() {
  local endpoint=$1 server=$2 pid=$3 url=$4 script=$5 out line t0 t1
  out="$work/wrk.$endpoint.$server.txt"
  alive_check "$server" "$pid"
  t0=$(cpu_ticks "$pid")
  if ! DESCOVO_BENCH_KEY=$key timeout $((duration + 30)) \
      "${wrk_cpu[@]}" wrk -t "$wrk_threads" -c "$connections" -d "${duration}s" --timeout 2s -s "$script" "$url" >"$out" 2>&1; then
    cat "$out" >&2
    die "wrk failed against $server"
  fi
  alive_check "$server" "$pid"
  t1=$(cpu_ticks "$pid")
  line=$(grep '^BENCH ' "$out" || true)
  [ -n "$line" ] || { cat "$out" >&2; die "no BENCH line from wrk"; }
  local -A f=()
  local kv
  for kv in ${line#BENCH }; do f[${kv%%=*}]=${kv#*=}; done
  local errs=$((f[non2xx] + f[connect_errors] + f[read_errors] + f[write_errors] + f[timeouts]))
  if [ "${f[requests]}" -eq 0 ] || [ "$errs" -gt 0 ]; then
    log "   $endpoint/$server: ${f[requests]} requests, $errs errors ($line)"
    failures=$((failures + 1))
  fi
  local cpu_us
  cpu_us=$(awk -v t="$((t1 - t0))" -v hz="$clk_tck" -v n="${f[requests]}" 'BEGIN {printf "%.2f", (n > 0 ? t * 1e6 / hz / n : 0)}')
  printf '%s %s %s %s\n' "${f[rps]}" "${f[p50_us]}" "${f[p99_us]}" "$cpu_us" >>"$work/results/$endpoint.$server"
  log "   round $round $endpoint $server: ${f[rps]} req/s, p50 ${f[p50_us]} us, p99 ${f[p99_us]} us, server CPU $cpu_us us/request"
}

endpoints=(status credits estimate)
declare -A labels=(
  [status]="GET /v1/audiences/{id}"
  [credits]="GET /v1/credits"
  [estimate]="POST .../enrichment/estimate"
)
declare -A paths=([status]=$status_path [credits]=$credits_path [estimate]=$estimate_path)
declare -A scripts=([status]=$here/report.lua [credits]=$here/report.lua [estimate]=$here/estimate.lua)
declare -A targets=([status]=0.85 [credits]=0.85 [estimate]=0.6)

# profile_one ENDPOINT SERVER PID URL SCRIPT: wrk under perf record.
profile_one() {
  local endpoint=$1 server=$2 pid=$3 url=$4 script=$5 data
  data="$profile_dir/$endpoint.$server.perf.data"
  log "== profiling $server on $endpoint (${duration}s)"
  timeout $((duration + 30)) perf record -q -F 999 -e cpu-clock -g -p "$pid" -o "$data" -- sleep "$duration" \
    >"$work/perf.log" 2>&1 &
  local perf_pid=$!
  DESCOVO_BENCH_KEY=$key timeout $((duration + 30)) \
    wrk -t "$wrk_threads" -c "$connections" -d "${duration}s" --timeout 2s -s "$script" "$url" |
    grep '^BENCH' >&2 || true
  wait "$perf_pid" || { cat "$work/perf.log" >&2; die "perf record failed"; }
  perf report -i "$data" --no-children --sort dso,sym --percent-limit 0.5 --stdio 2>/dev/null |
    grep -v '^$' >"$profile_dir/$endpoint.$server.txt"
  perf report -i "$data" --no-children --sort dso --stdio 2>/dev/null | grep -v '^$' \
    >"$profile_dir/$endpoint.$server.dso.txt"
  log "   $profile_dir/$endpoint.$server.txt"
}

mock_pid=${pids[0]}
bare_pid=${pids[1]}
if [ -n "$profile_dir" ]; then
  command -v perf >/dev/null 2>&1 || die "perf is not installed (apt-get install linux-perf)"
  mkdir -p "$profile_dir"
  for endpoint in "${endpoints[@]}"; do
    profile_one "$endpoint" mock "$mock_pid" "$mock_url${paths[$endpoint]}" "${scripts[$endpoint]}"
  done
  profile_one status bare "$bare_pid" "$bare_url${paths[status]}" "${scripts[status]}"
  exit 0
fi

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
log "== wrk: $rounds round(s) x ${duration}s, $wrk_threads threads, $connections connections, keep-alive (load average: $load_before)"
for round in $(seq 1 "$rounds"); do
  # Alternate which server goes first, so drift falls on both alike.
  if [ $((round % 2)) -eq 1 ]; then order=(mock bare); else order=(bare mock); fi
  for endpoint in "${endpoints[@]}"; do
    for server in "${order[@]}"; do
      if [ "$server" = mock ]; then base=$mock_url pid=$mock_pid; else base=$bare_url pid=$bare_pid; fi
      bench_one "$endpoint" "$server" "$pid" "$base${paths[$endpoint]}" "${scripts[$endpoint]}"
    done
  done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# median FILE COLUMN
median() {
  awk -v c="$2" '{print $c}' "$1" | sort -g |
    awk '{v[NR]=$1} END {if (NR % 2) printf "%.2f", v[(NR+1)/2]; else printf "%.2f", (v[NR/2]+v[NR/2+1])/2}'
}
ms() { awk -v us="$1" 'BEGIN {printf "%.3f", us / 1000}'; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN {exit !(a >= b)}'; }

verdict() { if [ "$smoke" -eq 1 ]; then echo "(smoke)"; elif "$@"; then echo ok; else echo MISSED; fi; }

# ---------------------------------------------------------------- first answer
log "== first answer after start ($first_runs run(s) each, default database)"
first_answer() {
  local out
  out=$("$first_bin" --runs "$first_runs" --timeout-ms 30000 -- "$@") || die "first-answer failed for $1"
  sed -n 's/^first_answer_ms median=\([0-9.]*\).*/\1/p' <<<"$out"
}
first_mock=$(first_answer "$mock_bin" --port @PORT@ --quiet "${thread_args[@]}")
first_bare=$(first_answer "$bare_bin" --port @PORT@ --body-bytes "$status_bytes" "${thread_args[@]}")

# ---------------------------------------------------------------- conformance
# The whole conformance suite against a fresh mock with the manual clock,
# started as a user's CI would (ci/with-mock.sh): wall time, start included.
log "== conformance suite against the mock (manual clock)"
conformance_t0=$(date +%s.%N)
DESCOVO_MOCK=$mock_bin "$root/ci/with-mock.sh" --clock manual -- \
  "$conformance_bin" --results "$work/conformance" >"$work/conformance.log" 2>&1 ||
  { tail -n 20 "$work/conformance.log" >&2; die "the conformance suite failed against the mock"; }
conformance_s=$(awk -v a="$conformance_t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.2f", b - a}')

# ---------------------------------------------------------------- report
cpu=$(grep -m 1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
mem=$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
echo
echo "descovo-mock benchmark, $(date -u +%Y-%m-%dT%H:%MZ)$([ "$smoke" -eq 1 ] && echo ' (SMOKE: timings not meaningful)')"
echo "machine: $(nproc) cores, $cpu, $mem; load average before $load_before, after $load_after"
echo "wrk: $rounds round(s) x ${duration}s, -t$wrk_threads -c$connections, keep-alive; server threads: $([ "$threads" -gt 0 ] && echo "$threads" || echo "default ($(nproc))")$([ "$pin" -eq 1 ] && echo "; pinned: servers on CPU 0, wrk on CPU 1")"
echo "bodies: mock status $status_bytes B, credits $credits_bytes B, estimate $estimate_bytes B; bare always $status_bytes B"
echo
echo "| endpoint | server | req/s | p50 ms | p99 ms | mock/bare req/s | server CPU us/req | bare/mock CPU | target | |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---|---|"
bare_p99_missed=0
for endpoint in "${endpoints[@]}"; do
  m_rps=$(median "$work/results/$endpoint.mock" 1)
  b_rps=$(median "$work/results/$endpoint.bare" 1)
  m_p50=$(median "$work/results/$endpoint.mock" 2)
  m_p99=$(median "$work/results/$endpoint.mock" 3)
  b_p50=$(median "$work/results/$endpoint.bare" 2)
  b_p99=$(median "$work/results/$endpoint.bare" 3)
  ratio=$(awk -v m="$m_rps" -v b="$b_rps" 'BEGIN {printf "%.2f", (b > 0 ? m / b : 0)}')
  m_cpu=$(median "$work/results/$endpoint.mock" 4)
  b_cpu=$(median "$work/results/$endpoint.bare" 4)
  cpu_ratio=$(awk -v m="$m_cpu" -v b="$b_cpu" 'BEGIN {printf "%.2f", (m > 0 ? b / m : 0)}')
  printf '| %s | mock | %.0f | %s | %s | %s | %s | %s | ratio >= %s, p99 <= 1 ms | %s |\n' "${labels[$endpoint]}" \
    "$m_rps" "$(ms "$m_p50")" "$(ms "$m_p99")" "$ratio" "$m_cpu" "$cpu_ratio" "${targets[$endpoint]}" \
    "$(verdict eval "ge $ratio ${targets[$endpoint]} && ge 1000 $m_p99")"
  printf '| | bare | %.0f | %s | %s | | %s | | | |\n' "$b_rps" "$(ms "$b_p50")" "$(ms "$b_p99")" "$b_cpu"
  ge 1000 "$b_p99" || bare_p99_missed=1
done
if [ "$bare_p99_missed" -eq 1 ] && [ "$smoke" -eq 0 ]; then
  echo
  echo "The bare server misses p99 <= 1 ms too: the tail here is the machine's scheduling (wrk and the"
  echo "servers taking turns on the cores), not the servers. --pin separates them."
fi
echo
echo "| first answer after start | ms (median of $first_runs) | target | |"
echo "|---|---:|---|---|"
printf '| descovo-mock (default database) | %s | <= 50 ms | %s |\n' "$first_mock" "$(verdict ge 50 "$first_mock")"
printf '| descovo-bench-bare | %s | | |\n' "$first_bare"
echo
echo "| conformance suite against the mock, manual clock (ci/with-mock.sh) | s | target | |"
echo "|---|---:|---|---|"
printf '| descovo-conformance (%s) | %s | <= 5 s | %s |\n' "$(tail -n 1 "$work/conformance.log")" "$conformance_s" "$(verdict ge 5 "$conformance_s")"

# ---------------------------------------------------------------- others
if [ "$others" -eq 1 ]; then
  echo
  BENCH_WORK=$work BENCH_ROOT=$root BENCH_FIRST_BIN=$first_bin BENCH_STATUS_BODY=$status_body \
  BENCH_STATUS_PATH=$status_path BENCH_ROUNDS=$rounds BENCH_DURATION=$duration \
  BENCH_WRK_THREADS=$wrk_threads BENCH_CONNECTIONS=$connections BENCH_SCRIPT=$here/report.lua \
  BENCH_MOCK_ROW="$(median "$work/results/status.mock" 1) $(median "$work/results/status.mock" 2) $(median "$work/results/status.mock" 3) $first_mock" \
    bash "$here/others.sh" || log "run.sh: the comparison with other mocks failed (see above)"
fi

if [ "$failures" -gt 0 ]; then
  die "$failures wrk run(s) saw errors or no requests"
fi
