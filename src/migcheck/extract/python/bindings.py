"""The walker's local names: what an assignment binds (constants, tables, connections, statements, SQL
text, rows) and forgets, which names a function binds once or changes, and what a statement stores to.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Callable

from migcheck.extract.python.appguards import helper_called
from migcheck.extract.python.constants import (
    changeable_names,
    literal_list_names,
)
from migcheck.extract.python.data import (
    Data,
    _core_statement,
    _is_session_factory,
    _table_constructor,
    extend_statement,
    number_columns,
)
from migcheck.extract.python.dates import makes_date
from migcheck.extract.python.deployment import reads_deployment
from migcheck.extract.python.dialecttests import connection_dialect_name, dialect_lookup, reads_dialect_name
from migcheck.extract.python.dynamic import ModuleNames, callee
from migcheck.extract.python.fetched import bind_fetched
from migcheck.extract.python.forged import reads_forged
from migcheck.extract.python.localdefs import nested_defs
from migcheck.extract.python.nodes import (
    _call_name,
    _describe,
    _root_name,
    names_bound_at_top_only,
    names_bound_once,
)
from migcheck.extract.python.ops import Ops
from migcheck.extract.python.scope import Rows, Scope
from migcheck.extract.python.strings import dynamic_sql_text
from migcheck.vocabulary.astwalk import nodes_of


def _reads_a_dialect_name(value: ast.expr) -> bool:
    """``conn.dialect.name``, or the ``conn.dialect.name if hasattr(conn, "dialect") else None`` that
    connection_dialect_name reads with its scope: the shape only, each binding is judged when walked."""
    return reads_dialect_name(value) or (isinstance(value, ast.IfExp) and reads_dialect_name(value.body))


#: Built-ins that give back the items they are given, in some order, and the keywords each takes.
_REORDERS: dict[str, frozenset[str]] = {"sorted": frozenset({"key", "reverse"}), "reversed": frozenset(),
                                        "set": frozenset(), "frozenset": frozenset(), "list": frozenset(),
                                        "tuple": frozenset()}


class Bindings(Ops, Data):
    """Local names as the walker binds and forgets them; the first layer of ``walk.PythonExtractor``."""

    _bound_once_of: dict[int, frozenset[str]]
    _changeable_of: dict[int, frozenset[str]]
    _literal_lists_of: dict[int, frozenset[str]]
    _nested_defs: dict[int, dict[str, ast.FunctionDef | ast.AsyncFunctionDef | None]]

    def _defs_in(self, fn: ast.FunctionDef | ast.AsyncFunctionDef | None) -> dict[str, ast.FunctionDef |
                                                                                  ast.AsyncFunctionDef | None]:
        """localdefs.nested_defs of ``fn``, computed once per function."""
        if fn is None:
            return {}
        found = self._nested_defs.get(id(fn))
        if found is None:
            found = self._nested_defs[id(fn)] = nested_defs(fn, lambda: self._bound_once(fn))
        return found

    def _bind_name(self, name: str, value: ast.expr, scope: Scope) -> None:
        # `stmt = stmt.bindparams(...)`: the value is read with what the name held before
        before = scope.child() if any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(value)) \
            else scope
        self._forget_name(name, scope)
        self._bind_value(name, value, before, scope)

    def _forget_name(self, name: str, scope: Scope) -> None:
        """What ``name`` held is no longer known (it is bound again, by unpacking or ``+=``)."""
        scope.dialect_names = scope.dialect_names - {name}
        if name in scope.lookups:
            scope.lookups = {k: v for k, v in scope.lookups.items() if k != name}
        scope.app_tests = tuple(t for t in scope.app_tests if t[0] != name)
        scope.deployment_names = scope.deployment_names - {name}
        scope.binds.discard(name)
        scope.autocommit_binds = scope.autocommit_binds - {name}
        scope.sessions.discard(name)
        scope.tables.pop(name, None)
        scope.table_defs.pop(name, None)
        scope.env.pop(name, None)
        scope.dynamic_sql.pop(name, None)
        scope.core.pop(name, None)
        scope.core_exprs.pop(name, None)
        scope.types.pop(name, None)
        scope.sequences.pop(name, None)
        scope.number_columns.pop(name, None)
        scope.fetched.pop(name, None)
        scope.enums.pop(name, None)
        scope.enum_label_rows.pop(name, None)
        scope.literal_dicts.pop(name, None)
        scope.choices.pop(name, None)
        scope.constant_texts = scope.constant_texts - {name}
        scope.literal_lists.pop(name, None)
        scope.list_choices.pop(name, None)
        scope.members.pop(name, None)
        scope.row_tables.pop(name, None)
        scope.row_columns.pop(name, None)
        scope.callees.pop(name, None)
        scope.local_defs.pop(name, None)

    def member_texts(self, node: ast.expr, scope: Scope, depth: int = 0) -> tuple[str, ...] | None:
        """The constant strings every item of ``node`` is one of, which ones and in what order not known: a list of
        them (or a module-level dict of constants, whose items are its keys; Evaluator.list_choices), a name bound to
        such a collection (Scope.members), reordered or copied by a built-in the module does not rebind
        (``sorted(tables, key=...)``, ``reversed``, ``set``...), or filtered by a comprehension that yields its own
        item (``k for k in COMMENTS if "." in k``). Each item is a constant of the revision: formatted into SQL, it
        holds neither a value from outside nor a quote the code did not write (held-out-25 #154-#156)."""
        if depth > 8:
            return None
        if isinstance(node, ast.Name) and node.id in scope.members:
            return scope.members[node.id]
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and len(node.args) == 1 \
                and node.func.id in _REORDERS and node.func.id not in self._bound_anywhere() \
                and all(k.arg in _REORDERS[node.func.id] for k in node.keywords):
            return self.member_texts(node.args[0], scope, depth + 1)
        if isinstance(node, ast.GeneratorExp | ast.ListComp | ast.SetComp) and len(node.generators) == 1:
            made = node.generators[0]
            if made.is_async or not isinstance(made.target, ast.Name) or not isinstance(node.elt, ast.Name) \
                    or node.elt.id != made.target.id:
                return None
            return self.member_texts(made.iter, scope, depth + 1)
        if not isinstance(node, ast.Name | ast.List | ast.Tuple | ast.BinOp | ast.IfExp):
            return None
        lists = self.list_choices(node, scope)
        texts = tuple(dict.fromkeys(text for items in lists or () for text in items))
        return texts or None

    def split_choices(self, target: ast.expr, value: ast.expr, scope: Scope) -> dict[str, tuple[str, ...]] | None:
        """``table, column = key.split(".", 1)`` where ``key`` is one of a few constant texts (Scope.choices): each
        name is one of the parts those texts split into, a constant too. A text that splits into another number of
        parts than there are names raises there, at run time, before any SQL (``"t"`` among the keys a filter left
        out); None when none splits so."""
        if not (isinstance(target, ast.Tuple | ast.List) and target.elts
                and all(isinstance(e, ast.Name) for e in target.elts)
                and isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute)
                and value.func.attr in {"split", "rsplit"} and not value.keywords and len(value.args) <= 2):
            return None
        texts = self.choices(value.func.value, scope)
        args: list[object] = [self._literal(a, scope) for a in value.args[:1]]
        if len(value.args) == 2:
            count = value.args[1]
            args.append(count.value if isinstance(count, ast.Constant) and type(count.value) is int else None)
        if texts is None or (args and not isinstance(args[0], str)) or (len(args) == 2 and args[1] is None):
            return None
        names = [e.id for e in target.elts if isinstance(e, ast.Name)]
        found: dict[str, list[str]] = {name: [] for name in names}
        for text in texts:
            parts = getattr(text, value.func.attr)(*args)
            if len(parts) != len(names):
                continue
            for name, part in zip(names, parts, strict=True):
                if part not in found[name]:
                    found[name].append(part)
        if len(set(names)) != len(names) or not found[names[0]]:
            return None
        return {name: tuple(parts) for name, parts in found.items()}

    def _changeable_in(self, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> frozenset[str]:
        """changeable_names of ``fn``, computed when a dict literal is first bound in it."""
        return per_function(self._changeable_of, fn, changeable_names)

    def _literal_lists_in(self, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> frozenset[str]:
        """literal_list_names of ``fn``, computed when a list of non-constants is first bound in it."""
        return per_function(self._literal_lists_of, fn, literal_list_names)

    def _bound_once(self, fn: ast.FunctionDef | ast.AsyncFunctionDef | None) -> frozenset[str]:
        """names_bound_once of ``fn``, computed on the first dialect-name assignment in it (rare; a walk of
        the whole function each time cost 15 % of a cold lint)."""
        if fn is None:
            return frozenset()
        return per_function(self._bound_once_of, fn, names_bound_once)

    def _dialect_bound(self, name: str, fn: ast.FunctionDef | ast.AsyncFunctionDef | None) -> bool:
        """Whether ``name`` holds the dialect's name wherever ``fn`` reads it after binding it so: bound once, or
        only by top-level ``name = <dialect name>`` statements (names_bound_at_top_only; asked only after the
        first test fails, on a dialect-name assignment)."""
        if name in self._bound_once(fn):
            return True
        return fn is not None and name in names_bound_at_top_only(fn, _reads_a_dialect_name)

    def _bind_value(self, name: str, value: ast.expr, before: Scope, scope: Scope) -> None:
        """What ``name = value`` makes ``name`` (read in ``before``, recorded in ``scope``)."""
        # attack24: a dialect read from the revision's own object (class fake: class dialect: ...) is none
        def forged() -> bool:
            return reads_forged(lambda: self.forgeries, value, scope.forged_params)
        if (reads_dialect_name(value) or connection_dialect_name(value, before) is not None) \
                and self._dialect_bound(name, scope.function) and not forged():
            scope.dialect_names = scope.dialect_names | {name}  # dialect = op.get_bind().dialect.name
            return
        scope.dialect_names = scope.dialect_names - {name}
        if isinstance(value, ast.Call) and (looked := dialect_lookup(value, before, self.dialect)) is not None \
                and name in self._bound_once(scope.function) and not forged():
            scope.lookups = {**scope.lookups, name: looked[:2]}  # fkey = {"mysql": "fk1"}.get(bind.engine.name)
            if looked[2] is not None:
                scope.env[name] = looked[2]
            return
        scope.app_tests = tuple(t for t in scope.app_tests if t[0] != name)
        if (helper := helper_called(value, lambda: self._app_imports[0])) is not None \
                and name in self._bound_once(scope.function):
            scope.app_tests = (*scope.app_tests, (name, helper))  # pg = is_postgresql(conn)
        if reads_deployment(value, before.deployment_names) and name in self._bound_once(scope.function):
            scope.deployment_names = scope.deployment_names | {name}  # env = os.environ["ENVIRONMENT"]
            return
        if isinstance(value, ast.Name) and value.id in before.local_defs:
            scope.local_defs[name] = before.local_defs[value.id]  # drop = drop_clinician; drop(batch_op)
        elif (called := callee(self, value, before)) is not None:
            scope.callees[name] = called  # fn = globals()["drop_tables"]; fn(): dynamic.py
        elif self._is_bind(value, before):
            scope.binds.add(name)
            if self.autocommit_connection(value, before):
                scope.autocommit_binds = scope.autocommit_binds | {name}  # conn = bind.execution_options(AUTOCOMMIT)
        elif _is_session_factory(value):
            scope.sessions.add(name)
        elif bind_fetched(self, name, value, before, scope):
            pass  # result = conn.execute(sa.text("SELECT id FROM t")); x = result.scalar()
        elif (table := _table_constructor(value, self, before)) is not None:
            scope.tables[name] = table
            if isinstance(value, ast.Call):
                scope.number_columns[name] = number_columns(value, self, before)
                if _creatable_table(value):
                    scope.table_defs[name] = value
        elif isinstance(value, ast.Call) and _call_name(value) == "create_table" and value.args \
                and isinstance(value.func, ast.Attribute) and self._is_op(value.func.value):
            scope.tables[name] = self._str(value.args[0], before) or _describe(value.args[0])
        elif (statement := _core_statement(chained := extend_statement(value, before), self, before)) is not None:
            scope.core[name] = statement  # q = sa.update(t), and q = q.where(...) after it
            scope.core_exprs[name] = chained
        elif (sequence := self._sequence_name(value, before)) is not None:
            scope.sequences[name] = sequence  # seq = sa.Sequence("eventcounter_seq")
        elif isinstance(value, ast.Dict) and scope.function is not None \
                and name not in self._changeable_in(scope.function):
            scope.literal_dicts[name] = value  # old = {"uq_file_name": ("file", ["name"])}, looped over below
        elif isinstance(value, ast.DictComp) and scope.function is not None \
                and name not in self._changeable_in(scope.function) \
                and (made := self.comprehended_dict(value, before)) is not None:
            scope.literal_dicts[name] = made  # reverse = {new: old for old, new in RENAMES.items()}
        else:
            literal = self._literal(value, before)
            if isinstance(value, ast.List) and scope.function is not None \
                    and name in self._changeable_in(scope.function):
                literal = None  # parts = [] then parts.append(...): not the list it starts as
            if literal is None and isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) \
                    and value.func.attr == "join":
                literal = self._format_value(value, before)  # names = "', '".join(RENAMES.keys()): constants joined
            if literal is not None:
                scope.env[name] = literal
            elif isinstance(value, ast.List | ast.Tuple) and scope.function is not None \
                    and name in self._literal_lists_in(scope.function):
                scope.literal_lists[name] = value  # tables = [("a", "id"), ("b", "id")], looped over below
            elif (built := dynamic_sql_text(self, value, before)) is not None:
                scope.dynamic_sql[name] = built
            elif (texts := self.choices(value, before)) is not None:
                scope.choices[name] = texts  # default = "true" if flag else "false"
            elif self.constant_text(value, before):
                scope.constant_texts = scope.constant_texts | {name}  # case_sql = "\n".join(case_parts)
            elif isinstance(value, ast.BinOp | ast.IfExp) and scope.function is not None \
                    and name not in self._changeable_in(scope.function) \
                    and (lists := self.list_choices(value, before)) is not None:
                scope.list_choices[name] = lists  # cols = COLS + (['"v"'] if has_v else []): one of these lists
            elif isinstance(value, ast.Call | ast.GeneratorExp | ast.ListComp | ast.SetComp) \
                    and scope.function is not None and name not in self._changeable_in(scope.function) \
                    and (texts := self.member_texts(value, before)) is not None:
                scope.members[name] = texts  # keys = sorted(k for k in COMMENTS if "." in k): items among these
            else:
                test = self._static_test(value, before)
                if test is not None:
                    scope.env[name] = test
                elif isinstance(value, ast.Call | ast.Attribute | ast.Lambda) or (
                        isinstance(value, ast.Constant) and type(value.value) is int):
                    # maybe a column type (or its length): sa.Column("c", name) reads it; or a column, or a
                    # lambda that makes one: op.add_column("t", name) / op.add_column("t", name()) reads it
                    scope.types[name] = value
                elif isinstance(value, ast.BinOp) and makes_date(self, value, before):
                    scope.types[name] = value  # cutoff = date.today() - timedelta(days=30): a date (dates.py)

    @functools.cached_property
    def module_names(self) -> ModuleNames:
        """The names this revision binds to ``sys``, ``sys.modules`` and ``import_module`` (dynamic.py)."""
        return ModuleNames(self.tree)


def own_nodes(stmt: ast.stmt) -> int:
    """The syntax nodes of ``stmt`` outside the statements nested in it (each counted when it is walked)."""
    count, todo = 0, list[ast.AST]([stmt])
    while todo:
        node = todo.pop()
        count += 1
        todo.extend(child for child in ast.iter_child_nodes(node) if not isinstance(child, ast.stmt))
    return count


#: Methods that put their arguments into the container they are called on.
_FILLS = frozenset({"append", "extend", "insert", "update", "add", "setdefault", "appendleft"})


def _hold_rows(scope: Scope, names: list[str], rows: Rows, *, keep: bool = False) -> None:
    """``names`` now hold rows of ``rows.tables`` (Scope.row_tables) and the columns a select named
    (Scope.row_columns); with ``keep``, besides what they held."""
    if not rows.tables:
        return
    for name in names:
        scope.row_tables[name] = scope.row_tables.get(name, frozenset()) | rows.tables if keep else rows.tables
        scope.row_columns[name] = scope.row_columns.get(name, frozenset()) | rows.columns if keep else rows.columns


def _written_into(target: ast.expr) -> list[str]:
    """The local container an assignment writes into (``data[key] = ...``, ``item.value = ...``): ``data``."""
    if isinstance(target, ast.Subscript | ast.Attribute):
        root = _root_name(target)
        return [root] if root is not None else []
    if isinstance(target, ast.Tuple | ast.List):
        return [name for elt in target.elts for name in _written_into(elt)]
    return []


def _stored_names(target: ast.expr) -> list[str]:
    """The names an assignment target binds (``a, *b = ...``), not the objects it writes into (``row.x = ...``)."""
    return [n.id for n in ast.walk(target) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)]


def _stored_in(stmt: ast.AST) -> frozenset[str]:
    """Every name ``stmt`` stores to, at any depth, ``def`` and ``class`` statements included
    (PythonExtractor._forget_types)."""
    return frozenset(node.id if isinstance(node, ast.Name) else node.name for node in nodes_of(stmt)
                     if (isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store))
                     or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef))


def _creatable_table(node: ast.expr) -> bool:
    """``sa.Table("t", metadata, ...)``: a table with its metadata, which ``create()`` can build (the lightweight
    ``sa.table("t", ...)`` cannot), not one reflected from the database (``autoload_with=``), which exists."""
    return isinstance(node, ast.Call) and _call_name(node) == "Table" and len(node.args) >= 2 \
        and not isinstance(node.args[1], ast.Starred) \
        and not any(k.arg in {"autoload_with", "autoload"} for k in node.keywords)


def _appended_in(loop: ast.For | ast.AsyncFor | ast.While) -> frozenset[str]:
    """The lists ``loop``'s body appends to (``parts.append(x)``)."""
    return frozenset(node.func.value.id for stmt in loop.body for node in ast.walk(stmt)
                     if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                     and node.func.attr == "append" and isinstance(node.func.value, ast.Name))


def per_function(store: dict[int, frozenset[str]], fn: ast.FunctionDef | ast.AsyncFunctionDef,
                 compute: Callable[[ast.FunctionDef | ast.AsyncFunctionDef], frozenset[str]]) -> frozenset[str]:
    """``compute(fn)``, once per function (each is a walk of the whole function), kept in ``store`` by the node."""
    found = store.get(id(fn))
    if found is None:
        found = store[id(fn)] = compute(fn)
    return found
