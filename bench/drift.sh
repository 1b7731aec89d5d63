#!/usr/bin/env bash
# bench/drift.sh: the speed of drift detection (docs/DRIFT.md).
#   1. N exchanges (GETs of status, credits, a page and the list, on one
#      keep-alive connection) sent straight to a descovo-mock, then the same
#      through a recording descovo-mock --upstream: the difference per
#      exchange is what recording adds, and the proxy's CPU time per
#      exchange what it costs (target: at most 1 ms, judged on the CPU);
#   2. --verify of the N-entry cassette just recorded (target: 10,000
#      entries in at most 2 s, judged on its CPU time).
# Usage: bench/drift.sh [--smoke] [--entries N] [--build-dir DIR]
#   --smoke   300 exchanges, figures printed, targets not judged (CI)
# Exit: 0, or 1 when a target is missed (not in --smoke).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
entries=10000
smoke=0
build_dir="$here/../build"
while [ $# -gt 0 ]; do
  case $1 in
    --smoke) smoke=1; entries=300 ;;
    --entries) entries=$2; shift ;;
    --build-dir) build_dir=$2; shift ;;
    *) echo "usage: bench/drift.sh [--smoke] [--entries N] [--build-dir DIR]" >&2; exit 2 ;;
  esac
  shift
done
mock="$build_dir/mockserver/descovo-mock"
[ -x "$mock" ] || { echo "bench/drift.sh: no $mock (build first, or --build-dir)" >&2; exit 2; }
work=$(mktemp -d) work_is_temp=1
. "$here/../mockserver/tests/drift/lib.sh"
now() { date +%s.%N; }
calc() { awk "BEGIN { print $1 }"; }
secs() { calc "$2 - $1"; }

start upstream "$mock" --port 0 --quiet --no-rate-limit --time-scale 100
upstream=$url
start recorder "$mock" --port 0 --quiet --upstream "$upstream" --record "$work/bench.har"
recorder=$pid
proxy=$url
k=sk_test_descovo_dev
# One audience, built, through the proxy: the cassette starts with it.
audience=$(curl -sS -X POST -H 'Content-Type: application/json' "$proxy/v1/audiences/create" \
  -d "{\"apiKey\":\"$k\",\"name\":\"bench\"}" | jq -r .output.audienceId)
curl -sS -X PATCH -H 'Content-Type: application/json' "$proxy/v1/audiences/$audience/search-params" \
  -d "{\"apiKey\":\"$k\",\"companySearchParams\":{\"headquartersCountryCode\":[\"US\"]},\"maxCompanies\":10,\"maxProspects\":20}" >/dev/null
curl -sS -X POST -H 'Content-Type: application/json' "$proxy/v1/audiences/$audience/build" -d "{\"apiKey\":\"$k\"}" >/dev/null
sleep 1
n=$((entries - 3))
paths=("/v1/audiences/$audience?apiKey=$k" "/v1/credits?apiKey=$k"
       "/v1/audiences/$audience/prospects?apiKey=$k&pageSize=5" "/v1/audiences?apiKey=$k")
for base in "$upstream" "$proxy"; do
  name=$([ "$base" = "$upstream" ] && echo direct || echo proxied)
  for i in $(seq 0 $((n - 1))); do
    echo "url = \"$base${paths[$((i % 4))]}\""
    echo "output = /dev/null"
  done >"$work/$name.cfg"
done
t0=$(now); curl -sS -K "$work/direct.cfg"; t1=$(now)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
ticks0=$(cpu_ticks "$recorder")
curl -sS -K "$work/proxied.cfg"; t2=$(now)
ticks1=$(cpu_ticks "$recorder")
stop "$recorder"
[ -z "${DRIFT_BENCH_KEEP:-}" ] || cp "$work/bench.har" "$DRIFT_BENCH_KEEP"
recorded=$(jq '.log.entries | length' "$work/bench.har")
# Wall and CPU time: on a shared machine the CPU time is the replay's own.
TIMEFORMAT='%R %U %S'
{ time "$mock" --verify "$work/bench.har" --no-rate-limit --time-scale 100 >"$work/verify.txt" 2>"$work/verify.err"; } \
  2>"$work/verify.time" || { cat "$work/verify.txt" "$work/verify.err"; exit 1; }
read -r verify verify_user verify_sys <"$work/verify.time"
verify_cpu=$(calc "$verify_user + $verify_sys")

direct=$(secs "$t0" "$t1")
proxied=$(secs "$t1" "$t2")
added_ms=$(calc "($proxied - $direct) * 1000 / $n")
printf 'drift bench (%s, %s cores, under whatever load the machine has)\n' "$([ $smoke = 1 ] && echo smoke || echo full)" "$(nproc)"
printf '  %6d exchanges straight to descovo-mock:     %7.3f s (%.3f ms each)\n' "$n" "$direct" "$(calc "$direct * 1000 / $n")"
printf '  %6d exchanges through the recording proxy:  %7.3f s (%.3f ms each)\n' "$n" "$proxied" "$(calc "$proxied * 1000 / $n")"
proxy_cpu_ms=$(calc "($ticks1 - $ticks0) * 1000 / $(getconf CLK_TCK) / $n")
printf '  recording adds %.3f ms per exchange in wall time, the proxy spends %.3f ms of CPU on each (target: at most 1 ms)\n' \
  "$added_ms" "$proxy_cpu_ms"
printf '  --verify of the %d-entry cassette: %.3f s CPU, %.3f s wall (load %s), %.0f entries per CPU second\n' \
  "$recorded" "$verify_cpu" "$verify" "$(cut -d' ' -f1 /proc/loadavg)" "$(calc "$recorded / $verify_cpu")"
echo "  (target: 10,000 entries in at most 2 s, judged on CPU time: the machine may be shared)"
tail -n 1 "$work/verify.txt"
[ $smoke = 1 ] && exit 0
missed=0
# Judged on the proxy's CPU per exchange: wall times on a shared machine
# measure the other tenants as much as the proxy.
[ "$(calc "$proxy_cpu_ms <= 1")" = 1 ] || { echo "MISSED: recording costs more than 1 ms per exchange"; missed=1; }
[ "$(calc "$verify_cpu * 10000 / $recorded <= 2")" = 1 ] || { echo "MISSED: --verify would take over 2 s of CPU for 10,000 entries"; missed=1; }
exit $missed
