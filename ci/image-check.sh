#!/usr/bin/env bash
# Checks the container image without running a container (this kind of CI
# machine can build images but not run them): CMake assembles the root
# filesystem, podman builds the image from Containerfile (vfs storage, in a
# throw-away store), the image's filesystem is exported (podman create +
# podman export: nothing runs), and the image's own entry point is started
# from it under chroot with an empty environment but DESCOVO_ADMIN_TOKEN.
# That proves the image is self-contained; then health, the token rules and
# a whole workflow over loopback.
# Usage: ci/image-check.sh            (root: chroot; installs missing packages)
set -euo pipefail
cd "$(dirname "$0")/.."
. ci/ready-lib.sh

bash ci/install-deps.sh podman ca-certificates binutils

[ "$(id -u)" -eq 0 ] || { echo "image-check: needs root (chroot)" >&2; exit 1; }
# The same build as ci/package-check.sh's (configured alike): built once in CI.
build=build/package-check
work=$(mktemp -d)
store=(--root "$work/storage" --runroot "$work/run" --storage-driver vfs)
mock_pid=""
cleanup() {
  if [ -n "$mock_pid" ]; then kill "$mock_pid" 2>/dev/null || true; wait "$mock_pid" 2>/dev/null || true; fi
  podman "${store[@]}" rm -a -f >/dev/null 2>&1 || true
  podman "${store[@]}" rmi -a -f >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "image-check: $*" >&2; exit 1; }

cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr \
      -DCMAKE_SKIP_INSTALL_ALL_DEPENDENCY=ON >/dev/null
cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)" --target descovo-image-rootfs >/dev/null
want=$(sed -n 's/^project(descovo VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
tag=localhost/descovo-mock:$want
podman "${store[@]}" build -q -f Containerfile -t "$tag" "$build/image" >/dev/null
entry=$(podman "${store[@]}" image inspect --format '{{json .Config.Entrypoint}}' "$tag")
[ "$entry" = '["/usr/bin/descovo-mock","--host","0.0.0.0","--port","8080"]' ] || fail "entry point is $entry"
user=$(podman "${store[@]}" image inspect --format '{{.Config.User}}' "$tag")
[ "$user" = 65534:65534 ] || fail "the image runs as '$user', not nobody"
podman "${store[@]}" create --name descovo-export "$tag" >/dev/null
podman "${store[@]}" export -o "$work/image.tar" descovo-export
mkdir "$work/rootfs"
tar -xf "$work/image.tar" -C "$work/rootfs"

# Nothing else in it: the server, its libraries (exactly those ldd lists),
# the loader, the CA bundle.
actual=$(cd "$work/rootfs" && find . -type f -o -type l | sed 's|^\.||' | sort)
expected=$( { echo /usr/bin/descovo-mock; echo /etc/ssl/certs/ca-certificates.crt;
              ldd "$build/mockserver/descovo-mock" | awk '/=>/ {print $3; next} $1 ~ /^\// {print $1}'; } | sort)
[ "$actual" = "$expected" ] || { diff <(echo "$expected") <(echo "$actual") || true; fail "the image holds other files than expected"; }
echo "image-check: $tag holds $(wc -l <<<"$actual") files, $(du -sh "$work/rootfs" | cut -f1)"

# The entry point, as the image would run it, under chroot. Without a token
# only --no-control is allowed off loopback.
chroot=$(PATH=$PATH:/usr/sbin:/sbin command -v chroot) || fail "no chroot"
# As the image's user; a directory it may write, for the ready file (what a
# volume would be in a container).
mkdir "$work/rootfs/check"
chown "$user" "$work/rootfs/check"
mapfile -t argv < <(jq -r '.[]' <<<"$entry")
set +e
env -i "$chroot" --userspec="$user" "$work/rootfs" "${argv[@]}" --port 0 >"$work/refused.out" 2>&1
status=$?
set -e
[ "$status" -eq 2 ] && grep -q -- "--no-control" "$work/refused.out" || fail "started without a token (status $status)"

token=image-check-token-17
env -i DESCOVO_ADMIN_TOKEN=$token "$chroot" --userspec="$user" "$work/rootfs" "${argv[@]}" --port 0 \
  --clock manual --ready-file /check/ready.json >"$work/mock.out" 2>&1 &
mock_pid=$!
base=$(wait_ready "$work/rootfs/check/ready.json" "$mock_pid" "$work/mock.out") || fail "the image's server did not start"

key=sk_test_descovo_dev
# call METHOD PATH [BODY]: the answer's body in $answer, its status in $code.
call() {
  local out
  out=$(curl -sS -X "$1" "$base$2" -H 'Content-Type: application/json' -H "X-Mock-Admin-Token: $token" \
        ${3:+--data "$3"} -w '\n%{http_code}')
  code=${out##*$'\n'}
  answer=${out%$'\n'*}
}
expect() { [ "$code" = "$1" ] || fail "$2: HTTP $code, expected $1: $answer"; }

[ "$(curl -s -o /dev/null -w '%{http_code}' "$base/_mock/health")" = 401 ] || fail "health without the token is not 401"
call GET /_mock/health; expect 200 health
[ "$(jq -r .output.version <<<"$answer")" = "$want" ] || fail "health names another version"

call POST /v1/audiences/create "{\"apiKey\":\"$key\",\"name\":\"from the image\"}"; expect 200 create
id=$(jq -r .output.audienceId <<<"$answer")
call PATCH "/v1/audiences/$id/search-params" "{\"apiKey\":\"$key\",
  \"companySearchParams\":{\"headquartersCountryCode\":[\"US\"],\"industriesV2\":[\"software\"]},
  \"maxCompanies\":20,\"maxProspects\":40}"; expect 200 search-params
call POST "/v1/audiences/$id/build" "{\"apiKey\":\"$key\"}"; expect 200 build
call POST /_mock/clock/advance '{"seconds": 120}'; expect 200 "clock advance"
call GET "/v1/audiences/$id?apiKey=$key"; expect 200 status
[ "$(jq -r .output.status <<<"$answer")" = NORMAL ] || fail "not NORMAL after the advance: $answer"
enrich="{\"apiKey\":\"$key\",\"maxProspectsToEnrich\":5,\"enrichmentType\":{\"getWorkEmails\":true}}"
call POST "/v1/audiences/$id/enrichment/estimate" "$enrich"; expect 200 estimate
call POST "/v1/audiences/$id/enrich" "$enrich"; expect 200 enrich
call POST /_mock/clock/advance '{"seconds": 600}'; expect 200 "clock advance"
call GET "/v1/audiences/$id/enrichment/status?apiKey=$key"; expect 200 "enrichment status"
[ "$(jq -r .output.currentStage <<<"$answer")" = DONE ] || fail "enrichment not DONE: $answer"
for kind in companies prospects; do
  format=$([ $kind = companies ] && echo COMPANY_GENERIC_CSV || echo PROSPECT_GENERIC_CSV)
  call POST "/v1/audiences/$id/export/$kind" "{\"apiKey\":\"$key\",\"format\":\"$format\"}"; expect 200 "export $kind"
  curl -fsS -o "$work/$kind.csv" "$(jq -r .output.downloadUrl <<<"$answer")" || fail "download of $kind failed"
  [ "$(wc -l <"$work/$kind.csv")" -ge 2 ] || fail "$kind.csv has no rows"
done
call GET "/_mock/requests?method=POST&path=/v1/audiences/*/build"; expect 200 journal
[ "$(jq -r .output.count <<<"$answer")" = 1 ] || fail "the journal counts $(jq -r .output.count <<<"$answer") builds"

kill "$mock_pid"
wait "$mock_pid" || fail "the image's server did not stop cleanly"
mock_pid=""
[ ! -e "$work/rootfs/check/ready.json" ] || fail "the ready file was left behind"
echo "image-check: 1 passed, 0 failed"
