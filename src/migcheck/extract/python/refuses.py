"""Statements that can only raise: a bare name the module binds nowhere (``fail``) ends a function like ``raise``.

Projects refuse a downgrade by writing a name that does not exist as its first statement (held-out-20, assembl:
``def downgrade(pyramid_env): fail``): Python raises NameError there, Alembic rolls back, and nothing after it
runs. A bare expression statement of a *bound* name does nothing, so only an unbound one is read as a refusal.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Callable

#: Python 2's builtins: a Python 2 history may name them bare, and they are bound there.
_PYTHON2_BUILTINS = frozenset({
    "apply", "basestring", "buffer", "cmp", "coerce", "execfile", "file", "intern", "long", "raw_input",
    "reduce", "reload", "unichr", "unicode", "xrange",
})
_BUILTINS = frozenset(dir(builtins)) | _PYTHON2_BUILTINS | {"__file__", "__name__", "__doc__", "__builtins__"}


def bare_unbound_name(stmt: ast.stmt, bound: Callable[[], frozenset[str]]) -> str | None:
    """The name when ``stmt`` is only a name that nothing in the module binds (``bound()``: the names of
    nodes.binding_counts, asked only then), so it raises NameError when reached; never when ``from x import *``
    may bind any name."""
    if not isinstance(stmt, ast.Expr) or not isinstance(stmt.value, ast.Name) or stmt.value.id in _BUILTINS:
        return None
    names = bound()
    return None if stmt.value.id in names or "*" in names else stmt.value.id


def refuses(body: list[ast.stmt], bound: Callable[[], frozenset[str]]) -> bool:
    """Whether ``body`` raises before doing anything: after only ``pass`` and docstrings, a ``raise`` or a bare
    unbound name."""
    for stmt in body:
        if isinstance(stmt, ast.Pass) or (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)):
            continue
        return isinstance(stmt, ast.Raise) or bare_unbound_name(stmt, bound) is not None
    return False
