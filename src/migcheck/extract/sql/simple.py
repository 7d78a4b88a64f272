"""Everyday statements read without sqlglot's parser: a keyed ``UPDATE`` or ``DELETE``, ``DROP INDEX`` of one name,
``ALTER TABLE`` adding a column of a plain type or dropping one, ``COMMENT ON`` with a string, ``DROP TRIGGER``,
``DROP FUNCTION f()`` and ``CREATE TRIGGER`` of one event calling ``f()``.

``UPDATE t SET c = 'x' WHERE id = 5`` (a history that records each change in a table) and ``DROP INDEX [CONCURRENTLY]
[IF EXISTS] name`` cost sqlglot's tokenizer, its whole parser and the tree's questions (issue 13: most of a
keyed-update history's extra time). They are read here only when the text is exactly such a statement: plain ASCII
names that sqlglot's tokenizer reads as names (no keyword of its, none that starts a keyword of several words),
string literals without a quote or backslash inside, unsigned integers, ``=``, ``,``, ``AND``, blanks. Then the
reading is the one ``convert._convert`` makes of sqlglot's tree (tested against it on generated statements);
anything else (a quoted name, an alias, a comment, a bind parameter, an expression) returns None and goes to
sqlglot as before. (Branch speed26 added the keyed DELETE, ADD / DROP COLUMN, COMMENT ON and DROP TRIGGER: the
plain generated history's statements, parsed again in every revision that runs one; speed27 DROP FUNCTION and
CREATE TRIGGER.)
"""

from __future__ import annotations

import functools
import re
from typing import Any

from migcheck.extract.sql.tree import _sqlglot_dialect
from migcheck.vocabulary.changes import AddColumn, Change, ColumnSpec, DataChange, DropColumn, DropIndex, RawSQL
from migcheck.vocabulary.lazyregex import lazy_regex

_W = "[ \\t\\r\\n]"
_NAME = "[A-Za-z_][A-Za-z0-9_]*"
_PAIR = f"{_NAME}{_W}*={_W}*(?:'[^'\\\\]*'|[0-9]+)"
_TABLE = f"(?:({_NAME}){_W}*\\.{_W}*)?({_NAME})"
#: Linear on every text (tests/security/test_regex_time.py): no blanks before the statement (simple_changes strips
#: them), the optional ``;`` and the blanks after it in one group, a name only where no word character precedes it.
_END = f"{_W}*(?:;{_W}*)?\\Z"
#: re.A with re.I: without it ``[A-Za-z]`` and the keywords also match U+017F (long s), U+212A (Kelvin sign), U+0130
#: and U+0131 (dotted and dotless i), which the pair names cut out below skip (``WHERE \u017fid = 5`` read as keyed by
#: ``id``, tests/security/test_attack25c.py): ASCII only, anything else goes to sqlglot.
_UPDATE = lazy_regex(
    f"UPDATE{_W}+{_TABLE}{_W}+SET{_W}+({_PAIR}(?:{_W}*,{_W}*{_PAIR})*){_W}+"
    f"WHERE{_W}+({_PAIR}(?:{_W}+AND{_W}+{_PAIR})*){_END}", re.I | re.A)
_DROP_INDEX = lazy_regex(f"DROP{_W}+INDEX{_W}+(CONCURRENTLY{_W}+)?(IF{_W}+EXISTS{_W}+)?{_TABLE}{_END}", re.I | re.A)
_DELETE = lazy_regex(
    f"DELETE{_W}+FROM{_W}+{_TABLE}{_W}+WHERE{_W}+({_PAIR}(?:{_W}+AND{_W}+{_PAIR})*){_END}", re.I | re.A)
#: ``ALTER TABLE [s.]t ADD COLUMN [IF NOT EXISTS] c TYPE`` (a type of _TYPES) or ``DROP COLUMN [IF EXISTS] c``.
_ALTER = lazy_regex(
    f"ALTER{_W}+TABLE{_W}+{_TABLE}{_W}+(?:ADD{_W}+COLUMN{_W}+(IF{_W}+NOT{_W}+EXISTS{_W}+)?({_NAME}){_W}+({_NAME})"
    f"|DROP{_W}+COLUMN{_W}+(IF{_W}+EXISTS{_W}+)?({_NAME})){_END}", re.I | re.A)
#: ``COMMENT ON TABLE|COLUMN name[.name[.name]] IS 'text'``: an understood statement that changes nothing here.
_COMMENT = lazy_regex(
    f"COMMENT{_W}+ON{_W}+(?:TABLE|COLUMN){_W}+({_NAME})(?:{_W}*\\.{_W}*({_NAME}))?(?:{_W}*\\.{_W}*({_NAME}))?"
    f"{_W}+IS{_W}+'[^'\\\\]*'{_END}", re.I | re.A)
#: ``DROP TRIGGER [IF EXISTS] name ON [s.]t``: the same.
_DROP_TRIGGER = lazy_regex(
    f"DROP{_W}+TRIGGER{_W}+(IF{_W}+EXISTS{_W}+)?({_NAME}){_W}+ON{_W}+{_TABLE}{_END}", re.I | re.A)
#: ``DROP FUNCTION [IF EXISTS] [s.]name()``: sqlglot's Drop of kind FUNCTION, which _convert keeps as understood SQL.
_DROP_FUNCTION = lazy_regex(
    f"DROP{_W}+FUNCTION{_W}+(?:IF{_W}+EXISTS{_W}+)?{_TABLE}{_W}*\\({_W}*\\){_END}", re.I | re.A)
#: ``CREATE TRIGGER name BEFORE|AFTER INSERT|UPDATE|DELETE ON [s.]t FOR EACH ROW|STATEMENT EXECUTE FUNCTION|PROCEDURE
#: [s.]f()``: sqlglot reads it as a Command (a statement it keeps as text), and _convert as understood SQL.
_CREATE_TRIGGER = lazy_regex(
    f"CREATE{_W}+TRIGGER{_W}+({_NAME}){_W}+(?:BEFORE|AFTER){_W}+(?:INSERT|UPDATE|DELETE){_W}+ON{_W}+{_TABLE}{_W}+"
    f"FOR{_W}+EACH{_W}+(?:ROW|STATEMENT){_W}+EXECUTE{_W}+(?:FUNCTION|PROCEDURE){_W}+{_TABLE}{_W}*\\({_W}*\\){_END}",
    re.I | re.A)
#: Column types (upper case) as sqlglot's reading of ``ADD COLUMN c type`` spells them on PostgreSQL.
_TYPES = {"TEXT": "TEXT", "INTEGER": "INT", "INT": "INT", "BIGINT": "BIGINT", "SMALLINT": "SMALLINT",
          "BOOLEAN": "BOOLEAN", "BOOL": "BOOLEAN", "DATE": "DATE", "UUID": "UUID", "JSONB": "JSONB", "JSON": "JSON",
          "TIMESTAMPTZ": "TIMESTAMPTZ"}
#: The statement words simple_changes reads, each with its reader.
_KEYWORDS = frozenset({"UPDATE", "DROP INDEX", "DELETE", "ALTER TABLE", "COMMENT", "DROP TRIGGER"})
#: The statements read here that end in ``()`` (and have no other parenthesis), each with its pattern.
_CALL_SHAPED = {"DROP FUNCTION": _DROP_FUNCTION, "CREATE TRIGGER": _CREATE_TRIGGER}
_PAIR_NAME = lazy_regex(f"(?<![A-Za-z0-9_])({_NAME}){_W}*={_W}*(?:'[^'\\\\]*'|[0-9]+)")
#: Words the parser reads as something else without parentheses (sqlglot's NO_PAREN_FUNCTION_PARSERS), the
#: words of DROP INDEX's own options, and PostgreSQL's session functions without parentheses that sqlglot reads as
#: a column (where.py's _PG_SESSION_WORDS: ``WHERE user = 'admin'`` pins no column, attack26d).
_NOT_NAMES = frozenset({"ANY", "CASE", "CONNECT_BY_ROOT", "IF", "VARIADIC", "CONCURRENTLY", "CASCADE", "RESTRICT",
                        "USER", "CURRENT_ROLE", "SYSTEM_USER"})


def simple_changes(sql: str, keyword: str, dialect: str, common: dict[str, Any]) -> list[Change] | None:
    """The changes of one of the statements of the module's docstring, when ``sql`` is exactly that; else None."""
    if dialect == "postgresql" and keyword in _CALL_SHAPED and sql.count("(") == 1:
        m = _CALL_SHAPED[keyword].match(sql.lstrip(" \t\r\n"))
        return None if m is None or not _names(list(m.groups()), _not_names(dialect)) \
            else [RawSQL(text=sql, keyword=keyword, **common)]
    if dialect != "postgresql" or keyword not in _KEYWORDS or "(" in sql:
        return None  # a call or a subquery: never such a statement (and the patterns need not be compiled)
    text = sql.lstrip(" \t\r\n")
    if keyword == "UPDATE":
        m = _UPDATE.match(text)
        return None if m is None else _update(m, _not_names(dialect), common)
    if keyword == "DELETE":
        m = _DELETE.match(text)
        return None if m is None else _delete(m, _not_names(dialect), common)
    if keyword == "ALTER TABLE":
        m = _ALTER.match(text)
        return None if m is None else _alter(m, _not_names(dialect), common)
    if keyword == "COMMENT":
        m = _COMMENT.match(text)
        return None if m is None or not _names(list(m.groups()), _not_names(dialect)) \
            else [RawSQL(text=sql, keyword=keyword, **common)]
    if keyword == "DROP TRIGGER":
        m = _DROP_TRIGGER.match(text)
        return None if m is None or not _names([m.group(2), m.group(3), m.group(4)], _not_names(dialect)) \
            else [RawSQL(text=sql, keyword=keyword, **common)]
    m = _DROP_INDEX.match(text)
    return None if m is None else _drop_index(m, _not_names(dialect), common)


@functools.cache
def _not_names(dialect: str) -> frozenset[str]:
    """Upper-case words sqlglot's tokenizer does not read as a plain name (a VAR or NAME token): its keywords, the
    first words of its keywords of several words, _NOT_NAMES; every word when sqlglot's no-parenthesis parsers are
    not the ones known here (another version)."""
    from sqlglot.tokens import TokenType

    found = _sqlglot_dialect(dialect)
    if set(found.parser_class.NO_PAREN_FUNCTION_PARSERS) - _NOT_NAMES:
        return frozenset({"*"})
    keywords = found.tokenizer_class.KEYWORDS
    blocked = {word.upper() for word, kind in keywords.items() if kind not in (TokenType.VAR, TokenType.NAME)}
    blocked |= {word.split()[0].upper() for word in keywords if " " in word}
    return frozenset(blocked | _NOT_NAMES)


def _names(words: list[str | None], blocked: frozenset[str]) -> bool:
    return "*" not in blocked and all(w is None or w.upper() not in blocked for w in words)


def _update(m: re.Match[str], blocked: frozenset[str], common: dict[str, Any]) -> list[Change] | None:
    """``UPDATE [s.]t SET c = lit[, ...] WHERE k = lit[ AND ...]``."""
    schema, name = m.group(1), m.group(2)
    columns = _PAIR_NAME.findall(m.group(3))
    keys = _PAIR_NAME.findall(m.group(4))
    if not _names([schema, name, *columns, *keys], blocked):
        return None
    assigned = tuple(c.lower() for c in columns)
    return [DataChange(action="update", table=name, schema=schema, has_where=True, joined=False, limited=False,
                       self_reads=(), unbounded_where=None, null_tests=(), sets=assigned, assigns=assigned,
                       clears_nulls=(), pinned=tuple(sorted({k.lower() for k in keys})), **common)]


def _drop_index(m: re.Match[str], blocked: frozenset[str], common: dict[str, Any]) -> list[Change] | None:
    """``DROP INDEX [CONCURRENTLY] [IF EXISTS] [s.]name``."""
    schema, name = m.group(3), m.group(4)
    if not _names([schema, name], blocked):
        return None
    return [DropIndex(name=name, concurrently=m.group(1) is not None, if_exists=m.group(2) is not None, schema=schema,
                      **common)]


def _delete(m: re.Match[str], blocked: frozenset[str], common: dict[str, Any]) -> list[Change] | None:
    """``DELETE FROM [s.]t WHERE k = lit[ AND ...]``."""
    schema, name = m.group(1), m.group(2)
    keys = _PAIR_NAME.findall(m.group(3))
    if not _names([schema, name, *keys], blocked):
        return None
    return [DataChange(action="delete", table=name, schema=schema, has_where=True, unbounded_where=None,
                       null_tests=(), clears_nulls=(), pinned=tuple(sorted({k.lower() for k in keys})), **common)]


def _alter(m: re.Match[str], blocked: frozenset[str], common: dict[str, Any]) -> list[Change] | None:
    """``ALTER TABLE [s.]t ADD COLUMN [IF NOT EXISTS] c TYPE`` or ``ALTER TABLE [s.]t DROP COLUMN [IF EXISTS] c``."""
    schema, name, column = m.group(1), m.group(2), m.group(4) or m.group(7)
    if not _names([schema, name, column], blocked):
        return None
    if m.group(7) is not None:
        return [DropColumn(table=name, column=column, if_exists=m.group(6) is not None, schema=schema, **common)]
    kind = _TYPES.get(m.group(5).upper())
    if kind is None:
        return None
    return [AddColumn(table=name, column=ColumnSpec(name=column, type=kind), if_not_exists=m.group(3) is not None,
                      **common)]
