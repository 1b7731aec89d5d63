#!/usr/bin/env bash
# Builds the project and runs every test, three ways: gcc, clang, and gcc
# with AddressSanitizer + UndefinedBehaviorSanitizer. Warnings are errors.
# Usage: ci/test.sh            (from anywhere; installs missing packages)
#        ci/test.sh --help     this text and the steps, without running them
# The whole run takes about 14 minutes on 2 cores (16 on a busy machine;
# the CI host's limit is 20); each step prints the time since the start and
# the run ends with a table of the steps' durations (docs/CI.md). Each step
# below can be run alone (DESCOVO_FUZZ_SECONDS sets the fuzzing time per
# target, 20 s: two targets at a time).
set -euo pipefail
case "${1:-}" in
  '') ;;
  -h|--help)
    sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
    echo "Steps:"
    sed -n -e 's/^step "\([^"]*\)".*/  \1/p' -e 's/^ *run_suite \([a-z]*\) \(.*\)/  \1: configure, build and run every CTest test (\2)/p' "$0" | grep -v 'all suites passed'
    exit 0 ;;
  *) echo "ci/test.sh: takes no arguments (got '$1'); see ci/test.sh --help" >&2; exit 2 ;;
esac
cd "$(dirname "$0")/.."

# Every step prints the time since the start ("== [04:12] clang: tests");
# the table of the steps' durations comes at the end, or at a failure.
ci_start=$SECONDS
step_names=()
step_starts=()
step() {
  local t=$((SECONDS - ci_start))
  step_names+=("$1")
  step_starts+=("$t")
  printf '== [%02d:%02d] %s\n' $((t / 60)) $((t % 60)) "$1"
}
step_table() {
  local status=$? end=$((SECONDS - ci_start)) i d n=${#step_names[@]}
  ((n)) || return "$status"
  echo "== step durations (total $((end / 60))m$(printf %02d $((end % 60)))s$( ((status)) && echo ", stopped by a failure")):"
  for ((i = 0; i < n; i++)); do
    if ((i + 1 < n)); then d=$((step_starts[i + 1] - step_starts[i])); else d=$((end - step_starts[i])); fi
    printf '  %02d:%02d  %s\n' $((d / 60)) $((d % 60)) "${step_names[i]:0:90}"
  done
  return "$status"
}
trap step_table EXIT

step "dependencies: ci/install-deps.sh"
bash ci/install-deps.sh

jobs=$(nproc 2>/dev/null || echo 2)

step "generated code: vocab_data.c and conformance/columns.c match fixtures/vocabulary.json"
python3 tools/gen_vocab.py --check
step "layers: no lower layer includes a higher one, no include cycle (docs/DESIGN.md, Layers)"
bash ci/check-layers.sh

run_suite() {
  local name=$1 cc=$2
  shift 2
  local dir="build/ci-$name"
  step "$name: configure and build ($cc)"
  CC=$cc cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDESCOVO_WERROR=ON "$@" >/dev/null
  cmake --build "$dir" -j "$jobs"
  step "$name: tests"
  (cd "$dir" && ctest --output-on-failure -j "$jobs" --timeout 300)
}

run_suite gcc gcc
step "layers: no call cycle between the modules of mockserver/ and client/cli/ (nm)"
bash ci/check-layers.sh --calls build/ci-gcc
run_suite clang clang
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  run_suite sanitize gcc -DDESCOVO_SANITIZE=ON

# libFuzzer targets (clang, ASan+UBSan), each for a bounded time: docs/RELIABILITY.md.
step "fuzzing: every libFuzzer target, ci/fuzz.sh"
bash ci/fuzz.sh "${DESCOVO_FUZZ_SECONDS:-20}"

step "dashboard: /_mock/ui in chromium (screenshots in build/ci-ui/)"
DESCOVO_MOCK=build/ci-gcc/mockserver/descovo-mock bash ci/ui-check.sh

step "OpenAPI: lint and live validation of docs/openapi.json"
DESCOVO_MOCK_BIN=build/ci-gcc/mockserver/descovo-mock bash ci/openapi-check.sh

step "install: cmake --install, versions, a program built with pkg-config against the installed library"
bash ci/install-check.sh

step "the CI recipe of docs/CI.md: conformance against a mock started by ci/with-mock.sh"
DESCOVO_MOCK=build/ci-gcc/mockserver/descovo-mock bash ci/with-mock.sh --clock manual -- \
  build/ci-gcc/conformance/descovo-conformance --results build/ci-gcc/conformance-recipe

step "test helpers: Python and Node, their tests and copyable examples"
DESCOVO_MOCK_BIN=build/ci-gcc/mockserver/descovo-mock bash ci/helpers-check.sh

step "Debian package: build, install, installed suite against installed mock, man pages, removal"
bash ci/package-check.sh

step "container image: podman build, export, its entry point under chroot through a workflow"
bash ci/image-check.sh

step "documents as tests: a stale entry of ci/doc-commands.skip fails before any block runs"
stale_list=$(mktemp)
{ cat ci/doc-commands.skip; echo 'README.md | no block starts like this | skip: a stale entry'; } >"$stale_list"
if DOC_COMMANDS_SKIP=$stale_list bash ci/doc-commands.sh README.md >"$stale_list.log" 2>&1 ||
   ! grep -q "no block of README.md starts with 'no block starts like this'" "$stale_list.log" ||
   grep -q '^  ok ' "$stale_list.log"; then
  cat "$stale_list.log"; echo "ci/test.sh: doc-commands.sh did not refuse a stale skip entry"; exit 1
fi
rm -f "$stale_list" "$stale_list.log"

step "documents as tests: every shell block of every document with commands (the list in ci/doc-commands.sh)"
bash ci/doc-commands.sh

step "drift detection: the vendor-docs cassette, a self-consistency recording, har-validator (docs/DRIFT.md)"
DESCOVO_MOCK_BIN=build/ci-gcc/mockserver/descovo-mock DESCOVO_CONFORMANCE_BIN=build/ci-gcc/conformance/descovo-conformance \
  bash ci/drift-check.sh

step "all suites passed"
