"""Application modules written for a newer Python, read on an older one: PEP 695's type parameters (3.12), with
PEP 696's defaults (3.13).

``def first[T](items: list[T]) -> T``, ``class Box[T](Base)`` and ``type Alias = int | None`` do not parse
before 3.12, and a project that runs on 3.12 writes them in the very modules its models live in (held-out-21
#89-#92: palace's ``HasSessionCache`` mixin, unreadable on 3.11, hid that it adds no column). What the reader
needs of such a module (its classes, bases, assignments, imports) does not depend on the type parameters, so
when a module does not parse, it is parsed once more with them left out, token by token on the same lines:
``def first   (items: ...)``, ``class Box   (Base)``, ``Alias = int | None``; Python 3.14's ``except A, B:``
gets its parentheses too (excepts.py). Anything else that does not parse stays an error, reported as before.
"""

from __future__ import annotations

import ast
import io
import tokenize

from migcheck.extract.models.excepts import parenthesized_excepts

_OPENS = {"(": ")", "[": "]", "{": "}"}
_STATEMENT_START = {tokenize.NEWLINE, tokenize.NL, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING}


def parse_module(text: str) -> ast.Module:
    """``ast.parse(text)``; a module this Python cannot parse only for its type parameters is read without them,
    and one written with Python 3.14's ``except A, B:`` as ``except (A, B):`` (excepts.py). Raises what
    ``ast.parse`` raised when the rewritten text does not parse either."""
    try:
        return ast.parse(text)
    except SyntaxError:
        plain = without_type_params(text) or text
        rewritten = parenthesized_excepts(plain) or (plain if plain is not text else None)
        if rewritten is None:
            raise
        try:
            return ast.parse(rewritten)
        except (SyntaxError, ValueError):
            pass
        raise


def without_type_params(text: str) -> str | None:
    """``text`` with PEP 695 type parameter lists blanked and ``type X = ...`` read as ``X = ...`` (the lines
    and the other columns unchanged); None when there are none, or the text cannot be tokenized."""
    try:
        tokens = [t for t in tokenize.generate_tokens(io.StringIO(text).readline) if t.type != tokenize.COMMENT]
    except (tokenize.TokenError, SyntaxError, ValueError):  # IndentationError is a SyntaxError
        return None
    starts = [0]
    for line in io.StringIO(text):
        starts.append(starts[-1] + len(line))
    edits: list[tuple[int, int, str]] = []  # (start, end, replacement)

    def offset(position: tuple[int, int]) -> int:
        return starts[position[0] - 1] + position[1]

    def blank(open_index: int, close: int) -> bool:
        """Blank ``[...]``; the line breaks inside it move past the ``(`` that follows (the parameters',
        or the bases'), where they are still inside brackets: every later line keeps its number."""
        start, end = offset(tokens[open_index].start), offset(tokens[close].end)
        span = text[start:end]
        breaks = "".join(c for c in span if c in "\r\n")
        edits.append((start, end, "".join(" " for c in span if c not in "\r\n")))
        if not breaks:
            return True
        follower = tokens[close + 1] if close + 1 < len(tokens) else None
        if follower is None or follower.exact_type != tokenize.LPAR:
            return False
        where = offset(follower.end)
        edits.append((where, where, breaks))
        return True

    depth = 0  # brackets open: ``def``, ``class`` and ``type`` statements start outside any
    i = 0
    while i < len(tokens) - 2:
        tok, name, after = tokens[i], tokens[i + 1], tokens[i + 2]
        if tok.type == tokenize.OP and tok.string in _OPENS:
            depth += 1
        elif tok.type == tokenize.OP and tok.string in (")", "]", "}"):
            depth = max(depth - 1, 0)
        elif depth == 0 and tok.type == tokenize.NAME and name.type == tokenize.NAME:
            if tok.string in ("def", "class") and after.exact_type == tokenize.LSQB:
                close = _closing(tokens, i + 2)
                if close is None or not blank(i + 2, close):
                    return None
                i = close + 1  # each token is scanned once: a stranger's text stays linear
                continue
            if tok.string == "type" and (i == 0 or tokens[i - 1].type in _STATEMENT_START
                                         or tokens[i - 1].exact_type == tokenize.SEMI):
                close = _closing(tokens, i + 2) if after.exact_type == tokenize.LSQB else i + 1
                if close is None:
                    return None
                if close + 1 < len(tokens) and tokens[close + 1].exact_type == tokenize.EQUAL:
                    edits.append((offset(tok.start), offset(name.start), ""))
                    if close != i + 1 and not blank(i + 2, close):
                        return None
                    i = close + 1
                    continue
        i += 1
    if not edits:
        return None
    out: list[str] = []
    last = 0
    for start, end, replacement in sorted(edits):
        if start < last:
            return None  # overlapping edits: not the shapes above
        out.append(text[last:start])
        out.append(replacement)
        last = end
    out.append(text[last:])
    return "".join(out)


def _closing(tokens: list[tokenize.TokenInfo], index: int) -> int | None:
    """The index of the bracket that closes the one at ``index``."""
    stack: list[str] = []
    for j in range(index, len(tokens)):
        string = tokens[j].string if tokens[j].type == tokenize.OP else ""
        if string in _OPENS:
            stack.append(_OPENS[string])
        elif stack and string == stack[-1]:
            stack.pop()
            if not stack:
                return j
        elif string in (")", "]", "}"):
            return None
    return None
