#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ with clang (DESCOVO_FUZZ=ON:
# AddressSanitizer, UndefinedBehaviorSanitizer, leak detection) and runs each
# for a bounded time from the seed corpus in fixtures/fuzz/<target>/.
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

status=0
for target in $targets; do
  corpus="$work/$target/corpus"
  mkdir -p "$corpus"
  echo "== fuzz: $target for ${seconds}s"
  # The first directory collects new inputs; the seeds are read only.
  if ! (cd "$work/$target" &&
        ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        "../../../$dir/fuzz/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
          -max_len=65536 -print_final_stats=1 corpus "../../../fixtures/fuzz/$target" \
          >"$target.log" 2>&1); then
    echo "!! $target found a problem: $work/$target/$target.log"
    tail -n 40 "$work/$target/$target.log"
    status=1
  fi
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$work/$target/$target.log" | tr '\n' ' '
  echo
done
exit $status
