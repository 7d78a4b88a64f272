"""Two everyday statements read without sqlglot's parser: a keyed ``UPDATE`` and ``DROP INDEX`` of one name.

``UPDATE t SET c = 'x' WHERE id = 5`` (a history that records each change in a table) and ``DROP INDEX [CONCURRENTLY]
[IF EXISTS] name`` cost sqlglot's tokenizer, its whole parser and the tree's questions (issue 13: most of a
keyed-update history's extra time). They are read here only when the text is exactly such a statement: plain ASCII
names that sqlglot's tokenizer reads as names (no keyword of its, none that starts a keyword of several words),
string literals without a quote or backslash inside, unsigned integers, ``=``, ``,``, ``AND``, blanks. Then the
reading is the one ``convert._convert`` makes of sqlglot's tree (tested against it on generated statements);
anything else (a quoted name, an alias, a comment, a bind parameter, an expression) returns None and goes to
sqlglot as before.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from migcheck.extract.sql.tree import _sqlglot_dialect
from migcheck.vocabulary.changes import Change, DataChange, DropIndex
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
_PAIR_NAME = lazy_regex(f"(?<![A-Za-z0-9_])({_NAME}){_W}*={_W}*(?:'[^'\\\\]*'|[0-9]+)")
#: Words the parser reads as something else without parentheses (sqlglot's NO_PAREN_FUNCTION_PARSERS), and the
#: words of DROP INDEX's own options.
_NOT_NAMES = frozenset({"ANY", "CASE", "CONNECT_BY_ROOT", "IF", "VARIADIC", "CONCURRENTLY", "CASCADE", "RESTRICT"})


def simple_changes(sql: str, keyword: str, dialect: str, common: dict[str, Any]) -> list[Change] | None:
    """The changes of a keyed UPDATE or a DROP INDEX of one name, when ``sql`` is exactly that; else None."""
    if dialect != "postgresql" or keyword not in ("UPDATE", "DROP INDEX") or "(" in sql:
        return None  # a call or a subquery: never such a statement (and the patterns need not be compiled)
    text = sql.lstrip(" \t\r\n")
    if keyword == "UPDATE":
        m = _UPDATE.match(text)
        return None if m is None else _update(m, _not_names(dialect), common)
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
