"""Existence guards: an ``if`` that runs its steps only when the object they create is absent.

Hand-written revisions repair schemas that drifted: ``if not column_exists("rule", "name"):
op.add_column("rule", ...)``, ``if not inspector.has_table("t"): op.create_table("t", ...)``. Where the
history already made that object, the step never runs on a database the history built; the rules can only
say so when the extractor records which object the guard asks about (``Change.unless_exists``).

Only certain matches count: a call whose name says it tests existence, with literal (or constant) string
arguments naming exactly the object the guarded step creates, or ``"c" not in [c["name"] for c in
inspector.get_columns("t")]``, or a call whose name says it looks a foreign key, an index or a unique constraint
up by its table and columns and returns None when there is none (``if find_fk("t", ["c"]) is None:``, beaker's
migration_utils). A helper of the revision whose body only binds names and returns such a test
(``def has_migration_run_before(): columns = inspector.get_columns("t"); return "c" in [c["name"] for c in
columns]``) is read as that test. Anything else leaves the step merely ``conditional``.
"""

from __future__ import annotations

import ast
import copy
import functools
from collections.abc import Callable, Mapping

from migcheck.extract.python.nodes import _call_name
from migcheck.vocabulary.changes import AddColumn, AddConstraint, Change, CreateIndex, CreateTable

#: What a guard asks about: ("column", table, column), ("table", table), ("index" | "constraint",
#: frozenset of the names given: the object's name, and its table when two are given), or ("foreign_key" |
#: "index" | "unique", table, columns) for a lookup by columns (_LOOKUPS).
Asked = tuple[object, ...]

_KINDS = {
    "column": {"column_exists", "has_column", "column_exist", "does_column_exist", "check_column_exists"},
    "table": {"table_exists", "has_table", "table_exist", "does_table_exist", "check_table_exists"},
    "index": {"index_exists", "has_index", "index_exist", "does_index_exist", "check_index_exists"},
    "constraint": {"constraint_exists", "has_constraint", "constraint_exist", "does_constraint_exist",
                   "check_constraint_exists"},
}

#: Inspector methods whose rows' ``name`` lists the objects of one table.
_LISTS = {"get_columns": "column", "get_indexes": "index", "get_unique_constraints": "constraint",
          "get_foreign_keys": "constraint", "get_check_constraints": "constraint"}

#: Calls that look an object up by its table and columns and return None (or nothing) when there is none:
#: ("foreign_key" | "index" | "unique", table, columns) is what they ask about.
_LOOKUPS = {
    "foreign_key": {"find_fk", "find_foreign_key", "find_fk_name", "find_foreign_key_name"},
    "index": {"find_index", "find_index_name"},
    "unique": {"find_unique", "find_unique_constraint", "find_unique_name"},
}

Strings = Callable[[ast.expr], str | None]
#: A helper of the revision called in a test, read as the test it returns (returned_test); None otherwise.
Helpers = Callable[[ast.Call], ast.expr | None]


def absent_when(test: ast.expr, truth: bool, text: Strings, helpers: Helpers | None = None,
                depth: int = 0) -> list[Asked]:
    """The objects that must be absent for ``test`` to come out ``truth``: the body of ``if test`` runs with
    ``truth`` True, its ``else`` with False. ``text`` resolves an expression to a string, or None; ``helpers``
    reads a call of a helper of the revision as the test it returns."""
    if depth > 4:
        return []
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return absent_when(test.operand, not truth, text, helpers, depth + 1)
    if isinstance(test, ast.BoolOp):
        # all of an ``and`` hold in its body; all of an ``or`` fail in its else
        if isinstance(test.op, ast.And) == truth:
            return [asked for value in test.values for asked in absent_when(value, truth, text, helpers, depth + 1)]
        return []
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Is | ast.IsNot) \
            and isinstance(test.comparators[0], ast.Constant) and test.comparators[0].value is None:
        # ``find_fk("t", ["c"]) is None`` holds where the lookup found nothing: ``not find_fk(...)``
        return absent_when(test.left, truth != isinstance(test.ops[0], ast.Is), text, helpers, depth + 1)
    if isinstance(test, ast.Call):
        asked = (_existence_call(test, text) or _lookup_call(test, text)) if not truth else None
        if asked:
            return [asked]
        returned = helpers(test) if helpers is not None else None
        return absent_when(returned, truth, text, helpers, depth + 1) if returned is not None else []
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.In | ast.NotIn) \
            and isinstance(test.ops[0], ast.NotIn) == truth:
        asked = _listed(test.left, test.comparators[0], text)
        return [asked] if asked else []
    return []


def _existence_call(call: ast.Call, text: Strings) -> Asked | None:
    """``column_exists(conn, "t", "c")``, ``inspector.has_table("t")``: what it asks about, when its name says
    it tests existence and its trailing positional arguments are the strings that name the object."""
    name = (_call_name(call) or "").lower().lstrip("_")
    kind = next((k for k, names in _KINDS.items() if name in names), None)
    if kind is None or call.keywords or any(isinstance(a, ast.Starred) for a in call.args):
        return None  # schema="archive" and other keywords: not the default-schema object the step makes
    values = [text(a) for a in call.args]
    names: list[str] = []
    for value in reversed(values):
        if value is None:
            break
        names.insert(0, value)
    if any(v is not None for v in values[:len(values) - len(names)]):
        return None  # a string among the leading arguments: not a plain (connection, names...) call
    if kind == "column":
        return ("column", names[0], names[1]) if len(names) == 2 else None
    if kind == "table":
        return ("table", names[0]) if len(names) == 1 else None
    return (kind, frozenset(names)) if len(names) in (1, 2) and len(set(names)) == len(names) else None


def _lookup_call(call: ast.Call, text: Strings) -> Asked | None:
    """``find_fk("t", ["c"])``: a lookup by table and columns (its name says so), the table a string and the
    columns a list or tuple of strings, no other argument."""
    name = (_call_name(call) or "").lower().lstrip("_")
    kind = next((k for k, names in _LOOKUPS.items() if name in names), None)
    if kind is None or call.keywords or len(call.args) != 2 or not isinstance(call.args[1], ast.List | ast.Tuple):
        return None
    table = text(call.args[0])
    columns = [text(c) for c in call.args[1].elts]
    if table is None or not columns or any(c is None for c in columns):
        return None
    return (kind, table, tuple(c for c in columns if c is not None))


def returned_test(call: ast.Call, functions: Mapping[str, ast.FunctionDef | ast.AsyncFunctionDef]) -> ast.expr | None:
    """The test a helper of the revision returns, read where it is called: ``has_migration_run_before()``, whose
    body binds names (``columns = inspector.get_columns("t")``) and then returns an expression over them, is that
    expression with each name replaced by what it was bound to and each parameter by the argument given. A
    body that does anything else (a branch, a loop, a second return), keywords, defaults or ``*args``: None."""
    if not isinstance(call.func, ast.Name) or call.keywords:
        return None
    helper = functions.get(call.func.id)
    if helper is None or isinstance(helper, ast.AsyncFunctionDef) or helper.args.vararg or helper.args.kwarg \
            or helper.args.kwonlyargs or helper.args.defaults:
        return None
    params = [a.arg for a in (*helper.args.posonlyargs, *helper.args.args)]
    if len(params) != len(call.args) or any(isinstance(a, ast.Starred) for a in call.args):
        return None
    bound: dict[str, ast.expr] = dict(zip(params, call.args, strict=True))
    body = [s for s in helper.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    if not body or not isinstance(body[-1], ast.Return) or body[-1].value is None:
        return None
    for stmt in body[:-1]:
        if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)):
            return None
        value = _Substitute(bound).visit(copy.deepcopy(stmt.value))
        if _too_big(value):
            return None
        bound[stmt.targets[0].id] = value
    returned = _Substitute(bound).visit(copy.deepcopy(body[-1].value))
    return returned if isinstance(returned, ast.expr) and not _too_big(returned) else None


#: The most nodes a helper's returned test may have once its names are replaced: a guard is a short expression,
#: and each binding that names the one before it twice (``b = (a, a)``) doubles the text (a crafted helper of 40
#: such lines held lint for ever).
_MAX_TEST_NODES = 2_000


def _too_big(node: ast.AST) -> bool:
    return any(count > _MAX_TEST_NODES for count, _ in enumerate(ast.walk(node), 1))


def with_listed_names(test: ast.expr, fn: ast.FunctionDef | ast.AsyncFunctionDef | None,
                      bound_once: Callable[[], frozenset[str]]) -> ast.expr:
    """``test`` with each name read in it that holds an inspector's list of names (``columns = {c["name"] for c in
    inspector.get_columns("t")}``, then ``if "c" not in columns:``, held-out-27 #43) replaced by that list, as
    ``_listed`` reads it written in place. Only a name ``fn`` binds exactly once (``bound_once()``, a walk of the
    whole function, asked only when a listed binding before the test is read in it), by a statement of its own body
    (not a branch or a loop) that comes before the test: wherever the test runs, it holds that list."""
    if fn is None or not (fn.lineno <= test.lineno <= (fn.end_lineno or fn.lineno)):
        return test
    listed = _listed_bindings(fn)
    if not listed or listed[0][1] >= test.lineno:
        return test
    read = {n.id for n in ast.walk(test) if isinstance(n, ast.Name)}
    candidates = [(name, value) for name, line, value in listed if line < test.lineno and name in read]
    if not candidates:
        return test
    once = bound_once()
    bound = {name: value for name, value in candidates if name in once}
    for name in _changed_in_place(fn) & bound.keys() if bound else ():
        del bound[name]
    return _Substitute(bound).visit(copy.deepcopy(test)) if bound else test


@functools.lru_cache(maxsize=64)
def _listed_bindings(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[tuple[str, int, ast.expr], ...]:
    """The statements of ``fn``'s own body that bind one name to a list or set comprehension, in order: (name, line,
    comprehension). Kept per function (attack27c): a function of 1,500 ``if``s walked its body again for each test,
    quadratic in its statements."""
    return tuple((stmt.targets[0].id, stmt.lineno, stmt.value) for stmt in fn.body
                 if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)
                 and isinstance(stmt.value, ast.ListComp | ast.SetComp) and not _too_big(stmt.value))


@functools.lru_cache(maxsize=64)
def _changed_in_place(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> frozenset[str]:
    """The names whose value ``fn`` may change without binding the name again (attack27c): a method called on it
    (``present.discard("c")``, ``.clear()``, ``.append``), an item stored or deleted (``present[:] = []``), or the
    value handed to a call (a helper that empties it). Such a list no longer says what the table holds. Kept per
    function: a function of many tests asks once (AST nodes hash by identity)."""
    found: set[str] = set()
    for node in ast.walk(fn):
        if isinstance(node, ast.Attribute | ast.Subscript) and isinstance(node.value, ast.Name) \
                and (isinstance(node, ast.Attribute) or isinstance(node.ctx, ast.Store | ast.Del)):
            found.add(node.value.id)
        elif isinstance(node, ast.Call):
            found.update(a.id for a in (*node.args, *(k.value for k in node.keywords)) if isinstance(a, ast.Name))
            found.update(a.value.id for a in node.args if isinstance(a, ast.Starred) and isinstance(a.value, ast.Name))
    return frozenset(found)


class _Substitute(ast.NodeTransformer):
    """Each name read that ``bound`` holds becomes (a copy of) the expression bound to it."""

    def __init__(self, bound: Mapping[str, ast.expr]) -> None:
        self.bound = bound

    def visit_Name(self, node: ast.Name) -> ast.expr:
        held = self.bound.get(node.id)
        return copy.deepcopy(held) if held is not None and isinstance(node.ctx, ast.Load) else node


def _listed(left: ast.expr, container: ast.expr, text: Strings) -> Asked | None:
    """``"c" in [c["name"] for c in inspector.get_columns("t")]`` and ``"t" in inspector.get_table_names()``."""
    name = text(left)
    if name is None:
        return None
    if isinstance(container, ast.Call) and _call_name(container) == "get_table_names" \
            and not container.args and not container.keywords:
        return ("table", name)
    if not isinstance(container, ast.ListComp | ast.SetComp | ast.GeneratorExp) or len(container.generators) != 1:
        return None
    loop = container.generators[0]
    source = loop.iter
    if loop.ifs or loop.is_async or not isinstance(loop.target, ast.Name) or not isinstance(source, ast.Call) \
            or source.keywords or len(source.args) != 1 or not _names_of(container.elt, loop.target.id):
        return None
    kind = _LISTS.get(_call_name(source) or "")
    table = text(source.args[0])
    if kind is None or table is None:
        return None
    return ("column", table, name) if kind == "column" else (kind, frozenset((name, table)))


def _names_of(elt: ast.expr, row: str) -> bool:
    """``row["name"]`` or ``row.name``: the name of each row the loop reads."""
    if isinstance(elt, ast.Subscript):
        key = elt.slice
        return isinstance(elt.value, ast.Name) and elt.value.id == row \
            and isinstance(key, ast.Constant) and key.value == "name"
    return isinstance(elt, ast.Attribute) and elt.attr == "name" and isinstance(elt.value, ast.Name) \
        and elt.value.id == row


def creates(change: Change, asked: Asked) -> str | None:
    """Whether ``change`` creates in the default schema the object ``asked`` is about: ``"object"`` when the guard
    names exactly that object, ``"name"`` when it gives only an index's or constraint's name (a name
    ``pg_constraint`` and MySQL's indexes keep per table: the history must say which table it can mean,
    ``Change.unless_exists_by_name``), None when it is about something else."""
    if getattr(change, "schema", None) is not None:
        return None
    if isinstance(change, AddColumn):
        return "object" if asked == ("column", change.table, change.column.name) else None
    if isinstance(change, CreateTable):
        return "object" if asked == ("table", change.table) else None
    if len(asked) == 3 and asked[0] in _LOOKUPS and isinstance(change, CreateIndex | AddConstraint):
        # find_fk("t", ["c"]) is None: the step makes a foreign key (an index, a unique key) on exactly those columns
        made = "index" if isinstance(change, CreateIndex) and not change.unique else "unique" \
            if isinstance(change, CreateIndex) or change.kind_of == "unique" else \
            "foreign_key" if change.kind_of in {"foreign_key", "foreignkey"} else None
        return "object" if (made, change.table, tuple(change.columns)) == asked else None
    if isinstance(change, CreateIndex | AddConstraint) and change.name:
        kind = "index" if isinstance(change, CreateIndex) else "constraint"
        if asked == (kind, frozenset((change.name, change.table))):
            return "object"
        return "name" if asked == (kind, frozenset((change.name,))) else None
    return None


def mark(changes: list[Change], absent: list[Asked]) -> None:
    """Set ``unless_exists`` on the steps whose object one of the guards requires absent (and
    ``unless_exists_by_name`` when the guards give only its name; an inner ``if`` is marked first, and a guard
    that names the object exactly, inner or outer, wins), and ``rerun_skipped`` on them and on the other clauses
    of their SQL statements (one ALTER TABLE is applied whole or not at all: checked on MariaDB 10.11, a failing
    ADD CONSTRAINT leaves the ADD COLUMNs before it undone)."""
    if not absent:
        return
    statements: set[tuple[int, int]] = set()
    for change in changes:
        found = {creates(change, asked) for asked in absent}
        if "object" in found:
            change.unless_exists, change.unless_exists_by_name = True, False
        elif "name" in found and not change.unless_exists:
            change.unless_exists, change.unless_exists_by_name = True, True
        if change.unless_exists:
            change.rerun_skipped = True
            if change.sql is not None:
                statements.add((id(change.sql), change.line))
    for change in changes:
        if change.sql is not None and (id(change.sql), change.line) in statements:
            change.rerun_skipped = True  # another clause of a statement the guard skips
