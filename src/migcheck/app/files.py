"""Where the application's source is read from: the working tree, or a git commit.

Both give text by project-relative POSIX path and never reach outside the project: ``..``,
absolute paths and symlinks that leave the project (or, in git, any symlink) read as missing.
Reading from git goes through ``gitbase``'s helpers, so the hardened git invocation applies.

A file that exists but is not read (a symlink out of the project, a FIFO or device, over
``MAX_FILE_BYTES``, not UTF-8) is recorded in ``refused`` with the reason, so the reader can say
so and count what it may map as unknown: a pull request must not hide a model by making its
file unreadable.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from migcheck.gitbase import Checkout

MAX_FILE_BYTES = 2_000_000


def _clean(rel: str) -> str | None:
    """``rel`` normalised, or None when it is absolute or climbs out with ``..``."""
    if not rel or rel.startswith("/") or "\\" in rel or "\0" in rel:
        return None if rel != "" else ""
    parts = [p for p in rel.split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts):
        return None
    return "/".join(parts)


class ProjectFiles(Protocol):
    root: Path
    #: project-relative path -> why a file that is there was not read
    refused: dict[str, str]

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
        self.refused: dict[str, str] = {}
        self._folders: dict[str, frozenset[str]] = {}

    def _path(self, rel: str) -> Path | None:
        """The path when it exists inside the project (symlinks resolved), else None; memoised, and
        cheap for the many module names that do not exist."""
        if rel in self._memo:
            return self._memo[rel]
        clean = _clean(rel)
        found: Path | None = None
        folder, _, name = (clean or "").rpartition("/")
        if clean and name not in self._listing(folder):
            clean = None  # most module names looked up do not exist: a set lookup, no path made
        if clean is not None:
            path = self.root / clean if clean else self.root
            if os.path.lexists(path):
                try:
                    real = path.resolve()
                except (OSError, RuntimeError):
                    real = None
                if real is not None and (real == self._real or real.is_relative_to(self._real)):
                    found = path
                else:
                    self.refused[clean] = "a symlink that leads out of the project"
        self._memo[rel] = found
        return found

    def _listing(self, folder: str) -> frozenset[str]:
        """The names in a project folder (empty when it is not one), listed once."""
        if folder not in self._folders:
            above, _, name = folder.rpartition("/")
            if folder and name not in self._listing(above):
                self._folders[folder] = frozenset()  # ``app/models/Account/``: not even looked for
                return self._folders[folder]
            try:
                self._folders[folder] = frozenset(os.listdir(self.root / folder if folder else self.root))
            except OSError:
                self._folders[folder] = frozenset()
        return self._folders[folder]

    def read(self, rel: str) -> str | None:
        path = self._path(rel)
        if path is None or not self.is_file(rel):
            return None
        from migcheck.readfile import UnreadableFile, read_regular

        try:  # opened non-blocking and checked on the descriptor, like every other file of the tree
            return read_regular(path, MAX_FILE_BYTES).decode("utf-8-sig")
        except UnicodeDecodeError:
            self.refused[str(_clean(rel))] = "not UTF-8 text"
        except UnreadableFile as exc:
            reason = str(exc)
            with contextlib.suppress(OSError):
                if stat.S_ISREG(path.stat().st_mode) and path.stat().st_size > MAX_FILE_BYTES:
                    reason = f"larger than {MAX_FILE_BYTES:,} bytes"
            self.refused[str(_clean(rel))] = reason
        return None

    def is_file(self, rel: str) -> bool:
        path = self._path(rel)
        if path is None:
            return False
        try:
            mode = path.stat().st_mode
        except OSError:
            return False
        if not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
            self.refused[str(_clean(rel))] = "not a regular file (a FIFO, socket or device)"
        return stat.S_ISREG(mode)

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
        self._links: set[str] = set()
        self.refused: dict[str, str] = {}
        for path, mode in tree_entries(repo, rev, self._prefix or "."):
            rel = path[len(self._prefix) + 1:] if self._prefix else path
            if not rel:
                continue
            if mode == "120000":
                self._links.add(rel)  # a symlink may point anywhere: never followed
                continue
            self._files.add(rel)
            parent = PurePosixPath(rel).parent
            while str(parent) not in self._dirs and str(parent) != ".":
                self._dirs.add(str(parent))
                parent = parent.parent

    def read(self, rel: str) -> str | None:
        from migcheck.gitbase import blob_sizes, blobs

        clean = _clean(rel)
        if clean is None or clean not in self._files:
            return None
        if clean not in self._cache:
            spec = f"{self.rev}:{self._prefix + '/' if self._prefix else ''}{clean}"
            # the size first: a pull request can commit a gigabyte that compresses to a kilobyte
            size = blob_sizes(self.repo, [spec])[0]
            text: str | None = None
            if size is not None and size > MAX_FILE_BYTES:
                self.refused[clean] = f"larger than {MAX_FILE_BYTES:,} bytes"
            elif size is not None:
                text = blobs(self.repo, [spec])[0]
                if text is None:
                    self.refused[clean] = "not UTF-8 text"
            self._cache[clean] = text
        return self._cache[clean]

    def is_file(self, rel: str) -> bool:
        clean = _clean(rel)
        if clean is not None and clean in self._links:
            self.refused[clean] = "a symlink (never followed in a commit)"
        return clean is not None and clean in self._files

    def is_dir(self, rel: str) -> bool:
        clean = _clean(rel)
        return clean is not None and clean in self._dirs

    def display(self, rel: str) -> Path:
        return self.root / rel
