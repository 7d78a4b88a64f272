"""Split SQL text into statements with the line each one starts on.

sqlglot parses statements well but keeps no reliable line numbers for them,
and findings must point at the line of a ``.sql`` file or of the string in a
revision. This splitter knows quotes, dollar quotes and comments, and keeps
the ``-- Running upgrade a -> b`` comments that Alembic writes in offline mode.
Like psql, it does not end a statement at a ``;`` inside parentheses: the
actions of ``CREATE RULE ... DO INSTEAD (a; b)`` belong to one statement. A text
whose parentheses never close is split at every ``;`` instead, so one stray
``(`` cannot fold the rest of an offline dump into a statement no rule reads.
So is a text where a statement keeps a ``;`` inside parentheses and also holds
what this splitter cannot read the same way as every server: a comment inside a
block comment (PostgreSQL nests them), a backquote or ``#`` (MySQL's quoted
names and comments), a backslash (an escape in MySQL strings, not in standard
PostgreSQL ones) or a ``[`` (bracketed names). A parenthesis inside one of those
is not one the server sees, so ``SELECT `t(`; ALTER TABLE users DROP COLUMN
email; SELECT `)``` hid the DROP COLUMN in one statement (attack25).

Quotes and comments are read as the target dialect reads them, so that a
statement the server runs cannot hide inside what the splitter took for a string
or a comment: PostgreSQL takes a backslash in a string as an escape only in
``E'...'`` (standard_conforming_strings, on since 9.1), nests block comments and
has dollar quotes; MySQL escapes with backslashes in ``'...'`` and ``"..."``
(strings there), quotes names with backquotes, starts comments with ``#`` and
with ``--`` only before a blank, and runs the text of ``/*! ... */``; SQLite
quotes names with backquotes and brackets and knows no backslash escape.
"""

from __future__ import annotations

from dataclasses import dataclass

from migcheck.vocabulary.lazyregex import lazy_regex

#: A dollar quote's tag: ``$$`` or ``$name$`` (not ``$1``, a parameter).
_DOLLAR_TAG = lazy_regex(r"\$(?:[A-Za-z_][A-Za-z_0-9]*)?\$")
#: A run of characters none of which can start a comment, a quote, a line or the end of a statement:
#: copied in one step instead of one character at a time.
_PLAIN = lazy_regex(r"[^-/;\n'\"$()`#\[]*")
#: What a dialect reads otherwise than this splitter (see the module's docstring): a parenthesis near it may not be
#: one the server sees, so a ``;`` kept inside parentheses is not trusted in a statement that holds it.
_UNSURE = lazy_regex(r"[`#\\\[]")


@dataclass
class Statement:
    """One SQL statement of a text, without its ``;``."""

    text: str
    line: int  # 1-based line of the statement's first non-blank character


@dataclass
class Comment:
    """One ``--`` line comment of a SQL text."""

    text: str
    line: int


def split(sql: str, first_line: int = 1, dialect: str = "postgresql") -> list[Statement | Comment]:
    """Statements (without the trailing ``;``) and line comments, in order, as ``dialect`` reads the text."""
    out, trusted = _split(sql, first_line, dialect, parens=True)
    return out if trusted else _split(sql, first_line, dialect, parens=False)[0]


def _split(sql: str, first_line: int, dialect: str, parens: bool) -> tuple[list[Statement | Comment], bool]:
    """``split``, with ``;`` inside parentheses kept when ``parens``; and whether that reading can be trusted: every
    parenthesis closed, and no statement that kept a ``;`` holds what a dialect reads otherwise (``_UNSURE``)."""
    out: list[Statement | Comment] = []
    i, n = 0, len(sql)
    line = first_line
    start: int | None = None
    start_line = line
    buf: list[str] = []
    depth = 0  # open parentheses of the statement so far
    kept = False  # a ';' of the statement so far was kept inside parentheses
    nested = False  # a block comment since the last statement ended held another '/*'
    balanced = True

    def flush() -> None:
        nonlocal start, buf, depth, kept, nested, balanced
        text = "".join(buf).strip()
        balanced = balanced and depth == 0 and not (kept and (nested or _UNSURE.search(text)))
        if text:
            out.append(Statement(text, start_line))
        start, buf, depth, kept, nested = None, [], 0, False, False

    mysql = dialect == "mysql"
    while i < n:
        ch = sql[i]
        if (ch == "-" and sql.startswith("--", i) and _dash_comment(sql, i, mysql)) or (ch == "#" and mysql):
            end = sql.find("\n", i)
            end = n if end == -1 else end
            if start is None:
                out.append(Comment(sql[i + (1 if ch == "#" else 2) : end].strip(), line))
            i = end
            continue
        if ch == "/" and sql.startswith("/*", i) and not (mysql and sql.startswith("/*!", i)):
            end = block_comment_end(sql, i, n, nests=dialect == "postgresql") or n
            nested = nested or sql.find("/*", i + 2, end) != -1  # a '*/' a dialect may read otherwise
            line += sql.count("\n", i, end)
            i = end
            continue
        if ch == ";" and depth == 0:
            flush()
            i += 1
            continue
        if ch == ";":
            kept = True
        if ch == "\n":
            line += 1
            if start is not None:
                buf.append(ch)
            i += 1
            continue
        if start is None:
            if ch.isspace():
                i += 1
                continue
            start, start_line = i, line
        if ch in "()":
            depth = depth + 1 if ch == "(" and parens else max(depth - 1, 0)
            end = i + 1
            chunk = ch
        elif ch in ("'", '"') or (ch == "`" and dialect != "postgresql") or (ch == "[" and dialect == "sqlite"):
            end = _quoted_end(sql, i, ch, _backslash_escapes(sql, i, ch, dialect))
            chunk = sql[i:end]
        elif ch == "$" and dialect == "postgresql" and not _in_name(sql, i) and (m := _DOLLAR_TAG.match(sql, i)):
            tag = m.group(0)
            close = sql.find(tag, m.end())
            end = n if close == -1 else close + len(tag)
            chunk = sql[i:end]
        else:
            end = _PLAIN.match(sql, i + 1).end()  # type: ignore[union-attr]  # `*` always matches
            chunk = sql[i:end]
        line += chunk.count("\n")
        buf.append(chunk)
        i = end
    flush()
    return out, balanced


def _dash_comment(sql: str, i: int, mysql: bool) -> bool:
    """``--`` starts a comment; in MySQL only before a blank, a control character or the end (``1--1`` is 2)."""
    return not mysql or i + 2 >= len(sql) or sql[i + 2] <= " "


def _in_name(sql: str, i: int) -> bool:
    """The character at ``i`` continues a name (PostgreSQL's names may hold ``$``: ``x$a$`` is one name)."""
    return i > 0 and (sql[i - 1].isalnum() or sql[i - 1] in "_$")


def block_comment_end(sql: str, i: int, end: int, nests: bool = True) -> int | None:
    """Index after the ``*/`` that closes the comment opened at ``i``, before ``end``; None when none does.

    PostgreSQL nests block comments (``nests``); MySQL and SQLite end one at the first ``*/``.
    """
    depth, j = 1, i + 2
    while j < end:
        if nests and sql.startswith("/*", j):
            depth, j = depth + 1, j + 2
        elif sql.startswith("*/", j):
            depth, j = depth - 1, j + 2
            if depth == 0:
                return j
        else:
            j += 1
    return None


def _backslash_escapes(sql: str, i: int, quote: str, dialect: str) -> bool:
    """Whether a backslash escapes the next character in the quoted text opened at ``i``."""
    if dialect == "mysql":
        return quote in "'\""
    if dialect == "postgresql" and quote == "'" and i > 0 and sql[i - 1] in "eE":
        return not _in_name(sql, i - 1)  # E'...', not a name ending in e
    return False


def _quoted_end(sql: str, i: int, quote: str, backslash: bool) -> int:
    """Index after the closing quote; doubled quotes are escapes, and backslashes where ``backslash``."""
    close = "]" if quote == "[" else quote
    j = i + 1
    n = len(sql)
    while j < n:
        if sql[j] == close:
            if close != "]" and j + 1 < n and sql[j + 1] == close:
                j += 2
                continue
            return j + 1
        if backslash and sql[j] == "\\":
            j += 2
            continue
        j += 1
    return n


def statements(sql: str, first_line: int = 1, dialect: str = "postgresql") -> list[Statement]:
    return [s for s in split(sql, first_line, dialect) if isinstance(s, Statement)]
