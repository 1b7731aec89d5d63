#!/usr/bin/env bash
# Builds the project and runs every test, three ways: gcc, clang, and gcc
# with AddressSanitizer + UndefinedBehaviorSanitizer. Warnings are errors.
# Usage: ci/test.sh            (from anywhere; installs missing packages)
#        ci/test.sh --help     this text and the steps, without running them
# The whole run takes about 17 minutes on 2 cores; each step below can be
# run alone (DESCOVO_FUZZ_SECONDS sets the fuzzing time per target, 20 s).
set -euo pipefail
case "${1:-}" in
  '') ;;
  -h|--help)
    sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
    echo "Steps:"
    sed -n -e 's/^echo "== \([^"]*\)".*/  \1/p' -e 's/^ *run_suite \([a-z]*\) \(.*\)/  \1: configure, build and run every CTest test (\2)/p' \
      -e 's/^bash ci\/fuzz.sh.*/  fuzzing: every libFuzzer target, ci\/fuzz.sh/p' "$0" | grep -v 'all suites passed'
    exit 0 ;;
  *) echo "ci/test.sh: takes no arguments (got '$1'); see ci/test.sh --help" >&2; exit 2 ;;
esac
cd "$(dirname "$0")/.."

bash ci/install-deps.sh

jobs=$(nproc 2>/dev/null || echo 2)

echo "== generated code: vocab_data.c and conformance/columns.c match fixtures/vocabulary.json"
python3 tools/gen_vocab.py --check
echo "== layers: no lower layer includes a higher one, no include cycle (docs/DESIGN.md, Layers)"
bash ci/check-layers.sh

run_suite() {
  local name=$1 cc=$2
  shift 2
  local dir="build/ci-$name"
  echo "== $name: configure and build ($cc)"
  CC=$cc cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDESCOVO_WERROR=ON "$@" >/dev/null
  cmake --build "$dir" -j "$jobs"
  echo "== $name: tests"
  (cd "$dir" && ctest --output-on-failure -j "$jobs" --timeout 300)
}

run_suite gcc gcc
echo "== layers: no call cycle between the modules of mockserver/ and client/cli/ (nm)"
bash ci/check-layers.sh --calls build/ci-gcc
run_suite clang clang
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  run_suite sanitize gcc -DDESCOVO_SANITIZE=ON

# libFuzzer targets (clang, ASan+UBSan), each for a bounded time: docs/RELIABILITY.md.
bash ci/fuzz.sh "${DESCOVO_FUZZ_SECONDS:-20}"

echo "== dashboard: /_mock/ui in chromium (screenshots in build/ci-ui/)"
DESCOVO_MOCK=build/ci-gcc/mockserver/descovo-mock bash ci/ui-check.sh

echo "== OpenAPI: lint and live validation of docs/openapi.json"
DESCOVO_MOCK_BIN=build/ci-gcc/mockserver/descovo-mock bash ci/openapi-check.sh

echo "== install: cmake --install, versions, a program built with pkg-config against the installed library"
bash ci/install-check.sh

echo "== the CI recipe of docs/CI.md: conformance against a mock started by ci/with-mock.sh"
DESCOVO_MOCK=build/ci-gcc/mockserver/descovo-mock bash ci/with-mock.sh --clock manual -- \
  build/ci-gcc/conformance/descovo-conformance --results build/ci-gcc/conformance-recipe

echo "== test helpers: Python and Node, their tests and copyable examples"
DESCOVO_MOCK_BIN=build/ci-gcc/mockserver/descovo-mock bash ci/helpers-check.sh

echo "== Debian package: build, install, installed suite against installed mock, man pages, removal"
bash ci/package-check.sh

echo "== container image: podman build, export, its entry point under chroot through a workflow"
bash ci/image-check.sh

echo "== documents as tests: a stale entry of ci/doc-commands.skip fails before any block runs"
stale_list=$(mktemp)
{ cat ci/doc-commands.skip; echo 'README.md | no block starts like this | skip: a stale entry'; } >"$stale_list"
if DOC_COMMANDS_SKIP=$stale_list bash ci/doc-commands.sh README.md >"$stale_list.log" 2>&1 ||
   ! grep -q "no block of README.md starts with 'no block starts like this'" "$stale_list.log" ||
   grep -q '^  ok ' "$stale_list.log"; then
  cat "$stale_list.log"; echo "ci/test.sh: doc-commands.sh did not refuse a stale skip entry"; exit 1
fi
rm -f "$stale_list" "$stale_list.log"

echo "== documents as tests: every shell block of every document with commands (the list in ci/doc-commands.sh)"
bash ci/doc-commands.sh

echo "== drift detection: the vendor-docs cassette, a self-consistency recording, har-validator (docs/DRIFT.md)"
DESCOVO_MOCK_BIN=build/ci-gcc/mockserver/descovo-mock DESCOVO_CONFORMANCE_BIN=build/ci-gcc/conformance/descovo-conformance \
  bash ci/drift-check.sh

echo "== all suites passed"
