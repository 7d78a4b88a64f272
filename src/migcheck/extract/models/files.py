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
from pathlib import Path
from typing import Protocol

MAX_FILE_BYTES = 2_000_000
#: Folders never the application's own code: virtual environments' and tools' (a folder named ``.*`` too).
SKIPPED_FOLDERS = frozenset({"__pycache__", "node_modules", "site-packages", "dist-packages"})


def skipped_folder(name: str) -> bool:
    """A folder ``python_files`` does not enter."""
    return name.startswith(".") or name in SKIPPED_FOLDERS


def clean_rel(rel: str) -> str | None:
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

    def python_files(self, under: str, limit: int) -> list[str] | None:
        """Every ``.py`` file in the project folder ``under`` and below (not through a symlink, nor in a
        skipped_folder or a virtual environment), sorted; None past ``limit`` of them."""
        ...


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
        clean = clean_rel(rel)
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
        from migcheck.guard.readfile import UnreadableFile, read_regular

        try:  # opened non-blocking and checked on the descriptor, like every other file of the tree
            return read_regular(path, MAX_FILE_BYTES).decode("utf-8-sig")
        except UnicodeDecodeError:
            self.refused[str(clean_rel(rel))] = "not UTF-8 text"
        except UnreadableFile as exc:
            reason = str(exc)
            with contextlib.suppress(OSError):
                if stat.S_ISREG(path.stat().st_mode) and path.stat().st_size > MAX_FILE_BYTES:
                    reason = f"larger than {MAX_FILE_BYTES:,} bytes"
            self.refused[str(clean_rel(rel))] = reason
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
            self.refused[str(clean_rel(rel))] = "not a regular file (a FIFO, socket or device)"
        return stat.S_ISREG(mode)

    def is_dir(self, rel: str) -> bool:
        path = self._path(rel)
        return path is not None and path.is_dir()

    def display(self, rel: str) -> Path:
        return self.root / rel

    def python_files(self, under: str, limit: int) -> list[str] | None:
        found: list[str] = []
        start = self._path(under) if under else self.root
        if start is None or start.is_symlink() or not start.is_dir():
            return found
        for folder, dirs, names in os.walk(start):  # symlinked folders are not entered
            here = Path(folder)
            dirs[:] = [d for d in dirs if not skipped_folder(d) and not (here / d / "pyvenv.cfg").exists()]
            for name in names:
                if name.endswith(".py") and not (here / name).is_symlink():
                    found.append((here / name).relative_to(self.root).as_posix())
                    if len(found) > limit:
                        return None
        return sorted(found)
