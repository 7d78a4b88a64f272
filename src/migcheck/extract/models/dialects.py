"""What an application helper that tests the dialect returns on the target dialect, read from its source.

``if is_postgresql(bind):`` in a revision, ``is_postgresql`` imported from the application
(``def is_postgresql(conn, min_version=None): if conn.engine.name != "postgresql": return False; return
version_ok(conn, min_version)``): the walker records the guard (extract/python/appguards.py), and the engine asks
this module what the helper returns, to leave out the branch the dialect never takes. Nothing is imported or run:
the body is read as a few steps, ``if <test>: return <value>`` then one ``return``, where a test is a dialect test
(extract/python/dialecttests.py) or ``<parameter> is None`` of a parameter whose value is known (its constant default,
when the call does not pass it), and a value is a constant, a test, or a call of another such helper of the same
module. Anything else is unknown, and an unknown result keeps both branches. Work is bounded by ``_MAX_DEPTH``.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Callable

from migcheck.extract.python.deployment import mentions_deployment
from migcheck.extract.python.dialecttests import _static_test_impl
from migcheck.extract.python.evaluate import Evaluator
from migcheck.extract.python.scope import Scope

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef
_MAX_DEPTH = 4
#: How deeply a test's expression may nest before it is not read (the evaluator recurses per level).
_MAX_NESTING = 64
_UNKNOWN = object()


def helper_result_on(fn: FunctionNode, dialect: str, passed: tuple[int, tuple[str, ...]],
                     lookup: Callable[[str], FunctionNode | None]) -> bool | None:
    """The truth of what ``fn`` returns on ``dialect``, called with ``passed`` (how many positional arguments, and
    the keywords' names: those parameters are unknown, the others hold their constant defaults); None when
    unknown. ``lookup`` finds another function of ``fn``'s module by name."""
    evaluator = Evaluator()
    evaluator.tree, evaluator.consts, evaluator.dialect, evaluator.functions = \
        ast.Module(body=[], type_ignores=[]), {}, dialect, {}
    return _result(evaluator, fn, _defaults(fn, passed[0], passed[1], {}), lookup, 0)


def _defaults(fn: FunctionNode, positional: int, keywords: tuple[str, ...],
              given: dict[str, object]) -> dict[str, object] | None:
    """Each parameter's known value: ``given`` (by name), else its constant default when not passed; None when the
    call's arguments do not fit a plain signature."""
    args = fn.args
    if args.vararg or args.kwarg or args.posonlyargs:
        return None
    plain = args.args
    defaults: list[ast.expr | None] = [None] * (len(plain) - len(args.defaults)) + list(args.defaults)
    pairs = [*zip(plain, defaults, strict=True), *zip(args.kwonlyargs, args.kw_defaults, strict=True)]
    known: dict[str, object] = {}
    for index, (arg, default) in enumerate(pairs):
        if arg.arg in given:
            known[arg.arg] = given[arg.arg]
        elif (index < positional and index < len(plain)) or arg.arg in keywords:
            continue  # passed: unknown
        elif isinstance(default, ast.Constant):
            known[arg.arg] = default.value
    return known


def _result(evaluator: Evaluator, fn: FunctionNode, known: dict[str, object] | None,
            lookup: Callable[[str], FunctionNode | None], depth: int) -> bool | None:
    if known is None or depth > _MAX_DEPTH or isinstance(fn, ast.AsyncFunctionDef) or fn.decorator_list \
            or _generator(fn):
        return None  # a generator's call is a generator object, always true, whatever it would return
    body = fn.body[1:] if fn.body and isinstance(fn.body[0], ast.Expr) \
        and isinstance(fn.body[0].value, ast.Constant) else fn.body
    for stmt in body:
        if isinstance(stmt, ast.If) and not stmt.orelse and len(stmt.body) == 1 \
                and isinstance(stmt.body[0], ast.Return):
            verdict = _test(evaluator, stmt.test, known)
            if verdict is None:
                return None
            if verdict:
                return _value(evaluator, fn, stmt.body[0].value, known, lookup, depth)
            continue
        if isinstance(stmt, ast.Return):
            return _value(evaluator, fn, stmt.value, known, lookup, depth)
        return None
    return False  # falls off its end: None


def _test(evaluator: Evaluator, test: ast.expr, known: dict[str, object]) -> bool | None:
    """``<parameter> is None`` / ``is not None`` of a known parameter, or a dialect test."""
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Is | ast.IsNot) \
            and isinstance(test.left, ast.Name) and test.left.id in known \
            and isinstance(test.comparators[0], ast.Constant) and test.comparators[0].value is None:
        return (known[test.left.id] is None) is isinstance(test.ops[0], ast.Is)
    if _deeper_than(test, _MAX_NESTING):
        return None  # ``not not ... x`` thousands deep: the evaluator recurses per level
    if any(isinstance(node, ast.Name) and node.id in known for node in ast.walk(test)):
        return None  # a test of a parameter's value that is not one of the above
    if mentions_deployment(test, frozenset()):
        return None  # which deployment runs is not a dialect: the walker keeps both its branches
    return _static_test_impl(evaluator, test, Scope(phase="upgrade", env={}))


def _deeper_than(node: ast.AST, limit: int) -> bool:
    """Whether ``node`` nests more than ``limit`` levels, measured without recursion."""
    todo = [(node, 0)]
    while todo:
        current, level = todo.pop()
        if level > limit:
            return True
        todo.extend((child, level + 1) for child in ast.iter_child_nodes(current))
    return False


@functools.lru_cache(maxsize=1024)
def _generator(fn: FunctionNode) -> bool:
    """Whether ``yield`` (or ``await``) appears in ``fn``: a generator function (a nested one counts too)."""
    return any(isinstance(node, ast.Yield | ast.YieldFrom | ast.Await) for node in ast.walk(fn))


@functools.lru_cache(maxsize=1024)
def _local_names(fn: FunctionNode) -> frozenset[str]:
    """The names ``fn`` binds itself (its parameters, a walrus in a test): a call of one is not the module's
    function of that name."""
    args = fn.args
    params = [*args.posonlyargs, *args.args, *args.kwonlyargs, *(a for a in (args.vararg, args.kwarg) if a)]
    return frozenset({a.arg for a in params} | {n.target.id for n in ast.walk(fn)
                                                if isinstance(n, ast.NamedExpr) and isinstance(n.target, ast.Name)})


def _value(evaluator: Evaluator, fn: FunctionNode, value: ast.expr | None, known: dict[str, object],
           lookup: Callable[[str], FunctionNode | None], depth: int) -> bool | None:
    if value is None:
        return False
    if isinstance(value, ast.Constant):
        return bool(value.value) if isinstance(value.value, bool | type(None)) else None
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id in _local_names(fn):
        return None  # ``def is_pg(conn, check=other): return check(conn)``: not the module's ``check``
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) \
            and (callee := lookup(value.func.id)) is not None:
        given = {}
        params = [a.arg for a in callee.args.args]
        pairs = [*zip(params, value.args, strict=False), *((k.arg, k.value) for k in value.keywords if k.arg)]
        if len(value.args) > len(params) or any(k.arg is None for k in value.keywords) \
                or any(isinstance(a, ast.Starred) for a in value.args):
            return None
        for name, arg in pairs:
            given[name] = known.get(arg.id, _UNKNOWN) if isinstance(arg, ast.Name) \
                else arg.value if isinstance(arg, ast.Constant) else _UNKNOWN
        inner = {k: v for k, v in given.items() if v is not _UNKNOWN}
        passed = tuple(given)
        return _result(evaluator, callee, _defaults(callee, 0, passed, inner), lookup, depth + 1)
    return _test(evaluator, value, known)
