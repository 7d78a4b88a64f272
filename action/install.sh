#!/usr/bin/env bash
# Install migcheck for the GitHub Action, into a virtualenv of its own so the job's Python
# and packages stay as they were.
#
# Environment (set by action.yml; tests set them directly):
#   MIGCHECK_PYTHON       Python to build the virtualenv with (empty: python3 on PATH)
#   MIGCHECK_VERSION      empty: newest alembic-migcheck from PyPI; 1.2.3 or v1.2.3: that release;
#                         a requirement such as ">=0.3,<0.4"; "source": MIGCHECK_ACTION_PATH itself
#   MIGCHECK_ACTION_PATH  the action's checkout (github.action_path)
#   MIGCHECK_VENV         where the virtualenv goes (default: $RUNNER_TEMP/migcheck-venv)
# Writes the outputs `migcheck` (the executable) and `python` (the virtualenv's) to $GITHUB_OUTPUT.
set -euo pipefail

python="${MIGCHECK_PYTHON:-}"
if [ -z "$python" ]; then
  python="$(command -v python3 || command -v python || true)"
fi
if [ -z "$python" ]; then
  echo "::error title=migcheck::no Python found; set the action's python-version input"
  exit 2
fi

version="${MIGCHECK_VERSION:-}"
version="${version#"${version%%[![:space:]]*}"}"
version="${version%"${version##*[![:space:]]}"}"
case "$version" in
  "") requirement="alembic-migcheck" ;;
  source)
    if [ -z "${MIGCHECK_ACTION_PATH:-}" ] || [ ! -f "$MIGCHECK_ACTION_PATH/pyproject.toml" ]; then
      echo "::error title=migcheck::version: source needs the action's checkout, found none at '${MIGCHECK_ACTION_PATH:-}'"
      exit 2
    fi
    requirement="$MIGCHECK_ACTION_PATH" ;;
  v[0-9]*) requirement="alembic-migcheck==${version#v}" ;;
  [0-9]*) requirement="alembic-migcheck==$version" ;;
  [\<\>=!~]*) requirement="alembic-migcheck$version" ;;
  *)
    echo "::error title=migcheck::version '$version' is neither a release (0.3.1), a requirement (>=0.3) nor 'source'"
    exit 2 ;;
esac

venv="${MIGCHECK_VENV:-${RUNNER_TEMP:-${TMPDIR:-/tmp}}/migcheck-venv}"
"$python" -m venv "$venv"
if [ -d "$venv/Scripts" ] && [ ! -d "$venv/bin" ]; then bin="$venv/Scripts"; else bin="$venv/bin"; fi

echo "Installing $requirement"
"$bin/python" -m pip install --quiet --disable-pip-version-check "$requirement"
"$bin/migcheck" --version

{
  echo "migcheck=$bin/migcheck"
  echo "python=$bin/python"
} >> "${GITHUB_OUTPUT:-/dev/null}"
