#!/usr/bin/env bash
# Builds the project and runs every test, three ways: gcc, clang, and gcc
# with AddressSanitizer + UndefinedBehaviorSanitizer. Warnings are errors.
# Usage: ci/test.sh            (from anywhere; installs missing packages)
set -euo pipefail
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

echo "== documents as tests: every shell block of every document with commands (the list in ci/doc-commands.sh)"
bash ci/doc-commands.sh

echo "== drift detection: the vendor-docs cassette, a self-consistency recording, har-validator (docs/DRIFT.md)"
DESCOVO_MOCK_BIN=build/ci-gcc/mockserver/descovo-mock DESCOVO_CONFORMANCE_BIN=build/ci-gcc/conformance/descovo-conformance \
  bash ci/drift-check.sh

echo "== all suites passed"
