"""Looking back: what earlier revisions (and earlier steps of this one) did to a table.

Rules use it to recognise safe paths spread over several revisions (a CHECK
(col IS NOT NULL) validated two revisions ago makes SET NOT NULL cheap) and
to learn a column's type when ``existing_type`` was not given. History is the
revision graph: ancestors through ``down_revision`` for ``.py`` revisions,
the ``-- Running upgrade a -> b`` chain for offline SQL files.
"""

from __future__ import annotations

import bisect
import functools
import heapq
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from migcheck.facts.postgres import created_materialized_view, is_serial, not_null_check_column
from migcheck.rules.built import application_calls
from migcheck.rules.context import RevisionContext
from migcheck.rules.history_index import (
    ApplicationCalls,
    HistoryIndex,
    default_names,
    empties,
    ensures_existence,
    expression_index_table,
    index_killed,
    is_commit,
    named_tables,
    sole_table,
    step_names,
    unknown_name,
)
from migcheck.rules.table_state import known_columns, table_columns, table_keys
from migcheck.vocabulary.changes import (
    AddColumn,
    AddConstraint,
    AlterColumn,
    Change,
    ColumnSpec,
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
from migcheck.vocabulary.fit import fits, run_time_part, word_part
from migcheck.vocabulary.revision import Migration

__all__ = [
    "ancestors",
    "before",
    "column_nullable",
    "column_server_default",
    "column_type",
    "from_nothing",
    "is_commit",
    "known_columns",
    "never_made",
    "split_between",
    "table_columns",
    "table_keys",
    "validated_not_null_check",
]

_ORDER_ATTR = "_migcheck_topological_index"


def ancestors(ctx: RevisionContext) -> list[Migration]:
    """Revisions that run before this one, oldest first."""
    index = _index(ctx)
    return [] if index is None else index.ancestors(ctx.migration.revision)


def phase_position(ctx: RevisionContext, change: Change) -> tuple[list[Change], int | None]:
    """``change``'s phase (its upgrade or downgrade steps) and its index there (None when it is not one of them),
    from a map built once per revision and phase: a search per question made a revision of 10,000 steps
    quadratic (a stranger's file can be that long)."""
    phase = "downgrade" if change.phase == "downgrade" else "upgrade"
    return _phase_steps(ctx, phase, change.engine), _positions(ctx, phase, change.engine).get(id(change))


def _phase_steps(ctx: RevisionContext, phase: str, engine: str | None) -> list[Change]:
    """The steps of one phase that run on ``engine``'s database (all of them outside the multidb template, where
    every step's engine is None), kept per revision."""
    return _phase_map(ctx, phase, engine)[0]


def _positions(ctx: RevisionContext, phase: str, engine: str | None) -> dict[int, int]:
    return _phase_map(ctx, phase, engine)[1]


def _phase_map(ctx: RevisionContext, phase: str, engine: str | None) -> tuple[list[Change], dict[int, int]]:
    every = ctx.migration.downgrade_changes if phase == "downgrade" else ctx.migration.upgrade_changes
    key = f"lookback.phase.{phase}.{engine}"
    kept = ctx.memo.get(key)
    if kept is None or kept[0] is not every or kept[1] != len(every):
        own = every if all(c.engine == engine for c in every) else [c for c in every if c.engine == engine]
        kept = ctx.memo[key] = (every, len(every), own, {id(c): i for i, c in reversed(list(enumerate(own)))})
    return kept[2], kept[3]


def phase_before(ctx: RevisionContext, change: Change) -> list[Change]:
    """The steps of ``change``'s own phase (upgrade or downgrade) that run before it in this revision: the same
    run of statements, one transaction unless a COMMIT ends it (all of them when ``change`` is not one). Under
    Alembic's multidb template only those of the step's own engine (``Change.engine``): another engine's steps run
    on another database, in another transaction."""
    own, index = phase_position(ctx, change)
    return list(own) if index is None else own[:index]


def phase_after(ctx: RevisionContext, change: Change) -> list[Change]:
    """The steps of ``change``'s own phase that run after it in this revision (empty when it is not one of
    them), of its own engine: phase_before's other half."""
    own, index = phase_position(ctx, change)
    return [] if index is None else own[index + 1:]


def before(ctx: RevisionContext, change: Change) -> list[Change]:
    """What this revision ran before ``change``, in replay order: an upgrade step's earlier upgrade steps; for a
    downgrade step, the whole upgrade (the downgrade runs on the schema the upgrade left) and then the
    downgrade's earlier steps. Questions about the same transaction ask ``phase_before``."""
    if change.phase == "downgrade":
        return [*_phase_steps(ctx, "upgrade", change.engine), *phase_before(ctx, change)]
    return phase_before(ctx, change)


def earlier(ctx: RevisionContext, change: Change) -> Iterator[Change]:
    """Every upgrade change that runs before ``change``, newest first: this revision's, then its ancestors'. It reads
    the whole history: a rule asking it for many changes is quadratic (ask earlier_keyed, or the history index)."""
    yield from reversed(before(ctx, change))
    for migration in reversed(ancestors(ctx)):
        yield from reversed(migration.upgrade_changes)


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


def earlier_keyed(ctx: RevisionContext, change: Change, kind: str, keys_of: Callable[[Change], Iterable[str]],
                  key: str) -> Iterator[Change]:
    """The changes of ``earlier`` that ``keys_of`` gives ``key``, in its order (newest first): this revision's
    own, then the ancestors' from ``HistoryIndex.grouped(kind, keys_of)``. A question about one name (an enum
    type, a function) reads that name's changes, not the whole history. ``keys_of`` must give every key a
    change can answer for, and be the same function for the same ``kind``."""
    for c in reversed(before(ctx, change)):
        if key in keys_of(c):
            yield c
    index = _index(ctx)
    if index is not None:
        for _, _, c in index.newest_first(index.grouped(kind, keys_of).get(key), ctx.migration.revision):
            yield c


def created_index(ctx: RevisionContext, change: Change, name: str) -> CreateIndex | None:
    """The latest CREATE INDEX of ``name`` before ``change``, in this revision or an earlier one."""
    name = name.lower()
    own = next((c for c in reversed(before(ctx, change)) if isinstance(c, CreateIndex) and _same(c.name, name)), None)
    index = _index(ctx)
    if own is not None or index is None:
        return own
    events = index.newest_first(index.by_index_name.get(name), ctx.migration.revision)
    return next((c for _, _, c in events if isinstance(c, CreateIndex)), None)


def _same(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and a.lower() == b.lower()


_UNSET = object()

#: A place in the history as a walk back sees it: (1, 0, i) for this revision's own i-th change, (0,
#: position, i) for the i-th change of an ancestor; larger is later.
_Cursor = tuple[int, int, int]


def history(ctx: RevisionContext) -> HistoryIndex | None:
    """The history index of the revision's graph (None when the revision is linted without one)."""
    return _index(ctx)


def _index(ctx: RevisionContext) -> HistoryIndex | None:
    graph = ctx.graph
    if graph is None or ctx.migration.revision not in graph.by_id:
        return None
    return HistoryIndex.of(graph)


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


def column_server_default(ctx: RevisionContext, change: Change, table: str, column: str) -> bool | None:
    """Whether the history leaves the column with a server default (True), without one (False), or does
    not say (None); follows renames of the column and of its table."""
    def of_alter(alter: AlterColumn) -> object:
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


def column_nullable(ctx: RevisionContext, change: Change, table: str, column: str) -> bool | None:
    """Whether the history leaves the column nullable (True), NOT NULL (False), or does not say (None)."""
    def of_alter(alter: AlterColumn) -> object:
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


def never_runs(ctx: RevisionContext, change: Change) -> bool:
    """Whether an upgrade step inside a swallowing ``try`` (``Change.guarded``) is never reached: a step before
    it in the same ``try`` block certainly fails against the schema the history built (it creates an index,
    a table or a column that already exists), the error is caught, and the rest of the block is skipped.
    Such a step takes no lock and changes nothing (privacyidea 4238eac8ccab).

    Only certain failures count: a step under an ``if`` may not run, an ``IF NOT EXISTS`` does not fail.

    A step whose ``if`` runs it only when its object is absent (``Change.unless_exists``) never runs either
    where the history already made that object (already_made)."""
    opening = _skipped_or_unguarded(ctx, change)
    if opening is not None:
        return opening
    for c in ctx.migration.upgrade_changes:
        if c is change:
            return False
        if c.guarded and c.guarded[-1] in change.guarded and not c.conditional and _certainly_fails(ctx, c):
            return True
    return False


def changes_nothing(ctx: RevisionContext, change: Change) -> bool:
    """Whether a guarded upgrade step leaves the schema as it was: it is never reached (never_runs), or it
    certainly fails itself and the error is caught (``try: op.create_table(<a table an ancestor made>) except
    Exception: print(...)``, privacyidea d2ae8e54b628). The failing statement still runs, so a lock it asks
    for before failing is still taken: lock rules ask never_runs, rules about what the schema becomes ask
    this."""
    opening = _skipped_or_unguarded(ctx, change)
    if opening is not None:
        return opening
    return (not change.conditional and _certainly_fails(ctx, change)) or never_runs(ctx, change)


def _skipped_or_unguarded(ctx: RevisionContext, change: Change) -> bool | None:
    """What never_runs and changes_nothing both answer first: True for a step its existence guard skips
    (already_made), False for one no swallowing ``try`` holds in an upgrade, None to look at the ``try``."""
    if change.unless_exists and already_made(ctx, change):
        return True
    if not change.guarded or change.phase != "upgrade":
        return False
    return None


def may_skip(change: Change) -> bool:
    """Whether never_runs / changes_nothing can say yes at all: the cheap test callers ask first."""
    return bool(change.guarded) or change.unless_exists


def already_made(ctx: RevisionContext, change: Change) -> bool:
    """Whether the object an upgrade step creates (a column, table, index or named constraint, in the default
    schema) certainly exists before it: made by an ancestor or earlier in this revision, not dropped since,
    and nothing in the history could have removed it unseen (_history_certain). A step guarded by ``if not
    column_exists(...)`` (``Change.unless_exists``) then never runs on a database the history built (faraday
    aa56852fa76d re-adds columns and constraints fa12b8322112 made). Unknown is no."""
    if change.phase != "upgrade":
        return False
    if change.unless_exists_by_name and not sole_table(change, _named(ctx)):
        return False  # ``if not constraint_exists("fk_x")``, fk_x on another table too: which one it finds is unknown
    return _made_before(ctx, change)


def _made_before(ctx: RevisionContext, change: Change) -> bool:
    """Whether the column, table, index or named constraint ``change`` creates in the default schema certainly
    exists before it (not dropped since), and nothing in the history could have removed it unseen
    (_history_certain): what already_made and _certainly_fails both ask."""
    if getattr(change, "schema", None) is not None:
        return False  # schema="archive": the history (read without schemas) says nothing of that schema
    if isinstance(change, AddColumn) and change.column.name:
        made = column_creation(ctx, change, change.table, change.column.name) is not None
    elif isinstance(change, CreateTable):
        # the table's first column made and not dropped since, found through the history index (a replay of
        # the whole history per guarded CREATE TABLE would be quadratic)
        first = next((col.name for col in change.columns if col.name), None)
        made = first is not None and column_creation(ctx, change, change.table, first) is not None
    elif isinstance(change, CreateIndex) and change.name and change.table:
        made = _index_exists(ctx, change, change.name, change.table)
    elif isinstance(change, AddConstraint) and change.name and change.table:
        made = _constraint_exists(ctx, change, change.name, change.table)
    else:
        return False
    return made and _history_certain(ctx, change, change.table or "")


def from_nothing(ctx: RevisionContext) -> tuple[HistoryIndex, int] | None:
    """The history index and the bit set of this revision and its ancestors, when that history is fully known and
    starts from nothing: every parent and dependency found down to a base, every upgrade read, and no step on a
    table the history did not make (``HistoryIndex.preexisting``: a schema from ``create_all()`` or an older tool,
    which may hold any table, index or constraint). None otherwise. What table_never_made and never_made share."""
    index = _index(ctx)
    revision = ctx.migration.revision
    if index is None or revision not in index.position:
        return None
    lineage = index.ancestor_bits.get(revision, 0) | 1 << index.position[revision]
    return None if lineage & (index.preexisting | index.unresolved) else (index, lineage)


def certainly_absent(ctx: RevisionContext, change: Change) -> bool:
    """Whether the object an upgrade step creates (a table, a column, a named index or constraint, default
    schema) certainly does not exist before it on a database the history built: the table never made
    (table_never_made); the column missing from what the history leaves its table with, a history known from
    nothing that nothing unread could have changed; no step ever giving the index's or constraint's name
    (never_made). Unknown is no: a table the history never created, an unnamed index."""
    if change.phase != "upgrade" or getattr(change, "schema", None) is not None:
        return False
    if isinstance(change, CreateTable):
        return table_never_made(ctx, change, change.table)
    if isinstance(change, AddColumn) and change.column.name:
        columns = table_columns(ctx, change, change.table) if from_nothing(ctx) is not None else None
        return columns is not None and change.column.name.lower() not in columns \
            and _history_certain(ctx, change, change.table)
    if isinstance(change, CreateIndex | AddConstraint) and change.name:
        # the revision's own code names it where it makes it and in its guard: its steps before this one are
        # looked at one by one instead (never_made's before())
        return never_made(ctx, change, change.name, own_code=False)
    return False


def table_never_made(ctx: RevisionContext, change: Change, table: str) -> bool:
    """Whether ``table`` (default schema) certainly does not exist when the upgrade step ``change`` runs: the history
    is known from nothing (from_nothing), neither an ancestor nor an earlier step of this revision makes the table
    (CREATE TABLE, a rename to it), and nothing unread could have made it (_history_certain; a statement-level call
    into the application naming it or a metadata). Unknown is no."""
    known = from_nothing(ctx)
    if known is None or change.phase != "upgrade" or getattr(change, "schema", None) is not None:
        return False
    index, lineage = known
    name = table.lower()
    if index.ancestor_bits.get(ctx.migration.revision, 0) & index.table_made.get(name, 0):
        return False
    if any((isinstance(c, CreateTable) and _same(c.table, name)) or (isinstance(c, RenameTable)
           and _same(c.new_name, name)) for c in before(ctx, change)):
        return False
    return _history_certain(ctx, change, name) \
        and not _application_may_make(index, lineage, name, r"metadata|create_all")


def _application_may_make(index: HistoryIndex, bits: int, name: str, words: str) -> bool:
    """Whether a revision of ``bits`` calls the application's code, at statement level, with a call whose text
    (lower case) names ``name`` as a whole word (not inside a longer ``[\\w$]`` run) or matches ``words``
    (``Base.metadata.create_all(bind)``, ``create_kg_tables(op, "kg_config")``, ``create_search_indexes()``).
    Calls for values (``encrypt(api_key)``) make nothing, as the schema the history builds counts them
    (built.application_calls). The calls are read once per graph, and indexed by word and by ``words`` pattern
    (ApplicationCalls): scanning every call per question was quadratic where many revisions call the application
    and ask it."""
    calls = index.application_calls
    if calls is None:  # read once per graph, only for the revisions whose body calls imported code
        calls = index.application_calls = ApplicationCalls([
            (pos, text.lower()) for pos, m in enumerate(index.by_position)
            if m.upgrade is not None and m.upgrade.opaque for text in application_calls(m)])
    return bool(bits & (calls.matching(words) | calls.naming(name)))

def _constraint_exists(ctx: RevisionContext, change: Change, name: str, table: str) -> bool:
    """A constraint of that name added earlier to the same table and not dropped since (by name, with its
    table, or with one of its table's columns: a dropped column can take it along)."""
    named = _named(ctx)
    return _named_and_kept(ctx, change, name, table, lambda c, n, t: _constraint_event(c, n, t, named),
                           lambda i: i.by_constraint, (AddConstraint, DropConstraint))


def _constraint_event(c: Change, name: str, table: str, named: Mapping[str, set[str]]) -> bool | None:
    """What ``c`` says of constraint ``name`` on ``table`` (both lower case), looking back: dropped (False),
    added (True when on that table and certainly run, or run only when absent: ensures_existence), or nothing
    (None)."""
    if isinstance(c, DropConstraint) and _same(c.name, name):
        return False
    if index_killed(c, table):
        return False
    if isinstance(c, AddConstraint) and _same(c.name, name):
        return (not c.conditional or ensures_existence(c, named)) and _same(c.table, table)
    return None


def _named(ctx: RevisionContext) -> Mapping[str, set[str]]:
    """The tables each index or constraint name is given to in the history (this revision's alone without a
    graph)."""
    index = _index(ctx)
    return index.named if index is not None else named_tables(ctx.migration.upgrade_changes)


def _certainly_fails(ctx: RevisionContext, c: Change) -> bool:
    """``c`` creates what the history already has (and never dropped), without IF NOT EXISTS, in the default
    schema, and nothing in the history could have removed it unseen (_history_certain)."""
    if isinstance(c, AddConstraint) or getattr(c, "if_not_exists", False):
        return False
    return _made_before(ctx, c)


def _history_certain(ctx: RevisionContext, change: Change, table: str) -> bool:
    """Whether the history read can be trusted to say what exists of ``table``: no earlier step on it sits
    under an ``if`` (``if x: op.add_column(...)`` may never have run), none has a table known only at run
    time (``op.execute("DROP TABLE " + name)``, read as ``{…}``), and no SQL migcheck could not read names it or is unknown
    (its text only known at run time). Then "it already exists" is a fact, not a guess; otherwise a guarded
    step may succeed and the rest of its ``try`` run. The ancestors' part is a bit test on the history index.

    A step run only when its object is absent leaves that object there either way and removes nothing: it
    does not make the table uncertain (history_index.ensures_existence)."""
    table, named = table.lower(), _named(ctx)
    for c in before(ctx, change):
        if isinstance(c, RawSQL):
            if not c.understood and (c.text is None or table in c.text.lower()):
                return False
            continue
        names = step_names(c)
        if any(unknown_name(n) for n in names) or (c.conditional and not ensures_existence(c, named)
                                                   and any(_same(n, table) for n in names)):
            return False
    index = _index(ctx)
    return index is None or not index.ancestor_bits.get(ctx.migration.revision, 0) & index.uncertain(table)


def _index_exists(ctx: RevisionContext, change: Change, name: str, table: str) -> bool:
    """An index of that name made earlier on the same table (MySQL's index names are per table) and not
    dropped since (with its table, by name, or with a column of its table: a dropped column takes its
    indexes along). Only the changes of that index name and of that table are looked at."""
    return _named_and_kept(ctx, change, name, table, _index_event, lambda i: i.by_index_name, None)


def _named_and_kept(ctx: RevisionContext, change: Change, name: str, table: str,
                    event: Callable[[Change, str, str], bool | None],
                    by_name: Callable[[HistoryIndex], Mapping[str, Any]],
                    kinds: tuple[type, ...] | None) -> bool:
    """Whether the newest event of ``name`` on ``table`` before ``change`` made it and nothing dropped it since:
    this revision's earlier steps first, then the history index's changes of that name (``by_name``, only
    ``kinds`` when given) against those that drop the table's indexes and constraints."""
    name, table = name.lower(), table.lower()
    for c in reversed(before(ctx, change)):
        verdict = event(c, name, table)
        if verdict is not None:
            return verdict
    index = _index(ctx)
    if index is None:
        return False
    revision = ctx.migration.revision
    named = by_name(index).get(name)
    made = next((e for e in index.newest_first(named, revision) if kinds is None or isinstance(e[2], kinds)), None)
    killed = next(index.newest_first(index.index_killers.get(table), revision), None)
    if made is None or (killed is not None and killed[0] > made[0]):
        return False
    return bool(event(made[2], name, table))


def never_made(ctx: RevisionContext, change: Change, name: str, *, own_code: bool = True) -> bool:
    """Whether no index or constraint called ``name`` can exist before ``change`` on a database the history built:
    the history is known from nothing (from_nothing, and no other branch starts from a schema made some other way),
    no step has a table named at run time, no SQL it could not read may name it, no statement-level call into the
    application names it or speaks of indexes or constraints, and nothing in it gives that name: no step (by name,
    or by the default name PostgreSQL or a usual naming convention gives one made without a name:
    ``HistoryIndex.object_names``; an unnamed index on an expression may have any ``<table>_..._idx``), no line of
    its revisions' code outside comments and the drops of that name (``sa.Index(...)`` inside ``create_table`` is
    no step of its own), not a default name on a column the history makes (_generated_name) nor one of env.py's
    naming convention. Unknown is no: then the object may be there (DROP INDEX / DROP CONSTRAINT IF EXISTS finds
    it). ``own_code=False`` leaves out this revision's own code lines (asked for a step that makes the name, which
    its own line and its guard name; the steps before it are still looked at).

    The history is every revision that is not a descendant of this one: its ancestors, and the other branches,
    which a database may have run first (review15: a sibling merged later made the constraint). Each question
    costs the revisions that name it, not the history: the history is read once per graph, and which revisions'
    code names a name once per name."""
    known = from_nothing(ctx)
    if known is None or change.phase != "upgrade":
        return False
    index, _ = known
    name = name.lower()
    own = 1 << index.position[ctx.migration.revision]
    lineage = ~index.descendant_bits(ctx.migration.revision) & ((1 << len(index.by_position)) - 1)
    older = lineage & ~own
    names = index.object_names()
    if lineage & (index.preexisting | index.unresolved) \
            or older & (index.unknown_schema_names | names.any_name | names.made.get(name, 0)) \
            or _expression_index_named(name, names.expression_indexes, older):
        return False
    if older & index.unread_texts().naming(name):
        return False
    for c in before(ctx, change):
        if isinstance(c, RawSQL):
            if not c.understood and (c.text is None or name in c.text.lower()):
                return False
            continue
        if not isinstance(c, DataChange) and any(unknown_name(n) for n in step_names(c)):
            return False  # rows written to a table named at run time make no index
        given = default_names(c)
        table = expression_index_table(c)
        if given is None or name in given or (table is not None and _expression_index_named(name, {table: 1}, 1)):
            return False
    if _application_may_make(index, lineage, name, r"index|constraint|foreign|unique|\bkeys?\b") \
            or _generated_name(name, index) or _conventional_name(ctx, name):
        return False
    naming = _naming_revisions(index, name)
    if naming & older:
        return False
    return not (own_code and naming & own and _names_it(ctx.migration, name, change))


def _expression_index_named(name: str, tables: Mapping[str, int], bits: int) -> bool:
    """``name`` may be what PostgreSQL called an index made without a name on an expression, on a table of ``tables``
    (bit sets of the revisions that make one) by a revision of ``bits``: ``<table>_<anything>_idx[<digits>]``."""
    if not tables or not re.search(r"_idx\d*$", name):
        return False
    return any(ch == "_" and tables.get(name[:cut], 0) & bits and re.fullmatch(r"_[\w$]+_idx\d*", name[cut:])
               for cut, ch in enumerate(name))


def _naming_revisions(index: HistoryIndex, name: str) -> int:
    """The revisions (a bit set) whose code names ``name`` other than where they drop it (_names_it), found once
    per name and graph: asked for every revision that drops the same name, a rescan of each one's ancestors'
    lines was quadratic in the history (review15: 3,000 revisions each dropping ``t1_legacy_check``, 75 s)."""
    bits = index.naming_code.get(name)
    if bits is None:
        bits = 0
        for pos in index.code_words().get(name, ()):
            if _names_it(index.by_position[pos], name, None):
                bits |= 1 << pos
        index.naming_code[name] = bits
    return bits


_SUFFIXES = ("_key", "_idx", "_pkey", "_fkey", "_check", "_excl")


def _generated_name(name: str, index: HistoryIndex) -> bool:
    """``name`` is what a default naming convention may call an index or constraint on a column the history makes:
    ``ix_<t>_<c>``, ``uq_<t>_<c>``, ``<t>_<c>_key``, ``<t>_<c>_idx``, ``<t>_pkey``, ``pk_<t>`` on any of its
    columns; and, on a column a CREATE TABLE makes (whose table-level constraints are no steps of their own),
    ``<t>_<c>_fkey``, ``<t>_<c>_check``, ``<t>_<c>_excl`` or one naming more of its columns after it. Looked up by
    splitting the name, so a question costs its length, not the number of columns."""
    for prefix, table_only in (("pk_", True), ("ix_", False), ("uq_", False)):
        if name.startswith(prefix) and _splits_into_column(name[len(prefix):], index, table_only, exact=True):
            return True
    suffix = next((x for x in _SUFFIXES if name.endswith(x)), None)
    if suffix is None:
        return False
    stem = name[: -len(suffix)]
    if suffix == "_pkey":
        return _splits_into_column(stem, index, True, exact=True)
    if suffix in ("_key", "_idx") and _splits_into_column(stem, index, False, exact=True):
        return True
    return _splits_into_column(stem, index, False, exact=False)


def _splits_into_column(stem: str, index: HistoryIndex, table_only: bool, *, exact: bool) -> bool:
    """Whether ``stem`` is ``<table>`` (table_only) or ``<table>_<column>`` of a column the history makes; with
    ``exact`` False, ``<table>_<column>[_<more>]`` of a column made with its table."""
    if table_only:
        return stem in index.tables_with_columns()
    for cut in (i for i, ch in enumerate(stem) if ch == "_"):
        table, rest = stem[:cut], stem[cut + 1:]
        if exact:
            if (table, rest) in index.by_column:
                return True
            continue
        ends = [j for j, ch in enumerate(rest) if ch == "_"] + [len(rest)]
        if any(index.column_made_with_table(table, rest[:j]) and _columns_chain(table, rest[j + 1:], index)
               for j in ends):
            return True
    return False


def _columns_chain(table: str, rest: str, index: HistoryIndex) -> bool:
    """``rest`` is empty or ``<column>[_<column>...]`` of columns the history gives ``table`` (the other columns
    of a constraint on several, as PostgreSQL joins them into its name). Each start of a column is tried once, in
    order (a recursion over every split was exponential when columns are prefixes of each other: ``a``, ``a_a``,
    ``a_a_a``... and a name of 22 of them took five seconds)."""
    if not rest:
        return True
    cuts = [j for j, ch in enumerate(rest) if ch == "_"] + [len(rest)]
    starts = {0}
    for start in [0, *(j + 1 for j in cuts[:-1])]:
        if start not in starts:
            continue
        if start == len(rest):
            return True  # a name ending in "_": nothing left to name, as the recursion had it
        for end in cuts:
            if end > start and (table, rest[start:end]) in index.by_column:
                if end == len(rest):
                    return True
                starts.add(end + 1)
    return False


def _conventional_name(ctx: RevisionContext, name: str) -> bool:
    """``name`` has the shape of a template of env.py's ``MetaData(naming_convention=...)`` (when the application
    was read): an unnamed index or constraint may have been given it."""
    head = ctx.app.head if ctx.app else None
    convention = head.naming_convention if head else None
    for template in (convention or {}).values():
        if not isinstance(template, str):
            continue
        parts = re.split(r"%\(\w+\)s", template.lower())
        if len(parts) > 1 and fits(parts, name, word_part):  # not a built regex: vocabulary/fit.py
            return True
    return False


def _names_it(migration: Migration, name: str, change: Change | None) -> bool:
    """A line of the revision's code (comments aside) names ``name`` other than where it is dropped (or where
    ``change``, one of its upgrade steps, is)."""
    drops = {c.line for c in (*migration.upgrade_changes, *migration.downgrade_changes)
             if isinstance(c, DropIndex | DropConstraint) and _same(c.name, name)}
    if change is not None and change in migration.upgrade_changes:
        drops.add(change.line)
    pattern = re.compile(rf"(?<![\w$]){re.escape(name)}(?![\w$])", re.I)
    for number, text in enumerate(migration.source_lines, start=1):
        code = text.split("#", 1)[0]
        if number not in drops and pattern.search(code):
            return True
    return False


def _index_event(c: Change, name: str, table: str) -> bool | None:
    """What ``c`` says of index ``name`` on ``table`` (both lower case), looking back: dropped (False),
    made (True when on that table and not under an ``if``), or nothing (None)."""
    if isinstance(c, DropIndex) and _same(c.name, name):
        return False
    if index_killed(c, table):
        return False
    if isinstance(c, CreateIndex) and _same(c.name, name):
        return not c.conditional and _same(c.table, table)
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
        if candidate(c):
            assert isinstance(c, DataChange)
            if not _emptied_since(index, revision, (c.table or "").lower(), key):
                yield migration, c


def _emptied_since(index: HistoryIndex, revision: str, target: str, after: tuple[int, int]) -> bool:
    """Whether an ancestor of ``revision``, after the step at ``after``, dropped, renamed or emptied ``target``."""
    return next(index.newest_first(index.emptied(target), revision), (after,))[0] > after
