"""The walker's loops and ``with`` blocks: a loop over a literal list or a tuple of known functions
unrolled, the lists a loop appends to, batch and autocommit blocks.
"""

from __future__ import annotations

import ast

from migcheck.extract.python.bindings import _appended_in, _hold_rows, _stored_names
from migcheck.extract.python.calls import Calls
from migcheck.extract.python.data import (
    _attribute_write,
    _is_session_factory,
    _reads_all_rows,
    _selected_table,
)
from migcheck.extract.python.fetched import fetched_rows
from migcheck.extract.python.nodes import (
    _arg,
    _describe,
    _root_name,
    _target_names,
    rebound_in,
)
from migcheck.extract.python.scope import Scope
from migcheck.vocabulary.changes import (
    AddConstraint,
    AlterColumn,
    Change,
    DataChange,
    DropColumn,
    DropConstraint,
    RenameColumn,
)


class Blocks(Calls):
    """Loops and ``with`` items; the third layer of ``walk.PythonExtractor``."""

    _appended_of: dict[int, frozenset[str]]

    def _appended(self, loop: ast.For | ast.AsyncFor | ast.While, scope: Scope) -> frozenset[str]:
        """Scope.loop_appended inside ``loop``: the lists its body appends to, and those of the loops around it."""
        found = self._appended_of.get(id(loop))
        if found is None:
            found = self._appended_of[id(loop)] = _appended_in(loop)
        return scope.loop_appended | found

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
        if scope.in_transaction and isinstance(stmt.target, ast.Name) and _reads_all_rows(stmt.iter) \
                and (local := _selected_table(stmt.iter)) is not None \
                and (table := scope.tables.get(local)) is not None \
                and not rebound_in(stmt.body, stmt.target.id) and not rebound_in(stmt.body, local) \
                and not _leaves_early(stmt.body):
            # for row in conn.execute(t.select()): each pass reaches the body's end
            inner.every_row_of = (*inner.every_row_of, (stmt.target.id, table, local, _once_a_pass(stmt.body)))
        if isinstance(stmt.target, ast.Name) and (texts := self.member_texts(stmt.iter, scope)) is not None:
            inner.choices[stmt.target.id] = texts  # for t in sorted(TABLES, key=...): one of these constants a pass
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
                    recreate = _arg(expr, 2, "recreate")
                    mode = "auto" if recreate is None else self._literal(recreate, scope)
                    always = mode == "always"
                    scope.rebuilt_batches = scope.rebuilt_batches | {alias} if always \
                        else scope.rebuilt_batches - {alias}
                    if mode == "auto" and self.dialect == "sqlite":
                        scope.batch_steps[alias] = []  # walk.py: rebuilt_on_sqlite, once the block ends
                    else:
                        scope.batch_steps.pop(alias, None)
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


#: The batch steps Alembic's SQLite implementation cannot run as ALTER TABLE (``requires_recreate_in_batch``: all
#: but ``add_column`` and the index operations), so a ``recreate="auto"`` batch holding one rebuilds the table.
_REBUILDING = (AlterColumn, DropColumn, RenameColumn, AddConstraint, DropConstraint)


def rebuilt_on_sqlite(steps: list[Change]) -> None:
    """A ``recreate="auto"`` batch on SQLite: when one of its steps needs the table rebuilt, every step of it is
    (``batch_rebuilt``), as under ``recreate="always"``: the rows are copied by an INSERT ... SELECT that fills an
    added column with its Python-side default (held-out-29 #18: an ``add_column(..., default='', nullable=False)``
    beside two ``alter_column``). An added server default that is an expression also rebuilds it; not read here,
    so such a batch stays as written. A step is rebuilt only by one that runs whenever it does (attack29a): one
    under an ``if``, in a loop (over rows that may be none) or after an early exit the step is not in may not run, and the batch then adds the
    column with ALTER TABLE."""
    rebuilding = [(step.blocks, step.loop) for step in steps if isinstance(step, _REBUILDING)]
    for step in steps:
        if any(step.blocks[:len(blocks)] == blocks and loop in {None, step.loop} for blocks, loop in rebuilding):
            step.batch_rebuilt = True


def _leaves_early(body: list[ast.stmt]) -> bool:
    """Whether ``body`` holds a ``break``, ``continue`` or ``return`` anywhere (attack27c): a pass may then stop
    before the UPDATE, or the loop after its first row (``conn.execute(...); break``), and not every row is
    written. Those of an inner loop count too: a false alarm at worst."""
    return any(isinstance(node, ast.Break | ast.Continue | ast.Return) for stmt in body for node in ast.walk(stmt))


def _once_a_pass(body: list[ast.stmt]) -> frozenset[int]:
    """The calls (by ``id``) that ``body`` makes once each time it runs (attack27c): not those inside an inner loop
    or comprehension (``for part in job.tags: conn.execute(...)`` may run no time for a row), nor in a ``def``,
    ``class`` or ``lambda`` (run only when called)."""
    found: set[int] = set()
    todo: list[ast.AST] = list(body)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.For | ast.AsyncFor | ast.While | ast.ListComp | ast.SetComp | ast.DictComp
                      | ast.GeneratorExp | ast.Lambda | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        if isinstance(node, ast.Call):
            found.add(id(node))
        todo.extend(ast.iter_child_nodes(node))
    return frozenset(found)
