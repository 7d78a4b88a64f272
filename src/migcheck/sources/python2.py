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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from migcheck.vocabulary.revision import Migration

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


def module_tree(source: str) -> ast.Module:
    """A module's tree as the loader reads a revision: parsed, or, when this interpreter cannot parse it, through
    ``python3_tree`` (Python 2, or Python 3.14's ``except A, B:``, rewritten on the same lines). Raises the
    SyntaxError when neither reads it. For env.py (held-out-28 #68) and the rules that re-read a revision's module;
    the models reader, below this layer, has its own rewrite of ``except A, B:`` (extract/models/excepts.py)."""
    try:
        return ast.parse(source)
    except SyntaxError:
        rescued = python3_tree(source)
        if rescued is None:
            raise
        return rescued[0]


def python3_tree(source: str) -> tuple[ast.Module, tuple[str, ...]] | None:
    """The module parsed after rewriting its Python-2-only constructs, and which were found; None when the
    file parses as it is (Python 3 under this interpreter is never Python 2), when there were none, or when
    the rewritten text still does not parse (a genuine syntax error). No constructs, with a tree, when the
    file is Python 3 of a newer grammar than this interpreter's: ``except A, B:`` (PEP 758, Python 3.14)."""
    try:
        ast.parse(source)
        return None
    except TabError:
        tabs = True
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        tabs = False
    if tabs:
        source = _tabs_expanded(source)
        try:
            return ast.parse(source), (_TABS,)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            pass  # tabs and other Python 2 constructs: rewrite those too, in the expanded text
    rescued = _rewritten(source, tabs)
    if rescued is None and not tabs and "\t" in source:
        # a Python 2 construct before the mixed indentation stops the parser first (not a TabError)
        expanded = _tabs_expanded(source)
        if expanded != source:
            rescued = _rewritten(expanded, True)
    return rescued


def _rewritten(source: str, tabs: bool) -> tuple[ast.Module, tuple[str, ...]] | None:
    """``python3_tree`` past the first parse: the Python 2 constructs rewritten, and the result parsed;
    ``tabs`` when the source's indentation was expanded as Python 2 reads it (Python 2 evidence itself)."""
    found = [_TABS] if tabs else []
    try:
        tokens = [t for t in tokenize.generate_tokens(io.StringIO(source).readline)
                  if t.type not in _NOISE and not (t.type == tokenize.ERRORTOKEN and t.string.isspace())]
    except _TOKENIZE_ERRORS:
        return None
    edits: list[_Edit] = []
    handlers: list[_Handler] = []
    _statements(tokens, edits, found, handlers)
    _literals(tokens, edits, found)
    if not edits and not handlers:
        return None
    if not edits and not tabs:
        return _except_commas_only(source, handlers)
    return _parsed(source, edits + [e for h in handlers for e in h.as_edits], found)


#: What a file whose indentation mixes tabs and spaces is said to hold.
TABS = "tabs mixed with spaces in indentation (read with Python 2's 8-column tabs)"
_TABS = TABS


def _tabs_expanded(source: str) -> str:
    """The source with the tabs of every line's indentation expanded to 8 columns, as Python 2 reads them.

    Python 3 refuses indentation whose meaning depends on a tab's width (TabError); Python 2 takes a tab to
    the next multiple of 8, so four spaces and a tab reach column 8, as 8 spaces do, and Alembic imports the
    file under it. Only leading whitespace changes (a string's own leading tabs become spaces too, which
    changes nothing migcheck reads from SQL); every line stays where it was."""
    lines = source.splitlines(keepends=True)
    for n, line in enumerate(lines):
        body = line.lstrip(" \t")
        indent = line[:len(line) - len(body)]
        if "\t" in indent:
            lines[n] = indent.expandtabs(8) + body
    return "".join(lines)


def _parsed(source: str, edits: list[_Edit], found: Sequence[str]) -> tuple[ast.Module, tuple[str, ...]] | None:
    try:
        tree = ast.parse(_apply(source, edits))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    return tree, tuple(dict.fromkeys(found))


@dataclass
class _Handler:
    """An ``except A, B:`` clause: Python 2's ``except A as B`` when it has one comma (``as_edits``; none when
    it has more), Python 3.14's ``except (A, B):`` (``tuple_edits``)."""

    line: int
    as_edits: list[_Edit]
    tuple_edits: list[_Edit]
    #: ``except (A, B), e:``: the exceptions already grouped in parentheses, Python 2's way of catching several
    #: and binding one name (Python 3.14 drops the parentheses; it has no reason to group some of them).
    grouped: bool = False


def _except_commas_only(source: str, handlers: list[_Handler]) -> tuple[ast.Module, tuple[str, ...]] | None:
    """A file whose only unparsable construct is ``except A, B:``: Python 2 binds B, Python 3.14 (PEP 758)
    catches A or B. It is Python 2 only on decisive evidence: Python 3.14 cannot read it, or no construct only
    Python 3 has (an annotation, an f-string...) is there and a handler groups its exceptions in parentheses
    before the comma or uses the name the comma would bind."""
    as_python2 = _parsed(source, [e for h in handlers for e in h.as_edits], ["`except E, e:`"]) \
        if all(h.as_edits for h in handlers) else None
    as_python3 = _parsed(source, [e for h in handlers for e in h.tuple_edits], [])
    if as_python3 is not None and (as_python2 is None or _python3_only(as_python3[0])
                                   or not (any(h.grouped for h in handlers)
                                           or _binds_a_used_name(as_python2[0], {h.line for h in handlers}))):
        return as_python3
    return as_python2


#: Syntax Python 2 has not: any of it makes a file Python 3.
_PYTHON3_ONLY = (ast.JoinedStr, ast.AnnAssign, ast.Nonlocal, ast.AsyncFunctionDef, ast.AsyncFor, ast.AsyncWith,
                 ast.Await, ast.YieldFrom, ast.NamedExpr, ast.Match)


def _python3_only(tree: ast.Module) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, _PYTHON3_ONLY) or (isinstance(node, ast.Raise) and node.cause is not None) \
                or (isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult)) \
                or (isinstance(node, ast.Starred) and isinstance(node.ctx, ast.Store)):  # a, *rest = ...; not f(*a)
            return True
        if isinstance(node, ast.FunctionDef | ast.Lambda):
            arguments = node.args
            if arguments.kwonlyargs or arguments.posonlyargs or (isinstance(node, ast.FunctionDef) and node.returns) \
                    or any(a.annotation for a in [*arguments.args, *arguments.kwonlyargs]):
                return True
    return False


def _binds_a_used_name(tree: ast.Module, lines: set[int]) -> bool:
    """Whether a handler read as ``except A as B`` (on one of ``lines``) reads B in its body."""
    return any(isinstance(n, ast.Name) and n.id == node.name and isinstance(n.ctx, ast.Load)
               for node in ast.walk(tree)
               if isinstance(node, ast.ExceptHandler) and node.lineno in lines and node.name
               for stmt in node.body for n in ast.walk(stmt))


def _statements(tokens: list[tokenize.TokenInfo], edits: list[_Edit], found: list[str],
                handlers: list[_Handler]) -> None:
    """``print x`` / ``exec code`` (to calls), ``raise E, value`` (to a call); ``except A, B:`` is kept in
    ``handlers``, with both its readings.

    Where each statement ends and where its next top-level comma and colon are come from one pass over the
    tokens (``_Marks``): scanning forward from every statement start was quadratic in a line of many of
    them (``lambda: lambda: ...`` 20,000 deep, 86 s)."""
    marks = _Marks(tokens)
    for i, tok in enumerate(tokens):
        if tok.type != tokenize.NAME or marks.depth[i] or not _starts_statement(tokens, i):
            continue
        if tok.string in ("print", "exec") and _is_statement_form(tokens[i + 1]):
            end = marks.end[i + 1]
            found.append(f"{tok.string} statement")
            edits.append(_Edit(tok.start[0], tok.start[1], tok.end[1], tok.string + "("))
            if tokens[i + 1].string == ">>":  # print >>stream, x
                nxt = tokens[i + 1]
                edits.append(_Edit(nxt.start[0], nxt.start[1], nxt.end[1], ""))
            last = tokens[end - 1] if end - 1 > i else tok
            edits.append(_Edit(last.end[0], last.end[1], last.end[1], ")"))
        elif tok.string == "except":
            stop = min(marks.end[i + 1], marks.colon[i + 1])
            first = marks.comma[i + 1]
            if first < stop and stop < len(tokens):
                comma, colon = tokens[first], tokens[stop]
                one = marks.comma[first + 1] >= stop  # exactly one comma before the colon: Python 2's form too
                as_edits = [_Edit(comma.start[0], comma.start[1], comma.end[1], " as ")] if one else []
                found.extend(["`except E, e:`"] if one else [])
                tuple_edits = [_Edit(tok.end[0], tok.end[1], tok.end[1], " ("),
                               _Edit(colon.start[0], colon.start[1], colon.start[1], ")")]
                grouped = tokens[i + 1].string == "(" and tokens[first - 1].string == ")" \
                    and all(marks.depth[k] for k in range(i + 1, first - 1))
                handlers.append(_Handler(tok.start[0], as_edits, tuple_edits, grouped))
        elif tok.string == "raise":
            end = marks.end[i + 1]
            first = marks.comma[i + 1]
            if first < end:
                found.append("`raise E, value`")
                comma, last = tokens[first], tokens[end - 1]
                edits.append(_Edit(comma.start[0], comma.start[1], comma.end[1], "("))
                edits.append(_Edit(last.end[0], last.end[1], last.end[1], ")"))


class _Marks:
    """For every token position ``k``: the bracket depth after it, and the position (at or after ``k``) of the
    end of the statement (NEWLINE, ENDMARKER or a top-level ``;``), of the next top-level comma and of the next
    top-level colon (``len(tokens)`` when there is none). Top level is depth 0: a statement starts there."""

    def __init__(self, tokens: list[tokenize.TokenInfo]) -> None:
        n = len(tokens)
        self.depth = [0] * n
        level = 0
        for k, tok in enumerate(tokens):
            if tok.type == tokenize.OP and tok.string in _OPEN:
                level += 1
            elif tok.type == tokenize.OP and tok.string in _CLOSE:
                level = max(level - 1, 0)
            self.depth[k] = level
        self.end, self.comma, self.colon = [n] * (n + 1), [n] * (n + 1), [n] * (n + 1)
        for k in range(n - 1, -1, -1):
            tok, top = tokens[k], not self.depth[k]
            op = tok.string if tok.type == tokenize.OP and top else ""
            ends = tok.type in (tokenize.NEWLINE, tokenize.ENDMARKER) or op == ";"
            self.end[k] = k if ends else self.end[k + 1]
            self.comma[k] = k if op == "," else self.comma[k + 1]
            self.colon[k] = k if op == ":" else self.colon[k + 1]


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
    """The source with the edits made; every line stays where it was (line numbers hold).

    Each line is rebuilt once from its pieces (editing it in place once per edit was quadratic in a line of
    many edits). Edits at the same place go in the reverse of the order they were made (``print x`` then
    ``)`` after it)."""
    lines = source.splitlines(keepends=True)
    by_row: dict[int, list[tuple[int, int, int, str]]] = {}
    for order, edit in enumerate(edits):
        if 0 < edit.row <= len(lines):
            by_row.setdefault(edit.row, []).append((edit.start, edit.end, -order, edit.text))
    for row, found in by_row.items():
        line, pieces, cursor = lines[row - 1], [], 0
        for start, end, _, text in sorted(found):
            pieces += [line[cursor:start], text]
            cursor = max(cursor, end)
        lines[row - 1] = "".join(pieces) + line[cursor:]
    return "".join(lines)


# -- Python 2 or Python 3: what the other revisions say -----------------------------------------------------------

#: Dict methods only Python 2 has: ``d.iteritems()`` fails under Python 3.
_PYTHON2_METHODS = frozenset({"iteritems", "itervalues", "iterkeys", "has_key", "viewitems", "viewkeys",
                              "viewvalues"})
#: Built-in names only Python 2 has (counted only where the module binds no such name itself, as the
#: ``unicode = str`` of code written for both does).
_PYTHON2_BUILTINS = frozenset({"xrange", "raw_input", "execfile", "unichr", "basestring", "unicode", "long", "cmp",
                               "reload", "file", "apply", "buffer", "intern", "coerce"})
#: Standard modules only Python 2 has (counted only when imported outside a ``try`` and an ``if``, where code
#: written for both picks one).
_PYTHON2_MODULES = frozenset({"urllib2", "urlparse", "cStringIO", "StringIO", "cPickle", "ConfigParser", "Queue",
                              "__builtin__", "httplib", "HTMLParser", "htmlentitydefs", "cookielib", "Cookie",
                              "SocketServer", "xmlrpclib", "commands", "sets", "md5", "sha", "UserDict", "copy_reg",
                              "thread", "exceptions", "anydbm", "Tkinter"})
#: Words whose absence from a file's text spares parsing it (all of the above, text-wise).
_WORDS = ("iter", "has_key", "view", *_PYTHON2_BUILTINS, *_PYTHON2_MODULES)


def tab_errors(revisions: Sequence[Migration]) -> list[Migration]:
    """The revisions refused by Python 3 only for mixing tabs and spaces (TabError) in a history no revision of which
    shows Python 2 (python2_evidence): the project runs Python 3, which Alembic loads them with, so each is an
    invalid file there, not a Python 2 one (python2-migration-file). With that evidence (held-out-20's assembl,
    a Python 2.7 project: ``.iteritems()`` in eleven revisions) they stay Python 2."""
    tabs_only = [m for m in revisions if m.python2 is not None and m.python2.constructs == (TABS,)]
    if not tabs_only or any(python2_evidence(m) is not None for m in revisions if m.origin == "python"):
        return []
    return tabs_only


def python2_evidence(migration: Migration) -> str | None:
    """What shows ``migration`` was written for Python 2 alone: Python 2 syntax (python2-migration-file), a dict
    method, built-in or standard module Python 3 does not have; None when nothing does. ``u''`` strings, ``from
    __future__ import ...`` and ``six`` are written for both, and say nothing."""
    if migration.python2 is not None and (found := next((c for c in migration.python2.constructs if c != TABS), None)):
        return found
    text = "\n".join(migration.source_lines)
    if not any(word in text for word in _WORDS):
        return None  # most revisions: nothing to parse
    try:
        tree = ast.parse(_tabs_expanded(text) if migration.python2 is not None else text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    bound = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)}
    bound |= {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.ClassDef)}
    bound |= {(a.asname or a.name).split(".")[0] for node in ast.walk(tree)
              if isinstance(node, ast.Import | ast.ImportFrom) for a in node.names}
    bound |= {node.arg for node in ast.walk(tree) if isinstance(node, ast.arg)}
    bound |= {node.name for node in ast.walk(tree) if isinstance(node, ast.ExceptHandler) and node.name}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _PYTHON2_METHODS:
            return f"`.{node.func.attr}()`"
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in _PYTHON2_BUILTINS \
                and node.id not in bound:
            return f"`{node.id}`"
    return next((f"`import {name}`" for name in _unguarded_imports(tree.body) if name in _PYTHON2_MODULES), None)


def _unguarded_imports(body: list[ast.stmt]) -> Iterator[str]:
    """The modules imported at the top of the module or of a function, outside any ``try`` or ``if``."""
    for stmt in body:
        if isinstance(stmt, ast.Import):
            yield from (alias.name for alias in stmt.names)
        elif isinstance(stmt, ast.ImportFrom) and not stmt.level and stmt.module:
            yield stmt.module
        elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            yield from _unguarded_imports(stmt.body)
