"""Which column each occurrence of an enum label in a statement is compared with, read from sqlglot's tree.

``enum-add-value-in-transaction`` counts a label compared with a column of another type as no use of the new
value. A statement that also reads rows from elsewhere (a subquery) used to count whatever it compared, since
the column may belong to the other source. Here a subquery whose only sources are PostgreSQL's JSON set-returning
functions (``FROM jsonb_each(history)``: columns ``key`` text and ``value`` json) is resolved as PostgreSQL does:
a column those functions return is theirs (text or json, never an enum), any other name is looked up in the
enclosing query, up to the statement's own table (held-out-24 #70-#72, checked on PostgreSQL 15).
"""

from __future__ import annotations

from typing import Any

#: JSON set-returning functions and the columns each returns (text, json or jsonb: never an enum).
_JSON_FUNCTIONS: dict[str, frozenset[str]] = {
    "json_each": frozenset({"key", "value"}),
    "jsonb_each": frozenset({"key", "value"}),
    "json_each_text": frozenset({"key", "value"}),
    "jsonb_each_text": frozenset({"key", "value"}),
    "json_object_keys": frozenset({"json_object_keys"}),
    "jsonb_object_keys": frozenset({"jsonb_object_keys"}),
    "json_array_elements": frozenset({"value"}),
    "jsonb_array_elements": frozenset({"value"}),
    "json_array_elements_text": frozenset({"value"}),
    "jsonb_array_elements_text": frozenset({"value"}),
}

#: A column of the statement's own table (to be judged by its type), or one a JSON function returns.
OWN = "own"


def compared_columns(sql: str, value: str) -> list[str] | None:
    """For each occurrence of the string literal ``value`` in ``sql`` (an UPDATE or DELETE of one table): the
    name of the statement's own column it is compared with, or ``""`` for a column of a JSON function of a
    subquery (text, not an enum). None when any occurrence stands elsewhere or its column cannot be told."""
    from sqlglot import exp  # here: commands that only print (rules, explain) import neither

    from migcheck.extract.sql.tree import _parse

    try:
        tree = _parse(sql, "postgresql")
    except Exception:  # sqlglot raises many kinds: what it cannot read is not resolved
        return None
    if not isinstance(tree, exp.Update | exp.Delete) or not isinstance(tree.this, exp.Table) \
            or any(tree.args.get(k) for k in ("from", "from_", "using", "joins", "with", "with_")):
        return None
    literals = [node for node in tree.find_all(exp.Literal) if node.is_string and node.this == value]
    if len(literals) != sql.count("'" + value.replace("'", "''") + "'"):
        return None  # an occurrence sqlglot read otherwise (a comment, an escape string): not resolved
    found: list[str] = []
    for literal in literals:
        column = _compared_column(literal)
        resolved = None if column is None else _resolve(column, tree)
        if resolved is None:
            return None
        found.append(resolved)
    return found


def _compared_column(literal: Any) -> Any:
    """The column ``literal`` is compared with (``col = 'x'``, ``'x' <> col``, ``col IN ('a', 'x')``)."""
    from sqlglot import exp

    parent = literal.parent
    if isinstance(parent, exp.EQ | exp.NEQ):
        other = parent.left if parent.right is literal else parent.right if parent.left is literal else None
        return other if isinstance(other, exp.Column) else None
    if isinstance(parent, exp.In) and literal in parent.expressions and isinstance(parent.this, exp.Column):
        return parent.this
    return None


def _resolve(column: Any, tree: Any) -> str | None:
    """``OWN``'s column name, or ``""`` for a JSON function's column, following PostgreSQL's lookup from the
    innermost query outwards; None when a query on the way reads a table, a subquery or anything else."""
    from sqlglot import exp

    name, qualifier = column.name.lower(), column.table.lower()
    node = column.parent
    while node is not None and node is not tree:
        if isinstance(node, exp.Select):
            outputs = _function_columns(node)
            if outputs is None:
                return None
            if qualifier in outputs or (not qualifier and any(name in cols for cols in outputs.values())):
                return ""
        node = node.parent
    if node is None:
        return None
    own = tree.this
    if qualifier and qualifier not in {own.name.lower(), (own.alias or "").lower()}:
        return None
    return name


def _function_columns(select: Any) -> dict[str, frozenset[str]] | None:
    """alias -> columns of the JSON functions a query reads from, when those are all it reads (``{}`` for a
    query without FROM); None when it reads anything else or renames a function's columns."""
    from sqlglot import exp

    source = select.args.get("from") or select.args.get("from_")
    items = ([source.this] if source is not None else []) + [j.this for j in select.args.get("joins") or []]
    found: dict[str, frozenset[str]] = {}
    for item in items:
        call = item.this if isinstance(item, exp.Table) else None
        if not isinstance(call, exp.Anonymous) or not isinstance(call.this, str):
            return None
        columns = _JSON_FUNCTIONS.get(call.this.lower())
        alias = item.args.get("alias")
        if columns is None or (alias is not None and alias.columns):
            return None
        found[(item.alias or call.this).lower()] = columns
    return found
