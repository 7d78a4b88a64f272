"""Data access: the connection, ORM sessions and SQLAlchemy Core statements.

Which names hold the connection (``op.get_bind()``, ``bind.connect()``, ``op.get_context().bind``) or
a session, which hold a table (``sa.table("t", ...)``) or a Core statement (``t.update().where(...)``),
what such a statement does to which table and whether it is filtered, ORM bulk writes, and loops that
read every row. The walker records these names in the scope; the SQL-strings part asks what an executed
statement is. Imports only evaluation.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Callable, Iterator

from migcheck.extract.python.appvalues import AppRef
from migcheck.extract.python.dates import stdlib_value
from migcheck.extract.python.evaluate import Evaluator
from migcheck.extract.python.nodes import _call_name, _root_name, binding_counts
from migcheck.extract.python.scope import Scope
from migcheck.vocabulary.lazyregex import lazy_regex

SESSION_WRITES = {
    "add",
    "add_all",
    "delete",
    "merge",
    "bulk_save_objects",
    "bulk_insert_mappings",
    "bulk_update_mappings",
    "update",
    "insert",
}
CORE_DML = {"update": "update", "insert": "insert", "delete": "delete"}


class Data(Evaluator):
    """Knows a connection when it sees one."""

    def _is_bind(self, node: ast.expr, scope: Scope) -> bool:
        """``op.get_bind()``, a name bound to it, ``bind.connect()``, ``op.get_context().bind``."""
        if isinstance(node, ast.Name):
            return node.id in scope.binds
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr == "get_bind":
                return True
            if node.func.attr in {"connect", "begin", "execution_options"}:
                return self._is_bind(node.func.value, scope)
        if isinstance(node, ast.Attribute) and node.attr in {"bind", "connection"}:
            return isinstance(node.value, ast.Call) and isinstance(node.value.func, ast.Attribute) \
                and node.value.func.attr == "get_context"
        return False


def _is_session_factory(node: ast.expr) -> bool:
    """``Session(bind=...)``, ``orm.Session(...)``, ``sessionmaker(...)()``, ``scoped_session``."""
    if not isinstance(node, ast.Call):
        return False
    name = _call_name(node)
    if name and (name.endswith("Session") or name in {"scoped_session", "session_maker"}):
        return True
    return isinstance(node.func, ast.Call) and _call_name(node.func) == "sessionmaker"


def _table_constructor(node: ast.expr | None, ex: Evaluator, scope: Scope) -> str | None:
    """The table name of ``sa.table("t", ...)`` / ``sa.Table("t", meta)`` or a name bound to one."""
    if isinstance(node, ast.Name):
        return scope.tables.get(node.id)
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in scope.table_sets:
        return node.attr  # upgrade(op, tables, tester): tables.users is the users table
    if isinstance(node, ast.Call) and _call_name(node) in {"table", "Table"} and node.args:
        return ex._str(node.args[0], scope)
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute) and node.value.attr == "tables":
        # meta.tables["entityset"] (a reflected MetaData, held-out-12 #84): the table of that name; a key
        # "schema.table" names a table outside the default schema, which a Core change does not record
        key = ex._str(node.slice, scope)
        return key if key and "." not in key else None
    return None


def extend_statement(value: ast.expr, scope: Scope) -> ast.expr:
    """``q.where(...).values(...)`` where ``q`` holds a Core statement built before (``q = sa.update(t)``):
    that statement with these calls chained on, as if written in one expression (held-out-12 #84-#88,
    aleph's ``q = sa.update(t); q = q.where(...); q = q.values(...)``). Core statements are generative, so a
    call on one makes a new statement from the old; anything else is returned unchanged."""
    chain: list[ast.Call] = []
    node = value
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        chain.append(node)
        node = node.func.value
    if not chain or not isinstance(node, ast.Name) or node.id not in scope.core_exprs:
        return value
    built = scope.core_exprs[node.id]
    for call in reversed(chain):
        assert isinstance(call.func, ast.Attribute)
        func = ast.copy_location(ast.Attribute(value=built, attr=call.func.attr, ctx=ast.Load()), call.func)
        built = ast.copy_location(ast.Call(func=func, args=call.args, keywords=call.keywords), call)
    return built


def _module_tables(ex: Evaluator, tree: ast.Module) -> dict[str, str]:
    scope = Scope(phase="module", env=dict(ex.consts))
    tables: dict[str, str] = {name: table for name, (table, _) in mapped_classes(tree).items()}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            table = _table_constructor(node.value, ex, scope)
            if table is not None:
                tables[node.targets[0].id] = table
    return tables


@functools.lru_cache(maxsize=1)
def mapped_classes(tree: ast.Module) -> dict[str, tuple[str, dict[str, str]]]:
    """Module-level ORM classes the revision defines for its data steps (``class Row(Base): __tablename__ = "t"``),
    each bound once in the module: name -> (its table, {attribute: column} of its ``sa.Column(...)`` /
    ``mapped_column(...)`` attributes, the column named by a first string argument, else the attribute's own name).
    ``sa.update(Row).where(Row.col.is_(None))`` writes that table's ``col`` (held-out-24 #59). A class whose body
    sets ``__tablename__`` other than once to a string, or sets ``__table__``, is left out, as is a name bound
    again anywhere in the module (it may not be that class where it is used)."""
    found: dict[str, tuple[str, dict[str, str]]] = {}
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        names: list[str] = []
        columns: dict[str, str] = {}
        plain = True
        for stmt in node.body:
            if not isinstance(stmt, ast.Assign | ast.AnnAssign):
                continue
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            if len(targets) != 1 or not isinstance(targets[0], ast.Name):
                continue
            attr, value = targets[0].id, stmt.value
            if attr == "__table__":
                plain = False
            elif attr == "__tablename__":
                names.append(value.value if isinstance(value, ast.Constant) and isinstance(value.value, str) else "")
            elif isinstance(value, ast.Call) and _call_name(value) in {"Column", "mapped_column"}:
                first = value.args[0] if value.args else None
                columns[attr] = first.value.lower() if isinstance(first, ast.Constant) and isinstance(first.value, str) \
                    else attr.lower()
        if plain and len(names) == 1 and names[0]:
            found[node.name] = (names[0], columns)
    if not found:
        return found
    counts = binding_counts(tree)
    return {name: mapped for name, mapped in found.items() if counts.get(name) == 1}


def _statement_name(call: ast.Call, ex: Evaluator) -> str | None:
    """The call's name, with SQLAlchemy's statement constructors seen through the names they are imported under
    (``pg_insert(t)`` is ``insert(t)``: Evaluator.dml_aliases)."""
    name = _call_name(call)
    if isinstance(call.func, ast.Name) and name is not None:
        return ex.dml_aliases.get(name, name)
    return name


#: A Core statement: (action, table, has_where, the columns it leaves without a NULL row: DataChange.clears_nulls).
CoreDML = tuple[str, str | None, bool, tuple[str, ...]]


def _core_statement(node: ast.expr, ex: Evaluator, scope: Scope) -> CoreDML | None:
    """``sa.select(...)``, ``t.update().values(...).where(...)`` bound to a name for a later ``execute``.

    Only a chain of method calls on a statement counts (not ``conn.execute(sa.select(...))``, whose
    result is rows): the outermost call's receiver chain must reach the statement constructor.
    """
    if not isinstance(node, ast.Call):
        return None
    inner: ast.expr = node
    while isinstance(inner, ast.Call) and isinstance(inner.func, ast.Attribute):
        if inner.func.attr in {"execute", "exec_driver_sql", "scalar", "scalars", "fetchall", "all", "first"}:
            return None
        if _statement_name(inner, ex) in {*CORE_DML, "select"}:
            break
        inner = inner.func.value
    if not (isinstance(inner, ast.Call) and _statement_name(inner, ex) in {*CORE_DML, "select"}):
        return None
    return _core_dml(node, ex, scope)


def _core_dml(node: ast.expr, ex: Evaluator, scope: Scope) -> CoreDML | None:
    """``sa.update(t).where(...)``, ``t.delete()``, ``sa.select(...)``: (action, table, has_where, clears)."""
    calls = [n for n in ast.walk(node) if isinstance(n, ast.Call)]
    names = [_statement_name(c, ex) for c in calls]
    has_where = "where" in names or "filter" in names or "filter_by" in names
    for call in calls:
        name = _statement_name(call, ex)
        if name in CORE_DML:
            target: ast.expr | None = call.args[0] if call.args else None
            if isinstance(call.func, ast.Attribute) and target is None:
                target = call.func.value
            table = _table_constructor(target, ex, scope) if target is not None else None
            mapped = mapped_classes(ex.tree).get(target.id) if isinstance(target, ast.Name) else None
            return CORE_DML[name], table, has_where, _core_clears(CORE_DML[name], table, calls, ex, scope,
                                                                  mapped[1] if mapped is not None else None)
    if "select" in names:
        return "select", None, has_where, ()
    return None


def func_names(tree: ast.Module) -> tuple[frozenset[str], dict[str, ast.expr]]:
    """The names a module gives SQLAlchemy's ``func`` (``from sqlalchemy import func as fn``, ``fn = sa.func``), and
    the names it binds anywhere to a function of it (``f = sa.func.refresh_totals``, ``f = getattr(sa.func, "f")``):
    what ``unknown_functions`` follows so a renamed ``func`` hides no call (attack26a)."""
    names = {"func"}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "sqlalchemy":
            names.update(a.asname or a.name for a in node.names if a.name == "func")
    bound: dict[str, ast.expr] = {}
    for _ in range(3):  # fn = sa.func; g = fn: a chain of a few renames
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if not isinstance(target, ast.Name):
                        continue
                    if _is_func(node.value, names):
                        names.add(target.id)
                    elif _func_call_name(node.value, names) is not None:
                        bound[target.id] = node.value
    return frozenset(names), bound


def _is_func(node: ast.expr, names: set[str] | frozenset[str]) -> bool:
    """``sa.func``, ``sqlalchemy.sql.functions.func`` or a name given to it."""
    return (isinstance(node, ast.Attribute) and node.attr == "func") or (isinstance(node, ast.Name) and node.id in names)


def _func_call_name(callee: ast.expr, names: set[str] | frozenset[str]) -> str | None:
    """The function ``callee`` names through ``func`` (dotted after it), ``getattr(func, "f")`` (``?`` when the name
    is not a constant); None when it is not a function of ``func``."""
    parts: list[str] = []
    part: ast.expr = callee
    while isinstance(part, ast.Attribute) and part.attr != "func":
        parts.append(part.attr)
        part = part.value
    if isinstance(part, ast.Call) and isinstance(part.func, ast.Name) and part.func.id == "getattr" \
            and len(part.args) >= 2 and _is_func(part.args[0], names):
        arg = part.args[1]
        parts.append(arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else "?")
    elif not parts or not _is_func(part, names):
        return None
    return ".".join(reversed(parts))


def unknown_functions(node: ast.expr, names: frozenset[str] = frozenset({"func"}),
                      bound: dict[str, ast.expr] | None = None) -> list[str]:
    """The functions a Core statement calls through SQLAlchemy's ``func`` (``sa.func.f()``, ``func.audit.f()``) that
    are neither a built-in of PostgreSQL's catalog nor one of SQLAlchemy's generic functions, as written (dotted
    after ``func``), in the order met: a project's own function, which may write, lock or drop anything. ``names``
    and ``bound`` (func_names): the module's own names for ``func`` and for its functions; ``sa.Function("f")``
    and ``getattr(sa.func, "f")`` are read as ``f``."""
    from migcheck.facts.postgres import known_function

    found: list[str] = []
    for sub in ast.walk(node):
        if not isinstance(sub, ast.Call):
            continue
        callee = sub.func
        if isinstance(callee, ast.Name) and bound and callee.id in bound:
            callee = bound[callee.id]
        if (isinstance(callee, ast.Attribute) and callee.attr == "Function") \
                or (isinstance(callee, ast.Name) and callee.id == "Function"):
            arg = sub.args[0] if sub.args else None
            name: str | None = arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else "?"
        else:
            name = _func_call_name(callee, names)
        if name is None:
            continue
        if "." in name or not known_function(name):
            found.append(name)
    return found


def _core_clears(action: str, table: str | None, calls: list[ast.Call], ex: Evaluator,
                 scope: Scope, attributes: dict[str, str] | None = None) -> tuple[str, ...]:
    """``clears_nulls`` of a Core DELETE/UPDATE: ``sa.delete(t).where(sa.or_(..., t.c.col.is_(None)))``
    (held-out-7 #44, dstack 857d8fa7fcc5), ``.where(t.c.col == None)``, ``sa.update(t).where(...).values(col=
    "x")``. Only one ``where`` with one test counts (more are ANDed and may spare some NULL rows). On an ORM class
    of the revision (``attributes``: its attribute -> column), a key of ``values()`` is an attribute: the column it
    writes is the one the attribute maps (``spent = sa.Column("other", ...)`` writes ``other``; attack24b)."""
    wheres = [c for c in calls if _call_name(c) in {"where", "filter", "filter_by"}]
    nulls: set[str] | None = None
    if wheres:
        if len(wheres) != 1 or _call_name(wheres[0]) == "filter_by" or len(wheres[0].args) != 1 \
                or wheres[0].keywords:
            return ()
        nulls = {col for branch in _core_or_branches(wheres[0].args[0])
                 if (col := _core_null_test(branch, table, ex, scope)) is not None}
    if action == "delete":
        return tuple(sorted(nulls or ()))
    if action != "update":
        return ()
    filled = {k.arg.lower() if attributes is None else attributes.get(k.arg, "")
              for c in calls if _call_name(c) == "values" for k in c.keywords
              if k.arg and ((isinstance(k.value, ast.Constant) and k.value.value is not None)
                            or stdlib_value(ex, k.value))} - {""}
    return tuple(sorted(filled if nulls is None else filled & nulls))


def core_assigns(query: ast.expr) -> tuple[str, ...]:
    """The columns (lower case) a Core UPDATE's one ``.values(...)`` names: its keywords, or the string keys of the
    one dict it is given (``.values({"contexts": ...})``); () when there is no such call, more than one, or a key
    that is not a literal string (``**extra``, a name)."""
    calls = [c for c in ast.walk(query) if isinstance(c, ast.Call) and _call_name(c) == "values"]
    if len(calls) != 1:
        return ()
    call = calls[0]
    if call.args and call.keywords:
        return ()
    if call.keywords:
        names = [k.arg for k in call.keywords]
    elif len(call.args) == 1 and isinstance(call.args[0], ast.Dict):
        names = [k.value if isinstance(k, ast.Constant) and isinstance(k.value, str) else None
                 for k in call.args[0].keys]
    else:
        return ()
    return tuple(n.lower() for n in names if n) if names and all(names) else ()


def each_row_key(query: ast.expr, table: str | None, ex: Evaluator, scope: Scope, call: ast.Call) -> str | None:
    """DataChange.each_row: the column a Core UPDATE of ``table`` matches the current row of a loop over every row
    of that table by, when its only test is ``t.c.k == row.k`` (either way round), with one ``where``, and the
    ``call`` that runs it is made once each pass of that loop."""
    if table is None:
        return None
    rows = {name: local for name, of, local, once in scope.every_row_of
            if of.lower() == table.lower() and id(call) in once}
    calls = [c for c in ast.walk(query) if isinstance(c, ast.Call)]
    wheres = [c for c in calls if _call_name(c) in {"where", "filter", "filter_by"}]
    if not rows or len(wheres) != 1 or _call_name(wheres[0]) != "where" or len(wheres[0].args) != 1 \
            or wheres[0].keywords:
        return None
    test = wheres[0].args[0]
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
        return None
    for column, value in ((test.left, test.comparators[0]), (test.comparators[0], test.left)):
        if isinstance(column, ast.Attribute) and isinstance(column.value, ast.Attribute) \
                and column.value.attr in {"c", "columns"} and isinstance(value, ast.Attribute) \
                and isinstance(value.value, ast.Name) and value.value.id in rows and value.attr == column.attr \
                and (owner := _table_constructor(column.value.value, ex, scope)) is not None \
                and owner.lower() == table.lower() and _only_table(query, rows[value.value.id], scope):
            return column.attr.lower()
    return None


def _only_table(query: ast.expr, local: str, scope: Scope) -> bool:
    """Every table ``query`` names is the local name ``local`` the loop reads (attack27c): a table of the same name
    in another schema (``sa.Table("jobs", meta, schema="archive")``) has other rows, which a Core change does not
    tell apart by its table name alone."""
    return all(node.id == local for node in ast.walk(query) if isinstance(node, ast.Name) and node.id in scope.tables)


def app_model_target(query: ast.expr, reference: Callable[[ast.expr], AppRef | None]) \
        -> tuple[AppRef, tuple[str, ...]] | None:
    """A Core UPDATE/DELETE of an application model's table, ``models.Event.__table__.delete()`` (held-out-27 #59,
    cloudify b92770a7b6ca): where the model comes from (``reference``: appvalues.app_reference), and the columns
    (lower case) a DELETE leaves without a NULL row, from its one ``where`` of ``<the same>.c.col.is_(None)``
    tests (top-level OR branches). None for any other statement."""
    calls = [c for c in ast.walk(query) if isinstance(c, ast.Call)]
    dml = [c for c in calls if isinstance(c.func, ast.Attribute) and c.func.attr in {"update", "delete"}
           and not c.args and not c.keywords]
    if len(dml) != 1:
        return None
    assert isinstance(dml[0].func, ast.Attribute)
    target = dml[0].func.value
    if not (isinstance(target, ast.Attribute) and target.attr == "__table__"):
        return None
    ref = reference(target.value)
    if ref is None:
        return None
    if dml[0].func.attr != "delete":
        return ref, ()
    wheres = [c for c in calls if _call_name(c) in {"where", "filter", "filter_by"}]
    if len(wheres) != 1 or _call_name(wheres[0]) != "where" or len(wheres[0].args) != 1 or wheres[0].keywords:
        return ref, ()
    shape = ast.dump(target)
    nulls: list[str] = []
    for branch in _core_or_branches(wheres[0].args[0]):
        if not (isinstance(branch, ast.Call) and isinstance(branch.func, ast.Attribute) and branch.func.attr == "is_"
                and len(branch.args) == 1 and _is_null(branch.args[0])):
            continue
        column = branch.func.value
        if isinstance(column, ast.Attribute) and isinstance(column.value, ast.Attribute) \
                and column.value.attr in {"c", "columns"} and ast.dump(column.value.value) == shape:
            nulls.append(column.attr.lower())
    return ref, tuple(sorted(set(nulls)))


def _core_or_branches(node: ast.expr) -> list[ast.expr]:
    """``sa.or_(a, b)`` / ``a | b`` -> [a, b], nested ones flattened."""
    if isinstance(node, ast.Call) and _call_name(node) == "or_" and not node.keywords:
        return [b for arg in node.args for b in _core_or_branches(arg)]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _core_or_branches(node.left) + _core_or_branches(node.right)
    return [node]


def _core_null_test(node: ast.expr, table: str | None, ex: Evaluator, scope: Scope) -> str | None:
    """The column (lower case) of ``t.c.col.is_(None)`` / ``t.c.col == None`` / ``t.c.col.is_(sa.null())``
    on the statement's own table; None for any other test."""
    column: ast.expr | None = None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "is_" \
            and len(node.args) == 1 and _is_null(node.args[0]):
        column = node.func.value
    elif isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], ast.Eq | ast.Is) \
            and _is_null(node.comparators[0]):
        column = node.left
    if isinstance(column, ast.Call) and _call_name(column) == "column" and column.args:
        name = ex._str(column.args[0], scope)  # sa.column("col"): no table named
        return name.lower() if name else None
    owner: ast.expr | None = None
    name = None
    if isinstance(column, ast.Attribute) and isinstance(column.value, ast.Name) \
            and (mapped := mapped_classes(ex.tree).get(column.value.id)) is not None:
        # Row.col of a class of the revision mapped to the statement's table, not rebound in the function walked
        known = mapped[1].get(column.attr)
        owner_table = scope.tables.get(column.value.id)
        return known if known and table and owner_table and owner_table.lower() == table.lower() else None
    if isinstance(column, ast.Attribute) and isinstance(column.value, ast.Attribute) and column.value.attr in {"c", "columns"}:
        owner, name = column.value.value, column.attr
    elif isinstance(column, ast.Subscript) and isinstance(column.value, ast.Attribute) \
            and column.value.attr in {"c", "columns"}:
        owner, name = column.value.value, ex._str(column.slice, scope)
    if owner is None or not name or table is None:
        return None
    owner_table = _table_constructor(owner, ex, scope)
    return name.lower() if owner_table is not None and owner_table.lower() == table.lower() else None


def _is_null(node: ast.expr) -> bool:
    """``None``, ``sa.null()``."""
    return (isinstance(node, ast.Constant) and node.value is None) or \
        (isinstance(node, ast.Call) and _call_name(node) == "null" and not node.args)


def orm_bulk_write(call: ast.Call) -> tuple[str, bool | None]:
    """``session.query(M).filter(...).update({...})``: a bulk UPDATE/DELETE, and whether it is filtered."""
    attr = call.func.attr if isinstance(call.func, ast.Attribute) else ""
    names: list[str] = []
    node: ast.expr = call.func.value if isinstance(call.func, ast.Attribute) else call.func
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        names.append(node.func.attr)
        node = node.func.value
    if attr in {"update", "delete"} and "query" in names:
        return attr, any(n in {"filter", "filter_by", "where"} for n in names)
    return "orm", None


_ROW_READS = frozenset({"execute", "query", "scalars", "fetchall", "all", "mappings", "yield_per"})
_LIMIT = lazy_regex(r"\blimit\b", re.I)


#: Column types whose values are Python ints or bools: formatted into SQL they are digits or True/False.
_NUMBER_TYPES = frozenset({"Integer", "BigInteger", "SmallInteger", "INTEGER", "BIGINT", "SMALLINT", "INT",
                           "Boolean", "BOOLEAN"})


def number_columns(table: ast.Call, ex: Evaluator, scope: Scope) -> frozenset[str]:
    """The columns of ``sa.Table("t", meta, sa.Column("id", sa.Integer()), ...)`` / ``sa.table("t",
    sa.column("id", sa.Integer))`` declared with an integer or boolean type."""
    found: set[str] = set()
    for arg in table.args[1:]:
        if not (isinstance(arg, ast.Call) and _call_name(arg) in {"Column", "column"} and len(arg.args) >= 2):
            continue
        name = ex._str(arg.args[0], scope)
        kind = arg.args[1].func if isinstance(arg.args[1], ast.Call) else arg.args[1]
        kind_name = kind.attr if isinstance(kind, ast.Attribute) else kind.id if isinstance(kind, ast.Name) else None
        if name is not None and kind_name in _NUMBER_TYPES:
            found.add(name)
    return frozenset(found)


def _selected_table(node: ast.expr) -> str | None:
    """``conn.execute(t.select())`` / ``conn.execute(sa.select(t))``: the local name ``t`` whose rows are read."""
    if not (isinstance(node, ast.Call) and _call_name(node) == "execute" and len(node.args) == 1):
        return None
    query = node.args[0]
    if not isinstance(query, ast.Call) or query.keywords or _call_name(query) != "select":
        return None
    if isinstance(query.func, ast.Attribute) and isinstance(query.func.value, ast.Name) and not query.args:
        return query.func.value.id
    if len(query.args) == 1 and isinstance(query.args[0], ast.Name):
        return query.args[0].id
    return None


def read_tables(node: ast.AST, ex: Evaluator, scope: Scope) -> frozenset[str]:
    """The tables whose rows ``node`` may carry: those a Core select in it reads (``sa.select(t)``, ``t.select()``,
    ``select(t.c.x).where(t.c.y == u.c.y)``, inside a ``from_select`` or a scalar subquery: every table named in
    the select's calls), and those held by the local names it uses (``Scope.row_tables``). A table named outside a
    select (the target of ``t.update()``, ``t.c.id`` in its WHERE) is written, not read; a value derived from rows
    (a count, ``.scalar()``, ``len()``, a comparison: ``carried``) carries none of them."""
    found: set[str] = set()
    for sub in carried(node, ex):
        if isinstance(sub, ast.Name) and sub.id in scope.row_tables:
            found |= scope.row_tables[sub.id]
        elif isinstance(sub, ast.Call) and _builds_select(sub, ex):
            parts: list[ast.expr] = [*sub.args, *(k.value for k in sub.keywords)]
            if _call_name(sub) == "select" and isinstance(sub.func, ast.Attribute):
                parts.append(sub.func.value)  # t.select()
            for part in parts:
                for inner in ast.walk(part):
                    if isinstance(inner, ast.Name | ast.Call | ast.Attribute) \
                            and (table := _table_constructor(inner, ex, scope)) is not None:
                        found.add(table.lower())
    return frozenset(found)


def read_columns(node: ast.AST, ex: Evaluator, scope: Scope) -> frozenset[tuple[str, str]]:
    """The (table, column) pairs, lower case, that the Core selects whose rows ``node`` may carry name as
    ``t.c.col`` (``sa.select([gf.c.kf_id, gf.c.sequencing_experiment_id])``, held-out-28 #40), and those held by
    the local names it uses (``Scope.row_columns``). A whole table selected (``sa.select(t)``) names none: which
    columns it declares is not read here. What is derived from rows (``carried``) names none either."""
    found: set[tuple[str, str]] = set()
    for sub in carried(node, ex):
        if isinstance(sub, ast.Name) and sub.id in scope.row_columns:
            found |= scope.row_columns[sub.id]
        elif isinstance(sub, ast.Call) and _builds_select(sub, ex):
            for part in [*sub.args, *(k.value for k in sub.keywords)]:
                for inner in ast.walk(part):
                    if isinstance(inner, ast.Attribute) and isinstance(inner.value, ast.Attribute) \
                            and inner.value.attr == "c" \
                            and (table := _table_constructor(inner.value.value, ex, scope)) is not None:
                        found.add((table.lower(), inner.attr.lower()))
    return frozenset(found)


#: Calls whose value is derived from rows, not rows or their column values: ``.scalar()`` (of a count, an existence
#: check or one value), ``len(rows)``, ``bool(...)``, ``query.count()``, ``exists(...)``.
_DERIVED = frozenset({"scalar", "scalar_one", "scalar_one_or_none", "len", "bool", "count", "exists", "any"})
#: SQL aggregates whose only column makes a select's rows counts or checks, not copies (``select(func.count())``).
_AGGREGATES = frozenset({"count", "exists"})


def carried(node: ast.AST, ex: Evaluator) -> Iterator[ast.AST]:
    """The nodes of ``node`` (itself included) whose values may be rows or column values read: ``ast.walk`` without
    what only derives a value from them (review15: ``n = conn.execute(text("SELECT count(*) FROM t")).scalar()``
    written to a log table copies no row of ``t``): the calls in _DERIVED, ``.rowcount``, comparisons, ``not``, the
    test of ``a if test else b``, and a select whose columns are all counts or existence checks."""
    stack: list[ast.AST] = [node]
    while stack:
        sub = stack.pop()
        if isinstance(sub, ast.Compare) or (isinstance(sub, ast.UnaryOp) and isinstance(sub.op, ast.Not)) \
                or (isinstance(sub, ast.Attribute) and sub.attr == "rowcount"):
            continue
        if isinstance(sub, ast.Call) and (_call_name(sub) in _DERIVED or _counts_only(sub, ex)):
            continue
        yield sub
        if isinstance(sub, ast.IfExp):
            stack.extend((sub.body, sub.orelse))  # ``a if rows else b``: the test picks, it is not written
        else:
            stack.extend(ast.iter_child_nodes(sub))


def _counts_only(call: ast.Call, ex: Evaluator) -> bool:
    """``select(func.count()).select_from(t)``, ``select(sa.exists(...))``: a select (or a method called on one) whose
    columns are all aggregates of _AGGREGATES."""
    node: ast.expr = call
    while isinstance(node, ast.Call):
        if _statement_name(node, ex) == "select":
            columns = [a for arg in node.args for a in (arg.elts if isinstance(arg, ast.List | ast.Tuple) else [arg])]
            return bool(columns) and all(isinstance(c, ast.Call) and _call_name(c) in _AGGREGATES for c in columns)
        if not isinstance(node.func, ast.Attribute):
            return False
        node = node.func.value
    return False


def _builds_select(call: ast.Call, ex: Evaluator) -> bool:
    """``select(...)``, or a method called on one (``.select_from(t)``, ``.where(...)``, ``.join(u)``)."""
    node: ast.expr = call
    while isinstance(node, ast.Call):
        if _statement_name(node, ex) == "select":
            return True
        if not isinstance(node.func, ast.Attribute):
            return False
        node = node.func.value
    return False


def _reads_all_rows(node: ast.expr) -> bool:
    """Whether a ``for`` loop's iterable reads rows from the database (``conn.execute(select(...))``,
    ``session.query(...)``) without a LIMIT: the loop then visits the whole table."""
    calls = [n for n in ast.walk(node) if isinstance(n, ast.Call)]
    if not any(_call_name(call) in _ROW_READS for call in calls):
        return False
    return not _LIMIT.search(ast.unparse(node))


def _attribute_write(body: list[ast.stmt], name: str) -> ast.stmt | None:
    """The first ``name.attr = ...`` (or ``+=``) in ``body``: an ORM object loaded by a query, changed."""
    for stmt in body:
        for node in ast.walk(stmt):
            targets = node.targets if isinstance(node, ast.Assign) else \
                [node.target] if isinstance(node, ast.AugAssign | ast.AnnAssign) else []
            if any(isinstance(t, ast.Attribute) and _root_name(t) == name for t in targets):
                assert isinstance(node, ast.stmt)
                return node
    return None
