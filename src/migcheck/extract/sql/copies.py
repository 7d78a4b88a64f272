"""Questions rules ask of a data statement once a drop or a pair is judged: does it copy a column or every row."""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from migcheck.extract.sql.tree import (
    SQLGLOT_DIALECTS,
    _inserted_select,
    _parse,
    _parsed_insert,
    _scope_tables,
    _sqlglot_dialect,
    _table_name,
    _table_schema,
)

if TYPE_CHECKING:
    from sqlglot import exp


def copies_every_row(sql: str, table: str, dialect: str, columns: Collection[str] | None) -> bool:
    """Whether ``sql`` (``CREATE TABLE c AS SELECT ...`` or ``INSERT INTO c SELECT ...``) copies every row of
    ``table``, whole: a plain SELECT from it (or from it LEFT JOINed to others, then reading ``*`` or ``t.*``),
    without WHERE, another JOIN, GROUP BY, DISTINCT, LIMIT or OFFSET, not ``WITH NO DATA``, that selects ``*`` or
    reads every one of ``columns`` (the table's columns as the history says; None when unknown, then only ``*``
    is whole). A copy and swap (drop-table) keeps the rows only
    then; a filtered copy loses some rows, a copy of some columns the others (review9)."""
    import sqlglot
    from sqlglot import exp

    try:
        tree = sqlglot.parse_one(sql, read=_sqlglot_dialect(dialect))
    except Exception:  # sqlglot raises many kinds: what it cannot read is no copy
        return False
    if not isinstance(tree, exp.Create | exp.Insert):
        return False
    if any(isinstance(p, exp.WithDataProperty) and p.args.get("no") for p in tree.find_all(exp.WithDataProperty)):
        return False
    select = _inserted_select(tree)
    if select is None:
        return False
    source = select.args.get("from") or select.args.get("from_")
    filters = ("where", "group", "having", "distinct", "limit", "offset", "fetch", "qualify", "with")
    if not (isinstance(source, exp.From) and isinstance(source.this, exp.Table)
            and (_table_name(source.this) or "").lower() == table.lower()
            and not any(select.args.get(key) for key in filters)):
        return False
    joins = select.args.get("joins") or []
    if not joins:
        return _selects_whole_rows(select, columns)
    # LEFT JOINs keep every row of the table on their left (held-out-26 #68: ``SELECT t.*, md5(...) FROM t LEFT
    # JOIN h ON ...``, a copy with a derived column): whole only with ``*`` or the table's own ``t.*``.
    # ``t.*`` names the table by what the FROM calls it (its alias, if any), and only where no joined table takes
    # that name, in any case (attack26b: ``SELECT t.* FROM t AS o LEFT JOIN h AS t``, ``"T".*`` of ``h AS "T"``,
    # read the other table's columns)
    own = (source.this.alias_or_name or "").lower()
    if any((j.this.alias_or_name or "").lower() == own for j in joins):
        return False
    return all(_left_join(j) for j in joins) and any(
        isinstance(e, exp.Star) or (isinstance(e, exp.Column) and isinstance(e.this, exp.Star)
                                    and e.table.lower() == own)
        for e in select.expressions)


def _left_join(join: Any) -> bool:
    """Whether ``join`` is a plain ``LEFT [OUTER] JOIN ... ON``: every row on its left survives it."""
    return (str(join.args.get("side") or "").upper() == "LEFT"
            and str(join.args.get("kind") or "OUTER").upper() == "OUTER"
            and join.args.get("on") is not None and not join.args.get("method"))


def _selects_whole_rows(select: Any, columns: Collection[str] | None) -> bool:
    """Whether a SELECT's list is ``*`` (or ``t.*``), or reads every one of ``columns``."""
    from sqlglot import exp

    if any(isinstance(e, exp.Star) or (isinstance(e, exp.Column) and isinstance(e.this, exp.Star))
           for e in select.expressions):
        return True
    if not columns:
        return False
    read = {c.name.lower() for e in select.expressions for c in e.find_all(exp.Column)}
    return {c.lower() for c in columns} <= read


def copies_column(sql: str, table: str, source: str, target: str, dialect: str, *, null_target: bool = False) -> bool:
    """Whether ``sql`` is ``UPDATE table SET target = <expression reading source>`` over every row (no WHERE, or
    one testing only NULL-ness): the values of ``source`` are carried into ``target`` (held-out-8 #120:
    ``UPDATE workflows SET generate_script = use_cache`` before ``use_cache`` is dropped). With ``null_target``
    (the caller knows ``target`` is NULL on every row, freshly added) a ``target IS NULL`` test skips no row
    (held-out-23 #108: ``SET created_by = creator_id WHERE created_by IS NULL``)."""
    import sqlglot
    from sqlglot import exp

    try:
        tree = sqlglot.parse_one(sql, read=SQLGLOT_DIALECTS.get(dialect, dialect))
    except Exception:  # sqlglot raises many kinds: what it cannot read copies nothing
        return False
    if not isinstance(tree, exp.Update) or not isinstance(tree.this, exp.Table) \
            or (_table_name(tree.this) or "").lower() != table.lower():
        return False
    where = tree.args.get("where")
    if where is not None and any(isinstance(c, exp.Column) and c.name.lower() != source.lower()
                                 and not (null_target and _is_null_test(c, target))
                                 for c in where.find_all(exp.Column)):
        return False
    for item in tree.expressions:
        if isinstance(item, exp.EQ) and isinstance(item.this, exp.Column) \
                and item.this.name.lower() == target.lower():
            return any(c.name.lower() == source.lower() for c in item.expression.find_all(exp.Column))
    return False


def _is_null_test(column: Any, name: str) -> bool:
    """Whether ``column`` is ``name`` tested by a plain ``IS NULL`` (not negated, not under a NOT)."""
    from sqlglot import exp

    test = column.parent
    return column.name.lower() == name.lower() and isinstance(test, exp.Is) and test.this is column \
        and isinstance(test.expression, exp.Null) and not test.args.get("negate") \
        and test.find_ancestor(exp.Not) is None


def boolean_value_set(sql: str, table: str, source: str, target: str, dialect: str) -> tuple[bool, str] | None:
    """(the value of the boolean ``source`` tested, the literal ``target`` is set to) when ``sql`` is ``UPDATE table
    SET target = <literal> WHERE source = TRUE`` (``= FALSE``, the literal on either side, ``WHERE source``, ``WHERE
    NOT source``): the rows holding one value of ``source`` get one value of ``target``, and a pair of them, one per
    value, carries every value over (held-out-21 #107: ``SET active = true WHERE is_active = true`` then ``SET active
    = false WHERE is_active = false``). None for anything else."""
    import sqlglot
    from sqlglot import exp

    try:
        tree = sqlglot.parse_one(sql, read=SQLGLOT_DIALECTS.get(dialect, dialect))
    except Exception:  # sqlglot raises many kinds: what it cannot read sets nothing known
        return None
    if not isinstance(tree, exp.Update) or not isinstance(tree.this, exp.Table) \
            or (_table_name(tree.this) or "").lower() != table.lower() \
            or any(tree.args.get(key) for key in ("from", "from_", "joins", "limit", "order", "with")):
        return None
    where = tree.args.get("where")
    tested = _boolean_test(where.this, table, source) if where is not None else None
    if tested is None:
        return None
    for item in tree.expressions:
        if isinstance(item, exp.EQ) and isinstance(item.this, exp.Column) and item.this.name.lower() == target.lower():
            value = item.expression
            if isinstance(value, exp.Boolean | exp.Literal | exp.Null):
                return tested, value.sql().lower()
            return None
    return None


def _boolean_test(test: Any, table: str, column: str) -> bool | None:
    """The value a WHERE picks of a boolean ``column``: ``column = TRUE`` / ``FALSE`` (either side), ``column``,
    ``NOT column``; None for any other test."""
    from sqlglot import exp

    def named(node: Any) -> bool:
        return isinstance(node, exp.Column) and node.table.lower() in {"", table.lower()} \
            and node.name.lower() == column.lower()

    while isinstance(test, exp.Paren):
        test = test.this
    if named(test):
        return True
    if isinstance(test, exp.Not) and named(test.this):
        return False
    if isinstance(test, exp.EQ):
        for side, other in ((test.this, test.expression), (test.expression, test.this)):
            if named(side) and isinstance(other, exp.Boolean):
                return bool(other.this)
    return None


def copies_column_out(sql: str, table: str, column: str, dialect: str) -> bool | None:
    """Whether ``sql`` writes the values of ``column`` of ``table`` into another table: an INSERT ... SELECT
    (inserts_column_from), or ``UPDATE other SET c = t.column FROM table t WHERE ...`` (held-out-23 #44), which
    reaches only the rows of ``table`` that match a row of ``other``, so never every row (False). None when it
    copies no value of the column. A part of a name known only at run time (``{…}.layer``, the schema of an
    f-string) is read as a placeholder name (held-out-23 #45): the table and the column are still known."""
    sql = sql.replace("{…}", "migcheck_param")
    inserted = inserts_column_from(sql, table, column, dialect)
    return inserted if inserted is not None else _updates_column_from(sql, table, column, dialect)


def selects_column(sql: str, table: str, schema: str | None, column: str, dialect: str) -> bool:
    """Whether ``sql`` is a SELECT whose list holds ``column`` itself (maybe renamed) of ``table`` in ``schema``
    (None: a name without schema), read from its FROM or a JOIN: rows it returns carry the column's values.
    ``NULL AS column``, ``'column'``, ``other AS column``, ``count(column)``, a column in a subquery, a comment and
    a table of that name in another schema carry none."""
    from sqlglot import exp

    try:
        tree = _parse(sql.replace("{…}", "migcheck_param"), dialect)
    except Exception:  # sqlglot raises many kinds: what it cannot read carries nothing
        return False
    while isinstance(tree, exp.Subquery):
        tree = tree.this
    if not isinstance(tree, exp.Select):
        return False
    nodes = [n for n in (tree.args.get("from") or tree.args.get("from_"),) if n is not None]
    tables = [n.this for n in nodes] + [join.this for join in tree.args.get("joins") or []]
    aliases = {(t.alias or t.name).lower() for t in tables if isinstance(t, exp.Table)
               and t.name.lower() == table.lower() and (_table_schema(t) or "").lower() == (schema or "").lower()}
    if not aliases:
        return False
    alone = len(tables) == 1

    def names(c: exp.Column) -> bool:
        return c.table.lower() in aliases if c.table else alone

    bare = (e.this if isinstance(e, exp.Alias) else e for e in tree.expressions)
    return any((isinstance(e, exp.Star) and alone) or (isinstance(e, exp.Column) and names(e) and (
        isinstance(e.this, exp.Star) or e.name.lower() == column.lower())) for e in bare)


def _updates_column_from(sql: str, table: str, column: str, dialect: str) -> bool | None:
    """False when ``sql`` is an UPDATE of another table that sets a column to ``table``'s ``column``, read from
    ``table`` joined in (``FROM table t``, MySQL's ``JOIN``), qualified with its name or alias; None otherwise."""
    from sqlglot import exp

    try:
        tree = _parse(sql, dialect)
    except Exception:  # sqlglot raises many kinds: what it cannot read copies nothing
        return None
    if not isinstance(tree, exp.Update) or not isinstance(tree.this, exp.Table) \
            or (_table_name(tree.this) or "").lower() == table.lower():
        return None
    own = (tree.this.alias or tree.this.name).lower()
    aliases = {alias for alias, name in _scope_tables(tree).items() if name == table.lower() and alias != own}
    for item in tree.expressions:
        value = item.expression if isinstance(item, exp.EQ) else None
        if isinstance(value, exp.Column) and value.name.lower() == column.lower() \
                and value.table.lower() in aliases:
            return False
    return None


def inserts_column_from(sql: str, table: str, column: str, dialect: str) -> bool | None:
    """Whether ``sql`` is ``INSERT INTO other (...) SELECT ... column ... FROM table``: the values of ``column`` are
    written into another table (held-out-12 #39: copr's ``INSERT INTO copr_private(..., scm_api_auth_json, ...)
    (SELECT ..., scm_api_auth_json, ... FROM copr)`` one revision before the column is dropped). True when every
    row is copied (a plain SELECT from ``table`` alone: no WHERE, JOIN, GROUP BY, DISTINCT, LIMIT...), False when
    only some rows may be, None when the statement copies no value of the column."""
    from sqlglot import exp

    tree = _parsed_insert(sql, dialect)
    if tree is None:
        return None
    target = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
    if (_table_name(target) or "").lower() == table.lower():
        return None
    select = _inserted_select(tree)
    if select is None:
        return None
    sources = _scope_tables(select)
    aliases = {alias for alias, name in sources.items() if name == table.lower()}
    if not aliases:
        return None
    alone = len(sources) == 1
    def names(c: exp.Column) -> bool:
        return c.table.lower() in aliases if c.table else alone

    star = any((isinstance(e, exp.Star) and alone) or (isinstance(e, exp.Column) and isinstance(e.this, exp.Star)
                                                       and names(e)) for e in select.expressions)
    # only the column itself, maybe renamed, carries its values: password_hash IS NOT NULL, length(token),
    # md5(notes) do not (review16)
    bare = (e.this if isinstance(e, exp.Alias) else e for e in select.expressions)
    if not star and not any(isinstance(c, exp.Column) and c.name.lower() == column.lower() and names(c) for c in bare):
        return None
    filters = ("joins", "group", "having", "distinct", "limit", "offset", "fetch", "qualify", "with")
    where = select.args.get("where")
    # WHERE column IS NOT NULL leaves out only rows that hold no value of it (onyx 6fc7886d665d)
    test = where.this if where is not None else None
    if isinstance(test, exp.Not):  # NOT (c IS NULL), as some sqlglot versions read IS NOT NULL
        test = test.this if isinstance(test.this, exp.Is) and not test.this.args.get("negate") else None
    elif isinstance(test, exp.Is) and not test.args.get("negate"):
        test = None
    skips_nulls = isinstance(test, exp.Is) and isinstance(test.this, exp.Column) \
        and test.this.name.lower() == column.lower() and isinstance(test.expression, exp.Null)
    return not any(select.args.get(key) for key in filters) and (where is None or skips_nulls)
