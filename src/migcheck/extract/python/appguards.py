"""Dialect tests made by a helper the revision imports from the application (``if is_postgresql(bind):``).

The extractor reads the revision alone (the load cache is keyed by its text), so it cannot know what such a helper
returns: it records, on each change of a branch that depends on one, which helper and which truth the branch needs
(``Change.app_dialect_guards``). The engine then asks the application's source (extract/models/dialects.py) what
the helper returns on the target dialect, and leaves out the changes of the branch that dialect never takes.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping

from migcheck.extract.python.appvalues import AppRef
from migcheck.vocabulary.changes import Change

#: (module, function, how many positional arguments the call passes, the keywords it passes).
Called = tuple[str, str, int, tuple[str, ...]]
#: Called, and the truth the branch needs.
AppGuard = tuple[str, str, int, tuple[str, ...], bool]


def helper_called(node: ast.expr, imports: Callable[[], Mapping[str, AppRef]]) -> Called | None:
    """``f(...)`` where ``f`` is bound once, at module level, by ``from module import f``, its arguments plain.
    ``imports()`` (a walk of the module) is asked only for a call of a plain name."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
        return None
    ref = imports().get(node.func.id)
    if ref is None or len(ref[1]) != 1 or any(isinstance(a, ast.Starred) for a in node.args) \
            or any(k.arg is None for k in node.keywords):
        return None
    return ref[0], ref[1][0], len(node.args), tuple(str(k.arg) for k in node.keywords)


def app_guard(test: ast.expr, imports: Callable[[], Mapping[str, AppRef]],
              names: Mapping[str, Called]) -> AppGuard | None:
    """The guard an ``if`` test makes when true: ``is_postgresql(conn)``, ``not is_mysql(conn)``, or a local name
    bound once to such a call (``pg = is_postgresql(conn)``; ``names``)."""
    truth = True
    while isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        test, truth = test.operand, not truth
    called = names.get(test.id) if isinstance(test, ast.Name) else helper_called(test, imports)
    return None if called is None else (*called, truth)


def mark_guarded(changes: list[Change], guard: AppGuard) -> None:
    """``changes`` run only when the helper's result has the guard's truth."""
    for change in changes:
        change.app_dialect_guards = (*change.app_dialect_guards, guard)
