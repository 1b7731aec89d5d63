#!/usr/bin/env bash
# Checks the installed product, as a user gets it: cmake --install into a
# fresh, non-default prefix, every file where it belongs, one version
# everywhere, and a program outside the tree built with the one documented
# link line, `pkg-config --cflags --libs descovo` (and --static), that talks
# to the installed descovo-mock; then the same after moving the installed
# tree elsewhere (descovo.pc is relocatable).
# Usage: ci/install-check.sh            (installs missing packages)
set -euo pipefail
cd "$(dirname "$0")/.."

bash ci/install-deps.sh

build=build/install-check
prefix=$(mktemp -d)
moved=$(mktemp -d)
work=$(mktemp -d)
mock_pid=""
cleanup() {
  if [ -n "$mock_pid" ]; then kill "$mock_pid" 2>/dev/null || true; wait "$mock_pid" 2>/dev/null || true; fi
  rm -rf "$prefix" "$moved" "$work"
}
trap cleanup EXIT

cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$prefix" >/dev/null
cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
cmake --install "$build" >/dev/null

libdir=$(cd "$build" && cmake -LA -N . 2>/dev/null | sed -n 's/^CMAKE_INSTALL_LIBDIR:PATH=//p')
libdir=${libdir:-lib}
for f in bin/descovo-mock bin/descovo bin/descovo-conformance include/descovo.h \
         "$libdir/libdescovo.so" "$libdir/libdescovo.a" "$libdir/pkgconfig/descovo.pc"; do
  [ -e "$prefix/$f" ] || { echo "install-check: missing $f"; exit 1; }
done

# One version, set in CMakeLists.txt, reported by every binary and the .pc.
want=$(sed -n 's/^project(descovo VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
for bin in descovo-mock descovo descovo-conformance; do
  got=$("$prefix/bin/$bin" --version)
  case "$got" in *"$want"*) ;; *) echo "install-check: $bin --version says '$got', expected $want"; exit 1;; esac
done
export PKG_CONFIG_PATH="$prefix/$libdir/pkgconfig"
[ "$(pkg-config --modversion descovo)" = "$want" ] || { echo "install-check: descovo.pc version differs"; exit 1; }

# The .pc names no absolute prefix: it finds it from its own place.
if grep -q "^prefix=/" "$prefix/$libdir/pkgconfig/descovo.pc"; then
  echo "install-check: descovo.pc has an absolute prefix"; exit 1
fi

"$prefix/bin/descovo-mock" --port 0 --quiet >"$work/mock.out" 2>&1 &
mock_pid=$!
base=""
for _ in $(seq 1 100); do
  base=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$work/mock.out" | head -n 1 || true)
  [ -n "$base" ] && break
  sleep 0.05
done
[ -n "$base" ] || { echo "install-check: descovo-mock did not start"; cat "$work/mock.out"; exit 1; }

passed=0
# A program outside the tree, against the installed library: the shared
# library with the documented link line alone (libcurl stays private), and
# the archive with libcurl and jansson (a fully static link would need the
# static libraries of libcurl's own dependencies, which Debian lacks).
check_program() {
  local root=$1 what=$2
  export PKG_CONFIG_PATH="$root/$libdir/pkgconfig"
  cp client/examples/credits.c "$work/"
  # shellcheck disable=SC2046
  cc -std=c11 -Wall -Wextra -Werror "$work/credits.c" $(pkg-config --cflags --libs descovo) -o "$work/credits"
  out=$(LD_LIBRARY_PATH="$root/$libdir" DESCOVO_BASE_URL=$base DESCOVO_API_KEY=sk_test_descovo_dev "$work/credits")
  [ "$out" = "credits: 50000" ] || { echo "install-check: $what: example printed '$out'"; exit 1; }
  # shellcheck disable=SC2046
  cc -std=c11 "$work/credits.c" -I"$root/include" "$root/$libdir/libdescovo.a" \
     $(pkg-config --libs libcurl jansson) -o "$work/credits-static"
  out=$(DESCOVO_BASE_URL=$base DESCOVO_API_KEY=sk_test_descovo_dev "$work/credits-static")
  [ "$out" = "credits: 50000" ] || { echo "install-check: $what (static): example printed '$out'"; exit 1; }
  passed=$((passed + 1))
}
check_program "$prefix" "installed"
# The installed tree, moved: pkg-config still finds it.
cp -a "$prefix/." "$moved/"
rm -rf "$prefix"
check_program "$moved" "moved"
echo "install-check: $passed passed, 0 failed"
