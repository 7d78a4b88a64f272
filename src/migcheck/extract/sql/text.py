"""SQL text read without a parser: leading keywords, top-level splits, quotes, names.

Nothing here imports sqlglot, so keyword-level questions stay cheap.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from migcheck.vocabulary.lazyregex import lazy_regex
from migcheck.vocabulary.textends import without_word_end

_KEYWORD = lazy_regex(r"[A-Za-z_]+")


#: First words of the statements PostgreSQL, MySQL and SQLite accept; anything else is not SQL we know.
SQL_COMMANDS = frozenset(
    ["ABORT", "ALTER", "ANALYZE", "BEGIN", "CALL", "CHECKPOINT", "CLOSE", "CLUSTER", "COMMENT", "COMMIT", "COPY", "CREATE", "DEALLOCATE", "DECLARE", "DELETE", "DISCARD", "DO", "DROP", "END", "EXECUTE", "EXPLAIN", "FETCH", "GRANT", "IMPORT", "INSERT", "LISTEN", "LOAD", "LOCK", "MERGE", "MOVE", "NOTIFY", "OPTIMIZE", "PRAGMA", "PREPARE", "REASSIGN", "REFRESH", "REINDEX", "RELEASE", "RENAME", "REPLACE", "RESET", "REVOKE", "ROLLBACK", "SAVEPOINT", "SECURITY", "SELECT", "SET", "SHOW", "START", "TABLE", "TRUNCATE", "UNLISTEN", "UPDATE", "USE", "VACUUM", "VALUES", "WITH"]
)


_TWO_WORD = {"ALTER", "CREATE", "DROP", "REFRESH", "LOCK"}


def leading_keyword(sql: str) -> str:
    """``"ALTER TYPE"``, ``"REINDEX"``...: the statement's kind, in upper case."""
    words = _KEYWORD.findall(sql[:120])
    if not words:
        return ""
    first = words[0].upper()
    if first in _TWO_WORD and len(words) > 1:
        second = words[1].upper()
        if second in {"UNIQUE", "OR", "TEMP", "TEMPORARY"} and len(words) > 2:
            second = words[2].upper() if second == "UNIQUE" else words[-1].upper()
        return f"{first} {second}"
    return first


#: Type spellings PostgreSQL takes and sqlglot does not parse, and the same type in words it does.
_SPELLINGS = [(re.compile(r"\bbit\s+varying\b", re.I), "VARBIT"),
              (re.compile(r"\bnational\s+char(?:acter)?\s+varying\b", re.I), "VARCHAR")]


_QUOTED = lazy_regex(r"('(?:[^']|'')*'|\"(?:[^\"]|\"\")*\")")


_MYSQL_LITERALS = re.compile(r"'(?:[^'\\]|\\.|'')*'|`[^`]*`")


_NAME_IN_DOUBLE_QUOTES = re.compile(
    r"\b(?:UPDATE(?:\s+LOW_PRIORITY)?(?:\s+IGNORE)?|FROM|INTO|JOIN|TABLE(?:\s+IF(?:\s+NOT)?\s+EXISTS)?)\s+"
    r"(\"[^\"]*\")", re.I)


def _double_quoted_name(sql: str) -> str | None:
    """A table name in double quotes (``UPDATE "t" SET ...``), outside string literals: MySQL and MariaDB
    read ``"t"`` as a string unless sql_mode has ANSI_QUOTES (checked on MariaDB 10.11 with its default
    sql_mode: ERROR 1064), so the statement never runs there. sqlglot's MySQL reader takes it as a name."""
    text = _MYSQL_LITERALS.sub("''", sql)
    opened: list[str] = []  # the word before each parenthesis still open, innermost last
    done = 0
    for m in _NAME_IN_DOUBLE_QUOTES.finditer(text):
        for paren in _PARENS.finditer(text, done, m.start()):
            if paren.group() == "(":
                opened.append(_word_before(text, paren.start()))
            elif opened:
                opened.pop()
        done = m.start()
        if m.group().upper().startswith("FROM") and opened and opened[-1] in _FROM_FUNCTIONS:
            continue  # EXTRACT(YEAR FROM "2024-01-01"), TRIM(LEADING "#" FROM "#x"): a string argument
        return m.group(1)
    return None


_PARENS = re.compile(r"[()]")


#: MySQL functions whose argument list has a FROM before a value, which may be a string in double quotes.
_FROM_FUNCTIONS = frozenset({"EXTRACT", "TRIM", "SUBSTRING", "SUBSTR"})


def _word_before(text: str, end: int) -> str:
    """The identifier right before ``text[end]`` (spaces between allowed), upper case: the function called."""
    i = end
    while i > 0 and text[i - 1].isspace():
        i -= 1
    start = i
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_"):
        start -= 1
    return text[start:i].upper()


def _sqlglot_spelling(sql: str) -> str:
    """``bit varying(8)`` -> ``VARBIT(8)`` outside quotes: PostgreSQL's other name for the same type, which
    sqlglot parses (with ``bit varying`` it fails, or keeps a whole ALTER TABLE as an opaque command)."""
    if not any(pattern.search(sql) for pattern, _ in _SPELLINGS):
        return sql
    parts = _QUOTED.split(sql)
    for i in range(0, len(parts), 2):
        for pattern, word in _SPELLINGS:
            parts[i] = pattern.sub(word, parts[i])
    return "".join(parts)


_DROP_OPTIONS = ("CASCADE", "RESTRICT")


def _names_and_option(text: str) -> tuple[str, str] | None:
    """``a, b CASCADE`` as ``("a, b", " CASCADE")``, ``a`` as ``("a", "")``; None when empty."""
    if not text:
        return None
    return without_word_end(text, _DROP_OPTIONS) or (text, "")


def _outside_quotes(text: str) -> Iterator[tuple[int, str, int]]:
    """``(index, char, depth)`` of each character of ``text`` outside quotes; ``depth`` counts the
    parentheses open before it (a closing one is yielded at the depth it closes, never below 0)."""
    depth, quote = 0, ""
    for i, char in enumerate(text):
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "(":
            yield i, char, depth
            depth += 1
        elif char == ")":
            depth = max(0, depth - 1)
            yield i, char, depth
        else:
            yield i, char, depth


def split_top_level(text: str) -> list[str]:
    """``a, b (x, y), 'c,d'`` -> ``["a", "b (x, y)", "'c,d'"]``: commas outside parentheses and quotes."""
    parts: list[str] = []
    start = 0
    for i, char, depth in _outside_quotes(text):
        if char == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    return [part for part in parts if part]


def _unquote(name: str) -> str:
    name = name.split(".")[-1]
    return name.strip('"`[]')
