"""The revision history indexed once per graph, so a look-back question costs what its answer needs.

Rules ask "what type did this column have before this revision?", "is a CHECK (col IS NOT NULL) valid
here?", "did anything commit between the NOT VALID add and this VALIDATE?". Walking every ancestor for
every question made lint quadratic in the history's length on ordinary histories (10,000 revisions: 3 s
plain, 34 s when many revisions set NOT NULL). The index holds, built on first use and kept on the graph:

- a position for every revision (topological order; revisions caught in a cycle first, by id);
- the ancestors of every revision as a bit set over those positions (an ``int``), so "is X an
  ancestor of R" and "what runs between X and R" are bit operations;
- the upgrade changes grouped by the column they set, rename or drop (a rename under both names), the
  renames and drops of tables by table, the constraint changes by constraint name, and the CHECK (col
  IS NOT NULL) constraints by column, each list in history order;
- for guarded steps (``try: op.create_index(...)``): index creations and drops by index name, the
  steps that take a table's indexes along (drop or rename of the table, drop of one of its columns),
  and where the history is uncertain about a table (a step on it under an ``if`` other than ``if not
  <its object exists>``, a table name known
  only at run time, SQL migcheck could not read).
- built on first use: the revisions that CREATE MATERIALIZED VIEW by name, and every (parent, partition) an
  ``ALTER TABLE .. ATTACH PARTITION`` names in either phase (a partition has its parent's column types).
- on first use, the steps that shape a table's columns and keys by table, and the drops of indexes and
  constraints by name (``TableEvents``: what ``table_state`` replays for one table);
- on first use of a kind, the changes grouped by a key a rule gives them (``grouped``: enum types by name for
  downgrade-not-inverse, CREATE FUNCTION by function name for add-column-with-volatile-default).

A question then walks back only through the changes of its column (or constraint) and stops at the
answer. The results are the same as a forward replay of every earlier change (``lookback`` documents
the semantics); tests compare both on generated histories.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from migcheck.facts.postgres import created_materialized_view, not_null_check_column, parse_statement
from migcheck.vocabulary.changes import (
    AddColumn,
    AddConstraint,
    AlterColumn,
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
from migcheck.vocabulary.graph import RevisionGraph
from migcheck.vocabulary.lazyregex import lazy_regex
from migcheck.vocabulary.revision import Migration

_ATTR = "_migcheck_history_index"

#: Where a change sits in the history: (revision position, index in its upgrade changes).
Key = tuple[int, int]


def is_commit(change: Change) -> bool:
    """A point where the running transaction ends: COMMIT, or a step run outside it (autocommit_block). A
    ``conn.commit()`` that may not run (under an ``if``, after ``and``, in a lambda or a loop over rows) ends
    nothing for certain (attack29c); :func:`may_end_transaction` counts it, for the look-backs a commit stops."""
    if isinstance(change, RawSQL) and change.method and (change.conditional or change.loop is not None):
        return False
    return may_end_transaction(change)


def may_end_transaction(change: Change) -> bool:
    """A point where the running transaction may end: :func:`is_commit`'s, and a ``conn.commit()`` that may not run."""
    return not change.in_transaction or (isinstance(change, RawSQL) and change.keyword in {"COMMIT", "END"})


def column_keys(change: Change) -> tuple[tuple[str, str], ...]:
    """The (table, column) pairs, lower case, whose history ``change`` can set, move or end."""
    if isinstance(change, CreateTable):
        return tuple(dict.fromkeys((change.table.lower(), c.name.lower()) for c in change.columns if c.name))
    if isinstance(change, AddColumn):
        return ((change.table.lower(), change.column.name.lower()),) if change.column.name else ()
    if isinstance(change, (AlterColumn, DropColumn)):
        return ((change.table.lower(), change.column.lower()),)
    if isinstance(change, RenameColumn):
        return ((change.table.lower(), change.column.lower()), (change.table.lower(), change.new_name.lower()))
    return ()


def table_keys(change: Change) -> tuple[str, ...]:
    """The tables, lower case, whose every column ``change`` moves or ends (renames and drops of tables)."""
    if isinstance(change, RenameTable):
        return (change.table.lower(), change.new_name.lower())
    if isinstance(change, DropTable):
        return (change.table.lower(),)
    return ()


def step_names(change: Change) -> list[str | None]:
    """The tables a (non-SQL) step names: its table, and a renamed table's new name."""
    return [getattr(change, "table", None), change.new_name if isinstance(change, RenameTable) else None]


def ensures_existence(change: Change, named: Mapping[str, set[str]]) -> bool:
    """A column, index or constraint step run only when its object is absent (``Change.unless_exists``): the
    object is there after it either way, and it removes nothing, so it leaves the history of its table as
    certain as it was. Not a guarded CREATE TABLE: when the table was there, its columns need not be those
    the skipped step lists. A guard that gave only the name (``if not constraint_exists("fk_x")``) counts only
    where ``named`` (named_tables) gives that name to the step's own table alone: with ``fk_x`` on another
    table the guard may find that one, and the step never run."""
    if not change.unless_exists or not isinstance(change, AddColumn | CreateIndex | AddConstraint):
        return False
    return not change.unless_exists_by_name or sole_table(change, named)


def sole_table(change: Change, named: Mapping[str, set[str]]) -> bool:
    """Whether the history gives the name of an index or constraint step to the step's own table alone."""
    name, table = getattr(change, "name", None), getattr(change, "table", None)
    if not name or not table:
        return False
    return named.get(name.lower(), {table.lower()}) == {table.lower()}


def named_tables(changes: Iterable[Change]) -> dict[str, set[str]]:
    """The tables (lower case) each index or constraint name (lower case) is given to in ``changes``: indexes
    and constraints together, as a one-name guard may ask ``pg_constraint``, ``pg_indexes`` or an inspector."""
    out: dict[str, set[str]] = defaultdict(set)
    for change in changes:
        if isinstance(change, CreateIndex | AddConstraint) and change.name and change.table:
            out[change.name.lower()].add(change.table.lower())
    return dict(out)


def unknown_name(name: str | None) -> bool:
    """A table name known only at run time: ``?``, ``<expr>``, or a text with ``{...}`` holes."""
    return isinstance(name, str) and (name == "?" or name.startswith("<") or "{" in name)


def index_killed(change: Change, table: str) -> bool:
    """Whether ``change`` takes the indexes of ``table`` (lower case) along: a drop or rename of the table, or
    the drop of one of its columns."""
    return isinstance(change, DropTable | RenameTable | DropColumn) and (change.table or "").lower() == table


_WORD = lazy_regex(r"[\w$]+")
#: A table a statement reads rows of: the name after FROM or JOIN, quoted or not (schema left out).
#: A star of a select list (SELECT *, t.*), not count(*).
_SELECT_STAR = lazy_regex(r"\bselect\s+\*|[\w\"`\]]\s*\.\s*\*", re.I)
_READ_TABLE = lazy_regex(r'\b(?:FROM|JOIN)\s+(?:"?\w+"?\.)?"?(\w+)"?', re.I)
_FROM_WORD = lazy_regex(r"\bFROM\b", re.I)


def _starts_select(text: str) -> bool:
    """Whether ``text`` starts with SELECT, after spaces and opening parentheses (no pattern: linear)."""
    rest = text.lstrip(" \t\r\n(")
    return rest[:6].upper() == "SELECT" and not (rest[6:7].isalnum() or rest[6:7] in {"_", "$"})


def selected_before(before: Iterable[Change], table: str) -> set[str]:
    """The words (lower case) of the select lists of the SQL SELECTs of ``table`` (lower case) among ``before`` that
    certainly ran (not under an ``if``, not in a swallowing ``try``), ``*`` for a star: the columns whose values the
    rows a later Python write of ``DataChange.read_tables`` takes from ``table`` may hold (``rows =
    conn.execute(text("SELECT pk, body FROM notes"))`` then ``op.bulk_insert(other, [... for pk, body in rows])``).
    A write whose rows a Core ``select()`` read names no column here: nothing ties it to one."""
    found: set[str] = set()
    for c in before:
        text = c.text if isinstance(c, RawSQL) else c.sql if isinstance(c, DataChange) else None
        if not text or c.conditional or c.guarded or not _starts_select(text) \
                or table not in {m.lower() for m in _READ_TABLE.findall(text)}:
            continue
        head = _FROM_WORD.split(text, maxsplit=1)[0].lower()
        found |= set(_WORD.findall(head)) | ({"*"} if _SELECT_STAR.search(head) else set())
    return found


class ApplicationCalls:
    """Statement-level calls into the application's code (lower-case text, by revision position), with the
    revisions that name a word and those matching a pattern as bit sets, each found once per graph."""

    def __init__(self, calls: list[tuple[int, str]]) -> None:
        self.calls = calls
        self._words: dict[str, int] | None = None
        self._matching: dict[str, int] = {}

    def matching(self, pattern: str) -> int:
        """The revisions with a call whose text ``re.search``es ``pattern``, found on the first use of ``pattern``."""
        bits = self._matching.get(pattern)
        if bits is None:
            compiled = re.compile(pattern)
            bits = self._matching[pattern] = sum_bits(pos for pos, text in self.calls if compiled.search(text))
        return bits

    def naming(self, name: str) -> int:
        """The revisions with a call whose text has ``name`` as a whole word: not inside a longer run of ``[\\w$]``
        (a name of such characters is then one of the text's ``[\\w$]+`` words, looked up in a map built once)."""
        if not _WORD.fullmatch(name):
            return self.matching(rf"(?<![\w$]){re.escape(name)}(?![\w$])")
        if self._words is None:
            words: dict[str, int] = defaultdict(int)
            for pos, text in self.calls:
                for word in set(_WORD.findall(text)):
                    words[word] |= 1 << pos
            self._words = dict(words)
        return self._words.get(name, 0)


#: Words longer than this are searched one by one (their suffixes would cost the square of their length).
_LONG_WORD = 64


class UnreadTexts:
    """The SQL migcheck could not read, by revision position (lower-case text, None when only known at run time),
    with the revisions whose text may name something found without reading every text: a name made of ``[\\w$]``
    characters lies inside one ``[\\w$]+`` word of a text, so it is a prefix of a suffix of that word, found by
    bisection in the sorted suffixes (built on first use). Scanning every text per question was quadratic where
    many revisions call the application (each call is SQL not read) and ask never_made."""

    def __init__(self, entries: list[tuple[int, str | None]]) -> None:
        self.entries = entries
        self.unknown = sum_bits(pos for pos, text in entries if text is None)
        self._suffixes: list[tuple[str, int]] | None = None
        self._long: list[tuple[int, str]] = []
        self._found: dict[str, int] = {}

    def naming(self, name: str) -> int:
        """The revisions with a text that is None or has ``name`` (lower case) in it, as a bit set."""
        bits = self._found.get(name)
        if bits is not None:
            return bits
        if not _WORD.fullmatch(name):
            bits = sum_bits(pos for pos, text in self.entries if text is None or name in text)
        else:
            suffixes = self._sorted_suffixes()
            bits = self.unknown
            at = bisect_left(suffixes, (name, -1))
            while at < len(suffixes) and suffixes[at][0].startswith(name):
                bits |= 1 << suffixes[at][1]
                at += 1
            bits |= sum_bits(pos for pos, word in self._long if name in word)
        self._found[name] = bits
        return bits

    def _sorted_suffixes(self) -> list[tuple[str, int]]:
        if self._suffixes is None:
            found: set[tuple[str, int]] = set()
            for pos, text in self.entries:
                for word in set(_WORD.findall(text or "")):
                    if len(word) > _LONG_WORD:
                        self._long.append((pos, word))
                    else:
                        found.update((word[cut:], pos) for cut in range(len(word)))
            self._suffixes = sorted(found)
        return self._suffixes


def sum_bits(positions: Iterable[int]) -> int:
    """The bit set of ``positions``."""
    bits = 0
    for pos in positions:
        bits |= 1 << pos
    return bits


@dataclass(eq=False, repr=False)
class ObjectNames:
    """The index and constraint names the history's steps give, as bit sets of the revisions that give them."""

    made: dict[str, int] = field(default_factory=dict)
    #: Revisions with an unnamed index or constraint whose default name cannot be told (no table, no columns).
    any_name: int = 0
    #: Revisions with an unnamed index on an expression (expression_index_table), by lower-case table.
    expression_indexes: dict[str, int] = field(default_factory=dict)


def default_names(change: Change) -> frozenset[str] | None:
    """The names (lower case) of the indexes and constraints ``change`` makes: the name given, or, written without
    one, those PostgreSQL or a usual naming convention gives it (``<t>_<c>_key``, ``<t>_<c>_fkey``, ``<t>_pkey``,
    ``ix_<t>_<c>``...); None when it makes one whose name cannot be told (no table or no columns)."""
    if isinstance(change, CreateIndex | AddConstraint):
        if change.name is not None:
            return frozenset({change.name.lower()})
        if not change.table or not change.columns:
            return None
        table, cols = change.table.lower(), [col.lower() for col in change.columns]
        joined = "_".join(cols)
        kind = "index" if isinstance(change, CreateIndex) else change.kind_of
        if kind == "foreign_key":
            return frozenset({f"{table}_{joined}_fkey", f"{table}_{cols[0]}_fkey"})
        if kind == "check":
            return frozenset({f"{table}_{joined}_check", f"{table}_{cols[0]}_check", f"{table}_check"})
        return frozenset({f"{table}_{joined}_key", f"{table}_pkey", f"{table}_{joined}_idx", f"{table}_{joined}_excl",
                          f"ix_{table}_{cols[0]}", f"uq_{table}_{cols[0]}", f"uq_{table}_{joined}", f"pk_{table}",
                          f"ix_{table}_{joined}", f"{table}_{cols[0]}_key", f"{table}_{cols[0]}_idx"})
    if isinstance(change, CreateTable | AddColumn):
        table = change.table.lower()
        columns = change.columns if isinstance(change, CreateTable) else [change.column]
        out: set[str] = set()
        for col in columns:
            if col.name and col.references:
                out.add(f"{table}_{col.name.lower()}_fkey")
            if col.primary_key:
                out.update((f"{table}_pkey", f"pk_{table}"))
        return frozenset(out)
    return frozenset()


_PLAIN_COLUMN = lazy_regex(r'(?<!\s)\s*"?[\w$]+"?\s*')


def expression_index_table(change: Change) -> str | None:
    """The table (lower case) of an index made without a name with an expression in its key (``CREATE INDEX ON t
    (lower(email))``, ``((id % 16))``): PostgreSQL names it after the function or ``expr``, and numbers it when
    the name is taken (``t_lower_idx1``), so its name is any ``<t>_..._idx``. None for any other change."""
    if isinstance(change, CreateIndex) and change.name is None and change.table \
            and any(not _PLAIN_COLUMN.fullmatch(col) for col in change.columns):
        return change.table.lower()
    return None


@dataclass(eq=False, repr=False)
class _Events:
    """Changes in history order, with their keys kept apart for bisection."""

    keys: list[Key] = field(default_factory=list)
    changes: list[tuple[Migration, Change]] = field(default_factory=list)

    def add(self, key: Key, migration: Migration, change: Change) -> None:
        self.keys.append(key)
        self.changes.append((migration, change))


def unique_key(change: Change) -> bool:
    """A step that makes a key of its table from listed columns: a unique index without WHERE, a PRIMARY KEY or
    UNIQUE constraint."""
    return ((isinstance(change, CreateIndex) and change.unique and not change.where)
            or (isinstance(change, AddConstraint) and change.kind_of in {"primary_key", "unique"})) \
        and bool(change.table) and bool(change.columns)


@dataclass(eq=False, repr=False)
class TableEvents:
    """The upgrade steps a replay of one table's state reads, in history order (lower-case names).

    ``shape``: CREATE/DROP TABLE, renames of the table (under both names), and the ADD/DROP/RENAME COLUMNs of it
    (lookback.table_columns). ``keys``: CREATE/DROP TABLE, renames of the table (under both names), a column added
    as its primary key and the keys made from listed columns (unique_key; lookback.table_keys). ``dropped``: DROP
    INDEX and DROP CONSTRAINT by name, whatever their table (a replay drops that name from every table)."""

    shape: dict[str, _Events] = field(default_factory=lambda: defaultdict(_Events))
    keys: dict[str, _Events] = field(default_factory=lambda: defaultdict(_Events))
    dropped: dict[str, _Events] = field(default_factory=lambda: defaultdict(_Events))

    def add(self, key: Key, migration: Migration, change: Change) -> None:
        if isinstance(change, RenameTable):
            for name in dict.fromkeys((change.table.lower(), change.new_name.lower())):
                self.shape[name].add(key, migration, change)
                self.keys[name].add(key, migration, change)
        elif isinstance(change, CreateTable | DropTable):
            self.shape[change.table.lower()].add(key, migration, change)
            self.keys[change.table.lower()].add(key, migration, change)
        elif isinstance(change, AddColumn | DropColumn | RenameColumn):
            self.shape[change.table.lower()].add(key, migration, change)
            if isinstance(change, AddColumn) and change.column.primary_key and change.column.name:
                self.keys[change.table.lower()].add(key, migration, change)
        elif unique_key(change):
            self.keys[(getattr(change, "table", None) or "").lower()].add(key, migration, change)
        elif isinstance(change, DropIndex | DropConstraint) and change.name:
            self.dropped[change.name.lower()].add(key, migration, change)


@dataclass(eq=False, repr=False)
class HistoryIndex:
    """Positions, ancestor bit sets and changes by table and by constraint name for one graph."""

    graph: RevisionGraph
    position: dict[str, int]
    by_position: list[Migration]
    ancestor_bits: dict[str, int]
    #: Bit set of the revisions whose upgrade ends a transaction somewhere (COMMIT, autocommit_block).
    committing: int
    #: Changes that set, rename or drop one column, by (table, column) in lower case.
    by_column: dict[tuple[str, str], _Events]
    #: Renames and drops of tables, by lower-case table (under both names for a rename).
    by_table: dict[str, _Events]
    #: ``AddConstraint`` (named), ``ValidateConstraint`` and ``DropConstraint`` by lower-case name.
    by_constraint: dict[str, _Events]
    #: CHECK (column IS NOT NULL) constraints added, by (table, column) in lower case.
    not_null_checks: dict[tuple[str, str], _Events]
    #: The newest position of a revision that brings a name into being, for "is it created again
    #: later?": CREATE TABLE by table, RENAME TABLE by its new name, ADD COLUMN and RENAME COLUMN by
    #: (table, new column), all lower case.
    newest_create_table: dict[str, int] = field(default_factory=dict)
    newest_rename_to_table: dict[str, int] = field(default_factory=dict)
    newest_column_created: dict[tuple[str, str], int] = field(default_factory=dict)
    #: Revisions caught in a cycle come first (positions below this), outside the topological order.
    cyclic: int = 0
    #: CREATE INDEX and DROP INDEX by lower-case index name.
    by_index_name: dict[str, _Events] = field(default_factory=dict)
    #: The steps that take a table's indexes along (index_killed), by lower-case table.
    index_killers: dict[str, _Events] = field(default_factory=dict)
    #: Bit set of the revisions with a step on a table known only at run time.
    unknown_names: int = 0
    #: Bit sets of the revisions with a step under an ``if`` on a table, by lower-case table.
    conditional_on: dict[str, int] = field(default_factory=dict)
    #: SQL migcheck could not read: (position, lower-case text, None when only known at run time).
    unread_sql: list[tuple[int, str | None]] = field(default_factory=list)
    #: The tables each index or constraint name is given to anywhere in the graph (named_tables).
    named: dict[str, set[str]] = field(default_factory=dict)
    _uncertain: dict[str, int] = field(default_factory=dict)
    #: Bit sets of the revisions that make a table (CREATE TABLE, or a rename to it), by lower-case table.
    table_made: dict[str, int] = field(default_factory=dict)
    #: Bit set of the revisions with a step on a table that neither they nor their ancestors made: the history
    #: starts from a schema made some other way (``metadata.create_all()``, an older tool).
    preexisting: int = 0
    #: Statement-level calls into the application (lower case) by position, read on first use (lookback).
    application_calls: ApplicationCalls | None = None
    #: Bit set of the revisions the history cannot be read through: a parent or dependency not found, or no
    #: upgrade read. With ``preexisting``, what makes "the history starts from nothing" unknown (lookback.from_nothing).
    unresolved: int = 0
    #: Bit set of the revisions with a schema step (not SQL, not rows written) on a table known only at run time.
    unknown_schema_names: int = 0
    _object_names: ObjectNames | None = None
    #: Bit sets of the revisions whose code names an index or constraint other than where it drops it, by lower-case
    #: name (lookback.never_made), each found on first use.
    naming_code: dict[str, int] = field(default_factory=dict)
    _descendants: list[int] | None = None
    _copies: dict[str, _Events] | None = None
    #: The copies from a table by a word of their SQL ("*" for a select-list star), built with _copies.
    _copy_words: dict[str, dict[str, _Events]] | None = None
    _copies_naming: dict[tuple[str, str], _Events] = field(default_factory=dict)
    #: The steps that drop, rename away or empty each table (empties), built on first use.
    _emptied: dict[str, _Events] | None = None
    _code_words: dict[str, list[int]] | None = None
    _tables: frozenset[str] | None = None
    #: Bit sets of the revisions whose upgrade runs CREATE MATERIALIZED VIEW, by lower-case bare name, built on first use.
    _matviews: dict[str, int] | None = None
    #: ALTER TABLE parent ATTACH PARTITION child anywhere in the graph: (lower-case parent, lower-case child as
    #: written, ``migcheck_param`` marking a part known only at run time), built on first use.
    _attached: tuple[dict[str, str], list[tuple[str, str]]] | None = None
    _table_events: TableEvents | None = None
    _grouped: dict[str, dict[str, _Events]] = field(default_factory=dict)
    _unread_texts: UnreadTexts | None = None

    def object_names(self) -> ObjectNames:
        """The index and constraint names the history's steps may give (default_names), built on first use."""
        if self._object_names is None:
            names = ObjectNames()
            for pos, migration in enumerate(self.by_position):
                for change in migration.upgrade_changes:
                    given = default_names(change)
                    if given is None:
                        names.any_name |= 1 << pos
                    for name in given or ():
                        names.made[name] = names.made.get(name, 0) | 1 << pos
                    if (table := expression_index_table(change)) is not None:
                        names.expression_indexes[table] = names.expression_indexes.get(table, 0) | 1 << pos
            self._object_names = names
        return self._object_names

    def copies_from(self, table: str) -> _Events | None:
        """The INSERTs and UPDATEs written in SQL (or fed by a SELECT run from Python) that take values from
        ``table`` (lower case) into another table, in history order: where a column's data may live on after
        the column is dropped. Built on first use, once per graph."""
        if self._copies is None:
            copies: dict[str, _Events] = defaultdict(_Events)
            for pos, migration in enumerate(self.by_position):
                for i, change in enumerate(migration.upgrade_changes):
                    if isinstance(change, DataChange) and change.action in {"insert", "update", "bulk_insert"}:
                        target = (change.table or "").lower()
                        read = set(change.read_tables)
                        read.update(m.lower() for m in _READ_TABLE.findall(change.sql or ""))
                        for name in sorted(read - {target}):
                            copies[name].add((pos, i), migration, change)
            self._copies = dict(copies)
        return self._copies.get(table)

    def emptied(self, table: str) -> _Events | None:
        """The upgrade steps that drop, rename away or empty ``table`` (lower case), in history order: a copy into
        it before one of them kept nothing. Built on first use, once per graph."""
        if self._emptied is None:
            emptied: dict[str, _Events] = defaultdict(_Events)
            for pos, migration in enumerate(self.by_position):
                for i, change in enumerate(migration.upgrade_changes):
                    for name in sorted(empties(change)):
                        emptied[name].add((pos, i), migration, change)
            self._emptied = dict(emptied)
        return self._emptied.get(table)

    def copies_naming(self, table: str, column: str) -> _Events | None:
        """The INSERTs of copies_from(table) whose SQL names ``column`` (lower case) or selects ``*``: what a drop of
        that column asks, found through an index of their words built once, so a history of n copies and n drops
        costs what the answers hold, not n * n (review16)."""
        if self._copy_words is None:
            words: dict[str, dict[str, _Events]] = defaultdict(lambda: defaultdict(_Events))
            self.copies_from("")  # builds _copies
            for name, events in (self._copies or {}).items():
                for key, (migration, change) in zip(events.keys, events.changes, strict=True):
                    if isinstance(change, DataChange) and change.action == "insert" and change.sql:
                        sql = change.sql.lower()
                        found = set(_WORD.findall(sql)) | ({"*"} if _SELECT_STAR.search(sql) else set())
                    elif isinstance(change, DataChange) and not change.sql and name in change.read_tables:
                        found = selected_before(migration.upgrade_changes[:key[1]], name)
                    else:
                        continue
                    for word in found:
                        words[name][word].add(key, migration, change)
            self._copy_words = {name: dict(by_word) for name, by_word in words.items()}
        if (table, column) not in self._copies_naming:
            by_word = self._copy_words.get(table, {})
            merged = _Events()
            # a copy that names the column and selects * is one step: keyed, so it comes once
            pairs = {key: pair for word in (column, "*") if (named := by_word.get(word))
                     for key, pair in zip(named.keys, named.changes, strict=True)}
            for key in sorted(pairs):
                merged.add(key, *pairs[key])
            self._copies_naming[table, column] = merged
        return self._copies_naming[table, column]

    def table_events(self) -> TableEvents:
        """The steps that shape a table's columns and keys, by table, and the drops of indexes and constraints by
        name (TableEvents): what a replay of one table's state needs. Built on first use, once per graph."""
        if self._table_events is None:
            found = TableEvents()
            for pos, migration in enumerate(self.by_position):
                for i, change in enumerate(migration.upgrade_changes):
                    found.add((pos, i), migration, change)
            self._table_events = found
        return self._table_events

    def grouped(self, kind: str, keys_of: Callable[[Change], Iterable[str]]) -> dict[str, _Events]:
        """The upgrade changes by the keys ``keys_of`` gives each (an enum type's name, a function's name), in
        history order; built on the first use of ``kind``, once per graph. A look-back for one name then reads
        that name's changes only: walking every ancestor for each question (lookback.earlier) was quadratic
        in histories where many revisions ask it (an ``sa.Enum`` table per revision)."""
        found = self._grouped.get(kind)
        if found is None:
            groups: dict[str, _Events] = defaultdict(_Events)
            for pos, migration in enumerate(self.by_position):
                for i, change in enumerate(migration.upgrade_changes):
                    for key in dict.fromkeys(keys_of(change)):
                        groups[key].add((pos, i), migration, change)
            found = self._grouped[kind] = dict(groups)
        return found

    def code_words(self) -> dict[str, list[int]]:
        """Every word (``[\\w$]+``, lower case) of every revision's code, comments aside, with the positions of the
        revisions that write it: where a name may be spelt out (``sa.Index("ix_x", ...)`` inside ``create_table``
        is no step of its own). Built on first use, once per graph, so asking for a name costs its occurrences."""
        if self._code_words is None:
            words: dict[str, list[int]] = defaultdict(list)
            for pos, migration in enumerate(self.by_position):
                # one search of the revision's code lines joined (a word never spans a line), not one per line
                code = "\n".join(text.split("#", 1)[0].lower() for text in migration.source_lines)
                for word in set(_WORD.findall(code)):
                    words[word].append(pos)
            self._code_words = dict(words)
        return self._code_words

    def materialized_views(self) -> dict[str, int]:
        """The revisions that create each materialized view by SQL (bit sets by lower-case bare name)."""
        if self._matviews is None:
            views: dict[str, int] = defaultdict(int)
            for pos, migration in enumerate(self.by_position):
                for change in migration.upgrade_changes:
                    if isinstance(change, RawSQL) and (name := created_materialized_view(change.text)):
                        views[name.lower()] |= 1 << pos
            self._matviews = dict(views)
        return self._matviews

    def attached_partitions(self) -> tuple[dict[str, str], list[tuple[str, str]]]:
        """Every partition an ``ALTER TABLE .. ATTACH PARTITION`` of the graph names, in either phase and whatever
        revision (a table attached anywhere must have its parent's column types, or the attach fails): the parent of
        each partition named in full, by lower-case name, and (parent, partition) for those named with a run-time
        part (``migcheck_param``), which a name is matched against one by one."""
        if self._attached is None:
            exact: dict[str, str] = {}
            patterns: list[tuple[str, str]] = []
            for migration in self.by_position:
                for change in (*migration.upgrade_changes, *migration.downgrade_changes):
                    if isinstance(change, RawSQL) and (stmt := parse_statement(change.text)) is not None \
                            and stmt.verb == "ATTACH" and stmt.target and stmt.partition:
                        parent, child = stmt.target.lower(), stmt.partition.lower()
                        if "migcheck_" in child:
                            patterns.append((parent, child))
                        else:
                            exact.setdefault(child, parent)
            self._attached = exact, patterns
        return self._attached

    def tables_with_columns(self) -> frozenset[str]:
        """The tables (lower case) the history gives columns, computed on first use."""
        if self._tables is None:
            self._tables = frozenset(t for t, _ in self.by_column)
        return self._tables

    def column_made_with_table(self, table: str, column: str) -> bool:
        """Whether a CREATE TABLE of the history makes (table, column), where table-level constraints (an unnamed
        ``sa.ForeignKeyConstraint``, ``sa.CheckConstraint`` inside ``create_table``) are no steps of their own."""
        events = self.by_column.get((table, column))
        return events is not None and any(isinstance(c, CreateTable) for _, c in events.changes)

    @classmethod
    def of(cls, graph: RevisionGraph) -> HistoryIndex:
        """The graph's index, built on first use (a graph is not changed once built)."""
        index = getattr(graph, _ATTR, None)
        if index is None:
            index = cls.build(graph)
            setattr(graph, _ATTR, index)
        return index

    @classmethod
    def build(cls, graph: RevisionGraph) -> HistoryIndex:
        ordered = graph.upgrade_order()
        in_order = {m.revision for m in ordered}
        cyclic = [graph.by_id[r] for r in sorted(graph.by_id) if r not in in_order]
        by_position = [*cyclic, *ordered]
        position = {m.revision: i for i, m in enumerate(by_position)}
        ancestor_bits: dict[str, int] = {}
        committing = 0
        by_column: dict[tuple[str, str], _Events] = defaultdict(_Events)
        by_table: dict[str, _Events] = defaultdict(_Events)
        by_constraint: dict[str, _Events] = defaultdict(_Events)
        not_null_checks: dict[tuple[str, str], _Events] = defaultdict(_Events)
        created_table: dict[str, int] = {}
        renamed_to: dict[str, int] = {}
        column_created: dict[tuple[str, str], int] = {}
        by_index_name: dict[str, _Events] = defaultdict(_Events)
        index_killers: dict[str, _Events] = defaultdict(_Events)
        unknown_names = 0
        conditional_on: dict[str, int] = defaultdict(int)
        unread_sql: list[tuple[int, str | None]] = []
        named = named_tables(c for m in by_position for c in m.upgrade_changes)
        table_made: dict[str, int] = defaultdict(int)
        preexisting = 0
        for pos, migration in enumerate(by_position):
            ancestor_bits[migration.revision] = cls._ancestors(graph, migration, position, ancestor_bits)
            seen = ancestor_bits[migration.revision] | 1 << pos
            for i, change in enumerate(migration.upgrade_changes):
                key = (pos, i)
                made_name = change.table if isinstance(change, CreateTable) else \
                    change.new_name if isinstance(change, RenameTable) else None
                if made_name:
                    table_made[made_name.lower()] |= 1 << pos
                elif isinstance(touched := getattr(change, "table", None), str) \
                        and not isinstance(change, RawSQL | DataChange) and not table_made.get(touched.lower(), 0) & seen \
                        and not (isinstance(change, DropTable) and change.if_exists):  # a clean-up proves nothing
                    preexisting |= 1 << pos
                if is_commit(change):
                    committing |= 1 << pos
                for column in column_keys(change):
                    by_column[column].add(key, migration, change)
                for table in table_keys(change):
                    by_table[table].add(key, migration, change)
                if isinstance(change, (AddConstraint, ValidateConstraint, DropConstraint)) and change.name:
                    by_constraint[change.name.lower()].add(key, migration, change)
                if isinstance(change, CreateTable):
                    created_table[change.table.lower()] = pos
                elif isinstance(change, RenameTable):
                    renamed_to[change.new_name.lower()] = pos
                elif isinstance(change, AddColumn) and change.column.name:
                    column_created[(change.table.lower(), change.column.name.lower())] = pos
                elif isinstance(change, RenameColumn):
                    column_created[(change.table.lower(), change.new_name.lower())] = pos
                if isinstance(change, AddConstraint) and change.kind_of == "check" and change.table:
                    checked = not_null_check_column(change.condition)
                    if checked:
                        not_null_checks[(change.table.lower(), checked.lower())].add(key, migration, change)
                if isinstance(change, CreateIndex | DropIndex) and change.name:
                    by_index_name[change.name.lower()].add(key, migration, change)
                if isinstance(change, DropTable | RenameTable | DropColumn) and change.table:
                    index_killers[change.table.lower()].add(key, migration, change)
                if isinstance(change, RawSQL):
                    if not change.understood:
                        unread_sql.append((pos, None if change.text is None else change.text.lower()))
                    continue
                names = step_names(change)
                if any(unknown_name(n) for n in names):
                    unknown_names |= 1 << pos
                if change.conditional and not ensures_existence(change, named):
                    for name in {n.lower() for n in names if isinstance(n, str)}:
                        conditional_on[name] |= 1 << pos
        index = cls(graph, position, by_position, ancestor_bits, committing, dict(by_column), dict(by_table),
                    dict(by_constraint), dict(not_null_checks), created_table, renamed_to, column_created,
                    len(cyclic), dict(by_index_name), dict(index_killers), unknown_names, dict(conditional_on),
                    unread_sql, named)
        index.table_made, index.preexisting = dict(table_made), preexisting
        for migration, _ in (*graph.missing_parents, *graph.missing_dependencies):
            if migration.revision in position:
                index.unresolved |= 1 << position[migration.revision]
        for pos, migration in enumerate(by_position):
            if migration.upgrade is None:
                index.unresolved |= 1 << pos
            if any(not isinstance(c, RawSQL | DataChange) and any(unknown_name(n) for n in step_names(c))
                   for c in migration.upgrade_changes):
                index.unknown_schema_names |= 1 << pos
        return index

    @staticmethod
    def _ancestors(graph: RevisionGraph, migration: Migration, position: dict[str, int],
                   known: dict[str, int]) -> int:
        """Ancestors as bits: from the parents' sets when they are known already (the usual case, in
        topological order), else by walking the graph (cycles, ``depends_on`` on a later revision)."""
        bits = 0
        for name in (*migration.down_revisions, *migration.depends_on):
            parent = graph.by_id.get(name) or graph.resolve(name)
            if parent is None:
                continue
            parent_bits = known.get(parent.revision)
            if parent_bits is None:
                bits = 0
                for rev in graph.ancestors(migration.revision):
                    bits |= 1 << position[rev]
                return bits
            bits |= parent_bits | (1 << position[parent.revision])
        return bits

    def created_after(self, position: int, table: str, column: str | None) -> bool:
        """Whether a revision after ``position`` (lower case names) creates the table (CREATE TABLE or a
        rename to it) or, with ``column``, the column (ADD COLUMN, a rename to it, or CREATE TABLE)."""
        if column is None:
            return max(self.newest_create_table.get(table, -1), self.newest_rename_to_table.get(table, -1)) > position
        return max(self.newest_create_table.get(table, -1),
                   self.newest_column_created.get((table, column), -1)) > position

    def ancestors(self, revision: str) -> list[Migration]:
        """The revisions that run before ``revision``, oldest first."""
        bits = self.ancestor_bits.get(revision, 0)
        out = []
        while bits:
            low = bits & -bits
            out.append(self.by_position[low.bit_length() - 1])
            bits ^= low
        return out

    def newest_first(self, events: _Events | None, revision: str, before: Key | None = None) -> Iterator[
            tuple[Key, Migration, Change]]:
        """The ``events`` of ancestors of ``revision``, newest first, strictly before ``before`` if given."""
        if events is None:
            return
        bits = self.ancestor_bits.get(revision, 0)
        if not bits:
            return
        end = len(events.keys) if before is None else bisect_left(events.keys, before)
        # nothing after the newest ancestor can match: start there
        end = min(end, bisect_left(events.keys, (bits.bit_length(), 0)))
        keys, changes = events.keys, events.changes
        for i in range(end - 1, -1, -1):
            key = keys[i]
            if bits >> key[0] & 1:
                migration, change = changes[i]
                yield key, migration, change

    def descendant_bits(self, revision: str) -> int:
        """The revisions that run after ``revision`` (its descendants) as a bit set. Built for every revision at
        once on first use, children before parents (a revision caught in a cycle may miss some)."""
        if self._descendants is None:
            children: list[list[int]] = [[] for _ in self.by_position]
            for pos, migration in enumerate(self.by_position):
                for name in (*migration.down_revisions, *migration.depends_on):
                    parent = self.graph.by_id.get(name) or self.graph.resolve(name)
                    if parent is not None and parent.revision in self.position:
                        children[self.position[parent.revision]].append(pos)
            found = [0] * len(self.by_position)
            for pos in range(len(self.by_position) - 1, -1, -1):
                bits = 0
                for child in children[pos]:
                    bits |= found[child] | 1 << child
                found[pos] = bits
            self._descendants = found
        at = self.position.get(revision)
        return 0 if at is None else self._descendants[at]

    def unread_texts(self) -> UnreadTexts:
        """unread_sql, searchable by name (UnreadTexts), built on first use."""
        if self._unread_texts is None:
            self._unread_texts = UnreadTexts(self.unread_sql)
        return self._unread_texts

    def uncertain(self, table: str) -> int:
        """Bit set of the revisions whose steps leave the history unsure of ``table`` (lower case): a step on a
        table known only at run time, a step on it under an ``if``, SQL not read that names it or whose text
        is only known at run time. Computed once per table."""
        bits = self._uncertain.get(table)
        if bits is None:
            bits = self.unknown_names | self.conditional_on.get(table, 0) | self.unread_texts().naming(table)
            self._uncertain[table] = bits
        return bits

    def commit_between(self, origin: str, revision: str) -> bool:
        """Whether a revision that runs after ``origin`` and before ``revision`` ends a transaction."""
        between = self.ancestor_bits.get(revision, 0) & ~self.ancestor_bits.get(origin, 0)
        pos = self.position.get(origin)
        if pos is not None:
            between &= ~(1 << pos)
        return bool(between & self.committing)


def empties(c: Change) -> set[str]:
    """The tables ``c`` drops, renames away or empties (TRUNCATE, DELETE without WHERE), lower case, unqualified."""
    if isinstance(c, DropTable | RenameTable):
        return {c.table.lower()}
    return {table for _, table in emptied_tables(c, with_only=True)}


def emptied_tables(c: Change, with_only: bool = False) -> set[tuple[str | None, str]]:
    """The (schema, table) pairs ``c`` empties, lower case, schema None for the default one: every table a
    TRUNCATE names, the table of a DELETE without WHERE (SQL or Core ``sa.delete(t)``). The one test of
    "this step leaves no row" that the history walk and the same-transaction rules share. ``TRUNCATE ONLY t``
    counts only ``with_only``: it removes every row written into t (what the history walk asks), but a scan
    of t still reads the rows of its inheritance children (review17)."""
    if isinstance(c, DataChange) and c.action == "delete" and c.has_where is False and c.table:
        return {(default_schema(c.schema), c.table.lower())}
    if isinstance(c, RawSQL) and c.keyword == "TRUNCATE" and (stmt := parse_statement(c.text)) is not None:
        return {(default_schema(schema), table.lower())
                for table, schema, only in zip(stmt.targets, stmt.schemas, stmt.only, strict=True)
                if with_only or not only}
    return set()


def default_schema(name: str | None) -> str | None:
    """A schema as tables are compared: None for the default (PostgreSQL's ``public``), lower case otherwise."""
    return None if name is None or name.lower() == "public" else name.lower()
