"""Objects a revision makes itself to look like its connection: ``class fake: class dialect: name = "sqlite"``
then ``if fake.dialect.name == "sqlite": op.create_index(...)`` (attack24).

A dialect test (extract/python/dialecttests.py) trusts ``X.dialect.name``, ``X.engine.driver``,
``X.get_bind()`` for any ``X``: on PostgreSQL the branch above looked untaken, yet it runs there, since the
object the test reads is the revision's own. Such a test is no dialect test when the object it reads from is
one the module binds itself to something that is not its connection (a class, a function, a loop's name, a
value that never mentions ``op``/``context``), or when the module writes to its connection's attributes
(``bind.engine = fake``, ``op.get_bind().dialect.name = "sqlite"``, ``setattr``): then both branches are read.
"""

from __future__ import annotations

import ast
import builtins
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from migcheck.vocabulary.astwalk import module_nodes

#: Where a connection and its dialect come from in a revision.
_SOURCES = frozenset({"op", "context"})

#: Attributes a dialect test reads on its way to the dialect's name or driver.
DIALECT_ATTRS = frozenset({"dialect", "engine", "name", "driver", "url", "drivername", "dialect_description",
                           "get_bind", "get_context", "get_backend_name", "get_dialect", "bind", "connection"})

#: Writing one of these on any object may replace what a dialect test reads.
_REPLACING = frozenset({"dialect", "engine", "driver", "dialect_description", "get_bind", "get_context",
                        "__class__", "__dict__"})


@dataclass(frozen=True)
class Forgeries:
    """``forged``: names a dialect test must not read the dialect from; ``tampered``: the module writes to what
    a dialect test reads, so no dialect test of it is trusted."""

    forged: frozenset[str]
    tampered: bool
    #: ``op``, ``context`` and the names bound only to what they lead to (``bind = op.get_bind()``).
    derived: frozenset[str] = frozenset()

    def handed(self, arg: ast.expr) -> bool:
        """Whether ``arg``, handed to a helper's parameter, may be the connection or what leads to it: a name
        the revision did not forge (a parameter, an import) or a plain chain from ``op`` (``op.get_bind()``),
        not ``fake`` nor ``types.SimpleNamespace(...)``."""
        if isinstance(arg, ast.Name):
            return arg.id not in self.forged
        return _plain_from(arg, self.derived)


def _names(node: ast.AST) -> list[str]:
    """The names a binding target stores to (``a``, ``a, b``), not the objects it writes into (``row.x``)."""
    if isinstance(node, ast.Name):  # the usual target, without a walk
        return [node.id] if isinstance(node.ctx, ast.Store) else []
    return [n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)]


def _kinds(tree: ast.Module) -> dict[type, list[ast.AST]]:
    """The module's nodes grouped by their kind, from one walk of it (shared with the extractor's other
    questions of the whole module: astwalk.module_nodes)."""
    kinds: dict[type, list[ast.AST]] = {}
    for node in module_nodes(tree):
        kind = type(node)
        if kind in kinds:
            kinds[kind].append(node)
        else:
            kinds[kind] = [node]
    return kinds


def _of(kinds: dict[type, list[ast.AST]], *wanted: type) -> list[ast.AST]:
    """The nodes of the ``wanted`` kinds (each kind's nodes in the walk's order)."""
    return [node for kind in wanted for node in kinds.get(kind, ())]


def _bindings(kinds: dict[type, list[ast.AST]]) -> list[tuple[str, ast.AST | None]]:
    """Every (name, value) the module binds, in any scope: the value an assignment, ``:=`` or ``with ... as``
    gives to a plain name, None for any other binding (a class, a def, a loop's or an except's name, unpacking,
    a match capture), and an ``ast.alias`` for an import. Parameters are not bindings here. (The order is that
    of the kinds; what is made of the list does not depend on it.)"""
    found: list[tuple[str, ast.AST | None]] = []
    for node in _of(kinds, ast.Assign, ast.AnnAssign, ast.AugAssign, ast.NamedExpr):
        assert isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign | ast.NamedExpr)
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        value = node.value if not isinstance(node, ast.AugAssign) else None
        for target in targets:
            found.extend((name, value if isinstance(target, ast.Name) else None) for name in _names(target))
    for node in kinds.get(ast.withitem, ()):
        assert isinstance(node, ast.withitem)
        if node.optional_vars is not None:
            found.extend((name, node.context_expr if isinstance(node.optional_vars, ast.Name) else None)
                         for name in _names(node.optional_vars))
    for node in _of(kinds, ast.Import, ast.ImportFrom):
        assert isinstance(node, ast.Import | ast.ImportFrom)
        found.extend(((a.asname or a.name).split(".")[0], a) for a in node.names)
    for node in _of(kinds, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.ExceptHandler, ast.MatchAs,
                    ast.MatchStar):
        name = getattr(node, "name", None)
        if name:
            found.append((str(name), None))
    for node in kinds.get(ast.MatchMapping, ()):
        assert isinstance(node, ast.MatchMapping)
        if node.rest:
            found.append((node.rest, None))
    for node in _of(kinds, ast.For, ast.AsyncFor, ast.comprehension, ast.Delete):
        assert isinstance(node, ast.For | ast.AsyncFor | ast.comprehension | ast.Delete)
        targets = node.targets if isinstance(node, ast.Delete) else [node.target]
        found.extend((n.id, None) for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)
                     and not isinstance(n.ctx, ast.Load))
    return found


def _plain_roots(node: ast.AST) -> set[str] | None:
    """The names ``node`` is a plain chain from: attributes, items and method calls of a name (``op.get_bind()``,
    ``bind.engine``, ``bind.execution_options(...)``), ``type()`` of one, or a literal container of such
    (``[bind.dialect]``); None for anything else (``SimpleNamespace(...)``, ``fake()``, a constant)."""
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        found: set[str] = set()
        for elt in node.elts:
            roots = _plain_roots(elt)
            if roots is None:
                return None
            found |= roots
        return found or None
    while True:
        if isinstance(node, ast.Attribute | ast.Subscript):
            node = node.value
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            node = node.func.value
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "type" \
                and len(node.args) == 1:
            node = node.args[0]
        else:
            break
    return {node.id} if isinstance(node, ast.Name) else None


def _plain_from(node: ast.AST, derived: set[str] | frozenset[str]) -> bool:
    """Whether ``node`` is a plain chain (_plain_roots) from derived names only."""
    roots = _plain_roots(node)
    return roots is not None and roots <= derived


def _derived(bindings: list[tuple[str, ast.AST | None]]) -> frozenset[str]:
    """``op``, ``context`` and the names bound only to plain chains from them (``bind = op.get_bind()``,
    ``dialect = bind.dialect``, ``bind = bind.execution_options(...)``): the objects the module reaches its
    connection through. Worked out by propagation, linear in the bindings (a chain of 20,000 names bound in
    reverse order must not take 20,000 passes)."""
    needs: dict[str, set[str] | None] = {}
    for name, value in bindings:
        roots = _plain_roots(value) if isinstance(value, ast.expr) else None
        if name in _SOURCES or roots is None:
            needs[name] = None
        elif needs.get(name, set()) is not None:
            needs[name] = (needs.get(name) or set()) | (roots - {name})
    waiting: dict[str, list[str]] = {}
    pending: dict[str, int] = {}
    for name, need in needs.items():
        if need is not None:
            pending[name] = len(need)
            for root in need:
                waiting.setdefault(root, []).append(name)
    # op and context, unless the module binds them to something of its own (class op: ...)
    sources = {name for name in _SOURCES
               if all(isinstance(value, ast.alias) for bound, value in bindings if bound == name)}
    derived = set(sources)
    queue = [*sources, *(name for name, count in pending.items() if count == 0)]
    derived.update(queue)
    while queue:
        for name in waiting.get(queue.pop(), ()):
            pending[name] -= 1
            if pending[name] == 0 and name not in derived:
                derived.add(name)
                queue.append(name)
    return frozenset(derived)


def _root(node: ast.expr) -> ast.expr:
    while isinstance(node, ast.Attribute | ast.Subscript | ast.Call):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node


#: Names whose use lets a module rewrite what a dialect test reads by a name migcheck cannot follow.
_REWRITERS = frozenset({"__builtins__", "builtins", "setattr", "delattr", "vars", "exec", "eval", "compile",
                        "__import__"})


def _writes(kinds: dict[type, list[ast.AST]], derived: frozenset[str], params: frozenset[str]) -> bool:
    """Whether the module writes to what a dialect test reads: a connection-like attribute of anything
    (``bind.engine = fake``), a ``.name``/``.driver`` of its connection's objects (``d.name = "sqlite"`` with ``d =
    bind.dialect``, ``type(bind.dialect).name = ...``) or of a helper's parameter, a module global by name
    (``globals()["engine"] = fake``), or goes through ``setattr`` / ``vars`` / ``exec`` / ``__dict__`` /
    ``__builtins__``."""
    for node in _of(kinds, ast.Attribute, ast.Subscript, ast.Name, ast.alias):
        if isinstance(node, ast.Attribute) and not isinstance(node.ctx, ast.Load):
            root = _root(node.value)
            if node.attr in _REPLACING or (node.attr in {"name", "driver"} and (
                    _plain_from(node.value, derived) or (isinstance(root, ast.Name) and root.id in params))):
                return True
        elif isinstance(node, ast.Subscript) and not isinstance(node.ctx, ast.Load) \
                and isinstance(root := _root(node.value), ast.Name) and root.id == "globals":
            return True  # globals()["engine"] = fake
        elif isinstance(node, ast.Attribute) and node.attr in {"update", "setdefault", "__setitem__"} \
                and isinstance(root := _root(node.value), ast.Name) and root.id == "globals":
            return True  # globals().update(engine=fake)
        elif (isinstance(node, ast.Attribute) and node.attr == "__dict__") \
                or (isinstance(node, ast.Name) and node.id in _REWRITERS) \
                or (isinstance(node, ast.alias) and node.name.split(".")[0] == "builtins"):
            return True
    return False


#: Modules whose objects are never the revision's connection, though some have a dialect's name
#: (``from sqlalchemy.dialects.sqlite import dialect``: ``dialect.name == "sqlite"`` on any database).
_FOREIGN = frozenset({"sqlalchemy", "importlib", "builtins", "types", "collections", "unittest", "mock", "enum",
                      "dataclasses", "typing"})


def _foreign_imports(kinds: dict[type, list[ast.AST]]) -> set[str]:
    """The names the module imports from ``_FOREIGN`` modules."""
    found: set[str] = set()
    for node in _of(kinds, ast.Import, ast.ImportFrom):
        if isinstance(node, ast.Import):
            found.update((a.asname or a.name).split(".")[0] for a in node.names if a.name.split(".")[0] in _FOREIGN)
        elif isinstance(node, ast.ImportFrom) and not node.level and (node.module or "").split(".")[0] in _FOREIGN:
            found.update(a.asname or a.name for a in node.names)
    return found


def forgeries(tree: ast.Module) -> Forgeries:
    """Forgeries of the module (see the module's docstring)."""
    kinds = _kinds(tree)
    bindings = _bindings(kinds)
    derived = _derived(bindings)
    params = frozenset(a.arg for n in kinds.get(ast.arguments, ()) if isinstance(n, ast.arguments)
                       for a in (*n.posonlyargs, *n.args, *n.kwonlyargs, n.vararg, n.kwarg) if a is not None)
    forged = {name for name, value in bindings if not isinstance(value, ast.alias) and name not in derived}
    counts = Counter(name for name, _ in bindings)
    forged -= {name for name in _dialect_name_helpers(kinds, frozenset(forged)) if counts[name] == 1}
    forged |= _foreign_imports(kinds) - derived
    # a name the module never binds: a builtin (getattr, type, object) is no connection; another is the
    # application's, through a star import, or a NameError
    forged |= {name for name in dir(builtins) if name not in counts}
    return Forgeries(frozenset(forged), _writes(kinds, derived, params), derived)


def _dialect_name_helpers(kinds: dict[type, list[ast.AST]], forged: frozenset[str]) -> set[str]:
    """Functions of the module such as ``def dialect_name(): return op.get_bind().dialect.name``: a body of one
    return of a dialect read whose objects are not forged, so calling one reads the dialect."""
    found: set[str] = set()
    for node in _of(kinds, ast.FunctionDef, ast.AsyncFunctionDef):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and len(node.body) >= 1 \
                and isinstance(node.body[-1], ast.Return) and node.body[-1].value is not None \
                and all(isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant) for s in node.body[:-1]):
            returned = node.body[-1].value
            roots = {n.id for n in ast.walk(returned) if isinstance(n, ast.Name)}
            if not roots & forged and any(isinstance(n, ast.Attribute) and n.attr in DIALECT_ATTRS
                                          for n in ast.walk(returned)):
                found.add(node.name)
    return found


def reads_forged(found: Callable[[], Forgeries], test: ast.expr, params: frozenset[str] = frozenset()) -> bool:
    """Whether a dialect test reads from an object the revision forged (``Forgeries``, or ``params``: a helper's
    parameters handed such an object, Scope.forged_params), or the module tampers with what dialect tests read:
    then it decides nothing. ``found`` is asked only when the test reads an attribute a dialect test reads
    (the module's forgeries cost a few walks of it)."""
    for node in ast.walk(test):
        if (isinstance(node, ast.Attribute) and node.attr in DIALECT_ATTRS) or (isinstance(node, ast.Call)
                and (node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
                     ).lower().endswith("dialect_name")):
            forgeries = found()
            if forgeries.tampered:
                return True
            root = _root(node)
            if not isinstance(root, ast.Name) or root.id in forgeries.forged or root.id in params:
                return True  # [fake][0].dialect.name, (fake or op).get_bind(): no name of the connection
    return False
