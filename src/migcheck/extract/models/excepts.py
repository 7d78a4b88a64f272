"""Modules written for Python 3.14, read on an older one: PEP 758's ``except A, B:`` without parentheses.

Python 3.14 reads ``except TypeError, AttributeError:`` as ``except (TypeError, AttributeError):``; earlier
parsers refuse the whole module. A project that runs on 3.14 writes it in env.py and in its application modules
(held-out-28: funding-service's env.py, whose ``target_metadata`` and ``SET lock_timeout`` went unread on 3.11).
Here each such clause gets its parentheses, token by token on the same line, and nothing else changes. A clause
with ``as`` is left alone: 3.14 refuses ``except A, B as e:`` too.
"""

from __future__ import annotations

import io
import tokenize

_STATEMENT_START = {tokenize.NEWLINE, tokenize.NL, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING}
_SKIPPED = {tokenize.COMMENT, tokenize.NL}


def parenthesized_excepts(text: str) -> str | None:
    """``text`` with every ``except A, B:`` (and ``except* A, B:``) written ``except (A, B):``; None when there is
    none, or the text cannot be tokenized."""
    try:
        tokens = [t for t in tokenize.generate_tokens(io.StringIO(text).readline) if t.type not in _SKIPPED]
    except (tokenize.TokenError, SyntaxError, ValueError):  # IndentationError is a SyntaxError
        return None
    lines = io.StringIO(text).readlines()  # split as tokenize reads them: its rows index this list
    inserts: list[tuple[int, int, str]] = []  # (row, column, text), applied from the end of the text backwards
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if not (tok.type == tokenize.NAME and tok.string == "except"
                and (i == 0 or tokens[i - 1].type in _STATEMENT_START)):
            i += 1
            continue
        first = i + 1
        if first < len(tokens) and tokens[first].exact_type == tokenize.STAR:
            first += 1
        depth, comma, named, j = 0, False, False, first
        while j < len(tokens) and tokens[j].type not in (tokenize.NEWLINE, tokenize.ENDMARKER):
            string = tokens[j].string if tokens[j].type == tokenize.OP else ""
            if string in ("(", "[", "{"):
                depth += 1
            elif string in (")", "]", "}"):
                depth -= 1
            elif depth == 0 and string == ":":
                break
            elif depth == 0 and string == ",":
                comma = True
            elif depth == 0 and tokens[j].type == tokenize.NAME and tokens[j].string == "as":
                named = True
            j += 1
        if comma and not named and j < len(tokens) and tokens[j].string == ":" and j > first:
            inserts.append((*tokens[first].start, "("))
            inserts.append((*tokens[j - 1].end, ")"))
        i = j + 1  # every token is looked at once: a stranger's text stays linear
    if not inserts:
        return None
    for row, column, piece in sorted(inserts, reverse=True):
        line = lines[row - 1]
        lines[row - 1] = line[:column] + piece + line[column:]
    return "".join(lines)
