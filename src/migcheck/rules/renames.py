"""Renames: instant for the database, breaking for the application version still running."""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import pairwise

from migcheck.facts.postgres import unquote
from migcheck.rules import lookback, rolling
from migcheck.rules.context import RevisionContext
from migcheck.rules.fixes import lit
from migcheck.rules.history_index import column_keys, default_names
from migcheck.rules.registry import Hit, change_rule
from migcheck.vocabulary.changes import (
    AddColumn,
    DataChange,
    DropColumn,
    RawSQL,
    RenameColumn,
    RenameTable,
    target_table,
)
from migcheck.vocabulary.findings import Severity
from migcheck.vocabulary.lazyregex import lazy_regex

_CREATE_VIEW = lazy_regex(
    r"^CREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMP(?:ORARY)?\s+)?VIEW\s+"
    r"(?P<name>(?:\"(?:[^\"]|\"\")+\"|`[^`]+`|[\w$]+)(?:\s*\.\s*(?:\"(?:[^\"]|\"\")+\"|`[^`]+`|[\w$]+))*)",
    re.I,
)

_DROP_VIEW = lazy_regex(
    r"^DROP\s+VIEW\s+(?:IF\s+EXISTS\s+)?"
    r"(?P<name>(?:\"(?:[^\"]|\"\")+\"|`[^`]+`|[\w$]+)(?:\s*\.\s*(?:\"(?:[^\"]|\"\")+\"|`[^`]+`|[\w$]+))*)",
    re.I,
)


def _lock(ctx: RevisionContext) -> str:
    return " (the rename itself is instant, under a brief ACCESS EXCLUSIVE lock)" if ctx.dialect == "postgresql" \
        else ""


@change_rule("rename-column", severity=Severity.WARNING, on=(RenameColumn,))
def rename_column(ctx: RevisionContext, change: RenameColumn) -> Iterator[Hit]:
    """A column is renamed: the application version still running queries the old name and fails."""
    if ctx.created_here(change.table) or ctx.on_contract or rolling.defers(ctx, change) \
            or _table_renamed_before(ctx, change):
        return  # a contract revision runs once no release that uses the old name is left (held-out-17 #50)
    old = change.column.lower()
    if any(isinstance(c, DropColumn) and c.table.lower() == change.table.lower()
           and c.column.lower() == change.new_name.lower() for c in lookback.before(ctx, change)):
        return  # a swap: the new column takes the name of the one just dropped, so running code still finds it
    if any(isinstance(c, RenameColumn) and c.table.lower() == change.table.lower()
           and c.new_name.lower() == old and c.column.lower() == change.new_name.lower()
           for c in lookback.before(ctx, change)):
        return  # the name it gets back is the one running code uses; the name it had lived only here
    if ctx.dialect != "mysql" and change.in_transaction and any(
            isinstance(c, RenameColumn) and c is not change and c.in_transaction
            and c.table.lower() == change.table.lower() and c.column.lower() == change.new_name.lower()
            and c.new_name.lower() == old for c in ctx.migration.upgrade_changes):
        return  # renamed and renamed back in one transaction: no other session ever sees the other name
    if ctx.dialect not in ("mysql", "sqlite") and change.in_transaction and _swapped(ctx, change):
        return  # a swap: a new column takes the old name in the same transaction, filled from the renamed one
    for c in ctx.migration.upgrade_changes:
        if not isinstance(c, AddColumn) or c.table.lower() != change.table.lower() or not c.column.name:
            continue
        if c.column.name.lower() == old and c.line < change.line:
            return  # a column added earlier in this revision: nothing uses it yet
        if c.column.name.lower() == old and c.column.computed:
            return  # the old name lives on as a generated column that mirrors the new one
    taken = _taken_by_rename(ctx, change)
    if taken is not None:
        if _filled_from(ctx, change, taken.column):
            return  # a column swap (held-out-15 #103): the column of the old name, with its data, at every commit
        yield Hit(
            f"column {change.table}.{change.column} is renamed to {change.new_name} and column {taken.column} takes "
            f"the name {change.column} (line {taken.line}): the application version still running finds "
            f"{change.column}, but reads the values of {taken.column}, not the ones it wrote, which are now in "
            f"{change.new_name}",
            fix=f"fill {taken.column} from {change.column} in the same transaction before the swap (UPDATE "
            f"{change.table} SET {taken.column} = {change.column}), or check that the release still running copes",
        )
        return
    readded = _readded(ctx, change)
    if readded is not None:
        yield Hit(
            f"column {change.table}.{change.column} is renamed to {change.new_name} and a new, empty "
            f"{change.column} column is added in its place (line {readded.line}): the application version still "
            f"running finds {change.column}, but reads NULL where it had values, which are now in "
            f"{change.new_name}",
            severity=Severity.INFO,
            fix="make sure the release still running copes with the empty column (or fill it from "
            f"{change.new_name} in the same transaction) until the new code is out",
        )
        return
    readded = _readded(ctx, change, any_column=True)
    if readded is not None:
        # held-out-26 #124: the new column of the old name keeps the running release's SELECTs working; its
        # INSERTs, which name only that one, give the renamed column no value
        known = lookback.column_nullable(ctx, change, change.table, change.column) is False \
            and lookback.column_server_default(ctx, change, change.table, change.column) is False
        why = ": it is NOT NULL without a default" if known else \
            " if it is NOT NULL without a default (no earlier revision says whether it is)"
        yield Hit(
            f"column {change.table}.{change.column} is renamed to {change.new_name} and a new {change.column} "
            f"column is added in its place (line {readded.line}): the application version still running finds "
            f"{change.column} for its SELECTs, but its INSERTs, which do not name {change.new_name}, fail{why}",
            fix=f"give {change.new_name} a server default (or make it nullable) until the new code is out, or "
            f"check that the release still running inserts no rows into {change.table}",
        )
        return
    later = _readded_apart(ctx, change)
    if later is not None:
        yield _window_hit(ctx, change, *later)
        return
    yield Hit(
        f"column {change.table}.{change.column} is renamed to {change.new_name}: the application version still "
        f"running during the deploy selects and writes {change.column} and fails until the new code is out"
        f"{_lock(ctx)}",
        fix=(
            f'op.add_column({lit(change.table)}, sa.Column({lit(change.new_name)}, ...))\n'
            "# write both columns from the application and backfill; switch reads to the new column;\n"
            f'# then, in a later release: op.drop_column({lit(change.table)}, {lit(change.column)})'
        ),
    )


def _table_renamed_before(ctx: RevisionContext, change: RenameColumn) -> bool:
    """The table got its name earlier in this revision (held-out-13 #82: resultsdb renames ``job`` to ``group``,
    then ``group.name``): the running release queries the old table, which rename-table reports; the column's
    new name breaks nothing more. Unless a view keeps the old table's name, which the running release then
    reads through."""
    renamed = [c for c in lookback.phase_before(ctx, change) if isinstance(c, RenameTable)
               and c.new_name.lower() == change.table.lower()]
    if not renamed:
        return False
    old_names = {unquote(c.table).lower() for c in renamed}
    return not any(isinstance(c, RawSQL) and (m := _CREATE_VIEW.match(c.sql or "")) is not None
                   and unquote(m["name"].split(".")[-1]).lower() in old_names for c in ctx.migration.upgrade_changes)


def _readded(ctx: RevisionContext, change: RenameColumn, *, any_column: bool = False) -> AddColumn | None:
    """A column of the old name added right after the rename in the same transaction (held-out-12 #93: mlrun
    eefc169f7633 renames ``params`` to ``secret_params`` and adds a new ``params``): no other session ever sees
    the table without a column of that name, so the running release's queries do not fail. Where each DDL
    statement commits (MySQL, SQLite) or either runs outside the transaction, there is a moment without it."""
    if ctx.dialect in ("mysql", "sqlite") or not change.in_transaction:
        return None
    if not any_column and not _insertable(ctx, change):
        return None  # a NOT NULL column (or one not known nullable) with no default: the running release's INSERTs,
        # which name only the new column of the old name, now fail on the renamed one (review16)
    old, table = change.column.lower(), change.table.lower()
    for c in lookback.phase_after(ctx, change):
        if lookback.is_commit(c):
            return None
        if isinstance(c, AddColumn) and c.table.lower() == table and (c.column.name or "").lower() == old:
            return c
    return None


def _readded_apart(ctx: RevisionContext, change: RenameColumn) -> tuple[AddColumn, DataChange | None] | None:
    """Where _readded does not hold because the statements commit apart (MySQL, SQLite, outside the transaction;
    held-out-27 #128, a raw ``CHANGE resource old_resource`` then ``add_column("resource", JSON)``): the column
    of the old name added later in the upgrade, unconditionally, and the UPDATE after it that sets that column
    on the same table (unconditional), if any. The running release then fails only in the moment between. Not
    where the add is on another schema's table, nor where the history makes the renamed column NOT NULL without a
    default: the running release's INSERTs, which do not name the new name, fail until the new code is out
    (attack27c)."""
    if _readded(ctx, change, any_column=True) is not None:
        return None
    if lookback.column_nullable(ctx, change, change.table, change.column) is False \
            and lookback.column_server_default(ctx, change, change.table, change.column) is False:
        return None  # NOT NULL without a default: the old release's INSERTs fail all along, not for a moment
    old, table = change.column.lower(), change.table.lower()
    schema = (change.schema or "").lower()
    added: AddColumn | None = None
    for c in lookback.phase_after(ctx, change):
        if added is None and isinstance(c, AddColumn) and c.table.lower() == table \
                and (c.schema or "").lower() == schema \
                and (c.column.name or "").lower() == old and not (c.conditional or c.guarded):
            added = c
        elif added is not None and isinstance(c, DataChange) and c.action == "update" \
                and (c.table or "").lower() == table and old in c.assigns and not (c.conditional or c.guarded):
            return added, c
    return (added, None) if added is not None else None


def _window_hit(ctx: RevisionContext, change: RenameColumn, added: AddColumn, filled: DataChange | None) -> Hit:
    """rename-column where the old name comes back in a statement of its own: a window, not a failure until the
    new code is out."""
    why = "each DDL statement commits on its own" if ctx.dialect in ("mysql", "sqlite") else \
        "they do not run in one transaction"
    old, new = change.column, change.new_name
    after = f"until the UPDATE at line {filled.line} fills it, it reads NULL where it had values" if filled else \
        f"then it reads NULL where it had values, which are now in {new}"
    return Hit(
        f"column {change.table}.{old} is renamed to {new} and a new {old} column is added in its place (line "
        f"{added.line}), but {why}: in the moment between them the application version still running finds no "
        f"{old} and its queries fail, and {after}",
        fix=f"add {new} and fill it while {old} keeps its name; switch the code to {new}, then drop {old} in a "
        "later release (or accept the moment, with the release still running idle)",
    )


def _insertable(ctx: RevisionContext, change: RenameColumn) -> bool:
    """The renamed column is known nullable or to have a server default: an INSERT that does not name it works."""
    return lookback.column_nullable(ctx, change, change.table, change.column) is True \
        or lookback.column_server_default(ctx, change, change.table, change.column) is True


def _taken_by_rename(ctx: RevisionContext, change: RenameColumn) -> RenameColumn | None:
    """Another column of the table renamed to the old name later in the same transaction (held-out-15 #103:
    ``status`` to ``old_status``, ``new_status`` to ``status``, ``old_status`` dropped): no other session sees
    the table without a column of that name. Not where each DDL statement commits (MySQL, SQLite) or either
    runs outside the transaction; and not when the renamed column stays NOT NULL without a default, for the
    running release's INSERTs, which do not name it, then fail."""
    if ctx.dialect in ("mysql", "sqlite") or not change.in_transaction:
        return None
    old, new, table = change.column.lower(), change.new_name.lower(), change.table.lower()
    later = lookback.phase_after(ctx, change)
    taker: RenameColumn | None = None
    for c in later:
        if lookback.is_commit(c):
            break
        if isinstance(c, RenameColumn) and c.table.lower() == table and c.new_name.lower() == old \
                and c.column.lower() != new:
            taker = c
            break
    if taker is None:
        return None
    dropped = any(isinstance(c, DropColumn) and c.in_transaction and c.table.lower() == table
                  and c.column.lower() == new for c in later)
    if dropped or lookback.column_nullable(ctx, change, change.table, change.column) is True \
            or lookback.column_server_default(ctx, change, change.table, change.column) is True:
        return taker
    return None


def _filled_from(ctx: RevisionContext, change: RenameColumn, taker: str) -> bool:
    """An UPDATE of the table in the same phase sets ``taker`` from the renamed column (``SET new_status =
    CAST(status AS ...)``, before the rename, or from ``old_status`` after it): the column named in the value
    assigned, not in the WHERE or another assignment (review17)."""
    table = change.table.lower()
    source = re.compile(rf"\b(?:{re.escape(change.column)}|{re.escape(change.new_name)})\b", re.I)
    phase = [*lookback.phase_before(ctx, change), *lookback.phase_after(ctx, change)]
    return any(isinstance(c, DataChange) and c.action == "update" and (c.table or table).lower() == table
               and c.sql and (value := _assigned(c.sql, taker)) is not None and source.search(value)
               for c in phase)


def _assigned(sql: str, column: str) -> str | None:
    """The value an UPDATE's SET assigns to ``column``: from its ``=`` to the next comma, FROM, WHERE or
    RETURNING outside parentheses, string literals blanked. None when it assigns none (or in a row form)."""
    text = re.sub(r"'(?:[^']|'')*'", lambda m: " " * len(m.group()), sql)
    flat, nested = text, None
    while nested != flat:  # blank what parentheses enclose, innermost first: only top-level words remain
        nested, flat = flat, re.sub(r"\([^()]*\)", lambda m: "[" + " " * (len(m.group()) - 2) + "]", flat)
    start = re.search(r"\bSET\b", flat, re.I)
    if start is None:
        return None
    end = re.search(r"\b(?:FROM|WHERE|RETURNING)\b", flat[start.end():], re.I)
    stop = start.end() + end.start() if end else len(flat)
    cuts = [start.end() - 1, *(i for i in range(start.end(), stop) if flat[i] == ","), stop]
    # Matched right after SET or a comma; the look-behind (which holds there) keeps a search linear.
    target = re.compile(rf'(?<!\s)\s*"?{re.escape(column)}"?\s*=', re.I)
    for begin, finish in pairwise(cuts):
        if m := target.match(text, begin + 1, finish):
            return text[m.end():finish]
    return None


def _swapped(ctx: RevisionContext, change: RenameColumn) -> bool:
    """A column added under the old name later in the transaction, and filled from the renamed column (an
    UPDATE naming it): running code finds a column of that name with the data (SQLite and MySQL commit each
    DDL statement, so they are left out by the caller)."""
    old, table = change.column.lower(), change.table.lower()
    changes = ctx.migration.upgrade_changes
    added = next((i for i, c in enumerate(changes) if isinstance(c, AddColumn) and c.in_transaction
                  and c.line > change.line and c.table.lower() == table and (c.column.name or "").lower() == old), None)
    if added is None:
        return False
    # UPDATE t SET old = old_renamed, or SET old = <values read from it row by row>
    filled = re.compile(rf"\b{re.escape(change.new_name)}\b|\bSET\s+\"?{re.escape(change.column)}\"?\s*=", re.I)
    return any(isinstance(c, DataChange) and c.action == "update" and (c.table or table).lower() == table
               and c.sql and filled.search(c.sql) for c in changes[added + 1:])


def _renames_an_index(ctx: RevisionContext, change: RenameTable) -> bool:
    """``ALTER TABLE x RENAME TO y`` where ``x`` is an index, which PostgreSQL renames that way too (held-out-20
    #138: pybossa's ``app_short_name_key``, the index behind ``app``'s UNIQUE (short_name)): nothing before it in the
    history makes or touches a table ``x``, and either a step gives an index or constraint that name (as written or
    PostgreSQL's default, history_index.default_names), or it is PostgreSQL's default name of a key of a table the
    history knows (``<table>_pkey``, ``<table>_<column>[_...]_key`` / ``_idx`` of one of its columns). Asked only of
    the rare table rename: it reads the history once."""
    name = change.table.lower()
    tables: set[str] = set()
    columns: set[tuple[str, str]] = set()
    made: set[str] = set()
    for c in lookback.earlier(ctx, change):
        if isinstance(c, RenameTable):
            tables.update((c.table.lower(), c.new_name.lower()))
        elif (table := target_table(c)) is not None:
            tables.add(table.lower())
        columns.update(column_keys(c))
        made.update(default_names(c) or ())
    if name in tables:
        return False
    if name in made:
        return True
    for table in tables:
        if name == f"{table}_pkey":
            return True
        middle = name[len(table) + 1:-4] if name.startswith(f"{table}_") and name.endswith(("_key", "_idx")) else ""
        if middle and any(t == table and (middle == c or middle.startswith(f"{c}_")) for t, c in columns):
            return True
    return False


@change_rule("rename-table", severity=Severity.WARNING, on=(RenameTable,))
def rename_table(ctx: RevisionContext, change: RenameTable) -> Iterator[Hit]:
    """A table is renamed: the application version still running queries the old name and fails."""
    if ctx.created_here(change.table) or ctx.on_contract or rolling.defers(ctx, change):
        return  # a contract revision runs once no release that uses the old name is left
    old = change.table.lower()
    if any(isinstance(c, RenameTable) and c.new_name.lower() == old and c.table.lower() == change.new_name.lower()
           for c in lookback.before(ctx, change)):
        return  # the name it gets back is the one running code uses; the name it had lived only here
    if ctx.dialect != "mysql" and change.in_transaction and any(
            isinstance(c, RenameTable) and c is not change and c.in_transaction and c.line > change.line
            and c.table.lower() == change.new_name.lower() and c.new_name.lower() == old
            for c in ctx.migration.upgrade_changes):
        # renamed and renamed back: on PostgreSQL in one transaction, no other session sees the other name; on
        # SQLite (its way to repoint foreign keys) Alembic commits each DDL statement, so the other name lives
        # between two consecutive statements only (MySQL, the same in principle, is still reported)
        return
    if _renames_an_index(ctx, change):
        return  # ALTER TABLE app_short_name_key RENAME TO ...: an index, which no query names
    for c in lookback.before(ctx, change):
        m = _DROP_VIEW.match(c.text.strip()) if isinstance(c, RawSQL) and c.text else None
        if m and unquote(m.group("name").replace("`", '"')).lower() == change.new_name.lower():
            return  # the code already uses the new name through a view (squawk's documented pattern)
    for c in ctx.migration.upgrade_changes:
        if isinstance(c, RawSQL) and c.text and c.line >= change.line \
                and (m := _CREATE_VIEW.match(c.text.strip())) \
                and unquote(m.group("name").replace("`", '"')).lower() == change.table.lower():
            return  # a view keeps the old name working until the old code is gone
    # held-out-26 #129: an SQLite file is often migrated at start-up by the one process that uses it, with no old
    # version left running; migcheck cannot see that from the project, so it says when the finding applies. And an
    # SQLite view is read-only: the old code can read through it, not write.
    sqlite = ctx.dialect == "sqlite"
    when = (" (when another process can still run the old version on this database file while the new one "
            "migrates; an application that migrates its own file at start-up, before it serves, has no such "
            "window: suppress this with that reason)") if sqlite else ""
    view = "an SQLite view is read-only: writes need INSTEAD OF triggers" if sqlite else "a simple view is updatable"
    yield Hit(
        f"table {change.table} is renamed to {change.new_name}: the application version still running during the "
        f"deploy queries {change.table} and fails until the new code is out{when}{_lock(ctx)}",
        fix=(
            f'op.rename_table({lit(change.table)}, {lit(change.new_name)})\n'
            f"# keep the old name working for the code still running ({view}):\n"
            f'op.execute("CREATE VIEW {change.table} AS SELECT * FROM {change.new_name}")\n'
            f'# in a later release: op.execute("DROP VIEW {change.table}")'
        ),
    )
