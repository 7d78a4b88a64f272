"""Looking back: what earlier revisions (and earlier steps of this one) did to a table.

Rules use it to recognise safe paths spread over several revisions (a CHECK
(col IS NOT NULL) validated two revisions ago makes SET NOT NULL cheap) and
to learn a column's type when ``existing_type`` was not given. History is the
revision graph: ancestors through ``down_revision`` for ``.py`` revisions,
the ``-- Running upgrade a -> b`` chain for offline SQL files.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator

from migcheck.changes import (
    AddColumn,
    AddConstraint,
    AlterColumn,
    Change,
    ColumnSpec,
    CreateTable,
    DropColumn,
    DropConstraint,
    DropTable,
    RawSQL,
    RenameColumn,
    RenameTable,
    ValidateConstraint,
)
from migcheck.graph import RevisionGraph
from migcheck.postgres import not_null_check_column
from migcheck.revision import Migration
from migcheck.rules.context import RevisionContext

_ORDER_ATTR = "_migcheck_topological_index"


def _order(graph: RevisionGraph) -> dict[str, int]:
    """Topological position of every revision, computed once per graph."""
    cached = getattr(graph, _ORDER_ATTR, None)
    if cached is None:
        cached = {m.revision: i for i, m in enumerate(graph.topological())}
        setattr(graph, _ORDER_ATTR, cached)
    return cached


def ancestors(ctx: RevisionContext) -> list[Migration]:
    """Revisions that run before this one, oldest first."""
    graph = ctx.graph
    if graph is None or ctx.migration.revision not in graph.by_id:
        return []
    order = _order(graph)
    ids = graph.ancestors(ctx.migration.revision)
    return [graph.by_id[i] for i in sorted(ids, key=lambda i: order.get(i, -1)) if i in graph.by_id]


def before(ctx: RevisionContext, change: Change) -> list[Change]:
    """This revision's upgrade changes that come before ``change``."""
    out: list[Change] = []
    for c in ctx.migration.upgrade_changes:
        if c is change:
            break
        out.append(c)
    return out


def prior(ctx: RevisionContext, change: Change) -> Iterator[tuple[Migration, Change]]:
    """Every upgrade change that runs before ``change``, oldest first, with its revision."""
    for migration in ancestors(ctx):
        for c in migration.upgrade_changes:
            yield migration, c
    for c in before(ctx, change):
        yield ctx.migration, c


def prior_newest_first(ctx: RevisionContext, change: Change) -> Iterator[tuple[Migration, Change]]:
    """``prior`` in reverse, walked lazily: a search for the latest match stops early instead of
    collecting the whole history first (a VALIDATE in a 10,000-revision history looks back a few
    revisions, not 10,000)."""
    for c in reversed(before(ctx, change)):
        yield ctx.migration, c
    graph = ctx.graph
    if graph is None or ctx.migration.revision not in graph.by_id:
        return
    order = _order(graph)
    heap: list[tuple[int, str]] = []
    seen: set[str] = set()

    def push_parents(migration: Migration) -> None:
        for name in (*migration.down_revisions, *migration.depends_on):
            parent = graph.resolve(name)
            if parent is not None and parent.revision not in seen:
                seen.add(parent.revision)
                heapq.heappush(heap, (-order.get(parent.revision, -1), parent.revision))

    push_parents(ctx.migration)
    while heap:
        _, rev = heapq.heappop(heap)
        migration = graph.by_id[rev]
        for c in reversed(migration.upgrade_changes):
            yield migration, c
        push_parents(migration)


def _same(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and a.lower() == b.lower()


_UNSET = object()


def _column_history(
    ctx: RevisionContext,
    change: Change,
    table: str,
    column: str,
    of_spec: Callable[[ColumnSpec], object],
    of_alter: Callable[[AlterColumn], object],
) -> object:
    """One fact about a column as the history last set it, following renames of the column and of its
    table, and forgetting it when either is dropped; None when the history does not say.

    ``of_spec`` reads the fact where the column is created; ``of_alter`` where it is altered, or gives
    ``_UNSET`` when that alteration leaves it alone.
    """
    known: dict[tuple[str, str], object] = {}
    for _, c in prior(ctx, change):
        if isinstance(c, CreateTable):
            for col in c.columns:
                if col.name:
                    known[(c.table.lower(), col.name.lower())] = of_spec(col)
        elif isinstance(c, AddColumn) and c.column.name:
            known[(c.table.lower(), c.column.name.lower())] = of_spec(c.column)
        elif isinstance(c, AlterColumn):
            value = of_alter(c)
            if value is not _UNSET:
                known[(c.table.lower(), c.column.lower())] = value
        elif isinstance(c, RenameColumn):
            if (c.table.lower(), c.column.lower()) in known:
                known[(c.table.lower(), c.new_name.lower())] = known.pop((c.table.lower(), c.column.lower()))
        elif isinstance(c, RenameTable):
            for key in [k for k in known if k[0] == c.table.lower()]:
                known[(c.new_name.lower(), key[1])] = known.pop(key)
        elif isinstance(c, DropColumn):
            known.pop((c.table.lower(), c.column.lower()), None)
        elif isinstance(c, DropTable):
            for key in [k for k in known if k[0] == c.table.lower()]:
                known.pop(key)
    return known.get((table.lower(), column.lower()))


def column_type(ctx: RevisionContext, change: Change, table: str, column: str) -> str | None:
    """The column's type as the history last set it, following renames; None when unknown."""
    value = _column_history(ctx, change, table, column, lambda col: col.type,
                            lambda alter: alter.type if alter.type else _UNSET)
    return value if isinstance(value, str) else None


def column_server_default(ctx: RevisionContext, change: Change, table: str, column: str) -> bool | None:
    """Whether the history leaves the column with a server default (True), without one (False), or does
    not say (None); follows renames of the column and of its table."""
    value = _column_history(
        ctx, change, table, column, lambda col: col.server_default is not None,
        lambda alter: (alter.server_default is not None) if alter.server_default_changed else _UNSET)
    return value if isinstance(value, bool) else None


def column_nullable(ctx: RevisionContext, change: Change, table: str, column: str) -> bool | None:
    """Whether the history leaves the column nullable (True), NOT NULL (False), or does not say (None)."""
    value = _column_history(ctx, change, table, column, lambda col: not col.is_not_null,
                            lambda alter: alter.nullable if alter.nullable is not None else _UNSET)
    return value if isinstance(value, bool) else None


def validated_not_null_check(ctx: RevisionContext, change: Change, table: str, column: str) -> AddConstraint | None:
    """A CHECK (column IS NOT NULL) on ``table`` that is valid before ``change`` runs (PostgreSQL 12+ then
    skips the SET NOT NULL scan)."""
    checks: dict[str, AddConstraint] = {}
    valid: set[str] = set()
    unnamed: list[AddConstraint] = []
    for _, c in prior(ctx, change):
        if isinstance(c, AddConstraint) and c.kind_of == "check" and _same(c.table, table) \
                and _same(not_null_check_column(c.condition), column):
            if c.name:
                checks[c.name.lower()] = c
                if not c.not_valid:
                    valid.add(c.name.lower())
            elif not c.not_valid:
                unnamed.append(c)
        elif isinstance(c, ValidateConstraint) and c.name and c.name.lower() in checks:
            valid.add(c.name.lower())
        elif isinstance(c, DropConstraint) and c.name:
            checks.pop(c.name.lower(), None)
            valid.discard(c.name.lower())
        elif isinstance(c, DropTable) and _same(c.table, table):
            checks.clear()
            valid.clear()
            unnamed.clear()
    for name in valid:
        if name in checks:
            return checks[name]
    return unnamed[-1] if unnamed else None


def is_commit(change: Change) -> bool:
    """A point where the running transaction ends: COMMIT, or a step run outside it (autocommit_block)."""
    return not change.in_transaction or (isinstance(change, RawSQL) and change.keyword in {"COMMIT", "END"})


def split_between(changes: list[Change], first: Change, second: Change) -> bool:
    """True when a commit separates ``first`` from ``second`` within one list of changes."""
    if is_commit(first) or is_commit(second):
        return True
    inside = False
    for c in changes:
        if c is first:
            inside = True
            continue
        if c is second:
            return False
        if inside and is_commit(c):
            return True
    return False
