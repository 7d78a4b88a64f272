"""Where findings live, as the places that show them expect it.

Findings carry paths relative to the working directory (what a terminal
user clicks). GitHub annotations, SARIF and links in a job summary need them
relative to the repository root instead: ``migcheck lint backend/migrations``
run from ``backend/`` must still annotate ``backend/migrations/...``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path, PurePosixPath


@lru_cache(maxsize=8)
def _root_above(start: Path) -> Path:
    for folder in (start, *start.parents):
        # A directory for a plain clone; a file for worktrees and submodules.
        if (folder / ".git").exists():
            return folder
    return start


def repo_root(cwd: Path | None = None) -> Path:
    """The git top level above ``cwd`` (found without running git), else ``cwd`` itself."""
    return _root_above((cwd or Path.cwd()).resolve())


def repo_relative(path: str, root: Path | None = None, cwd: Path | None = None) -> str | None:
    """``path`` (relative to ``cwd``) as a POSIX path relative to ``root``; None when outside it."""
    base = (cwd or Path.cwd()).resolve()
    top = root or repo_root(base)
    absolute = Path(os.path.normpath(base / path))
    try:
        return PurePosixPath(absolute.relative_to(top)).as_posix()
    except ValueError:
        return None


def annotation_path(path: str, root: Path | None = None, cwd: Path | None = None) -> str:
    """The path GitHub resolves against the workspace: repository-relative when possible."""
    relative = repo_relative(path, root, cwd)
    return relative if relative is not None else Path(path).as_posix()


def github_blob_base(env: Mapping[str, str]) -> str | None:
    """``https://github.com/OWNER/REPO/blob/SHA/`` inside a GitHub Actions run, else None.

    ``GITHUB_SHA`` is the commit that was checked out and linted (the merge
    commit on ``pull_request`` events), so line numbers in links match.
    """
    server = env.get("GITHUB_SERVER_URL", "").rstrip("/")
    repository = env.get("GITHUB_REPOSITORY", "")
    sha = env.get("GITHUB_SHA", "")
    if not (server and repository and sha):
        return None
    return f"{server}/{repository}/blob/{sha}/"
