#!/usr/bin/env bash
# bench/others.sh: the --compare-others part of bench/run.sh (not for CI).
#
# Serves the mock's status body on the same path with WireMock (npm
# `wiremock`, its standalone jar run with Java 17) and Prism (npm
# `@stoplight/prism-cli`, from an OpenAPI document whose example is that
# body), each also answering GET /_mock/health; runs the same wrk rounds as
# run.sh against each and measures the time to the first answer (3 starts).
# The packages are installed with npm under $DESCOVO_BENCH_TOOLS
# (~/.cache/descovo-bench); a tool that cannot be installed or started is
# reported as skipped. Called by run.sh with BENCH_* variables set.
set -euo pipefail

: "${BENCH_WORK:?} ${BENCH_ROOT:?} ${BENCH_FIRST_BIN:?} ${BENCH_STATUS_BODY:?} ${BENCH_STATUS_PATH:?}"
: "${BENCH_ROUNDS:?} ${BENCH_DURATION:?} ${BENCH_WRK_THREADS:?} ${BENCH_CONNECTIONS:?} ${BENCH_SCRIPT:?}"
: "${BENCH_MOCK_ROW:?}"

tools=${DESCOVO_BENCH_TOOLS:-$HOME/.cache/descovo-bench}
work="$BENCH_WORK/others"
first_runs=3
mkdir -p "$work"
pids=()

. "$(cd "$(dirname "$0")" && pwd)/lib.sh"

cleanup() {
  stop_all
}
trap cleanup EXIT
trap 'exit 130' INT TERM

declare -A skipped=()

# ---------------------------------------------------------------- installs
java_major() {
  java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1
}
if ! command -v java >/dev/null 2>&1 || [ "$(java_major)" -lt 17 ]; then
  log "== installing Java 17"
  bash "$BENCH_ROOT/ci/install-deps.sh" openjdk-17-jre-headless >&2 || true
fi
if ! command -v java >/dev/null 2>&1 || [ "$(java_major)" -lt 17 ]; then
  skipped[wiremock]="Java 17 is not installed and could not be installed"
fi
if ! command -v npm >/dev/null 2>&1; then
  bash "$BENCH_ROOT/ci/install-deps.sh" nodejs npm >&2 || true
fi
if command -v npm >/dev/null 2>&1; then
  if [ ! -d "$tools/node_modules/wiremock" ] || [ ! -x "$tools/node_modules/.bin/prism" ]; then
    log "== installing wiremock and @stoplight/prism-cli with npm into $tools"
    mkdir -p "$tools"
    timeout 600 npm install --prefix "$tools" --no-audit --no-fund wiremock@3 @stoplight/prism-cli@5 >"$work/npm.log" 2>&1 ||
      log "   npm install failed: $(tail -n 3 "$work/npm.log")"
  fi
else
  skipped[wiremock]=${skipped[wiremock]:-"npm is not installed"}
  skipped[prism]="npm is not installed"
fi
jar=$(ls "$tools"/node_modules/wiremock/build/*.jar 2>/dev/null | head -n 1 || true)
[ -n "$jar" ] || skipped[wiremock]=${skipped[wiremock]:-"the npm package wiremock could not be installed"}
[ -x "$tools/node_modules/.bin/prism" ] || skipped[prism]=${skipped[prism]:-"the npm package @stoplight/prism-cli could not be installed"}

# ---------------------------------------------------------------- definitions
audience_path=${BENCH_STATUS_PATH%%\?*}
mkdir -p "$work/wiremock/mappings"
jq -n --arg path "$audience_path" --arg body "$BENCH_STATUS_BODY" \
  '{request: {method: "GET", urlPath: $path},
    response: {status: 200, headers: {"Content-Type": "application/json"}, body: $body}}' \
  >"$work/wiremock/mappings/status.json"
jq -n '{request: {method: "GET", urlPath: "/_mock/health"},
        response: {status: 200, headers: {"Content-Type": "application/json"}, body: "{\"status\":\"ok\"}"}}' \
  >"$work/wiremock/mappings/health.json"
jq -n --argjson example "$BENCH_STATUS_BODY" '{
  openapi: "3.0.3", info: {title: "descovo-bench", version: "1"},
  paths: {
    "/v1/audiences/{id}": {get: {
      parameters: [{name: "id", in: "path", required: true, schema: {type: "string"}},
                   {name: "apiKey", in: "query", schema: {type: "string"}}],
      responses: {"200": {description: "status",
                          content: {"application/json": {example: $example}}}}}},
    "/_mock/health": {get: {responses: {"200": {description: "ok",
                          content: {"application/json": {example: {status: "ok"}}}}}}}}}' \
  >"$work/prism.json"

# cmd_for NAME PORT: the command line of a server, in the array $cmd.
cmd_for() {
  case $1 in
    wiremock) cmd=(java -jar "$jar" --port "$2" --bind-address 127.0.0.1 --root-dir "$work/wiremock"
                   --disable-banner --no-request-journal) ;;
    prism) cmd=("$tools/node_modules/.bin/prism" mock -h 127.0.0.1 -p "$2" "$work/prism.json") ;;
  esac
}

# ---------------------------------------------------------------- runs
servers=()
declare -A urls=()
for name in wiremock prism; do
  [ -z "${skipped[$name]:-}" ] || continue
  port=$("$BENCH_FIRST_BIN" --free-port)
  cmd_for "$name" "$port"
  log "== starting $name on port $port"
  "${cmd[@]}" >"$work/$name.out" 2>&1 &
  pid=$!
  pids+=("$pid")
  ready=0
  for _ in $(seq 1 600); do
    if curl -s --max-time 1 -o /dev/null "http://127.0.0.1:$port/_mock/health"; then ready=1; break; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if [ "$ready" -eq 0 ]; then
    skipped[$name]="did not answer within 60 s: $(tail -n 2 "$work/$name.out" | tr '\n' ' ')"
    stop_pid "$pid"
    continue
  fi
  got=$(curl -s --max-time 5 "http://127.0.0.1:$port$BENCH_STATUS_PATH")
  if [ "$(jq -cS . <<<"$got" 2>/dev/null)" != "$(jq -cS . <<<"$BENCH_STATUS_BODY")" ]; then
    log "   WARNING: $name answers a different body: $got"
  fi
  servers+=("$name")
  urls[$name]="http://127.0.0.1:$port$BENCH_STATUS_PATH"
done

declare -A rps=() p50=() p99=() first=()
for name in "${servers[@]}"; do
  : >"$work/$name.results"
done
# One discarded run each first: the JIT of the JVM and of node warms up.
for name in "${servers[@]}"; do
  log "== warm-up of $name (${BENCH_DURATION}s, discarded)"
  timeout $((BENCH_DURATION + 30)) wrk -t "$BENCH_WRK_THREADS" -c "$BENCH_CONNECTIONS" -d "${BENCH_DURATION}s" \
    --timeout 2s "${urls[$name]}" >/dev/null 2>&1 || true
done
for round in $(seq 1 "$BENCH_ROUNDS"); do
  for name in "${servers[@]}"; do
    out="$work/wrk.$name.txt"
    timeout $((BENCH_DURATION + 30)) wrk -t "$BENCH_WRK_THREADS" -c "$BENCH_CONNECTIONS" -d "${BENCH_DURATION}s" \
      --timeout 2s -s "$BENCH_SCRIPT" "${urls[$name]}" >"$out" 2>&1 || { cat "$out" >&2; continue; }
    line=$(grep '^BENCH ' "$out" || true)
    [ -n "$line" ] || continue
    log "   round $round $name: $line"
    sed -n 's/.* rps=\([0-9.]*\) p50_us=\([0-9]*\) p99_us=\([0-9]*\) non2xx=\([0-9]*\).*/\1 \2 \3 \4/p' <<<"$line" \
      >>"$work/$name.results"
  done
done

median() {
  awk -v c="$2" '{print $c}' "$1" | sort -g |
    awk '{v[NR]=$1} END {if (NR == 0) printf "-"; else if (NR % 2) printf "%.1f", v[(NR+1)/2]; else printf "%.1f", (v[NR/2]+v[NR/2+1])/2}'
}
for name in "${servers[@]}"; do
  rps[$name]=$(median "$work/$name.results" 1)
  p50[$name]=$(median "$work/$name.results" 2)
  p99[$name]=$(median "$work/$name.results" 3)
done
# The long-running copies are no longer needed; first-answer starts its own.
cleanup
pids=()
for name in "${servers[@]}"; do
  cmd_for "$name" @PORT@
  log "== first answer of $name ($first_runs starts)"
  out=$("$BENCH_FIRST_BIN" --runs "$first_runs" --timeout-ms 60000 -- "${cmd[@]}" 2>&1) || true
  first[$name]=$(sed -n 's/^first_answer_ms median=\([0-9.]*\).*/\1/p' <<<"$out")
  first[$name]=${first[$name]:--}
done

read -r m_rps m_p50 m_p99 m_first <<<"$BENCH_MOCK_ROW"
ms() { awk -v us="$1" 'BEGIN {if (us == "-") print "-"; else printf "%.3f", us / 1000}'; }
echo "Other mock servers, GET ${audience_path} with the same body, same wrk settings ($BENCH_ROUNDS x ${BENCH_DURATION}s):"
echo
echo "| server | req/s | p50 ms | p99 ms | req/s vs descovo-mock | first answer ms |"
echo "|---|---:|---:|---:|---:|---:|"
printf '| descovo-mock | %.0f | %s | %s | 1.00 | %s |\n' "$m_rps" "$(ms "$m_p50")" "$(ms "$m_p99")" "$m_first"
for name in wiremock prism; do
  if [ -n "${skipped[$name]:-}" ]; then
    printf '| %s | skipped: %s | | | | |\n' "$name" "${skipped[$name]}"
    continue
  fi
  ratio=$(awk -v a="${rps[$name]}" -v b="$m_rps" 'BEGIN {if (a == "-") print "-"; else printf "%.3f", a / b}')
  printf '| %s | %.0f | %s | %s | %s | %s |\n' "$name" "${rps[$name]}" "$(ms "${p50[$name]}")" \
    "$(ms "${p99[$name]}")" "$ratio" "${first[$name]}"
done
echo
echo "WireMock $(basename "${jar:-none}") with --no-request-journal on $(java -version 2>&1 | head -n 1);" \
     "Prism $(jq -r .version "$tools/node_modules/@stoplight/prism-cli/package.json" 2>/dev/null || echo '?') on node $(node --version 2>/dev/null || echo '?')."
