"""Whether an INSERT writes rows its own text lists: a seed (``INSERT ... VALUES ('Open', 'OPEN')``), not a copy.

mixed-schema-and-data-change asks it of a data change after DDL on PostgreSQL (held-out-27 #90, #91): a statement
that writes a fixed number of rows, each found in one lookup, ends at once, so it adds no lock time worth the name to
the DDL's, and rolling both back together is what a seed needs. A row read from another table (``INSERT ... SELECT``),
a function the server may spend any time in, or a subquery that joins, groups or sorts is none.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from migcheck.extract.sql.tree import _sqlglot_dialect

if TYPE_CHECKING:
    from sqlglot import exp

#: Functions whose value is known at once: the clock, and casts (read as their own node).
_CLOCK = frozenset({"now", "current_timestamp", "current_date", "current_time", "localtimestamp", "localtime",
                    "timezone", "statement_timestamp", "transaction_timestamp", "clock_timestamp"})

#: A seed lists a few rows (stalker's statuses: a dozen). Longer text is not read (sqlglot took 14 s on 100,000 rows)
#: and more rows are a bulk load that holds the DDL's locks while it writes them (attack27d).
_MAX_TEXT = 100_000
_MAX_ROWS = 1_000


def inserts_listed_rows(sql: str, dialect: str) -> bool:
    """``sql`` is an INSERT whose rows are a VALUES list, each value a literal, the clock, a cast of one, or a scalar
    subquery that looks one row up in one table by equalities to literals; or an INSERT of the rows a CTE of the same
    statement wrote so (``WITH ins1 AS (INSERT ... VALUES ... RETURNING id) INSERT INTO e (id) SELECT id FROM
    ins1``: a data-modifying CTE that only adds rows, unlike one that deletes or updates them). No ON CONFLICT clause
    (an upsert updates rows already there), no FOR UPDATE / FOR SHARE. False for anything else, or text sqlglot
    cannot read."""
    import sqlglot
    from sqlglot import exp

    if len(sql) > _MAX_TEXT:
        return False
    try:
        tree = sqlglot.parse_one(sql, read=_sqlglot_dialect(dialect))
    except Exception:  # sqlglot raises many kinds: what it cannot read is no seed
        return False
    if not isinstance(tree, exp.Insert):
        return False
    listed: set[str] = set()
    with_ = tree.args.get("with") or tree.args.get("with_")
    for cte in with_.expressions if isinstance(with_, exp.With) else ():
        if not (isinstance(cte.this, exp.Insert) and _listed(cte.this, listed)):
            return False
        listed.add(cte.alias_or_name.lower())
    return _listed(tree, listed)


def _listed(insert: exp.Insert, listed: set[str]) -> bool:
    """The INSERT's rows are listed in its VALUES, or are those a CTE in ``listed`` wrote."""
    from sqlglot import exp

    if any(insert.args.get(key) for key in ("conflict", "alternative", "is_function", "where", "using", "source")):
        return False  # an upsert, INSERT OR REPLACE, INSERT INTO FUNCTION ...: more than adding the rows listed
    returning = insert.args.get("returning")
    if returning is not None and not all(isinstance(v, exp.Column | exp.Star) or _known_at_once(v) for v in
                                         (e.this if isinstance(e, exp.Alias) else e for e in returning.expressions)):
        return False  # RETURNING wipe(): a function the server runs once per row (attack27d)
    source = insert.expression
    while isinstance(source, exp.Subquery):
        source = source.this
    if isinstance(source, exp.Values):
        return len(source.expressions) <= _MAX_ROWS and all(_known_at_once(value) for row in source.expressions for value in
                   (row.expressions if isinstance(row, exp.Tuple) else [row]))
    if isinstance(source, exp.Select):
        return _from_listed_cte(source, listed)
    return False


def _from_listed_cte(select: exp.Select, listed: set[str]) -> bool:
    """``SELECT ins1.id, 'Variant' FROM ins1``: the rows a listed CTE wrote, and nothing else read."""
    from sqlglot import exp

    source = select.args.get("from") or select.args.get("from_")
    if not (isinstance(source, exp.From) and _plain_table(source.this) and not source.this.db
            and source.this.name.lower() in listed):
        return False
    if any(select.args.get(key) for key in ("joins", "group", "having", "distinct", "with", "with_", "laterals",
                                             "locks")):
        return False
    where = select.args.get("where")
    if where is not None and not _equalities(where.this):
        return False  # WHERE id IN (SELECT ... FROM big), WHERE wipe(): reads or runs more (attack27d)
    return all(isinstance(e, exp.Column) or _known_at_once(e) for e in select.expressions) \
        and not any(isinstance(n, exp.Subquery | exp.Select) for e in select.expressions for n in e.walk())


def _known_at_once(node: object) -> bool:
    """A literal, NULL, the clock, a cast or a time zone of one, or a one-row lookup (``_lookup``)."""
    from sqlglot import exp

    if isinstance(node, exp.Literal | exp.Null | exp.Boolean | exp.CurrentTimestamp | exp.CurrentDate
                  | exp.CurrentTime):
        return True
    if isinstance(node, exp.Neg):
        return _known_at_once(node.this)
    if isinstance(node, exp.Cast | exp.TryCast):
        return _known_at_once(node.this)
    if isinstance(node, exp.AtTimeZone):
        return _known_at_once(node.this) and _known_at_once(node.args["zone"])
    if isinstance(node, exp.Anonymous | exp.Func) and not isinstance(node, exp.Cast) \
            and node.sql_name().lower() in _CLOCK and not list(node.iter_expressions()):
        return True
    if isinstance(node, exp.Subquery):
        return isinstance(node.this, exp.Select) and _lookup(node.this)
    return False


def _lookup(select: exp.Select) -> bool:
    """A scalar subquery that reads at most one table, with no join, grouping, ordering or set operation, whose WHERE
    is equalities of columns to literals joined by AND (``SELECT id FROM statuses WHERE code = 'OPEN'``) and whose
    value is a column; or one with no FROM whose value is known at once (``SELECT CAST(NOW() AT TIME ZONE 'utc' AS
    timestamp)``)."""
    from sqlglot import exp

    if any(select.args.get(key) for key in ("joins", "group", "having", "distinct", "with", "with_", "laterals",
                                             "order", "limit", "offset", "locks")):  # locks: FOR UPDATE / SHARE
        return False
    if len(select.expressions) != 1:
        return False
    value = select.expressions[0]
    value = value.this if isinstance(value, exp.Alias) else value
    source = select.args.get("from") or select.args.get("from_")
    if source is None:
        return _known_at_once(value) and select.args.get("where") is None
    if not (isinstance(source, exp.From) and _plain_table(source.this) and isinstance(value, exp.Column)):
        return False
    where = select.args.get("where")
    return where is not None and _equalities(where.this)


def _equalities(node: object) -> bool:
    """``a = 'x' AND b = 2``: columns compared to literals, nothing else."""
    from sqlglot import exp

    if isinstance(node, exp.Paren):
        return _equalities(node.this)
    if isinstance(node, exp.And):
        return _equalities(node.left) and _equalities(node.right)
    if isinstance(node, exp.EQ):
        sides = (node.left, node.right)
        return any(isinstance(s, exp.Column) for s in sides) and any(isinstance(s, exp.Literal) for s in sides)
    return False


def _plain_table(node: object) -> bool:
    """``statuses``, ``public.statuses``: a table by name, not a function in the FROM (``wipe() AS f(x)``, which may
    write or take any time; attack27d)."""
    from sqlglot import exp

    return isinstance(node, exp.Table) and isinstance(node.this, exp.Identifier)
