#!/usr/bin/env bash
# bench/callgrind.sh: user-space instructions per request of descovo-mock and
# of the bare libmicrohttpd server, counted by valgrind (deterministic: the
# figure does not move with the load on the machine, unlike bench/run.sh's).
#
# Builds (Release, with -g) descovo-mock and descovo-bench-bare, starts each
# under `valgrind --tool=callgrind` with one server thread (the mock with
# run.sh's options: --clock manual --no-rate-limit --quiet, journal on),
# prepares a NORMAL audience as run.sh does, sends W warm-up requests
# (more than the request journal keeps, so that it runs full, recycling its
# entries as in a long wrk run), zeroes the counts, sends N requests over
# one keep-alive connection (curl, only a Host header, as wrk sends), dumps
# the counts and prints per request:
#   total       every instruction of the process (all its threads)
#   pool        libmicrohttpd's memset of its connection pool (valgrind
#               counts each byte of `rep stosb` as an instruction: the same
#               ~12k for both servers, left out of the figure that matters)
#   net         total - pool: the figure docs/BENCHMARK.md quotes
# and, with --top K, the K functions of the mock with the most inclusive
# instructions per request.
#
# Usage: bench/callgrind.sh [--requests N] [--warmup W] [--endpoint status|credits|estimate]
#                           [--top K] [--keep DIR] [--build-dir DIR] [--no-build]
#   --requests N      requests counted per server (2000)
#   --warmup W        requests sent first, not counted (4200: the journal
#                     keeps 4096)
#   --endpoint E      the status GET (default), GET /v1/credits, or the POST
#                     .../enrichment/estimate with bench/estimate.lua's body
#   --top K           the mock's K costliest functions, inclusive (0: none)
#   --keep DIR        keep the callgrind files in DIR (for callgrind_annotate)
#   --build-dir DIR   where to build (build-callgrind); --no-build uses it as is
# DESCOVO_BENCH_MOCK_ARGS adds options to the mock's command line.
# Exits 1 when a server did not start or answered an error.
# Only 127.0.0.1 is ever contacted.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)

requests=2000
warmup=4200
endpoint=status
top=0
keep=""
build=1
build_dir="$root/build-callgrind"
key=sk_test_descovo_dev

. "$here/lib.sh"

while [ $# -gt 0 ]; do
  case $1 in
    --requests) need_int "$1" "${2:-}"; requests=$2; shift 2 ;;
    --warmup) need_int "$1" "${2:-}"; warmup=$2; shift 2 ;;
    --endpoint) [[ ${2:-} =~ ^(status|credits|estimate)$ ]] || usage 2; endpoint=$2; shift 2 ;;
    --top) need_int "$1" "${2:-}"; top=$2; shift 2 ;;
    --keep) [ -n "${2:-}" ] || usage 2; keep=$2; shift 2 ;;
    --build-dir) [ -n "${2:-}" ] || usage 2; build_dir=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    -h|--help) usage 0 ;;
    *) echo "callgrind.sh: unknown option $1" >&2; usage 2 ;;
  esac
done
[ "$requests" -ge 10 ] && [ "$requests" -le 100000 ] || { echo "callgrind.sh: --requests 10..100000" >&2; exit 2; }
need_tools valgrind callgrind_control callgrind_annotate curl jq

bench_work

BIN_PATHS=(mockserver/descovo-mock bench/descovo-bench-bare)
build_for_callgrind "$build_dir" descovo-mock descovo-bench-bare
mock_bin="$build_dir/mockserver/descovo-mock"
bare_bin="$build_dir/bench/descovo-bench-bare"

# start_callgrind NAME CMD...: CMD under callgrind, counting from the
# start (the counts are zeroed before the measured requests); sets $url
# and $pid.
start_callgrind() {
  local name=$1
  shift
  start_server "$name" valgrind --tool=callgrind --callgrind-out-file="$work/$name.cg.%p" "$@"
  url=$server_url
  pid=$server_pid
}

# send N PATH: N requests for PATH on one keep-alive connection (POSTs of
# $post_body when it is set); fails unless every answer is a 200.
send() {
  local n=$1 path=$2 bad
  [ "$n" -gt 0 ] || return 0
  awk -v n="$n" -v u="$url$path" -v body="$post_body" 'BEGIN {
    gsub(/["\\]/, "\\\\&", body)
    if (body != "") printf "data-binary = \"%s\"\n", body   # once: it is sent to every URL
    for (i = 0; i < n; i++)
      printf "url = \"%s\"\noutput = \"/dev/null\"\nwrite-out = \"%%{http_code}\\n\"\n", u
  }' >"$work/urls"
  local type=()
  [ -z "$post_body" ] || type=(-H 'Content-Type: application/json')
  curl -s --max-time 900 -H 'User-Agent:' -H 'Accept:' "${type[@]}" -K "$work/urls" >"$work/codes"
  bad=$(grep -vc '^200$' "$work/codes" || true)
  [ "$bad" -eq 0 ] || die "$bad of $n answers for $path were not 200"
}

# measure NAME PATH: warms up, zeroes the counts, sends the requests,
# dumps; writes "total pool" (instructions in all) to $work/NAME.counts.
measure() {
  local name=$1 path=$2
  send "$warmup" "$path"
  callgrind_control --zero "$pid" >/dev/null
  send "$requests" "$path"
  callgrind_control --dump "$pid" >/dev/null
  local dump
  dump=$(ls "$work/$name".cg.*.1 2>/dev/null | head -n 1)
  [ -n "$dump" ] || die "no callgrind dump from $name"
  awk -f "$here/callgrind_pool.awk" "$dump" >"$work/$name.counts"
  [ -z "$keep" ] || { mkdir -p "$keep"; cp "$dump" "$keep/$name.callgrind.out"; }
  cp "$dump" "$work/$name.dump"
}

per() { awk -v n="$1" -v r="$requests" 'BEGIN {printf "%.1fk", n / r / 1000}'; }

log "== descovo-mock under callgrind (one thread), a NORMAL audience"
start_callgrind mock "$mock_bin" --port 0 --clock manual --no-rate-limit --quiet --threads 1 ${DESCOVO_BENCH_MOCK_ARGS:-}
id=$(normal_audience "$url" "$key")
post_body=""
case $endpoint in
  status) path="/v1/audiences/$id?apiKey=$key" ;;
  credits) path="/v1/credits?apiKey=$key" ;;
  estimate)
    path="/v1/audiences/$id/enrichment/estimate"
    post_body="{\"apiKey\":\"$key\",\"maxProspectsToEnrich\":50,\"enrichmentType\":{\"getWorkEmails\":true,\"getPersonalEmails\":false,\"getPhoneNumbers\":true}}"
    ;;
esac
body_bytes=$(api GET "$url/v1/audiences/$id?apiKey=$key" | wc -c)
log "== $requests x $endpoint, $path (mock)"
measure mock "$path"
read -r mock_total mock_pool <"$work/mock.counts"
[ "$top" -eq 0 ] || callgrind_annotate --inclusive=yes --threshold=100 "$work/mock.dump" 2>/dev/null |
  awk -v r="$requests" -v k="$top" '/file:function/ {on = 1; next}
    on && NF >= 3 && $1 ~ /^[0-9,]+$/ {c = $1; gsub(",", "", c); sub(/ \[.*/, ""); f = $NF; sub(/^.*\//, "", f)
      if (!(f in seen) && n < k) {seen[f] = 1; n++; printf "  %7.2fk  %s\n", c / r / 1000, f}}' >"$work/top"
stop_all
pids=()

log "== descovo-bench-bare under callgrind (one thread, $body_bytes B body)"
start_callgrind bare "$bare_bin" --port 0 --threads 1 --body-bytes "$body_bytes"
log "== $requests x $endpoint, $path (bare)"
measure bare "$path"
read -r bare_total bare_pool <"$work/bare.counts"

echo
echo "instructions per request (callgrind, one server thread, $requests keep-alive requests after $warmup, $endpoint)"
echo "| server | total | pool memset | net |"
echo "|---|---:|---:|---:|"
printf '| descovo-mock | %s | %s | **%s** |\n' "$(per "$mock_total")" "$(per "$mock_pool")" "$(per $((mock_total - mock_pool)))"
printf '| descovo-bench-bare | %s | %s | **%s** |\n' "$(per "$bare_total")" "$(per "$bare_pool")" "$(per $((bare_total - bare_pool)))"
if [ "$top" -gt 0 ]; then
  echo
  echo "the mock's costliest functions (inclusive, per request):"
  cat "$work/top"
fi
