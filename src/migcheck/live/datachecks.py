"""``verify-data``: rows inserted before a revision and checked after it (data-migration tests).

A data migration (split a column, backfill a new one, move rows between
tables) can leave the schema right and the data wrong; only rows put in before
the upgrade and looked at after it show that. pytest-alembic's
``before_revision_data`` / ``at_revision_data`` insert such rows and leave the
checks to hand-written tests; here both are declared, without code, in one TOML
file per revision, ``<verify-data folder>/<revision id>.toml``::

    [[before]]                      # inserted just before the first upgrade of this revision
    table = "users"
    rows = [{id = 1, name = "Ada Lovelace"}]

    [[at]]                          # inserted right after it (pytest-alembic's at_revision_data)
    table = "users"
    rows = [{id = 2, first_name = "Alan", last_name = "Turing"}]

    [[after]]                       # must hold after the upgrade
    table = "users"
    rows = [{id = 1, first_name = "Ada", last_name = "Lovelace"}]

    [[after]]
    sql = "SELECT count(*) = 2 FROM users WHERE last_name IS NOT NULL"

    [[after_downgrade]]             # must hold after the downgrade
    table = "users"
    rows = [{id = 1, name = "Ada Lovelace"}]

An ``[[after]]`` row is found by its ``key`` columns (default: the table's
primary key when the row gives it) and compared on every column it names, by
the database's own ``=``; a ``sql`` check must return true in its first column.
The checks run once, after the first upgrade (and after the downgrade): the
re-upgrade runs over the rows the downgrade left, which is what
``upgrade-not-repeatable`` watches. A file that cannot be read, or names a
revision the history does not have, stops verify before anything runs (exit 2,
one line); a check that fails is a ``data-check-failed`` finding on the
revision.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from difflib import get_close_matches
from pathlib import Path
from typing import Any

from migcheck.guard import toml
from migcheck.guard.escape import one_line
from migcheck.guard.readfile import UnreadableFile, read_regular
from migcheck.live import LiveError
from migcheck.run.engine import display_path
from migcheck.sources.discovery import escapes, named_project
from migcheck.vocabulary.graph import RevisionGraph

#: The arrays a data file may hold, in the order they apply to a revision.
PHASES = ("before", "at", "after", "after_downgrade")
_INSERTS = ("before", "at")
_KEYS = {"table", "schema", "rows", "key", "sql"}
_SHOWN_ROWS = 3


@dataclass(frozen=True)
class Entry:
    """One ``[[phase]]`` table of a data file: rows of one table, or one SQL statement."""

    phase: str
    number: int  # 1-based, within its phase
    table: str | None = None
    schema: str | None = None
    rows: tuple[dict[str, Any], ...] = ()
    key: tuple[str, ...] | None = None
    sql: str | None = None

    @property
    def label(self) -> str:
        return f"[[{self.phase}]] #{self.number}"

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.table}" if self.schema else str(self.table)


@dataclass
class RevisionData:
    """What one revision's data file declares."""

    revision: str
    path: Path
    entries: dict[str, list[Entry]] = field(default_factory=dict)

    def of(self, phase: str) -> list[Entry]:
        return self.entries.get(phase, [])

    @property
    def shown(self) -> str:
        return display_path(self.path)


# --- reading the folder -------------------------------------------------------------------------


def load(folder: Path, graph: RevisionGraph) -> dict[str, RevisionData]:
    """Every ``<revision>.toml`` of ``folder``, checked against the history; LiveError (one line) if bad."""
    if not folder.is_dir():
        raise LiveError(f"verify-data: {display_path(folder)} is not a folder")
    known = set(graph.by_id)
    out: dict[str, RevisionData] = {}
    project = named_project(folder)  # the folder (or one above it) may be a symlink: judged from where it is named
    for path in sorted(folder.glob("*.toml")):
        refused = escapes(path, project)
        if refused is not None:
            raise LiveError(f"verify-data: {display_path(path)}: {refused}")
        revision = path.stem
        if revision not in known:
            close = get_close_matches(revision, sorted(known), n=1)
            hint = f"; did you mean {close[0]}.toml?" if close else ""
            raise LiveError(
                f"verify-data: {display_path(path)} names revision {revision!r}, which is not in the history{hint}"
            )
        out[revision] = _read(path, revision)
    return out


def _read(path: Path, revision: str) -> RevisionData:
    shown = display_path(path)
    try:
        data = toml.loads(read_regular(path).decode("utf-8"))
    except UnreadableFile as exc:
        raise LiveError(f"verify-data: cannot read {shown}: {exc}") from None
    except UnicodeDecodeError as exc:
        raise LiveError(f"verify-data: cannot read {shown}: not UTF-8 ({exc.reason})") from None
    except toml.TomlError as exc:
        raise LiveError(f"verify-data: {shown} is not valid TOML: {exc}") from None
    result = RevisionData(revision, path)
    for name, value in data.items():
        if name not in PHASES:
            close = get_close_matches(name, PHASES, n=1)
            hint = f"; did you mean [[{close[0]}]]?" if close else f" (valid: {', '.join(PHASES)})"
            raise LiveError(f"verify-data: {shown}: unknown key {name!r}{hint}")
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise LiveError(f"verify-data: {shown}: {name} must be an array of tables ([[{name}]])")
        result.entries[name] = [_entry(shown, name, i, item) for i, item in enumerate(value, 1)]
    return result


def _entry(shown: str, phase: str, number: int, item: dict[str, Any]) -> Entry:
    where = f"verify-data: {shown}: [[{phase}]] #{number}"
    unknown = sorted(set(item) - _KEYS)
    if unknown:
        raise LiveError(f"{where}: unknown key {unknown[0]!r} (valid: {', '.join(sorted(_KEYS))})")
    sql, table, rows = item.get("sql"), item.get("table"), item.get("rows")
    if sql is not None:
        if set(item) - {"sql"}:
            raise LiveError(f"{where}: give either sql, or table and rows, not both")
        if not isinstance(sql, str) or not sql.strip():
            raise LiveError(f"{where}: sql must be a non-empty string")
        return Entry(phase, number, sql=sql.strip())
    if not isinstance(table, str) or not table.strip():
        raise LiveError(f"{where}: needs table = \"name\" and rows = [...], or sql = \"...\"")
    if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) and r for r in rows):
        raise LiveError(f"{where}: rows must be a non-empty array of inline tables ({{column = value, ...}})")
    schema = item.get("schema")
    if schema is not None and (not isinstance(schema, str) or not schema.strip()):
        raise LiveError(f"{where}: schema must be a name")
    key = item.get("key")
    if key is not None:
        if isinstance(key, str):
            key = [key]
        if phase in _INSERTS:
            raise LiveError(f"{where}: key is for checks ([[after]], [[after_downgrade]]), not for inserted rows")
        if not isinstance(key, list) or not key or not all(isinstance(k, str) for k in key):
            raise LiveError(f"{where}: key must be a column name or a list of them")
        missing = [k for k in key if any(k not in row for row in rows)]
        if missing:
            raise LiveError(f"{where}: every row must give the key column {missing[0]!r}")
    return Entry(phase, number, table.strip(), schema.strip() if schema else None, tuple(rows),
                 tuple(key) if key else None)


# --- running it on the scratch database ----------------------------------------------------------


@dataclass
class Tally:
    """How many checks ran and failed, for the run's note."""

    revisions: int = 0
    checks: int = 0
    failed: int = 0
    inserted: int = 0


class DataHooks:
    """The declared data of every revision, applied at the cycle's points on the scratch database."""

    def __init__(self, data: dict[str, RevisionData], seed_rows: int = 0) -> None:
        self.data = data
        self.seed_rows = seed_rows
        self.tally = Tally()
        self.used: set[str] = set()
        #: Revisions whose first upgrade ran (their data, if any, was applied).
        self.reached: set[str] = set()

    def run(self, phase: str, revision: str, engine: Any) -> list[str]:
        """Apply ``phase`` of ``revision``'s file; the failure messages (empty when all held)."""
        self.reached.add(revision)
        declared = self.data.get(revision)
        if declared is None or not declared.of(phase):
            return []
        if revision not in self.used:
            self.used.add(revision)
            self.tally.revisions += 1
        failures: list[str] = []
        for entry in declared.of(phase):
            if phase in _INSERTS:
                problem = self._insert(entry, engine)
            else:
                self.tally.checks += 1
                problem = self._check(entry, engine)
                if problem:
                    self.tally.failed += 1
            if problem:
                failures.append(f"{declared.shown} {entry.label}: {problem}")
        return failures

    def unused_note(self) -> str | None:
        """Files of revisions this run did not upgrade (outside --from/--to, skipped, or after a stop)."""
        unused = sorted(set(self.data) - self.reached)
        if not unused:
            return None
        shown = ", ".join(unused[:5]) + (f" and {len(unused) - 5} more" if len(unused) > 5 else "")
        return f"verify-data: the data of {shown} was not used (the revision was not run in this verify)"

    def summary_note(self) -> str | None:
        t = self.tally
        if not t.revisions:
            return None
        return (
            f"verify-data: {t.inserted} row{'s' if t.inserted != 1 else ''} inserted and {t.checks} "
            f"check{'s' if t.checks != 1 else ''} run for {t.revisions} revision{'s' if t.revisions != 1 else ''}, "
            f"{t.failed} failed"
        )

    # inserts --------------------------------------------------------------------------------------

    def _insert(self, entry: Entry, engine: Any) -> str | None:
        when = "before the upgrade" if entry.phase == "before" else "after the upgrade"
        try:
            with engine.begin() as conn:
                if entry.sql is not None:
                    conn.exec_driver_sql(_percent(conn, entry.sql))
                    return None
                table = _reflect(conn, entry)
                if isinstance(table, str):
                    return f"cannot insert into {entry.qualified} {when}: {table}"
                for row in entry.rows:
                    unknown = [c for c in row if c not in table.c]
                    if unknown:
                        return (
                            f"cannot insert into {entry.qualified} {when}: it has no column {unknown[0]!r} "
                            f"(its columns: {', '.join(c.name for c in table.c)})"
                        )
                for number, row in enumerate(entry.rows, 1):
                    try:
                        conn.execute(table.insert(), [row])
                    except Exception as exc:
                        seeded = (
                            f" (each table already holds {self.seed_rows} --seed-rows rows: give ids above "
                            "those, or leave the database-numbered key out)"
                            if self.seed_rows and _is_duplicate(exc) else ""
                        )
                        raise _RowRefused(
                            f"row {number} {_show(row)} cannot be inserted into {entry.qualified} {when}: "
                            f"{_db_error(exc)}{seeded}"
                        ) from None
                _advance_sequences(conn, table)
                self.tally.inserted += len(entry.rows)
        except _RowRefused as exc:
            return f"{exc}; none of this entry's rows were inserted"
        except Exception as exc:
            what = "its SQL failed" if entry.sql is not None else f"cannot insert into {entry.qualified}"
            return f"{what} {when}: {_db_error(exc)}"
        return None

    # checks ---------------------------------------------------------------------------------------

    def _check(self, entry: Entry, engine: Any) -> str | None:
        where = "after the upgrade" if entry.phase == "after" else "after the downgrade"
        try:
            with engine.connect() as conn:
                try:
                    if entry.sql is not None:
                        return _check_sql(conn, entry, where)
                    return _check_rows(conn, entry, where)
                finally:
                    conn.rollback()
        except Exception as exc:
            what = f"query `{one_line(entry.sql)}`" if entry.sql is not None else f"reading {entry.qualified}"
            return f"{what} failed {where}: {_db_error(exc)}"


class _RowRefused(Exception):
    pass


def _check_sql(conn: Any, entry: Entry, where: str) -> str | None:
    assert entry.sql is not None
    row = conn.exec_driver_sql(_percent(conn, entry.sql)).first()
    query = f"query `{one_line(entry.sql)}`"
    if row is None:
        return f"{query} returned no row {where} (it must return true)"
    value = row[0]
    if value is None:
        return f"{query} returned NULL {where} (it must return true)"
    if isinstance(value, bool | int) and value:
        return None
    if isinstance(value, str) and value.strip().lower() in ("t", "true", "1"):
        return None
    return f"{query} returned {value!r} {where} (it must return true)"


def _check_rows(conn: Any, entry: Entry, where: str) -> str | None:
    from sqlalchemy import and_, func, select

    table = _reflect(conn, entry)
    if isinstance(table, str):
        return f"{where}, {table}"
    problems: list[str] = []
    for number, row in enumerate(entry.rows, 1):
        unknown = [c for c in row if c not in table.c]
        if unknown:
            problems.append(
                f"row {number} {_show(row)}: table {entry.qualified} has no column {unknown[0]!r} {where} "
                f"(its columns: {', '.join(c.name for c in table.c)})"
            )
            continue
        match = and_(*(table.c[c] == v for c, v in row.items()))
        if conn.execute(select(func.count()).select_from(table).where(match)).scalar_one():
            continue
        problems.append(f"row {number} {_show(row)} not found in {entry.qualified} {where}: "
                        f"{_instead(conn, table, entry, row)}")
    if not problems:
        return None
    more = f" (and {len(problems) - 1} more row{'s' if len(problems) > 2 else ''})" if len(problems) > 1 else ""
    return problems[0] + more


def _instead(conn: Any, table: Any, entry: Entry, row: dict[str, Any]) -> str:
    """What the table holds in place of the expected row: the row with the same key, or a sample."""
    from sqlalchemy import and_, func, select

    key = entry.key
    if key is None:
        primary = [c.name for c in table.primary_key.columns]
        key = tuple(primary) if primary and all(c in row for c in primary) and len(primary) < len(row) else None
    columns = [table.c[c] for c in row]
    if key:
        ident = ", ".join(f"{k} = {_value(row[k])}" for k in key)
        found = conn.execute(select(*columns).where(and_(*(table.c[k] == row[k] for k in key))).limit(2)).all()
        if not found:
            return f"no row has {ident}"
        got = dict(zip(row, found[0], strict=True))
        differs = [c for c in row if c not in key]
        shown = ", ".join(f"{c} = {_value(got[c])}" for c in differs)
        return f"the row with {ident} has {shown}"
    total = conn.execute(select(func.count()).select_from(table)).scalar_one()
    if not total:
        return "the table is empty"
    sample = conn.execute(select(*columns).limit(_SHOWN_ROWS)).all()
    listed = "; ".join(_show(dict(zip(row, r, strict=True))) for r in sample)
    return f"it has {total} row{'s' if total != 1 else ''}, e.g. {listed}"


def _reflect(conn: Any, entry: Entry) -> Any:
    """The table as it is now, or why it cannot be read."""
    import warnings

    from sqlalchemy import MetaData, Table
    from sqlalchemy.exc import NoSuchTableError

    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Can't validate argument")
            return Table(str(entry.table), MetaData(), schema=entry.schema, autoload_with=conn)
    except NoSuchTableError:
        return f"table {entry.qualified} does not exist"


def _advance_sequences(conn: Any, table: Any) -> None:
    """PostgreSQL: serial/identity sequences past the ids just given, so later inserts do not collide."""
    if conn.dialect.name != "postgresql":
        return
    from sqlalchemy import text

    for column in table.primary_key.columns:
        quoted = conn.dialect.identifier_preparer.format_table(table)
        sequence = conn.execute(text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": quoted, "c": column.name}).scalar()
        if sequence is None:
            continue
        col = conn.dialect.identifier_preparer.quote(column.name)
        conn.execute(
            text(f"SELECT setval(:s, GREATEST((SELECT max({col}) FROM {quoted}), 1))"),
            {"s": sequence},
        )


def _percent(conn: Any, sql: str) -> str:
    """A statement as the driver takes it: pyformat drivers read ``%`` as a placeholder."""
    return sql.replace("%", "%%") if conn.dialect.paramstyle in ("pyformat", "format") else sql


def _is_duplicate(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "duplicate" in text or "unique" in text


def _db_error(exc: BaseException) -> str:
    from migcheck.live.provision import db_error

    return one_line(db_error(exc))


def _value(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, str):
        return repr(value)
    return str(value)


def _show(row: dict[str, Any]) -> str:
    return "{" + ", ".join(f"{c} = {_value(v)}" for c, v in row.items()) + "}"
