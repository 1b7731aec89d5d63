#!/usr/bin/env bash
# bench/fleet_callgrind.sh: the server's user-space instructions per fleet
# workflow, counted by valgrind (deterministic enough to compare commits,
# unlike CPU time under a shared machine's load; docs/BENCHMARK.md,
# "Session 5").
#
# Builds (Release, with -g) descovo-mock and descovo-bench-fleet, starts the
# mock under `valgrind --tool=callgrind` with fleet.sh's options (--clock
# manual --no-rate-limit --quiet) and 2 server threads, runs a short fleet
# to warm it up (tenants, journal, record cache), zeroes the counts, runs
# the measured fleet, dumps the counts and prints per workflow:
#   total       every instruction of the server (all its threads)
#   pool        libmicrohttpd's memset of its connection pool (valgrind
#               counts each byte of `rep stosb`; cheap natively)
#   net         total - pool
# and, with --top K, the K functions with the most inclusive instructions
# per workflow (libmicrohttpd's own, which have no symbols, left out).
#
# Usage: bench/fleet_callgrind.sh [--tenants T] [--duration S] [--top K]
#                                 [--keep DIR] [--build-dir DIR] [--no-build]
#   --tenants T       tenants of the fleet (4)
#   --duration S      seconds of the measured fleet (5; the warm-up is 2)
#   --top K           the K costliest functions, inclusive (0: none)
#   --keep DIR        keep the callgrind file in DIR (for callgrind_annotate)
#   --build-dir DIR   where to build (build-callgrind); --no-build uses it as is
# Exits 1 when the server did not start or the fleet saw an error.
# Only 127.0.0.1 is ever contacted.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)

tenants=4
duration=5
top=0
keep=""
build=1
build_dir="$root/build-callgrind"

. "$here/lib.sh"

while [ $# -gt 0 ]; do
  case $1 in
    --tenants) need_int "$1" "${2:-}"; tenants=$2; shift 2 ;;
    --duration) need_int "$1" "${2:-}"; duration=$2; shift 2 ;;
    --top) need_int "$1" "${2:-}"; top=$2; shift 2 ;;
    --keep) [ -n "${2:-}" ] || usage 2; keep=$2; shift 2 ;;
    --build-dir) [ -n "${2:-}" ] || usage 2; build_dir=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    -h|--help) usage 0 ;;
    *) echo "fleet_callgrind.sh: unknown option $1" >&2; usage 2 ;;
  esac
done
[ "$tenants" -ge 1 ] && [ "$duration" -ge 1 ] || { echo "fleet_callgrind.sh: --tenants and --duration >= 1" >&2; exit 2; }
need_tools valgrind callgrind_control callgrind_annotate

bench_work

BIN_PATHS=(mockserver/descovo-mock bench/descovo-bench-fleet)
build_for_callgrind "$build_dir" descovo-mock descovo-bench-fleet
mock_bin="$build_dir/mockserver/descovo-mock"
fleet_bin="$build_dir/bench/descovo-bench-fleet"

log "== descovo-mock under callgrind (2 threads)"
start_server mock valgrind --tool=callgrind --callgrind-out-file="$work/mock.cg.%p" \
  "$mock_bin" --port 0 --clock manual --no-rate-limit --quiet --threads 2
"$fleet_bin" --url "$server_url" --tenants "$tenants" --duration 2 >"$work/warmup.out" ||
  { cat "$work/warmup.out" >&2; die "the warm-up fleet failed"; }
callgrind_control --zero "$server_pid" >/dev/null 2>&1
log "== fleet: $tenants tenants, $duration s"
"$fleet_bin" --url "$server_url" --tenants "$tenants" --duration "$duration" >"$work/fleet.out" ||
  { cat "$work/fleet.out" >&2; die "the fleet failed"; }
callgrind_control --dump "$server_pid" >/dev/null 2>&1
dump=$(ls "$work"/mock.cg.*.1 2>/dev/null | head -n 1)
[ -n "$dump" ] || die "no callgrind dump"
[ -z "$keep" ] || { mkdir -p "$keep"; cp "$dump" "$keep/fleet.callgrind.out"; }
workflows=$(awk '/^workflows/ {print $2}' "$work/fleet.out")
[ "${workflows:-0}" -gt 0 ] || die "no workflow completed"
read -r total pool < <(awk -f "$here/callgrind_pool.awk" "$dump")

per() { awk -v n="$1" -v w="$workflows" 'BEGIN {printf "%.1fk", n / w / 1000}'; }
echo
echo "instructions per workflow (callgrind, 2 server threads, $tenants tenants, $duration s, $workflows workflows)"
echo "| total | pool memset | net |"
echo "|---:|---:|---:|"
printf '| %s | %s | **%s** |\n' "$(per "$total")" "$(per "$pool")" "$(per $((total - pool)))"
if [ "$top" -gt 0 ]; then
  echo
  echo "the costliest functions (inclusive, per workflow):"
  callgrind_annotate --inclusive=yes --threshold=100 "$dump" 2>/dev/null |
    awk -v w="$workflows" -v k="$top" '/file:function/ {on = 1; next}
      on && NF >= 3 && $1 ~ /^[0-9,]+$/ {c = $1; gsub(",", "", c); sub(/ \[.*/, ""); f = $NF; sub(/^.*\//, "", f)
        if (f ~ /^\?\?\?/ || f ~ /clone\.S|pthread_create\.c/) next   # libmicrohttpd has no symbols
        if (!(f in seen) && n < k) {seen[f] = 1; n++; printf "  %7.1fk  %s\n", c / w / 1000, f}}'
fi
