"""What env.py tells autogenerate to compare, read from its AST, so ``--check-models`` agrees with ``alembic check``.

``context.configure(include_schemas=..., compare_type=..., compare_server_default=...,
include_object=...)`` decides what ``alembic check`` reports. env.py is never imported: boolean
literals are taken as written, and ``include_object`` is applied only when it names a function of
env.py that is a plain filter on its arguments (comparisons, ``in``, ``and``/``or``/``not``,
``startswith``/``endswith``, ``if``/``return``); anything else is left out, with a note.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

#: Alembic's own defaults (1.12+): types compared, server defaults not, one schema.
_DEFAULTS = {"compare_type": True, "compare_server_default": False, "include_schemas": False}
_NODES = (
    ast.If, ast.Return, ast.Pass, ast.Compare, ast.BoolOp,
    ast.UnaryOp, ast.IfExp, ast.Name, ast.Constant, ast.Tuple, ast.List, ast.Set, ast.Load, ast.And,
    ast.Or, ast.Not, ast.Eq, ast.NotEq, ast.In, ast.NotIn, ast.Is, ast.IsNot, ast.Attribute, ast.Call, ast.Expr,
)
_ATTRIBUTES = {"name", "schema", "startswith", "endswith", "lower", "upper"}
_METHODS = {"startswith", "endswith", "lower", "upper"}


@dataclass
class CompareOptions:
    """Options for Alembic's ``compare_metadata``, and why any of env.py's could not be applied."""

    compare_type: bool = True
    compare_server_default: bool = False
    include_schemas: bool = False
    include_object: Callable[..., bool] | None = None
    notes: list[str] = field(default_factory=list)

    def opts(self) -> dict[str, Any]:
        out: dict[str, Any] = {"compare_type": self.compare_type,
                               "compare_server_default": self.compare_server_default,
                               "include_schemas": self.include_schemas}
        if self.include_object is not None:
            out["include_object"] = self.include_object
        return out


def compare_options(tree: ast.Module, keywords: list[ast.keyword]) -> CompareOptions:
    """The comparison env.py's deciding ``configure()`` call (its ``keywords``) asks for."""
    found = CompareOptions()
    for kw in keywords:
        if kw.arg in _DEFAULTS:
            if isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, bool):
                setattr(found, kw.arg, kw.value.value)
            else:
                found.notes.append(f"env.py's {kw.arg}= is not a True/False literal: --check-models used "
                                   f"Alembic's default ({kw.arg}={_DEFAULTS[kw.arg]})")
        elif kw.arg == "include_object":
            found.include_object = _filter(tree, kw.value)
            if found.include_object is None:
                shown = kw.value.id if isinstance(kw.value, ast.Name) else "the given callable"
                found.notes.append(f"env.py's include_object ({shown}) is not a simple name/type filter "
                                   "migcheck can read without running env.py: --check-models did not apply it")
    return found


def _filter(tree: ast.Module, value: ast.expr) -> Callable[..., bool] | None:
    """The env.py function ``value`` names, built on its own when every node of it is a pure filter."""
    if not isinstance(value, ast.Name):
        return None
    defs = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == value.id]
    if len(defs) != 1:
        return None
    func = defs[0]
    args = func.args
    if func.decorator_list or args.defaults or args.kw_defaults or args.vararg or args.kwarg \
            or args.posonlyargs or args.kwonlyargs or len(args.args) != 5:
        return None
    params = {a.arg for a in args.args}
    body: list[ast.stmt] = list(func.body) or [ast.Return(ast.Constant(True))]
    for node in (n for stmt in body for n in ast.walk(stmt)):
        if not isinstance(node, _NODES):
            return None
        if isinstance(node, ast.Name) and node.id not in params:
            return None
        if isinstance(node, ast.Attribute) and node.attr not in _ATTRIBUTES:
            return None
        if isinstance(node, ast.Call) and (not isinstance(node.func, ast.Attribute) or node.keywords
                                           or node.func.attr not in _METHODS):
            return None
        if isinstance(node, ast.Expr) and not isinstance(node.value, ast.Constant):
            return None
    clean = copy.deepcopy(func)  # its own copy: env.py's annotations are dropped, nothing else changes
    clean.name, clean.returns, clean.body = "include_object", None, body
    for a in clean.args.args:
        a.annotation = None
    module = ast.fix_missing_locations(ast.Module(body=[clean], type_ignores=[]))
    namespace: dict[str, Any] = {"__builtins__": {}}
    exec(compile(module, "<env.py include_object>", "exec"), namespace)  # only the whitelisted pure nodes above
    built: Callable[..., Any] = namespace["include_object"]

    def include_object(obj: Any, name: Any, type_: Any, reflected: Any, compare_to: Any) -> bool:
        return bool(built(obj, name, type_, reflected, compare_to))

    return include_object
