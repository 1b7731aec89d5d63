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
timeout 90 bash "$here/state_file.sh" --smoke --no-build --build-dir "$build_dir"
echo "== bench/run.sh --smoke"
timeout 90 bash "$here/run.sh" --smoke --no-build --build-dir "$build_dir"
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null 2>&1; then
  echo "== bench/run.sh --smoke --pin"
  timeout 90 bash "$here/run.sh" --smoke --pin --no-build --build-dir "$build_dir"
fi
