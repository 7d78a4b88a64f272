"""What each SQL statement was read as, remembered between runs (kept by ``sources/cache.py``).

A revision edited outside its SQL strings (a pre-commit hook runs on the file just edited, so the
cache of whole files cannot hold it) has the same statements as before; reading them again means
importing sqlglot (about 70 ms) and parsing them. The SQL front end asks ``active()`` first: the
reading of a statement is a function of its text and the dialect alone (migcheck's code and sqlglot's
version key the store that holds it), so what was read once is the answer again.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any, Protocol


class Readings(Protocol):
    """A store of readings by key (``kind``, dialect and statement text, see ``key``)."""

    def recall(self, key: str) -> tuple[Any] | None:
        """``(value,)`` as remembered under ``key``, built afresh (the caller may change it); None if unknown."""

    def remember(self, key: str, value: Any) -> None:
        """Keep ``value`` as it is now (later changes to it are not kept); a value that cannot be kept is not."""


class RunReadings:
    """The readings of one run, in memory only (``--no-cache``, where no store is kept between runs): a statement
    that many revisions execute alike (``ALTER TABLE t1 DROP CONSTRAINT IF EXISTS t1_legacy_check`` in each) is
    parsed twice per process, not once per revision. A reading is kept from the second time its statement is
    read, so a history of statements that each appear once pays for no copies; it is kept pickled, so that a
    recalled reading is built afresh (its changes are the caller's to change), as ``sources/cache.py`` keeps it.
    """

    def __init__(self) -> None:
        self._held: dict[str, bytes] = {}
        self._seen: set[str] = set()

    def recall(self, key: str) -> tuple[Any] | None:
        blob = self._held.get(key)
        return None if blob is None else (pickle.loads(blob),)

    def remember(self, key: str, value: Any) -> None:
        if key not in self._seen:
            self._seen.add(key)  # read once so far: most statements are never read again
            return
        with suppress(pickle.PicklingError, RecursionError, TypeError, AttributeError):
            self._held[key] = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


_active: Readings | None = None


def active() -> Readings | None:
    """The store a load has put in place, or None (``--no-cache``, a lint of a few files alone)."""
    return _active


def key(kind: str, dialect: str, sql: str) -> str:
    """The key of one reading: what was asked (``kind``) of which statement, in which dialect."""
    return f"{kind}\0{dialect}\0{sql}"


@contextmanager
def used(readings: Readings | None) -> Iterator[None]:
    """``readings`` is the store while the block runs (the loader puts it there around parsing)."""
    global _active
    before, _active = _active, readings
    try:
        yield
    finally:
        _active = before
