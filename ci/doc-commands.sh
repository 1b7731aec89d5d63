#!/usr/bin/env bash
# Documents as tests: runs every shell block of the documents below exactly
# as written, in order, the way a reader types them into one terminal per
# document, and fails on any block that fails or that is neither run nor
# listed in ci/doc-commands.skip.
#
# Usage: ci/doc-commands.sh [DOC.md ...]      (default: the DOCS below)
#        ci/doc-commands.sh --help
#
# What counts as a block:
#   - a fenced block (``` or ~~~) tagged sh, bash, shell or console: run;
#   - a fenced block tagged c whose first line is a comment naming a file
#     ("/* example.c: ..."): written to that file in the working directory
#     when the reader reaches it, for the blocks after it to compile;
#   - an untagged fenced block, an indented (4-space) code block after a
#     paragraph, or one inside a list item (4 spaces past the item's text,
#     after a blank line): run as shell too, so that no command escapes the
#     test;
#   - blocks tagged anything else (json, jsonc, yaml, text, c without a file
#     name, ...) are not commands and are left alone.
#
# ci/doc-commands.skip lists the blocks that cannot run as they are, one a
# line, "FILE | FIRST LINE OF THE BLOCK | ACTION: REASON", the first line
# compared after trimming spaces. ACTION is
#   skip               not run (it needs the real API, it is the CI itself, ...)
#   interrupt NAME     run; a command NAME (a server in the foreground) gets
#                      SIGINT once it has run 2 s, and the block must exit 0
#   mock [OPTIONS]     run while a descovo-mock (with OPTIONS) listens on
#                      127.0.0.1:8080, the server the text assumes is running
# A new document section needs an entry only when its block cannot run here.
# An entry that matches no block of its document (its block's first line
# changed) fails the run before any block runs: the block would otherwise
# run unlisted. DOC_COMMANDS_SKIP names another list (ci/test.sh checks
# that a stale entry is refused).
#
# How blocks run: a copy of the source tree (tracked and untracked files,
# not ignored ones) in a temporary directory is the working directory; the
# build directories of that copy (build/mockserver, build/client/cli,
# build/conformance) lead PATH, as the documents assume once they have
# built; each block runs in `bash -e` (a failing command fails the block),
# its variables and directory carried to the next block of the same
# document; curl answers an HTTP error with a failure (a .curlrc with
# --fail), so a command the server refuses fails its block; make
# runs at most DOC_COMMANDS_JOBS (2) jobs, whatever -j the text gives. Every
# process a document started is stopped after its last block. When the
# machine allows it (root, unshare, ip), the whole run is in a private
# network namespace, so port 8080 is free and nothing reaches another
# server; otherwise it runs on the host's loopback.
set -euo pipefail

# ---- driver mode: one block, in its own bash (called by run_block below);
# first, so that none of this script's variables leak into the block ----
if [ "${1:-}" = "--block" ]; then
  __doc_state=$2 __doc_block=$3 __doc_baseline=$4
  # shellcheck disable=SC1090
  source "$__doc_state"
  __doc_save() {
    local rc=$?
    {
      export -p
      local v
      for v in $(compgen -v | grep -vxF -f "$__doc_baseline" | grep -v '^__doc_'); do
        declare -p "$v" 2>/dev/null || true
      done
      printf 'cd %q\n' "$PWD"
    } >"$__doc_state.new" 2>/dev/null && mv "$__doc_state.new" "$__doc_state"
    exit "$rc"
  }
  trap __doc_save EXIT
  # As a reader's shell, but a failing command fails the block.
  set +u +o pipefail
  set -e
  # shellcheck disable=SC1090
  source "$__doc_block"
  exit 0
fi

case "${1:-}" in
  -h|--help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
esac

here=$(cd "$(dirname "$0")/.." && pwd)
# README.md first: it builds build/, which the later documents find built.
DOCS=(README.md client/README.md conformance/README.md docs/CI.md docs/DRIFT.md helpers/README.md
      docs/RELIABILITY.md docs/BENCHMARK.md docs/API.md docs/DESIGN.md)
default_docs=1
skip_file=${DOC_COMMANDS_SKIP:-"$here/ci/doc-commands.skip"}
block_timeout=${DOC_BLOCK_TIMEOUT:-600}

# ps (procps) finds what the blocks left running; ip (iproute2) brings up the
# private namespace's loopback. Once, before the namespace and the session.
if [ -z "${DOC_COMMANDS_SESSION:-}" ] && [ -z "${DOC_COMMANDS_IN_NS:-}" ]; then
  bash "$here/ci/install-deps.sh" procps iproute2
fi

# ---- network namespace ----
if [ -z "${DOC_COMMANDS_IN_NS:-}" ] && [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null &&
   command -v ip >/dev/null && unshare -n true 2>/dev/null; then
  export DOC_COMMANDS_IN_NS=1
  exec unshare -n bash -c 'ip link set lo up && exec bash "$0" "$@"' "$0" "$@"
fi
# A session of its own, so that what the documents leave running can be
# found (by session id) and stopped.
if [ -z "${DOC_COMMANDS_SESSION:-}" ]; then
  export DOC_COMMANDS_SESSION=1
  exec setsid --wait bash "$0" "$@"
fi
if [ -n "${DOC_COMMANDS_IN_NS:-}" ]; then
  echo "doc-commands: in a private network namespace"
else
  echo "doc-commands: on the host's network (no private namespace here)"
fi

[ $# -gt 0 ] && DOCS=("$@") && default_docs=0

work=$(mktemp -d /tmp/doc-commands.XXXXXX)
meta=$(mktemp -d /tmp/doc-commands-meta.XXXXXX)
cleanup() { rm -rf "$work" "$meta"; }
trap cleanup EXIT

# The source tree as a clone would have it (plus files not committed yet).
if git -C "$here" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  (cd "$here" && git ls-files -z --cached --others --exclude-standard | tar --ignore-failed-read --null -T - -cf - 2>/dev/null) | (cd "$work" && tar -xf -)
else
  # Not a clone (an unpacked archive): everything but build output.
  (cd "$here" && tar --exclude='./build*' --exclude='./demo-out' -cf - .) | (cd "$work" && tar -xf -)
fi
printf 'fail\nshow-error\n' >"$meta/.curlrc"
export CURL_HOME=$meta
# The documents say `cmake --build build -j`: unbounded parallel compiles.
# On a shared machine that is dozens of compilers; make (which cmake finds
# on PATH) is capped at DOC_COMMANDS_JOBS (2) jobs, the last -j winning.
mkdir -p "$meta/bin"
real_make=$(command -v make)
for name in make gmake; do
  printf '#!/bin/sh\nexec %s "$@" -j%s\n' "$real_make" "${DOC_COMMANDS_JOBS:-2}" >"$meta/bin/$name"
  chmod +x "$meta/bin/$name"
done
export PATH="$work/build/mockserver:$work/build/client/cli:$work/build/conformance:$meta/bin:$PATH"
unset DESCOVO_BASE_URL DESCOVO_API_KEY DESCOVO_API_KEY_2 DESCOVO_MOCK DESCOVO_MOCK_BIN DESCOVO_DEBUG
bash --noprofile --norc -c 'compgen -v' >"$meta/baseline"
printf '%s\n' BASH_REMATCH >>"$meta/baseline"

trim() { sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' <<<"$1"; }

# The skip-list entry of FILE and a block's first line: "ACTION: REASON".
lookup() {
  local file=$1 first
  first=$(trim "$2")
  [ -f "$skip_file" ] || return 1
  local line f rest key action
  while IFS= read -r line; do
    case "$line" in ''|'#'*) continue ;; esac
    f=$(trim "${line%% | *}")
    rest=${line#* | }
    action=$(trim "${rest##* | }")
    key=$(trim "${rest% | *}")
    if [ "$f" = "$file" ] && [ "$key" = "$first" ]; then
      printf '%s\n' "$action"
      return 0
    fi
  done <"$skip_file"
  return 1
}

# Splits a Markdown file into blocks: meta/blocks/N.{kind,line,text}, where
# kind is "shell", "c" or "other". Fences may be indented up to 3 spaces (mawk: no {m,n} in regexps).
extract() {
  local doc=$1 out=$2
  mkdir -p "$out"
  awk -v out="$out" '
    function flush() { if (n > 0) { close(out "/" n ".text") } }
    function start(kind, line) { n++; printf "%s", kind > (out "/" n ".kind"); close(out "/" n ".kind");
                                 printf "%d", line > (out "/" n ".line"); close(out "/" n ".line");
                                 printf "" > (out "/" n ".text") }
    function spaces(k,   t) { t = ""; while (k-- > 0) t = t " "; return t }
    BEGIN { n = 0; infence = 0; inindent = 0; prev_blank = 1; prev_para = 0; item = "" }
    {
      line = $0
      if (infence) {
        if (line ~ ("^ ? ? ?" fence "[ \t]*$")) { infence = 0; flush(); prev_blank = 0; next }
        for (k = 0; k < indent && substr(line, 1, 1) == " "; k++) line = substr(line, 2)
        print line >> (out "/" n ".text"); next
      }
      if (line ~ /^ ? ? ?(```|~~~)/) {
        lead = line; sub(/[`~].*$/, "", lead); indent = length(lead)
        fence = substr(line, indent + 1); sub(/[^`~].*$/, "", fence)
        info = substr(line, indent + length(fence) + 1); gsub(/^[ \t]+|[ \t]+$/, "", info); sub(/[ \t{].*$/, "", info)
        if (info == "" || info == "sh" || info == "bash" || info == "shell" || info == "console") kind = "shell"
        else if (info == "c") kind = "c"
        else kind = "other"
        start(kind, NR); infence = 1; inindent = 0; next
      }
      if (inindent) {
        if (substr(line, 1, length(cut)) == cut || line ~ /^[ \t]*$/) { print substr(line, length(cut) + 1) >> (out "/" n ".text"); next }
        inindent = 0; flush()
      }
      if (line ~ /^    [^ ]/ && prev_blank && prev_para) {
        cut = "    "; start("shell", NR); inindent = 1; print substr(line, 5) >> (out "/" n ".text"); next
      }
      # Inside a list item: four spaces past the text of the item, after a blank line.
      if (item != "" && prev_blank && substr(line, 1, length(item)) == item && substr(line, length(item) + 1, 1) ~ /[^ ]/) {
        cut = item; start("shell", NR); inindent = 1; print substr(line, length(cut) + 1) >> (out "/" n ".text"); next
      }
      blank = (line ~ /^[ \t]*$/)
      if (!blank && match(line, /^ *([-*+]|[0-9]+[.)]) +/)) item = spaces(RLENGTH + 4)
      else if (!blank && line !~ /^ /) item = ""
      if (!blank) prev_para = (line !~ /^ *([-*+]|[0-9]+[.)]) / && line !~ /^ /) || (prev_blank == 0 && prev_para)
      prev_blank = blank
    }
    END { flush(); print n > (out "/count") }
  ' "$doc"
}

# The children of a process, by id.
children_of() { ps -o pid= --ppid "$1" 2>/dev/null | tr -d ' ' || true; }

# Runs one block in the document's session. $1 state, $2 block file,
# $3 log, $4 mode (run|interrupt), $5 the command to interrupt. Returns the
# block's status.
run_block() {
  local state=$1 block=$2 log=$3 mode=$4 target=${5:-}
  (cd "$work" && exec bash --noprofile --norc "$here/ci/doc-commands.sh" --block "$state" "$block" "$meta/baseline") \
    </dev/null >"$log" 2>&1 &
  local pid=$! waited=0 ticks=0
  while kill -0 "$pid" 2>/dev/null; do
    sleep 0.1
    ticks=$((ticks + 1))
    if [ "$mode" = interrupt ] && [ $((ticks % 5)) -eq 0 ]; then
      local child
      for child in $(children_of "$pid"); do
        if [ "$(ps -o comm= -p "$child" 2>/dev/null)" = "$target" ] &&
           [ "$(ps -o etimes= -p "$child" 2>/dev/null | tr -d ' ')" -ge 2 ] 2>/dev/null; then
          kill -INT "$child" 2>/dev/null || true
        fi
      done
    fi
    if [ $((ticks / 10)) -ge "$block_timeout" ]; then
      echo "doc-commands: block still running after ${block_timeout} s: stopped" >>"$log"
      local child
      for child in $(children_of "$pid"); do kill -TERM "$child" 2>/dev/null || true; done
      kill -TERM "$pid" 2>/dev/null || true
      waited=1
      break
    fi
  done
  local rc=0
  wait "$pid" || rc=$?
  [ "$waited" -eq 0 ] || rc=124
  return "$rc"
}

# Stops every process whose session is sid (what a document left running).
stop_session() {
  local sid=$1 pid
  for pid in $(ps -o pid= -s "$sid" 2>/dev/null); do
    [ "$pid" = "$$" ] || kill -TERM "$pid" 2>/dev/null || true
  done
  sleep 0.2
  for pid in $(ps -o pid= -s "$sid" 2>/dev/null); do
    [ "$pid" = "$$" ] || kill -KILL "$pid" 2>/dev/null || true
  done
}

# Runs a mock on 127.0.0.1:8080 for a "mock" block; echoes its pid.
start_mock_8080() {
  # shellcheck disable=SC2086
  "$work/build/mockserver/descovo-mock" --port 8080 --quiet $1 >"$meta/mock8080.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 100); do
    curl -s -o /dev/null "http://127.0.0.1:8080/_mock/health" 2>/dev/null && break
    sleep 0.05
  done
  echo "$pid"
}

passed=0 failed=0 skipped=0 written=0
failures=()

# One document: every block in order; stops at its first failure.
run_document() {
  local doc=$1 dir="$meta/blocks/${1//\//_}"
  local state="$meta/state.${1//\//_}"
  : >"$state"
  echo "cd $(printf %q "$work")" >>"$state"
  extract "$work/$doc" "$dir"
  local n i kind line first action log broken=0
  n=$(cat "$dir/count")
  for i in $(seq 1 "$n"); do
    kind=$(cat "$dir/$i.kind")
    line=$(cat "$dir/$i.line")
    first=$(grep -m 1 -v '^[[:space:]]*$' "$dir/$i.text" || true)
    [ "$kind" = other ] && continue
    if [ "$kind" = c ]; then
      local name
      name=$(sed -n '1s|^/\*[[:space:]]*\([A-Za-z0-9_.-]*\.c\)[:[:space:]].*|\1|p' "$dir/$i.text")
      if [ -n "$name" ]; then
        cp "$dir/$i.text" "$work/$name"
        echo "  file  $doc:$line  $name"
        written=$((written + 1))
      fi
      continue
    fi
    action=$(lookup "$doc" "$first" || true)
    if [ "$broken" -eq 1 ]; then
      echo "  ----  $doc:$line  $first  (not run: an earlier block of $doc failed)"
      continue
    fi
    case "$action" in
      skip:*)
        echo "  skip  $doc:$line  $first  (${action#skip: })"
        skipped=$((skipped + 1))
        continue ;;
    esac
    local mode=run mock_pid="" target=""
    case "$action" in
      interrupt*) mode=interrupt; target=$(trim "${action%%:*}"); target=$(trim "${target#interrupt}") ;;
      mock*) local args=${action%%:*}; args=${args#mock}; mock_pid=$(start_mock_8080 "$args") ;;
      '') ;;
      *) echo "doc-commands: $skip_file: unknown action '$action' for $doc | $first"; exit 2 ;;
    esac
    log="$meta/log.${doc//\//_}.$i"
    local started=$SECONDS rc=0
    run_block "$state" "$dir/$i.text" "$log" "$mode" "$target" || rc=$?
    [ -n "$mock_pid" ] && { kill "$mock_pid" 2>/dev/null || true; wait "$mock_pid" 2>/dev/null || true; }
    if [ "$rc" -eq 0 ]; then
      echo "  ok    $doc:$line  $first  ($((SECONDS - started)) s)"
      passed=$((passed + 1))
    else
      echo "  FAIL  $doc:$line  $first  (exit $rc); its output:"
      tail -n 40 "$log" | sed 's/^/        | /'
      failed=$((failed + 1))
      failures+=("$doc:$line")
      broken=1
    fi
  done
}

# A tracked document with a shell block that the list above forgets would
# escape the test: with the default list, that fails the run.
if [ "$default_docs" -eq 1 ] && git -C "$here" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  forgotten=()
  while IFS= read -r doc; do
    printf '%s\n' "${DOCS[@]}" | grep -qxF "$doc" && continue
    dir="$meta/scan/${doc//\//_}"
    extract "$work/$doc" "$dir"
    grep -qx 'shell\|c' "$dir"/*.kind 2>/dev/null && forgotten+=("$doc")
  done < <(git -C "$here" ls-files '*.md')
  if [ "${#forgotten[@]}" -gt 0 ]; then
    echo "doc-commands: ${forgotten[*]}: shell blocks, but not in the DOCS of ci/doc-commands.sh"
    exit 2
  fi
fi

# A skip-list entry that matches no block is stale: the block's first line
# changed, so the block would now run (a benchmark, the whole CI). Checked
# before any block runs, for the documents of this run.
if [ -f "$skip_file" ]; then
  stale=0
  for doc in "${DOCS[@]}"; do
    [ -f "$work/$doc" ] || { echo "doc-commands: no $doc"; exit 2; }
    dir="$meta/firsts/${doc//\//_}"
    extract "$work/$doc" "$dir"
    : >"$dir/firsts"
    for i in $(seq 1 "$(cat "$dir/count")"); do
      [ "$(cat "$dir/$i.kind")" = shell ] || continue
      trim "$(grep -m 1 -v '^[[:space:]]*$' "$dir/$i.text" || true)" >>"$dir/firsts"
    done
  done
  while IFS= read -r entry; do
    case "$entry" in ''|'#'*) continue ;; esac
    f=$(trim "${entry%% | *}"); rest=${entry#* | }; key=$(trim "${rest% | *}")
    printf '%s\n' "${DOCS[@]}" | grep -qxF "$f" || continue
    if ! grep -qxF -- "$key" "$meta/firsts/${f//\//_}/firsts"; then
      echo "doc-commands: $skip_file: no block of $f starts with '$key' (stale entry: update it to the block's first line)"
      stale=1
    fi
  done <"$skip_file"
  [ "$stale" -eq 0 ] || exit 2
fi

for doc in "${DOCS[@]}"; do
  [ -f "$work/$doc" ] || { echo "doc-commands: no $doc"; exit 2; }
  echo "== $doc"
  run_document "$doc"
  # What the document left running in the background (a mock started with
  # &) is in this script's session: stopped, by id, before the next one.
  stop_session "$(ps -o sid= -p $$ | tr -d ' ')"
done

echo "doc-commands: $passed run, $skipped skipped (listed), $written files written, $failed failed"
[ "$failed" -eq 0 ] || { echo "doc-commands: failed: ${failures[*]}"; exit 1; }
