#!/usr/bin/env bash
# Checks the Debian package as a user gets it: builds it with CPack
# (`cmake --build --target package`), looks inside (dpkg-deb -I/-c), installs
# it with apt-get (which pulls in the declared dependencies), runs the
# installed descovo-conformance against the installed descovo-mock, renders
# every man page with man --warnings, and removes the package again, so
# that the machine is as it was for the other checks.
# Usage: ci/package-check.sh            (root or sudo; installs missing packages)
set -euo pipefail
cd "$(dirname "$0")/.."
. ci/ready-lib.sh

bash ci/install-deps.sh man-db python3 python3-yaml make nodejs

# The installed programs, found on PATH, and no server of the caller's.
unset DESCOVO_MOCK_BIN DESCOVO_BASE_URL DESCOVO_ADMIN_TOKEN DESCOVO_API_KEY
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
build=build/package-check
work=$(mktemp -d)
mock_pid=""
installed=""
cleanup() {
  if [ -n "$mock_pid" ]; then kill "$mock_pid" 2>/dev/null || true; wait "$mock_pid" 2>/dev/null || true; fi
  if [ -n "$installed" ]; then $sudo dpkg --purge descovo >/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "package-check: $*" >&2; exit 1; }

if dpkg-query -W -f='${Status}' descovo 2>/dev/null | grep -q "install ok installed"; then
  fail "a descovo package is installed already; this check installs and removes its own (dpkg --purge descovo first)"
fi

# Only what the package holds is built (no tests): the install step must not
# build everything first.
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr \
      -DCMAKE_SKIP_INSTALL_ALL_DEPENDENCY=ON >/dev/null
cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)" \
      --target descovo-mock descovo-cli descovo descovo_static descovo-conformance descovo-man >/dev/null
rm -f "$build"/descovo_*.deb
cmake --build "$build" --target package >"$work/cpack.out" 2>&1 || { cat "$work/cpack.out"; fail "cpack failed"; }
deb=$(ls "$build"/descovo_*.deb)
want=$(sed -n 's/^project(descovo VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
[ "$(basename "$deb")" = "descovo_${want}_$(dpkg --print-architecture).deb" ] || fail "unexpected file name $deb"

# The control fields and the files.
info=$(dpkg-deb -I "$deb")
for dep in libc6 libcurl4 libjansson4 libmicrohttpd12 libcmocka0; do
  grep -q "^ Depends:.*\b$dep\b" <<<"$info" || fail "Depends lacks $dep: $(grep '^ Depends' <<<"$info")"
done
# Each declared dependency is a package apt knows, so that a machine
# without it gets it pulled in by `apt-get install ./descovo_*.deb`.
for dep in $(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/(.*)//; s/|.*//; s/ //g'); do
  apt-cache show "$dep" >/dev/null 2>&1 || fail "Depends names $dep, which apt does not know"
done
files=$(dpkg-deb -c "$deb" | awk '{print $6}')
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
for f in usr/bin/descovo-mock usr/bin/descovo usr/bin/descovo-conformance usr/include/descovo.h \
         "usr/lib/$multiarch/libdescovo.so" "usr/lib/$multiarch/libdescovo.so.0" "usr/lib/$multiarch/libdescovo.a" \
         "usr/lib/$multiarch/pkgconfig/descovo.pc" usr/share/descovo/fixtures/keys.txt \
         usr/share/descovo/fixtures/scenarios/flaky-5xx.json usr/share/descovo/fixtures/jobs/ai-leaders-us.json \
         usr/share/man/man1/descovo-mock.1.gz usr/share/man/man1/descovo.1.gz \
         usr/share/man/man1/descovo-conformance.1.gz usr/share/descovo/helpers/python/descovo_mock.py \
         usr/share/descovo/helpers/node/index.js usr/share/descovo/helpers/node/package.json; do
  grep -qx "\./$f" <<<"$files" || fail "the package lacks /$f"
done
if grep -q "fuzz\|/tests\?/" <<<"$files"; then fail "the package holds test files"; fi

# The ready workflow of docs/CI.md, its run steps as written, in a project
# like a user's: the package in vendor/, `make test` running the Python
# helper's example against the mock the workflow started. Its first step
# installs the package with apt-get.
project=$work/project
mkdir -p "$project/vendor" "$project/tests"
cp "$deb" "$project/vendor/"
cp helpers/python/descovo_mock.py helpers/python/examples/*.py "$project/tests/"
printf 'test:\n\tcd tests && python3 -m unittest -v test_example_unittest\n' >"$project/Makefile"
with_yaml=""
for candidate in "$(command -v python3)" /usr/bin/python3; do
  if [ -x "$candidate" ] && "$candidate" -c "import yaml" 2>/dev/null; then with_yaml=$candidate; break; fi
done
[ -n "$with_yaml" ] || fail "no python3 with PyYAML (python3-yaml)"
echo "package-check: the steps of docs/ci/github-actions.yml, installing $(basename "$deb")"
installed=yes
DEBIAN_FRONTEND=noninteractive PYTHONDONTWRITEBYTECODE=1 \
  "$with_yaml" ci/run-workflow.py docs/ci/github-actions.yml test "$project" >"$work/workflow.out" 2>&1 \
  || { cat "$work/workflow.out"; fail "the workflow of docs/ci/github-actions.yml failed"; }
grep -E "^run-workflow: (step|skipped)|Ran [0-9]+ tests|passed, " "$work/workflow.out"
dpkg-query -W -f='${Status}' descovo 2>/dev/null | grep -q "install ok installed" || fail "the workflow did not install the package"

for bin in descovo-mock descovo descovo-conformance; do
  [ "$(command -v $bin)" = "/usr/bin/$bin" ] || fail "$bin is not /usr/bin/$bin on PATH"
  case "$($bin --version)" in *"$want"*) ;; *) fail "$bin --version does not say $want";; esac
done
[ "$(pkg-config --modversion descovo)" = "$want" ] || fail "pkg-config does not find descovo $want"

# The installed mock, started as a harness would (--ready-file), and the
# installed suite against it.
/usr/bin/descovo-mock --port 0 --clock manual --quiet --ready-file "$work/ready.json" >"$work/mock.out" 2>&1 &
mock_pid=$!
base=$(wait_ready "$work/ready.json" "$mock_pid" "$work/mock.out") || fail "the installed descovo-mock did not start"
[ "$(jq -r .pid "$work/ready.json")" = "$mock_pid" ] || fail "the ready file names another pid"
curl -fsS "$base/_mock/health" >/dev/null || fail "no health answer at $base"
DESCOVO_BASE_URL=$base DESCOVO_API_KEY=sk_test_descovo_dev DESCOVO_API_KEY_2=sk_test_descovo_other \
  /usr/bin/descovo-conformance --results "$work/results" >"$work/conformance.out" 2>&1 \
  || { tail -n 30 "$work/conformance.out"; fail "the installed suite failed against the installed mock"; }
tail -n 1 "$work/conformance.out"
# The installed CLI with the installed job file (the man page's example).
DESCOVO_BASE_URL=$base DESCOVO_API_KEY=sk_test_descovo_dev /usr/bin/descovo --mock-clock \
  run /usr/share/descovo/fixtures/jobs/ai-leaders-us.json --yes --out "$work/out" >"$work/cli.out" 2>&1 \
  || { cat "$work/cli.out"; fail "descovo run with the installed job file failed"; }
[ "$(ls "$work/out"/*.csv | wc -l)" -eq 2 ] || fail "descovo run did not write two CSV files"
kill "$mock_pid"
wait "$mock_pid" || fail "descovo-mock did not stop cleanly"
mock_pid=""
[ ! -e "$work/ready.json" ] || fail "the ready file was left behind"
# And the suite starting the mock installed beside it.
(cd "$work" && DESCOVO_BASE_URL= /usr/bin/descovo-conformance >"$work/conformance2.out" 2>&1) \
  || { tail -n 30 "$work/conformance2.out"; fail "the installed suite failed with its own mock"; }

# The installed helpers, imported from where the package puts them.
PYTHONPATH=/usr/share/descovo/helpers/python PYTHONDONTWRITEBYTECODE=1 python3 -c \
  'from descovo_mock import DescovoMock
with DescovoMock.start() as m: m.advance(1); assert m.count(path="/_mock/clock/advance") == 1' \
  || fail "the installed Python helper does not start the installed mock"
(cd "$work" && node --input-type=module -e "
  import { DescovoMock } from '/usr/share/descovo/helpers/node/index.js';
  const m = await DescovoMock.start(); await m.advance(1);
  if (await m.count({ path: '/_mock/clock/advance' }) !== 1) process.exit(1);
  await m.stop();") || fail "the installed Node helper does not start the installed mock"

# Every man page renders without a warning.
for page in descovo-mock descovo descovo-conformance; do
  path=/usr/share/man/man1/$page.1.gz
  warnings=$(MANWIDTH=80 man --warnings -l "$path" 2>&1 >/dev/null)
  [ -z "$warnings" ] || fail "man $page: $warnings"
  MANWIDTH=80 man -l "$path" 2>/dev/null | grep -q "^NAME" || fail "man $page renders no NAME section"
done

$sudo dpkg --purge descovo >/dev/null
installed=""
[ ! -e /usr/bin/descovo-mock ] || fail "dpkg --purge left /usr/bin/descovo-mock"
echo "package-check: 1 passed, 0 failed"
