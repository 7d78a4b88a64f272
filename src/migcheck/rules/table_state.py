"""What the history leaves one table with (its columns, its keys), replayed from that table's own steps.

A forward replay of every earlier change answers "which columns does t have here?" exactly, but asked once per
change it made lint quadratic in the history's length (a one-row ``UPDATE t1 ... WHERE id = ...`` after the DDL
of every revision: 4.4 s at 1,000 revisions and 31 s at 4,000, against 1.5 s and 3.2 s for the plain history).
The replay here is the same loop, fed only the steps that can change the answer, found in the history index
(``HistoryIndex.table_events``): the table's own steps and those of every table renamed into it (followed back
through their renames), and for keys the drops of the keys' names and the drops and renames of the keys'
columns. Every step left out would leave the replayed table as it is, so the answer is the full replay's.
This revision's own earlier steps (a few) are replayed whole, as before.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any
from weakref import WeakKeyDictionary

from migcheck.rules.context import RevisionContext
from migcheck.rules.history_index import HistoryIndex, Key, unique_key, unknown_name
from migcheck.vocabulary.changes import (
    AddColumn,
    AddConstraint,
    Change,
    CreateIndex,
    CreateTable,
    DropColumn,
    DropConstraint,
    DropIndex,
    DropTable,
    RawSQL,
    RenameColumn,
    RenameTable,
)

__all__ = ["known_columns", "never_indexed", "table_columns", "table_keys"]

def table_columns(ctx: RevisionContext, change: Change, table: str) -> set[str] | None:
    """The columns (lower case) the history leaves ``table`` with just before ``change`` (of either phase),
    replaying creates, adds, drops and renames forward; None when the history does not say (never created by
    a revision, or created without a column list, as ``CREATE TABLE t AS SELECT ...``)."""
    return _replay_columns(ctx, change, table, made_outside=False)


def known_columns(ctx: RevisionContext, change: Change, table: str) -> set[str] | None:
    """What ``table_columns`` says, or for a table no revision made (a schema from ``create_all()``), the columns
    the history is known to give it: those its revisions add (renames followed, drops taken off; none when no
    revision touches it). Some of the table's columns, never more than it has; None for a table made without a
    column list, or dropped."""
    return _replay_columns(ctx, change, table, made_outside=True)


def _replay_columns(ctx: RevisionContext, change: Change, table: str, *, made_outside: bool) -> set[str] | None:
    """The replay of table_columns; ``made_outside``: a column step on a table the replay never saw made (nor
    dropped) starts it as a table with no column known."""
    own = _own(ctx, change)
    index = _index(ctx)
    replay: list[Change] = []
    if index is not None:
        events = index.table_events()
        names = _lineage(ctx, index, own, table.lower(), events.shape)
        replay = _in_order(_steps(index, ctx.migration.revision, events.shape.get(name)) for name in names)
    tables: dict[str, set[str] | None] = {}
    seen: set[str] = set()  # tables made, dropped or renamed by the replay: their columns are not outside's
    for c in [*replay, *own]:
        if isinstance(c, CreateTable):
            names_made = {col.name.lower() for col in c.columns if col.name}
            tables[c.table.lower()] = names_made or None
            seen.add(c.table.lower())
        elif isinstance(c, DropTable):
            tables.pop(c.table.lower(), None)
            seen.add(c.table.lower())
        elif isinstance(c, RenameTable):
            seen.update((c.table.lower(), c.new_name.lower()))
            if c.table.lower() in tables:
                tables[c.new_name.lower()] = tables.pop(c.table.lower())
        elif isinstance(c, AddColumn | DropColumn | RenameColumn):
            if made_outside and c.table.lower() not in seen:
                tables.setdefault(c.table.lower(), set())
            columns = tables.get(c.table.lower())
            if columns is None:
                continue
            if isinstance(c, AddColumn) and c.column.name:
                columns.add(c.column.name.lower())
            elif isinstance(c, DropColumn):
                columns.discard(c.column.lower())
            elif isinstance(c, RenameColumn) and c.column.lower() in columns:
                columns.discard(c.column.lower())
                columns.add(c.new_name.lower())
    if made_outside and table.lower() not in seen:
        return tables.get(table.lower(), set())
    return tables.get(table.lower())


def table_keys(ctx: RevisionContext, change: Change, table: str) -> list[frozenset[str]]:
    """The column sets (lower case) that the history leaves a key of ``table`` just before ``change``: its
    columns made ``primary_key=True``, a unique index (without WHERE) or a PRIMARY KEY / UNIQUE constraint, each
    followed through table and column renames and dropped with its index, constraint, column or table. [] when
    the history shows none (a key it cannot read, a table-level ``PrimaryKeyConstraint``, is then not known)."""
    own = _own(ctx, change)
    index = _index(ctx)
    replay: list[Change] = []
    if index is not None:
        events = index.table_events()
        revision = ctx.migration.revision
        names = _lineage(ctx, index, own, table.lower(), events.keys)
        made = [list(_steps(index, revision, events.keys.get(name))) for name in names]
        makers = [c for steps in made for _, c in steps]
        replay = _in_order([
            *made,
            *(_steps(index, revision, events.dropped.get(name)) for name in {_key_name(c) for c in makers
                                                                              if unique_key(c)}),
            _column_moves(index, revision, names, makers)])
    keys: dict[str, dict[str, frozenset[str]]] = {}  # table -> key name ("" for the primary key) -> columns
    for c in [*replay, *own]:
        if c.conditional or c.guarded:
            continue
        if isinstance(c, CreateTable):
            primary = frozenset(col.name.lower() for col in c.columns if col.name and col.primary_key)
            keys[c.table.lower()] = {"": primary} if primary else {}
        elif isinstance(c, AddColumn) and c.column.primary_key and c.column.name:
            keys.setdefault(c.table.lower(), {})[""] = frozenset({c.column.name.lower()})
        elif unique_key(c):
            assert isinstance(c, CreateIndex | AddConstraint) and c.table
            keys.setdefault(c.table.lower(), {})[_key_name(c)] = frozenset(x.lower() for x in c.columns)
        elif isinstance(c, DropIndex | DropConstraint) and c.name:
            for named in keys.values():
                named.pop(c.name.lower(), None)
        elif isinstance(c, DropTable):
            keys.pop(c.table.lower(), None)
        elif isinstance(c, RenameTable) and c.table.lower() in keys:
            keys[c.new_name.lower()] = keys.pop(c.table.lower())
        elif isinstance(c, DropColumn | RenameColumn) and c.table.lower() in keys:
            old = c.column.lower()
            named = keys[c.table.lower()]
            for name, columns in list(named.items()):
                if old not in columns:
                    continue
                if isinstance(c, DropColumn):
                    del named[name]
                else:
                    named[name] = (columns - {old}) | {c.new_name.lower()}
    return [columns for columns in keys.get(table.lower(), {}).values() if columns]


def never_indexed(ctx: RevisionContext, change: Change, table: str, column: str) -> bool:
    """Whether, just before ``change``, the history certainly leaves no index on ``table.column``: a revision made
    the table with the column (so no ``create_all()`` index), no revision renamed the table or a column of it, no
    step indexed or constrained the column (or named no column list it could be in), the column is no primary key,
    and nothing the history could not read may have touched the table (held-out-23 #29). The ancestors' steps are
    looked up in ``_IndexFacts``, built once per history (attack23: a walk of every earlier change per call made
    2,000 such revisions take 13 s); this revision's own earlier steps are read one by one."""
    name, col = table.lower(), column.lower()
    columns = table_columns(ctx, change, table)
    index = _index(ctx)
    if columns is None or col not in columns or index is None:
        return False
    ancestors = index.ancestor_bits.get(ctx.migration.revision, 0)
    if index.uncertain(name) & ancestors:
        return False  # a step the history cannot read may name the table
    facts = _IndexFacts.of(index)
    if facts.spoilers(name, col) & ancestors:
        return False
    own = _own(ctx, change)
    if any(_spoils(c, name, col) for c in own):
        return False
    # index=True, sa.Index(...) / sa.UniqueConstraint(...) in create_table, UNIQUE in SQL: not steps of their own;
    # the revisions that make the table or add the column must not write any of these words at all
    makers = facts.makers(name, col) & ancestors
    mine = index.position.get(ctx.migration.revision)
    if mine is not None and any(_makes(c, name, col) for c in own):
        makers |= 1 << mine
    words = index.code_words()
    return not any(words.get(word) and any(makers >> pos & 1 for pos in words[word]) for word in _INDEX_WORDS)


#: Words a revision writes to index a column inside a step that makes a table or a column.
_INDEX_WORDS = ("index", "unique", "uniqueconstraint", "primarykeyconstraint", "primary", "exclude",
                "excludeconstraint")


def _spoils(c: Change, name: str, col: str) -> bool:
    """Whether step ``c`` may leave an index on ``name.col`` or make the history of the table unsure."""
    if isinstance(c, RawSQL) and (not c.understood or c.text is None):
        return True
    target = (getattr(c, "table", None) or "").lower()
    if isinstance(c, CreateIndex | AddConstraint) and (target in ("", name) or unknown_name(target)) \
            and (not c.columns or col in (x.lower() for x in c.columns)):
        return True
    if (isinstance(c, RenameTable) and name in (target, c.new_name.lower())) \
            or (isinstance(c, RenameColumn) and target == name):
        return True
    return isinstance(c, CreateTable | AddColumn) and target == name and any(
        spec.primary_key and (spec.name or "").lower() == col
        for spec in (c.columns if isinstance(c, CreateTable) else [c.column]))


def _makes(c: Change, name: str, col: str) -> bool:
    return (isinstance(c, CreateTable) and c.table.lower() == name) or (
        isinstance(c, AddColumn) and c.table.lower() == name and (c.column.name or "").lower() == col)


class _IndexFacts:
    """Per history, the positions of the revisions whose steps ``_spoils`` and ``_makes`` look for, keyed by
    table and column: one pass over the history, then each question is a few dictionary lookups."""

    _known: WeakKeyDictionary[HistoryIndex, _IndexFacts] = WeakKeyDictionary()

    def __init__(self, index: HistoryIndex) -> None:
        self.unread = 0  # unread SQL
        self.keyed: dict[tuple[str, str], int] = {}  # (table or "?", column or "*"): an index or constraint
        self.renamed: dict[str, int] = {}  # table renamed, or a column of it
        self.primary: dict[tuple[str, str], int] = {}
        self.made: dict[str, int] = {}
        self.added: dict[tuple[str, str], int] = {}
        for pos, migration in enumerate(index.by_position):
            bit = 1 << pos
            for c in migration.upgrade_changes:
                self._add(c, bit)

    def _add(self, c: Change, bit: int) -> None:
        target = (getattr(c, "table", None) or "").lower()
        if isinstance(c, RawSQL) and (not c.understood or c.text is None):
            self.unread |= bit
        elif isinstance(c, CreateIndex | AddConstraint):
            where = "?" if target == "" or unknown_name(target) else target
            for col in [x.lower() for x in c.columns] if c.columns else ["*"]:
                self.keyed[where, col] = self.keyed.get((where, col), 0) | bit
        elif isinstance(c, RenameTable):
            for table in (target, c.new_name.lower()):
                self.renamed[table] = self.renamed.get(table, 0) | bit
        elif isinstance(c, RenameColumn):
            self.renamed[target] = self.renamed.get(target, 0) | bit
        elif isinstance(c, CreateTable | AddColumn):
            specs = c.columns if isinstance(c, CreateTable) else [c.column]
            for spec in specs:
                if spec.primary_key:
                    key = (target, (spec.name or "").lower())
                    self.primary[key] = self.primary.get(key, 0) | bit
            if isinstance(c, CreateTable):
                self.made[target] = self.made.get(target, 0) | bit
            else:
                key = (target, (c.column.name or "").lower())
                self.added[key] = self.added.get(key, 0) | bit

    @classmethod
    def of(cls, index: HistoryIndex) -> _IndexFacts:
        if index not in cls._known:
            cls._known[index] = cls(index)
        return cls._known[index]

    def spoilers(self, name: str, col: str) -> int:
        keyed = self.keyed.get((name, col), 0) | self.keyed.get((name, "*"), 0) | self.keyed.get(("?", col), 0) \
            | self.keyed.get(("?", "*"), 0)
        return self.unread | keyed | self.renamed.get(name, 0) | self.primary.get((name, col), 0)

    def makers(self, name: str, col: str) -> int:
        return self.made.get(name, 0) | self.added.get((name, col), 0)


def _key_name(c: Change) -> str:
    """The name a key made from listed columns goes by in the replay: its own, else its columns."""
    return (getattr(c, "name", None) or "").lower() or repr(getattr(c, "columns", None))


def _own(ctx: RevisionContext, change: Change) -> list[Change]:
    """This revision's steps that run before ``change``: the upgrade's, and for a downgrade step the whole upgrade
    and the downgrade's earlier ones."""
    own = ctx.migration.upgrade_changes
    if change.phase != "upgrade":
        own = own + ctx.migration.downgrade_changes
    return own[:next((i for i, c in enumerate(own) if c is change), len(own))]


def _index(ctx: RevisionContext) -> HistoryIndex | None:
    graph = ctx.graph
    if graph is None or ctx.migration.revision not in graph.by_id:
        return None
    return HistoryIndex.of(graph)


def _lineage(ctx: RevisionContext, index: HistoryIndex, own: list[Change], table: str,
             by_table: Mapping[str, Any]) -> set[str]:
    """``table`` and every table renamed into it, or into one of those, earlier (an ancestor's step or one of
    ``own``): the tables whose steps can change what ``table`` holds. A rename that came before the table was made
    again changes nothing, and replaying its table too costs only its steps."""
    names, todo = {table}, [table]
    while todo:
        name = todo.pop()
        sources = [c.table.lower() for c in own if isinstance(c, RenameTable) and c.new_name.lower() == name]
        sources += [c.table.lower() for _, _, c in index.newest_first(by_table.get(name), ctx.migration.revision)
                    if isinstance(c, RenameTable) and c.new_name.lower() == name]
        for source in sources:
            if source not in names:
                names.add(source)
                todo.append(source)
    return names


def _column_moves(index: HistoryIndex, revision: str, names: set[str], makers: list[Change]) -> list[
        tuple[Key, Change]]:
    """The ancestors' drops and renames of the key columns of ``makers`` on the tables of ``names`` (by_column),
    the names a rename gives followed too: the only column steps that can change a key."""
    columns = {col.lower() for c in makers for col in _key_columns(c)}
    todo = list(columns)
    out: list[tuple[Key, Change]] = []
    while todo:
        column = todo.pop()
        for name in names:
            for key, c in _steps(index, revision, index.by_column.get((name, column))):
                if not isinstance(c, DropColumn | RenameColumn):
                    continue
                out.append((key, c))
                if isinstance(c, RenameColumn) and c.column.lower() == column and c.new_name.lower() not in columns:
                    columns.add(c.new_name.lower())
                    todo.append(c.new_name.lower())
    return out


def _key_columns(c: Change) -> Iterable[str]:
    if isinstance(c, CreateTable):
        return [col.name for col in c.columns if col.name and col.primary_key]
    if isinstance(c, AddColumn):
        return [c.column.name] if c.column.primary_key and c.column.name else []
    return list(getattr(c, "columns", None) or []) if unique_key(c) else []


def _steps(index: HistoryIndex, revision: str, events: Any) -> Iterator[tuple[Key, Change]]:
    """The ancestors' steps among ``events`` (an index bucket, or None), newest first, with their places."""
    for key, _, c in index.newest_first(events, revision):
        yield key, c


def _in_order(groups: Iterable[Iterable[tuple[Key, Change]]]) -> list[Change]:
    """The steps of ``groups`` in history order (the order a replay runs them), each once."""
    found = {key: c for steps in groups for key, c in steps}
    return [found[key] for key in sorted(found)]
