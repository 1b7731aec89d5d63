#!/usr/bin/env bash
# bench/smoke.sh SCALE_BIN BUILD_DIR: the CTest test bench.smoke.
# Runs descovo-bench-scale --smoke, bench/fleet.sh --smoke in each generator
# mode (tenants on two workers with the own HTTP client, the same through
# libcurl multi handles, and a thread per tenant; the first with
# --baseline, so the floor run against descovo-bench-bare too), then
# bench/state_file.sh --smoke and bench/run.sh --smoke on the binaries
# of BUILD_DIR (no rebuild). Exits 77 (skipped) when wrk is not installed,
# after the scale part passed; 0 when both pass; 1 otherwise.
set -euo pipefail

scale_bin=$1
build_dir=$2
here=$(cd "$(dirname "$0")" && pwd)

echo "== descovo-bench-scale --smoke"
timeout 60 "$scale_bin" --smoke

for mode in "--client http --baseline" "--client curl" "--blocking"; do
  echo "== bench/fleet.sh --smoke --workers 2 $mode"
  # shellcheck disable=SC2086 # mode is a list of options
  timeout 60 bash "$here/fleet.sh" --no-build --build-dir "$build_dir" --smoke --workers 2 $mode
done

if ! command -v wrk >/dev/null 2>&1; then
  echo "bench.smoke: wrk is not installed (apt-get install wrk): run.sh --smoke skipped"
  exit 77
fi
echo "== bench/state_file.sh --smoke"
state_out=$(mktemp)
trap 'rm -f "$state_out"' EXIT
timeout 90 bash "$here/state_file.sh" --smoke --no-build --build-dir "$build_dir" | tee "$state_out"
# The verdict is the median of the pairs' ratios (2 pairs: their mean).
awk '/^state_file pair [0-9]+:/ { split($NF, r, "="); sum += r[2]; n++ }
     /^state_file creates_per_s memory=/ { for (i = 1; i <= NF; i++) if ($i ~ /^ratio=/) { split($i, v, "="); got = v[2] } }
     END {
       if (n != 2 || got == "") { print "bench.smoke: expected 2 pair lines and a ratio, got " n " and \"" got "\""; exit 1 }
       d = got - sum / n; if (d < 0) d = -d
       if (d > 0.011) { printf "bench.smoke: ratio %s is not the median of the pairs (%.3f)\n", got, sum / n; exit 1 }
     }' "$state_out"
echo "== bench/run.sh --smoke"
timeout 90 bash "$here/run.sh" --smoke --no-build --build-dir "$build_dir"
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null 2>&1; then
  echo "== bench/run.sh --smoke --pin"
  timeout 90 bash "$here/run.sh" --smoke --pin --no-build --build-dir "$build_dir"
fi
