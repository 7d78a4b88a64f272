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
