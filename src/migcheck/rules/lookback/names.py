"""Whether an index or constraint of a name can exist here: the names the history gives, a naming
convention's, the names the database generates.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from migcheck.rules.context import RevisionContext
from migcheck.rules.history_index import (
    HistoryIndex,
    default_names,
    expression_index_table,
    index_killed,
    step_names,
    unknown_name,
)
from migcheck.rules.lookback.steps import _application_may_make, _same, before, from_nothing
from migcheck.vocabulary.changes import (
    Change,
    CreateIndex,
    DataChange,
    DropConstraint,
    DropIndex,
    RawSQL,
)
from migcheck.vocabulary.fit import fits, word_part
from migcheck.vocabulary.revision import Migration


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
    # Each name asked is new, so re's cache never holds its pattern: compile it only for a line that may name it
    # (ASCII on both sides: no match without the name as a substring in any case; issue 13, app-calls).
    lowered = name.lower() if name.isascii() else None
    pattern: re.Pattern[str] | None = None
    if lowered and "\n" not in lowered:
        # the code lines joined: one search finds the lines that may name it (most often only its drop's), not a
        # lowering of every line (issue 13: each DROP INDEX IF EXISTS of the app-calls history asks it twice)
        code = "\n".join(text.split("#", 1)[0] for text in migration.source_lines)
        if code.isascii():
            return _names_in_joined(code, lowered, name, drops)
    for number, text in enumerate(migration.source_lines, start=1):
        code = text.split("#", 1)[0]
        if number in drops or (lowered is not None and code.isascii() and lowered not in code.lower()):
            continue
        if pattern is None:
            pattern = re.compile(rf"(?<![\w$]){re.escape(name)}(?![\w$])", re.I)
        if pattern.search(code):
            return True
    return False


def _names_in_joined(code: str, lowered: str, name: str, drops: set[int]) -> bool:
    """_names_it over ASCII code lines joined by newlines: the lines holding ``lowered`` (ASCII lowering keeps every
    position, and the name spans no line) other than ``drops``, then the word search on each of those."""
    low = code.lower()
    at = low.find(lowered)
    line, counted = 1, 0
    pattern: re.Pattern[str] | None = None
    lines = code.split("\n") if at >= 0 else []
    while at >= 0:
        line += low.count("\n", counted, at)
        counted = at
        if line not in drops:
            if pattern is None:
                pattern = re.compile(rf"(?<![\w$]){re.escape(name)}(?![\w$])", re.I)
            if pattern.search(lines[line - 1]):
                return True
        end = low.find("\n", at)  # each line searched once, however often it holds the name
        at = -1 if end < 0 else low.find(lowered, end)
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
