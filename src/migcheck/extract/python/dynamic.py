"""Calls whose function is looked up by name at run time, in the revision's own module or on an object.

``globals()["name"]()``, ``globals().get("name")()``, ``getattr(sys.modules[__name__], "name")()``,
``sys.modules[__name__].name()``, ``vars(sys.modules[__name__])["name"]()`` and the same bound to a local name first
(``fn = globals()["name"]; fn()``, or ``fn = name; fn()``) all call the module's function ``name``: with a constant
name (a literal, or a local name the walker knows holds one) it is walked like a direct call, within the same limits
(extract/limits.py). A name built from a parameter of the function is Alembic's multidb template (multidb.py).
``getattr(op, "drop_table")(...)`` is ``op.drop_table(...)``.

Any other such call, ``eval(...)`` and ``exec(...)`` included, runs code migcheck cannot read: it is an unread step
(``RawSQL`` with ``understood=False``, reported by raw-sql-not-understood), as ``op.execute(variable)`` and a call
into imported code are, never passed over in silence (a helper that drops a table, called through ``globals().get``,
passed with no finding).
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from migcheck.extract.python.imports import module_import_statements
from migcheck.extract.python.multidb import engine_dispatch, unread
from migcheck.vocabulary.changes import Change

if TYPE_CHECKING:
    from migcheck.extract.python.bindings import Bindings
    from migcheck.extract.python.calls import Calls
    from migcheck.extract.python.scope import Scope

#: Built-in functions that run code given as text: what they run is never read.
_RUNS_TEXT = frozenset({"eval", "exec"})


class ModuleNames:
    """The names a revision binds to ``sys``, to ``sys.modules`` and to ``importlib.import_module``, at any depth."""

    def __init__(self, tree: ast.Module) -> None:
        self.sys: set[str] = set()
        self.modules: set[str] = set()
        self.importers: set[str] = set()
        self.importlib: set[str] = set()
        for node in module_import_statements(tree):
            for alias in node.names:
                if isinstance(node, ast.Import) and alias.name in {"sys", "importlib"}:
                    (self.sys if alias.name == "sys" else self.importlib).add(alias.asname or alias.name)
                elif isinstance(node, ast.ImportFrom) and not node.level and node.module == "sys" \
                        and alias.name == "modules":
                    self.modules.add(alias.asname or alias.name)
                elif isinstance(node, ast.ImportFrom) and not node.level and node.module == "importlib" \
                        and alias.name == "import_module":
                    self.importers.add(alias.asname or alias.name)

    def is_self(self, node: ast.expr) -> bool:
        """``sys.modules[__name__]``, ``sys.modules.get(__name__)``, ``importlib.import_module(__name__)``: the
        revision's own module."""
        if isinstance(node, ast.Subscript):
            return _is_module_name(node.slice) and self._is_modules(node.value)
        if not isinstance(node, ast.Call) or len(node.args) < 1 or not _is_module_name(node.args[0]):
            return False
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "get":
            return self._is_modules(func.value)
        if isinstance(func, ast.Name):
            return func.id in self.importers
        return isinstance(func, ast.Attribute) and func.attr == "import_module" \
            and isinstance(func.value, ast.Name) and func.value.id in self.importlib

    def _is_modules(self, node: ast.expr) -> bool:
        if isinstance(node, ast.Name):
            return node.id in self.modules
        return isinstance(node, ast.Attribute) and node.attr == "modules" and isinstance(node.value, ast.Name) \
            and node.value.id in self.sys

    def namespace(self, node: ast.expr) -> bool:
        """``globals()``, ``vars(<module>)``, ``<module>.__dict__``: the module's names, as a dict."""
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
            if node.func.id == "globals" and not node.args:
                return True
            return node.func.id == "vars" and len(node.args) == 1 and self.is_self(node.args[0])
        return isinstance(node, ast.Attribute) and node.attr == "__dict__" and self.is_self(node.value)

    def key(self, func: ast.expr) -> ast.expr | None:
        """The name looked up when ``func`` takes a value from the revision's own module: ``globals()[key]``,
        ``globals().get(key)``, ``getattr(<module>, key)``, ``<module>.name`` (a constant); None otherwise."""
        if isinstance(func, ast.Subscript) and self.namespace(func.value):
            return func.slice
        if isinstance(func, ast.Call) and isinstance(func.func, ast.Attribute) and func.func.attr == "get" \
                and func.args and self.namespace(func.func.value):
            return func.args[0]
        if isinstance(func, ast.Call) and isinstance(func.func, ast.Name) and func.func.id == "getattr" \
                and len(func.args) >= 2 and self.is_self(func.args[0]):
            return func.args[1]
        if isinstance(func, ast.Attribute) and self.is_self(func.value):
            return ast.copy_location(ast.Constant(func.attr), func)
        return None


def _is_module_name(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id == "__name__"


def callee(walker: Bindings, value: ast.expr, scope: Scope) -> ast.expr | None:
    """What a local name bound to ``value`` calls when it is called: ``value`` itself when it looks a function of the
    module up by name, names one, or looks an operation up with ``getattr``; what an alias bound earlier calls; None
    for anything else."""
    if isinstance(value, ast.Name):
        if value.id in scope.callees:
            return scope.callees[value.id]
        if value.id in walker.functions and value.id not in scope.env:
            return value
        return None
    if walker.module_names.key(value) is not None:
        return value
    parts = _getattr_parts(value)
    if parts is not None and _runs_operations(walker, parts[0], scope):
        return value  # drop = getattr(op, "drop_table"); not value = getattr(row, "name"), read as it was
    return None


def _runs_operations(walker: Bindings, owner: ast.expr, scope: Scope) -> bool:
    """Whether ``owner`` is ``op``, a batch, a connection or a session: a method of it changes the database."""
    return walker._is_op(owner) or (isinstance(owner, ast.Name) and (
        owner.id in scope.batch or owner.id in scope.binds or owner.id in scope.sessions))


def _getattr_parts(node: ast.expr) -> tuple[ast.expr, ast.expr] | None:
    """(object, name) of ``getattr(object, name)`` or ``getattr(object, name, default)``."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr" \
            and len(node.args) in {2, 3} and not node.keywords:
        return node.args[0], node.args[1]
    return None


def dynamic_call(walker: Calls, call: ast.Call, scope: Scope, out: list[Change], active: set[str]) -> bool:
    """Read ``call`` when its function is looked up by name at run time (module docstring); True when it is such a
    call (walked, or reported as unread)."""
    func = call.func
    if isinstance(func, ast.Name):
        if func.id in scope.callees:
            held = scope.callees[func.id]
            return _call_through(walker, call, held, scope, out, active, shown=f"`{func.id}` holds `{_short(held)}`: ")
        if func.id in _RUNS_TEXT and func.id not in walker.functions and func.id not in scope.env:
            unread(walker, call, scope, out, f"`{func.id}()` runs code given as text, which migcheck does not read")
            return True
        return False
    return _call_through(walker, call, func, scope, out, active, shown="")


def _call_through(walker: Calls, call: ast.Call, func: ast.expr, scope: Scope, out: list[Change],
                  active: set[str], *, shown: str) -> bool:
    """``call`` made through ``func``, a lookup of a function by name (or a module function's name)."""
    if isinstance(func, ast.Name):  # fn = helper; fn()
        return walker._helper_call(_calling(call, func.id), func.id, scope, out, active)
    key = walker.module_names.key(func)
    if key is not None:
        name = walker._literal(key, scope)
        if isinstance(name, str):
            if name in walker.functions:
                return walker._helper_call(_calling(call, name), name, scope, out, active)
            unread(walker, call, scope, out, f"{shown}no function of this module is named `{_short_text(name)}`")
            return True
        if engine_dispatch(walker, call, key, scope, out, active):
            return True  # globals()[f"upgrade_{engine_name}"](): Alembic's multidb template
        unread(walker, call, scope, out, f"{shown}the function `{_short(func)}` calls is named at run time")
        return True
    parts = _getattr_parts(func)
    if parts is None:
        return False
    owner, attr = parts
    name = walker._literal(attr, scope)
    if isinstance(name, str) and name.isidentifier():
        # getattr(op, "drop_table")("t"): the method itself
        method = ast.copy_location(ast.Attribute(value=owner, attr=name, ctx=ast.Load()), func)
        return walker._call(ast.copy_location(ast.Call(func=method, args=call.args, keywords=call.keywords), call),
                            scope, out, active)
    if _runs_operations(walker, owner, scope):
        unread(walker, call, scope, out, f"{shown}the operation `{_short(func)}` calls is named at run time")
        return True
    return False


def _calling(call: ast.Call, name: str) -> ast.Call:
    """``call`` as a direct call of the module's function ``name``, at the same place."""
    func = ast.copy_location(ast.Name(id=name, ctx=ast.Load()), call)
    return ast.copy_location(ast.Call(func=func, args=call.args, keywords=call.keywords), call)


def _short(node: ast.expr) -> str:
    return _short_text(ast.unparse(node))


def _short_text(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."
