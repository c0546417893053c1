# shellcheck shell=bash
# Sourced by quickstart.sh and compose-up.sh: long steps say what runs and for how long,
# instead of going quiet. Messages go to stderr (stdout stays for what the step prints).
# Callers set PROGRESS_PREFIX (e.g. "[quickstart]").

: "${PROGRESS_PREFIX:=[progress]}"
# Seconds between the "still running" lines of a step.
: "${PROGRESS_EVERY:=5}"

# step LABEL COMMAND...: run COMMAND; say "LABEL ..." first, "LABEL: N s ..." every
# PROGRESS_EVERY seconds while it runs, and "LABEL: done in N s" (or its exit code) at the end.
# Returns COMMAND's exit code.
step() {
  local label=$1 started ticker rc=0
  shift
  started=$(date +%s)
  echo "$PROGRESS_PREFIX $label ..." >&2
  # The ticker's own sleep is killed with it: a sleep left behind would hold stderr open, and a
  # caller that reads the output ($(...), a pipe, execFile) would wait for it, up to PROGRESS_EVERY.
  (
    nap=
    trap 'kill "$nap" 2>/dev/null; exit 0' TERM
    while :; do
      sleep "$PROGRESS_EVERY" &
      nap=$!
      wait "$nap"
      echo "$PROGRESS_PREFIX $label: $(($(date +%s) - started)) s ..." >&2
    done
  ) &
  ticker=$!
  "$@" || rc=$?
  kill "$ticker" 2>/dev/null || true
  wait "$ticker" 2>/dev/null || true
  if [ "$rc" -eq 0 ]; then
    echo "$PROGRESS_PREFIX $label: done in $(($(date +%s) - started)) s" >&2
  else
    echo "$PROGRESS_PREFIX $label: failed (exit code $rc) after $(($(date +%s) - started)) s" >&2
  fi
  return "$rc"
}
