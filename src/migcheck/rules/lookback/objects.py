"""What the history says of objects other than columns: materialized views, partitions, indexes made,
validated NOT NULL checks, and the values an UPDATE copies before a column is dropped.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

from migcheck.facts.postgres import created_materialized_view, not_null_check_column
from migcheck.rules.context import RevisionContext
from migcheck.rules.history_index import (
    HistoryIndex,
    empties,
)
from migcheck.rules.lookback.steps import _Cursor, _index, _same, before, phase_before, split_between
from migcheck.vocabulary.changes import (
    AddColumn,
    AddConstraint,
    Change,
    CreateIndex,
    CreateTable,
    DataChange,
    DropColumn,
    DropConstraint,
    DropIndex,
    DropTable,
    RawSQL,
    RenameColumn,
    RenameTable,
    ValidateConstraint,
)
from migcheck.vocabulary.fit import fits, run_time_part
from migcheck.vocabulary.revision import Migration


def materialized_view(ctx: RevisionContext, change: Change, name: str | None) -> str | None:
    """Whether ``name`` is a materialized view where ``change`` runs: ``"new"`` when an earlier step of the same
    transaction creates it (no other session sees it yet), ``"existing"`` when this revision (across a COMMIT) or an
    ancestor created it with CREATE MATERIALIZED VIEW, None otherwise, and whenever anything in the graph makes a
    table of that name (a name is a view or a table, never both; a drop of the view leaves nothing to index)."""
    if not name:
        return None
    key = name.lower()
    index = _index(ctx)
    if index is not None and index.table_made.get(key, 0):
        return None
    own = before(ctx, change)
    for c in reversed(own):
        if isinstance(c, RawSQL) and (made := created_materialized_view(c.text)) and made.lower() == key:
            same = c.phase == change.phase and c.in_transaction and change.in_transaction and not c.conditional \
                and not split_between([*own, change], c, change)
            return "new" if same else "existing"
    if index is not None and index.materialized_views().get(key, 0) & index.ancestor_bits.get(ctx.migration.revision, 0):
        return "existing"
    return None


def partition_parent(ctx: RevisionContext, table: str | None) -> str | None:
    """The table the history attaches ``table`` to as a partition (``ALTER TABLE parent ATTACH PARTITION table``,
    in any revision of the graph, before or after this one), whose column types it must have: PostgreSQL refuses
    the attach otherwise (15: 'child table "x" has different type for column "c"') and any later type change on the
    partition ('cannot alter inherited column'). A partition named with a run-time part (``f"events_{month}"``,
    read as ``events_migcheck_param``) matches the tables its literal part allows with a number in the run-time
    part's place (_name_fits); None when none matches."""
    index = _index(ctx)
    if not table or index is None:
        return None
    key = table.lower()
    exact, patterns = index.attached_partitions()
    if (parent := exact.get(key)) is not None and parent != key:
        return parent
    return next((parent for parent, child in patterns if parent != key and _name_fits(child, key)), None)


@functools.lru_cache(maxsize=256)
def _name_parts(name: str) -> tuple[str, ...] | None:
    """``events_migcheck_param`` -> ``("events_", "")``: the literal parts of a partition's name written with
    run-time parts, which numbers fill (``f"events_{month:%Y_%m}"``, ``_p{i}``); None for a name with no literal
    part (it matches nothing)."""
    parts = tuple(_PLACEHOLDER.split(name))
    return None if len(parts) > 1 and not "".join(parts).strip("_") else parts


_PLACEHOLDER = re.compile(r"migcheck_(?:param(?:_app\d{6})?|name)")


def _name_fits(name: str, key: str) -> bool:
    """Whether ``key`` is one of the names ``name`` (with run-time parts) may be (vocabulary/fit.py: linear,
    where the regular expression this was backtracked polynomially in the parts a pull request writes)."""
    parts = _name_parts(name)
    return parts is not None and fits(parts, key, run_time_part)


def created_index(ctx: RevisionContext, change: Change, name: str) -> CreateIndex | None:
    """The latest CREATE INDEX of ``name`` before ``change``, in this revision or an earlier one."""
    name = name.lower()
    own = next((c for c in reversed(before(ctx, change)) if isinstance(c, CreateIndex) and _same(c.name, name)), None)
    index = _index(ctx)
    if own is not None or index is None:
        return own
    events = index.newest_first(index.by_index_name.get(name), ctx.migration.revision)
    return next((c for _, _, c in events if isinstance(c, CreateIndex)), None)


def index_as_made(ctx: RevisionContext, change: Change, name: str) -> CreateIndex | None:
    """The CREATE INDEX the index ``name`` stands as just before ``change``: the newest step of that name before it
    (this revision's earlier steps, then its ancestors') is that create, run for certain (no ``if``, no swallowing
    ``try``). None when the newest is a drop, or the create may not have run."""
    name = name.lower()
    for c in reversed(before(ctx, change)):
        if isinstance(c, CreateIndex | DropIndex) and _same(c.name, name):
            return c if isinstance(c, CreateIndex) and not c.conditional and not c.guarded else None
    index = _index(ctx)
    if index is None:
        return None
    for _, _, c in index.newest_first(index.by_index_name.get(name), ctx.migration.revision):
        return c if isinstance(c, CreateIndex) and not c.conditional and not c.guarded else None
    return None


def _is_not_null_check(c: Change, table: str, column: str) -> bool:
    return isinstance(c, AddConstraint) and c.kind_of == "check" and _same(c.table, table) \
        and _same(not_null_check_column(c.condition), column)


def validated_not_null_check(ctx: RevisionContext, change: Change, table: str, column: str) -> AddConstraint | None:
    """A CHECK (column IS NOT NULL) on ``table`` that is valid before ``change`` runs (PostgreSQL 12+ then
    skips the SET NOT NULL scan).

    Replays only the changes that can matter, found in the index: the CHECKs added to the table since it
    was last dropped, and the VALIDATEs and DROPs of those constraints' names.
    """
    own = before(ctx, change)
    index = _index(ctx)
    key = table.lower()
    relevant: list[tuple[_Cursor, Change]] = []
    floor: _Cursor = (-1, 0, 0)  # the last DropTable of the table: it forgets every check before it
    for i in range(len(own) - 1, -1, -1):
        c = own[i]
        if isinstance(c, DropTable) and c.table.lower() == key:
            floor = (1, 0, i)
            break
    if floor[0] < 0 and index is not None:
        for hist, _, c in index.newest_first(index.by_table.get(key), ctx.migration.revision):
            if isinstance(c, DropTable):
                floor = (0, *hist)
                break
    relevant = [((1, 0, i), c) for i, c in enumerate(own) if (1, 0, i) > floor and _is_not_null_check(c, table, column)]
    if index is not None:
        checked = index.not_null_checks.get((key, column.lower()))
        for hist, _, c in index.newest_first(checked, ctx.migration.revision):
            if (0, *hist) <= floor:
                break
            relevant.append(((0, *hist), c))
    names = {c.name.lower() for _, c in relevant if isinstance(c, AddConstraint) and c.name}
    for name in names:
        for i, c in enumerate(own):
            if (1, 0, i) > floor and isinstance(c, (ValidateConstraint, DropConstraint)) \
                    and c.name and c.name.lower() == name:
                relevant.append(((1, 0, i), c))
        if index is not None:
            for hist, _, c in index.newest_first(index.by_constraint.get(name), ctx.migration.revision):
                if (0, *hist) <= floor:
                    break
                if isinstance(c, (ValidateConstraint, DropConstraint)):
                    relevant.append(((0, *hist), c))
    relevant.sort(key=lambda item: item[0])

    checks: dict[str, AddConstraint] = {}
    valid: set[str] = set()
    unnamed: list[AddConstraint] = []
    for _, c in relevant:
        if isinstance(c, AddConstraint):
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
    for name in sorted(valid):
        if name in checks:
            return checks[name]
    return unnamed[-1] if unnamed else None


def _renews(c: Change, table: str, column: str) -> bool:
    """Whether ``c`` makes (table, column) another column than the one an earlier copy read: it creates, adds,
    renames or drops that column, or renames or drops (or creates) its table."""
    if isinstance(c, CreateTable | DropTable):
        return c.table.lower() == table
    if isinstance(c, RenameTable):
        return table in {c.table.lower(), c.new_name.lower()}
    if isinstance(c, AddColumn):
        return c.table.lower() == table and (c.column.name or "").lower() == column
    if isinstance(c, DropColumn):
        return c.table.lower() == table and c.column.lower() == column
    if isinstance(c, RenameColumn):
        return c.table.lower() == table and column in {c.column.lower(), c.new_name.lower()}
    return False


def column_copies(ctx: RevisionContext, change: Change, table: str, column: str) -> Iterator[
        tuple[Migration | None, DataChange]]:
    """The INSERTs (and UPDATEs) that ran before ``change`` and took values of (table, column) into another table from the
    column as it is now, newest first: this phase's own (migration None), then, for an upgrade step, the
    ancestors' since the column was last made or renamed (``HistoryIndex.copies_from``; the column's own events
    and its table's bound the walk, so a copy of an older column of that name does not count). Only copies that
    certainly ran (not under an ``if``, not in a swallowing ``try``) and whose SQL names the column or ``*``."""
    table, column = table.lower(), column.lower()
    # the column by name, or a star of the select list (SELECT *, t.*), not count(*) (review16: every
    # count(*) made each earlier INSERT a candidate for every drop, and parsed it again each time)
    word = re.compile(rf"(?<![\w$]){re.escape(column)}(?![\w$])|\bselect\s+\*|[\w\"`\]]\s*\.\s*\*", re.I)
    gone: set[str] = set()  # tables dropped, emptied or renamed since: a copy into them kept nothing (review16)

    def candidate(c: Change) -> bool:
        # an INSERT ... SELECT, or an UPDATE ... FROM the table that sets another table's column (held-out-23 #44)
        return isinstance(c, DataChange) and c.action in {"insert", "update"} and bool(c.sql) and not c.conditional \
            and not c.guarded and (c.table or "").lower() not in gone and word.search(c.sql or "") is not None

    for c in reversed(phase_before(ctx, change)):
        if _renews(c, table, column):
            return
        gone.update(empties(c))
        if candidate(c):
            assert isinstance(c, DataChange)
            yield None, c
    index = _index(ctx)
    if change.phase != "upgrade" or index is None:
        return
    revision = ctx.migration.revision
    bound = max(next((key for key, _, c in index.newest_first(events, revision) if _renews(c, table, column)),
                     (-1, -1)) for events in (index.by_column.get((table, column)), index.by_table.get(table)))
    for key, migration, c in index.newest_first(index.copies_naming(table, column), revision):
        if key <= bound:
            return
        # or rows a SELECT of the column read, written by Python (``op.bulk_insert``): copies_naming found the
        # column in that SELECT's list (history_index.selected_before)
        if candidate(c) or (isinstance(c, DataChange) and c.action in {"insert", "bulk_insert"} and not c.sql
                            and table in c.read_tables and not c.conditional and not c.guarded):
            assert isinstance(c, DataChange)
            if not _emptied_since(index, revision, (c.table or "").lower(), key):
                yield migration, c


def _emptied_since(index: HistoryIndex, revision: str, target: str, after: tuple[int, int]) -> bool:
    """Whether an ancestor of ``revision``, after the step at ``after``, dropped, renamed or emptied ``target``."""
    return next(index.newest_first(index.emptied(target), revision), (after,))[0] > after
