"""An ``if`` on PostgreSQL's catalog of enum labels: the branch that runs only when a label is missing.

Projects make ``ALTER TYPE .. ADD VALUE`` safe to run twice without IF NOT EXISTS by asking first
(held-out-10 #64, openhands 082)::

    result = connection.execute(text("SELECT 1 FROM pg_enum WHERE enumlabel = 'X' AND enumtypid = ..."))
    if not result.fetchone():
        op.execute("ALTER TYPE t ADD VALUE 'X'")

The branch taken when the SELECT found no row runs only while the label is absent, like IF NOT EXISTS.
Only a query that asks for the label by equality, with no NOT in it, is read: its rows (or its one value, a
count or an EXISTS, or its ``rowcount``) are empty, zero or false exactly when the label is missing
(``if result.rowcount == 0:``, held-out-25 #82, flexmeasures 524800c11eec).
"""

from __future__ import annotations

import ast
import re

from migcheck.vocabulary.lazyregex import lazy_regex

_FROM_PG_ENUM = lazy_regex(r"\bFROM\s+(?:pg_catalog\s*\.\s*)?pg_enum\b", re.I)
_LABEL = lazy_regex(r"\benumlabel\s*=\s*'([^']+)'", re.I)
_NEGATION = lazy_regex(r"\bNOT\b|<>|!=", re.I)
_FETCHES = frozenset({"fetchone", "first", "scalar", "scalar_one_or_none", "one_or_none", "fetchall", "all"})


def _sql(node: ast.expr) -> str | None:
    """The literal SQL of ``"..."`` or ``text("...")`` / ``sa.text("...")``."""
    if isinstance(node, ast.Call) and node.args and not node.keywords:
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
        if name == "text":
            node = node.args[0]
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def label_checked(node: ast.expr, rows: dict[str, str]) -> str | None:
    """The enum label a SELECT from pg_enum looks for, when ``node`` is that query's result, a fetch of it
    (``.fetchone()``, ``.scalar()``...), or a name bound to either; None otherwise."""
    if isinstance(node, ast.Attribute) and node.attr == "rowcount":
        node = node.value  # the number of rows the SELECT returned: 0 exactly when the label is missing
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _FETCHES \
            and not node.args and not node.keywords:
        node = node.func.value
    if isinstance(node, ast.Name):
        return rows.get(node.id)
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr in {"execute", "exec_driver_sql"} and len(node.args) == 1):
        return None
    sql = _sql(node.args[0])
    if sql is None or not _FROM_PG_ENUM.search(sql) or _NEGATION.search(sql):
        return None
    labels = {m.group(1) for m in _LABEL.finditer(sql)}
    return labels.pop() if len(labels) == 1 else None


def label_missing_branch(test: ast.expr, rows: dict[str, str]) -> tuple[str, bool] | None:
    """(label, True) when the ``if``'s body runs only while the label is missing, (label, False) when its
    ``else`` does; None when the test is not such a check."""
    missing_in_body = False
    while isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        missing_in_body, test = not missing_in_body, test.operand
    if isinstance(test, ast.Compare):
        if len(test.ops) != 1 or not isinstance(test.comparators[0], ast.Constant):
            return None
        empty, op = test.comparators[0].value, test.ops[0]
        if empty is not None and not _rowcount(test.left):
            return None  # a count compared with a number is not read, only the rows the SELECT returned
        if (empty is None and isinstance(op, ast.Is | ast.Eq)) or (_zero(empty) and isinstance(op, ast.Eq)):
            missing_in_body = not missing_in_body
        elif not ((empty is None and isinstance(op, ast.IsNot | ast.NotEq))
                  or (_zero(empty) and isinstance(op, ast.NotEq | ast.Gt))):
            return None
        test = test.left
    label = label_checked(test, rows)
    return None if label is None else (label, missing_in_body)


def _zero(value: object) -> bool:
    """``0``, what the ``rowcount`` of the SELECT is when the label is missing (never ``False``)."""
    return type(value) is int and value == 0


def _rowcount(node: ast.expr) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "rowcount"
