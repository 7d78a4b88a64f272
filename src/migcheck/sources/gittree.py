"""Another commit's files, for the application reader: the models as they are on the merge base.

Read through the hardened git helpers (``migcheck.sources.git``); symlinks in a commit are never
followed, and a blob's size (from ``ls-tree -l``) is checked before a byte of it is read.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from migcheck.extract.models.files import MAX_FILE_BYTES, clean_rel, skipped_folder
from migcheck.sources.git import Checkout, ls_tree, read_blobs


class GitTree:
    """Files of commit ``rev`` under ``prefix`` (the project's folder in the repository)."""

    def __init__(self, repo: Checkout, rev: str, prefix: str, root: Path) -> None:
        self.repo, self.rev, self.root = repo, rev, root
        self._prefix = prefix.strip("/")
        self._files: set[str] = set()
        self._dirs: set[str] = {""}
        self._cache: dict[str, str | None] = {}
        self._links: set[str] = set()
        self._sizes: dict[str, int | None] = {}
        self.refused: dict[str, str] = {}
        for entry in ls_tree(repo, rev, [self._prefix or "."]) or []:
            path, mode = entry.path, entry.mode
            rel = path[len(self._prefix) + 1:] if self._prefix else path
            if not rel:
                continue
            if mode == "120000":
                self._links.add(rel)  # a symlink may point anywhere: never followed
                continue
            self._files.add(rel)
            self._sizes[rel] = entry.size
            parent = PurePosixPath(rel).parent
            while str(parent) not in self._dirs and str(parent) != ".":
                self._dirs.add(str(parent))
                parent = parent.parent

    def read(self, rel: str) -> str | None:
        clean = clean_rel(rel)
        if clean is None or clean not in self._files:
            return None
        if clean not in self._cache:
            spec = f"{self.rev}:{self._prefix + '/' if self._prefix else ''}{clean}"
            # the size first (listed by ls-tree -l): a pull request can commit a gigabyte that
            # compresses to a kilobyte
            size = self._sizes.get(clean)
            text: str | None = None
            if size is not None and size > MAX_FILE_BYTES:
                self.refused[clean] = f"larger than {MAX_FILE_BYTES:,} bytes"
            elif size is not None:
                text = read_blobs(self.repo, [spec])[0]
                if text is None:
                    self.refused[clean] = "not UTF-8 text"
            self._cache[clean] = text
        return self._cache[clean]

    def is_file(self, rel: str) -> bool:
        clean = clean_rel(rel)
        if clean is not None and clean in self._links:
            self.refused[clean] = "a symlink (never followed in a commit)"
        return clean is not None and clean in self._files

    def is_dir(self, rel: str) -> bool:
        clean = clean_rel(rel)
        return clean is not None and clean in self._dirs

    def display(self, rel: str) -> Path:
        return self.root / rel

    def python_files(self, under: str, limit: int) -> list[str] | None:
        venvs = {rel.rpartition("/")[0] for rel in self._files if rel.rpartition("/")[2] == "pyvenv.cfg"}
        inside = f"{clean_rel(under)}/" if under and clean_rel(under) else ""
        found = sorted(rel for rel in self._files if rel.endswith(".py") and rel.startswith(inside)
                       and not any(skipped_folder(part) for part in rel.split("/")[:-1])
                       and not any(rel.startswith(f"{venv}/") for venv in venvs))
        return None if len(found) > limit else found
