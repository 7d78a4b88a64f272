"""Whether a step guarded by an existence test runs, changes nothing, or may be skipped, and whether
the object it names is certainly there or certainly absent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from migcheck.rules.context import RevisionContext
from migcheck.rules.history_index import (
    HistoryIndex,
    ensures_existence,
    index_killed,
    named_tables,
    sole_table,
    step_names,
    unknown_name,
)
from migcheck.rules.lookback.columns import column_creation
from migcheck.rules.lookback.names import _index_event, never_made
from migcheck.rules.lookback.steps import _application_may_make, _index, _same, before, earlier_keyed, from_nothing
from migcheck.rules.table_state import table_columns
from migcheck.vocabulary.changes import (
    AddColumn,
    AddConstraint,
    Change,
    CreateIndex,
    CreateTable,
    DropConstraint,
    DropTable,
    RawSQL,
    RenameTable,
)
from migcheck.vocabulary.revision import Migration


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
    if change.unless_exists and _already_made_kept(ctx, change):
        return True
    if not change.guarded or change.phase != "upgrade":
        return False
    return None


def _already_made_kept(ctx: RevisionContext, change: Change) -> bool:
    """already_made, once per step and revision: the engine (before the lock rules), downgrade-not-inverse twice and
    mixed-schema-and-data-change ask changes_nothing / never_runs of each guarded step, and each answer is a walk back
    through its table's history (kept in ``ctx.memo`` by the step and the revision's steps). The revision is part of
    the key: downgrade-not-inverse asks again of production's view (``dataclasses.replace`` of the context, sharing
    its memo, without the steps production never runs), where a step made absent by one of those is there
    (attack28e)."""
    migration = ctx.migration
    kept: dict[tuple[int, int], tuple[Change, Migration, bool]] = ctx.memo.setdefault("lookback.already_made", {})
    key = (id(change), id(migration))
    found = kept.get(key)
    if found is None or found[0] is not change or found[1] is not migration:
        found = kept[key] = (change, migration, already_made(ctx, change))
    return found[2]


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


def table_dropped_before(ctx: RevisionContext, change: Change, table: str) -> bool:
    """Whether ``table`` (default schema) is certainly gone when the upgrade step ``change`` runs: the newest earlier
    step that makes or removes it (this revision's, else an ancestor's) drops it or renames it away, and nothing
    unread could have made it since (_history_certain; an application call naming it or a metadata). Then
    ``DROP TABLE IF EXISTS`` of it does nothing (held-out-26 #49: a clean-up list naming a table dropped three
    years before). Unknown is no."""
    if change.phase != "upgrade" or getattr(change, "schema", None) is not None:
        return False
    name = table.lower()
    newest = next(earlier_keyed(ctx, change, "table-life", _table_life, name), None)
    if newest is None or getattr(newest, "schema", None) is not None or not _surely_ran(newest, change):
        return False
    # spelled as the DROP spells it (attack26b: ``op.drop_table("Legacy")`` drops the quoted "Legacy", not legacy)
    gone = (isinstance(newest, DropTable) and newest.table == table) or (
        isinstance(newest, RenameTable) and newest.table == table)
    if not gone or not _history_certain(ctx, change, name):
        return False
    index = _index(ctx)
    if index is None:
        return True
    revision = ctx.migration.revision
    bits = index.ancestor_bits.get(revision, 0)
    # a revision on another branch (neither before nor after this one) may run in between and make it again
    # (attack26b: ``alembic upgrade heads`` runs the sibling that re-creates the table first)
    at = index.position.get(revision)
    others = ((1 << len(index.by_position)) - 1) & ~bits & ~index.descendant_bits(revision) & ~(
        0 if at is None else 1 << at)
    events = index.grouped("table-life", _table_life).get(name)
    if others and (index.uncertain(name) & others or (events is not None and any(
            others >> key[0] & 1 for key in events.keys))):
        return False
    return not _application_may_make(index, bits | others, name, r"metadata|create_all")


def _surely_ran(step: Change, change: Change) -> bool:
    """``step`` ran, once, before ``change``: not under an ``if``, in a ``try`` that may swallow its failure, in a loop
    of passes known only at run time (attack26b: ``for t in []: op.drop_table(...)``), in a branch production never
    takes, nor on another engine's database."""
    return not (step.conditional or step.blocks or step.guarded or step.loop is not None or step.off_in_production
                or step.not_implemented_caught or step.app_dialect_guards) and step.engine == change.engine


def _table_life(c: Change) -> list[str]:
    """The tables (lower case) ``c`` makes or removes, as table_dropped_before reads them."""
    if isinstance(c, CreateTable | DropTable):
        return [c.table.lower()]
    if isinstance(c, RenameTable):
        return [c.table.lower(), c.new_name.lower()]
    return []


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
