"""The walker's calls: each call handed to the part that knows it, same-module helpers and local defs
inlined, imported code reported, and the budgets that bound the unrolling (extract/limits.py).
"""

from __future__ import annotations

import ast
from typing import Literal

from migcheck.extract.limits import COPIES_PER_NODE, MAX_DEPTH, MAX_STEPS, UNROLL_BUDGET, WORK_BUDGET
from migcheck.extract.python.bindings import _FILLS, Bindings, _creatable_table, _hold_rows, own_nodes
from migcheck.extract.python.columns import enum_type_call
from migcheck.extract.python.data import (
    SESSION_WRITES,
    _core_statement,
    extend_statement,
    orm_bulk_write,
)
from migcheck.extract.python.dynamic import dynamic_call
from migcheck.extract.python.exits import Exits
from migcheck.extract.python.imports import (
    MARKS_CHANGED,
    TERMINAL_IO,
    _is_logging,
    builds_exception,
    ends_session,
    imported_function,
    on_idle_session,
)
from migcheck.extract.python.multidb import unread
from migcheck.extract.python.nodes import (
    _call_name,
    _root_name,
    _short,
    rebound_in,
    unparse,
)
from migcheck.extract.python.repeatable import repeatable_delete
from migcheck.extract.python.scope import Scope
from migcheck.vocabulary.changes import LIMIT_KEYWORD, Change, DataChange, RawSQL

#: Calls that run statements when their receiver is a connection or a session (imported.py keeps a helper's note
#: when the walker cannot tell what the receiver is).
_UNPLACED_RUNS = frozenset({"execute", "exec_driver_sql", "executemany", "bulk_save_objects", "bulk_insert_mappings",
                            "bulk_update_mappings"})


class Calls(Bindings):
    """Calls and the unrolling budgets; the second layer of ``walk.PythonExtractor``."""

    imported: dict[str, str]
    op_functions: dict[str, str]
    _unrolled: int | None
    _work: int
    _walked: set[int]
    _cost_of: dict[int, int]
    _exits: Exits
    unplaced_runs: list[int] | None

    def _walk(self, stmts: list[ast.stmt], scope: Scope, out: list[Change], active: set[str]) -> bool:
        raise NotImplementedError  # the statement walker: walk.PythonExtractor._walk

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
        if called is not None and ".".join(called) in TERMINAL_IO and not self._reaches_code(call, scope):
            return  # click.confirm("drop them?", abort=True): the terminal, no SQL (held-out-25 #113)
        if ends_session(call):
            return  # db.session.close(): the session ends, no statement of its own (held-out-25 #112)
        if on_idle_session(call) and root in self.idle_sessions:
            return  # db.session.flush() of a session the revision never fills: nothing to write (held-out-28 #95)
        if isinstance(call.func, ast.Attribute) and call.func.attr in {"format", "format_map"} \
                and isinstance(made := call.func.value, ast.Call) and _class_name(made.func) \
                and not self._hands_database(call, scope) and not self._hands_database(made, scope):
            # Formatter().format(QUERY, ...) left unused (held-out-26 #116): a string built, no statement run; not
            # the .format of an object the application holds (runner.format(...) may run anything: attack26e)
            return
        if builds_exception(call):
            return  # PackitException(...) built and never raised (held-out-8 #115): an object, no statement
        if scope.value_check and (call.args or call.keywords) and not self._hands_database(call, scope):
            # try: Locale.parse(code) except ValueError: -- a check of a value, no SQL reaches it; a call
            # with no argument checks no value (`try: upgrade_data() except KeyError:`): it runs for its effect
            return
        callee = unparse(call.func)
        origin = self.imported[root]
        if isinstance(call.func, ast.Name) and "." in origin.lstrip("."):
            origin = origin.rsplit(".", 1)[0]  # `from app.db import helper; helper()`: the module is app.db
        out.append(RawSQL(
            text=unparse(call), keyword="", understood=False, line=call.lineno,
            reason=f"`{_short(callee, 50)}()` comes from `{origin}`, and migcheck does not read imported code",
            called=called, handed=None if called is None else self._handed(call, scope), **self._common(scope),
        ))

    def _handed(self, call: ast.Call, scope: Scope) -> tuple[tuple[int | str, tuple[object, ...]], ...] | None:
        """What ``call`` hands the imported function, per argument (RawSQL.handed), read as ``_inline`` reads a
        same-module helper's: a literal, the connection, a session, the caller's batch; anything else unknown. None
        when an argument is ``*x`` or ``**x``: which parameter gets what is known only at run time."""
        if any(isinstance(arg, ast.Starred) for arg in call.args) or any(k.arg is None for k in call.keywords):
            return None
        keys: list[tuple[int | str, ast.expr]] = [*enumerate(call.args)]
        keys += [(k.arg, k.value) for k in call.keywords if k.arg]
        return tuple((key, self._argument(arg, scope)) for key, arg in keys)

    def _argument(self, arg: ast.expr, scope: Scope) -> tuple[object, ...]:
        if isinstance(arg, ast.Name) and arg.id in scope.batch:
            return ("batch", *scope.batch[arg.id])
        if (isinstance(arg, ast.Name) and arg.id in scope.binds) or (isinstance(arg, ast.Call) and self._is_bind(arg, scope)):
            return ("bind",)
        if isinstance(arg, ast.Name) and arg.id in scope.sessions:
            return ("session",)
        literal = self._literal(arg, scope)
        return ("unknown",) if literal is None else ("literal", literal)

    def _reaches_code(self, call: ast.Call, scope: Scope) -> bool:
        """Whether an argument of ``call`` calls imported code or hands it the database: the call would then hide
        that code's statements behind it (``click.echo(helpers.drop_all())``)."""
        for arg in [*call.args, *(k.value for k in call.keywords)]:
            for node in ast.walk(arg):
                if isinstance(node, ast.Call) and (root := _root_name(node.func)) is not None \
                        and root in self.imported and not _is_logging(root, self.imported[root]):
                    inner = imported_function(node.func, root, self.imported[root])
                    if inner is None or ".".join(inner) not in TERMINAL_IO:
                        return True  # click.echo(click.style(...)) is the terminal still
        return self._hands_database(call, scope)

    def _hands_database(self, call: ast.Call, scope: Scope) -> bool:
        """Whether an argument of ``call`` is a way to the database: ``op``, a connection, a session."""
        for arg in [*call.args, *(k.value for k in call.keywords)]:
            for node in ast.walk(arg):
                if isinstance(node, ast.Name) and (node.id in self.op_names or node.id in scope.sessions):
                    return True
                if isinstance(node, ast.expr) and self._is_bind(node, scope):
                    return True
        return False

    def _calls(self, node: ast.AST, scope: Scope, out: list[Change], active: set[str]) -> None:
        """Every call in ``node`` that changes something, outermost first, in source order.

        A call that is handled (``op.add_column(...)``) is not searched further: ``sa.Column(...)``
        inside it is an argument, not a change of its own.
        """
        if isinstance(node, ast.Call) and self._call(node, scope, out, active):
            return
        if isinstance(node, ast.BoolOp | ast.IfExp | ast.Lambda | _COMPREHENSIONS) \
                and self._maybe_calls(node, scope, out, active):
            return
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr | ast.stmt | ast.keyword):
                self._calls(child, scope, out, active)

    def _maybe_calls(self, node: ast.BoolOp | ast.IfExp | ast.Lambda | Comprehension, scope: Scope,
                     out: list[Change], active: set[str]) -> bool:
        """The calls of an expression part of which may not be evaluated (mayrun27): ``flag and op.f()``'s right
        operand, the branches of ``op.f() if flag else None`` (only the taken one when the test is decided here),
        a lambda's body (run only if and when it is called), a comprehension's parts but its first iterable
        (attack27a: ``[op.drop_table(t) for t in names]`` runs once per name, maybe none; a generator
        expression's only if it is consumed), unless it is a list, set or dict over a non-empty literal. False
        when no such part holds a call: walked as any expression, without a copy of the scope."""
        if isinstance(node, ast.Lambda):
            first, maybe = [], [node.body]
        elif isinstance(node, _COMPREHENSIONS):
            if _runs_each_once(node):
                return False  # [op.drop_table(t) for t in ("a", "b")]: each step runs, as a loop unrolled
            first = [node.generators[0].iter]  # evaluated at once, even by a generator expression
            parts = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
            maybe = [*parts, *node.generators[0].ifs, *(p for g in node.generators[1:] for p in (g.iter, *g.ifs))]
        elif isinstance(node, ast.BoolOp):
            first, maybe = node.values[:1], node.values[1:]
        else:
            verdict = self._static_test(node.test, scope)
            first = [node.test] if verdict is None else [node.test, node.body if verdict else node.orelse]
            maybe = [node.body, node.orelse] if verdict is None else []
        if len(first) < 2 and not any(isinstance(n, ast.Call) for part in maybe for n in ast.walk(part)):
            return False
        for part in first:
            self._calls(part, scope, out, active)
        for part in maybe:
            self._calls(part, scope.child(conditional=True), out, active)
        return True

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
            if (steps := scope.batch_steps.get(func.value.id)) is not None:
                steps.extend(out[start:])
            return handled
        if attr in {"execute", "exec_driver_sql"} and (
            self._is_bind(func.value, scope) or _root_name(func.value) in scope.sessions
        ):
            self._execute(call, scope, out, via_bind=True)
            return True
        if attr == "commit" and not call.args and not call.keywords and self._migration_connection(func.value, scope):
            # conn.commit() (SQLAlchemy 2): the migration's transaction ends here, as at op.execute("COMMIT"). A
            # Session's commit() is not one: bound to a connection already in a transaction, it leaves it open
            out.append(RawSQL(text="COMMIT", keyword="COMMIT", method="commit", line=call.lineno,
                              **self._common(scope)))
            return True
        root = _root_name(func.value)
        if root in scope.sessions and attr in SESSION_WRITES:
            action, has_where = orm_bulk_write(call)
            out.append(DataChange(action=action, has_where=has_where, line=call.lineno,
                                  repeatable=action == "delete" and repeatable_delete(self, call, scope),
                                  **self._common(scope)))
            return True
        if attr in _UNPLACED_RUNS and self.unplaced_runs is not None:
            self.unplaced_runs.append(call.lineno)  # in an imported helper: its note stays (imported.py)
        if attr in {"create", "create_all"} and self._table_create(call, scope, out):
            return True
        return enum_type_call(self, call, scope, out)

    def _migration_connection(self, node: ast.expr, scope: Scope) -> bool:
        """The migration's own connection, for a ``commit()`` on it (attack29c): ``op.get_bind()``,
        ``op.get_context().bind`` / ``.connection``, or a name the function binds once, to one of those. A look-alike
        (``mylib.get_bind()``, ``Session(engine).get_bind()``, a transaction from ``begin()``) or a name rebound
        (``if ...: conn = engine.connect()``) may hold another connection, whose commit ends nothing here."""
        if isinstance(node, ast.Name):
            return node.id in scope.binds and node.id in self._bound_once(scope.function)
        if isinstance(node, ast.Attribute) and node.attr in {"bind", "connection"}:
            node = node.value
            method = "get_context"
        else:
            method = "get_bind"
        return isinstance(node, ast.Call) and not node.args and not node.keywords \
            and isinstance(node.func, ast.Attribute) and node.func.attr == method and self._is_op(node.func.value)

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
        inner = scope.child(depth=scope.depth + 1, dialect_names=frozenset(), lookups={},
                            deployment_names=self.deployment_names,
                            function=fn, row_tables={}, row_columns={})
        if self.functions.get(fn.name) is fn:
            inner.local_defs = {}  # a module-level helper does not see the defs inside its caller
        params = [a.arg for a in (*fn.args.posonlyargs, *fn.args.args)]
        for param in (*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs, fn.args.vararg, fn.args.kwarg):
            if param is not None:
                # a parameter is not the caller's name of the same spelling: what that held (a choice of constants,
                # a fetched value, a literal list...) is not what the helper was handed
                self._forget_name(param.arg, inner)
        positional = _by_position(params, call.args)
        unplaced = params[len(positional):] if any(isinstance(arg, ast.Starred) for arg in call.args) else []
        inner.forged_params = frozenset(  # helper(fake) (attack24): a dialect test of the parameter decides nothing
            name for name, arg in [*positional, *((k.arg, k.value) for k in call.keywords)]
            if name and (not self.forgeries.handed(arg)
                         or (isinstance(arg, ast.Name) and arg.id in scope.forged_params))) | frozenset(unplaced)
        for name in unplaced:
            self._forget_name(name, inner)  # run(*rows, by_id): which argument each of these gets is not known
        for name, arg in [*positional, *((k.arg, k.value) for k in call.keywords if k.arg)]:
            self._bind_batch(name, arg, scope, inner, rebound_in(fn.body, name))
        for name, arg in positional:
            _hold_rows(inner, [name], self._rows_read(arg, scope))
            inner.env.pop(name, None)
            literal = self._literal(arg, scope)
            if literal is not None:
                inner.env[name] = literal
            if (isinstance(arg, ast.Name) and arg.id in scope.binds) or (isinstance(arg, ast.Call) and self._is_bind(arg, scope)):
                inner.binds.add(name)  # helper(conn), and helper(op.get_bind()) itself
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
        for name, arg in [*positional, *((k.arg, k.value) for k in call.keywords if k.arg)]:
            self._bind_statement(name, arg, scope, inner)
        for kw in call.keywords:
            if kw.arg and (literal := self._literal(kw.value, scope)) is not None:
                inner.env[kw.arg] = literal
        for name, arg in [*positional, *((k.arg, k.value) for k in call.keywords if k.arg)]:
            if name not in inner.env and (texts := self.choices(arg, scope)) is not None:
                inner.choices[name] = texts  # helper(table), table one of a few constants: so is the parameter
        returns, skips = self._exits.returns, self._exits.skips
        self._walk(fn.body, inner, out, active | {fn.name})
        self._exits.returns, self._exits.skips = returns, skips  # its `return` ends the helper, not the caller
        for stmt in ast.walk(fn):
            if isinstance(stmt, ast.Nonlocal | ast.Global):
                for name in stmt.names:  # nonlocal flag; flag = True (attack24): the caller's name changed
                    self._forget_name(name, scope)

    def _bind_statement(self, param: str, arg: ast.expr, scope: Scope, inner: Scope) -> None:
        """A helper's parameter handed a Core statement (``read(by_id)``, ``by_id = sa.select(...)`` in the caller,
        or the statement written in the call) holds that statement: ``conn.execute(query)`` in the helper runs it
        (held-out-24 #116). Any other argument takes a caller's statement of the same name away from it."""
        inner.core.pop(param, None)
        inner.core_exprs.pop(param, None)
        if isinstance(arg, ast.Name):
            if arg.id in scope.core:
                inner.core[param] = scope.core[arg.id]
                if arg.id in scope.core_exprs:
                    inner.core_exprs[param] = scope.core_exprs[arg.id]
            return
        chained = extend_statement(arg, scope)
        if (statement := _core_statement(chained, self, scope)) is not None:
            inner.core[param] = statement
            inner.core_exprs[param] = chained

    @staticmethod
    def _bind_batch(param: str, arg: ast.expr, scope: Scope, inner: Scope, rebound: bool) -> None:
        """A helper's parameter handed the caller's batch (``drop_clinician(batch_op)``) is that batch; any other
        argument takes a caller's batch of the same name away from the parameter. A parameter the helper binds again
        (``rebound``) adds no step to the batch's steps (attack29a: the step may go to another batch)."""
        if isinstance(arg, ast.Name) and arg.id in scope.batch:
            inner.batch[param] = scope.batch[arg.id]
            inner.rebuilt_batches = inner.rebuilt_batches | {param} if arg.id in scope.rebuilt_batches \
                else inner.rebuilt_batches - {param}
            if arg.id in scope.batch_steps and not rebound:
                inner.batch_steps[param] = scope.batch_steps[arg.id]
            else:
                inner.batch_steps.pop(param, None)
        else:
            inner.batch.pop(param, None)
            inner.rebuilt_batches = inner.rebuilt_batches - {param}
            inner.batch_steps.pop(param, None)


#: Comprehensions: their element runs once per item of the iterable, maybe never.
Comprehension = ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp
_COMPREHENSIONS = Comprehension


def _runs_each_once(node: Comprehension) -> bool:
    """A list, set or dict built at once over a non-empty literal, with no condition: its element surely runs."""
    gen = node.generators
    return not isinstance(node, ast.GeneratorExp) and len(gen) == 1 and not gen[0].ifs and not gen[0].is_async \
        and isinstance(gen[0].iter, ast.List | ast.Tuple | ast.Set) and bool(gen[0].iter.elts)


def _by_position(params: list[str], args: list[ast.expr]) -> list[tuple[str, ast.expr]]:
    """The parameters the call's positional arguments certainly fill, each with its argument: those before the first
    ``*starred`` one (how many items it unpacks is known at run time only: ``run(*[1, wipe], by_id)`` hands the
    second parameter ``wipe``, not ``by_id``; attack24b)."""
    found: list[tuple[str, ast.expr]] = []
    for name, arg in zip(params, args, strict=False):
        if isinstance(arg, ast.Starred):
            break
        found.append((name, arg))
    return found


def _class_name(func: ast.expr) -> bool:
    """Whether ``func`` names a class by Python's convention (``SafeFormatter``, ``string.Formatter``): called, it
    builds an object."""
    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
    return name[:1].isupper() and not name.isupper()
