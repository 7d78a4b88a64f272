"""A content-hash cache of loaded revision files, so an unchanged history is not parsed again.

Most revisions never change once merged, and parsing them (Python AST, SQL
through sqlglot) is most of the cost of a lint. An entry is the loaded
migration of one file, keyed by a hash of:

* migcheck's own code (every ``.py`` file of the package, by content), its
  version, the Python version, and sqlglot's installed version: any of those
  changing starts a new cache;
* the target dialect and the file's bytes.

A key can therefore only ever name one result; nothing is invalidated by
time. Entries are kept in one pack per folder of revisions (by absolute
path), and a pack keeps only the entry of each file's current content. The cache lives in ``$MIGCHECK_CACHE_DIR``, else
``$XDG_CACHE_HOME/migcheck``, else ``~/.cache/migcheck`` (never in the
user's project), and ``--no-cache`` turns it off. Any trouble with it (a
read-only home, a damaged entry) only means a miss; it never changes a result.

Entries are pickles, read back with an unpickler that only builds migcheck's
own data classes and paths, so a planted file in the cache directory cannot
run code.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io
import os
import pickle
import re
import sys
from pathlib import Path
from typing import Any

import migcheck

#: Bumped when the layout of the cache itself changes.
FORMAT = "1"
_ALLOWED_MODULES = {"migcheck.changes", "migcheck.revision"}
_ALLOWED_PATHS = {"PosixPath", "WindowsPath", "PurePosixPath", "PureWindowsPath", "Path"}


def cache_root() -> Path:
    explicit = os.environ.get("MIGCHECK_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "migcheck"


def _code_fingerprint() -> str:
    """What decides a file's loaded form besides the file: migcheck's code and sqlglot's version."""
    digest = hashlib.sha256(f"{FORMAT}|{migcheck.__version__}|{sys.version}".encode())
    package = Path(migcheck.__file__).parent
    for source in sorted(package.rglob("*.py")):
        digest.update(source.relative_to(package).as_posix().encode())
        digest.update(source.read_bytes())
    digest.update(_sqlglot_version().encode())
    return digest.hexdigest()[:32]


def _sqlglot_version() -> str:
    """sqlglot's version without importing it (the import costs more than a small lint)."""
    from importlib.util import find_spec

    spec = find_spec("sqlglot")
    if spec is None or not spec.origin:
        return "no sqlglot"
    root = Path(spec.origin).parent
    parts = [str(root)]
    for name in ("_version.py", "__init__.py"):
        try:
            stat = (root / name).stat()
        except OSError:
            continue
        parts.append(f"{name}:{stat.st_size}:{stat.st_mtime_ns}")
    return "|".join(parts)


#: One folder's entries: absolute path -> (content key, loaded form).
Pack = dict[str, tuple[str, Any]]


class Cache:
    """Entries of one code fingerprint and dialect: one pack file per folder of revisions.

    A pack is one file, read and written whole: one open and one unpickling per folder is far
    cheaper than one per revision, and a folder is almost always linted as a whole.
    """

    def __init__(self, directory: Path, salt: str) -> None:
        self.directory = directory
        self.salt = salt

    @classmethod
    def open(cls, dialect: str, root: Path | None = None) -> Cache | None:
        """The cache for this code and dialect, or None when it cannot be used here."""
        root = root or cache_root()
        try:
            fingerprint = _code_fingerprint()
            directory = root / f"v{FORMAT}-{fingerprint}"
            if not directory.is_dir():
                ours = not root.exists() or not any(root.iterdir())
                directory.mkdir(parents=True, exist_ok=True)
                if ours:  # never tag (or later prune) a directory that held something else first
                    _mark(root)
                _prune(root, keep=directory)
        except OSError:
            return None
        return cls(directory, f"{fingerprint}|{dialect}")

    def key(self, raw: bytes) -> str:
        """The content key of a file: its bytes under this code and dialect."""
        return hashlib.sha256(self.salt.encode() + b"\0" + raw).hexdigest()

    def pack_path(self, folder: str) -> Path:
        return self.directory / hashlib.sha256(f"{self.salt}|{folder}".encode("utf-8", "surrogateescape")).hexdigest()

    def read(self, folder: str) -> Pack:
        """The pack of ``folder`` (an absolute path); empty when absent, unreadable, damaged or planted."""
        try:
            data = self.pack_path(folder).read_bytes()
            pack = _SafeUnpickler(io.BytesIO(data)).load()
        except Exception:
            return {}
        return pack if isinstance(pack, dict) else {}

    def write(self, folder: str, pack: Pack) -> None:
        target = self.pack_path(folder)
        temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        try:
            temp.write_bytes(pickle.dumps(pack, protocol=pickle.HIGHEST_PROTOCOL))
            os.replace(temp, target)  # readers see the whole pack or the previous one
        except (OSError, pickle.PicklingError, RecursionError):
            with contextlib.suppress(OSError):
                temp.unlink()


class _SafeUnpickler(pickle.Unpickler):
    """Builds only migcheck's data classes and paths: a pickle naming anything else is refused."""

    def find_class(self, module: str, name: str) -> Any:
        if module in _ALLOWED_MODULES:
            obj = getattr(sys.modules.get(module) or __import__(module, fromlist=[name]), name, None)
            if isinstance(obj, type) and dataclasses.is_dataclass(obj):
                return obj
        if module in ("pathlib", "pathlib._local") and name in _ALLOWED_PATHS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in the cache")


def _mark(root: Path) -> None:
    """Tell backup tools the directory is a cache (https://bford.info/cachedir/)."""
    tag = root / "CACHEDIR.TAG"
    if not tag.exists():
        tag.write_text("Signature: 8a477f597d28d172789f06886806bc55\n# migcheck's cache: safe to delete.\n")


_OUR_DIRECTORY = re.compile(r"v\d+-[0-9a-f]{32}")


def _prune(root: Path, keep: Path) -> None:
    """A new fingerprint means a new migcheck or sqlglot: the entries of older ones are dead.

    Only directories named as this module names them go, and only under a root that carries the tag
    this module writes: ``MIGCHECK_CACHE_DIR`` pointed at a directory of the user's loses nothing.
    """
    import shutil

    if not (root / "CACHEDIR.TAG").is_file():
        return
    for child in root.iterdir():
        if child != keep and _OUR_DIRECTORY.fullmatch(child.name) and child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
