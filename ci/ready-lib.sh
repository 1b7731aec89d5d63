# Sourced by the CI scripts that start descovo-mock with --ready-file.
# wait_ready FILE PID LOG: waits (10 s at most) until the server of PID has
# written its ready file FILE, and prints the URL in it. Fails, showing LOG,
# when the server exits first or the time runs out.
wait_ready() {
  local file=$1 pid=$2 log=$3
  for _ in $(seq 1 200); do
    if [ -s "$file" ]; then
      jq -r .url "$file"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  echo "descovo-mock (pid $pid) wrote no ready file $file:" >&2
  cat "$log" >&2
  return 1
}
