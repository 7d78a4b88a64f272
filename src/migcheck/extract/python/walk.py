"""The walker: ``upgrade()`` / ``downgrade()`` statement by statement, to Change IR.

``PythonExtractor`` joins the parts (``op.*`` calls, columns, SQL strings, data access, evaluation)
and walks a body the way real revisions are written: ``with op.batch_alter_table(...) as batch_op``,
``autocommit_block()``, local names bound to constants, tables, connections, sessions, statements and
SQL text, loops over literal lists, helper functions of the same module (inlined), dialect checks
(only the branch the target dialect takes), and calls into imported code. Each call that changes
something is handed to the part that knows it.
"""

from __future__ import annotations

import ast
import functools
from typing import Literal

from migcheck.extract.limits import COPIES_PER_NODE, MAX_DEPTH, MAX_STEPS, UNROLL_BUDGET, WORK_BUDGET, capped
from migcheck.extract.python.appguards import app_guard, helper_called, mark_guarded
from migcheck.extract.python.catalog import label_checked, label_missing_branch
from migcheck.extract.python.columns import enum_type_call
from migcheck.extract.python.constants import (
    changeable_names,
    literal_list_names,
    module_text_constants,
    mutable_constants,
)
from migcheck.extract.python.data import (
    SESSION_WRITES,
    Data,
    _attribute_write,
    _core_statement,
    _is_session_factory,
    _module_tables,
    _reads_all_rows,
    _selected_table,
    _table_constructor,
    extend_statement,
    number_columns,
    orm_bulk_write,
)
from migcheck.extract.python.dates import makes_date
from migcheck.extract.python.deployment import mentions_deployment, reads_deployment
from migcheck.extract.python.dialecttests import reads_dialect_name, skipped_on
from migcheck.extract.python.dynamic import ModuleNames, callee, dynamic_call
from migcheck.extract.python.fetched import bind_fetched, fetched_rows
from migcheck.extract.python.guards import absent_when, mark, returned_test
from migcheck.extract.python.imports import (
    MARKS_CHANGED,
    _catches_value_errors_only,
    _is_logging,
    _sounds_like_ddl,
    application_imports,
    builds_exception,
    calls_imported_code,
    imported_function,
    imported_names,
    swallows_database_errors,
    swallows_not_implemented,
)
from migcheck.extract.python.localdefs import nested_defs
from migcheck.extract.python.multidb import dispatched, unread
from migcheck.extract.python.nodes import (
    _arg,
    _call_name,
    _describe,
    _root_name,
    _short,
    _target_names,
    append_only_lists,
    names_bound_once,
)
from migcheck.extract.python.ops import Ops, _op_aliases, op_functions
from migcheck.extract.python.refuses import bare_unbound_name, refuses
from migcheck.extract.python.scope import Scope
from migcheck.extract.python.strings import dynamic_sql_text
from migcheck.vocabulary.changes import LIMIT_KEYWORD, Change, DataChange, RawSQL
from migcheck.vocabulary.revision import Body


class PythonExtractor(Ops, Data):
    """Extracts the bodies of one parsed revision module."""

    def __init__(self, tree: ast.Module, consts: dict[str, object], dialect: str) -> None:
        self.tree = tree
        self.stand_ins = {}
        self.fetched_stand_ins = {}
        self.app_stand_ins = {}
        #: Module constants, less the lists and dicts whose content may change (constants.mutable_constants).
        changeable = mutable_constants(tree)
        self.consts = {name: value for name, value in consts.items() if name not in changeable}
        self.consts.update(module_text_constants(tree, self.consts))  # QUERY = sa.text("..."): its SQL
        self.dialect = dialect
        self.functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}
        self.op_names = {"op"} | _op_aliases(tree)
        #: ``from alembic.op import create_table``: local name -> the op function it is.
        self.op_functions = op_functions(tree)
        #: Module-level ``t = sa.table("name", ...)`` / ``sa.Table("name", meta, ...)``: the table each name is.
        self.module_tables = _module_tables(self, tree)
        #: Names imported from outside the standard library and the SQLAlchemy/Alembic family, with their
        #: module: calls to them run code migcheck does not read.
        self.imported = imported_names(tree)
        #: The names module-level imports bind to application code (what ``calls_imported_code`` looks for).
        self.module_imports = application_imports(tree.body)
        # numbers, sequences, class_constants, stdlib_dates: read on first use (evaluate.Evaluator)
        #: names_bound_once per function walked (by id: the nodes live as long as the tree).
        self._bound_once_of: dict[int, frozenset[str]] = {}
        self._changeable_of: dict[int, frozenset[str]] = {}
        self._literal_lists_of: dict[int, frozenset[str]] = {}
        #: append_only_lists per function walked (by id).
        self._append_only_of: dict[int, frozenset[str]] = {}
        self._helpers_evaluating: set[str] = set()
        #: Helper calls and loop passes unrolled in the body being walked (UNROLL_BUDGET); None once spent.
        self._unrolled: int | None = 0
        #: Nodes of statements walked again in the body being walked (WORK_BUDGET), and the statements walked once.
        self._work = 0
        self._walked: set[int] = set()
        #: own_nodes per statement walked again, the names each block stores to, the lists each loop appends to (by
        #: id: the nodes live as long as the tree).
        self._cost_of: dict[int, int] = {}
        self._stored_of: dict[int, frozenset[str]] = {}
        self._appended_of: dict[int, frozenset[str]] = {}
        #: The swallowing ``try`` blocks walked so far (Change.guarded numbers them).
        self._tries = 0
        #: localdefs.nested_defs per function walked (by id).
        self._nested_defs: dict[int, dict[str, ast.FunctionDef | ast.AsyncFunctionDef | None]] = {}

    def body(self, name: str) -> Body | None:
        fn = self.functions.get(name)
        if fn is None:
            return None
        params = {a.arg for a in fn.args.args}
        scope = Scope(phase=name, env=dict(self.consts), tables=dict(self.module_tables),
                      table_sets=frozenset(params & {"tables"}), function=fn,
                      deployment_names=self.deployment_names)
        changes: list[Change] = []
        self._unrolled, self._work, self._walked = 0, 0, set()
        if not skipped_on(fn, self.dialect):  # @utils.skip_if_sqlite: nothing of it runs on SQLite
            self._walk(fn.body, scope, changes, active={name})
        # upgrade(engine_name) of Alembic's multidb template: what it is, is what the engines' functions are
        read = dispatched(fn, self.functions) or [fn]
        refused = all(refuses(f.body, self._bound_anywhere) for f in read)  # `fail` first: nothing after runs
        trivial = refused or all(is_trivial(f.body) for f in read)
        opaque = self._unrolled is None or any(calls_imported_code(f, self.tree, self.module_imports) for f in read)
        return Body(line=fn.lineno, changes=capped(changes), trivial=trivial, opaque=opaque,
                    raises=refused or (trivial and any(isinstance(stmt, ast.Raise) for f in read for stmt in f.body)))

    def _unroll(self, node: ast.AST, what: str, scope: Scope, out: list[Change]) -> bool:
        """Whether one more helper call or loop pass may be walked; the first refused is reported where it is."""
        if self._unrolled is None:
            return False
        if self._unrolled < UNROLL_BUDGET and len(out) < MAX_STEPS:
            self._unrolled += 1
            return True
        self._stop(node, f"migcheck follows {UNROLL_BUDGET:,} helper calls and loop passes per function (and reads "
                         f"{MAX_STEPS:,} steps), and {what} goes past them", scope, out)
        return False

    def _within_depth(self, call: ast.expr, name: str, scope: Scope, out: list[Change]) -> bool:
        """Whether a helper called at ``scope`` may be inlined: past MAX_DEPTH helpers inside each other, reading
        stops there (an error, not a call passed over in silence)."""
        if scope.depth < MAX_DEPTH:
            return True
        if self._unrolled is not None:
            self._stop(call, f"migcheck follows helpers {MAX_DEPTH} deep (a helper calling a helper, and so on), and "
                             f"this call of {name}() goes deeper", scope, out)
        return False

    def _stop(self, node: ast.AST, why: str, scope: Scope, out: list[Change]) -> None:
        """Unroll nothing more in this function, and say where (extract/limits.py: an error, the run fails closed).
        The statements still ahead in the functions being walked are read once, as written."""
        self._unrolled = None
        out.append(RawSQL(text=None, keyword=LIMIT_KEYWORD, understood=False, line=getattr(node, "lineno", 1),
                          reason=f"{why}: what runs from here on was not read", **self._common(scope)))

    def _charge(self, stmt: ast.stmt, scope: Scope, out: list[Change]) -> None:
        """Count a statement walked again (a helper's second call, a loop's second pass) against WORK_BUDGET, with
        the entries copied into new scopes so far (Scope.copied); past it, reading stops here (reported once, and
        nothing more is unrolled). A statement's first walk is free."""
        key = id(stmt)
        if key not in self._walked:
            self._walked.add(key)
            if self._unrolled is not None and self._work + scope.copied[0] // COPIES_PER_NODE > WORK_BUDGET:
                self._stop(stmt, self._spent(), scope, out)
            return
        cost = self._cost_of.get(key)
        if cost is None:
            cost = self._cost_of[key] = own_nodes(stmt)
        self._work += cost
        if self._unrolled is not None and self._work + scope.copied[0] // COPIES_PER_NODE > WORK_BUDGET:
            self._stop(stmt, self._spent(), scope, out)

    @staticmethod
    def _spent() -> str:
        return (f"migcheck walks {WORK_BUDGET:,} syntax nodes again per function (a helper called more than once, "
                f"each pass of a loop unrolled; what each new scope copies counts too), and this statement goes past "
                f"them")

    # -- statements -------------------------------------------------------------------------------

    def _off_production(self, stmt: ast.If, verdict: bool, rest: list[ast.stmt], scope: Scope, out: list[Change],
                        active: set[str]) -> None:
        """Walk the branch of a deployment guard that production does not take, when another deployment may take
        it: it runs on staging, so only the rules about production's load leave its steps out
        (Change.off_in_production). ``rest`` follows it there when production's branch ended the function."""
        off = scope.child(conditional=True, off_production=True)
        if self._static_test(stmt.test, off) == verdict:
            return  # a dialect test decides it alike everywhere: `if dialect == "sqlite" and env != "live"`
        start = len(out)
        self._walk([*(stmt.orelse if verdict else stmt.body), *rest], off, out, active)
        for change in out[start:]:
            change.off_in_production = True

    def _walk(self, stmts: list[ast.stmt], scope: Scope, out: list[Change], active: set[str]) -> bool:
        """Walk ``stmts``; True when they certainly end the function (a ``return`` or ``raise`` reached on
        every path the target dialect takes), so the statements after them never run: ``if dialect ==
        "postgresql": return`` skips the rest of the body on PostgreSQL."""
        for index, stmt in enumerate(stmts):
            self._charge(stmt, scope, out)
            if isinstance(stmt, ast.Return | ast.Raise):
                self._calls(stmt, scope, out, active)
                return True
            if isinstance(stmt, ast.With | ast.AsyncWith):
                inner = scope.child()
                for item in stmt.items:
                    self._with_item(item, inner, out, active)
                ends = self._walk(stmt.body, inner, out, active)
                self._forget_types(stmt, scope)
                if ends:
                    return True
            elif isinstance(stmt, ast.If):
                verdict = self._static_test(stmt.test, scope)
                if verdict is None:
                    self._calls(stmt.test, scope, out, active)
                    body, orelse = scope.child(conditional=True), scope.child(conditional=True)
                    if missing := label_missing_branch(stmt.test, scope.enum_label_rows):
                        chosen = body if missing[1] else orelse
                        chosen.absent_enum_labels = (*chosen.absent_enum_labels, missing[0])
                    guard = app_guard(stmt.test, self._app_imports[0], dict(scope.app_tests))
                    ended = []
                    for branch, branch_scope, truth in ((stmt.body, body, True), (stmt.orelse, orelse, False)):
                        start = len(out)
                        ended.append(self._walk(branch, branch_scope, out, active))
                        mark(out[start:], absent_when(stmt.test, truth, lambda node: self._str(node, scope),
                                                      lambda call: returned_test(call, self.functions)))
                        if guard is not None:
                            mark_guarded(out[start:], (*guard[:4], guard[4] == truth))
                    self._forget_types(stmt, scope)
                    if guard is not None and ended[0] != ended[1]:
                        # `if not is_postgresql(bind): return`: what follows runs only where the other branch is
                        # taken (its truth); walked as before, only marked
                        start = len(out)
                        ends = self._walk(stmts[index + 1:], scope, out, active)
                        mark_guarded(out[start:], (*guard[:4], guard[4] == ended[1]))
                        return ends
                elif mentions_deployment(stmt.test, scope.deployment_names):
                    # the branch production takes: it runs where the deployment is named as the test expects
                    ends = self._walk(stmt.body if verdict else stmt.orelse, scope.child(conditional=True), out, active)
                    self._off_production(stmt, verdict, stmts[index + 1:] if ends else [], scope, out, active)
                    if ends:
                        return True
                    self._forget_types(stmt, scope)
                elif self._walk(stmt.body if verdict else stmt.orelse, scope, out, active):
                    return True
            elif isinstance(stmt, ast.For | ast.AsyncFor):
                self._loop(stmt, scope, out, active)
                self._forget_types(stmt, scope)
            elif isinstance(stmt, ast.While):
                start = len(out)
                self._walk(stmt.body, scope.child(conditional=True, loop_appended=self._appended(stmt, scope)), out,
                           active)
                for change in out[start:]:
                    if change.loop is None:
                        change.loop = stmt.lineno  # as many passes as the test allows (review18)
                self._forget_types(stmt, scope)
            elif isinstance(stmt, ast.Try):
                checks = bool(stmt.handlers) and all(_catches_value_errors_only(h) for h in stmt.handlers)
                start = len(out)
                self._walk(stmt.body, scope.child(value_check=True) if checks else scope, out, active)
                if any(swallows_database_errors(h) for h in stmt.handlers):
                    self._tries += 1  # one per pass: a loop's passes are separate tries
                    for change in out[start:]:
                        change.guarded = (self._tries, *change.guarded)
                if any(swallows_not_implemented(h) for h in stmt.handlers):
                    for change in out[start:]:
                        change.not_implemented_caught = True
                for handler in stmt.handlers if not self._runs_nothing(stmt.body, scope) else ():
                    self._walk(handler.body, scope.child(conditional=True), out, active)
                    self._forget_types(handler, scope)
                if checks:
                    self._forget_types(stmt, scope)
                self._walk(stmt.orelse, scope, out, active)
                self._walk(stmt.finalbody, scope, out, active)
            elif isinstance(stmt, ast.Assign | ast.AnnAssign):
                value = stmt.value
                if value is None:
                    continue
                before = len(out)
                self._calls(value, scope, out, active)
                if len(out) == before and isinstance(value, ast.Call) and _sounds_like_ddl(value):
                    self._imported_call(value, scope, out)  # t = helpers.create_table_if_not_exists(...)
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                rows = self._rows_read(value, scope)
                for target in targets:
                    if not isinstance(target, ast.Name):
                        for name in _stored_names(target):
                            self._forget_name(name, scope)  # u, _ = row: u no longer holds what it held
                        _hold_rows(scope, _stored_names(target), rows)
                        _hold_rows(scope, _written_into(target), rows, keep=True)  # data[row.key] = row.value
                        continue
                    self._bind_name(target.id, value, scope)
                    _hold_rows(scope, [target.id], rows)
                    if label := label_checked(value, scope.enum_label_rows):
                        scope.enum_label_rows[target.id] = label
                    if isinstance(value, ast.List) and not value.elts and scope.function is not None \
                            and target.id in self._append_only(scope.function):
                        scope.collected[(id(scope.function), target.id)] = []  # needs_migration = []
            elif isinstance(stmt, ast.AugAssign):
                self._calls(stmt, scope, out, active)
                rows = self._rows_read(stmt, scope)  # rows += conn.execute(...).fetchall(): old and new rows
                for name in _stored_names(stmt.target):
                    self._forget_name(name, scope)  # v = uuid4(); v += text: v is no longer what it was
                _hold_rows(scope, [*_stored_names(stmt.target), *_written_into(stmt.target)], rows)
            elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                self._forget_name(stmt.name, scope)  # from here on the name is this def (localdefs.py)
                if not stmt.decorator_list:
                    scope.local_defs[stmt.name] = stmt
            elif isinstance(stmt, ast.ClassDef | ast.Import | ast.ImportFrom):
                continue
            elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Name):
                if bare_unbound_name(stmt, self._bound_anywhere):
                    return True  # `fail`: NameError here, like a raise (refuses.py)
            elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
                self._fill(stmt.value, scope)
                if self._collect(stmt.value, scope):
                    continue  # needs_migration.append("replies")
                before = len(out)
                self._calls(stmt, scope, out, active)
                if len(out) == before:
                    self._imported_call(stmt.value, scope, out)
            else:
                self._calls(stmt, scope, out, active)
        return False

    def _forget_types(self, stmt: ast.AST, scope: Scope) -> None:
        """A name given a type in a block walked in a child scope (``if flag: t = sa.Integer()`` under a test
        not decided statically, a loop, a handler, a ``with``) may hold that type afterwards: the type it held
        before is no longer known (``Scope.types``), so ``type_=t`` is not read as the earlier one. The same holds
        for a local list of literals (``Scope.literal_lists``) and a choice of constant texts (``Scope.choices``,
        review15: ``default = "NULL" if n else "0"`` then ``if custom: default = custom``) bound again there. The
        names a block stores to are found once per block (a helper called again walks it again: WORK_BUDGET counts
        its own nodes, not the blocks inside it)."""
        if not scope.types and not scope.literal_lists and not scope.choices and not scope.list_choices \
                and not scope.local_defs:
            return
        stored = self._stored_of.get(id(stmt))
        if stored is None:
            stored = self._stored_of[id(stmt)] = _stored_in(stmt)
        for name in stored:
            scope.types.pop(name, None)
            scope.literal_lists.pop(name, None)
            scope.choices.pop(name, None)
            scope.list_choices.pop(name, None)
            scope.local_defs.pop(name, None)  # `if flag: def drop(): ...`: which def runs after it is not known

    def _appended(self, loop: ast.For | ast.AsyncFor | ast.While, scope: Scope) -> frozenset[str]:
        """Scope.loop_appended inside ``loop``: the lists its body appends to, and those of the loops around it."""
        found = self._appended_of.get(id(loop))
        if found is None:
            found = self._appended_of[id(loop)] = _appended_in(loop)
        return scope.loop_appended | found

    def _runs_nothing(self, stmts: list[ast.stmt], scope: Scope) -> bool:
        """Whether ``stmts`` run nothing on the target dialect: only ``pass``, constants, and ``if``s on the
        dialect whose taken branch runs nothing. A ``try`` with such a body raises nothing, so its handlers
        never run (``try: if dialect != "postgresql": <batch ops> except AttributeError: <fallback>`` on
        PostgreSQL)."""
        for stmt in stmts:
            if isinstance(stmt, ast.Pass) or (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)):
                continue
            if not isinstance(stmt, ast.If):
                return False
            verdict = self._static_test(stmt.test, scope)
            if verdict is None or not self._runs_nothing(stmt.body if verdict else stmt.orelse, scope):
                return False
        return True

    def _append_only(self, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> frozenset[str]:
        """nodes.append_only_lists of ``fn``, computed once per function."""
        found = self._append_only_of.get(id(fn))
        if found is None:
            found = self._append_only_of[id(fn)] = append_only_lists(fn)
        return found

    def _fill(self, call: ast.Call, scope: Scope) -> None:
        """``data.append(row)``, ``values.update(to_dict(row))``: a local container filled with what rows a SELECT
        read hold, then holds them too (Scope.row_tables)."""
        func = call.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.attr in _FILLS:
            _hold_rows(scope, [func.value.id], self._rows_read(ast.Tuple(elts=[*call.args, *(
                k.value for k in call.keywords)]), scope), keep=True)

    def _collect(self, call: ast.Call, scope: Scope) -> bool:
        """``L.append("replies")`` on an append-only list: remember the literal appended (True: nothing else to
        read in the statement). Anything else appended makes the list unknown, and the call is read as usual."""
        func = call.func
        if not (isinstance(func, ast.Attribute) and func.attr == "append" and isinstance(func.value, ast.Name)
                and scope.function is not None and len(call.args) == 1):
            return False
        key = (id(scope.function), func.value.id)
        if key not in scope.collected:
            return False
        value = self._literal(call.args[0], scope)
        held = scope.collected[key]
        if not isinstance(value, str) or held is None:
            scope.collected[key] = None
            return False
        if value not in held:
            held.append(value)
        return True

    def _imported_call(self, call: ast.Call, scope: Scope, out: list[Change]) -> None:
        """A call made for its effect (``migration.create_table_if_not_exists(...)``,
        ``helpers_module.upgrade()``) into imported code: say so, instead of passing over it silently."""
        root = _root_name(call.func)
        if root is None or root not in self.imported or root in scope.binds or root in scope.sessions:
            return
        if _is_logging(root, self.imported[root]):
            return  # loguru's logger.info(...), structlog, a module's `log`: output, not SQL
        called = imported_function(call.func, root, self.imported[root])
        if called is not None and ".".join(called) in MARKS_CHANGED:
            return  # zope.sqlalchemy's mark_changed(session): flags the session for the transaction manager, no SQL
        if builds_exception(call):
            return  # PackitException(...) built and never raised (held-out-8 #115): an object, no statement
        if scope.value_check and (call.args or call.keywords) and not self._hands_database(call, scope):
            # try: Locale.parse(code) except ValueError: -- a check of a value, no SQL reaches it; a call
            # with no argument checks no value (`try: upgrade_data() except KeyError:`): it runs for its effect
            return
        callee = ast.unparse(call.func)
        origin = self.imported[root]
        if isinstance(call.func, ast.Name) and "." in origin.lstrip("."):
            origin = origin.rsplit(".", 1)[0]  # `from app.db import helper; helper()`: the module is app.db
        out.append(RawSQL(
            text=ast.unparse(call), keyword="", understood=False, line=call.lineno,
            reason=f"`{_short(callee, 50)}()` comes from `{origin}`, and migcheck does not read imported code",
            called=called, **self._common(scope),
        ))

    def _hands_database(self, call: ast.Call, scope: Scope) -> bool:
        """Whether an argument of ``call`` is a way to the database: ``op``, a connection, a session."""
        for arg in [*call.args, *(k.value for k in call.keywords)]:
            for node in ast.walk(arg):
                if isinstance(node, ast.Name) and (node.id in self.op_names or node.id in scope.sessions):
                    return True
                if isinstance(node, ast.expr) and self._is_bind(node, scope):
                    return True
        return False

    def _loop(self, stmt: ast.For | ast.AsyncFor, scope: Scope, out: list[Change], active: set[str]) -> None:
        values = self._literal(stmt.iter, scope)
        if isinstance(stmt.target, ast.Name) and isinstance(values, tuple) and values:
            for value in values:
                if not self._unroll(stmt, "this loop", scope, out):
                    break
                inner = scope.child()
                inner.env[stmt.target.id] = value
                self._walk(stmt.body, inner, out, active)
            return
        collected = scope.collected.get((id(scope.function), stmt.iter.id)) \
            if isinstance(stmt.iter, ast.Name) and scope.function is not None else None
        if isinstance(stmt.target, ast.Name) and collected:
            # for table in needs_migration: a subset of the literals appended, each pass maybe not taken
            for value in list(collected):
                if not self._unroll(stmt, "this loop", scope, out):
                    break
                inner = scope.child(conditional=True)
                inner.env[stmt.target.id] = value
                self._walk(stmt.body, inner, out, active)
            return
        functions = self._function_sequence(stmt, scope)
        if functions:
            for fn in functions:  # for step in (_drop_a, _drop_b): step()
                if not self._unroll(stmt, "this loop", scope, out):
                    break
                inner = scope.child()
                assert isinstance(stmt.target, ast.Name)
                self._forget_name(stmt.target.id, inner)
                inner.local_defs[stmt.target.id] = fn
                self._walk(stmt.body, inner, out, active)
            return
        rows = self._literal_rows(stmt.iter, stmt.target, scope)
        if rows:
            for row in rows:
                if not self._unroll(stmt, "this loop", scope, out):
                    break
                inner = scope.child()
                inner.env.update(row)
                self._walk(stmt.body, inner, out, active)
            return
        self._calls(stmt.iter, scope, out, active)
        inner = scope.child(loop_appended=self._appended(stmt, scope))
        for name in _target_names(stmt.target):
            inner.env.pop(name, None)
            inner.number_columns.pop(name, None)
            inner.fetched.pop(name, None)
        for name in _stored_names(stmt.target):
            self._forget_name(name, inner)  # token = uuid4(); for token in rows: token is a row's value
        _hold_rows(inner, _stored_names(stmt.target), self._rows_read(stmt.iter, scope))  # for a in conn.execute(...)
        if isinstance(stmt.target, ast.Name) and (table := _selected_table(stmt.iter)) in scope.number_columns:
            inner.number_columns[stmt.target.id] = scope.number_columns[table]  # for row in conn.execute(t.select())
        if isinstance(stmt.target, ast.Name) and (found := fetched_rows(self, stmt.iter, scope)) is not None:
            inner.fetched[stmt.target.id] = ("row", found)  # for row in conn.execute("SELECT id FROM t")
        start = len(out)
        self._walk(stmt.body, inner, out, active)
        for change in out[start:]:
            if change.loop is None:
                change.loop = stmt.lineno  # runs once per pass, as often as the rows (or values) say
        if scope.in_transaction and _reads_all_rows(stmt.iter):
            for change in out[start:]:
                if isinstance(change, DataChange) and change.action in {"update", "delete"} and change.row_loop is None:
                    change.row_loop = stmt.lineno
        if isinstance(stmt.target, ast.Name) and _root_name(stmt.iter) in scope.sessions:
            # for token in session.query(Token): token.scopes = ... -- rows written through the ORM
            write = _attribute_write(stmt.body, stmt.target.id)
            if write is not None:
                out.append(DataChange(action="orm", line=write.lineno, **self._common(scope)))

    def _defs_in(self, fn: ast.FunctionDef | ast.AsyncFunctionDef | None) -> dict[str, ast.FunctionDef |
                                                                                  ast.AsyncFunctionDef | None]:
        """localdefs.nested_defs of ``fn``, computed once per function."""
        if fn is None:
            return {}
        found = self._nested_defs.get(id(fn))
        if found is None:
            found = self._nested_defs[id(fn)] = nested_defs(fn, lambda: self._bound_once(fn))
        return found

    def _function_sequence(self, stmt: ast.For | ast.AsyncFor,
                           scope: Scope) -> list[ast.FunctionDef | ast.AsyncFunctionDef] | None:
        """The functions a loop runs over when it names them in a literal tuple or list (``for step in (_a, _b)``),
        each a function of the module or one defined in the function walked; None for any other loop."""
        iterable = stmt.iter
        if isinstance(iterable, ast.Name) and iterable.id in scope.literal_lists:
            iterable = scope.literal_lists[iterable.id]  # steps = [_a, _b]; for step in steps
        if not isinstance(stmt.target, ast.Name) or not isinstance(iterable, ast.List | ast.Tuple) \
                or not iterable.elts:
            return None
        found = []
        for elt in iterable.elts:
            if not isinstance(elt, ast.Name):
                return None
            defined = self._defs_in(scope.function)
            if elt.id in scope.local_defs:
                found.append(scope.local_defs[elt.id])
            elif elt.id in scope.callees or elt.id in scope.env or elt.id in scope.types:
                return None
            elif (fn := defined[elt.id] if elt.id in defined else self.functions.get(elt.id)) is not None:
                found.append(fn)
            else:
                return None
        return found

    def _with_item(self, item: ast.withitem, scope: Scope, out: list[Change], active: set[str]) -> None:
        expr = item.context_expr
        alias = item.optional_vars.id if isinstance(item.optional_vars, ast.Name) else None
        if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute):
            attr = expr.func.attr
            if attr == "batch_alter_table" and self._is_op(expr.func.value):
                table = self._str(_arg(expr, 0, "table_name"), scope) or _describe(_arg(expr, 0, "table_name"))
                if alias:
                    scope.batch[alias] = (table, self._schema(_arg(expr, 1, "schema"), scope))
                    always = self._literal(_arg(expr, 2, "recreate"), scope) == "always"
                    scope.rebuilt_batches = scope.rebuilt_batches | {alias} if always \
                        else scope.rebuilt_batches - {alias}
                return
            if attr == "autocommit_block":
                scope.in_transaction = False
                return
            if attr in {"begin", "connect"} and alias and self._is_bind(expr.func.value, scope):
                scope.binds.add(alias)
                return
        if alias and _is_session_factory(expr):
            scope.sessions.add(alias)
            return
        self._calls(expr, scope, out, active)

    def _bind_name(self, name: str, value: ast.expr, scope: Scope) -> None:
        # `stmt = stmt.bindparams(...)`: the value is read with what the name held before
        before = scope.child() if any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(value)) \
            else scope
        self._forget_name(name, scope)
        self._bind_value(name, value, before, scope)

    def _forget_name(self, name: str, scope: Scope) -> None:
        """What ``name`` held is no longer known (it is bound again, by unpacking or ``+=``)."""
        scope.dialect_names = scope.dialect_names - {name}
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
        scope.row_tables.pop(name, None)
        scope.callees.pop(name, None)
        scope.local_defs.pop(name, None)

    def _changeable_in(self, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> frozenset[str]:
        """changeable_names of ``fn``, computed when a dict literal is first bound in it."""
        found = self._changeable_of.get(id(fn))
        if found is None:
            found = self._changeable_of[id(fn)] = changeable_names(fn)
        return found

    def _literal_lists_in(self, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> frozenset[str]:
        """literal_list_names of ``fn``, computed when a list of non-constants is first bound in it."""
        found = self._literal_lists_of.get(id(fn))
        if found is None:
            found = self._literal_lists_of[id(fn)] = literal_list_names(fn)
        return found

    def _bound_once(self, fn: ast.FunctionDef | ast.AsyncFunctionDef | None) -> frozenset[str]:
        """names_bound_once of ``fn``, computed on the first dialect-name assignment in it (rare; a walk of
        the whole function each time cost 15 % of a cold lint)."""
        if fn is None:
            return frozenset()
        found = self._bound_once_of.get(id(fn))
        if found is None:
            found = self._bound_once_of[id(fn)] = names_bound_once(fn)
        return found

    def _bind_value(self, name: str, value: ast.expr, before: Scope, scope: Scope) -> None:
        """What ``name = value`` makes ``name`` (read in ``before``, recorded in ``scope``)."""
        if reads_dialect_name(value) and name in self._bound_once(scope.function):
            scope.dialect_names = scope.dialect_names | {name}  # dialect = op.get_bind().dialect.name
            return
        scope.dialect_names = scope.dialect_names - {name}
        scope.app_tests = tuple(t for t in scope.app_tests if t[0] != name)
        if (helper := helper_called(value, self._app_imports[0])) is not None \
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

    # -- calls ------------------------------------------------------------------------------------

    def _calls(self, node: ast.AST, scope: Scope, out: list[Change], active: set[str]) -> None:
        """Every call in ``node`` that changes something, outermost first, in source order.

        A call that is handled (``op.add_column(...)``) is not searched further: ``sa.Column(...)``
        inside it is an argument, not a change of its own.
        """
        if isinstance(node, ast.Call) and self._call(node, scope, out, active):
            return
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr | ast.stmt | ast.keyword):
                self._calls(child, scope, out, active)

    def _call(self, call: ast.Call, scope: Scope, out: list[Change], active: set[str]) -> bool:
        func = call.func
        if isinstance(func, ast.Name) and (local := self._local_def(call, func.id, scope, out)) is not None:
            return local is False or self._helper_call(call, func.id, scope, out, active, local)
        if isinstance(func, ast.Name) and func.id in self.functions and func.id not in active \
                and func.id not in scope.callees:
            return self._helper_call(call, func.id, scope, out, active)
        if isinstance(func, ast.Name) and func.id in self.op_functions and func.id not in scope.callees:
            return self._op_call(self.op_functions[func.id], call, None, scope, out)
        if dynamic_call(self, call, scope, out, active):
            return True  # globals().get("helper")(), fn = globals()[name]; fn(), exec(...): dynamic.py
        if not isinstance(func, ast.Attribute):
            return False
        attr = func.attr
        if self._is_op(func.value):
            return self._op_call(attr, call, None, scope, out)
        if isinstance(func.value, ast.Name) and func.value.id in scope.batch:
            start = len(out)
            handled = self._op_call(attr, call, scope.batch[func.value.id][0], scope, out,
                                    batch_schema=scope.batch[func.value.id][1])
            if func.value.id in scope.rebuilt_batches:
                for change in out[start:]:
                    change.batch_rebuilt = True
            return handled
        if attr in {"execute", "exec_driver_sql"} and (
            self._is_bind(func.value, scope) or _root_name(func.value) in scope.sessions
        ):
            self._execute(call, scope, out, via_bind=True)
            return True
        root = _root_name(func.value)
        if root in scope.sessions and attr in SESSION_WRITES:
            action, has_where = orm_bulk_write(call)
            out.append(DataChange(action=action, has_where=has_where, line=call.lineno,
                                  **self._common(scope)))
            return True
        if attr in {"create", "create_all"} and self._table_create(call, scope, out):
            return True
        return enum_type_call(self, call, scope, out)

    def _table_create(self, call: ast.Call, scope: Scope, out: list[Change]) -> bool:
        """``t.create(bind, checkfirst=...)`` on a ``sa.Table("t", metadata, ...)`` (held-out-18 #9: tracecat builds
        a table with SQLAlchemy Core in the revision, then adds its foreign key), and ``metadata.create_all(bind,
        tables=[t, ...])`` (or every such table of that metadata without ``tables=``): read as the
        ``op.create_table`` each one is, ``if_not_exists`` as ``checkfirst`` says (``create_all`` checks first by
        default, ``create`` does not)."""
        assert isinstance(call.func, ast.Attribute)
        owner, attr = call.func.value, call.func.attr
        checkfirst = next((k.value for k in call.keywords if k.arg == "checkfirst"), None)
        first = checkfirst.value is True if isinstance(checkfirst, ast.Constant) else \
            (attr == "create_all" if checkfirst is None else False)
        if attr == "create":
            made = owner if isinstance(owner, ast.Call) and _creatable_table(owner) else \
                scope.table_defs.get(owner.id) if isinstance(owner, ast.Name) else None
            tables = [made] if made is not None else []
        else:
            listed = next((k.value for k in call.keywords if k.arg == "tables"), None)
            if isinstance(listed, ast.List | ast.Tuple):
                found = [scope.table_defs.get(e.id) if isinstance(e, ast.Name) else None for e in listed.elts]
                tables = [t for t in found if t is not None]
                if not tables or len(tables) != len(found):
                    return False  # a table migcheck did not see built: leave the call unread, as before
            elif listed is None and isinstance(owner, ast.Name):
                tables = [t for t in scope.table_defs.values()
                          if isinstance(t.args[1], ast.Name) and t.args[1].id == owner.id]
            else:
                tables = []
        if not tables:
            return False
        for table in tables:
            keywords = [k for k in table.keywords if k.arg == "schema"]
            keywords.append(ast.keyword(arg="if_not_exists", value=ast.Constant(first)))
            made_call = ast.Call(func=ast.Attribute(value=ast.Name(id="op", ctx=ast.Load()), attr="create_table",
                                                    ctx=ast.Load()), args=[table.args[0], *table.args[2:]],
                                 keywords=keywords)
            self._op_call("create_table", ast.copy_location(made_call, call), None, scope, out)
        return True

    def _helper_call(self, call: ast.Call, name: str, scope: Scope, out: list[Change], active: set[str],
                     fn: ast.FunctionDef | ast.AsyncFunctionDef | None = None) -> bool:
        """A call of the module's function ``name`` (or of ``fn``, a function defined inside the one walked, that
        ``name`` holds): inlined, within MAX_DEPTH and the unroll budget (a call of a function being walked already,
        recursion, adds nothing to read). True: the call is handled."""
        fn = fn or self.functions[name]
        if fn.name not in active and self._within_depth(call, name, scope, out) \
                and self._unroll(call, f"this call of {name}()", scope, out):
            self._inline(call, fn, scope, out, active)
        return True

    def _local_def(self, call: ast.Call, name: str, scope: Scope,
                   out: list[Change]) -> ast.FunctionDef | ast.AsyncFunctionDef | Literal[False] | None:
        """The function defined inside the one walked that a call of ``name`` runs (localdefs.py); False when the
        function defines ``name`` but which def is in effect here is not known (the call is reported as an unread
        step); None when ``name`` is no such function."""
        if name in scope.local_defs:
            return scope.local_defs[name]
        if name in scope.callees:
            return None
        defs = self._defs_in(scope.function)
        if name not in defs:
            return None
        found = defs[name]
        if found is None:
            unread(self, call, scope, out, f"`{name}` is defined in this function more than once (or also bound to "
                                           f"something else), and which definition runs here is known only at run time")
            return False
        return found

    @functools.cached_property
    def module_names(self) -> ModuleNames:
        """The names this revision binds to ``sys``, ``sys.modules`` and ``import_module`` (dynamic.py)."""
        return ModuleNames(self.tree)

    def _enum_argument(self, arg: ast.expr, scope: Scope) -> ast.Call | None:
        """The ``sa.Enum(..., name="x")`` call an argument is: written inline, a local type, or a module-level
        name bound once to it (held-out-7 #37: tracim's replace_enum helper gets both enums as arguments)."""
        if isinstance(arg, ast.Name):
            if isinstance(local := scope.types.get(arg.id), ast.Call):
                arg = local
            elif arg.id not in scope.env and arg.id not in self._rebound():
                arg = next((stmt.value for stmt in self.tree.body if isinstance(stmt, ast.Assign)
                            and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)
                            and stmt.targets[0].id == arg.id and isinstance(stmt.value, ast.Call)), arg)
        if isinstance(arg, ast.Call) and _call_name(arg) in {"Enum", "ENUM"}:
            return arg
        return None

    def _inline(self, call: ast.Call, fn: ast.FunctionDef | ast.AsyncFunctionDef, scope: Scope,
                out: list[Change], active: set[str]) -> None:
        # the helper sees its parameters, not the caller's names: rows handed in are held by the parameter
        inner = scope.child(depth=scope.depth + 1, dialect_names=frozenset(), deployment_names=self.deployment_names,
                            function=fn, row_tables={})
        if self.functions.get(fn.name) is fn:
            inner.local_defs = {}  # a module-level helper does not see the defs inside its caller
        params = [a.arg for a in (*fn.args.posonlyargs, *fn.args.args)]
        for name, arg in [*zip(params, call.args, strict=False), *((k.arg, k.value) for k in call.keywords if k.arg)]:
            self._bind_batch(name, arg, scope, inner)
        for name, arg in zip(params, call.args, strict=False):
            _hold_rows(inner, [name], self._rows_read(arg, scope))
            inner.env.pop(name, None)
            literal = self._literal(arg, scope)
            if literal is not None:
                inner.env[name] = literal
            if isinstance(arg, ast.Name) and arg.id in scope.binds:
                inner.binds.add(name)
            if isinstance(arg, ast.Name) and arg.id in scope.sessions:
                inner.sessions.add(name)
            inner.types.pop(name, None)
            if (enum := self._enum_argument(arg, scope)) is not None:
                inner.types[name] = enum  # replace_enum(t, c, old_enum, new_enum): to_enum.create() in the helper
            inner.sequences.pop(name, None)
            inner.enums.pop(name, None)
            if isinstance(arg, ast.Name) and (enum := scope.enums.get(arg.id) or self.module_enum(arg.id)) is not None:
                inner.enums[name] = enum  # replace_enum(..., old_enum): from_enum.name is the type's name
            if (sequence := self._sequence_name(arg, scope)) is not None:
                inner.sequences[name] = sequence  # create_seq(seq): CreateSequence(seq) in the helper
        for kw in call.keywords:
            if kw.arg and (literal := self._literal(kw.value, scope)) is not None:
                inner.env[kw.arg] = literal
        self._walk(fn.body, inner, out, active | {fn.name})


    @staticmethod
    def _bind_batch(param: str, arg: ast.expr, scope: Scope, inner: Scope) -> None:
        """A helper's parameter handed the caller's batch (``drop_clinician(batch_op)``) is that batch; any other
        argument takes a caller's batch of the same name away from the parameter."""
        if isinstance(arg, ast.Name) and arg.id in scope.batch:
            inner.batch[param] = scope.batch[arg.id]
            inner.rebuilt_batches = inner.rebuilt_batches | {param} if arg.id in scope.rebuilt_batches \
                else inner.rebuilt_batches - {param}
        else:
            inner.batch.pop(param, None)
            inner.rebuilt_batches = inner.rebuilt_batches - {param}


def own_nodes(stmt: ast.stmt) -> int:
    """The syntax nodes of ``stmt`` outside the statements nested in it (each counted when it is walked)."""
    count, todo = 0, list[ast.AST]([stmt])
    while todo:
        node = todo.pop()
        count += 1
        todo.extend(child for child in ast.iter_child_nodes(node) if not isinstance(child, ast.stmt))
    return count


def is_trivial(body: list[ast.stmt]) -> bool:
    """Only ``pass``, ``...``, docstrings, comments or ``raise NotImplementedError``."""
    for stmt in body:
        if isinstance(stmt, ast.Pass):
            continue
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue
        if isinstance(stmt, ast.Raise) and stmt.exc is not None:
            exc = stmt.exc.func if isinstance(stmt.exc, ast.Call) else stmt.exc
            if isinstance(exc, ast.Name) and exc.id in {"NotImplementedError", "Exception", "RuntimeError"}:
                continue
        return False
    return True


#: Methods that put their arguments into the container they are called on.
_FILLS = frozenset({"append", "extend", "insert", "update", "add", "setdefault", "appendleft"})


def _hold_rows(scope: Scope, names: list[str], tables: frozenset[str], *, keep: bool = False) -> None:
    """``names`` now hold rows of ``tables`` (Scope.row_tables); with ``keep``, besides what they held."""
    if not tables:
        return
    for name in names:
        scope.row_tables[name] = scope.row_tables.get(name, frozenset()) | tables if keep else tables


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
    return frozenset(node.id if isinstance(node, ast.Name) else node.name for node in ast.walk(stmt)
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
