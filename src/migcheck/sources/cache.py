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
run code; every entry is then checked against the type hints of those
classes, so a structurally wrong one is a miss, not a traceback in a rule.

A cache someone else can write to could hide findings (a pack that says every
revision is empty) or, through symlinks, make this user overwrite its own
files. So the root is created 0700, and a root (or any directory above it)
or entry directory not owned by this user (or root) or writable by others
turns the cache off for the run, with one note; packs are opened without
following symlinks, and written through ``mkstemp`` (``O_EXCL``, 0600).
"""

from __future__ import annotations

import contextlib
import copyreg
import dataclasses
import functools
import gc
import hashlib
import io
import os
import pickle
import re
import stat
import sys
import tempfile
import types
import typing
from collections.abc import Callable, Iterator
from pathlib import Path, PurePath
from typing import Any

from migcheck.vocabulary.version import VERSION

#: Bumped when the layout of the cache itself changes.
FORMAT = "2"

_ALLOWED_MODULES = {"migcheck.vocabulary.changes", "migcheck.vocabulary.revision"}
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
    digest = hashlib.sha256(f"{FORMAT}|{VERSION}|{sys.version}".encode())
    package = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))  # the migcheck package
    for name in _package_sources(package):
        digest.update(name.encode())
        with open(os.path.join(package, name), "rb") as source:
            digest.update(source.read())
    digest.update(_sqlglot_version().encode())
    return digest.hexdigest()[:32]


def _package_sources(package: str) -> list[str]:
    """Every ``.py`` file under ``package``, as sorted relative POSIX paths (os.walk: half the time of rglob)."""
    found: list[str] = []
    for folder, subfolders, files in os.walk(package):
        subfolders[:] = [name for name in subfolders if name != "__pycache__"]
        relative = os.path.relpath(folder, package).replace(os.sep, "/")
        prefix = "" if relative == "." else relative + "/"
        found.extend(prefix + name for name in files if name.endswith(".py"))
    return sorted(found)


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
    def open(cls, dialect: str, root: Path | None = None, notes: list[str] | None = None) -> Cache | None:
        """The cache for this code and dialect, or None when it cannot be used here.

        A cache directory that another user could write to is not used: ``notes`` gets one line saying
        why (a read-only home, by contrast, is simply no cache).
        """
        root = root or cache_root()
        try:
            fingerprint = _code_fingerprint()
            directory = root / f"v{FORMAT}-{fingerprint}"
            fresh_root = not root.exists()
            if fresh_root:
                root.parent.mkdir(parents=True, exist_ok=True)
                root.mkdir(mode=0o700, exist_ok=True)
            problem = _untrusted(root, directory)
            if problem is not None:
                if notes is not None:
                    notes.append(f"cache not used: {problem} (another user could plant entries there); "
                                 f"set MIGCHECK_CACHE_DIR to a directory of your own, or pass --no-cache")
                return None
            if not directory.is_dir():
                ours = fresh_root or not any(root.iterdir())
                directory.mkdir(mode=0o700)
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
        """The pack of ``folder`` (an absolute path); empty when absent, unreadable, damaged or planted.

        Entries whose shape is not what migcheck writes are dropped: each is a miss.
        """
        try:
            fd = os.open(self.pack_path(folder), os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            return {}
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode) or not _owner_ok(info):
                return {}
            with os.fdopen(os.dup(fd), "rb") as handle, _collector_paused():
                pack = _SafeUnpickler(io.BytesIO(handle.read())).load()
        except Exception:
            return {}
        finally:
            os.close(fd)
        if not isinstance(pack, dict):
            return {}
        try:
            with _collector_paused():
                return {name: entry for name, entry in pack.items() if _valid_entry(name, entry)}
        except RecursionError:
            return {}

    def write(self, folder: str, pack: Pack) -> None:
        target = self.pack_path(folder)
        temp: str | None = None
        try:
            data = _dumps(pack)
            # O_CREAT | O_EXCL, mode 0600, a name nobody can predict: never writes through a planted symlink
            fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=self.directory)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(temp, target)  # readers see the whole pack or the previous one
        except (OSError, pickle.PicklingError, RecursionError):
            if temp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(temp)


def _dumps(pack: Pack) -> bytes:
    """The pack as written: every outcome without its path (see ``_valid_entry``)."""
    from migcheck.vocabulary.revision import Migration

    stored = {name: (key, (None, *outcome[1:]) if type(outcome) is tuple else outcome)
              for name, (key, outcome) in pack.items()}
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = {**copyreg.dispatch_table, Migration: _without_path}
    pickler.dump(stored)
    return buffer.getvalue()


def _without_path(migration: Any) -> tuple[Any, ...]:
    """How a Migration is pickled into a pack: as the default reduction does, less ``path``."""
    state = dict(vars(migration))
    state["path"] = None
    return copyreg.__newobj__, (type(migration),), state  # type: ignore[attr-defined]  # not in typeshed


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
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(root / "CACHEDIR.TAG", flags, 0o644)
    except FileExistsError:
        return
    with os.fdopen(fd, "w") as handle:
        handle.write("Signature: 8a477f597d28d172789f06886806bc55\n# migcheck's cache: safe to delete.\n")


# --- whose directory is it ---------------------------------------------------------------------


def _owner_ok(info: os.stat_result) -> bool:
    return not hasattr(os, "geteuid") or info.st_uid in (os.geteuid(), 0)


def _untrusted(root: Path, directory: Path) -> str | None:
    """Why the cache at ``root`` must not be used, or None.

    Every directory from ``root`` up must be this user's (or root's) and not writable by others
    unless sticky (``/tmp``): whoever can rename an entry of a directory can swap the cache under
    us. The root and the entry directory themselves must not be writable by group or others.
    """
    if not hasattr(os, "geteuid"):  # Windows: per-user profile directories, ACLs not checked here
        return None
    absolute = Path(os.path.abspath(root))
    for folder in (absolute, *absolute.parents):
        info = os.stat(folder)
        if not _owner_ok(info):
            return f"{folder} belongs to uid {info.st_uid}"
        writable = info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
        if writable and (folder == absolute or not info.st_mode & stat.S_ISVTX):
            return f"{folder} is writable by {'others' if info.st_mode & stat.S_IWOTH else 'its group'}"
    try:
        info = os.lstat(directory)
    except FileNotFoundError:
        return None
    if not stat.S_ISDIR(info.st_mode):
        return f"{directory} is not a directory"
    if not _owner_ok(info) or info.st_uid != os.geteuid():
        return f"{directory} belongs to uid {info.st_uid}"
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return f"{directory} is writable by others"
    return None


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic collection while a pack is unpickled and checked: it builds hundreds of thousands of
    objects that all stay alive, and each collector pass over them finds nothing (10,000 revisions:
    0.58 s -> 0.34 s of CPU to read a pack)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# --- what a valid entry looks like -------------------------------------------------------------


def _valid_entry(name: object, entry: object) -> bool:
    """``absolute path -> (content key, Migration | (None, message, line) | None)``, every field typed.

    Outcomes are stored without their path (None): the entry's name says which file it is, and the
    loader names each outcome by the path as given this time anyway. Building a ``Path`` for every
    sibling was a tenth of reading a pack.
    """
    if not isinstance(name, str) or type(entry) is not tuple or len(entry) != 2 or type(entry[0]) is not str:
        return False
    from migcheck.vocabulary.revision import Migration

    outcome = entry[1]
    if outcome is None:
        return True
    if type(outcome) is tuple:
        return len(outcome) == 3 and outcome[0] is None and type(outcome[1]) is str and type(outcome[2]) is int
    return type(outcome) is Migration and _stored_migration_ok(vars(outcome))


Check = Callable[[Any], bool]


def _anything(value: Any) -> bool:
    return True


_EXACT = (str, int, bool)


@functools.cache
def _checker(hint: Any) -> Check:
    """A predicate for values of type ``hint`` (the subset of typing migcheck's data classes use)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any or hint is object:
        return _anything
    if hint is None or hint is type(None):
        return lambda value: value is None
    if origin is typing.Union or origin is types.UnionType:
        rest = [a for a in args if a is not type(None)]
        if len(rest) == 1 and len(args) == 2:  # ``X | None``, by far the most common: one call, not two
            inner = _checker(rest[0])
            return lambda value: value is None or inner(value)
        options = [_checker(a) for a in args]
        return lambda value: any(check(value) for check in options)
    if origin is typing.Literal:
        return lambda value: type(value) in (str, int, bool) and value in args
    if origin in (list, tuple) and args and args[0] in _EXACT and (origin is list or args[1:] == (Ellipsis,)):
        # a list of source lines is most of an entry: the set of its items' exact types, built in C
        # (the same test as ``all(type(v) is exact for v in value)``, about 3x faster on 40 lines)
        container, exact = origin, {args[0]}
        return lambda value: type(value) is container and set(map(type, value)) <= exact
    if origin is list:
        item = _checker(args[0]) if args else _anything
        return lambda value: type(value) is list and all(item(v) for v in value)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            item = _checker(args[0])
            return lambda value: type(value) is tuple and all(item(v) for v in value)
        items = [_checker(a) for a in args]
        return lambda value: type(value) is tuple and len(value) == len(items) and \
            all(check(v) for check, v in zip(items, value, strict=True))
    if origin is dict:
        key, val = (_checker(args[0]), _checker(args[1])) if args else (_anything, _anything)
        return lambda value: type(value) is dict and all(key(k) and val(v) for k, v in value.items())
    if hint is bool:
        return lambda value: type(value) is bool
    if hint is int:
        return lambda value: type(value) is int
    if hint is float:
        return lambda value: type(value) in (int, float)
    if hint is str:
        return lambda value: type(value) is str
    if isinstance(hint, type) and issubclass(hint, PurePath):
        return lambda value: isinstance(value, PurePath)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        # a subclass (AddColumn for Change) is checked against its own fields
        return lambda value: isinstance(value, hint) and _dataclass_ok(value)
    if isinstance(hint, type):
        return lambda value: isinstance(value, hint)
    return lambda value: False  # a hint this checker does not know: never trust it


def _dataclass_ok(value: Any) -> bool:
    return _fields_ok(value.__class__)(vars(value))


def _stored_migration_ok(state: dict[str, Any]) -> bool:
    """A Migration as a pack holds it: ``path`` None, every other field as its type hint says."""
    from migcheck.vocabulary.revision import Migration

    return state.get("path", 0) is None and _fields_ok(Migration, ("path",))(state)


@functools.cache
def _fields_ok(cls: type, unchecked: tuple[str, ...] = ()) -> Check:
    """One function per class that checks every field of an instance's ``vars()``, compiled once.

    The same checks as calling ``_checker(hint)`` for each field in turn (a missing field fails), written
    out as one expression: the plain types (``str``, ``int``, ``bool``, and those or None) inline, the
    rest through their checkers. A pack holds tens of thousands of objects, and a call and a loop turn
    per field were most of the time it took to check one (1,000 revisions: about 17 -> 8 ms).
    """
    if cls.__module__ not in _ALLOWED_MODULES:
        return lambda state: False
    hints = typing.get_type_hints(cls)
    namespace: dict[str, Any] = {}
    tests: list[str] = []
    for number, f in enumerate(dataclasses.fields(cls)):
        if f.name in unchecked:  # the caller checks these
            continue
        hint, field = hints[f.name], f"state[{f.name!r}]"
        exact = _plain(hint)
        if exact is not None:
            tests.append(f"type({field}) is {exact}")
            continue
        args = typing.get_args(hint)
        optional = (typing.get_origin(hint) in (typing.Union, types.UnionType) and len(args) == 2
                    and type(None) in args)
        inner = _plain(next(a for a in args if a is not type(None))) if optional else None
        if inner is not None:
            tests.append(f"({field} is None or type({field}) is {inner})")
            continue
        namespace[f"check{number}"] = _checker(hint)
        tests.append(f"check{number}({field})")
    source = ("def fields_ok(state):\n    try:\n        return (" + " and ".join(["True", *tests])
              + ")\n    except KeyError:\n        return False\n")
    exec(source, namespace)  # our own source, built from our own classes' field names
    compiled: Check = namespace["fields_ok"]
    return compiled


def _plain(hint: Any) -> str | None:
    """The name of an exact type checked inline (as ``_checker`` checks it), or None."""
    return {str: "str", int: "int", bool: "bool"}.get(hint) if isinstance(hint, type) else None


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
