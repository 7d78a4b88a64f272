"""Values a migration reads from the database with a SELECT of one column, then formats into SQL.

``x = conn.execute(sa.text("SELECT id FROM t WHERE ...")).scalar()``, ``.fetchone()[0]``, ``.first()[0]``,
``for row in result: row[0]`` / ``row.id``: the value is what column ``t.id`` holds. Whether that column is an
integer (which cannot carry a quote) is for the rule to ask of the history (lookback.column_type); here the
value is only tied to its (table, column). Only a SELECT whose column list and FROM are written out (not
built at run time) counts; run-time values in its WHERE make the SELECT itself interpolated, reported there.
"""

from __future__ import annotations

import ast
import functools
import re
from typing import TYPE_CHECKING

from migcheck.vocabulary.lazyregex import lazy_regex

if TYPE_CHECKING:
    from migcheck.extract.python.scope import Scope
    from migcheck.extract.python.strings import SqlStrings

#: SELECT of exactly one column (or count(*), max(col), min(col)) FROM one table, nothing else listed.
_ONE_COLUMN = lazy_regex(
    r"^\s*select\s+(?:(?P<count>count\s*\(\s*\*\s*\))|(?:max|min)\s*\(\s*(?P<agg>\w+)\s*\)|(?P<col>\w+))"
    r"\s+from\s+(?P<table>\w+)(?:\s+(?:as\s+)?(?!where\b|order\b|limit\b)\w+)?(?:\s*(?:;\s*)?$|\s+(?:where|order|limit)\b)",
    re.I,
)
#: SELECT of several columns, or of ``*``, FROM one table, nothing else listed: a row's named values are its columns'.
_COLUMNS = lazy_regex(
    r"^\s*select\s+(?P<cols>\*|\w+(?:\s*,\s*\w+)+)"
    r"\s+from\s+(?P<table>\w+)(?:\s+(?:as\s+)?(?!where\b|order\b|limit\b)\w+)?(?:\s*(?:;\s*)?$|\s+(?:where|order|limit)\b)",
    re.I,
)
#: Marks the column of a (table, column) pair as the list of a several-column SELECT (``"\0id,model_id"``, ``"\0*"``).
_MANY = "\0"
_SCALAR = {"scalar", "scalar_one", "scalar_one_or_none"}
_ROW = {"fetchone", "first", "one", "one_or_none"}
_ROWS = {"fetchall", "all"}


def selected_column(ex: SqlStrings, node: ast.expr, scope: Scope) -> tuple[str, str] | None:
    """(table, column) of ``<anything>.execute(<SELECT of one column>)``; ``"*"`` for count(*)."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "execute"
            and node.args):
        return None
    text = ex._sql_text(node.args[0], scope)
    if text is None:
        return None
    match = _ONE_COLUMN.match(text[0])
    if match is None:
        many = _COLUMNS.match(text[0])  # held-out-22 #154, #156: select id, model_id from model_versions
        if many is None or "migcheck_" in many["table"] or "migcheck_" in many["cols"]:
            return None
        return many["table"].lower(), _MANY + ",".join(c.strip().lower() for c in many["cols"].split(","))
    column = "*" if match["count"] else match["agg"] or match["col"]
    table = match["table"]
    if "migcheck_" in column or "migcheck_" in table or column.lower() in {"distinct", "all"}:
        return None
    return table.lower(), column


def _of(ex: SqlStrings, node: ast.expr, scope: Scope, kind: str) -> tuple[str, str] | None:
    """(table, column) when ``node`` is a name of that kind, or (for a result) an execute call itself."""
    if isinstance(node, ast.Name):
        held = scope.fetched.get(node.id)
        return held[1] if held is not None and held[0] == kind else None
    return selected_column(ex, node, scope) if kind == "result" else None


def _method(node: ast.expr, names: set[str]) -> ast.expr | None:
    """The object ``node`` calls one of ``names`` on, without arguments (``result.scalar()`` -> ``result``)."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in names \
            and not node.args and not node.keywords:
        return node.func.value
    return None


def _first(found: tuple[str, str] | None) -> tuple[str, str] | None:
    """The one column a SELECT read (``.scalar()``, ``row[0]``); None for a SELECT of several, whose values are
    taken by name only (``row["id"]``, ``row.id``)."""
    return None if found is None or found[1].startswith(_MANY) else found


def _named(found: tuple[str, str] | None, name: str) -> tuple[str, str] | None:
    """The column ``name`` of a row (``row.id``, ``row["id"]``), when the SELECT read it."""
    if found is None:
        return None
    if not found[1].startswith(_MANY):
        return found if name == found[1] else None
    columns = _columns(found[1])
    return (found[0], name) if "*" in columns or name.lower() in columns else None


@functools.lru_cache(maxsize=64)
def _columns(listed: str) -> frozenset[str]:
    """The columns of a several-column SELECT's list (``"\0id,model_id"``), split once per list: a split per
    ``row.x`` read was columns x reads (10,000 of each: 43 s)."""
    return frozenset(listed[1:].split(","))


def fetched_value(ex: SqlStrings, node: ast.expr, scope: Scope) -> tuple[str, str] | None:
    """(table, column) when ``node`` is the value of one column a SELECT read."""
    if isinstance(node, ast.Name):
        return _of(ex, node, scope, "value")
    if (inner := _method(node, _SCALAR)) is not None:
        return _first(_of(ex, inner, scope, "result"))
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and node.slice.value == 0:
        return _first(fetched_row(ex, node.value, scope))
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
        return _named(fetched_row(ex, node.value, scope), node.slice.value)  # row["model_id"]
    if isinstance(node, ast.Attribute):
        return _named(fetched_row(ex, node.value, scope), node.attr)
    return None


def fetched_row(ex: SqlStrings, node: ast.expr, scope: Scope) -> tuple[str, str] | None:
    """(table, column) when ``node`` is a row of such a SELECT (``result.fetchone()``, a loop's row)."""
    if (inner := _method(node, _ROW)) is not None:
        return _of(ex, inner, scope, "result")
    return _of(ex, node, scope, "row")


def fetched_rows(ex: SqlStrings, node: ast.expr, scope: Scope) -> tuple[str, str] | None:
    """(table, column) when a ``for`` over ``node`` runs over the rows of such a SELECT."""
    inner = _method(node, _ROWS)
    return _of(ex, node if inner is None else inner, scope, "result")


def bind_fetched(ex: SqlStrings, name: str, value: ast.expr, before: Scope, scope: Scope) -> bool:
    """Record ``name = value`` in scope.fetched when value is such a result, row or value."""
    rows = _method(value, _ROWS)  # versions = conn.execute(...).fetchall(): looped over below
    for kind, found in (("result", _of(ex, value if rows is None else rows, before, "result")),
                        ("row", fetched_row(ex, value, before)),
                        ("value", fetched_value(ex, value, before))):
        if found is not None:
            scope.fetched[name] = (kind, found)
            return True
    return False
