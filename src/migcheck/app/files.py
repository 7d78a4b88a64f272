"""Where the application's source is read from: the working tree, or a git commit.

Both give text by project-relative POSIX path and never reach outside the project: ``..``,
absolute paths and symlinks that leave the project (or, in git, any symlink) read as missing.
Reading from git goes through ``gitbase``'s helpers, so the hardened git invocation applies.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from migcheck.gitbase import Checkout

MAX_FILE_BYTES = 2_000_000


def _clean(rel: str) -> str | None:
    """``rel`` normalised, or None when it is absolute or climbs out with ``..``."""
    if not rel or rel.startswith("/") or "\\" in rel or "\0" in rel:
        return None if rel != "" else ""
    parts = [p for p in PurePosixPath(rel).parts if p not in ("", ".")]
    if any(p == ".." for p in parts):
        return None
    return "/".join(parts)


class ProjectFiles(Protocol):
    root: Path

    def read(self, rel: str) -> str | None: ...

    def is_file(self, rel: str) -> bool: ...

    def is_dir(self, rel: str) -> bool: ...

    def display(self, rel: str) -> Path: ...


class WorkingTree:
    """Files on disk under ``root``; symlinks are followed only while they stay inside it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._real = root.resolve()
        self._memo: dict[str, Path | None] = {}

    def _path(self, rel: str) -> Path | None:
        """The path when it exists inside the project (symlinks resolved), else None; memoised, and
        cheap for the many module names that do not exist."""
        if rel in self._memo:
            return self._memo[rel]
        clean = _clean(rel)
        found: Path | None = None
        if clean is not None:
            path = self.root / clean if clean else self.root
            if os.path.lexists(path):
                try:
                    real = path.resolve()
                except (OSError, RuntimeError):
                    real = None
                if real is not None and (real == self._real or real.is_relative_to(self._real)):
                    found = path
        self._memo[rel] = found
        return found

    def read(self, rel: str) -> str | None:
        path = self._path(rel)
        if path is None or not path.is_file():
            return None
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                return None
            return path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError):
            return None

    def is_file(self, rel: str) -> bool:
        path = self._path(rel)
        return path is not None and path.is_file()

    def is_dir(self, rel: str) -> bool:
        path = self._path(rel)
        return path is not None and path.is_dir()

    def display(self, rel: str) -> Path:
        return self.root / rel


class GitTree:
    """Files of commit ``rev`` under ``prefix`` (the project's folder in the repository)."""

    def __init__(self, repo: Checkout, rev: str, prefix: str, root: Path) -> None:
        from migcheck.gitbase import tree_entries

        self.repo, self.rev, self.root = repo, rev, root
        self._prefix = prefix.strip("/")
        self._files: set[str] = set()
        self._dirs: set[str] = {""}
        self._cache: dict[str, str | None] = {}
        for path, mode in tree_entries(repo, rev, self._prefix or "."):
            rel = path[len(self._prefix) + 1:] if self._prefix else path
            if mode == "120000" or not rel:
                continue  # a symlink may point anywhere: never followed
            self._files.add(rel)
            parent = PurePosixPath(rel).parent
            while str(parent) not in self._dirs and str(parent) != ".":
                self._dirs.add(str(parent))
                parent = parent.parent

    def read(self, rel: str) -> str | None:
        from migcheck.gitbase import blobs

        clean = _clean(rel)
        if clean is None or clean not in self._files:
            return None
        if clean not in self._cache:
            spec = f"{self.rev}:{self._prefix + '/' if self._prefix else ''}{clean}"
            text = blobs(self.repo, [spec])[0]
            self._cache[clean] = text if text is None or len(text) <= MAX_FILE_BYTES else None
        return self._cache[clean]

    def is_file(self, rel: str) -> bool:
        clean = _clean(rel)
        return clean is not None and clean in self._files

    def is_dir(self, rel: str) -> bool:
        clean = _clean(rel)
        return clean is not None and clean in self._dirs

    def display(self, rel: str) -> Path:
        return self.root / rel
