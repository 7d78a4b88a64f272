"""What one upgrade step costs the tables that existed before it, on PostgreSQL, statement by statement.

A lock costs by how long it is held while it blocks others. So the recorder
measures, after every statement of the step and on the backend that runs it:

- the locks the transaction holds (``pg_locks`` joined to ``pg_class``): a lock
  is held until commit, so a lock taken by one statement is still held while the
  later ones run;
- the table-size work each statement did: ``pg_stat_xact_user_tables``
  sequential and index scan deltas (validating a CHECK or FOREIGN KEY, SET NOT
  NULL without a proving constraint, an index build, a backfill) and
  ``pg_class.relfilenode`` changes (a rewrite; TRUNCATE gives a new, empty file);
- ``lock_timeout`` in effect when the statement ran: a strong lock requested
  with a timeout is bounded, one without it queues every later query behind it.

A *cost* is table-size work on an existing table while the transaction holds a
write-blocking lock on it. A strong lock taken without ``lock_timeout`` is
*unbounded*. Statements run in autocommit mode (``autocommit_block()``) commit at
once, so their locks never show in ``pg_locks`` afterwards: the recorder runs
each of them first in a probe transaction (``BEGIN`` .. ``ROLLBACK``) on the same
connection and measures it there; a statement that cannot run in a transaction
(``CREATE INDEX CONCURRENTLY``, ``VACUUM``) is recorded as not measured.

The readings use the DBAPI connection directly, so they fire no events and do
not count as statements of the migration.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import sys
from collections.abc import Callable, Iterator
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
WHERE c.oid >= 16384 AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND left(n.nspname, 8) <> 'pg_toast'
  AND left(n.nspname, 7) <> 'pg_temp' AND c.relkind IN ('r', 'p', 'i', 'I', 'm', 'S', 'v', 'f')
"""
NEW_RELATIONS_SQL = """
SELECT c.oid, c.relname, c.relkind, n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.oid = ANY(%(oids)s)
"""
FILENODES_SQL = "SELECT oid, relfilenode FROM pg_class WHERE oid = ANY(%(oids)s)"
SCANS_SQL = (
    "SELECT relid, coalesce(seq_scan, 0) + coalesce(idx_scan, 0) FROM pg_stat_xact_user_tables "
    "WHERE relid = ANY(%(oids)s::oid[])"
)
#: One round trip after each statement: (l)ocks held, lock_(t)imeout, (s)can counts, (f)ile nodes.
READING_SQL = """
SELECT 'l', l.relation::bigint, l.mode FROM pg_locks l
WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND l.granted AND l.database = (
    SELECT oid FROM pg_database WHERE datname = current_database())
UNION ALL SELECT 't', NULL, current_setting('lock_timeout')
UNION ALL SELECT 's', relid::bigint, (coalesce(seq_scan, 0) + coalesce(idx_scan, 0))::text
FROM pg_stat_xact_user_tables WHERE relid = ANY(%(tables)s::oid[])
UNION ALL SELECT 'f', oid::bigint, relfilenode::text FROM pg_class WHERE oid = ANY(%(watched)s::oid[])
"""

#: READING_SQL as a prepared statement: planned once per connection of migcheck's own engine.
_READING_BODY = READING_SQL.replace("%(tables)s::oid[]", "$1").replace("%(watched)s::oid[]", "$2")


def _reading(cur: Any, tables: list[int], watched: list[int]) -> None:
    """READING_SQL on ``cur``; prepared (once) where the connection is migcheck's own (see live/roundtrips.py).

    The PREPARE runs inside the migration's transaction; prepared statements are not
    transactional, so it outlives a rollback. It is recorded only once it succeeded.
    """
    from migcheck.live.roundtrips import OWN, PREPARED, statement_name

    params = {"tables": tables, "watched": watched}
    dbapi = getattr(cur, "connection", None)
    if dbapi is None or dbapi not in OWN:
        cur.execute(READING_SQL, params)
        return
    name = statement_name("reading")  # random per run: the migration's SQL cannot replace it
    names = PREPARED.setdefault(dbapi, set())
    if name not in names:
        cur.execute(f"PREPARE {name}(oid[], oid[]) AS {_READING_BODY}")
        names.add(name)
    cur.execute(f"EXECUTE {name}(%(tables)s::oid[], %(watched)s::oid[])", params)


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
    #: lock_timeout was set when the lock was requested: waiting for it is bounded.
    bounded: bool = False
    #: Seen in a probe transaction (the statement itself ran in autocommit mode).
    probed: bool = False

    @property
    def blocks_writes(self) -> bool:
        return self.mode in WRITE_BLOCKING


@dataclass
class Rewrite:
    relation: str
    kind: str
    line: int | None = None
    statement: str | None = None

    @property
    def truncate(self) -> bool:
        return bool(self.statement) and self.statement.lstrip().upper().startswith("TRUNCATE")  # type: ignore[union-attr]


@dataclass
class Cost:
    """Table-size work on an existing table while the transaction holds a write-blocking lock on it."""

    relation: str
    lock: Lock
    #: "scan" (a constraint validated, SET NOT NULL, a backfill) or "index build".
    work: str
    line: int | None
    statement: str | None


@dataclass
class Unmeasured:
    """A statement whose locks could not be seen (it cannot run inside a transaction)."""

    line: int | None
    statement: str
    reason: str


@dataclass
class StepLocks:
    locks: list[Lock] = field(default_factory=list)
    rewrites: list[Rewrite] = field(default_factory=list)
    costs: list[Cost] = field(default_factory=list)
    unmeasured: list[Unmeasured] = field(default_factory=list)

    @property
    def unbounded(self) -> list[Lock]:
        """Write-blocking locks on existing tables requested without lock_timeout."""
        return [lk for lk in self.locks if lk.existing and lk.kind == "table" and lk.blocks_writes and not lk.bounded]


def relations(conn: Any) -> dict[int, Relation]:
    """Every user relation of the database, by oid, with its current file node."""
    rows = conn.exec_driver_sql(RELATIONS_SQL).fetchall()
    return {int(r[0]): Relation(int(r[0]), r[1], r[2], _KINDS.get(r[3], r[3]), int(r[4])) for r in rows}


#: A statement after which the session has no prepared statements left (a failed EXECUTE would abort the step).
_FORGETS_PREPARED = re.compile(r"\b(?:DEALLOCATE\s+(?:PREPARE\s+)?ALL|DISCARD\s+ALL)\b", re.I)
#: (``(?<!\s)``: a search does not retry ``\s*`` from every blank of a run, quadratic time.)
_VERSION_DML = re.compile(r"(?<!\s)\s*(?:SELECT|UPDATE|INSERT|DELETE)\b", re.I)
_INDEX_BUILD = re.compile(r"\bINDEX\b|\bUNIQUE\b|\bPRIMARY\s+KEY\b|\bEXCLUDE\b", re.I)


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
        self.tables = [oid for oid, rel in before.items() if rel.kind == "table" and oid not in self.ignore]
        self._locks: dict[tuple[int, str], Lock] = {}
        self._rewrites: dict[int, Rewrite] = {}
        self._costs: dict[tuple[int, int | None, str | None], Cost] = {}
        self._unmeasured: list[Unmeasured] = []
        self._names: dict[int, tuple[str, str]] = {}
        self._files: dict[str, bool] = {}
        #: Scan counters at the last reading, per DBAPI connection (reset with its transaction).
        self._scans: dict[int, dict[int, int]] = {}

    # events ------------------------------------------------------------------------------------

    def before_execute(
        self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
    ) -> None:
        if not self._mine(conn) or self.bookkeeping(statement):
            return
        dbapi = _dbapi(conn)
        if dbapi is None:
            return
        if getattr(dbapi, "autocommit", False):
            self._probe(dbapi, statement, None if executemany else parameters)
        elif id(dbapi) not in self._scans:
            with self._cursor(dbapi) as cur:
                self._scans[id(dbapi)] = self._read_scans(cur)

    def after_execute(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not self._mine(conn) or self.bookkeeping(statement):
            return
        dbapi = _dbapi(conn)
        if dbapi is None or getattr(dbapi, "closed", False):
            return
        if getattr(dbapi, "autocommit", False):  # committed already: only its file nodes are left to see
            with self._cursor(dbapi) as cur:
                self._read_rewrites(cur, self._line(), _short(statement))
            return
        if _FORGETS_PREPARED.search(statement):  # the reading is prepared again, not EXECUTEd in vain
            from migcheck.live.roundtrips import PREPARED

            PREPARED.pop(dbapi, None)
        self._read(dbapi, statement)

    def before_commit(self, conn: Any) -> None:
        if self._mine(conn):
            dbapi = _dbapi(conn)
            if dbapi is not None and not getattr(dbapi, "autocommit", False):
                self._read(dbapi, None)
                self._scans.pop(id(dbapi), None)

    def on_rollback(self, conn: Any) -> None:
        dbapi = _dbapi(conn) if self._mine(conn) else None
        if dbapi is not None:
            self._scans.pop(id(dbapi), None)

    @contextlib.contextmanager
    def listening(self) -> Iterator[None]:
        """Listen on every Engine while the step runs (``--use-env`` makes its own engine)."""
        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        hooks: list[tuple[str, Callable[..., Any]]] = [
            ("before_cursor_execute", self.before_execute),
            ("after_cursor_execute", self.after_execute),
            ("commit", self.before_commit),
            ("rollback", self.on_rollback),
        ]
        for name, fn in hooks:
            event.listen(Engine, name, fn)
        try:
            yield
        finally:
            for name, fn in hooks:
                event.remove(Engine, name, fn)

    # readings ----------------------------------------------------------------------------------

    def _is_version(self, name: str) -> bool:
        """Alembic's version table and its primary key index are bookkeeping, not the migration's doing."""
        return any(name == vt or name == f"{vt}_pkc" for vt in self.version_tables)

    def bookkeeping(self, statement: str) -> bool:
        """Alembic reading or moving its version table (not the revision's code): nothing to measure.

        Such a statement takes no lock on a user table and scans none; the readings after the
        revision's own statements and before the commit see every lock the step holds.
        """
        if not _VERSION_DML.match(statement) or not any(vt in statement for vt in self.version_tables):
            return False
        frame = sys._getframe(1)
        while frame is not None:  # run from the revision file (its own SQL on the version table): measured
            name = frame.f_code.co_filename
            hit = self._files.get(name)
            if hit is None:
                hit = self._files[name] = _realpath(name) == self.revision_file
            if hit:
                return False
            frame = frame.f_back  # type: ignore[assignment]
        return True

    def _mine(self, conn: Any) -> bool:
        return conn.engine.url.database == self.database and conn.dialect.name == "postgresql"

    @staticmethod
    @contextlib.contextmanager
    def _cursor(dbapi: Any) -> Iterator[Any]:
        cursor = dbapi.cursor()
        try:
            yield cursor
        finally:
            with contextlib.suppress(Exception):
                cursor.close()

    def _read_scans(self, cursor: Any) -> dict[int, int]:
        if not self.tables:
            return {}
        cursor.execute(SCANS_SQL, {"oids": self.tables})
        return {int(oid): int(n) for oid, n in cursor.fetchall()}

    def _probe(self, dbapi: Any, statement: str, parameters: Any) -> None:
        """Run an autocommit statement once in a transaction that is rolled back, and measure it there."""
        line, shown = self._line(), _short(statement)
        with self._cursor(dbapi) as cur:
            try:
                cur.execute("BEGIN")
                base = self._read_scans(cur)
                if parameters:
                    cur.execute(statement, parameters)
                else:
                    cur.execute(statement)
                self._measure(cur, base, line, shown, probed=True, rewrites=False)
            except Exception as exc:
                from migcheck.live.provision import db_error

                self._unmeasured.append(Unmeasured(line, shown, db_error(exc)))
            finally:
                with contextlib.suppress(Exception):
                    cur.execute("ROLLBACK")

    def _read(self, dbapi: Any, statement: str | None) -> None:
        line = self._line()
        shown = _short(statement) if statement else None
        with self._cursor(dbapi) as cur:
            try:
                base = self._scans.get(id(dbapi), {})
                self._scans[id(dbapi)] = self._measure(cur, base, line, shown, probed=False, rewrites=True)
            except Exception:  # an aborted transaction: the statement's own error is what matters
                return

    def _measure(
        self, cur: Any, base: dict[int, int], line: int | None, shown: str | None, *, probed: bool, rewrites: bool
    ) -> dict[int, int]:
        """Locks held, lock_timeout, scan deltas (and file nodes) right after one statement: one round trip."""
        watched = [o for o, rel in self.before.items() if rewrites and rel.filenode and o not in self._rewrites]
        _reading(cur, self.tables, watched)
        held: list[tuple[int, str]] = []
        scans: dict[int, int] = {}
        nodes: list[tuple[int, int]] = []
        bounded = False
        for kind, oid, value in cur.fetchall():
            if kind == "l":
                held.append((int(oid), value))
            elif kind == "t":
                bounded = str(value).strip() not in ("0", "")
            elif kind == "s":
                scans[int(oid)] = int(value)
            else:
                nodes.append((int(oid), int(value)))
        self._name_new(cur, [oid for oid, _ in held])
        for oid, mode in held:
            if oid in self.ignore or (oid, mode) in self._locks:
                continue
            if oid in self.before:
                rel = self.before[oid]
                self._locks[(oid, mode)] = Lock(rel.qualified, rel.kind, mode, True, line, shown, bounded, probed)
            elif oid in self._names:
                name, kind = self._names[oid]
                self._locks[(oid, mode)] = Lock(name, kind, mode, False, line, shown, bounded, probed)
        for oid, node in nodes:
            rel = self.before[oid]
            if node and node != rel.filenode:
                self._rewrites[oid] = Rewrite(rel.qualified, rel.kind, line, shown)
        blocking = {oid: mode for oid, mode in held if mode in WRITE_BLOCKING and oid in self.before}
        for oid, count in scans.items():
            if count <= base.get(oid, 0) or oid not in blocking or oid in self._rewrites:
                continue
            strongest = max(
                (lk for (o, _), lk in self._locks.items() if o == oid and lk.blocks_writes),
                key=lambda lk: strength(lk.mode),
                default=None,
            )
            if strongest is None:
                continue
            work = "index build" if shown and _INDEX_BUILD.search(shown) else "scan"
            key = (oid, line, shown)
            if key not in self._costs:
                self._costs[key] = Cost(self.before[oid].qualified, strongest, work, line, shown)
        return scans

    def _name_new(self, cur: Any, oids: list[int]) -> None:
        unknown = [o for o in oids if o not in self.before and o not in self._names and o not in self.ignore]
        if not unknown:
            return
        cur.execute(NEW_RELATIONS_SQL, {"oids": unknown})
        for oid, name, kind, schema in cur.fetchall():
            if schema in ("pg_catalog", "information_schema") or schema.startswith("pg_toast") or self._is_version(name):
                self.ignore.add(oid)
            else:
                self._names[oid] = (name if schema == "public" else f"{schema}.{name}", _KINDS.get(kind, kind))

    def _read_rewrites(self, cur: Any, line: int | None, shown: str | None) -> None:
        watched = [oid for oid, rel in self.before.items() if rel.filenode and oid not in self._rewrites]
        if not watched:
            return
        try:
            cur.execute(FILENODES_SQL, {"oids": watched})
            rows = cur.fetchall()
        except Exception:
            return
        for oid, node in rows:
            rel = self.before[oid]
            if node and int(node) != rel.filenode:
                self._rewrites[oid] = Rewrite(rel.qualified, rel.kind, line, shown)

    def _line(self) -> int | None:
        """The line of the revision file that is executing right now (walk up the Python stack)."""
        frame = sys._getframe(2)
        while frame is not None:
            name = frame.f_code.co_filename
            hit = self._files.get(name)
            if hit is None:
                hit = self._files[name] = _realpath(name) == self.revision_file
            if hit:
                return frame.f_lineno
            frame = frame.f_back  # type: ignore[assignment]
        return None

    def result(self) -> StepLocks:
        locks = sorted(
            self._locks.values(), key=lambda lk: (not lk.existing, lk.relation, -strength(lk.mode))
        )
        return StepLocks(
            locks,
            sorted(self._rewrites.values(), key=lambda r: r.relation),
            list(self._costs.values()),
            list(self._unmeasured),
        )


#: The real path of a code file on the stack, once per run (every step's recorder asks for the same files).
_realpath = functools.lru_cache(maxsize=4096)(os.path.realpath)


def _dbapi(conn: Any) -> Any:
    """The DBAPI connection under a SQLAlchemy one, or None when it is invalidated (an interrupt, a lost
    server): asking an invalidated connection would raise, and hide the KeyboardInterrupt behind it."""
    if getattr(conn, "invalidated", False):
        return None
    try:
        return conn.connection.dbapi_connection
    except Exception:
        return None


def _short(statement: str, limit: int = 160) -> str:
    text = " ".join(statement.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
