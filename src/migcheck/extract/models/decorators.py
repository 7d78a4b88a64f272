"""``TypeDecorator`` / ``UserDefinedType`` classes read statically: the type each stores.

A column typed with a project's TypeDecorator is compared with the database by its ``impl``
(``impl = JSON``, ``JSON().with_variant(JSONB(), "postgresql")``, ``load_dialect_impl``
branches on ``dialect.name``); the results land in ``Application.type_decorators``.
"""

from __future__ import annotations

import ast

from migcheck.extract.models.model import TypeDecoratorInfo
from migcheck.extract.models.names import _Names
from migcheck.extract.models.syntax import _TYPE_PREFIX, _Class, _last, _Module, variant_dialects


class _TypeDecorators(_Names):
    """``TypeDecorator`` classes: the SQL type each stores, per dialect."""

    def _decorator(self, info: _Class) -> TypeDecoratorInfo | None:
        if not info.type_decorator:
            return None
        key = info.node.name
        known = self.app.type_decorators.get(key)
        if known is not None and known.path == info.module.path:
            return known
        impl: str | None = None
        by_dialect: dict[str, str] = {}
        for stmt in info.node.body:
            if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "impl" for t in stmt.targets):
                impl = self._plain_type(info.module, stmt.value, by_dialect)
            elif isinstance(stmt, ast.FunctionDef) and stmt.name == "load_dialect_impl":
                self._dialect_impls(info.module, stmt.body, by_dialect)
        if impl is None:
            parent = next((b for b in info.bases if isinstance(b, _Class) and b.type_decorator), None)
            inherited = self._decorator(parent) if parent else None
            if inherited is not None:
                impl = inherited.impl
                by_dialect = {**inherited.dialect_impls, **by_dialect}
        found = TypeDecoratorInfo(key, info.module.path, info.node.lineno, impl, by_dialect)
        self.app.type_decorators[key] = found
        return found

    def _factories(self, module: _Module) -> None:
        """Module-level functions that take no argument and whose body is one ``return <type>``: type
        factories. One with parameters (``def Label(length): return sa.String(length)``) builds a type
        that depends on its call (``Label(255)`` to ``Label(20)`` shrinks the column), so it is not one."""
        for stmt in module.tree.body:
            if not isinstance(stmt, ast.FunctionDef) or stmt.name in self.app.type_factories:
                continue
            arguments = stmt.args
            if arguments.posonlyargs or arguments.args or arguments.vararg or arguments.kwonlyargs \
                    or arguments.kwarg:
                continue
            body = stmt.body[1:] if stmt.body and isinstance(stmt.body[0], ast.Expr) \
                and isinstance(stmt.body[0].value, ast.Constant) else stmt.body
            if len(body) == 1 and isinstance(body[0], ast.Return) \
                    and isinstance(body[0].value, ast.Call | ast.Name | ast.Attribute):
                self.app.type_factories[stmt.name] = _TYPE_PREFIX.sub("", ast.unparse(unwrap_mutable(body[0].value)))

    def _plain_type(self, module: _Module, node: ast.expr, by_dialect: dict[str, str]) -> str | None:
        """``impl = JSON`` / ``sa.JSON()`` / ``JSON().with_variant(JSONB(), "postgresql")``."""
        while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "with_variant":
            for dialect in sorted(variant_dialects(node)) if node.args else ():
                by_dialect.setdefault(dialect, _TYPE_PREFIX.sub("", ast.unparse(node.args[0])))
            node = node.func.value
        if isinstance(node, ast.Constant):
            return None
        return _TYPE_PREFIX.sub("", ast.unparse(node))

    def _dialect_impls(self, module: _Module, body: list[ast.stmt], by_dialect: dict[str, str]) -> None:
        """``if dialect.name == "postgresql": return dialect.type_descriptor(JSONB())`` and the fallback."""
        for stmt in body:
            if isinstance(stmt, ast.If):
                names = _dialect_names(stmt.test)
                returned = _returned_type(stmt.body)
                for name in names:
                    if returned:
                        by_dialect.setdefault(name, returned)
                self._dialect_impls(module, stmt.orelse, by_dialect)
            elif isinstance(stmt, ast.Return):
                returned = _returned_type([stmt])
                if returned:
                    by_dialect.setdefault("*", returned)


def unwrap_mutable(node: ast.expr) -> ast.expr:
    """``MutableDict.as_mutable(JsonEncoded)`` -> ``JsonEncoded``: SQLAlchemy's mutation tracking stores
    the type it wraps."""
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "as_mutable" \
            and len(node.args) == 1 and not node.keywords:
        node = node.args[0]
    return node


def _dialect_names(test: ast.expr) -> list[str]:
    """``dialect.name == "postgresql"`` / ``dialect.name in ("a", "b")``."""
    if not isinstance(test, ast.Compare) or len(test.ops) != 1:
        return []
    left, right = test.left, test.comparators[0]
    if not (isinstance(left, ast.Attribute) and left.attr == "name"):
        return []
    if isinstance(test.ops[0], ast.Eq) and isinstance(right, ast.Constant) and isinstance(right.value, str):
        return [right.value]
    if isinstance(test.ops[0], ast.In) and isinstance(right, ast.Tuple | ast.List | ast.Set):
        return [e.value for e in right.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    return []


def _returned_type(body: list[ast.stmt]) -> str | None:
    for stmt in body:
        if isinstance(stmt, ast.Return) and stmt.value is not None:
            node = stmt.value
            if isinstance(node, ast.Call) and _last(node.func) == "type_descriptor" and node.args:
                node = node.args[0]
            return _TYPE_PREFIX.sub("", ast.unparse(node))
    return None
