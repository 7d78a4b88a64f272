"""Load revision files: from the cache when unchanged, across processes when there are many.

Each file is parsed and extracted on its own (no file needs another), so a
history of thousands of revisions splits cleanly over the cores. Below
``PARALLEL_MIN_FILES`` the pool costs more than it saves (starting workers,
sending the migrations back, two processes competing with everything else on
a small CI runner), so small histories load in this process. The order of the result is the order of ``paths`` either way,
and so is everything downstream: the output does not depend on the number of
workers.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from migcheck.extract import readings
from migcheck.sources.load import LoadError, load_python, read_bytes_stat
from migcheck.vocabulary.revision import Migration

if TYPE_CHECKING:
    from migcheck.sources.cache import Cache, Pack, Signature

#: Fewer files than this load in-process. On 2 CPUs the pool did not pay at 800 or 1,500 files and
#: began to at about 2,000 (interleaved runs, docs/speed.md); it always costs CPU time and memory.
PARALLEL_MIN_FILES = 2000
#: With ``spawn`` (macOS, Windows) every worker imports migcheck afresh, so the pool pays off later.
SPAWN_MIN_FILES = 3000
#: Each worker gets at least this many files, so the start-up cost of a worker is spread.
MIN_FILES_PER_WORKER = 400
#: This process's share of the files, relative to a worker's (it also unpickles what workers send).
PARENT_SHARE = 0.8
#: Fewer files than this (a pre-commit run on the changed files) parse faster than a pack loads.
CACHE_MIN_FILES = 20

#: A file's outcome as it crosses the process boundary: a migration, None (not a revision), or an error.
Outcome = Migration | tuple[Path, str, int] | None
#: What loading one file gives: its content key and stat signature for the cache (None when not cached) and outcome.
Loaded = tuple["str | None", "Signature | None", Outcome]


def available_cpus() -> int:
    """CPUs this process may run on (the affinity mask, which containers narrow), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return max(1, os.cpu_count() or 1)


def load_python_files(
    paths: list[Path], dialect: str, jobs: int | None = None, cache: bool = True, notes: list[str] | None = None
) -> tuple[list[Migration], list[LoadError]]:
    """Every revision in ``paths`` (in order), and the files that could not be read as revisions.

    ``jobs``: processes that parse, this one included; None picks from the number of files to parse
    and the CPUs, 1 parses in-process only. ``cache``: reuse (and store) the loaded form of files whose content is unchanged.
    ``notes``: where to say that a cache directory was not used (someone else could write to it).
    """
    migrations, errors, _ = load_with_context(paths, [], dialect, jobs, cache, notes)
    return migrations, errors


def load_with_context(
    paths: list[Path], context: list[Path], dialect: str, jobs: int | None = None, cache: bool = True,
    notes: list[str] | None = None,
) -> tuple[list[Migration], list[LoadError], list[Migration]]:
    """``load_python_files`` of ``paths``, and the revisions of ``context`` (the siblings of files named
    alone, which only complete the graph: in-process, their errors dropped), through one reading of the cache.

    Each list uses the cache as it would alone: from ``CACHE_MIN_FILES`` files. A few named files (a
    pre-commit run) parse faster than a pack loads, so alone they never read one; but when their siblings'
    pack is read anyway, a named file whose content it holds comes from it too (not written back: a
    changed file named alone costs no rewrite of the pack, as before).
    """
    store: Cache | None = None
    cache_named = cache and len(paths) >= CACHE_MIN_FILES
    cache_context = cache and len(context) >= CACHE_MIN_FILES
    if cache_named or cache_context:
        from migcheck.sources.cache import Cache  # hashlib and pickle: only when the cache is used

        store = Cache.open(dialect, notes=notes if cache_named else None)
    packs: dict[str, Pack] = {}
    changed: set[str] = set()
    around, context_todo = _from_cache(context, store if cache_context else None, packs, changed)
    named, named_todo = _from_cache(paths, store, packs, changed, new_packs=cache_named)
    named_store = store if cache_named else None
    missing = [paths[i] for i in named_todo]
    worker = partial(load_one, dialect=dialect, store=named_store)
    workers = _workers(len(missing), jobs)
    statements = store.readings() if store is not None else None
    in_use = statements if statements is not None else readings.RunReadings()  # --no-cache: this run's alone
    with _fewer_collections(), readings.used(in_use):
        loaded: list[Loaded] | None = (
            _load_in_pool(missing, worker, workers, dialect) if workers > 1 else None
        )
        if loaded is None:
            loaded = list(map(worker, missing))
        context_store = store if cache_context else None
        loaded_context = [load_one(context[i], dialect, context_store) for i in context_todo]
    _record(paths, named_todo, loaded, named, packs, changed, named_store)
    _record(context, context_todo, loaded_context, around, packs, changed, context_store)
    if statements is not None:
        statements.save()
    if store is not None:
        for folder in changed:
            store.write(folder, _without_deleted(packs[folder], [*paths, *context]))

    migrations: list[Migration] = []
    errors: list[LoadError] = []
    for outcome in named:
        if isinstance(outcome, tuple):
            errors.append(LoadError(*outcome))
        elif outcome is not None:
            migrations.append(outcome)
    return migrations, errors, [o for o in around if o is not None and not isinstance(o, tuple)]


def _from_cache(paths: list[Path], store: Cache | None, packs: dict[str, Pack], changed: set[str],
                new_packs: bool = True) -> tuple[list[Outcome], list[int]]:
    """The outcomes the cache holds for ``paths`` (None elsewhere), and the indexes of those it does not.

    ``new_packs``: read the pack of a folder not in ``packs`` yet (else such a folder's files are misses).
    """
    outcomes: list[Outcome] = [None] * len(paths)
    if store is None:
        return outcomes, list(range(len(paths)))
    todo: list[int] = []
    for index, path in enumerate(paths):
        absolute = os.path.abspath(path)
        folder = os.path.dirname(absolute)
        if folder not in packs:
            if not new_packs:
                todo.append(index)
                continue
            packs[folder] = store.read(folder)
        entry = packs[folder].get(absolute)
        if entry is not None and not _unchanged(path, entry[2]):
            # read and hash only files the cache knows: on a first run, nothing is read twice
            entry = _rehashed(path, entry, store)
            if entry is not None and entry != packs[folder][absolute]:
                packs[folder][absolute] = entry  # it has settled since: record its signature
                changed.add(folder)
        if entry is not None:
            outcomes[index] = _at(entry[1], path)
        else:
            todo.append(index)
    return outcomes, todo


def _record(paths: list[Path], todo: list[int], loaded: list[Loaded], outcomes: list[Outcome],
            packs: dict[str, Pack], changed: set[str], store: Cache | None) -> None:
    """Put what was loaded into ``outcomes``, and into its folder's pack when ``store`` keeps it."""
    for index, (key, sig, outcome) in zip(todo, loaded, strict=True):
        outcomes[index] = outcome
        if store is not None and key is not None:
            absolute = os.path.abspath(paths[index])
            folder = os.path.dirname(absolute)
            packs[folder][absolute] = (key, outcome, sig)
            changed.add(folder)


def load_one(path: Path, dialect: str, store: Cache | None = None) -> Loaded:
    """One file's content key (None: not cacheable), stat signature and outcome; errors are plain tuples,
    which pickle."""
    opened = 0
    if store is not None:
        from migcheck.sources.cache import now_ns

        opened = now_ns()
    try:
        raw, info = read_bytes_stat(path)
    except LoadError as exc:
        return None, None, (exc.path, exc.message, exc.line)  # not a property of the content: never cached
    outcome: Outcome
    try:
        outcome = load_python(path, dialect, raw)
    except LoadError as exc:  # nesting too deep for the parser or the walkers included
        outcome = (exc.path, exc.message, exc.line)
    if store is None:
        return None, None, outcome
    from migcheck.sources.cache import settled_signature

    # the key is of the bytes this outcome came from, even if the file changed since the cache was read;
    # the signature is of the file as opened, before those bytes were read
    return store.key(raw), settled_signature(info, opened), outcome


def _unchanged(path: Path, recorded: Signature | None) -> bool:
    """True when the file's stat is the settled one recorded with its entry: its bytes are those hashed then."""
    if recorded is None:
        return False
    from migcheck.sources.cache import signature

    try:
        return signature(os.stat(path)) == recorded
    except OSError:
        return False


def _rehashed(path: Path, entry: tuple[str, Outcome, Signature | None], store: Cache) -> tuple[
        str, Outcome, Signature | None] | None:
    """The entry, with the file's signature as of now, if the file's bytes still have its key; else None."""
    from migcheck.sources.cache import now_ns, settled_signature

    opened = now_ns()
    try:
        raw, info = read_bytes_stat(path)
    except LoadError:
        return None  # load_one says why the file cannot be read
    if store.key(raw) != entry[0]:
        return None
    return entry[0], entry[1], settled_signature(info, opened)


def _at(outcome: Outcome, path: Path) -> Outcome:
    """A cached outcome, named by the path as given this time (the same file, maybe spelled otherwise)."""
    if isinstance(outcome, tuple):
        return (path, outcome[1], outcome[2])
    if outcome is not None:
        outcome.path = path
    return outcome


def _without_deleted(pack: Pack, paths: list[Path]) -> Pack:
    """The pack less the files that no longer exist (those linted this time are known to exist)."""
    current = {os.path.abspath(p) for p in paths}
    return {name: entry for name, entry in pack.items() if name in current or os.path.exists(name)}


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Run the cyclic garbage collector less often while loading (workers inherit this).

    Loading allocates millions of short-lived objects that reference counting frees (an AST has no
    cycles); each pass of the collector over the growing heap of loaded migrations finds little, and
    cost about a tenth of the time of a 10,000-revision lint.
    """
    old = gc.get_threshold()
    gc.set_threshold(max(old[0], 50_000), *old[1:])
    try:
        yield
    finally:
        gc.set_threshold(*old)


def _start_method() -> str:
    # fork shares what this process already imported; elsewhere fork is unsafe or absent
    if sys.platform.startswith("linux"):
        return "fork"
    import multiprocessing

    return multiprocessing.get_start_method()


def _workers(files: int, jobs: int | None) -> int:
    if jobs is not None:
        return max(1, min(jobs, files))
    threshold = PARALLEL_MIN_FILES if _start_method() == "fork" else SPAWN_MIN_FILES
    if files < threshold:
        return 1
    return max(1, min(available_cpus(), files // MIN_FILES_PER_WORKER))


def _load_in_pool(
    paths: list[Path], worker: Callable[[Path], Loaded], workers: int, dialect: str
) -> list[Loaded] | None:
    """Outcomes from ``workers`` processes, this one included; None when no pool can start here.

    This process loads a share itself rather than wait: its outcomes need no pickling on the way back,
    and it is one process fewer to start. Its share is a little smaller than the others', because it
    also receives their results.
    """
    # imported here: multiprocessing costs import time that small histories should not pay
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    method = _start_method()
    if method == "fork":
        _preload_sqlglot(dialect)
    context = multiprocessing.get_context(method)
    own = int(len(paths) * PARENT_SHARE / workers)
    mine, theirs = paths[:own], paths[own:]
    # a few chunks per worker: big enough to spread the per-task cost, small enough to balance the load
    chunksize = max(1, len(theirs) // ((workers - 1) * 4))
    try:
        pool = ProcessPoolExecutor(max_workers=workers - 1, mp_context=context)
        with pool:
            remote = pool.map(partial(_with_readings, worker), theirs, chunksize=chunksize)  # submits every chunk now
            local = list(map(worker, mine))
            try:
                return local + [_adopted(loaded, new) for loaded, new in remote]
            except Exception:  # a worker died (out of memory, killed), or its result could not come back
                return local + list(map(worker, theirs))  # finish here, where any error is the plain one
    except (OSError, NotImplementedError, BrokenProcessPool):
        # no working multiprocessing here (a sandbox without /dev/shm): load in-process
        return None


def _with_readings(worker: Callable[[Path], Loaded], path: Path) -> tuple[Loaded, dict[str, bytes] | None]:
    """In a worker: a file's outcome, and the statements' readings it made (extract/readings.py), which only
    this process (the parent) writes to the cache."""
    loaded = worker(path)
    take = getattr(readings.active(), "take_new", None)
    return loaded, take() if take is not None else None


def _adopted(loaded: Loaded, new: dict[str, bytes] | None) -> Loaded:
    """A worker's outcome, its statements' readings kept by this process's store."""
    adopt = getattr(readings.active(), "adopt", None)
    if new and adopt is not None:
        adopt(new)
    return loaded


def _preload_sqlglot(dialect: str) -> None:
    """Import sqlglot and its dialect here, once: forked workers share it instead of each importing it.

    A large history nearly always holds some SQL text, so this is work the workers would do anyway. The
    Python extractor too (``sources.load`` imports it on first use).
    """
    import migcheck.extract.python  # noqa: F401  # imported for the workers to share
    from migcheck.extract.sql import changes_from_sql

    changes_from_sql("SELECT 1", 1, dialect=dialect)
