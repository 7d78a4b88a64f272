"""What one upgrade step does to existing tables on PostgreSQL: the locks it holds and what it rewrites.

Two measurements, both from the catalog of the backend running the migration:

- locks: ``pg_locks`` of that backend joined to ``pg_class``, read after every
  statement and once more just before each commit (locks are held until
  commit, so the last reading is what the table suffers for the rest of the
  transaction; the per-statement readings tell which line took it);
- rewrites: ``pg_class.relfilenode`` of every table, index and materialized
  view that existed before the step; a new file node means PostgreSQL wrote
  the relation anew (``ALTER COLUMN TYPE``, ``SET TABLESPACE``, ``VACUUM FULL``,
  ``CLUSTER``, ``TRUNCATE``, a volatile default on PostgreSQL < 11).

The readings use the DBAPI connection directly, so they fire no events and do
not count as statements of the migration.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Lock modes that conflict with ROW EXCLUSIVE, i.e. block INSERT, UPDATE and DELETE.
WRITE_BLOCKING = frozenset({"ShareLock", "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock"})
_STRENGTH = [
    "AccessShareLock",
    "RowShareLock",
    "RowExclusiveLock",
    "ShareUpdateExclusiveLock",
    "ShareLock",
    "ShareRowExclusiveLock",
    "ExclusiveLock",
    "AccessExclusiveLock",
]
_KINDS = {
    "r": "table",
    "p": "table",
    "i": "index",
    "I": "index",
    "m": "materialized view",
    "S": "sequence",
    "v": "view",
    "f": "foreign table",
    "t": "toast table",
}

RELATIONS_SQL = """
SELECT c.oid, n.nspname, c.relname, c.relkind, c.relfilenode
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND left(n.nspname, 8) <> 'pg_toast'
  AND left(n.nspname, 7) <> 'pg_temp' AND c.relkind IN ('r', 'p', 'i', 'I', 'm', 'S', 'v', 'f')
"""
LOCKS_SQL = """
SELECT l.relation, l.mode FROM pg_locks l
WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND l.granted AND l.database = (
    SELECT oid FROM pg_database WHERE datname = current_database())
"""
NEW_RELATIONS_SQL = """
SELECT c.oid, c.relname, c.relkind, n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.oid = ANY(%(oids)s)
"""
FILENODES_SQL = "SELECT oid, relfilenode FROM pg_class WHERE oid = ANY(%(oids)s)"


def mode_label(mode: str) -> str:
    """``AccessExclusiveLock`` -> ``ACCESS EXCLUSIVE``, as the PostgreSQL documentation names them."""
    return " ".join(re.findall(r"[A-Z][a-z]+", mode.removesuffix("Lock"))).upper()


def strength(mode: str) -> int:
    return _STRENGTH.index(mode) if mode in _STRENGTH else -1


@dataclass(frozen=True)
class Relation:
    oid: int
    schema: str
    name: str
    kind: str  # table, index, ...
    filenode: int

    @property
    def qualified(self) -> str:
        return self.name if self.schema == "public" else f"{self.schema}.{self.name}"


@dataclass
class Lock:
    relation: str
    kind: str
    mode: str
    #: The relation existed before the step (a lock on a table created by the step hurts no one).
    existing: bool
    line: int | None = None
    statement: str | None = None

    @property
    def blocks_writes(self) -> bool:
        return self.mode in WRITE_BLOCKING


@dataclass
class Rewrite:
    relation: str
    kind: str
    line: int | None = None
    statement: str | None = None


@dataclass
class StepLocks:
    locks: list[Lock] = field(default_factory=list)
    rewrites: list[Rewrite] = field(default_factory=list)


def relations(conn: Any) -> dict[int, Relation]:
    """Every user relation of the database, by oid, with its current file node."""
    rows = conn.exec_driver_sql(RELATIONS_SQL).fetchall()
    return {int(r[0]): Relation(int(r[0]), r[1], r[2], _KINDS.get(r[3], r[3]), int(r[4])) for r in rows}


class Recorder:
    """Watches the connections of one step (any engine bound to the scratch database) through events."""

    def __init__(
        self,
        database: str,
        revision_file: Path,
        before: dict[int, Relation],
        version_tables: frozenset[str] = frozenset({"alembic_version"}),
    ) -> None:
        self.database = database
        self.revision_file = os.path.realpath(revision_file)
        self.before = before
        self.version_tables = set(version_tables)
        self.ignore = {oid for oid, rel in before.items() if self._is_version(rel.name)}
        self._locks: dict[tuple[int, str], Lock] = {}
        self._rewrites: dict[int, Rewrite] = {}
        self._names: dict[int, tuple[str, str]] = {}
        self._files: dict[str, bool] = {}

    # events ------------------------------------------------------------------------------------

    def after_execute(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if self._mine(conn):
            self._read(conn, statement)

    def before_commit(self, conn: Any) -> None:
        if self._mine(conn):
            self._read(conn, None)

    @contextlib.contextmanager
    def listening(self) -> Iterator[None]:
        """Listen on every Engine while the step runs (``--use-env`` makes its own engine)."""
        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        event.listen(Engine, "after_cursor_execute", self.after_execute)
        event.listen(Engine, "commit", self.before_commit)
        try:
            yield
        finally:
            event.remove(Engine, "after_cursor_execute", self.after_execute)
            event.remove(Engine, "commit", self.before_commit)

    # readings ----------------------------------------------------------------------------------

    def _is_version(self, name: str) -> bool:
        """Alembic's version table and its primary key index are bookkeeping, not the migration's doing."""
        return any(name == vt or name == f"{vt}_pkc" for vt in self.version_tables)

    def _mine(self, conn: Any) -> bool:
        return conn.engine.url.database == self.database and conn.dialect.name == "postgresql"

    def _read(self, conn: Any, statement: str | None) -> None:
        dbapi = conn.connection.dbapi_connection
        if dbapi is None or getattr(dbapi, "closed", False):
            return
        line = self._line()
        shown = _short(statement) if statement else None
        cursor = dbapi.cursor()
        try:
            cursor.execute(LOCKS_SQL)
            held = cursor.fetchall()
            unknown = [
                oid
                for oid, _ in held
                if oid not in self.before and oid not in self._names and oid not in self.ignore
            ]
            if unknown:
                cursor.execute(NEW_RELATIONS_SQL, {"oids": unknown})
                for oid, name, kind, schema in cursor.fetchall():
                    if (
                        schema in ("pg_catalog", "information_schema")
                        or schema.startswith("pg_toast")
                        or self._is_version(name)
                    ):
                        self.ignore.add(oid)
                    else:
                        self._names[oid] = (
                            name if schema == "public" else f"{schema}.{name}",
                            _KINDS.get(kind, kind),
                        )
            for oid, mode in held:
                if oid in self.ignore or (oid, mode) in self._locks:
                    continue
                if oid in self.before:
                    rel = self.before[oid]
                    self._locks[(oid, mode)] = Lock(rel.qualified, rel.kind, mode, True, line, shown)
                elif oid in self._names:
                    name, kind = self._names[oid]
                    self._locks[(oid, mode)] = Lock(name, kind, mode, False, line, shown)
            watched = [oid for oid, rel in self.before.items() if rel.filenode and oid not in self._rewrites]
            if watched:
                cursor.execute(FILENODES_SQL, {"oids": watched})
                for oid, node in cursor.fetchall():
                    rel = self.before[oid]
                    if node and int(node) != rel.filenode:
                        self._rewrites[oid] = Rewrite(rel.qualified, rel.kind, line, shown)
        except Exception:  # an aborted transaction: the statement's own error is what matters
            return
        finally:
            with contextlib.suppress(Exception):
                cursor.close()

    def _line(self) -> int | None:
        """The line of the revision file that is executing right now (walk up the Python stack)."""
        frame = sys._getframe(2)
        while frame is not None:
            name = frame.f_code.co_filename
            hit = self._files.get(name)
            if hit is None:
                hit = self._files[name] = os.path.realpath(name) == self.revision_file
            if hit:
                return frame.f_lineno
            frame = frame.f_back  # type: ignore[assignment]
        return None

    def result(self) -> StepLocks:
        locks = sorted(
            self._locks.values(), key=lambda lk: (not lk.existing, lk.relation, -strength(lk.mode))
        )
        return StepLocks(locks, sorted(self._rewrites.values(), key=lambda r: r.relation))


def _short(statement: str, limit: int = 160) -> str:
    text = " ".join(statement.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
