"""The walker: ``upgrade()`` / ``downgrade()`` statement by statement, to Change IR.

``PythonExtractor`` joins the parts (``op.*`` calls, columns, SQL strings, data access, evaluation)
and walks a body the way real revisions are written: ``with op.batch_alter_table(...) as batch_op``,
``autocommit_block()``, local names bound to constants, tables, connections, sessions, statements and
SQL text, loops over literal lists, helper functions of the same module (inlined), dialect checks
(only the branch the target dialect takes), and calls into imported code. Each call that changes
something is handed to the part that knows it.

The walker is built in layers, each a module: ``bindings`` (local names), ``calls`` (calls, inlined
helpers, the budgets), ``blocks`` (loops, ``with`` items), and here the statements themselves.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from functools import cached_property, partial
from typing import TypeGuard

from migcheck.extract.limits import capped
from migcheck.extract.python.appguards import app_guard, mark_guarded
from migcheck.extract.python.bindings import _hold_rows, _stored_in, _stored_names, _written_into, per_function
from migcheck.extract.python.blocks import Blocks, rebuilt_on_sqlite
from migcheck.extract.python.catalog import label_checked, label_missing_branch
from migcheck.extract.python.constants import (
    module_text_constants,
    mutable_constants,
)
from migcheck.extract.python.data import (
    _module_tables,
)
from migcheck.extract.python.deployment import mentions_deployment
from migcheck.extract.python.dialecttests import skipped_on
from migcheck.extract.python.exits import (
    Exits,
    ProcessExits,
    context_names,
    contextlib_suppress,
    ends_process,
    offline_test,
    process_exits,
    suppress_handler,
    suppress_names,
    suppresses,
)
from migcheck.extract.python.guards import absent_when, mark, returned_test, with_listed_names
from migcheck.extract.python.imports import (
    _catches_value_errors_only,
    _sounds_like_ddl,
    application_imports,
    calls_imported_code,
    imported_names,
    swallows_database_errors,
    swallows_not_implemented,
    swallows_operational_error,
)
from migcheck.extract.python.isolation import isolation_switch, online_branch
from migcheck.extract.python.multidb import dispatched
from migcheck.extract.python.nodes import WALRUS, append_only_lists, binding_counts, rebound_in
from migcheck.extract.python.ops import _op_aliases, op_functions
from migcheck.extract.python.refuses import bare_unbound_name, refuses
from migcheck.extract.python.scope import Scope
from migcheck.vocabulary.changes import Change
from migcheck.vocabulary.revision import Body


class PythonExtractor(Blocks):
    """Extracts the bodies of one parsed revision module."""

    def __init__(self, tree: ast.Module, consts: dict[str, object], dialect: str, source: str | None = None) -> None:
        """``source``: the text ``tree`` was parsed from, when it was (not a rewritten Python 2 tree): a module
        whose text has no ``:=`` has no walrus, so most revisions skip the walk that counts its bindings."""
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
        #: While an imported helper is walked (imported.py): the lines of statements it runs on a receiver that is
        #: not known to be the database (``session = session or get_session(); session.execute(...)``).
        self.unplaced_runs: list[int] | None = None
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
        #: The names ``:=`` binds in each statement walked (by id), when the module has any walrus at all.
        self._walrus_of: dict[int, frozenset[str]] = {}
        self._has_walrus = (source is None or ":=" in source) and WALRUS in binding_counts(tree)  # counted once per tree
        #: Whether a call of a bare name may end the process (``from sys import exit``, the builtin ``quit()``): the
        #: text says ``exit`` or ``quit``.
        self._may_exit = source is None or "exit" in source or "quit" in source
        #: The swallowing ``try`` blocks walked so far (Change.guarded numbers them).
        self._tries = 0
        #: localdefs.nested_defs per function walked (by id).
        self._nested_defs: dict[int, dict[str, ast.FunctionDef | ast.AsyncFunctionDef | None]] = {}
        #: The early exits reached so far (exits.py): a statement after one, in the same body, may not run.
        self._exits = Exits()

    @cached_property
    def _suppress_names(self) -> frozenset[str]:
        """exits.suppress_names, asked only of a ``with`` on a bare name (``with quiet:``, ``with quiet(E):``): a
        walk of every node, which most revisions (``with op.batch_alter_table(...)``) never need."""
        return suppress_names(self.tree)

    @cached_property
    def _contextlib_suppress(self) -> frozenset[str]:
        """exits.contextlib_suppress, asked only of a ``with`` that suppresses."""
        return contextlib_suppress(self.tree)

    @cached_property
    def _process_exits(self) -> ProcessExits:
        """exits.process_exits, asked only of a statement shaped as a process exit (``<name>.exit(...)``)."""
        return process_exits(self.tree)

    @cached_property
    def _context_names(self) -> frozenset[str]:
        """exits.context_names, asked only of an ``if context.is_offline_mode()``: it counts the module's bindings."""
        return context_names(self.tree)

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
        "postgresql": return`` skips the rest of the body on PostgreSQL. The statements after an exit that may be
        taken (``if flag: return``) may not run (exits.py): marked so in ``scope`` until the walk of ``stmts`` ends."""
        saved = scope.conditional, scope.blocks
        try:
            return self._statements(stmts, scope, out, active)
        finally:
            scope.conditional, scope.blocks = saved

    def _loop_else(self, stmt: ast.For | ast.AsyncFor | ast.While, scope: Scope, out: list[Change],
                   active: set[str]) -> None:
        """A loop's ``else``: it runs when the loop ends without a ``break``, so it may not run when the body has
        one. It was not read at all (attack27a: ``while flag: ... else: op.drop_column(...)`` was silent)."""
        if stmt.orelse:
            broken = any(isinstance(node, ast.Break) for part in stmt.body for node in ast.walk(part))
            self._walk(stmt.orelse, scope.child(conditional=True) if broken else scope, out, active)

    def _statements(self, stmts: list[ast.stmt], scope: Scope, out: list[Change], active: set[str]) -> bool:
        """_walk's statements, one by one. The marks an early exit's guard puts on the steps after it are put when
        the body's walk ends (innermost first), not by walking the rest of the body again one level deeper: a flat
        body of a thousand ``if flag: return`` was a thousand nested walks, "nested too deeply" (attack27a)."""
        pending: list[tuple[int, Callable[[list[Change]], None]]] = []
        try:
            return self._statements_marked(stmts, scope, out, active, pending)
        finally:
            for start, marker in reversed(pending):
                marker(out[start:])

    def _statements_marked(self, stmts: list[ast.stmt], scope: Scope, out: list[Change], active: set[str],
                           pending: list[tuple[int, Callable[[list[Change]], None]]]) -> bool:
        """_statements' loop; ``pending`` gets the guards' marks for the steps from an index of ``out`` on."""
        exits = self._exits
        seen: int | None = exits.count()
        for index, stmt in enumerate(stmts):
            if seen is not None and exits.count() != seen:
                scope.may_not_run()  # an earlier statement of this body may have left it: `if flag: return`
                seen = None
            self._charge(stmt, scope, out)
            if self._has_walrus:
                self._forget_walrus(stmt, scope)
            if isinstance(stmt, ast.Raise | ast.Expr) \
                    and ends_process(stmt, lambda: self._process_exits, self._may_exit):
                self._calls(stmt, scope, out, active)
                exits.ends += 1  # sys.exit(0): nothing after it runs, here or in a caller
                exits.thrown += 1
                return True
            if isinstance(stmt, ast.Return | ast.Raise):
                self._calls(stmt, scope, out, active)
                exits.reached(stmt)
                return True
            if isinstance(stmt, ast.Assert):
                if self._assert_fails(stmt, scope, out, active):
                    return True
                continue
            if isinstance(stmt, ast.Continue | ast.Break):
                exits.reached(stmt)  # what follows in the loop's body may not run this pass
            elif isinstance(stmt, ast.With | ast.AsyncWith):
                quiet = any(suppresses(item.context_expr, lambda: self._suppress_names) for item in stmt.items)
                inner = scope.child(conditional=True) if quiet else scope.child()
                for item in stmt.items:
                    self._with_item(item, inner, out, active)
                raises, thrown, start = exits.raises, exits.thrown, len(out)
                exits.catching += quiet
                ends = self._walk(stmt.body, inner, out, active)
                exits.catching -= quiet
                if quiet:
                    handlers = [h for item in stmt.items
                                if (h := suppress_handler(item.context_expr, self._contextlib_suppress)) is not None]
                    self._caught(handlers, out[start:])
                for item in stmt.items:
                    if isinstance(item.optional_vars, ast.Name) and item.optional_vars.id in inner.batch_steps \
                            and not rebound_in(stmt.body, item.optional_vars.id):  # `b = other`: not this batch's
                        rebuilt_on_sqlite(inner.batch_steps[item.optional_vars.id])
                self._forget_types(stmt, scope)
                if quiet:
                    exits.raises = raises  # suppress(...) swallows it: the statements after the block run
                elif ends and exits.thrown == thrown:
                    return True  # a return: no __exit__ keeps the statements after the block from being skipped
                elif ends:
                    exits.raises += 1  # any __exit__ may swallow what ended the block, as a `try` catches it
            elif isinstance(stmt, ast.If):
                verdict = self._static_test(stmt.test, scope)
                if verdict is None:
                    self._calls(stmt.test, scope, out, active)
                    body, orelse = scope.child(conditional=True), scope.child(conditional=True)
                    if missing := label_missing_branch(stmt.test, scope.enum_label_rows):
                        chosen = body if missing[1] else orelse
                        chosen.absent_enum_labels = (*chosen.absent_enum_labels, missing[0])
                    guard = app_guard(stmt.test, lambda: self._app_imports[0], dict(scope.app_tests))
                    never, at_if = _exit_forgiven(self, stmt.test), exits.count()
                    ended = []
                    listed_test = with_listed_names(stmt.test, scope.function,
                                                    lambda: self._bound_once(scope.function)) \
                        if isinstance(stmt.test, ast.Compare | ast.BoolOp | ast.UnaryOp) else stmt.test
                    for branch, branch_scope, truth in ((stmt.body, body, True), (stmt.orelse, orelse, False)):
                        start = len(out)
                        counted = exits.saved()
                        ended.append(self._walk(branch, branch_scope, out, active))
                        if never is truth:  # `if context.is_offline_mode(): return`, `if False: return`
                            exits.restore(counted)
                        mark(out[start:], absent_when(listed_test, truth, lambda node: self._str(node, scope),
                                                      lambda call: returned_test(call, self.functions)))
                        if guard is not None:
                            mark_guarded(out[start:], (*guard[:4], guard[4] == truth))
                    self._forget_types(stmt, scope)
                    if (online := online_branch(self, stmt.test)) is not None:
                        # if not op.get_context().as_sql: conn.execution_options(...): the online branch's level
                        scope.isolation_switch = (body if online else orelse).isolation_switch
                    if guard is not None and ended[0] != ended[1]:
                        # `if not is_postgresql(bind): return`: what follows runs only where the other branch is
                        # taken (its truth); walked as before, only marked
                        pending.append((len(out), partial(mark_guarded, guard=(*guard[:4], guard[4] == ended[1]))))
                        seen = exits.count() if seen is not None else None  # as before mayrun27: not marked
                        continue
                    if ended[0] != ended[1] and exits.count() != at_if and index + 1 < len(stmts):
                        # `if column_exists("t", "c"): return`: what follows may not run, and runs only where the
                        # other branch is taken, as its body would (unless_exists: guards.absent_when)
                        if seen is not None:
                            scope.may_not_run()  # one block for all that follows (the steps after each later
                            seen = None  # exit run only when those before it did: rules/emptied.py runs_with)
                        absent = absent_when(listed_test, ended[1], lambda node: self._str(node, scope),
                                             lambda call: returned_test(call, self.functions))
                        pending.append((len(out), partial(mark, absent=absent)))
                        continue
                elif mentions_deployment(stmt.test, scope.deployment_names):
                    # the branch production takes: it runs where the deployment is named as the test expects
                    ends = self._walk(stmt.body if verdict else stmt.orelse, scope.child(conditional=True), out, active)
                    counted = exits.saved()
                    self._off_production(stmt, verdict, stmts[index + 1:] if ends else [], scope, out, active)
                    # `if environment != "production": return`: production runs what follows, as before mayrun27
                    exits.restore(counted)
                    if ends:
                        return True
                    self._forget_types(stmt, scope)
                elif self._walk(stmt.body if verdict else stmt.orelse, scope, out, active):
                    return True
            elif isinstance(stmt, ast.For | ast.AsyncFor):
                skips = exits.skips
                self._loop(stmt, scope, out, active)
                exits.skips = skips  # a `continue` or `break` leaves a pass, not what follows the loop
                self._loop_else(stmt, scope, out, active)
                self._forget_types(stmt, scope)
            elif isinstance(stmt, ast.While):
                start, skips = len(out), exits.skips
                self._walk(stmt.body, scope.child(conditional=True, loop_appended=self._appended(stmt, scope)), out,
                           active)
                exits.skips = skips
                for change in out[start:]:
                    if change.loop is None:
                        change.loop = stmt.lineno  # as many passes as the test allows (review18)
                self._loop_else(stmt, scope, out, active)
                self._forget_types(stmt, scope)
            elif isinstance(stmt, ast.Try) or _try_star(stmt):
                checks = bool(stmt.handlers) and all(_catches_value_errors_only(h) for h in stmt.handlers)
                start, raises, catching = len(out), exits.raises, int(bool(stmt.handlers))
                exits.catching += catching
                self._walk(stmt.body, scope.child(value_check=True) if checks else scope, out, active)
                exits.catching -= catching
                if catching:
                    exits.raises = raises  # a handler may catch it: the statements after the `try` run
                self._caught(stmt.handlers, out[start:])
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
                if isinstance(value, ast.Call):
                    self._fill(value, scope)  # ids = by_name.setdefault(row.name, []): by_name holds the rows too
                for target in targets:
                    if not isinstance(target, ast.Name):
                        for name in _stored_names(target):
                            self._forget_name(name, scope)  # u, _ = row: u no longer holds what it held
                        _hold_rows(scope, _stored_names(target), rows)
                        _hold_rows(scope, _written_into(target), rows, keep=True)  # data[row.key] = row.value
                        if (parts := self.split_choices(target, value, scope)) is not None:
                            scope.choices.update(parts)  # table, column = key.split("."): constants, key one
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
            elif isinstance(stmt, ast.Match):
                self._calls(stmt.subject, scope, out, active)
                for case in stmt.cases:  # each case may not be the one taken
                    taken = scope.child(conditional=True)
                    if case.guard is not None:
                        self._calls(case.guard, taken, out, active)  # `case 1 if op.drop_column(...)` (attack27a)
                    self._walk(case.body, taken, out, active)
                self._forget_types(stmt, scope)
            elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Name):
                if bare_unbound_name(stmt, self._bound_anywhere):
                    return True  # `fail`: NameError here, like a raise (refuses.py)
            elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) \
                    and (switch := isolation_switch(self, stmt.value, scope)) is not None:
                scope.isolation_switch = stmt.lineno if switch else None  # conn.execution_options(AUTOCOMMIT)
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

    def _assert_fails(self, stmt: ast.Assert, scope: Scope, out: list[Change], active: set[str]) -> bool:
        """``assert <test>``, read as ``if not <test>: raise AssertionError`` (exits.py): True when the test is false
        on the target (``assert False``; ``assert bind.dialect.name == "postgresql"`` on SQLite), so nothing after
        it runs there. An undecided test may fail where a ``try`` around it catches that: what follows may not run."""
        test = stmt.test
        if isinstance(test, ast.Constant):
            verdict: bool | None = bool(test.value)
        elif mentions_deployment(test, scope.deployment_names):
            verdict = None  # production's answer is not staging's: both go on, as before
        else:
            verdict = self._static_test(test, scope)
        if verdict is None and stmt.msg is not None:
            # the message is evaluated only when the test fails: `test or msg`, its steps may not run
            either = ast.copy_location(ast.BoolOp(op=ast.Or(), values=[test, stmt.msg]), stmt)
            self._calls(either, scope, out, active)
        else:  # a failed test's message is evaluated too: `assert False, op.drop_table("t")` drops (attack28a)
            for part in (test, stmt.msg) if verdict is False and stmt.msg is not None else (test,):
                self._calls(part, scope, out, active)
        if verdict is not True:
            self._exits.reached(stmt)
        return verdict is False

    def _forget_walrus(self, stmt: ast.stmt, scope: Scope) -> None:
        """``(sql := "CREATE INDEX ...")`` binds ``sql`` as an assignment does: what it held is no longer known
        (attack24b: ``sql = "SELECT 1"`` then a walrus, and op.execute(sql) was read as the SELECT)."""
        bound = self._walrus_of.get(id(stmt))
        if bound is None:
            bound = self._walrus_of[id(stmt)] = frozenset(
                node.target.id for node in ast.walk(stmt)
                if isinstance(node, ast.NamedExpr) and isinstance(node.target, ast.Name))
        for name in bound:
            self._forget_name(name, scope)

    def _forget_types(self, stmt: ast.AST, scope: Scope) -> None:
        """A name given a type in a block walked in a child scope (``if flag: t = sa.Integer()`` under a test
        not decided statically, a loop, a handler, a ``with``) may hold that type afterwards: the type it held
        before is no longer known (``Scope.types``), so ``type_=t`` is not read as the earlier one. The same holds
        for a local list of literals (``Scope.literal_lists``) and a choice of constant texts (``Scope.choices``,
        review15: ``default = "NULL" if n else "0"`` then ``if custom: default = custom``) bound again there. The
        names a block stores to are found once per block (a helper called again walks it again: WORK_BUDGET counts
        its own nodes, not the blocks inside it)."""
        if not scope.types and not scope.literal_lists and not scope.choices and not scope.list_choices \
                and not scope.members \
                and not scope.local_defs and not scope.env and not scope.dynamic_sql and not scope.core \
                and not scope.constant_texts:
            return
        stored = self._stored_of.get(id(stmt))
        if stored is None:
            stored = self._stored_of[id(stmt)] = _stored_in(stmt)
        for name in stored:
            scope.types.pop(name, None)
            scope.literal_lists.pop(name, None)
            scope.choices.pop(name, None)
            scope.list_choices.pop(name, None)
            scope.members.pop(name, None)
            scope.local_defs.pop(name, None)  # `if flag: def drop(): ...`: which def runs after it is not known
            # `sql = "SELECT 1"; if flag(): sql = "CREATE INDEX ..."`: op.execute(sql) is not the SELECT (attack24b)
            scope.env.pop(name, None)
            scope.dynamic_sql.pop(name, None)
            scope.core.pop(name, None)
            scope.core_exprs.pop(name, None)
        if scope.constant_texts & stored:
            scope.constant_texts = scope.constant_texts - stored

    def _caught(self, handlers: list[ast.ExceptHandler], changes: list[Change]) -> None:
        """Mark the steps of a ``try`` body (or a ``contextlib.suppress`` block, as its ``except`` clause) whose
        failure a handler swallows: a database error (``guarded``) or Alembic's NotImplementedError."""
        if any(swallows_database_errors(h) for h in handlers):
            self._tries += 1  # one per pass: a loop's passes are separate tries
            for change in changes:
                change.guarded = (self._tries, *change.guarded)
        if any(swallows_not_implemented(h) for h in handlers):
            for change in changes:
                change.not_implemented_caught = True
        if any(swallows_operational_error(h) for h in handlers):
            for change in changes:
                change.operational_caught = True

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
        return per_function(self._append_only_of, fn, append_only_lists)


def _try_star(stmt: ast.stmt) -> TypeGuard[ast.Try]:
    """``try: ... except* E:`` (Python 3.11), walked as a ``try`` (the same fields): its handlers were not read at
    all, nor its exits counted (attack27a)."""
    return type(stmt).__name__ == "TryStar"


def _exit_forgiven(ex: PythonExtractor, test: ast.expr) -> bool | None:
    """The branch of ``if <test>:`` (True: its body) whose exits leave nothing unrun on a database migrated online:
    offline mode's (``context.is_offline_mode()``, ``op.get_context().as_sql``: online, every database runs what
    follows), or the one a constant test never takes (``if False: return``); None for any other test."""
    if (offline := offline_test(test, lambda: ex._context_names)) is not None:
        return offline
    if (online := online_branch(ex, test)) is not None:
        return not online
    if isinstance(test, ast.Constant):
        return not test.value
    return None


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
