# bench/lib.sh: shell helpers shared by bench/run.sh and bench/others.sh
# (sourced, not run).

# Stops one server: SIGTERM, SIGKILL after 5 s.
stop_pid() {
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for i in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# Stops every pid in the caller's array `pids`.
stop_all() {
  local pid
  for pid in "${pids[@]}"; do
    stop_pid "$pid"
  done
}

log() { printf '%s\n' "$*" >&2; }
