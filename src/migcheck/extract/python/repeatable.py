"""Whether an ORM bulk DELETE deletes the same rows when run again: ``session.query(M).filter(M.value.is_(None))
.delete()``, its rows chosen by tests of ``M``'s own columns against constants only.

Run again after a failed run (MySQL commits it when the DDL after it starts, held-out-24 #93: optuna v3.0.0.b),
such a DELETE removes what matches then, as one run would have: a row's own values do not depend on the rows the
first run removed. A test of anything else (another table, a subquery, a relationship, a value computed at run
time) may pick other rows the second time, so it is not one (``DataChange.repeatable``).
"""

from __future__ import annotations

import ast

from migcheck.extract.python.columns import sqlalchemy_constant
from migcheck.extract.python.evaluate import Evaluator
from migcheck.extract.python.nodes import _call_name
from migcheck.extract.python.scope import Scope

#: Column methods that test the column against their arguments.
_TESTS = frozenset({"is_", "isnot", "is_not", "in_", "not_in", "notin_"})


def repeatable_delete(ex: Evaluator, call: ast.Call, scope: Scope) -> bool:
    """``session.query(M)[.filter(...)|.where(...)|.filter_by(...)]*.delete()``: whether every test is one of
    ``M``'s own columns against constants, ``M`` a class of the revision bound once that declares each tested
    column with ``Column(...)`` / ``mapped_column(...)``."""
    if not (isinstance(call.func, ast.Attribute) and call.func.attr == "delete" and not call.args):
        return False
    node: ast.expr = call.func.value
    tests: list[ast.expr] = []
    keywords: list[ast.keyword] = []
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr != "query":
        if node.func.attr in {"filter", "where"} and not node.keywords:
            tests.extend(node.args)
        elif node.func.attr == "filter_by" and not node.args:
            keywords.extend(node.keywords)
        else:
            return False  # .limit(), .join(), .order_by(), ...: not the shape this reads
        node = node.func.value
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "query"
            and len(node.args) == 1 and not node.keywords and isinstance(node.args[0], ast.Name)):
        return False
    columns = _declared_columns(ex, node.args[0].id)
    if columns is None:
        return False
    return all(k.arg in columns and _constant(ex, k.value, scope) for k in keywords) \
        and all(_constant_test(ex, test, columns, node.args[0].id, scope) for test in tests)


def _declared_columns(ex: Evaluator, name: str) -> frozenset[str] | None:
    """The attributes a module-level class ``name`` of the revision (bound nowhere else) declares as columns."""
    if name in ex._rebound():
        return None
    classes = [n for n in ex.tree.body if isinstance(n, ast.ClassDef) and n.name == name]
    if len(classes) != 1:
        return None
    found: set[str] = set()
    for stmt in classes[0].body:
        value = stmt.value if isinstance(stmt, ast.Assign | ast.AnnAssign) else None
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target] if isinstance(stmt, ast.AnnAssign) \
            else []
        if isinstance(value, ast.Call) and _call_name(value) in {"Column", "mapped_column"}:
            found.update(t.id for t in targets if isinstance(t, ast.Name))
    return frozenset(found)


def _column(node: ast.expr, columns: frozenset[str], entity: str) -> bool:
    return isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == entity \
        and node.attr in columns


def _constant(ex: Evaluator, node: ast.expr, scope: Scope) -> bool:
    """A literal (``None``, ``3``, ``-1``, ``"x"``, a name bound to a constant), or SQLAlchemy's ``sa.null()`` /
    ``true()`` / ``false()`` (columns.sqlalchemy_constant: not the revision's own ``true()``)."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        node = node.operand
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Call) and sqlalchemy_constant(ex.tree, node) is not None:
        return True
    return isinstance(node, ast.Name) and ex._literal(node, scope) is not None


def _constant_test(ex: Evaluator, node: ast.expr, columns: frozenset[str], entity: str, scope: Scope) -> bool:
    """``M.c.is_(None)``, ``M.c == 3``, ``M.c.in_(["a", "b"])``, and ``and_``/``or_``/``not_``/``&``/``|``/``~``
    of such tests."""
    if isinstance(node, ast.Call) and _call_name(node) in {"and_", "or_", "not_"} and not node.keywords \
            and isinstance(node.func, ast.Name | ast.Attribute):
        return bool(node.args) and all(_constant_test(ex, a, columns, entity, scope) for a in node.args)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitAnd | ast.BitOr):
        return _constant_test(ex, node.left, columns, entity, scope) \
            and _constant_test(ex, node.right, columns, entity, scope)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Invert):
        return _constant_test(ex, node.operand, columns, entity, scope)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _TESTS \
            and len(node.args) == 1 and not node.keywords and _column(node.func.value, columns, entity):
        arg = node.args[0]
        if node.func.attr in {"in_", "not_in", "notin_"}:
            return isinstance(arg, ast.List | ast.Tuple) and all(_constant(ex, e, scope) for e in arg.elts)
        return _constant(ex, arg, scope)
    if isinstance(node, ast.Compare) and len(node.ops) == 1 \
            and isinstance(node.ops[0], ast.Eq | ast.NotEq | ast.Lt | ast.LtE | ast.Gt | ast.GtE):
        left, right = node.left, node.comparators[0]
        return (_column(left, columns, entity) and _constant(ex, right, scope)) \
            or (_column(right, columns, entity) and _constant(ex, left, scope))
    return False
