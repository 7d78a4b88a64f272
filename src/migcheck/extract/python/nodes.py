"""Small questions about AST nodes that every part of the Python front end asks.

What a call is named, where an attribute chain starts, which argument fills a parameter, how to
show an expression that cannot be resolved. Nothing here knows about scopes or Alembic: these are
the bottom of the package, imported by every other part.
"""

from __future__ import annotations

import ast


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
