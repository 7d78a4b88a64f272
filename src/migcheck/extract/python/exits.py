"""Early exits: a step after one may not run, though nothing around it says so (mayrun27).

``if flag: return`` (or ``continue`` / ``break`` in a loop, or a ``raise`` that a ``try`` around it may catch) leaves
the rest of the body unrun while the revision completes: the walker counts the exits it reaches (``Exits``) and
walks what follows one in the same body as a block that may not run (``Scope.may_not_run``). A ``raise`` nothing
in the function catches is no such exit: the revision fails, loudly, and no step after it is silently skipped.
Nor is the exit of offline mode (``if context.is_offline_mode(): return``): what follows is what every database
migrated online runs. ``with contextlib.suppress(...)`` swallows the first failure of its block and skips the rest,
so every step in it may not have run (the first one may have failed).

``sys.exit()``, ``os._exit()``, ``exit()`` and ``raise SystemExit`` end the process, quietly (``sys.exit(0)``: the
command succeeds): nothing after them runs, in the function or in its caller, and a ``try`` may not catch them
(``except Exception`` does not); what follows one may not run (``Exits.ends``), and where it is certainly reached
(``if dialect != "postgresql": sys.exit(0)`` on SQLite) it ends the body as a ``return`` does. ``assert <test>`` is ``if not
<test>: raise AssertionError``: ``assert False``, or a dialect test false on the target, ends the body as a ``raise``
does (``assert bind.dialect.name == "postgresql"``: the rest runs only on PostgreSQL).
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Collection
from dataclasses import dataclass

from migcheck.extract.python.nodes import _call_name, binding_counts, rebinds_out_of_sight
from migcheck.vocabulary.astwalk import module_nodes


@dataclass
class Exits:
    """The early exits the walker has reached, by kind; each kind is forgotten where it stops: a ``return`` at the
    end of a helper inlined, a ``continue`` / ``break`` at the end of its loop, a ``raise`` at the end of the ``try``
    body (or ``suppress`` block) that may catch it."""

    returns: int = 0
    skips: int = 0
    raises: int = 0
    #: Process exits (``sys.exit()``, ``os._exit()``, ``raise SystemExit``): past helpers, loops and ``try``s, nothing
    #: after one runs; forgotten only where every exit is (``restore``: offline mode's, ``if False:``).
    ends: int = 0
    #: ``try`` bodies with handlers (and ``suppress`` blocks) around the point walked: a ``raise`` there may be
    #: caught, and the statements after the ``try`` then run.
    catching: int = 0
    #: Bodies ended by an exception (a ``raise``, a process exit, a failed ``assert``), caught or not: a ``with``
    #: whose ``__exit__`` may swallow it lets the statements after the block run (attack28a).
    thrown: int = 0

    def count(self) -> int:
        return self.returns + self.skips + self.raises + self.ends

    def reached(self, stmt: ast.Return | ast.Raise | ast.Assert | ast.Continue | ast.Break) -> None:
        """``stmt`` leaves the body here (an ``assert``: its test failed)."""
        if isinstance(stmt, ast.Return):
            self.returns += 1
        elif isinstance(stmt, ast.Raise | ast.Assert):
            self.raises += 1 if self.catching else 0
            self.thrown += 1
        else:
            self.skips += 1

    def saved(self) -> tuple[int, int, int, int]:
        return self.returns, self.skips, self.raises, self.ends

    def restore(self, saved: tuple[int, int, int, int]) -> None:
        """Forget the exits reached since ``saved()``: they leave nothing unrun (offline mode's, ``if False:``)."""
        self.returns, self.skips, self.raises, self.ends = saved


@dataclass(frozen=True)
class ProcessExits:
    """The names a module binds to what ends the process, each bound by its import and nowhere else (a revision's
    own ``sys``, ``def exit()`` or ``class SystemExit`` is not Python's)."""

    #: Local name -> ``sys`` or ``os``: ``import sys``, ``import os as o``, ``import os.path``.
    modules: dict[str, str]
    #: ``from sys import exit``, ``from os import _exit as quit_now``, and the builtins ``exit`` / ``quit`` when the
    #: module binds no such name.
    functions: frozenset[str]
    #: Whether ``SystemExit`` is the builtin (the module binds no such name).
    system_exit: bool


#: No name of the module is sure to end the process (attack28a).
_NO_EXITS = ProcessExits({}, frozenset(), system_exit=False)
#: What ends the process, as the attribute a module or ``builtins`` holds it in.
_EXIT_ATTRIBUTES = frozenset({"exit", "_exit", "quit", "SystemExit"})


def _rebinds_exits(node: ast.AST) -> bool:
    """Whether ``node`` may make ``sys.exit()``, ``exit()`` or ``SystemExit`` something else out of a binding's
    sight (attack28a): ``sys.exit = print``, ``import builtins`` (``builtins.exit = ...``), ``del os._exit``,
    ``setattr(sys, ...)``, ``sys.__setattr__(...)``, ``from tools import *`` (its ``exit`` may return), ``globals()``,
    ``__builtins__``, ``__import__``."""
    if rebinds_out_of_sight(node):
        return True
    if isinstance(node, ast.Attribute):
        return node.attr in _REACHERS or (node.attr in _EXIT_ATTRIBUTES and isinstance(node.ctx, ast.Store | ast.Del))
    if isinstance(node, ast.Import | ast.ImportFrom):
        modules = [alias.name for alias in node.names] if isinstance(node, ast.Import) else [node.module or ""]
        if any(module.split(".")[0] in {"builtins", "importlib"} for module in modules):
            return True  # builtins.exit = print, getattr(builtins, "setattr")(sys, "exit", print)
    return isinstance(node, ast.Name) and node.id in _REACHERS


#: Names that reach a module's attributes or the builtins without naming them.
_REACHERS = frozenset({"delattr", "__builtins__", "__setattr__", "__delattr__", "__import__", "import_module"})


#: The module function that ends the process, per module.
_EXIT_FUNCTIONS = {"sys": "exit", "os": "_exit"}


def _imported_once(tree: ast.Module, counts: dict[str, int]) -> dict[str, str]:
    """The module's names bound by imports only, each to one thing: local name -> ``module`` (``import sys as s``)
    or ``module.name`` (``from sys import exit``). A name imported more than once (at the top and again in
    ``upgrade()``) counts when every import binds it to the same thing; bound any other way too, it does not."""
    imported: dict[str, list[str]] = {}  # local name -> what each import binding it binds it to
    for node in module_nodes(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                module = alias.name if alias.asname else alias.name.split(".")[0]
                imported.setdefault(alias.asname or module, []).append(module)
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                imported.setdefault(alias.asname or alias.name, []).append(
                    f"{'.' * node.level}{node.module or ''}.{alias.name}")
    return {name: what[0] for name, what in imported.items() if counts.get(name) == len(what) and len(set(what)) == 1}


def process_exits(tree: ast.Module) -> ProcessExits:
    """ProcessExits of ``tree``: one count of its bindings and one walk of its imports. A name imported so more than
    once (``import sys`` at the top and again in ``upgrade()``) counts; bound any other way too, it does not. A
    module that may rebind them out of sight (``_rebinds_exits``) has none: its exits are read as plain calls."""
    counts = binding_counts(tree)
    if any(_rebinds_exits(node) for node in module_nodes(tree)):
        return _NO_EXITS  # `sys.exit = print`, `from tools import *` (may bind exit): exit() may return
    only = _imported_once(tree, counts)
    functions = {name for name, what in only.items() if what in {f"{m}.{fn}" for m, fn in _EXIT_FUNCTIONS.items()}}
    functions.update(name for name in ("exit", "quit") if name not in counts)  # the builtins: SystemExit too
    return ProcessExits({name: what for name, what in only.items() if what in _EXIT_FUNCTIONS}, frozenset(functions),
                        "SystemExit" not in counts)


def ends_process(stmt: ast.stmt, names: Callable[[], ProcessExits], bare_calls: bool) -> bool:
    """Whether ``stmt`` ends the process: ``sys.exit(...)`` or ``os._exit(...)`` called as a statement (through the
    names the module imported for them), or ``raise SystemExit`` / ``raise SystemExit(...)``. ``names()``
    (process_exits) is asked only of those shapes, and of a call of a bare name only when ``bare_calls`` (the
    module's text says ``exit`` or ``quit`` at all)."""
    if isinstance(stmt, ast.Raise):
        exc = stmt.exc.func if isinstance(stmt.exc, ast.Call) else stmt.exc
        return isinstance(exc, ast.Name) and exc.id == "SystemExit" and names().system_exit
    if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)):
        return False
    func = stmt.value.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.attr in ("exit", "_exit"):
        module = names().modules.get(func.value.id)
        return module is not None and _EXIT_FUNCTIONS[module] == func.attr
    return bare_calls and isinstance(func, ast.Name) and func.id in names().functions


def suppress_names(tree: ast.Module) -> frozenset[str]:
    """The names the module binds to ``contextlib.suppress`` (``from contextlib import suppress as quiet``), at
    its top or inside a function, and those it assigns a ``suppress(...)`` block to (``quiet = suppress(E)``, then
    ``with quiet:``): both hid the block's steps (attack27a)."""
    nodes = module_nodes(tree)  # the walk the module's other questions share
    names = {alias.asname or alias.name for node in nodes if isinstance(node, ast.ImportFrom)
             and node.module == "contextlib" for alias in node.names if alias.name == "suppress"}
    for node in nodes:
        if isinstance(node, ast.Assign | ast.AnnAssign) and isinstance(node.value, ast.Call) \
                and suppresses(node.value, lambda: names):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(target.id for target in targets if isinstance(target, ast.Name))
    return frozenset(names)


def suppresses(expr: ast.expr, names: Callable[[], Collection[str]]) -> bool:
    """Whether ``expr`` (a ``with`` item, or the value a name is bound to) is a ``contextlib.suppress(...)`` block:
    a call of ``suppress`` / ``<...>.suppress``, or of a name the module imported for it, or a name bound to such a
    block. The one place that decides; ``names()`` (suppress_names) is asked only of a bare name, where it decides."""
    if isinstance(expr, ast.Name):
        return expr.id in names()
    if not isinstance(expr, ast.Call):
        return False
    if isinstance(expr.func, ast.Name):
        return expr.func.id == "suppress" or expr.func.id in names()
    return _call_name(expr) == "suppress"


def contextlib_suppress(tree: ast.Module) -> frozenset[str]:
    """How the module calls ``contextlib.suppress`` for certain: ``suppress`` / ``quiet`` (``from contextlib import
    suppress as quiet``) and ``contextlib.suppress`` / ``cl.suppress`` (``import contextlib as cl``), each name bound
    by those imports only. A ``suppress`` of the revision's own, of another library or rebound may swallow nothing
    (attack29a)."""
    only = _imported_once(tree, binding_counts(tree))
    return frozenset({name for name, what in only.items() if what == "contextlib.suppress"}
                     | {f"{name}.suppress" for name, what in only.items() if what == "contextlib"})


def suppress_handler(expr: ast.expr, calls: frozenset[str]) -> ast.ExceptHandler | None:
    """The ``except`` clause a ``with contextlib.suppress(A, B):`` block amounts to, ``except (A, B): pass``, so
    the walker judges what it swallows as it judges a ``try`` (held-out-29 #133: ``suppress(Exception)`` around an
    ALTER SQLite refuses). None for a block whose exceptions are not written there (a name bound to a block), that
    lists none (``suppress()`` swallows nothing), or that is not a call of ``contextlib.suppress`` (``calls``:
    contextlib_suppress): another item of the same ``with`` (``with suppress(KeyError), timer(Exception):``), a
    ``suppress`` of the revision's own or of another module (attack29a)."""
    if not isinstance(expr, ast.Call) or not expr.args or expr.keywords \
            or any(isinstance(arg, ast.Starred) for arg in expr.args):
        return None
    func = expr.func
    called = func.id if isinstance(func, ast.Name) else f"{func.value.id}.{func.attr}" \
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) else None
    if called not in calls:
        return None
    kind = expr.args[0] if len(expr.args) == 1 else ast.Tuple(elts=list(expr.args), ctx=ast.Load())
    return ast.ExceptHandler(type=kind, name=None, body=[ast.Pass()])


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
