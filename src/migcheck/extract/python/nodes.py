"""Small questions about AST nodes that every part of the Python front end asks.

What a call is named, where an attribute chain starts, which argument fills a parameter, how to
show an expression that cannot be resolved. Nothing here knows about scopes or Alembic: these are
the bottom of the package, imported by every other part.
"""

from __future__ import annotations

import ast
from collections.abc import Callable

from migcheck.vocabulary.astwalk import module_nodes


def unparse(node: ast.AST) -> str:
    """``ast.unparse(node)``, the same text, without building its visitor for the shapes most column
    types and call targets take (``sa.String(length=50)``, ``sa``): it was a sixth of the walk of a body."""
    text = _plain_text(node)
    return ast.unparse(node) if text is None else text


def _plain_text(node: ast.AST) -> str | None:
    """Names, attribute chains on names, plain constants and calls of those, as ``ast.unparse`` writes them;
    None for anything else (the caller asks ``ast.unparse``)."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _plain_text(node.value) if isinstance(node.value, ast.Name | ast.Attribute) else None
        return None if inner is None else f"{inner}.{node.attr}"
    if isinstance(node, ast.Constant):
        value = node.value
        if value is None or isinstance(value, int):  # bool is an int; repr is what ast.unparse writes
            return repr(value)
        if isinstance(value, str) and node.kind is None and value.isascii() and value.isprintable() \
                and not any(q in value for q in "'\"\\"):
            return repr(value)
        return None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name | ast.Attribute):
        parts = [_plain_text(node.func)]
        parts += [_plain_text(arg) for arg in node.args]
        parts += [None if kw.arg is None or (text := _plain_text(kw.value)) is None else f"{kw.arg}={text}"
                  for kw in node.keywords]
        if any(part is None for part in parts):
            return None
        return f"{parts[0]}({', '.join(parts[1:])})"  # type: ignore[arg-type]
    return None


def _arg(call: ast.Call, index: int, name: str) -> ast.expr | None:
    if len(call.args) > index:
        return call.args[index]
    return next((k.value for k in call.keywords if k.arg == name), None)


def _bind_args(call: ast.Call, params: list[str]) -> dict[str, ast.expr]:
    bound = {name: arg for name, arg in zip(params, call.args, strict=False) if not isinstance(arg, ast.Starred)}
    for kw in call.keywords:
        if kw.arg in params:
            bound[kw.arg] = kw.value
    return bound


def _call_name(node: ast.Call) -> str | None:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _attr_chain(node: ast.expr) -> list[str]:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return parts[::-1]


def _root_name(node: ast.expr) -> str | None:
    while True:
        if isinstance(node, ast.Attribute):
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Subscript):
            node = node.value
        else:
            break
    return node.id if isinstance(node, ast.Name) else None


def names_bound_once(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> frozenset[str]:
    """The local names ``fn`` binds exactly once: parameters, every store (assignment targets, tuples,
    ``+=``, annotated, ``:=``, for/with/except/comprehension targets, imports, nested defs, match
    captures) and ``del``. A name declared ``global``/``nonlocal`` is never one: code elsewhere binds it.

    Only such a name keeps what its one binding says wherever it is read (a dialect name tested later).
    """
    counts, shared = _local_bindings(fn)
    return frozenset(name for name, n in counts.items() if n == 1 and name not in shared)


def names_bound_at_top_only(fn: ast.FunctionDef | ast.AsyncFunctionDef,
                            value_test: Callable[[ast.expr], bool]) -> frozenset[str]:
    """The local names ``fn`` binds only by ``name = value`` statements of its own body's top level, each
    ``value`` passing ``value_test`` (``dialect = conn.dialect.name`` written twice, held-out-27 #140): no loop or
    branch runs a later binding before an earlier read, so the walker's reading in order holds at every read."""
    counts, shared = _local_bindings(fn)
    top: dict[str, int] = {}
    for stmt in fn.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name) \
                and value_test(stmt.value):
            top[stmt.targets[0].id] = top.get(stmt.targets[0].id, 0) + 1
    return frozenset(name for name, n in top.items() if counts.get(name) == n and name not in shared)


def _local_bindings(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[dict[str, int], set[str]]:
    """How often ``fn`` binds each local name (names_bound_once), and the names declared global or nonlocal."""
    counts: dict[str, int] = {}
    shared: set[str] = set()
    args = fn.args
    for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg):
        if arg is not None:
            counts[arg.arg] = counts.get(arg.arg, 0) + 1
    stack: list[ast.AST] = list(fn.body)
    while stack:
        node = stack.pop()
        _count_binding(node, counts)
        if isinstance(node, ast.Global | ast.Nonlocal):
            shared.update(node.names)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            # its body is a scope of its own, which rebinds our names only through nonlocal
            shared.update(n for inner in ast.walk(node) if isinstance(inner, ast.Nonlocal) for n in inner.names)
            stack.extend(node.decorator_list)
            continue
        if not isinstance(node, ast.Lambda):
            stack.extend(ast.iter_child_nodes(node))
    return counts, shared


def append_only_lists(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> frozenset[str]:
    """Local names ``fn`` binds once, to ``[]``, and otherwise only appends one value to (``L.append(x)`` as a
    statement), loops over (``for v in L``), tests (``if not L``, ``if L``), measures (``len(L)``) or joins
    (``", ".join(L)``): what
    such a list holds is what was appended, nothing else (``needs_migration`` of securedrop 2e24fc7536e8)."""
    once = names_bound_once(fn)
    candidates = {
        stmt.targets[0].id for stmt in ast.walk(fn)
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)
        and isinstance(stmt.value, ast.List) and not stmt.value.elts and stmt.targets[0].id in once
    }
    if not candidates:
        return frozenset()
    allowed: set[int] = set()
    for node in ast.walk(fn):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) \
                and isinstance(node.value.func, ast.Attribute) and node.value.func.attr == "append" \
                and isinstance(node.value.func.value, ast.Name) and len(node.value.args) == 1 \
                and not node.value.keywords:
            allowed.add(id(node.value.func.value))
        elif isinstance(node, ast.For | ast.AsyncFor) and isinstance(node.iter, ast.Name):
            allowed.add(id(node.iter))
        elif isinstance(node, ast.If | ast.While):
            test = node.test.operand if isinstance(node.test, ast.UnaryOp) and isinstance(node.test.op, ast.Not) \
                else node.test
            if isinstance(test, ast.Name):
                allowed.add(id(test))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "len" \
                and len(node.args) == 1 and isinstance(node.args[0], ast.Name):
            allowed.add(id(node.args[0]))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "join" \
                and isinstance(node.func.value, ast.Constant) and isinstance(node.func.value.value, str) \
                and len(node.args) == 1 and isinstance(node.args[0], ast.Name) and not node.keywords:
            allowed.add(id(node.args[0]))  # "\n".join(parts): read, not changed
    for node in ast.walk(fn):
        if isinstance(node, ast.Name) and node.id in candidates and isinstance(node.ctx, ast.Load) \
                and id(node) not in allowed:
            candidates.discard(node.id)
    for inner in ast.walk(fn):
        if inner is not fn and isinstance(inner, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            candidates -= {n.id for n in ast.walk(inner) if isinstance(n, ast.Name)}  # a closure may change it
    # an append at or after the line of a loop over the list can run once the loop has begun (in its body, or
    # in a loop around both): the loop then reaches a value the walk, which reads the loop once, never saw
    first_loop: dict[str, int] = {}
    appends: dict[str, int] = {}
    for node in ast.walk(fn):
        if isinstance(node, ast.For | ast.AsyncFor) and isinstance(node.iter, ast.Name) \
                and node.iter.id in candidates:
            first_loop[node.iter.id] = min(node.lineno, first_loop.get(node.iter.id, node.lineno))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "append" \
                and isinstance(node.func.value, ast.Name) and node.func.value.id in candidates:
            appends[node.func.value.id] = max(node.lineno, appends.get(node.func.value.id, 0))
    candidates -= {name for name, line in first_loop.items() if appends.get(name, 0) >= line}
    return frozenset(candidates)


#: Names whose use lets a module rebind names out of sight (``globals()["drop_col"] = _real``).
REBINDERS = frozenset({"globals", "vars", "locals", "setattr", "exec", "eval"})


def rebinds_out_of_sight(node: ast.AST) -> bool:
    """Whether ``node`` may bind a name where no binding of it is written: ``from tools import *``, ``globals()``,
    ``setattr``, ``exec``, ``sys.modules``, a ``__dict__``. One module-wide question (imported helpers, exits)."""
    return (isinstance(node, ast.Name) and node.id in REBINDERS) \
        or (isinstance(node, ast.Attribute) and node.attr in {"modules", "__dict__"}) \
        or (isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names))


#: The trees whose names were counted last, with their counts: the extractor asks of the module being read from
#: several places (application imports, module aliases, plain classes, dates), each a walk of the whole module.
_COUNTED: list[tuple[ast.AST, dict[str, int]]] = []
_BINDERS = (ast.Name, ast.ExceptHandler, ast.MatchAs, ast.MatchStar, ast.FunctionDef, ast.AsyncFunctionDef,
            ast.ClassDef, ast.MatchMapping, ast.Import, ast.ImportFrom, ast.NamedExpr)

#: The key of binding_counts that counts the module's ``:=`` (no name: never an identifier).
WALRUS = ":="


def binding_counts(tree: ast.AST) -> dict[str, int]:
    """How often each name is bound anywhere in ``tree``, nested scopes included (see names_bound_once).

    Counted once per tree (the last few trees are remembered, each held until pushed out, so an id is never
    reused while kept); the caller gets its own copy."""
    for counted, found in _COUNTED:
        if counted is tree:
            return dict(found)
    counts: dict[str, int] = {}
    for node in module_nodes(tree):
        if isinstance(node, _BINDERS):
            _count_binding(node, counts)
        elif isinstance(node, ast.arg):
            counts[node.arg] = counts.get(node.arg, 0) + 1
    _COUNTED.insert(0, (tree, counts))
    del _COUNTED[4:]
    return dict(counts)


def _count_binding(node: ast.AST, counts: dict[str, int]) -> None:
    """Count the names ``node`` itself binds (not those of its children)."""
    names: list[str | None] = []
    if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
        names.append(node.id)
    elif isinstance(node, ast.ExceptHandler | ast.MatchAs | ast.MatchStar | ast.FunctionDef
                    | ast.AsyncFunctionDef | ast.ClassDef):
        names.append(node.name)
    elif isinstance(node, ast.MatchMapping):
        names.append(node.rest)
    elif isinstance(node, ast.NamedExpr):
        names.append(WALRUS)  # its target is counted as the Name it stores to
    elif isinstance(node, ast.Import | ast.ImportFrom):
        names.extend((alias.asname or alias.name).split(".")[0] for alias in node.names)
    for name in names:
        if name:
            counts[name] = counts.get(name, 0) + 1


def rebound_in(body: list[ast.stmt], name: str) -> bool:
    """Whether ``body`` binds ``name`` anywhere (an assignment, a loop, a ``with``, a walrus, ``del``), nested
    functions included."""
    return any(isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Store | ast.Del)
               for stmt in body for node in ast.walk(stmt))


def _target_names(target: ast.expr) -> list[str]:
    return [n.id for n in ast.walk(target) if isinstance(n, ast.Name)]


def _bool(node: ast.expr | None) -> bool | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, bool):
        return node.value
    return None


def _describe(node: ast.expr | None) -> str:
    """A readable stand-in for a value migcheck cannot resolve statically."""
    if node is None:
        return "?"
    return "<" + _short(unparse(node)) + ">"


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
