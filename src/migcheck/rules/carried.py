"""Values of a dropped column carried into another column of its table first (add ``new``, ``UPDATE t SET new =
old``, drop ``old``): the data is kept, only the running release's reads of ``old`` break."""

from __future__ import annotations

from migcheck.vocabulary.changes import (
    AddColumn,
    AlterColumn,
    Change,
    DataChange,
    DropColumn,
    RawSQL,
    RenameColumn,
    RenameTable,
)


def null_when(changes: list[Change], step: Change, table: str, column: str) -> bool:
    """Whether ``column`` of ``table`` is NULL on every row when ``step`` runs: added earlier in ``changes`` (one
    phase, in order) with no server default, identity or generated value, certainly run (no ``if``, no swallowing
    ``try``, no existence guard), and nothing since may have written it (a row write of the table or of an
    unknown table, SQL migcheck could not read, an ALTER or rename of it). A linear walk."""
    table, column = table.lower(), column.lower()
    fresh = False
    for c in changes:
        if c is step:
            return fresh
        if isinstance(c, AddColumn) and c.table.lower() == table and (c.column.name or "").lower() == column:
            spec = c.column
            fresh = spec.server_default is None and not spec.identity and spec.computed is None \
                and not (c.batch_rebuilt and spec.python_default) and not c.conditional and not c.guarded \
                and not c.if_not_exists and not c.unless_exists
        elif fresh and _may_write(c, table, column):
            fresh = False
    return False


def _may_write(c: Change, table: str, column: str) -> bool:
    if isinstance(c, DataChange):
        return c.table is None or c.table.lower() == table
    if isinstance(c, RawSQL):
        return not c.understood
    if isinstance(c, AlterColumn | DropColumn | RenameColumn):
        return c.table.lower() == table and column in {c.column.lower(), getattr(c, "new_name", "").lower()}
    return isinstance(c, RenameTable) and table in {c.table.lower(), c.new_name.lower()}


def copied_in_table(changes: list[Change], drop: DropColumn, dialect: str) -> tuple[DataChange, str] | None:
    """The UPDATE before ``drop`` (``changes``: the steps of its phase before it, in order) that copies the
    dropped column into another column of the table over every row, and that column's name, when nothing after
    the copy writes that column again, drops or renames it; None otherwise (held-out-23 #47)."""
    from migcheck.extract.sql import copies_column  # the SQL parser: only once a drop is judged

    table, source = drop.table.lower(), drop.column.lower()
    found: tuple[DataChange, str] | None = None
    for c in changes:
        if found is not None and _may_write(c, table, found[1]) \
                and not (isinstance(c, DataChange) and c.assigns and found[1] not in c.assigns):
            found = None
        if not (isinstance(c, DataChange) and c.action == "update" and c.sql and (c.table or "").lower() == table
                and not c.conditional and not c.guarded and c.row_loop is None):
            continue
        for target in c.assigns:
            if target != source and (copies_column(c.sql, table, source, target, dialect) or (
                    copies_column(c.sql, table, source, target, dialect, null_target=True)
                    and null_when(changes, c, table, target))):
                found = c, target
                break
    return found
