"""A column's type expression read to the SQL type it stands for, or to unknown.

``Column(String(20))`` is its text without module prefixes. A name of the application is followed:
a project ``TypeDecorator`` gives its stored type (decorators.py), a module-level name bound once to
a type (quetz's ``UUID = LargeBinary(length=16)``, imported or not) the type it is bound to, and a
helper that takes nothing and returns one type expression (``def json_type(): return JSON()``, a
static or class method alike) what it returns. Any other call into the application is unknown
(None), never compared by its text (held-out-12 mlrun: ``SQLTypesUtil.datetime()`` picks its type
from a DSN at run time, and was compared as a type named ``datetime()``).
"""

from __future__ import annotations

import ast
from collections import Counter

from migcheck.extract.models.decorators import _TypeDecorators
from migcheck.extract.models.syntax import (
    _TYPE_PREFIX,
    _bound_names,
    _Class,
    _last,
    _Module,
    _statements,
    variant_dialects,
)

_Def = ast.FunctionDef | ast.AsyncFunctionDef

#: How many aliases and helpers one type is followed through.
_MAX_HOPS = 8


class _TypeRefs(_TypeDecorators):
    """``_type_text``: the SQL type a column's type expression names, as text, or None when unknown."""

    def _type_text(self, module: _Module, node: ast.expr, hops: int = 0) -> str | None:
        """The column type as written without module prefixes; the application's names followed (see above)."""
        if hops > _MAX_HOPS:
            return None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "with_variant":
            if node.args and self.dialect in variant_dialects(node):
                return self._type_text(module, node.args[0], hops)
            return self._type_text(module, node.func.value, hops)
        head = node.func if isinstance(node, ast.Call) else node
        resolved = self._resolve(module, head) if isinstance(head, ast.Name | ast.Attribute) else None
        if resolved is not None and resolved[0] == "class":
            decorator = self._decorator(resolved[1]) if isinstance(resolved[1], _Class) else None
            return decorator.impl_for(self.dialect) if decorator else None
        if resolved is not None and resolved[0] == "expr":
            bound = resolved[1]
            assert isinstance(bound, tuple)
            return self._aliased(module, node, bound[0], bound[1], hops)
        helper = self._helper(module, head, resolved)
        if helper is not None:
            if not isinstance(node, ast.Call) or node.args or node.keywords:
                return None  # the helper itself, or a call with arguments it does not take
            where, function, params = helper
            returned = _single_return(function) if params is not None else None
            if not isinstance(returned, ast.Call | ast.Name | ast.Attribute) or params is None or any(isinstance(n, ast.Name) and n.id in params for n in ast.walk(returned)):
                return None  # a body that decides (``cls._pick(cls._Datetime)``): not a type known statically
            return self._type_text(where, returned, hops + 1)
        if resolved is not None and resolved[0] == "attr" and self._application_object(resolved[1]):
            return None  # a method of the application's own class or object: what it returns is unknown
        try:
            return _TYPE_PREFIX.sub("", ast.unparse(node))
        except (ValueError, RecursionError):  # pragma: no cover - unparse of a parsed tree
            return None

    def _aliased(self, module: _Module, node: ast.expr, where: _Module, value: ast.expr, hops: int) -> str | None:
        """A name bound at module level: ``UUID = LargeBinary(length=16)`` used as ``Column(UUID)`` is that type;
        ``Str = sa.String`` used as ``Column(Str(20))`` is ``String(20)``. A name bound more than once, or to
        anything else, is unknown."""
        if any(v is value and n in where.rebound for n, v in where.assigns.items()):
            return None
        if not isinstance(node, ast.Call):
            return self._type_text(where, value, hops + 1) if isinstance(value, ast.Call | ast.Name | ast.Attribute) \
                else None
        if isinstance(value, ast.Name | ast.Attribute):
            call = ast.Call(func=value, args=node.args, keywords=node.keywords)
            return self._type_text(where, ast.copy_location(call, node), hops + 1)
        return None  # calling what a call returned

    def _helper(self, module: _Module, head: ast.expr,
                resolved: tuple[str, object] | None) -> tuple[_Module, _Def, set[str] | None] | None:
        """The application's function (or static / class method) ``head`` names: (its module, its ``def``, the
        names of its parameters, None when it takes any besides ``cls``, is decorated otherwise, or its name is
        bound more than once where it is looked up: unknown)."""
        found: tuple[_Module, _Def, bool, bool] | None = None
        if isinstance(head, ast.Name) and resolved is None:
            located = self._function_def(module, head.id)
            found = (*located[:2], False, located[2]) if located else None
        elif isinstance(head, ast.Attribute):
            owner = self._resolve(module, head.value)
            if owner is not None and owner[0] == "module" and isinstance(owner[1], _Module):
                located = self._function_def(owner[1], head.attr)
                found = (*located[:2], False, located[2]) if located else None
            elif owner is not None and owner[0] == "class" and isinstance(owner[1], _Class):
                defined = next((s for s in reversed(owner[1].node.body)
                                if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef) and s.name == head.attr), None)
                once = self._class_bindings(owner[1])[head.attr] <= 1
                found = (owner[1].module, defined, True, once) if defined else None
        if found is None:
            return None
        where, function, method, once = found
        args = function.args
        positional = [a.arg for a in [*args.posonlyargs, *args.args]]
        decorators = {_last(d) for d in function.decorator_list}
        takes = positional[1:] if method and "classmethod" in decorators else positional
        plain = {"classmethod", "staticmethod"}
        if isinstance(function, ast.AsyncFunctionDef) or (method and not decorators & plain) or takes \
                or args.vararg or args.kwonlyargs or args.kwarg or decorators - plain or not once:
            return where, function, None
        return where, function, set(positional)

    def _class_bindings(self, info: _Class) -> Counter[str]:
        """How often the class body binds each name (under its ``if``/``try`` too), counted once per class."""
        return self._once("bindings", info, Counter(), lambda: Counter(
            name for s in _statements(info.node.body) for name in _bound_names(s)))

    def _function_def(self, module: _Module, name: str, hops: int = 0) -> tuple[_Module, _Def, bool] | None:
        """``def name`` at the top of ``module``, or of the project module it imports ``name`` from, and whether
        each module on the way binds ``name`` once (``def f`` then ``if x: def f`` calls which one?)."""
        if hops > _MAX_HOPS:
            return None
        once = name not in module.twice
        if name in module.symbols:
            mod, attr = module.symbols[name]
            target = self.modules.get(mod)
            found = self._function_def(target, attr, hops + 1) if target is not None and attr else None
            return (found[0], found[1], found[2] and once) if found else None
        return next(((module, s, once) for s in reversed(module.tree.body)
                     if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef) and s.name == name), None)

    def _application_object(self, attr: object) -> bool:
        """``("attr", ((kind, value), name))``: an attribute of the application's own class, or of a module-level
        instance of one (``types = SQLTypes()``); not of a library's object (``db = SQLAlchemy()``: ``db.String``)."""
        inner = attr[0] if isinstance(attr, tuple) else None
        if not isinstance(inner, tuple):
            return False
        kind, value = inner
        if kind == "class":
            return True
        if kind == "expr" and isinstance(value, tuple):
            where, expr = value
            if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name | ast.Attribute):
                made = self._resolve(where, expr.func)
                return made is not None and made[0] == "class"
        return False


def _single_return(function: _Def) -> ast.expr | None:
    """The expression of a body that is one ``return <expr>`` (after a docstring)."""
    body = function.body[1:] if function.body and isinstance(function.body[0], ast.Expr) \
        and isinstance(function.body[0].value, ast.Constant) else function.body
    if len(body) == 1 and isinstance(body[0], ast.Return) and body[0].value is not None:
        return body[0].value
    return None
