"""The labels of a PostgreSQL enum type as the history leaves them, and the type swaps that only add labels.

A project that will not run ``ALTER TYPE .. ADD VALUE`` adds a label by swapping the type (``ALTER TYPE x RENAME TO
x_old``, ``CREATE TYPE x AS ENUM (...)`` with every label and the new one, each column converted with ``ALTER COLUMN c
TYPE x USING c::text::x``, ``DROP TYPE x_old``): the type keeps its name and gains labels, as with ``ADD VALUE IF NOT
EXISTS``, so a downgrade that does nothing is its inverse (held-out-21 #70-#72). Whether the new type lacks a label is
read from the history: the labels a ``CREATE TYPE .. AS ENUM`` or a ``create_table`` column ``sa.Enum('a', 'b',
name='x')`` gave the type, with the ``ADD VALUE``s since, followed back through renames. Any other step on the type
(``RENAME VALUE``, a type made from a Python enum class or by ``sa.Enum(...).create()``, a type no revision made)
leaves its labels unknown, and a swap over unknown labels is not taken for an addition.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from migcheck.facts.postgres import parse_statement
from migcheck.rules import lookback
from migcheck.rules.context import RevisionContext
from migcheck.rules.enumlife import bare_name, enum_type_of, type_rename
from migcheck.rules.history_index import Key
from migcheck.vocabulary.changes import AlterColumn, Change, CreateEnumType, CreateTable, DropEnumType, RawSQL
from migcheck.vocabulary.lazyregex import lazy_regex

__all__ = ["label_only_swaps", "labels_before"]

_KIND = "enum-labels"
_ALTER_TYPE = lazy_regex(r"^\s*ALTER\s+TYPE\s+(\S+)", re.I)
_AS_ENUM = lazy_regex(r"\bAS\s+ENUM\s*\(", re.I)
_CASCADE = lazy_regex(r"\bCASCADE\b", re.I)
#: How many renames a look-back follows (``x`` was ``x_old`` was ``x``...): a stranger's history cannot make it
#: walk for ever.
_MAX_RENAMES = 32
#: The place of this revision's own earlier steps: later than any ancestor's.
_OWN = 1 << 62


def label_only_swaps(ctx: RevisionContext, changes: list[Change]) -> set[int]:
    """The ids of the steps of ``changes`` (an upgrade's) that swap an enum type for one with every label the history
    gives it and more: the rename away, the ``CREATE TYPE .. AS ENUM``, the columns converted to it and the ``DROP
    TYPE`` of the old one (not ``CASCADE``, which would drop columns still of the old type)."""
    out: set[int] = set()
    for index, change in enumerate(changes):
        name, old_name = type_rename(change) or (None, None)
        if name is None or old_name is None or name == old_name:
            continue
        group = _swap(changes, index, name, old_name)
        if group is None:
            continue
        made = changes[group[0]]
        new = sql_labels(made.sql)
        old = labels_before(ctx, change, name)
        if new is not None and old is not None and old <= set(new):
            out.update(id(changes[i]) for i in (index, *group))
    return out


def _swap(changes: list[Change], start: int, name: str, old_name: str) -> list[int] | None:
    """The positions of the create of ``name``, the conversions of columns to it and the drop of ``old_name`` after
    ``ALTER TYPE name RENAME TO old_name`` at ``start``; None when another step touches either type first."""
    made: int | None = None
    converted: list[int] = []
    for index in range(start + 1, len(changes)):
        c = changes[index]
        if isinstance(c, CreateEnumType) and bare_name(c.name) == name and made is None:
            made = index
        elif made is not None and isinstance(c, AlterColumn) and c.type is not None \
                and name in (bare_name(c.type), enum_type_of(c.type)) and c.nullable is None \
                and not c.server_default_changed:
            converted.append(index)
        elif isinstance(c, DropEnumType) and bare_name(c.name) == old_name:
            if made is None or (c.sql and _CASCADE.search(c.sql)):
                return None
            return [made, *converted, index]
        elif name in _keys(c) or old_name in _keys(c):
            return None
    return None


def labels_before(ctx: RevisionContext, change: Change, name: str) -> frozenset[str] | None:
    """The labels of enum type ``name`` (bare, lower case) just before ``change`` of this revision's upgrade, as the
    history says; None when it cannot tell."""
    return _labels(ctx, lookback.before(ctx, change), name, None, 0)


def _labels(ctx: RevisionContext, own: list[Change], name: str, limit: Key | None, depth: int) -> frozenset[str] | None:
    """Walk back through the steps on ``name`` (``own`` first, then the ancestors' before ``limit``) to the one that
    made it. A ``create_table`` with an ``sa.Enum`` column makes the type only when nothing made it earlier (in one
    ``alembic upgrade`` run SQLAlchemy skips a type it made already), so the walk goes on past it."""
    added: set[str] = set()
    by_table: tuple[frozenset[str] | None, frozenset[str]] | None = None  # (its labels, the labels added since)

    def made_by_table() -> frozenset[str] | None:
        if by_table is None or by_table[0] is None:
            return None
        return by_table[0] | by_table[1]

    for key, c in _events(ctx, own, name, limit):
        if isinstance(c, CreateEnumType):
            labels = sql_labels(c.sql) if c.sql else None
            return None if labels is None else frozenset(labels) | added
        if isinstance(c, CreateTable):
            if by_table is None:
                by_table = (_table_labels(c, name), frozenset(added))
            continue
        if isinstance(c, DropEnumType):
            return made_by_table()
        if (renamed := type_rename(c)) is not None:
            old, new = renamed
            if new != name:
                return made_by_table()  # renamed away: a type of that name was made after, by the create_table
            if old is None or depth >= _MAX_RENAMES:
                return None
            earlier = _labels(ctx, own[:key[1]] if key[0] == _OWN else [], old, None if key[0] == _OWN else key,
                              depth + 1)
            return None if earlier is None else earlier | added
        stmt = parse_statement(c.text) if isinstance(c, RawSQL) else None
        if stmt is None or stmt.verb != "ADD VALUE" or stmt.value is None:
            return None  # ALTER TYPE x RENAME VALUE / OWNER / ...: not followed
        added.add(stmt.value)
    return made_by_table()


def _events(ctx: RevisionContext, own: list[Change], name: str, limit: Key | None) -> Iterator[tuple[Key, Change]]:
    """The steps on type ``name``, newest first: ``own`` (this revision's), then the ancestors' before ``limit``."""
    for i in range(len(own) - 1, -1, -1):
        if name in _keys(own[i]):
            yield (_OWN, i), own[i]
    index = lookback.history(ctx)
    if index is not None:
        events = index.grouped(_KIND, _keys).get(name)
        for key, _, c in index.newest_first(events, ctx.migration.revision, before=limit):
            yield key, c


def _keys(c: Change) -> list[str]:
    """The enum type names (bare, lower case) whose labels ``c`` can make or change."""
    if isinstance(c, CreateEnumType | DropEnumType):
        return [n] if (n := bare_name(c.name)) else []
    if isinstance(c, CreateTable):
        return [e for col in c.columns if (e := enum_type_of(col.type))]
    if isinstance(c, RawSQL) and c.keyword == "ALTER TYPE" and c.text:
        if (renamed := type_rename(c)) is not None:
            return [n for n in renamed if n]
        if (m := _ALTER_TYPE.match(c.text)) and (n := bare_name(m.group(1))):
            return [n]
    return []


def _table_labels(c: CreateTable, name: str) -> frozenset[str] | None:
    """The labels a ``create_table`` column gives type ``name``: ``sa.Enum('a', 'b', name='x')`` written out (not
    a Python enum class, nor ``*LABELS``); None when its columns disagree or any is not written out."""
    found = {_type_labels(col.type) for col in c.columns if enum_type_of(col.type) == name}
    return found.pop() if len(found) == 1 else None


def type_labels(type_text: str | None) -> frozenset[str] | None:
    """The labels of a type written ``Enum('a', 'b', ...)`` (``sa.Enum``, MySQL's ``ENUM``); None for any other."""
    return _type_labels(type_text)


def _type_labels(type_text: str | None) -> frozenset[str] | None:
    """The labels of a type written ``Enum('a', 'b', ...)``; None for any other."""
    try:
        tree = ast.parse(type_text or "", mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    if not isinstance(tree, ast.Call) or not tree.args \
            or not all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in tree.args):
        return None
    return frozenset(a.value for a in tree.args if isinstance(a, ast.Constant) and isinstance(a.value, str))


def sql_labels(sql: str | None) -> tuple[str, ...] | None:
    """The labels of ``CREATE TYPE x AS ENUM ('a', 'b')`` in order; None when not written as plain literals. Read
    by one pass over the text (no pattern over the list, which a crafted statement could make slow)."""
    m = _AS_ENUM.search(sql or "")
    if sql is None or m is None:
        return None
    labels: list[str] = []
    i, n = m.end(), len(sql)
    while True:
        while i < n and sql[i].isspace():
            i += 1
        if i < n and sql[i] == ")" and not labels:
            return ()
        if i >= n or sql[i] != "'":
            return None
        j, text = i + 1, []
        while j < n:
            if sql[j] == "'":
                if j + 1 < n and sql[j + 1] == "'":
                    text.append("'")
                    j += 2
                    continue
                break
            text.append(sql[j])
            j += 1
        if j >= n:
            return None
        labels.append("".join(text))
        i = j + 1
        while i < n and sql[i].isspace():
            i += 1
        if i < n and sql[i] == ",":
            i += 1
        elif i < n and sql[i] == ")":
            return tuple(labels)
        else:
            return None
