"""Two everyday statements read from sqlglot's tokens, without its parser: a keyed ``UPDATE`` and ``DROP INDEX``.

``UPDATE t SET c = 'x' WHERE id = 5`` (a history that records each change in a table) and ``DROP INDEX [CONCURRENTLY]
[IF EXISTS] name`` cost sqlglot's whole parser and the tree's questions (issue 13: a third of a keyed-update history's
extra time). They are read here only when every token is what such a statement holds (plain names, string and number
literals, ``=``, ``,``, ``AND``), so the reading is the one ``convert._convert`` makes of sqlglot's tree for them
(tested against it); anything else (a quoted name, an alias, a keyword, a bind parameter, an expression) returns
None and goes to sqlglot as before. The tokenizer is sqlglot's own, so quoting, comments and keywords are its.
"""

from __future__ import annotations

from typing import Any

from migcheck.extract.sql.tree import _sqlglot_dialect
from migcheck.vocabulary.changes import Change, DataChange, DropIndex

#: The token kinds the parser reads as a plain name where these statements have one (``name`` is a NAME token).
_NAMES = frozenset({"VAR", "NAME"})
#: Names the parser reads as something else without parentheses (sqlglot's NO_PAREN_FUNCTION_PARSERS, and the
#: words of DROP INDEX's own options, which are VAR tokens).
_NOT_NAMES = frozenset({"ANY", "CASE", "CONNECT_BY_ROOT", "IF", "VARIADIC", "CONCURRENTLY", "CASCADE", "RESTRICT"})
_VALUES = frozenset({"STRING", "NUMBER"})


def simple_changes(sql: str, keyword: str, dialect: str, common: dict[str, Any]) -> list[Change] | None:
    """The changes of a keyed UPDATE or a DROP INDEX of one name, when ``sql`` is exactly that; else None."""
    if dialect != "postgresql" or keyword not in ("UPDATE", "DROP INDEX"):
        return None
    parser = _sqlglot_dialect(dialect).parser_class
    if set(parser.NO_PAREN_FUNCTION_PARSERS) - _NOT_NAMES:
        return None  # another sqlglot: its words may differ
    try:
        tokens = [(t.token_type.name, t.text) for t in _sqlglot_dialect(dialect).tokenize(sql)]
    except Exception:  # sqlglot's tokenizer raises for text it cannot split: the parser reports it
        return None
    if tokens and tokens[-1][0] == "SEMICOLON":
        tokens.pop()
    if keyword == "UPDATE":
        return _update(tokens, common)
    return _drop_index(tokens, common)


def _name(tokens: list[tuple[str, str]], at: int) -> str | None:
    kind, text = tokens[at] if at < len(tokens) else ("", "")
    return text if kind in _NAMES and text.upper() not in _NOT_NAMES else None


def _table(tokens: list[tuple[str, str]], at: int) -> tuple[str | None, str, int] | None:
    """(schema, name, the position after them) of ``name`` or ``schema.name`` at ``at``."""
    first = _name(tokens, at)
    if first is None:
        return None
    if at + 2 < len(tokens) and tokens[at + 1][0] == "DOT":
        second = _name(tokens, at + 2)
        return None if second is None else (first, second, at + 3)
    return None, first, at + 1


def _pairs(tokens: list[tuple[str, str]], at: int, joiner: str) -> tuple[list[str], int] | None:
    """The names of ``name = literal [joiner name = literal]...`` from ``at``, and the position after them."""
    names: list[str] = []
    while True:
        column = _name(tokens, at)
        if column is None or at + 2 >= len(tokens) or tokens[at + 1][0] != "EQ" or tokens[at + 2][0] not in _VALUES:
            return None
        names.append(column)
        at += 3
        if at >= len(tokens) or tokens[at][0] != joiner:
            return names, at
        at += 1


def _update(tokens: list[tuple[str, str]], common: dict[str, Any]) -> list[Change] | None:
    """``UPDATE [s.]t SET c = lit[, ...] WHERE k = lit[ AND ...]``."""
    if len(tokens) < 2 or tokens[0][0] != "UPDATE" or (table := _table(tokens, 1)) is None:
        return None
    schema, name, at = table
    if at >= len(tokens) or tokens[at][0] != "SET" or (sets := _pairs(tokens, at + 1, "COMMA")) is None:
        return None
    columns, at = sets
    if at >= len(tokens) or tokens[at][0] != "WHERE" or (keys := _pairs(tokens, at + 1, "AND")) is None:
        return None
    pinned, at = keys
    if at != len(tokens):
        return None
    assigned = tuple(c.lower() for c in columns)
    return [DataChange(action="update", table=name, schema=schema, has_where=True, joined=False, limited=False,
                       self_reads=(), unbounded_where=None, null_tests=(), sets=assigned, assigns=assigned,
                       clears_nulls=(), pinned=tuple(sorted({k.lower() for k in pinned})), **common)]


def _drop_index(tokens: list[tuple[str, str]], common: dict[str, Any]) -> list[Change] | None:
    """``DROP INDEX [CONCURRENTLY] [IF EXISTS] [s.]name``."""
    if len(tokens) < 3 or tokens[0][0] != "DROP" or tokens[1][0] != "INDEX":
        return None
    at = 2
    concurrently = tokens[at] == ("VAR", tokens[at][1]) and tokens[at][1].upper() == "CONCURRENTLY"
    at += concurrently
    exists = at + 1 < len(tokens) and tokens[at][0] == "VAR" and tokens[at][1].upper() == "IF" \
        and tokens[at + 1][0] == "EXISTS"
    at += 2 * exists
    if (table := _table(tokens, at)) is None or table[2] != len(tokens):
        return None
    schema, name, _ = table
    return [DropIndex(name=name, concurrently=concurrently, if_exists=exists, schema=schema, **common)]
