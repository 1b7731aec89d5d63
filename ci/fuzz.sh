#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ with clang (DESCOVO_FUZZ=ON:
# AddressSanitizer, UndefinedBehaviorSanitizer, leak detection) and runs each
# for a bounded time from the seed corpus in fixtures/fuzz/<target>/, as
# many at once as there are cores.
# Usage: ci/fuzz.sh [SECONDS_PER_TARGET]   (default 40)
# Findings (crash-*, leak-*, timeout-* files) are left in build/fuzz-work/.
# Longer runs, and keeping the corpus between runs: docs/RELIABILITY.md.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-40}
jobs=$(nproc 2>/dev/null || echo 2)
dir=build/fuzz
work=build/fuzz-work
targets="fuzz_body fuzz_request fuzz_filters fuzz_csv fuzz_jsonr fuzz_state"

echo "== fuzz: configure and build (clang)"
CC=clang cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDESCOVO_WERROR=ON -DDESCOVO_FUZZ=ON >/dev/null
# shellcheck disable=SC2086
cmake --build "$dir" -j "$jobs" --target $targets

# Two targets at a time on two cores (DESCOVO_FUZZ_JOBS, default the core
# count), each still for SECONDS of its own; reports in the targets' order.
parallel=${DESCOVO_FUZZ_JOBS:-$jobs}
[ "$parallel" -ge 1 ] 2>/dev/null || parallel=1
pids=()
stop_running() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
}
trap stop_running EXIT

# run_target TARGET &: fuzzes it in $work/TARGET, its output in TARGET.log
# (the background shell becomes the fuzzer, so that its pid is the fuzzer's).
run_target() {
  local target=$1
  mkdir -p "$work/$target/corpus"
  cd "$work/$target" || return
  # The first directory collects new inputs; the seeds are read only.
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    exec "../../../$dir/fuzz/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len=65536 -print_final_stats=1 corpus "../../../fixtures/fuzz/$target" \
    >"$target.log" 2>&1
}

status=0
# shellcheck disable=SC2086
set -- $targets
while [ $# -gt 0 ]; do
  batch=("${@:1:parallel}")
  shift "${#batch[@]}"
  pids=()
  for target in "${batch[@]}"; do
    echo "== fuzz: $target for ${seconds}s"
    run_target "$target" &
    pids+=($!)
  done
  for i in "${!batch[@]}"; do
    target=${batch[i]}
    if ! wait "${pids[i]}"; then
      echo "!! $target found a problem: $work/$target/$target.log"
      tail -n 40 "$work/$target/$target.log"
      status=1
    fi
    echo "$target: $(grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$work/$target/$target.log" | tr '\n' ' ')"
  done
  pids=()
done
exit $status
