"""Small questions about AST nodes that every part of the Python front end asks.

What a call is named, where an attribute chain starts, which argument fills a parameter, how to
show an expression that cannot be resolved. Nothing here knows about scopes or Alembic: these are
the bottom of the package, imported by every other part.
"""

from __future__ import annotations

import ast


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
    counts: dict[str, int] = {}
    shared: set[str] = set()

    def bind(name: str | None) -> None:
        if name:
            counts[name] = counts.get(name, 0) + 1

    args = fn.args
    for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg):
        bind(arg.arg if arg else None)
    stack: list[ast.AST] = list(fn.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
            bind(node.id)
        elif isinstance(node, ast.Global | ast.Nonlocal):
            shared.update(node.names)
        elif isinstance(node, ast.ExceptHandler | ast.MatchAs | ast.MatchStar):
            bind(node.name)
        elif isinstance(node, ast.MatchMapping):
            bind(node.rest)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                bind((alias.asname or alias.name).split(".")[0])
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bind(node.name)  # its body is a scope of its own, which rebinds our names only through nonlocal
            shared.update(n for inner in ast.walk(node) if isinstance(inner, ast.Nonlocal) for n in inner.names)
            stack.extend(node.decorator_list)
            continue
        if isinstance(node, ast.Lambda):
            continue
        stack.extend(ast.iter_child_nodes(node))
    return frozenset(name for name, n in counts.items() if n == 1 and name not in shared)


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
    return "<" + _short(ast.unparse(node)) + ">"


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
