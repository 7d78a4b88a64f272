#!/usr/bin/env bash
# Key and path for caching migcheck's virtualenv between runs (actions/cache), for the GitHub Action.
#
# The default install builds the virtualenv from the action's own checkout, so the key is a hash
# of that checkout's code (pyproject.toml and src/): the same pinned commit gives the same key,
# and a pull-request run restores the virtualenv in seconds instead of installing it. A PyPI
# install (`version:` given) is not cached: a requirement such as ">=0.3" can resolve differently.
#
# Environment (set by action.yml; tests set them directly):
#   MIGCHECK_PYTHON       Python the virtualenv is built with (empty: python3 on PATH)
#   MIGCHECK_VERSION      the action's `version` input
#   MIGCHECK_ACTION_PATH  the action's checkout (github.action_path)
# Writes the outputs `venv` (where the virtualenv goes) and `key` (empty: do not cache).
set -euo pipefail

python="${MIGCHECK_PYTHON:-}"
if [ -z "$python" ]; then
  python="$(command -v python3 || command -v python || true)"
fi
venv="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/migcheck-venv"
key=""
version="$(printf '%s' "${MIGCHECK_VERSION:-}" | tr -d '[:space:]')"
if [ -n "$python" ] && { [ -z "$version" ] || [ "$version" = source ]; } \
  && [ -f "${MIGCHECK_ACTION_PATH:-}/pyproject.toml" ]; then
  key="$("$python" - "$MIGCHECK_ACTION_PATH" <<'PY'
import hashlib
import platform
import sys
from pathlib import Path

root = Path(sys.argv[1])
digest = hashlib.sha256()
files = [root / "pyproject.toml", *sorted((root / "src").rglob("*"))]
for path in files:
    if path.is_file() and "__pycache__" not in path.parts:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
# The virtualenv points at its interpreter: another Python (or another place for it) is another key.
where = hashlib.sha256(sys.executable.encode()).hexdigest()[:8]
print(f"migcheck-venv-{platform.system()}-py{platform.python_version()}-{where}-{digest.hexdigest()[:20]}")
PY
)"
fi
echo "Virtualenv cache key: ${key:-(none; not cached)}"
{
  echo "venv=$venv"
  echo "key=$key"
} >> "${GITHUB_OUTPUT:-/dev/null}"
