#!/usr/bin/env bash
# Run migcheck for the GitHub Action: annotations in the log, counts as step outputs,
# a markdown report in the job summary and SARIF when asked for.
#
# Environment (set by action.yml; tests set them directly):
#   MIGCHECK_BIN       the migcheck executable (default: migcheck on PATH)
#   MIGCHECK_PYTHON    a Python to split arguments and read the JSON report (default: python3)
#   INPUT_PATH INPUT_ARGS INPUT_FAIL_ON INPUT_BASE INPUT_SARIF_FILE INPUT_SUMMARY INPUT_ANNOTATIONS
#   GITHUB_OUTPUT GITHUB_STEP_SUMMARY RUNNER_TEMP (from the runner)
# Exits with migcheck's exit code: 0 clean, 1 findings at or above fail-on, 2 usage or input error.
set -uo pipefail

migcheck="${MIGCHECK_BIN:-migcheck}"
python="${MIGCHECK_PYTHON:-python3}"
outputs="${GITHUB_OUTPUT:-/dev/null}"
work="$(mktemp -d "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/migcheck.XXXXXX")"
trap 'rm -rf "$work"' EXIT

is_true() {
  case "$(printf '%s' "${1:-}" | tr '[:upper:]' '[:lower:]')" in
    true | yes | on | 1) return 0 ;;
    *) return 1 ;;
  esac
}

# Shell-like splitting (quotes respected, no globbing) of an input into NUL-separated words.
split_words() {
  "$python" -c 'import shlex, sys; sys.stdout.write("".join(w + "\0" for w in shlex.split(sys.argv[1])))' "$1" \
    > "$2" || { echo "::error title=migcheck::cannot split $3: $1"; exit 2; }
}

# A branch name that exists only as a remote-tracking branch (actions/checkout) is used as origin/NAME.
resolve_base() {
  if git rev-parse --verify --quiet "$1^{commit}" > /dev/null 2>&1; then
    printf '%s' "$1"
  elif git rev-parse --verify --quiet "origin/$1^{commit}" > /dev/null 2>&1; then
    printf '%s' "origin/$1"
  else
    printf '%s' "$1"  # migcheck says what is missing and what to fetch
  fi
}

split_words "${INPUT_PATH:-.}" "$work/paths" "path"
split_words "${INPUT_ARGS:-}" "$work/args" "args"
paths=()
while IFS= read -r -d '' word; do paths+=("$word"); done < "$work/paths"
extra=()
while IFS= read -r -d '' word; do extra+=("$word"); done < "$work/args"
[ "${#paths[@]}" -gt 0 ] || paths=(.)

cmd=("$migcheck" lint "${paths[@]}" --fail-on "${INPUT_FAIL_ON:-error}" --format "json:$work/report.json")
if is_true "${INPUT_ANNOTATIONS:-true}"; then
  cmd+=(--format github)
fi
if is_true "${INPUT_SUMMARY:-true}" && [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  cmd+=(--format "markdown:$work/summary.md")
fi
if [ -n "${INPUT_SARIF_FILE:-}" ]; then
  cmd+=(--format "sarif:$INPUT_SARIF_FILE")
fi
if [ -n "${INPUT_BASE:-}" ]; then
  cmd+=(--base "$(resolve_base "$INPUT_BASE")")
fi
cmd+=(${extra[@]+"${extra[@]}"})

printf 'Running:'
printf ' %q' "${cmd[@]}"
printf '\n'
"${cmd[@]}"
code=$?

if [ -s "$work/report.json" ]; then
  "$python" - "$work/report.json" >> "$outputs" <<'PY'
import json
import sys

with open(sys.argv[1], encoding="utf-8") as handle:
    summary = json.load(handle)["summary"]
counts = summary["by_severity"]
print(f"findings={summary['findings']}")
print(f"errors={counts.get('error', 0)}")
print(f"warnings={counts.get('warning', 0)}")
print(f"info={counts.get('info', 0)}")
print(f"suppressed={summary['suppressed']}")
PY
fi
echo "exit-code=$code" >> "$outputs"
if [ -n "${INPUT_SARIF_FILE:-}" ] && [ -f "$INPUT_SARIF_FILE" ]; then
  echo "sarif-file=$INPUT_SARIF_FILE" >> "$outputs"
fi

if [ -n "${GITHUB_STEP_SUMMARY:-}" ] && is_true "${INPUT_SUMMARY:-true}"; then
  if [ -s "$work/summary.md" ]; then
    cat "$work/summary.md" >> "$GITHUB_STEP_SUMMARY"
  elif [ "$code" -ge 2 ]; then
    printf '### migcheck\n\nmigcheck could not run (exit code %s); the step log says why.\n' "$code" \
      >> "$GITHUB_STEP_SUMMARY"
  fi
fi
if [ "$code" -ge 2 ]; then
  echo "::error title=migcheck::migcheck could not run (exit code $code); see the message above"
fi
exit "$code"
