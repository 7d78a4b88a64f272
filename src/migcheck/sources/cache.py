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

Entries are pickles. A pack is written with a keyed digest of its bytes (BLAKE2b under a random key
kept 0600 in the cache's own directory) and read back only when the digest matches: a pack this
user's migcheck did not write (damaged, truncated, planted, or written under another key) is
rejected in one comparison before a byte of it is unpickled, and the folder is loaded afresh and
its pack rewritten. The unpickler still builds only migcheck's own data classes, as a second wall.
Checking every entry against the type hints of those classes (a thousand entries: about 25 ms,
as much as unpickling them) is no longer needed for what the digest already proves: the bytes are
those this code (the same fingerprint) wrote.

Each entry also keeps the ``stat`` of the file it was read from (device, inode, size, mtime and
ctime in nanoseconds), as git's index does, so an unchanged file is not read and hashed again. A
signature is only recorded when the file was "settled" when read: its mtime and ctime more than
``SETTLE_NS`` older than the clock when it was opened. A file edited in the same timestamp tick in
which it was read (same size, same mtime: git's "racy" case) therefore has no signature and is
hashed on every run until it is settled; once settled, any later write moves its mtime or ctime.

A cache someone else can write to could hide findings (a pack that says every
revision is empty) or, through symlinks, make this user overwrite its own
files. So the root is created 0700, and a root (or any directory above it)
or entry directory not owned by this user (or root) or writable by others
turns the cache off for the run, with one note; packs and the key are opened
without following symlinks or waiting on a FIFO, and packs are written through ``mkstemp`` (``O_EXCL``, 0600).
"""

from __future__ import annotations

import contextlib
import copyreg
import dataclasses
import gc
import hashlib
import hmac
import io
import os
import pickle
import stat
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from migcheck.vocabulary.lazyregex import lazy_regex
from migcheck.vocabulary.version import VERSION

#: Bumped when the layout of the cache itself changes.
FORMAT = "3"

_ALLOWED_MODULES = {"migcheck.vocabulary.changes", "migcheck.vocabulary.revision"}
_ALLOWED_PATHS = {"PosixPath", "WindowsPath", "PurePosixPath", "PureWindowsPath", "Path"}

#: The first bytes of every pack, then its keyed digest, then the pickle.
MAGIC = b"migcheck-pack-" + FORMAT.encode() + b"\n"
DIGEST_SIZE = 32
#: A pack's header: ``MAGIC`` and the digest of what follows.
HEADER_SIZE = len(MAGIC) + DIGEST_SIZE
#: The file holding this cache's key, in its versioned directory.
KEY_NAME = "key"
KEY_SIZE = 32
#: A file whose mtime or ctime is closer than this to the moment it was opened gets no stat signature:
#: the same tick could hold a second write of the same size (timestamps as coarse as 2 s on FAT, and
#: the kernel's coarse clock lags the one read here by up to a tick). Its content is hashed instead.
SETTLE_NS = 3_000_000_000

#: How a pack or the key is opened: never through a symlink, and without waiting for a writer (a FIFO
#: there, e.g. from a cache directory restored from an archive, would otherwise block the run for ever
#: before its ``fstat`` says it is no regular file).
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)

#: What identifies a file's state without reading it: (st_dev, st_ino, st_size, st_mtime_ns, st_ctime_ns).
Signature = tuple[int, int, int, int, int]


def now_ns() -> int:
    """The clock a read is dated by (a function, so that a test can move it)."""
    return time.time_ns()


def signature(info: os.stat_result) -> Signature:
    """The stat fields that change when a file is replaced or written (git's index keeps the same)."""
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


def settled_signature(info: os.stat_result, opened_ns: int) -> Signature | None:
    """The signature to record for a file opened at ``opened_ns`` with stat ``info``, or None when it is racy.

    Racy: written so shortly before it was read that a later write in the same timestamp tick, of the
    same size, would leave every field of its stat as it is. Such a file is hashed on every run until
    it has settled.
    """
    sig = signature(info)
    if max(sig[3], sig[4]) >= opened_ns - SETTLE_NS:
        return None
    return sig


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


#: One folder's entries: absolute path -> (content key, loaded form, stat signature or None).
Pack = dict[str, tuple[str, Any, Signature | None]]


class Cache:
    """Entries of one code fingerprint and dialect: one pack file per folder of revisions.

    A pack is one file, read and written whole: one open and one unpickling per folder is far
    cheaper than one per revision, and a folder is almost always linted as a whole.
    """

    def __init__(self, directory: Path, salt: str, secret: bytes = b"") -> None:
        self.directory = directory
        self.salt = salt
        self.secret = secret

    @classmethod
    def open(cls, dialect: str, root: Path | None = None, notes: list[str] | None = None) -> Cache | None:
        """The cache for this code and dialect, or None when it cannot be used here.

        A cache directory that another user could write to, or a key file that is not this user's private
        file, is not used: ``notes`` gets one line saying why (a read-only home, by contrast, is simply no
        cache).
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
                # exist_ok: a run started at the same time may make it first (the root is private: only
                # this user's runs can), and that is no reason to run without the cache
                directory.mkdir(mode=0o700, exist_ok=True)
                if ours:  # never tag (or later prune) a directory that held something else first
                    _mark(root)
                _prune(root, keep=directory)
            secret = _secret(directory)
        except OSError:
            return None
        if secret is None:
            if notes is not None:
                notes.append(f"cache not used: its key {directory / KEY_NAME} is not a private file of yours "
                             f"(another user could forge entries with it); remove it (the next run makes a new "
                             f"one), set MIGCHECK_CACHE_DIR to a directory of your own, or pass --no-cache")
            return None
        return cls(directory, f"{fingerprint}|{dialect}", secret)

    def key(self, raw: bytes) -> str:
        """The content key of a file: its bytes under this code and dialect."""
        return hashlib.sha256(self.salt.encode() + b"\0" + raw).hexdigest()

    def pack_path(self, folder: str) -> Path:
        return self.directory / hashlib.sha256(f"{self.salt}|{folder}".encode("utf-8", "surrogateescape")).hexdigest()

    def digest(self, payload: bytes | memoryview) -> bytes:
        """The keyed digest a pack's payload is written with (only a holder of this cache's key can make it)."""
        return hashlib.blake2b(payload, key=self.secret, digest_size=DIGEST_SIZE).digest()

    def read(self, folder: str) -> Pack:
        """The pack of ``folder`` (an absolute path); empty when absent, unreadable, damaged or planted.

        A pack whose digest is not the one this cache's key gives is rejected before it is unpickled.
        """
        payload = self._payload(self.pack_path(folder))
        if payload is None:
            return {}
        try:
            with _collector_paused():  # the shape check too: its allocations would trigger passes
                pack = _SafeUnpickler(io.BytesIO(payload)).load()
                if not isinstance(pack, dict):
                    return {}
                from migcheck.vocabulary.revision import Migration

                return {name: entry for name, entry in pack.items() if _valid_entry(name, entry, Migration)}
        except Exception:
            return {}

    def _payload(self, path: Path) -> memoryview | None:
        """What follows the header of the file at ``path`` when its digest is this key's; else None (absent,
        unreadable, not a private regular file, damaged, truncated, planted)."""
        try:
            fd = os.open(path, _OPEN_FLAGS)
        except OSError:
            return None
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode) or not _owner_ok(info):
                return None
            with os.fdopen(os.dup(fd), "rb") as handle:
                data = handle.read()
            payload = memoryview(data)[HEADER_SIZE:]
            if data[:len(MAGIC)] != MAGIC or not hmac.compare_digest(data[len(MAGIC):HEADER_SIZE], self.digest(payload)):
                return None  # not written by this cache's key: damaged, truncated, planted
            return payload
        except Exception:
            return None
        finally:
            os.close(fd)

    def write(self, folder: str, pack: Pack) -> None:
        try:
            payload = _dumps(pack)
        except (pickle.PicklingError, RecursionError):
            return
        self._write_payload(self.pack_path(folder), payload)

    def _write_payload(self, target: Path, payload: bytes) -> None:
        """``payload`` under this key's digest, in place of ``target`` (whole or not at all)."""
        temp: str | None = None
        try:
            data = MAGIC + self.digest(payload) + payload
            import tempfile  # here: a run that writes no pack (pre-commit, a warm run) never needs it

            # O_CREAT | O_EXCL, mode 0600, a name nobody can predict: never writes through a planted symlink
            fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=self.directory)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(temp, target)  # readers see the whole pack or the previous one
        except OSError:
            if temp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(temp)

    def readings(self) -> StatementReadings:
        """The readings of SQL statements kept beside the packs (extract/readings.py), read on first use."""
        name = READINGS_PREFIX + hashlib.sha256(f"{self.salt}|statements".encode()).hexdigest()
        return StatementReadings(self, self.directory / name)


#: The readings of SQL statements are kept in a file named so (a pack is named by the hex digest alone).
READINGS_PREFIX = "statements-"
#: At most this many statement readings are kept; past it, those remembered first are dropped.
MAX_READINGS = 100_000


class StatementReadings:
    """What each SQL statement was read as (``extract.readings.Readings``), one file per dialect beside the packs.

    Kept as the packs are: under this cache's keyed digest, checked before a byte is unpickled, and unpickled by
    the unpickler that builds only migcheck's data classes. Each reading is its own small pickle inside it, so
    that a recalled reading is built afresh every time (its changes are the caller's to change). Read on the
    first statement a run must read, so a run that parses no SQL never opens it; written by ``save`` when this
    process read statements it did not hold (forked workers send theirs back with their outcomes: ``take_new``,
    ``adopt``).
    """

    def __init__(self, cache: Cache, path: Path) -> None:
        self.cache = cache
        self.path = path
        self._held: dict[str, bytes] | None = None
        self._new: dict[str, bytes] = {}
        self._pid = os.getpid()

    def _entries(self) -> dict[str, bytes]:
        if self._held is None:
            self._held = {}
            payload = self.cache._payload(self.path)
            if payload is not None:
                with contextlib.suppress(Exception), _collector_paused():
                    held = _SafeUnpickler(io.BytesIO(payload)).load()
                    if type(held) is dict:
                        self._held = {k: v for k, v in held.items() if type(k) is str and type(v) is bytes}
        return self._held

    def recall(self, key: str) -> tuple[Any] | None:
        blob = self._new.get(key) or self._entries().get(key)
        if blob is None:
            return None
        try:
            return (_SafeUnpickler(io.BytesIO(blob)).load(),)
        except Exception:
            return None

    def remember(self, key: str, value: Any) -> None:
        with contextlib.suppress(pickle.PicklingError, RecursionError, TypeError, AttributeError):
            self._new[key] = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)

    def take_new(self) -> dict[str, bytes]:
        """The readings made since the last call (a forked worker's, sent to the parent with its outcomes)."""
        new, self._new = self._new, {}
        return new

    def adopt(self, new: dict[str, bytes]) -> None:
        """Keep readings a worker made (``take_new`` there) as this process's own."""
        self._new.update(new)

    def save(self) -> None:
        """Write the readings held and those read in this run (the newest ``MAX_READINGS``), if any was new."""
        if not self._new or os.getpid() != self._pid:
            return
        merged = {**self._entries(), **self._new}
        if len(merged) > MAX_READINGS:
            merged = dict(list(merged.items())[-MAX_READINGS:])
        self.cache._write_payload(self.path, pickle.dumps(merged, protocol=pickle.HIGHEST_PROTOCOL))
        self._held, self._new = merged, {}


def _dumps(pack: Pack) -> bytes:
    """The pack as written: every outcome without its path (see ``_valid_entry``), every data class of the IR
    without the fields that hold their class's default (see ``_compact``)."""
    from migcheck.vocabulary.revision import Migration

    stored = {name: (key, (None, *outcome[1:]) if type(outcome) is tuple else outcome, sig)
              for name, (key, outcome, sig) in pack.items()}
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = {**copyreg.dispatch_table, **dict.fromkeys(_ir_classes(), _compact),
                              Migration: _without_path}
    pickler.dump(stored)
    return buffer.getvalue()


def _without_path(migration: Any) -> tuple[Any, ...]:
    """How a Migration is pickled into a pack: as ``_compact``, and ``path`` None."""
    reduced = _compact(migration)
    reduced[2]["path"] = None
    return reduced


#: Per data class of the IR: the fields whose default is an immutable value the class itself carries.
_DEFAULTS: dict[type, dict[str, object]] = {}
_IMMUTABLE = (type(None), bool, int, str, tuple)


def _compact(obj: Any) -> tuple[Any, ...]:
    """How a data class of the IR is pickled into a pack: as the default reduction does, less the fields that
    hold the class's default. ``dataclass`` leaves a plain default on the class, so reading such a field of the
    unpickled object gives the class's value, the same; and a pack is read far more often than written. On a
    generated history, two thirds of the fields hold their default, and leaving them out takes about half of
    the time to unpickle the pack (docs/speed.md, branch speedB)."""
    cls = obj.__class__
    defaults = _DEFAULTS.get(cls)
    if defaults is None:
        defaults = _DEFAULTS[cls] = _class_defaults(cls)
    state = {name: value for name, value in obj.__dict__.items()
             if name not in defaults or value.__class__ is not defaults[name].__class__ or value != defaults[name]}
    return copyreg.__newobj__, (cls,), state  # type: ignore[attr-defined]  # not in typeshed


def _class_defaults(cls: type) -> dict[str, object]:
    """The fields of ``cls`` whose default is an immutable value that ``cls`` itself carries as an attribute."""
    found: dict[str, object] = {}
    for item in dataclasses.fields(cls):
        default = item.default
        if default is not dataclasses.MISSING and type(default) in _IMMUTABLE \
                and getattr(cls, item.name, dataclasses.MISSING) is default:
            found[item.name] = default
    return found


def _ir_classes() -> list[type]:
    """The data classes a pack holds (those of ``_ALLOWED_MODULES``, which the unpickler builds)."""
    found = []
    for module in _ALLOWED_MODULES:
        for value in vars(sys.modules.get(module) or __import__(module, fromlist=["_"])).values():
            if isinstance(value, type) and dataclasses.is_dataclass(value) and value.__module__ == module:
                found.append(value)
    return found


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


def _secret(directory: Path) -> bytes | None:
    """This cache's key: read from ``directory``, or made there (0600, all or nothing) the first time.

    None when the file there is not a private regular file of this user's. One that is, but not of a key's
    size, can only be this user's own key damaged (cut short by a crash before its bytes reached the
    disk): it is replaced, or the cache would stay off, silently, for good.
    """
    path = directory / KEY_NAME
    try:
        found = _read_secret(path)
    except FileNotFoundError:
        found, missing = None, True
    else:
        if found is None or len(found) == KEY_SIZE:
            return found
        missing = False
    import tempfile

    fd, name = tempfile.mkstemp(prefix=".key.", dir=directory)
    temp: str | None = name
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(os.urandom(KEY_SIZE))
            handle.flush()
            with contextlib.suppress(OSError):  # a filesystem without fsync: the key is still usable
                os.fsync(handle.fileno())  # on disk before its name is: never an empty key after a crash
        if missing:
            try:
                os.link(name, path)  # appears whole or not at all, never replaces one
            except FileExistsError:
                pass  # another run made it first: use theirs
            except OSError:  # no hard links on this filesystem: a rename (two first runs racing cost only misses)
                os.replace(name, path)
                temp = None
        else:
            os.replace(name, path)  # a damaged key of ours: no pack could be read under it anyway
            temp = None
    finally:
        if temp is not None:
            with contextlib.suppress(OSError):
                os.unlink(temp)
    found = _read_secret(path)
    return found if found is not None and len(found) == KEY_SIZE else None


def _read_secret(path: Path) -> bytes | None:
    """The bytes of the key file (its first ``KEY_SIZE + 1``: a whole key or not), or None when it is not a
    private regular file of this user's (or root's)."""
    fd = os.open(path, _OPEN_FLAGS)
    try:
        info = os.fstat(fd)
        private = not hasattr(os, "geteuid") or not info.st_mode & (stat.S_IRWXG | stat.S_IRWXO)  # POSIX modes
        if not stat.S_ISREG(info.st_mode) or not _owner_ok(info) or not private:
            return None
        return os.read(fd, KEY_SIZE + 1)
    finally:
        os.close(fd)


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
    0.58 s -> 0.34 s of CPU to read a pack).

    When the caller had paused the collector already (the ``lint`` command, for its whole run: see
    ``launch``), what was unpickled is also frozen (``gc.freeze``): it lives until the process exits, and
    the collector, which runs while a file is parsed (``sources.load``), would otherwise walk all of it on
    its first pass there (a pre-commit run that parses its named file after reading the siblings' pack).
    ``migcheck.lint()`` runs with the host's collector on, and nothing of the host's is frozen."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
        else:
            gc.freeze()


# --- what a valid entry looks like -------------------------------------------------------------


def _valid_entry(name: object, entry: object, migration: type) -> bool:
    """``absolute path -> (content key, Migration | (None, message, line) | None, signature | None)``.

    The digest already proved the pack is this code's own writing; this is the shape every use relies
    on, checked cheaply. Outcomes are stored without their path (None): the entry's name says which file
    it is, and the loader names each outcome by the path as given this time anyway.
    """
    if not isinstance(name, str) or type(entry) is not tuple or len(entry) != 3 or type(entry[0]) is not str:
        return False
    outcome, sig = entry[1], entry[2]
    if sig is not None and (type(sig) is not tuple or len(sig) != 5):
        return False
    if outcome is None:
        return True
    if type(outcome) is tuple:
        return len(outcome) == 3 and outcome[0] is None and type(outcome[1]) is str and type(outcome[2]) is int
    return type(outcome) is migration and vars(outcome).get("path", 0) is None


_OUR_DIRECTORY = lazy_regex(r"v\d+-[0-9a-f]{32}")


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
