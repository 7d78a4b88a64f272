"""A column's type, default, nullability and creation as the history leaves them, walked back once
per column and stopped at the answer.
"""

from __future__ import annotations

import bisect
import heapq
import re
from collections.abc import Callable, Iterator

from migcheck.facts.postgres import is_serial
from migcheck.rules.context import RevisionContext
from migcheck.rules.history_index import (
    HistoryIndex,
)
from migcheck.rules.lookback.steps import _UNSET, _Cursor, _index, _phase_steps, phase_position
from migcheck.vocabulary.changes import (
    AddColumn,
    AddConstraint,
    AlterColumn,
    Change,
    ColumnSpec,
    CreateTable,
    DropColumn,
    DropTable,
    RenameColumn,
    RenameTable,
)


def _replay_prefix(ctx: RevisionContext, change: Change) -> tuple[list[Change], int]:
    """``before(ctx, change)`` as (the whole replay order of ``change``'s phase, how many of it run before
    ``change``): the sequence is kept per revision, so a question costs no copy of the revision's steps."""
    own, index = phase_position(ctx, change)
    if change.phase != "downgrade":
        return own, len(own) if index is None else index
    key = f"lookback.replay.downgrade.{change.engine}"
    kept = ctx.memo.get(key)
    ups, downs = _phase_steps(ctx, "upgrade", change.engine), own
    if kept is None or kept[1] is not ups or kept[2] is not downs:
        kept = ctx.memo[key] = ([*ups, *downs], ups, downs)
    return kept[0], len(ups) + (len(downs) if index is None else index)


def _column_positions(ctx: RevisionContext, seq: list[Change]) -> dict[tuple[str, str | None], list[int]]:
    """Where in ``seq`` each (table, column) is created, added, altered, renamed (under both names) or dropped, and
    under (table, None) where the table is renamed (both names) or dropped: _column_step says nothing of any other
    step, so a column's question walks only those (a stranger's revision of 2,000 renames was quadratic). Kept per
    revision and sequence."""
    key = f"lookback.columns.{id(seq)}"
    kept = ctx.memo.get(key)
    if kept is None or kept[0] is not seq or kept[1] != len(seq):
        positions: dict[tuple[str, str | None], list[int]] = {}
        for i, c in enumerate(seq):
            keys: set[tuple[str, str | None]] = set()
            if isinstance(c, RenameTable):
                keys = {(c.table.lower(), None), (c.new_name.lower(), None)}
            elif isinstance(c, DropTable):
                keys = {(c.table.lower(), None)}
            elif isinstance(c, CreateTable):
                keys = {(c.table.lower(), col.name.lower()) for col in c.columns if col.name}
            elif isinstance(c, AddColumn) and c.column.name:
                keys = {(c.table.lower(), c.column.name.lower())}
            elif isinstance(c, AlterColumn | DropColumn):
                keys = {(c.table.lower(), c.column.lower())}
            elif isinstance(c, RenameColumn):
                keys = {(c.table.lower(), c.column.lower()), (c.table.lower(), c.new_name.lower())}
            else:
                keys = {(c.table.lower(), col) for col in _key_columns(c)} if isinstance(c, AddConstraint) and c.table else set()
            for k in keys:
                positions.setdefault(k, []).append(i)
        kept = ctx.memo[key] = (seq, len(seq), positions)
    return kept[2]


def _column_events(ctx: RevisionContext, own: tuple[list[Change], int], index: HistoryIndex | None, table: str,
                   column: str, start: _Cursor | None) -> Iterator[tuple[_Cursor, Change]]:
    """The earlier changes that can say something about (table, column), newest first, strictly before
    ``start``: this revision's own steps of that table (``own`` is the replay sequence and how many of it run
    before the question), then the ancestors' changes of that column merged with the renames and drops of that
    table."""
    hist_before: tuple[int, int] | None = None
    if start is None or start[0] == 1:
        seq, limit = own
        bound = limit if start is None else min(limit, start[2])
        positions = _column_positions(ctx, seq)
        steps = [(positions.get((table, column), []), positions.get((table, None), []))]
        cut = [reversed(found[:bisect.bisect_left(found, bound)]) for pair in steps for found in pair]
        for i in heapq.merge(*cut, reverse=True):
            yield (1, 0, i), seq[i]
    else:
        hist_before = (start[1], start[2])
    if index is not None:
        revision = ctx.migration.revision
        keys = index.grouped("lookback.primary_key_columns", _primary_key_columns).get(f"{table}.{column}")
        merged = heapq.merge(index.newest_first(index.by_column.get((table, column)), revision, hist_before),
                             index.newest_first(index.by_table.get(table), revision, hist_before),
                             index.newest_first(keys, revision, hist_before),
                             key=lambda event: event[0], reverse=True)
        for key, _, c in merged:
            yield (0, key[0], key[1]), c


_ABSENT, _GO_ON = object(), object()


def _key_columns(c: AddConstraint) -> list[str]:
    """The columns (lower case) a PRIMARY KEY constraint that certainly runs makes NOT NULL; [] for any other."""
    if c.kind_of != "primary_key" or not c.table or c.conditional or c.guarded:
        return []
    return [col.lower() for col in c.columns]


def _primary_key_columns(c: Change) -> list[str]:
    """HistoryIndex.grouped's keys (``table.column``) of the columns ``c`` makes part of a primary key."""
    return [f"{c.table.lower()}.{col}" for col in _key_columns(c)] if isinstance(c, AddConstraint) and c.table else []


def _column_step(c: Change, table: str, column: str, of_spec: Callable[[ColumnSpec], object],
                 of_alter: Callable[[AlterColumn], object],
                 of_added: Callable[[ColumnSpec], object] | None = None,
                 of_key: Callable[[AddConstraint], object] | None = None) -> object:
    """What one earlier change says about (table, column): its value, ``_ABSENT`` (dropped or renamed
    away), ``_GO_ON`` (nothing: look further back), or the (table, column) it was called before a rename
    (a tuple: look that up first, and further back under the current name when that is not known)."""
    if isinstance(c, CreateTable):
        if c.table.lower() == table:
            for col in reversed(c.columns):
                if col.name and col.name.lower() == column:
                    return (of_spec(col),)
    elif isinstance(c, AddColumn):
        if c.table.lower() == table and c.column.name and c.column.name.lower() == column:
            return ((of_added or of_spec)(c.column),)
    elif isinstance(c, AlterColumn):
        if c.table.lower() == table and c.column.lower() == column:
            value = of_alter(c)
            if value is not _UNSET:
                return (value,)
    elif isinstance(c, RenameColumn):
        old, new = c.column.lower(), c.new_name.lower()
        if c.table.lower() == table and old != new:
            if column == new:
                return (table, old)
            if column == old:
                return _ABSENT
    elif isinstance(c, RenameTable):
        old, new = c.table.lower(), c.new_name.lower()
        if old != new:
            if table == new:
                return (old, column)
            if table == old:
                return _ABSENT
    elif isinstance(c, DropColumn):
        if c.table.lower() == table and c.column.lower() == column:
            return _ABSENT
    elif isinstance(c, DropTable) and c.table.lower() == table:
        return _ABSENT
    elif isinstance(c, AddConstraint) and of_key is not None and (c.table or "").lower() == table \
            and column in _key_columns(c):
        value = of_key(c)
        if value is not _UNSET:
            return (value,)
    return _GO_ON


def _column_history(
    ctx: RevisionContext,
    change: Change,
    table: str,
    column: str,
    of_spec: Callable[[ColumnSpec], object],
    of_alter: Callable[[AlterColumn], object],
    of_added: Callable[[ColumnSpec], object] | None = None,
    of_key: Callable[[AddConstraint], object] | None = None,
) -> object:
    """One fact about a column as the history last set it, following renames of the column and of its
    table, and forgetting it when either is dropped; None when the history does not say.

    ``of_spec`` reads the fact where the column is created; ``of_alter`` where it is altered, or gives
    ``_UNSET`` when that alteration leaves it alone.

    The result is what replaying every earlier change forward would leave for the column; it is found
    walking back through the changes of its table only (``HistoryIndex``) and stops at the latest one
    that sets it. A rename into the name is followed to the old name first; when the old name was
    never known, the walk goes on under the new name (as a replay keeps the earlier value then).
    """
    own = _replay_prefix(ctx, change)
    index = _index(ctx)
    frames: list[tuple[str, str, Iterator[tuple[_Cursor, Change]]]] = [
        (table.lower(), column.lower(), _column_events(ctx, own, index, table.lower(), column.lower(), None))]
    while frames:
        name_table, name_column, events = frames[-1]
        pushed = False
        for cursor, c in events:
            outcome = _column_step(c, name_table, name_column, of_spec, of_alter, of_added, of_key)
            if outcome is _GO_ON:
                continue
            if outcome is _ABSENT:
                break
            assert isinstance(outcome, tuple)
            if len(outcome) == 1:
                return outcome[0]
            frames.append((outcome[0], outcome[1], _column_events(ctx, own, index, outcome[0], outcome[1], cursor)))
            pushed = True
            break
        if not pushed:
            frames.pop()
    return None


def column_type(ctx: RevisionContext, change: Change, table: str, column: str) -> str | None:
    """The column's type as the history last set it, following renames; None when unknown."""
    value = _column_history(ctx, change, table, column, lambda col: col.type,
                            lambda alter: alter.type if alter.type else _UNSET)
    return value if isinstance(value, str) else None


def _restates(ctx: RevisionContext, alter: AlterColumn) -> bool:
    """Whether ``alter`` is an ``alter_column`` Alembic renders on MySQL as MODIFY COLUMN, which restates the
    whole column: what it is not told (``existing_nullable``, ``existing_server_default``) the column loses,
    so after it the column is nullable and has no default unless said (held-out-7 #27: tracim 1877d3571a8b's
    ``alter_column("auth_type", type_=enum)`` left the column nullable without default, so 182b9f7aa837's
    identical call loses nothing more)."""
    return ctx.dialect == "mysql" and alter.origin == "python" and (alter.type is not None
                                                                   or alter.nullable is not None)


def ran_before(step: Change, change: Change) -> bool:
    """Whether ``step``, earlier than ``change``, certainly ran where ``change`` runs: not under an ``if`` or a
    swallowing ``try`` that ``change`` is outside of (``if os.environ.get("X"): op.alter_column(..., nullable=True)``
    says nothing of the column where X is unset, attack24)."""
    if step.blocks and change.blocks[:len(step.blocks)] != step.blocks:
        return False
    if step.conditional and not step.blocks and not change.conditional:
        return False
    return not step.guarded or change.guarded[:len(step.guarded)] == step.guarded


def column_server_default(ctx: RevisionContext, change: Change, table: str, column: str,
                          certain: bool = False) -> bool | None:
    """Whether the history leaves the column with a server default (True), without one (False), or does
    not say (None); follows renames of the column and of its table. ``certain``: an alteration that may not have
    run before ``change`` (ran_before) does not say."""
    def of_alter(alter: AlterColumn) -> object:
        if certain and not ran_before(alter, change):
            return None
        if alter.server_default_changed:
            return alter.server_default is not None
        return False if _restates(ctx, alter) and not alter.existing_server_default_given else _UNSET

    value = _column_history(ctx, change, table, column, lambda col: col.server_default is not None, of_alter)
    return value if isinstance(value, bool) else None


def column_default_text(ctx: RevisionContext, change: Change, table: str, column: str) -> str | None:
    """The server default the history leaves the column with, as written ("" for none); None when the history
    does not say. Follows renames, as column_server_default."""
    def of_alter(alter: AlterColumn) -> object:
        if alter.server_default_changed:
            return alter.server_default or ""
        return "" if _restates(ctx, alter) and not alter.existing_server_default_given else _UNSET

    value = _column_history(ctx, change, table, column, lambda col: col.server_default or "", of_alter)
    return value if isinstance(value, str) else None


def column_nullable(ctx: RevisionContext, change: Change, table: str, column: str,
                    certain: bool = False) -> bool | None:
    """Whether the history leaves the column nullable (True), NOT NULL (False), or does not say (None).
    ``certain``: as column_server_default's."""
    def of_alter(alter: AlterColumn) -> object:
        if certain and not ran_before(alter, change):
            return None
        if alter.nullable is not None:
            return alter.nullable
        if _restates(ctx, alter):
            return alter.existing_nullable if alter.existing_nullable is not None else \
                _UNSET if alter.existing_nullable_given else True
        return _UNSET

    def of_key(key: AddConstraint) -> object:
        # a PRIMARY KEY makes its columns NOT NULL on PostgreSQL and MySQL, and dropping the key later keeps that
        # (held-out-23 #20); SQLite's primary key allows NULL
        return False if ctx.dialect in ("postgresql", "mysql") else _UNSET

    # SERIAL is NOT NULL whatever else is said (held-out-12 #14: ``ADD COLUMN id SERIAL``, then a primary key)
    value = _column_history(ctx, change, table, column,
                            lambda col: not col.is_not_null and not (ctx.dialect == "postgresql" and is_serial(col.type)),
                            of_alter, of_key=of_key)
    return value if isinstance(value, bool) else None


def column_creation(ctx: RevisionContext, change: Change, table: str, column: str) -> tuple[bool, ColumnSpec] | None:
    """How the column was made, following renames: (True when with its table's CREATE TABLE, False when
    added to the table later, its spec then); None when the history does not say."""
    value = _column_history(ctx, change, table, column, lambda col: (True, col), lambda alter: _UNSET,
                            of_added=lambda col: (False, col))
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], ColumnSpec):
        return bool(value[0]), value[1]
    return None


def filled_since_created(ctx: RevisionContext, change: Change, table: str, column: str) -> bool:
    """Whether every row has had a value in the column since it was made: created NOT NULL and still NOT
    NULL, or created with a server default that it still has. Then ``WHERE column IS NULL`` finds only rows
    broken some other way, not the rows of a column nobody filled yet."""
    made = column_creation(ctx, change, table, column)
    if made is None:
        return False
    spec = made[1]
    if spec.is_not_null and column_nullable(ctx, change, table, column) is False:
        return True
    if not fills_rows(spec.server_default):
        return False
    current = _column_history(ctx, change, table, column, lambda col: col.server_default or "",
                              lambda alter: (alter.server_default or "") if alter.server_default_changed else _UNSET)
    return isinstance(current, str) and fills_rows(current)


def fills_rows(default: str | None) -> bool:
    """Whether a server default puts a value in the rows: not none, and not ``NULL`` (autogenerate writes
    ``server_default=sa.text('NULL')`` for a nullable MySQL column; ``DEFAULT NULL`` in SQL)."""
    if not default:
        return False
    text = default.strip().strip("()").strip()
    return not re.fullmatch(r"(?i)null(\s*::.*)?|none", text)
