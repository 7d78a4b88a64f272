"""Values that are certainly numbers when formatted into SQL, though only known at run time.

``next_id = row[0] + 1``, ``row = conn.execute(...).fetchone()``: whatever the database returned, adding a number to
it gives a number (an int, a float, a Decimal) or raises (a str, a date, a row, None): formatted, digits, never a
quote nor a value from outside (held-out-26 #147, #148). Only what the revision's own connection returned counts
as such an operand, with a literal number or another such number on the other side, and only ``+``/``-``: ``*`` of a
str repeats it. ``int(x)``, ``float(x)``, ``len(x)`` (the built-ins, not rebound in the module) are numbers whatever
``x`` is. A local name counts when every binding of it in the function walked is a plain ``name = value`` of such a
value; a parameter, an unpacking, a loop, ``+=``, ``global``... make it unknown. A value the database returned,
formatted as it is (``{row[0]}``), is not a number here: a text column's value carries its quotes
(extract/python/fetched.py ties a SELECT of one column to the column's type instead).
"""

from __future__ import annotations

import ast
from collections.abc import Callable

from migcheck.vocabulary.astwalk import module_nodes
from migcheck.vocabulary.revision import GLOBAL_WRITERS

#: Methods of a result (or of SQLAlchemy's ScalarResult) that return a row, a value or rows.
_FETCHES = frozenset({"fetchone", "fetchall", "first", "one", "one_or_none", "all", "scalar", "scalar_one",
                      "scalar_one_or_none", "scalars", "mappings"})
#: Calls on a connection or session that run SQL and return its result (or, for ``scalar``, its first value).
_RUNS = frozenset({"execute", "exec_driver_sql", "scalars", "scalar"})
#: Built-ins that return a number whatever they are given (or raise).
_NUMBER_BUILTINS = frozenset({"int", "float", "len"})
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)

_BINDINGS: dict[int, tuple[ast.AST, dict[str, list[ast.expr] | None]]] = {}


def plain_bindings(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[str, list[ast.expr] | None]:
    """For each name ``fn`` binds (its nested scopes included, which can only add bindings): the values of its plain
    ``name = value`` bindings, or None when it is also bound any other way (a parameter, unpacking, a loop target,
    ``+=``, ``:=``, ``except ... as``, an import, a def, ``del``, ``global`` / ``nonlocal``)."""
    held = _BINDINGS.get(id(fn))
    if held is not None and held[0] is fn:
        return held[1]
    found: dict[str, list[ast.expr] | None] = {}
    plain: set[int] = set()
    # what a nested def, lambda or class body binds is its own name, not fn's (attack26c): ``def _h(): x = 1`` in
    # fn leaves fn's ``x`` the module's, so such a binding makes the name unknown rather than plain
    nested: set[int] = set()
    for node in ast.walk(fn):
        if node is not fn and isinstance(node, _SCOPES):
            for part in (node.body if isinstance(node.body, list) else [node.body]):
                nested.update(id(inner) for inner in ast.walk(part))
    others: set[str] = {a.arg for a in (*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs)}
    others.update(a.arg for a in (fn.args.vararg, fn.args.kwarg) if a is not None)
    for node in ast.walk(fn):
        if node is fn:
            continue
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name) and node.value is not None and id(node) not in nested:
                    plain.add(id(target))
                    listed = found.setdefault(target.id, [])
                    if listed is not None:
                        listed.append(node.value)
        elif isinstance(node, ast.Global | ast.Nonlocal):
            others.update(node.names)
        elif isinstance(node, ast.ExceptHandler | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and node.name:
            others.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            others.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.arg):
            others.add(node.arg)
        elif isinstance(node, ast.MatchAs | ast.MatchStar) and node.name:
            others.add(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            others.add(node.rest)
    for node in ast.walk(fn):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del) and id(node) not in plain:
            others.add(node.id)
    for name in others:
        found[name] = None
    _BINDINGS[id(fn)] = (fn, found)
    if len(_BINDINGS) > 64:
        del _BINDINGS[next(iter(_BINDINGS))]
    return found


#: Names through which a module can rebind a built-in, a module global or an attribute out of sight of its bindings.
_REWRITERS = GLOBAL_WRITERS | {"builtins", "delattr", "compile"}
#: Attributes whose replacement makes a connection's or a result's answer something else than what the database sent.
_PATCHED = _FETCHES | _RUNS | frozenset({"get_bind", "connect", "begin", "execution_options", "__class__",
                                         "__dict__", "__setattr__", "__getattr__", "__getattribute__"})


def rewrites_out_of_sight(tree: ast.AST) -> bool:
    """Whether the module may rebind ``int``/``len`` or replace what its connection answers by means the binding walk
    does not see (attack26c): ``import builtins; builtins.int = ...``, ``globals()["int"] = ...``, ``setattr``,
    ``exec``, ``from x import *``, ``conn.scalar = fake`` or ``Connection.execute = fake``."""
    for node in module_nodes(tree):
        if isinstance(node, ast.Name) and node.id in _REWRITERS:
            return True
        if isinstance(node, ast.alias) and (node.name == "*" or node.name.split(".")[0] == "builtins"):
            return True
        if isinstance(node, ast.Attribute) and (node.attr in {"__dict__", "__builtins__"} or (
                not isinstance(node.ctx, ast.Load) and node.attr in _PATCHED)):
            return True
    return False


def code_defined(tree: ast.AST) -> frozenset[str]:
    """Names the module binds by a ``def``, a ``class`` or an assignment (not an import, nor ``X =
    sessionmaker(...)``): a "session" made by calling one of them is the module's own object, whose ``scalar`` may
    return anything (attack26c)."""
    found: set[str] = set()
    factories: set[int] = set()
    for node in module_nodes(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            found.add(node.name)
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) \
                and isinstance(func := node.value.func, ast.Name | ast.Attribute) \
                and (func.id if isinstance(func, ast.Name) else func.attr) in {"sessionmaker", "scoped_session"}:
            factories.update(id(t) for t in node.targets)
        elif isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load) and id(node) not in factories:
            found.add(node.id)
    return frozenset(found)


class NumberReader:
    """Whether an expression of ``fn`` is certainly a number (see the module's docstring)."""

    def __init__(self, fn: ast.FunctionDef | ast.AsyncFunctionDef, is_connection: Callable[[ast.expr], bool],
                 rebound: Callable[[str], bool]) -> None:
        self.bindings = plain_bindings(fn)
        self.is_connection = is_connection
        self.rebound = rebound
        self._visiting: set[str] = set()
        self._budget = 200  # nodes looked at, so a crafted chain of names stays cheap

    def number(self, node: ast.expr) -> bool:
        self._budget -= 1
        if self._budget < 0:
            return False
        if isinstance(node, ast.Constant):
            return type(node.value) in (int, float)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            return self.number(node.operand)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _NUMBER_BUILTINS \
                and len(node.args) == 1 and not node.keywords and not self.rebound(node.func.id):
            return True
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.Add | ast.Sub | ast.Mult | ast.FloorDiv | ast.Div | ast.Mod | ast.Pow) \
                    and self.number(node.left) and self.number(node.right):
                return True
            # a value the database returned plus or minus a number: a number, or a TypeError before any SQL runs
            return isinstance(node.op, ast.Add | ast.Sub) and (
                (self.number(node.left) and self.returned(node.right))
                or (self.returned(node.left) and self.number(node.right)))
        if isinstance(node, ast.Name):
            return self._every_binding(node.id, self.number)
        return False

    def returned(self, node: ast.expr) -> bool:
        """Whether ``node`` is what the revision's connection returned: a result, a row, a value of a row."""
        self._budget -= 1
        if self._budget < 0:
            return False
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in _RUNS and self.is_connection(node.func.value):
                return True
            return node.func.attr in _FETCHES and not node.keywords and not node.args \
                and self.returned(node.func.value)
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) \
                and type(node.slice.value) in (int, str):
            return self.returned(node.value)
        if isinstance(node, ast.Attribute):
            return self.returned(node.value)
        if isinstance(node, ast.Name):
            return self._every_binding(node.id, self.returned)
        return False

    def _every_binding(self, name: str, test: Callable[[ast.expr], bool]) -> bool:
        values = self.bindings.get(name)
        if not values:
            return False
        key = f"{test.__name__}:{name}"
        if key in self._visiting:
            return True  # x = x + 1: a number if what it held was one, which the other bindings decide
        self._visiting.add(key)
        try:
            return all(test(value) for value in values)
        finally:
            self._visiting.discard(key)
