"""Real git repositories in temp directories: repository-relative paths, the Action, pre-commit."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

GIT_ENV = {
    "GIT_AUTHOR_NAME": "migcheck tests",
    "GIT_AUTHOR_EMAIL": "tests@migcheck.invalid",
    "GIT_COMMITTER_NAME": "migcheck tests",
    "GIT_COMMITTER_EMAIL": "tests@migcheck.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV}
    done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def make_repo(dest: Path, *, copy: Path | None = None, into: str = "", branch: str = "main") -> Path:
    """``git init`` at ``dest``, optionally with ``copy`` placed at ``dest/into``, all committed."""
    dest.mkdir(parents=True, exist_ok=True)
    if copy is not None:
        shutil.copytree(copy, dest / into if into else dest, dirs_exist_ok=True)
    git(dest, "init", "-q", "-b", branch)
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "--allow-empty", "-m", "initial")
    return dest


# What a user's copy of the project holds: the working tree without version control, caches,
# virtualenvs, or the (large) test suite and fixtures.
SNAPSHOT_IGNORE = shutil.ignore_patterns(
    ".git", ".venv*", "tests", "fixtures", "benchmarks", "*.egg-info", "__pycache__", ".*_cache",
    "build", "dist",
)


def tagless_commit(source: Path, dest: Path) -> tuple[Path, str]:
    """This working tree (uncommitted edits included) committed to a fresh repository without tags.

    It stands in for `OWNER/migcheck` at a commit that no release tag names, which is how the
    Action and the pre-commit hook are used until there are releases: pinned by SHA.
    """
    shutil.copytree(source, dest, ignore=SNAPSHOT_IGNORE)
    make_repo(dest)
    sha = git(dest, "rev-parse", "HEAD")
    assert git(dest, "tag", "--list") == ""
    return dest, sha
