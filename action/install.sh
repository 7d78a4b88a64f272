#!/usr/bin/env bash
# Install migcheck for the GitHub Action, into a virtualenv of its own so the job's Python
# and packages stay as they were.
#
# By default migcheck comes from the action's own checkout (github.action_path): the action runs
# exactly the migcheck of the commit or tag it was pinned to, with no release needed. PyPI
# (package alembic-migcheck) is used only when `version:` names a release or a requirement.
#
# Environment (set by action.yml; tests set them directly):
#   MIGCHECK_PYTHON       Python to build the virtualenv with (empty: python3 on PATH)
#   MIGCHECK_VERSION      empty or "source": the action's checkout; 1.2.3 or v1.2.3: that release
#                         from PyPI; a requirement such as ">=0.3,<0.4"
#   MIGCHECK_ACTION_PATH  the action's checkout (github.action_path)
#   MIGCHECK_VENV         where the virtualenv goes (default: $RUNNER_TEMP/migcheck-venv)
#   MIGCHECK_CACHE_KEY    the key the virtualenv was cached under (action/cache-key.sh): a
#                         virtualenv restored with this key is used as it is
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
  "" | source)
    if [ -z "${MIGCHECK_ACTION_PATH:-}" ] || [ ! -f "$MIGCHECK_ACTION_PATH/pyproject.toml" ]; then
      echo "::error title=migcheck::the action's checkout is not at '${MIGCHECK_ACTION_PATH:-}' (no pyproject.toml); set version: to install a release from PyPI"
      exit 2
    fi
    requirement="$MIGCHECK_ACTION_PATH"
    origin="the action's checkout" ;;
  v[0-9]*) requirement="alembic-migcheck==${version#v}"; origin="PyPI" ;;
  [0-9]*) requirement="alembic-migcheck==$version"; origin="PyPI" ;;
  [\<\>=!~]*) requirement="alembic-migcheck$version"; origin="PyPI" ;;
  *)
    echo "::error title=migcheck::version '$version' is neither a release (0.3.1), a requirement (>=0.3) nor empty (the action's own checkout)"
    exit 2 ;;
esac

venv="${MIGCHECK_VENV:-${RUNNER_TEMP:-${TMPDIR:-/tmp}}/migcheck-venv}"
bin_of() {
  if [ -d "$1/Scripts" ] && [ ! -d "$1/bin" ]; then printf '%s' "$1/Scripts"; else printf '%s' "$1/bin"; fi
}
marker="$venv/.migcheck-cache-key"
key="${MIGCHECK_CACHE_KEY:-}"
bin="$(bin_of "$venv")"
if [ -n "$key" ] && [ -f "$marker" ] && [ "$(cat "$marker")" = "$key" ] \
  && "$bin/migcheck" --version > /dev/null 2>&1; then
  echo "Using the cached virtualenv ($key)"
else
  rm -rf "$venv"
  "$python" -m venv "$venv"
  bin="$(bin_of "$venv")"
  echo "Installing $requirement (from $origin)"
  log="$(mktemp)"
  if ! "$bin/python" -m pip install --quiet --disable-pip-version-check "$requirement" > "$log" 2>&1; then
    echo "::group::pip's output"
    cat "$log"
    echo "::endgroup::"
    if [ "$origin" = PyPI ] && grep -qiE "no matching distribution|could not find a version" "$log"; then
      echo "::error title=migcheck::alembic-migcheck has no release matching '$version' on PyPI; leave version: empty to run the action's own checkout (the commit you pinned)"
    else
      echo "::error title=migcheck::installing $requirement with pip failed (pip's output is in the group above)"
    fi
    rm -f "$log"
    rm -rf "$venv"
    exit 2
  fi
  rm -f "$log"
  if [ -n "$key" ]; then printf '%s' "$key" > "$marker"; fi
fi
"$bin/migcheck" --version

{
  echo "migcheck=$bin/migcheck"
  echo "python=$bin/python"
} >> "${GITHUB_OUTPUT:-/dev/null}"
