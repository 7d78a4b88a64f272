"""Changes that delete data, and break the application version still running during a deploy."""

from __future__ import annotations

import re
from collections.abc import Iterator

from migcheck.rules import lookback, rolling
from migcheck.rules.autogen import autogenerate_note
from migcheck.rules.built import same_type
from migcheck.rules.carried import copied_in_table
from migcheck.rules.context import RevisionContext
from migcheck.rules.emptied import emptied_before
from migcheck.rules.fixes import lit
from migcheck.rules.registry import Hit, change_rule
from migcheck.rules.versions import instant_drop_column, mysql_ddl_note, release_unknown
from migcheck.rules.versiontable import own_version_table, retired_version_table
from migcheck.vocabulary.changes import (
    AddColumn,
    Change,
    CreateTable,
    DataChange,
    DropColumn,
    DropTable,
    RawSQL,
    RenameColumn,
    RenameTable,
)
from migcheck.vocabulary.findings import Severity
from migcheck.vocabulary.revision import Migration


@change_rule("drop-column", severity=Severity.ERROR, on=(DropColumn,))
def drop_column(ctx: RevisionContext, change: DropColumn) -> Iterator[Hit]:
    """A column is dropped: its data is gone, and running code that still selects it fails."""
    if ctx.created_here(change.table) or _added_here(ctx, change) or rolling.defers(ctx, change) \
            or _converted_temporary(ctx, change) or _table_dropped_later(ctx, change):
        return
    if ctx.on_contract:
        yield from _contract_loss(ctx, f"column {change.table}.{change.column}", _column_carried(ctx, change),
                                  change.line)
        return
    swap = _swapped_in(ctx, change)
    if swap is not None:
        yield from _swap_hit(ctx, change, *swap)
        return
    judged, severity = rolling.judged_note(ctx, change)
    mysql = ""
    if ctx.dialect == "mysql":
        since = release_unknown(ctx.settings, (8, 0, 29), (10, 4))
        rebuild = "" if instant_drop_column(ctx.settings) else \
            f" and, before {since}, rebuilds the whole table" if since else " and rebuilds the whole table"
        mysql = f"{mysql_ddl_note(ctx.settings)}{rebuild}"
    yield Hit(
        f"column {change.table}.{change.column} is dropped: {_column_carried(ctx, change)} the application version "
        f"still running during the deploy fails on every query that names it (SQLAlchemy selects every "
        f"mapped column){mysql}{judged}{autogenerate_note(ctx.migration, change.line)}",
        severity=severity,
        fix=(
            "1. remove the column from the models and release that first;\n"
            "2. then drop it in a later revision, and say why it is safe:\n"
            f'   op.drop_column({lit(change.table)}, {lit(change.column)})  '
            f"# migcheck: ignore[drop-column] -- unused since release X"
        ),
    )


def _swapped_in(ctx: RevisionContext, change: DropColumn) -> tuple[AddColumn, DataChange, RenameColumn] | None:
    """A column swap in one transaction (held-out-18 #44): a column added earlier in this phase, filled by an
    UPDATE that reads the dropped column, is renamed to the dropped column's name before the transaction ends
    (add ``id_new``, ``UPDATE t SET id_new = CAST(... id ...)``, drop ``id``, rename ``id_new`` to ``id``). No
    other session sees the table without a column of that name, nor without its values. Not where each DDL
    statement commits (MySQL, SQLite), nor for steps under an ``if`` or a swallowing ``try``, nor for a fill with a
    WHERE that skips rows holding a value (review18: ``UPDATE t SET id_new = id WHERE id < 1000`` leaves the other
    rows' values behind)."""
    if ctx.dialect in ("mysql", "sqlite") or not change.in_transaction:
        return None
    table, column = change.table.lower(), change.column.lower()
    rename = None
    for c in lookback.phase_after(ctx, change):
        if lookback.is_commit(c):
            return None
        if isinstance(c, RenameColumn) and c.table.lower() == table and c.new_name.lower() == column:
            rename = c
            break
    if rename is None or rename.conditional or rename.guarded:
        return None
    new = rename.column.lower()
    earlier = lookback.phase_before(ctx, change)
    added = next((c for c in earlier if isinstance(c, AddColumn) and c.table.lower() == table
                  and (c.column.name or "").lower() == new and c.in_transaction), None)
    if added is None or added.conditional or added.guarded or added.if_not_exists or added.schema != change.schema:
        return None
    reads = re.compile(rf"\b{re.escape(change.column)}\b", re.I)
    fill = next((c for c in earlier if isinstance(c, DataChange) and c.action == "update" and c.line != added.line
                 and (c.table or "").lower() == table and new in c.sets and c.sql and reads.search(c.sql)
                 and _fills_every_row(c, change.column) and not c.conditional and not c.guarded), None)
    return None if fill is None else (added, fill, rename)


def _fills_every_row(fill: DataChange, column: str) -> bool:
    """The fill reaches every row that holds a value of ``column``: no WHERE, a WHERE that only skips the rows where
    it is NULL (``WHERE note IS NOT NULL``: their copy is NULL as well), or an ``UPDATE ... FROM`` whose WHERE
    matches the rows of the other table (held-out-18 #44, tracecat: the foreign key maps every row)."""
    if fill.has_where is False or fill.joined:
        return True
    where = " ".join((fill.unbounded_where or "").lower().split())
    name = re.escape(column.lower())
    return re.fullmatch(rf'(?:"?\w+"?\.)?(?:{name}|"{name}") is not null', where) is not None


def _swap_hit(ctx: RevisionContext, change: DropColumn, added: AddColumn, fill: DataChange,
              rename: RenameColumn) -> Iterator[Hit]:
    """What a swap really risks: not the data, nor the name, but the type the running release reads."""
    old_type = lookback.column_type(ctx, change, change.table, change.column)
    if same_type(old_type, added.column.type):
        return  # the same column, the same values, the same type: nothing the running release can tell
    change_of = f"from {old_type} to {added.column.type}" if old_type and added.column.type else \
        f"to {added.column.type or 'another type'}"
    yield Hit(
        f"column {change.table}.{change.column} is dropped and {added.column.name}, filled from it (line "
        f"{fill.line}), takes its name (line {rename.line}) in the same transaction: no data is lost and queries "
        f"naming {change.column} still find it, but its type changes {change_of} under the application version "
        f"still running during the deploy, which reads and writes it as the old type",
        severity=Severity.WARNING,
        fix="release code that works with both types first, or convert in place with op.alter_column(..., "
            "type_=..., postgresql_using=...) and check the running release copes with the new type",
    )


def _added_here(ctx: RevisionContext, change: DropColumn) -> bool:
    """The same phase added the column earlier and nothing since gave its name to another column: a temporary
    helper (``add_column("association", Column("id", ...))`` to de-duplicate rows, then ``drop_column("association",
    "id")``, held-out-12 #41). The old release never had it, and its values were made by this function, so no
    existing data is lost. An add under an ``if`` or in a swallowing ``try`` may not have run (the column may be
    the table's own), and a rename of the column or its table in between makes the name another column's."""
    table, column = change.table.lower(), change.column.lower()
    for c in reversed(lookback.phase_before(ctx, change)):
        if isinstance(c, AddColumn) and c.table.lower() == table and (c.column.name or "").lower() == column:
            return c.schema == change.schema and not (c.conditional or c.guarded or c.unless_exists or c.if_not_exists)
        if (isinstance(c, RenameColumn) and c.table.lower() == table
                and column in {c.column.lower(), c.new_name.lower()}) \
                or (isinstance(c, RenameTable) and table in {c.table.lower(), c.new_name.lower()}) \
                or (isinstance(c, DropColumn) and c.table.lower() == table and c.column.lower() == column) \
                or (isinstance(c, (CreateTable, DropTable)) and c.table.lower() == table):
            return False
    return False


def _column_carried(ctx: RevisionContext, change: DropColumn) -> str:
    """What the message may say of the column's data: lost, unless an INSERT ... SELECT took its values into
    another table first, in this phase or in an earlier revision since the column was made (the copy step of an
    expand / copy / contract done across revisions, held-out-12 #39: copr's 7723d580c625 copies
    ``copr.scm_api_auth_json`` into ``copr_private``, its child drops the column). Values written to the column
    after an earlier revision's copy are not carried, and a filtered copy carries only the rows it selects."""
    from migcheck.extract.sql import copies_column_out  # the SQL parser: only once a drop is judged

    for migration, copy in lookback.column_copies(ctx, change, change.table, change.column):
        # rows a SELECT read and Python wrote (op.bulk_insert): which values it keeps is not read, so not whole
        if not copy.sql and copy.read_tables:
            whole = False if migration is not None and _selected_for(migration, copy, change, ctx.dialect) else None
        else:
            whole = copies_column_out(copy.sql or "", change.table, change.column, ctx.dialect)
        if whole is None:
            continue
        where = f"{copy.table} (line {copy.line})" if migration is None else \
            f"{copy.table} by revision {migration.revision} (line {copy.line})"
        if migration is None:
            return f"its values were first copied into {where}, so they are not lost, but" if whole else \
                f"its values were first written into {where}; rows that statement leaves out lose them, and"
        since = "values written to it after that copy are not carried over" if whole else \
            "rows that statement left out, and values written to it after that copy, are not carried over"
        return f"its values were {'copied' if whole else 'written'} into {where}; {since}, and"
    in_table = copied_in_table(lookback.phase_before(ctx, change), change, ctx.dialect)
    if in_table is not None:
        copy, target = in_table
        return (f"its values were first copied into {change.table}.{target} (line {copy.line}), so they are not "
                f"lost, but")
    moved = _rows_moved(ctx, change)
    if moved is not None:
        read, write = moved
        return (f"its values were read (line {read.line}) and written into {write.table} (line {write.line}) first; "
                f"what that statement does not carry over is lost, and")
    written = _rows_written_elsewhere(ctx, change)
    if written is not None:
        return (f"rows read from {change.table} were first written into {written.table} (line {written.line}); what "
                f"that write does not carry over of its values is lost, and")
    fed = _fed_from_rows(ctx, change)
    if fed is not None:
        return (f"its values may live on in {fed.table}, written from rows read from {change.table} (line "
                f"{fed.line}); those that write does not carry over are lost, and")
    emptied = emptied_before(ctx, change, change.table, change.schema)
    if isinstance(emptied, AddColumn):
        # held-out-13 #78: the ADD COLUMN fails on any row, so the drop runs only on an empty table; the
        # running release still names the column, and that stays reported
        return (f"the table is empty when it runs (the ADD COLUMN {emptied.column.name} NOT NULL without a default "
                f"at line {emptied.line} fails on any row), so no data is lost, but")
    return "its data is lost, and"


def _selected_for(migration: Migration, copy: DataChange, change: DropColumn, dialect: str) -> bool:
    """Whether the rows ``copy`` (a Python write of rows read, ``op.bulk_insert``) takes from ``change``'s table may
    hold the dropped column: every SQL SELECT of that table before it in its revision (any of them may be the one
    that fed it) returns the column itself from the same schema (extract.sql.selects_column: not ``NULL AS col``,
    ``'col'``, ``count(col)``, ``other AS col`` nor another schema's table of that name), and one of them certainly
    ran. An unused ``SELECT col FROM t`` next to the read that feeds the write made the drop "written" (attack26a)."""
    from migcheck.extract.sql import selects_column
    from migcheck.rules.history_index import _READ_TABLE, _starts_select

    table, ran = change.table.lower(), False
    for c in migration.upgrade_changes:
        if c is copy:
            break
        text = c.text if isinstance(c, RawSQL) else c.sql if isinstance(c, DataChange) else None
        if not text or not _starts_select(text) or table not in {m.lower() for m in _READ_TABLE.findall(text)}:
            continue
        if not selects_column(text, change.table, change.schema, change.column, dialect):
            return False
        ran = ran or not (c.conditional or c.guarded)
    return ran


def _rows_moved(ctx: RevisionContext, change: DropColumn) -> tuple[Change, DataChange] | None:
    """A SELECT of the column from its table, then an INSERT or ``op.bulk_insert`` into another table built from
    the rows read (``DataChange.read_tables``), both earlier in this phase and certainly run (held-out-25 #48:
    zam's 181f05f634f4 reads ``SELECT pk, avis, ... FROM amendements`` and bulk-inserts every row into
    amendement_user_contents before dropping those columns): the values were written elsewhere, so "its data is
    lost" is not what the message may say. Which values the write keeps is not read, so only what it leaves out
    is said to be lost."""
    table = change.table.lower()
    names_column = re.compile(rf"(?<![\w$]){re.escape(change.column)}(?![\w$])", re.I)
    read: Change | None = None
    for c in lookback.phase_before(ctx, change):
        if c.conditional or c.guarded:
            continue
        text = c.text if isinstance(c, RawSQL) else c.sql if isinstance(c, DataChange) else None
        if read is None and text and _reads(c, table) \
                and names_column.search(re.split(r"\bFROM\b", text, maxsplit=1, flags=re.I)[0]):
            read = c  # the column in the select list, before the FROM that names its table
        elif read is not None and isinstance(c, DataChange) and c.action in {"insert", "bulk_insert"} \
                and c.table and c.table.lower() != table and table in c.read_tables:
            return read, c
    return None


def _fed_from_rows(ctx: RevisionContext, change: DropColumn) -> DataChange | None:
    """An INSERT or ``op.bulk_insert`` into another table, built in Python from rows a Core ``select()`` read from the
    column's table (``DataChange.read_tables``), earlier in this phase (held-out-28 #40: kf-api-dataservice's
    3bf0c3822a8e selects ``genomic_file.c.sequencing_experiment_id`` and inserts each row's value into
    sequencing_experiment_genomic_file before the drop), a select that names the column (``t.c.col``:
    ``DataChange.read_columns``; a read of other columns of the table carries none of its values). Which of the
    values read the write keeps, and which rows, are not read: the message says the values may live on there, not
    that they do, nor that they are lost."""
    table, column = change.table.lower(), change.column.lower()
    return next((c for c in lookback.phase_before(ctx, change) if isinstance(c, DataChange) and not c.sql
                 and c.action in {"insert", "bulk_insert"} and c.table and c.table.lower() != table
                 and (table, column) in c.read_columns), None)


def _rows_written_elsewhere(ctx: RevisionContext, change: DropColumn) -> DataChange | None:
    """An INSERT or ``op.bulk_insert`` into another table, earlier in this phase and certainly run, written by Python
    from rows a Core ``select()`` read from the column's table (``DataChange.read_tables``), a select that names this
    column or names none (the whole row: ``t.select()``; one naming only other columns carries none of its values),
    with no SELECT written in SQL reading the table before (held-out-29 #49: compair's c8d5a5c16f59 reads
    ``user_course``, groups the rows by ``group_name`` and inserts each name into ``group`` before dropping the
    column): which values it keeps is not read, so the message says only that what it leaves out is lost, not that
    all of it is."""
    from migcheck.rules.history_index import _READ_TABLE, _starts_select

    table, column = change.table.lower(), change.column.lower()
    for c in lookback.phase_before(ctx, change):
        text = c.text if isinstance(c, RawSQL) else c.sql if isinstance(c, DataChange) else None
        if text and _starts_select(text) and table in {m.lower() for m in _READ_TABLE.findall(text)}:
            return None  # rows read by a SELECT written in SQL: _rows_moved asks whether it names the column
        if isinstance(c, DataChange) and c.action in {"insert", "bulk_insert"} and not c.sql and c.table \
                and c.table.lower() != table and table in c.read_tables and not (c.conditional or c.guarded) \
                and ((table, column) in c.read_columns or not any(t == table for t, _ in c.read_columns)):
            return c
    return None


def _table_dropped_later(ctx: RevisionContext, change: DropColumn) -> bool:
    """The same phase drops the whole table later (``drop_column("dataset", "analysis_id")`` then
    ``drop_table("dataset")``, held-out-10 #35): the data loss and the broken running release are the table
    drop's, which drop-table reports; the column drop adds no risk of its own. A table renamed or created
    again in between is another table by then, and a drop in a later revision leaves this one reported."""
    table = change.table.lower()
    schema = change.schema
    for c in lookback.phase_after(ctx, change):
        if isinstance(c, DropTable) and c.table.lower() == table:
            # only a drop that certainly runs, of the same table: another schema's table of that name, or a
            # drop under an ``if`` or in a swallowing ``try``, leaves this column's loss to this finding
            if c.schema == schema and not c.conditional and not c.guarded:
                return True
            continue
        if (isinstance(c, CreateTable) and c.table.lower() == table) \
                or (isinstance(c, RenameTable) and table in {c.table.lower(), c.new_name.lower()}):
            return False
    return False


def _converted_temporary(ctx: RevisionContext, change: DropColumn) -> bool:
    """The column got its name from a rename earlier in this function, a column of its old name was added
    to the table after that, and rows were written between that add and this drop (an UPDATE of the table,
    or of tables a loop picks): the convert-in-place sequence (rename ``user_id`` to ``tmp_user_id``, add a
    new ``user_id``, convert the values over, drop ``tmp_user_id``). No release ever named the temporary
    column, and its values went into the new one (held-out-7 #40, gnocchi 62a8dfb139bb:249). Without the
    data change in between, the values are lost and the drop is reported."""
    changes = ctx.migration.upgrade_changes if change.phase == "upgrade" else ctx.migration.downgrade_changes
    table, column = change.table.lower(), change.column.lower()
    old: str | None = None
    added = False
    for c in changes:
        if c is change:
            return False
        if isinstance(c, RenameColumn) and c.table.lower() == table and c.new_name.lower() == column:
            old, added = c.column.lower(), False
        elif old is not None and isinstance(c, AddColumn) and c.table.lower() == table \
                and (c.column.name or "").lower() == old:
            added = True
        elif added and isinstance(c, DataChange) and c.action in {"update", "orm", "execute"} \
                and (c.table is None or c.table.lower() == table) and _may_read(c, column):
            return True
    return False


def _may_read(write: DataChange, column: str) -> bool:
    """Whether rows written by ``write`` may take their values from ``column``: an UPDATE in SQL must name it
    (``UPDATE t SET updated_at = now()`` converts nothing, review10); code whose SQL is unknown may."""
    return not write.sql or re.search(rf"(?<!\w){re.escape(column)}(?!\w)", write.sql, re.I) is not None


def _rebuilt(ctx: RevisionContext, change: DropTable) -> bool:
    """The rebuild SQLite needs (``rename_table("t", "t_tmp")``, ``create_table("t", ...)``, copy, then
    ``drop_table("t_tmp")``): the table dropped is the old one under a name only this revision used, and a write
    into the new ``t`` itself carries its rows."""
    before = lookback.before(ctx, change)
    dropped = change.table.lower()
    for i, c in enumerate(before):
        if isinstance(c, RenameTable) and c.new_name.lower() == dropped:
            original = c.table.lower()
            made = next((j for j, o in enumerate(before) if j > i and isinstance(o, CreateTable)
                         and o.table.lower() == original), None)
            # and its rows are written into the new table after it exists: INSERT INTO t ... SELECT FROM t_tmp, or
            # a SELECT whose rows feed a write of t; a count of t_tmp written to a log table copies nothing (review15)
            return made is not None and any(
                isinstance(o, DataChange) and o.action in {"insert", "update", "bulk_insert"}
                and (o.table or "").lower() == original and _reads(o, dropped) for o in before[made + 1:])
    return False


def copied_and_swapped(ctx: RevisionContext, change: DropTable) -> bool:
    """The copy and swap PostgreSQL projects write by hand: a copy made from the table before it is dropped
    (``CREATE TABLE t2 AS SELECT ... FROM t``, or ``CREATE TABLE t2`` and ``INSERT INTO t2 SELECT ... FROM t``),
    then renamed to its name (``ALTER TABLE t2 RENAME TO t``): the rows live on under the same name. Only a copy
    of every row, whole, counts (``copies_every_row``: no WHERE, LIMIT, JOIN, ``WITH NO DATA``..., and ``*`` or
    every column the history gives the table: ``AS SELECT id FROM t`` loses the rest, review9); the statement is
    parsed, not searched with a pattern (``AS SELECT .* FROM t`` was quadratic on a long statement)."""
    from migcheck.extract.sql import copies_every_row  # the SQL parser: only once a drop is judged

    changes = ctx.migration.upgrade_changes if change.phase == "upgrade" else ctx.migration.downgrade_changes
    index = next((i for i, c in enumerate(changes) if c is change), None)
    if index is None:
        return False
    dropped = change.table.lower()
    copy = next((c.table.lower() for c in changes[index + 1:]
                 if isinstance(c, RenameTable) and c.new_name.lower() == dropped), None)
    if copy is None or copy == dropped:
        return False
    columns = lookback.table_columns(ctx, change, dropped)
    if columns is None:
        columns = _rebuild_columns(ctx, change, changes[:index], copy)
    return any(((isinstance(c, CreateTable) and c.table.lower() == copy)
                or (isinstance(c, DataChange) and c.action == "insert" and (c.table or "").lower() == copy))
               and copies_every_row(c.sql or "", dropped, ctx.dialect, columns)
               for c in changes[:index])


def _rebuild_columns(ctx: RevisionContext, change: DropTable, before: list[Change], copy: str) -> set[str] | None:
    """The columns a copy of a table no revision made (a schema from ``create_all()``) must read to be whole: every
    column the history is known to give it (``known_columns``), and every column of the copy, made by this
    phase with a column list (the table the rebuild puts in its place). A SELECT from the old table alone that
    reads each of them by name copies every column the history and the rebuild know of (held-out-21 #59: SQLite's
    rebuild of a table to drop a UNIQUE constraint, ``INSERT INTO t_new SELECT a, b, ... FROM t``); None when
    either is not known (then only ``*`` is whole)."""
    known = lookback.known_columns(ctx, change, change.table)
    made = next((c for c in reversed(before) if isinstance(c, CreateTable) and c.table.lower() == copy), None)
    target = {col.name.lower() for col in made.columns if col.name} if made is not None else set()
    return known | target if known is not None and target else None


def _copied_into(ctx: RevisionContext, change: DropTable) -> DataChange | None:
    """An earlier statement of the same phase that writes another table from the one dropped (``INSERT INTO t2
    ... SELECT ... FROM t``, ``UPDATE t2 SET c = (SELECT c FROM t ...)``): its data is carried there, not lost
    (held-out-7: fittrackee's rename by copying, tracim's todo folded into content_revisions)."""
    changes = ctx.migration.upgrade_changes if change.phase == "upgrade" else ctx.migration.downgrade_changes
    index = next((i for i, c in enumerate(changes) if c is change), None)
    if index is None:
        return None
    dropped = change.table.lower()
    return next((c for c in changes[:index] if isinstance(c, DataChange)
                 and c.action in {"insert", "update", "bulk_insert"}
                 and c.table and c.table.lower() != dropped and _reads(c, dropped)), None)


def _carried(ctx: RevisionContext, change: DropTable, copy: DataChange) -> str:
    """What the message may say of data written elsewhere first: every row copied whole (an ``INSERT ... SELECT``
    of all of them and of ``*`` or every column of the table, review9) is not lost; a filtered copy or an UPDATE of some columns carries only what it selects."""
    from migcheck.extract.sql import copies_every_row  # the SQL parser: only once a drop is judged

    where = f"{copy.table} (line {copy.line})"
    if copy.action == "insert" and copies_every_row(copy.sql or "", change.table.lower(), ctx.dialect,
                                                    lookback.table_columns(ctx, change, change.table)):
        return f"every row was first copied into {where}, so the rows are not lost, but"
    return f"its data was first written into {where}; what that statement does not carry over is lost, and"


def _reads(change: Change, table: str) -> bool:
    """Whether a data statement's SQL names ``table`` after FROM (or JOIN), or a write built in Python takes its
    values from rows a SELECT read from it (``DataChange.read_tables``: the SQLAlchemy expression API's
    ``select(t)`` whose rows feed ``other.update().values(...)``, aiida-core django_0037)."""
    if isinstance(change, DataChange) and table in change.read_tables:
        return True
    text = change.text if isinstance(change, RawSQL) else change.sql if isinstance(change, DataChange) else None
    return bool(text) and re.search(rf"\b(?:FROM|JOIN)\s+\"?{re.escape(table)}\"?\b", text or "", re.I) is not None


def _contract_loss(ctx: RevisionContext, subject: str, lost: str, line: int) -> Iterator[Hit]:
    """A drop in a contract revision (``vocabulary/branches.py``): it runs once no release that uses the column
    or table is left (held-out-17 #16), so only the data loss is still true: an info, and nothing when every value
    was copied elsewhere first. ``lost``: what the generic message says of the data, up to its "and" / "but"."""
    if " not lost" in lost:
        return
    loss = re.sub(r",? (?:and|but)$", "", lost)
    yield Hit(
        f"{subject} is dropped in a contract-branch revision, which runs once no release that uses it is left: "
        f"{loss}, for good (a downgrade cannot bring the values back){autogenerate_note(ctx.migration, line)}",
        severity=Severity.INFO,
        fix="keep a backup of the data if it may be needed again; make sure the contract branch runs only after "
        "every node runs a release that no longer uses it",
    )


def _leftover_scratch(ctx: RevisionContext, change: DropTable) -> bool:
    """Whether the drop only clears a scratch table an interrupted run left behind (held-out-27 #63, #66): Alembic's
    own batch copy (``_alembic_tmp_<table>``, made and renamed away within one batch), or a name this phase renames
    away later, in the same loop pass, on the same engine (``if has_table(tmp): drop_table(tmp)`` ... create it ...
    ``rename_table(tmp, t)``), so the revision treats it as its own copy. A name the history or unread SQL ever
    makes, or the models map, is a real table whatever it is called; a name known only at run time counts only
    when the drop is a clean-up (IF EXISTS or under an ``if``) and renamed away."""
    if change.schema is not None:
        return False
    name = change.table.lower()
    changes = ctx.migration.upgrade_changes if change.phase == "upgrade" else ctx.migration.downgrade_changes
    index = next((i for i, c in enumerate(changes) if c is change), None)
    run_time = name.startswith("<")
    renamed_away = index is not None and any(
        isinstance(c, RenameTable) and c.table.lower() == name and c.schema is None and c.new_name.lower() != name
        and c.engine == change.engine and c.loop == change.loop
        and (not run_time or (change.settled_name and c.settled_name)) for c in changes[index + 1:])
    app = ctx.app.head if ctx.app is not None else None
    if app is not None and app.table_status(change.table) == "mapped":
        return False
    if run_time:  # the same text reading the same bindings (Change.settled_name), not a name bound again
        return renamed_away and (change.if_exists or change.conditional)
    if not (renamed_away or name.startswith("_alembic_tmp_")):
        return False
    history = lookback.history(ctx)
    return history is not None and not history.table_made.get(name, 0) and not history.unread_texts().naming(name)


@change_rule("drop-table", severity=Severity.ERROR, on=(DropTable,))
def drop_table(ctx: RevisionContext, change: DropTable) -> Iterator[Hit]:
    """A table is dropped: its data is gone, and running code that still uses it fails."""
    if ctx.created_here(change.table) or retired_version_table(ctx, change, change.table, change.schema):
        return
    if own_version_table(ctx, change.table) and change.schema is None:
        yield Hit(
            f"table {change.table} is the version table env.py has Alembic record the applied revisions in: "
            f"Alembic's own UPDATE of it after this upgrade fails, and a database where the drop stays (DDL that "
            f"commits on its own, as on MySQL) no longer knows which revisions it has applied",
            fix="never drop the current version table in a revision; to retire this Alembic configuration, drop "
            "it by hand once nothing runs `alembic upgrade` against it",
        )
        return
    if rolling.defers(ctx, change) or _rebuilt(ctx, change) or copied_and_swapped(ctx, change) \
            or _leftover_scratch(ctx, change):
        return
    copy = _copied_into(ctx, change)
    lost = "its rows are lost, and" if copy is None else _carried(ctx, change, copy)
    if ctx.on_contract:
        yield from _contract_loss(ctx, f"table {change.table}", lost, change.line)
        return
    judged, severity = rolling.judged_note(ctx, change)
    mysql = mysql_ddl_note(ctx.settings) if ctx.dialect == "mysql" else ""
    yield Hit(
        f"table {change.table} is dropped: {lost} the application version still running "
        f"during the deploy fails on every query that touches it{mysql}{judged}"
        f"{autogenerate_note(ctx.migration, change.line)}",
        severity=severity,
        fix=(
            "remove every use of the table from the application and release that first; then drop it in a "
            "later revision, with a reason:\n"
            f'   op.drop_table({lit(change.table)})  # migcheck: ignore[drop-table] -- unused since release X'
        ),
    )
