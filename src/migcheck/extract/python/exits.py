"""Early exits: a step after one may not run, though nothing around it says so (mayrun27).

``if flag: return`` (or ``continue`` / ``break`` in a loop, or a ``raise`` that a ``try`` around it may catch) leaves
the rest of the body unrun while the revision completes: the walker counts the exits it reaches (``Exits``) and
walks what follows one in the same body as a block that may not run (``Scope.may_not_run``). A ``raise`` nothing
in the function catches is no such exit: the revision fails, loudly, and no step after it is silently skipped.
Nor is the exit of offline mode (``if context.is_offline_mode(): return``): what follows is what every database
migrated online runs. ``with contextlib.suppress(...)`` swallows the first failure of its block and skips the rest,
so every step in it may not have run (the first one may have failed).
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass

from migcheck.extract.python.nodes import _call_name, binding_counts
from migcheck.vocabulary.astwalk import module_nodes


@dataclass
class Exits:
    """The early exits the walker has reached, by kind; each kind is forgotten where it stops: a ``return`` at the
    end of a helper inlined, a ``continue`` / ``break`` at the end of its loop, a ``raise`` at the end of the ``try``
    body (or ``suppress`` block) that may catch it."""

    returns: int = 0
    skips: int = 0
    raises: int = 0
    #: ``try`` bodies with handlers (and ``suppress`` blocks) around the point walked: a ``raise`` there may be
    #: caught, and the statements after the ``try`` then run.
    catching: int = 0

    def count(self) -> int:
        return self.returns + self.skips + self.raises

    def reached(self, stmt: ast.Return | ast.Raise | ast.Continue | ast.Break) -> None:
        if isinstance(stmt, ast.Return):
            self.returns += 1
        elif isinstance(stmt, ast.Raise):
            self.raises += 1 if self.catching else 0
        else:
            self.skips += 1


def suppress_names(tree: ast.Module) -> frozenset[str]:
    """The names the module binds to ``contextlib.suppress`` (``from contextlib import suppress as quiet``), at
    its top or inside a function, and those it assigns a ``suppress(...)`` block to (``quiet = suppress(E)``, then
    ``with quiet:``): both hid the block's steps (attack27a)."""
    nodes = module_nodes(tree)  # the walk the module's other questions share
    names = {alias.asname or alias.name for node in nodes if isinstance(node, ast.ImportFrom)
             and node.module == "contextlib" for alias in node.names if alias.name == "suppress"}
    for node in nodes:
        if isinstance(node, ast.Assign | ast.AnnAssign) and isinstance(node.value, ast.Call) \
                and _suppress_call(node.value, names):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(target.id for target in targets if isinstance(target, ast.Name))
    return frozenset(names)


def suppresses(item: ast.withitem, names: Callable[[], frozenset[str]]) -> bool:
    """``with contextlib.suppress(...)``, or a name the module imported for it or bound to such a block.
    ``names()`` (suppress_names) is asked only of a bare name, where it decides."""
    expr = item.context_expr
    if isinstance(expr, ast.Name):
        return expr.id in names()
    if not isinstance(expr, ast.Call):
        return False
    if isinstance(expr.func, ast.Name):
        return expr.func.id == "suppress" or expr.func.id in names()
    return _call_name(expr) == "suppress"


def _suppress_call(expr: ast.Call, names: set[str] | frozenset[str]) -> bool:
    if isinstance(expr.func, ast.Name):
        return expr.func.id in names or expr.func.id == "suppress"
    return _call_name(expr) == "suppress"


def context_names(tree: ast.Module) -> frozenset[str]:
    """The names that are Alembic's ``context`` (``from alembic import context``) and bound nowhere else in the
    module: a revision's own ``class context:`` whose ``is_offline_mode()`` reads the environment is no offline
    mode's test (attack27a)."""
    counts = binding_counts(tree)
    return frozenset(name for node in tree.body if isinstance(node, ast.ImportFrom) and node.module == "alembic"
                     and not node.level for alias in node.names if alias.name == "context"
                     and counts.get(name := alias.asname or alias.name) == 1)


def offline_test(test: ast.expr, contexts: Callable[[], frozenset[str]]) -> bool | None:
    """True when ``if <test>:`` takes its body in offline mode only (``context.is_offline_mode()``, ``context`` one
    of ``contexts()``: context_names, a walk of the module asked only of such a call), False when it takes its
    ``else`` there (``not context.is_offline_mode()``), None for any other test."""
    offline = True
    while isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        test, offline = test.operand, not offline
    if isinstance(test, ast.Call) and not test.args and not test.keywords and isinstance(test.func, ast.Attribute) \
            and test.func.attr == "is_offline_mode" and isinstance(test.func.value, ast.Name) \
            and test.func.value.id in contexts():
        return offline
    return None
