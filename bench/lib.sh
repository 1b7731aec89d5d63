# bench/lib.sh: shell helpers shared by bench/run.sh, bench/callgrind.sh and
# bench/others.sh (sourced, not run).

# Stops one server: SIGTERM, SIGKILL after 5 s.
stop_pid() {
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for i in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# Stops every pid in the caller's array `pids`.
stop_all() {
  local pid
  for pid in "${pids[@]}"; do
    stop_pid "$pid"
  done
}

log() { printf '%s\n' "$*" >&2; }

# The calling script's header comment (from line 2 to `set -euo`) as its
# usage text; exits with $1 (0).
usage() {
  sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
  exit "${1:-0}"
}

# need_int OPTION VALUE: exits 2 unless VALUE is a number.
need_int() {
  [[ $2 =~ ^[0-9]+$ ]] || { echo "$(basename "$0"): $1 expects a number, got '$2'" >&2; exit 2; }
}

# bench_work: a temporary directory in $work and an empty $pids; on exit
# every server in $pids is stopped and $work removed. die() logs the
# script's name and the message, and exits 1.
bench_work() {
  work=$(mktemp -d "${TMPDIR:-/tmp}/descovo-$(basename "$0" .sh).XXXXXX")
  pids=()
  trap 'stop_all; rm -rf "$work"' EXIT
  trap 'exit 130' INT TERM
}

die() { log "$(basename "$0"): $*"; exit 1; }

# start_server NAME CMD...: starts CMD in the background (output in
# $work/NAME.out, stdout and stderr), waits up to 30 s for its URL line,
# sets $server_url and $server_pid and adds the pid to $pids. (The output
# file appears only once the background job has started: grep stays quiet.)
start_server() {
  local name=$1 i
  shift
  "$@" >"$work/$name.out" 2>&1 &
  server_pid=$!
  pids+=("$server_pid")
  server_url=""
  for i in $(seq 1 600); do
    server_url=$(grep -o -m 1 'http://127\.0\.0\.1:[0-9]*' "$work/$name.out" 2>/dev/null || true)
    [ -n "$server_url" ] && return 0
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.05
  done
  cat "$work/$name.out" >&2
  die "$name did not start"
}

# api METHOD URL [BODY]: one request; the body of the answer on stdout, and
# a failure unless the status is 200.
api() {
  local method=$1 url=$2 body=${3:-} code
  if [ -n "$body" ]; then
    code=$(curl -sS --max-time 10 -o "$work/answer" -w '%{http_code}' -X "$method" \
                -H 'Content-Type: application/json' --data "$body" "$url")
  else
    code=$(curl -sS --max-time 10 -o "$work/answer" -w '%{http_code}' -X "$method" "$url")
  fi
  [ "$code" = 200 ] || { log "$method $url -> $code"; cat "$work/answer" >&2; die "unexpected answer"; }
  cat "$work/answer"
}

# normal_audience BASE_URL KEY: creates an audience through the API (US +
# AI/software + 10-5000 employees, VP and director titles; 100/200 caps),
# builds it and advances the manual clock until it is NORMAL; prints its id.
normal_audience() {
  local base=$1 key=$2 id status
  id=$(api POST "$base/v1/audiences/create" "{\"apiKey\":\"$key\",\"name\":\"bench\",\"creationMethod\":\"NORMAL\"}" |
       jq -r .output.audienceId)
  api PATCH "$base/v1/audiences/$id/search-params" "{\"apiKey\":\"$key\",
    \"companySearchParams\":{\"headquartersCountryCode\":[\"US\"],\"employeeCountV2\":{\"min\":10,\"max\":5000},
                             \"industriesV2\":[\"artificial-intelligence\",\"software\"]},
    \"prospectSearchParams\":{\"jobTitleV2\":{\"anyOf\":[{\"type\":\"dynamic-groups\",\"groups\":[\"vp\",\"director\"]}]}},
    \"maxCompanies\":100,\"maxProspects\":200}" >/dev/null
  api POST "$base/v1/audiences/$id/build" "{\"apiKey\":\"$key\"}" >/dev/null
  status=""
  for _ in $(seq 1 10); do
    api POST "$base/_mock/clock/advance" '{"seconds":60}' >/dev/null
    status=$(api GET "$base/v1/audiences/$id?apiKey=$key" | jq -r .output.status)
    [ "$status" = NORMAL ] && break
  done
  [ "$status" = NORMAL ] || die "audience $id is $status after 10 minutes of simulated time"
  echo "$id"
}

# need_tools TOOL...: exits 1 naming the first TOOL that is not installed.
need_tools() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || { echo "$(basename "$0"): $tool is not installed" >&2; exit 1; }
  done
}

# build_for_callgrind DIR TARGET...: unless $build is 0, configures DIR as
# Release with -g (valgrind's function names) and builds the TARGETs, the
# log shown only when it fails; then BIN_PATHS (DIR-relative, set by the
# caller) must all be executables.
build_for_callgrind() {
  local dir=$1 b
  shift
  if [ "$build" -eq 1 ]; then
    log "== building (Release, -g) in $dir"
    { cmake -S "$root" -B "$dir" -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS=-g &&
      cmake --build "$dir" -j 2 --target "$@"; } >"$work/build.log" 2>&1 ||
      { cat "$work/build.log" >&2; die "build failed"; }
  fi
  for b in "${BIN_PATHS[@]}"; do
    [ -x "$dir/$b" ] || die "missing $dir/$b (build it, or drop --no-build)"
  done
}
