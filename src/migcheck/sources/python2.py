"""Revision files written in Python 2: read without running them, though Python 3 cannot parse them.

Projects that ran on Python 2.7 keep their old revisions (``print 'done'``, ``except E, e:``). Python 3's
parser rejects them, but Alembic under the project's own interpreter loads them, so their ``revision``
and ``down_revision`` are real: losing them would break the graph (every child "missing" its parent) and
the history after them. ``tokenize`` reads Python 2 source fine; here the Python-2-only constructs are
rewritten token by token into Python 3 spellings of the same meaning for what migcheck reads (a print
statement becomes a call, ``0777`` ``0o777``), on the same lines, and the result is parsed. When that
parses, the file is Python 2: its header and its changes are read from the rewritten tree, for the graph
and the history (the revision itself is not checked: ``python2-migration-file``); when it does not, the
file has a genuine syntax error and is reported as one. Nothing is executed, and the rewritten text is
only parsed, never shown.
"""

from __future__ import annotations

import ast
import io
import tokenize
from dataclasses import dataclass

#: The rewrite is for finding the header: a file that defeats tokenize is not a Python 2 file here.
_TOKENIZE_ERRORS = (tokenize.TokenError, SyntaxError, IndentationError, ValueError, RecursionError, MemoryError)
_NOISE = {tokenize.COMMENT, tokenize.NL}
_STARTS = {tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT}
_OPEN, _CLOSE = "([{", ")]}"


@dataclass
class _Edit:
    row: int
    start: int
    end: int
    text: str


def python3_tree(source: str) -> tuple[ast.Module, tuple[str, ...]] | None:
    """The module parsed after rewriting its Python-2-only constructs, and which were found; None when
    there were none or the rewritten text still does not parse (a genuine syntax error)."""
    try:
        tokens = [t for t in tokenize.generate_tokens(io.StringIO(source).readline)
                  if t.type not in _NOISE and not (t.type == tokenize.ERRORTOKEN and t.string.isspace())]
    except _TOKENIZE_ERRORS:
        return None
    edits: list[_Edit] = []
    found: list[str] = []
    _statements(tokens, edits, found)
    _literals(tokens, edits, found)
    if not edits:
        return None
    try:
        tree = ast.parse(_apply(source, edits))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    return tree, tuple(dict.fromkeys(found))


def _statements(tokens: list[tokenize.TokenInfo], edits: list[_Edit], found: list[str]) -> None:
    """``print x`` / ``exec code`` (to calls), ``except E, e:`` (to ``as``), ``raise E, value`` (to a call)."""
    depth = 0
    for i, tok in enumerate(tokens):
        if tok.type == tokenize.OP and tok.string in _OPEN:
            depth += 1
        elif tok.type == tokenize.OP and tok.string in _CLOSE:
            depth = max(depth - 1, 0)
        if tok.type != tokenize.NAME or depth or not _starts_statement(tokens, i):
            continue
        end = _statement_end(tokens, i + 1)
        if tok.string in ("print", "exec") and _is_statement_form(tokens[i + 1]):
            found.append(f"{tok.string} statement")
            edits.append(_Edit(tok.start[0], tok.start[1], tok.end[1], tok.string + "("))
            if tokens[i + 1].string == ">>":  # print >>stream, x
                nxt = tokens[i + 1]
                edits.append(_Edit(nxt.start[0], nxt.start[1], nxt.end[1], ""))
            last = tokens[end - 1] if end - 1 > i else tok
            edits.append(_Edit(last.end[0], last.end[1], last.end[1], ")"))
        elif tok.string in ("except", "raise"):
            commas = _top_commas(tokens, i + 1, end, stop=":" if tok.string == "except" else None)
            if tok.string == "except" and len(commas) == 1:
                found.append("`except E, e:`")
                comma = tokens[commas[0]]
                edits.append(_Edit(comma.start[0], comma.start[1], comma.end[1], " as "))
            elif tok.string == "raise" and commas:
                found.append("`raise E, value`")
                comma, last = tokens[commas[0]], tokens[end - 1]
                edits.append(_Edit(comma.start[0], comma.start[1], comma.end[1], "("))
                edits.append(_Edit(last.end[0], last.end[1], last.end[1], ")"))


def _starts_statement(tokens: list[tokenize.TokenInfo], i: int) -> bool:
    if i == 0:
        return True
    prev = tokens[i - 1]
    return prev.type in _STARTS or (prev.type == tokenize.OP and prev.string in (";", ":"))


def _is_statement_form(nxt: tokenize.TokenInfo) -> bool:
    """Whether the token after ``print``/``exec`` makes it a Python 2 statement (not a call or a name)."""
    if nxt.type in (tokenize.NEWLINE, tokenize.ENDMARKER):
        return True
    if nxt.type == tokenize.OP:
        return nxt.string in (">>", ";", "{", "-", "~")
    return nxt.type in (tokenize.NAME, tokenize.STRING, tokenize.NUMBER, tokenize.ERRORTOKEN)


def _statement_end(tokens: list[tokenize.TokenInfo], i: int) -> int:
    """The index of the NEWLINE (or ``;``) that ends the statement going on at ``i``."""
    depth = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.type in (tokenize.NEWLINE, tokenize.ENDMARKER) or (tok.type == tokenize.OP and tok.string == ";"
                                                                 and not depth):
            return i
        if tok.type == tokenize.OP and tok.string in _OPEN:
            depth += 1
        elif tok.type == tokenize.OP and tok.string in _CLOSE:
            depth = max(depth - 1, 0)
        i += 1
    return i


def _top_commas(tokens: list[tokenize.TokenInfo], start: int, end: int, stop: str | None) -> list[int]:
    depth, commas = 0, []
    for i in range(start, end):
        tok = tokens[i]
        if tok.type != tokenize.OP:
            continue
        if tok.string in _OPEN:
            depth += 1
        elif tok.string in _CLOSE:
            depth = max(depth - 1, 0)
        elif not depth and tok.string == stop:
            break
        elif not depth and tok.string == ",":
            commas.append(i)
    return commas


def _literals(tokens: list[tokenize.TokenInfo], edits: list[_Edit], found: list[str]) -> None:
    """Backticks (to ``repr()``), ``ur''`` strings, ``0777`` octals, ``10L`` longs and ``<>``."""
    open_tick = False
    for tok, nxt in zip(tokens, [*tokens[1:], None], strict=True):
        adjacent = nxt is not None and nxt.start == tok.end
        if tok.type == tokenize.ERRORTOKEN and tok.string == "`":
            found.append("backticks")
            edits.append(_Edit(tok.start[0], tok.start[1], tok.end[1], ")" if open_tick else "repr("))
            open_tick = not open_tick
        elif nxt is None or not adjacent:
            continue
        elif tok.type == tokenize.NAME and tok.string.lower() == "ur" and nxt.type == tokenize.STRING:
            found.append("`ur''` string")
            edits.append(_Edit(tok.start[0], tok.start[1], tok.end[1], "r"))
        elif tok.type == tokenize.NUMBER and tok.string == "0" and nxt.type == tokenize.NUMBER \
                and nxt.string.isdigit():
            found.append("octal literal without 0o")
            edits.append(_Edit(tok.start[0], tok.start[1], tok.end[1], "0o"))
        elif tok.type == tokenize.NUMBER and nxt.type == tokenize.NAME and nxt.string in ("L", "l"):
            found.append("long integer suffix L")
            edits.append(_Edit(nxt.start[0], nxt.start[1], nxt.end[1], ""))
        elif tok.type == tokenize.OP and tok.string == "<" and nxt.type == tokenize.OP and nxt.string == ">":
            found.append("`<>` operator")
            edits.append(_Edit(tok.start[0], tok.start[1], nxt.end[1], "!="))


def _apply(source: str, edits: list[_Edit]) -> str:
    """The source with the edits made; every line stays where it was (line numbers hold)."""
    lines = source.splitlines(keepends=True)
    for edit in sorted(edits, key=lambda e: (e.row, e.start, e.end), reverse=True):
        if 0 < edit.row <= len(lines):
            line = lines[edit.row - 1]
            lines[edit.row - 1] = line[:edit.start] + edit.text + line[edit.end:]
    return "".join(lines)
