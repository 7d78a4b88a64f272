"""What a DML statement's WHERE says: every row or not, the NULL tests, the columns it pins or sets.

Decided here from the tree, so rules read the answers from the IR without sqlglot.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from migcheck.extract import readings
from migcheck.extract.sql.tree import SQLGLOT_DIALECTS, _parse, _scope_tables

if TYPE_CHECKING:
    from sqlglot import exp


def unbounded_where(sql: str, dialect: str) -> str | None:
    """The WHERE of an UPDATE/DELETE when it only tests NULL-ness or constants, i.e. it still matches
    the whole table (``WHERE new_col IS NULL`` right after adding ``new_col``); None when it bounds
    the statement (a range, a key, a LIMIT, a bind parameter) or cannot be read."""
    store = readings.active()
    key = readings.key("unbounded_where", dialect, sql)
    if store is not None and (found := store.recall(key)) is not None and (found[0] is None or type(found[0]) is str):
        return found[0]
    where = _unbounded_where_text(sql, dialect)
    if store is not None:
        store.remember(key, where)
    return where


def _unbounded_where_text(sql: str, dialect: str) -> str | None:
    try:
        tree = _parse(sql, dialect)
    except Exception:  # unreadable SQL: do not guess
        return None
    return None if tree is None else _unbounded_where_of(tree, dialect)


def _unbounded_where_of(tree: exp.Expression, dialect: str) -> str | None:
    """``unbounded_where`` of a statement already parsed (``DataChange.unbounded_where``)."""
    try:
        where = tree.args.get("where")
        if where is None or not _whole_table(tree):
            return None
        return str(where.this.sql(dialect=SQLGLOT_DIALECTS.get(dialect, dialect)))
    except Exception:  # a shape the reading does not know: do not guess
        return None


def null_tests(sql: str, dialect: str) -> tuple[tuple[tuple[str, ...], str], ...]:
    """``null_tests_of`` of SQL text (for the SQL a Python revision shows with placeholders)."""
    store = readings.active()
    key = readings.key("null_tests", dialect, sql)
    if store is not None and (found := store.recall(key)) is not None and type(found[0]) is tuple:
        return found[0]
    tests = _null_tests_text(sql, dialect)
    if store is not None:
        store.remember(key, tests)
    return tests


def _null_tests_text(sql: str, dialect: str) -> tuple[tuple[tuple[str, ...], str], ...]:
    try:
        tree = _parse(sql, dialect)
    except Exception:  # unreadable SQL: do not guess
        return ()
    return () if tree is None else null_tests_of(tree)


def null_tests_of(tree: exp.Expression) -> tuple[tuple[tuple[str, ...], str], ...]:
    """The ``column IS NULL`` tests of an UPDATE/DELETE's WHERE whose other tests are only NULL-ness or
    constants (an unbounded WHERE), as (tables the column may belong to, column); () when some test there
    is anything else (``IS NOT NULL``, ``NOT (x IS NULL)``, ``TRUE``), so a rule asking whether the NULL rows
    are only broken ones gets an answer only when every test is such a column."""
    from sqlglot import exp

    try:
        where = tree.args.get("where")
        if where is None:
            return ()
        found: list[tuple[tuple[str, ...], str]] = []
        for test in where.find_all(exp.Predicate):
            if not isinstance(test, exp.Is) and test.find(exp.Column) is None:
                return ()  # c IS NULL OR 1 = 1: a test of constants only, true for every row it may be
        for node in where.find_all(exp.Is, exp.Boolean, exp.Not):
            if not isinstance(node, exp.Is) or not isinstance(node.this, exp.Column) \
                    or not isinstance(node.expression, exp.Null):
                return ()
            if isinstance(node.parent, exp.Not) or node.args.get("negate"):
                return ()  # NOT (x IS NULL), x IS NOT NULL: the filled rows
            scope = node.find_ancestor(exp.Select, exp.Update, exp.Delete)
            tables = _scope_tables(scope)
            qualifier = node.this.table
            if qualifier:
                tables = {alias: name for alias, name in tables.items() if alias == qualifier.lower()}
            if not tables or not node.this.name:
                return ()
            found.append((tuple(sorted(set(tables.values()))), node.this.name))
        return tuple(found)
    except Exception:  # a shape the reading does not know: do not guess
        return ()


def cleared_nulls_of(tree: exp.Expression) -> tuple[str, ...]:
    """The columns an UPDATE/DELETE leaves without a NULL row (``DataChange.clears_nulls``), lower case: a
    DELETE whose WHERE is ``col IS NULL`` or has it as a branch of its top-level OR (every NULL row matches;
    an AND may spare some), an UPDATE setting ``col`` to a constant that is not NULL with no WHERE or such
    a WHERE. A DELETE without WHERE clears every column: ``has_where`` says that."""
    from sqlglot import exp

    try:
        where = tree.args.get("where")
        nulls: set[str] | None = None
        if where is not None:
            tables = _scope_tables(tree)
            nulls = {branch.this.name.lower() for branch in _or_branches(where.this)
                     if isinstance(branch, exp.Is) and isinstance(branch.this, exp.Column)
                     and isinstance(branch.expression, exp.Null) and not branch.args.get("negate")
                     and branch.this.name
                     and (not branch.this.table or branch.this.table.lower() in tables)}
        if isinstance(tree, exp.Delete):
            return tuple(sorted(nulls or ()))
        if not isinstance(tree, exp.Update):
            return ()
        filled = {item.this.name.lower() for item in tree.expressions
                  if isinstance(item, exp.EQ) and isinstance(item.this, exp.Column) and item.this.name
                  and _never_null(item.expression)}
        return tuple(sorted(filled if nulls is None else filled & nulls))
    except Exception:  # a shape the reading does not know: do not guess
        return ()


def _or_branches(node: exp.Expression) -> list[exp.Expression]:
    """``a OR (b OR c)`` -> [a, b, c]: the tests any one of which selects a row."""
    from sqlglot import exp

    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.Or):
        return _or_branches(node.this) + _or_branches(node.expression)
    return [node]


def _never_null(node: exp.Expression) -> bool:
    """A constant that is not NULL (``'x'``, ``0``, ``TRUE``), or a COALESCE ending in one."""
    from sqlglot import exp

    if isinstance(node, exp.Coalesce):
        rest = node.expressions
        return bool(rest) and _never_null(rest[-1])
    return isinstance(node, exp.Literal | exp.Boolean)


#: Words PostgreSQL reads, unquoted and unqualified, as a function of the session, never as a column, where sqlglot
#: reads a column (attack26d: ``DELETE FROM accounts WHERE user = 'admin'`` compares CURRENT_USER, so it deletes
#: every row when run as admin; it was read as one row by the key ``"user"``).
_PG_SESSION_WORDS = frozenset({"user", "current_role", "system_user", "current_user", "session_user",
                               "current_catalog", "current_schema"})


def _pinned_columns(tree: exp.Expression, dialect: str = "postgresql") -> tuple[str, ...]:
    """``DataChange.pinned``: the target table's columns the WHERE of an UPDATE/DELETE sets equal to one value
    each at its top level (``WHERE id = 5 AND kind = :k``), lower case. A value is a constant, a bound
    parameter or a run-time value of the revision (``migcheck_param``), not a column or a subquery. () when
    the statement reads other tables (``UPDATE ... FROM``, ``DELETE ... USING``): a join may match many rows.
    On PostgreSQL an unquoted, unqualified ``user`` (_PG_SESSION_WORDS) is no column."""
    from sqlglot import exp

    try:
        where = tree.args.get("where")
        if where is None or not isinstance(tree, exp.Update | exp.Delete) or tree.args.get("from") \
                or tree.args.get("from_") or tree.args.get("using") or tree.args.get("joins"):
            return ()
        target = tree.this
        names = {target.name.lower(), (target.alias or target.name).lower()} if isinstance(target, exp.Table) else set()
        conjuncts, pinned = [where.this], set()
        while conjuncts:
            node = conjuncts.pop()
            if isinstance(node, exp.Paren):
                conjuncts.append(node.this)
            elif isinstance(node, exp.And):
                conjuncts += [node.this, node.expression]
            elif isinstance(node, exp.EQ):
                for column, value in ((node.this, node.expression), (node.expression, node.this)):
                    if isinstance(column, exp.Column) and column.name and _one_value(value) \
                            and (not column.table or column.table.lower() in names) \
                            and not (dialect == "postgresql" and not column.table and not column.this.quoted
                                     and column.name.lower() in _PG_SESSION_WORDS):
                        pinned.add(column.name.lower())
                        break
        return tuple(sorted(pinned))
    except Exception:  # a shape the reading does not know: do not guess
        return ()


def _one_value(node: exp.Expression) -> bool:
    """A constant, a bound parameter or a run-time value of the revision, maybe cast: one value for every row."""
    from sqlglot import exp

    while isinstance(node, exp.Cast | exp.Paren):
        node = node.this
    if isinstance(node, exp.Literal | exp.Placeholder | exp.Parameter):
        return True
    if isinstance(node, exp.Column) and not node.table:
        return node.name.lower().startswith("migcheck_param")
    return False


def _set_columns(tree: exp.Expression) -> tuple[str, ...]:
    """The columns an UPDATE's SET gives a value, lower case: ``SET c = NULL`` fills nothing, so it is left out
    (a "fill" of NULLs followed by ``DELETE ... WHERE c IS NULL`` deletes every row)."""
    from sqlglot import exp

    return tuple(item.this.name.lower() for item in tree.expressions
                 if isinstance(item, exp.EQ) and isinstance(item.this, exp.Column) and item.this.name
                 and not isinstance(item.expression, exp.Null))


def _assigned_columns(tree: exp.Expression) -> tuple[str, ...]:
    """Every column an UPDATE's SET assigns (lower case, any value), or () when one item is not ``column = ...``."""
    from sqlglot import exp

    items = tree.expressions
    if not items or not all(isinstance(i, exp.EQ) and isinstance(i.this, exp.Column) and i.this.name for i in items):
        return ()
    return tuple(item.this.name.lower() for item in items)


def _self_read_columns(tree: exp.Expression) -> tuple[str, ...]:
    """The columns (lower case) an UPDATE's SET computes from their own value (``SET n = n + 1``, ``SET n =
    COALESCE(x, n)``, ``CASE WHEN ... ELSE n END``): a row can keep what it held. A column of a subquery names its
    own FROM's tables unless qualified with the target's name or alias."""
    from sqlglot import exp

    target = tree.this
    names = {target.name.lower(), (target.alias or target.name).lower()} if isinstance(target, exp.Table) else set()
    found: list[str] = []
    for item in tree.expressions:
        if not (isinstance(item, exp.EQ) and isinstance(item.this, exp.Column) and item.this.name):
            continue
        column = item.this.name.lower()
        for read in item.expression.find_all(exp.Column):
            nested = read.find_ancestor(exp.Select, exp.Update) is not tree
            if read.name.lower() == column and (
                    (read.table or "").lower() in names if read.table or nested else True):
                found.append(column)
                break
    return tuple(found)


def _whole_table(statement: object) -> bool:
    """True when ``statement``'s WHERE selects rows only by NULL-ness or constants (no batch bound)."""
    from sqlglot import exp

    assert isinstance(statement, exp.Expression)
    if statement.args.get("limit") is not None or statement.find(exp.Placeholder) is not None:
        return False
    where = statement.args.get("where")
    return where is None or _unbounded_predicate(where.this, isinstance(statement, exp.Delete))


def _unbounded_predicate(node: object, delete: bool = False) -> bool:
    from sqlglot import exp

    negated = False
    while isinstance(node, exp.Paren | exp.Not):
        negated = negated != isinstance(node, exp.Not)
        node = node.this
    if delete and negated and isinstance(node, exp.In) and node.args.get("query") is not None:
        return False  # DELETE ... WHERE key NOT IN (SELECT id FROM parent): the orphans only
    if isinstance(node, exp.Connector):
        return _unbounded_predicate(node.this, delete) and _unbounded_predicate(node.expression, delete)
    if isinstance(node, exp.Is):
        # col IS NULL tests NULL-ness; f(col, 'x') IS NOT NULL (array_position(caps, 'admin')) selects rows
        # by their data: a test with a constant in it is a data predicate, not a NULL-ness one -- except a
        # COALESCE with a constant to fall back on (COALESCE(col, 0) IS NOT NULL): never NULL, so every row
        tested = node.this
        while isinstance(tested, exp.Paren):
            tested = tested.this
        if isinstance(tested, exp.Coalesce) and any(isinstance(arg, exp.Literal)
                                                    for arg in [tested.this, *tested.expressions]):
            return True
        return tested.find(exp.Literal) is None
    if isinstance(node, exp.Boolean):
        return True
    if isinstance(node, exp.EQ):
        return all(isinstance(side, exp.Literal) for side in (node.this, node.expression))
    # key IN (SELECT key FROM t WHERE col IS NULL): bounded only if the subquery is
    query = node.args.get("query") if isinstance(node, exp.In) else None
    if query is not None:
        inner = query.this if isinstance(query, exp.Subquery) else query
        return isinstance(inner, exp.Select) and _whole_table(inner)
    return False
