# Shared by the drift tests, bench/drift.sh and ci/drift-check.sh: start
# servers that print their URL on their first line, stop them all at exit.
# Needs $work (a folder for their output); removes it at exit when
# $work_is_temp is 1 (and DRIFT_KEEP is unset, to look at it after a failure).
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "${work_is_temp:-0}" = 1 ] && [ -z "${DRIFT_KEEP:-}" ]; then
    rm -rf "$work"
  fi
}
trap cleanup EXIT

# start NAME COMMAND...: runs it in the background; sets $url and $pid.
start() {
  local name=$1
  shift
  "$@" >"$work/$name.out" 2>&1 &
  pid=$!
  pids+=("$pid")
  url=""
  for _ in $(seq 1 100); do
    url=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$work/$name.out" | head -n 1 || true)
    [ -n "$url" ] && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  echo "$name did not start:" >&2
  cat "$work/$name.out" >&2
  exit 1
}

# stop PID: SIGTERM, then wait for it; returns its exit status.
stop() {
  kill -TERM "$1"
  wait "$1"
}
