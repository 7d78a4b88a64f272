"""A ``declared_attr`` ``__tablename__`` that computes the name from the class's own name, evaluated.

rootthebox's base turns ``IpAddress`` into ``ip_address`` with ``name[0].lower() + re.sub(r"([A-Z])", lambda l:
"_" + l.group(0).lower(), name[1:])`` (held-out-20 #35, #37). Such a body is read here by a small evaluator of
its own, never run: local names bound to ``cls.__name__`` or to what follows, string literals, ``+``, indexing and
slicing by literals, the string methods below, and ``re.sub`` with a literal pattern and a literal replacement or a
``lambda m: ...`` of ``m.group(n)``. Anything else makes the name unknown (None). A pattern with any quantifier
or a backreference (``(a+)+``, ``a*a*a*b``), which may backtrack without end, is not run: a stranger writes it.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable

_METHODS: dict[str, Callable[[str], str]] = {
    "lower": str.lower, "upper": str.upper, "strip": str.strip, "title": str.title, "capitalize": str.capitalize,
    "casefold": str.casefold,
}
#: What a pattern from the linted tree may not hold to be run: any quantifier (``*``, ``+``, ``{``, a ``?`` but in an
#: unescaped group opener such as ``(?=``, see _GROUP_OPTIONS: ``\(?`` is a quantifier), a backreference, or more
#: than ``_MAX_PATTERN`` characters. Without them each match attempt is bounded by the
#: pattern's length, so matching stays linear in the text; ``a*a*a*a*a*a*b`` (polynomial) and ``(a+)+``
#: (exponential) are both refused. rootthebox's ``([A-Z])`` has none.
_RISKY = re.compile(r"[*+?{]|\\[1-9g]")
_MAX_PATTERN = 100
#: The longest string the evaluator keeps: a table name is far shorter.
_MAX_VALUE = 1_000
#: Group openers that quantify nothing, removed before the check when their ``(`` is not escaped.
_GROUP_OPTIONS = re.compile(r"(?<!\\)\(\?(?:[:=!]|<[=!])")
_MAX_NAME = 200


class _Unknown(Exception):
    """The body does something the evaluator does not follow."""


def computed_name(function: ast.FunctionDef, class_name: str) -> str | None:
    """The table name ``function`` (a ``__tablename__`` directive) returns for a class named ``class_name``."""
    if not function.args.args or len(class_name) > _MAX_NAME:
        return None
    env: dict[str, object] = {function.args.args[0].arg: _Class(class_name)}
    try:
        for stmt in function.body:
            if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
                continue  # a docstring
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
                env[stmt.targets[0].id] = _eval(stmt.value, env)
                continue
            if isinstance(stmt, ast.Return) and stmt.value is not None:
                value = _eval(stmt.value, env)
                return value if isinstance(value, str) and value else None
            return None
    except (_Unknown, re.error, IndexError, TypeError, ValueError, RecursionError, MemoryError):
        return None
    return None


class _Class:
    def __init__(self, name: str) -> None:
        self.name = name


def _eval(node: ast.expr, env: dict[str, object]) -> object:
    """One expression's value; a string longer than ``_MAX_VALUE`` is unknown (review: seven ``replace`` calls each
    multiplying the text by 78 took 2.9 GB and a MemoryError)."""
    value = _value(node, env)
    if isinstance(value, str) and len(value) > _MAX_VALUE:
        raise _Unknown
    return value


def _value(node: ast.expr, env: dict[str, object]) -> object:
    if isinstance(node, ast.Constant) and isinstance(node.value, str | int) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.Name) and node.id in env:
        return env[node.id]
    if isinstance(node, ast.Attribute) and node.attr == "__name__":
        owner = _eval(node.value, env)
        if isinstance(owner, _Class):
            return owner.name
        raise _Unknown
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _eval(node.left, env), _eval(node.right, env)
        if isinstance(left, str) and isinstance(right, str):
            return left + right
        raise _Unknown
    if isinstance(node, ast.Subscript):
        return _subscript(node, env)
    if isinstance(node, ast.Call) and not node.keywords:
        return _call(node, env)
    raise _Unknown


def _subscript(node: ast.Subscript, env: dict[str, object]) -> str:
    value = _eval(node.value, env)
    if not isinstance(value, str):
        raise _Unknown
    index = node.slice
    if isinstance(index, ast.Slice) and index.step is None:
        lower = _eval(index.lower, env) if index.lower is not None else None
        upper = _eval(index.upper, env) if index.upper is not None else None
        if isinstance(lower, int | None) and isinstance(upper, int | None):
            return value[lower:upper]
        raise _Unknown
    position = _eval(index, env)
    if isinstance(position, int):
        return value[position]
    raise _Unknown


def _call(node: ast.Call, env: dict[str, object]) -> object:
    func = node.func
    if not isinstance(func, ast.Attribute):
        raise _Unknown
    if isinstance(func.value, ast.Name) and func.value.id == "re" and func.attr == "sub" and len(node.args) == 3:
        return _sub(node.args, env)
    owner = _eval(func.value, env)
    if isinstance(owner, re.Match) and func.attr == "group" and len(node.args) <= 1:
        group = _eval(node.args[0], env) if node.args else 0
        if isinstance(group, int):
            return owner.group(group) or ""
        raise _Unknown
    if isinstance(owner, str) and func.attr in _METHODS and not node.args:
        return _METHODS[func.attr](owner)
    if isinstance(owner, str) and func.attr == "replace" and len(node.args) == 2:
        old, new = (_eval(a, env) for a in node.args)
        if isinstance(old, str) and isinstance(new, str):
            return owner.replace(old, new)
    raise _Unknown


def _sub(args: list[ast.expr], env: dict[str, object]) -> str:
    pattern, text = _eval(args[0], env), _eval(args[2], env)
    if not isinstance(pattern, str) or not isinstance(text, str) or len(pattern) > _MAX_PATTERN \
            or _RISKY.search(_GROUP_OPTIONS.sub("(", pattern)):
        raise _Unknown
    replacement = args[1]
    if isinstance(replacement, ast.Lambda) and len(replacement.args.args) == 1 and not replacement.args.defaults:
        param, body = replacement.args.args[0].arg, replacement.body

        def call(match: re.Match[str]) -> str:
            value = _eval(body, {**env, param: match})
            if not isinstance(value, str):
                raise _Unknown
            return value

        return re.sub(pattern, call, text)
    value = _eval(replacement, env)
    if isinstance(value, str):
        return re.sub(pattern, value, text)
    raise _Unknown
