"""sqlglot itself: the dialect, parsing (quietly, lazily imported), and small helpers over its nodes."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlglot import exp
    from sqlglot.dialects.dialect import Dialect


SQLGLOT_DIALECTS = {"postgresql": "postgres", "mysql": "mysql", "sqlite": "sqlite"}


def _scope_tables(scope: exp.Expression | None) -> dict[str, str]:
    """alias (or name) -> table name of the tables a SELECT/UPDATE/DELETE reads rows of directly."""
    from sqlglot import exp

    if scope is None:
        return {}
    nodes: list[Any] = [scope.this] if isinstance(scope, exp.Update | exp.Delete) else []
    source = scope.args.get("from") or scope.args.get("from_")
    if source is not None:
        nodes.append(source.this)
    nodes += [join.this for join in scope.args.get("joins") or []]
    nodes += list(scope.args.get("using") or [])
    out: dict[str, str] = {}
    for node in nodes:
        if isinstance(node, exp.Table) and node.name:
            out[(node.alias or node.name).lower()] = node.name.lower()
    return out


@functools.cache
def _quiet_sqlglot() -> None:
    """Silence sqlglot's warnings once per process (``setLevel`` clears every logger's cache: not per statement)."""
    import logging  # here: a run that parses no SQL needs no logging

    logging.getLogger("sqlglot").setLevel(logging.CRITICAL)


def _parse(sql: str, dialect: str) -> exp.Expression | None:
    import sqlglot
    from sqlglot import exp

    _quiet_sqlglot()
    tree = sqlglot.parse_one(sql, read=_sqlglot_dialect(dialect))
    return tree if isinstance(tree, exp.Expression) else None


@functools.cache
def _sqlglot_dialect(dialect: str) -> Dialect:
    """sqlglot's dialect for migcheck's name, made once per process: given a name, ``parse_one`` splits it for
    settings and builds a new ``Dialect`` for every statement (a tenth of the parse of a short statement).
    Parsing keeps no state in it (the tokenizer and parser are made per call)."""
    from sqlglot.dialects.dialect import Dialect

    return Dialect.get_or_raise(SQLGLOT_DIALECTS.get(dialect, dialect))


def _sql_of(node: Any, render: str) -> str | None:
    """SQL of an expression argument; sqlglot also stores plain flags (``using=False``) in args."""
    from sqlglot import exp

    return node.sql(render) if isinstance(node, exp.Expression) else None


def _name(node: Any) -> str | None:
    if node is None:
        return None
    if isinstance(node, str):
        return node
    name = getattr(node, "name", None)
    return name if isinstance(name, str) and name else None


def _table_name(node: Any) -> str | None:
    """Table name without schema: rules compare tables by their bare name."""
    return _name(node)


def _table_schema(node: Any) -> str | None:
    """The schema a table reference names (``archive`` of ``archive.events``); None when it names none."""
    return _name(node.args.get("db")) if hasattr(node, "args") else None


def _literal_text(node: Any) -> str | None:
    from sqlglot import exp

    if isinstance(node, exp.Literal):
        return str(node.this)
    return node.sql() if node is not None else None


def _inserted_select(tree: exp.Expression) -> exp.Select | None:
    """The SELECT an INSERT ... SELECT or CREATE TABLE ... AS SELECT takes its rows from (through parentheses)."""
    from sqlglot import exp

    select = tree.args.get("expression")
    while isinstance(select, exp.Subquery):
        select = select.this
    return select if isinstance(select, exp.Select) else None


@functools.lru_cache(maxsize=4096)
def _parsed_insert(sql: str, dialect: str) -> exp.Insert | None:
    """``sql`` parsed once, when it is an INSERT: every drop of a column asks each earlier copy (review16)."""
    from sqlglot import exp

    try:
        tree = _parse(sql, dialect)
    except Exception:  # sqlglot raises many kinds: what it cannot read copies nothing
        return None
    return tree if isinstance(tree, exp.Insert) else None
