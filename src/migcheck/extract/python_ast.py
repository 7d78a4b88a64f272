"""``upgrade()`` / ``downgrade()`` bodies to Change IR, from the Python AST.

Nothing is imported or executed. The walker follows what real revisions do:
``with op.batch_alter_table(...) as batch_op``, ``autocommit_block()``,
module-level constants and local string variables, loops over literal lists
of table names, helper functions of the same module, dialect checks
(``if op.get_bind().dialect.name == "postgresql"``), and data access through
``op.get_bind()`` / ``connection.execute`` / ORM sessions. SQL strings are
handed to the sqlglot front end, so one set of rules serves both.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field, replace
from typing import Any

from migcheck.extract.sql import changes_from_sql, unbounded_where
from migcheck.vocabulary.changes import (
    AddColumn,
    AddConstraint,
    AlterColumn,
    Change,
    ColumnSpec,
    ConstraintKind,
    CreateEnumType,
    CreateIndex,
    CreateTable,
    DataChange,
    DropColumn,
    DropConstraint,
    DropEnumType,
    DropIndex,
    DropTable,
    RawSQL,
    RenameColumn,
    RenameTable,
)
from migcheck.vocabulary.revision import Body, iter_statements

#: Positional parameters of ``op.*`` (and, second, of ``batch_op.*``), as Alembic declares them.
OP_PARAMS: dict[str, tuple[list[str], list[str]]] = {
    "add_column": (["table_name", "column"], ["column"]),
    "drop_column": (["table_name", "column_name"], ["column_name"]),
    "alter_column": (["table_name", "column_name"], ["column_name"]),
    "create_table": (["table_name"], []),
    "drop_table": (["table_name"], []),
    "rename_table": (["old_table_name", "new_table_name"], []),
    "create_index": (["index_name", "table_name", "columns"], ["index_name", "columns"]),
    "drop_index": (["index_name", "table_name"], ["index_name"]),
    "create_foreign_key": (
        ["constraint_name", "source_table", "referent_table", "local_cols", "remote_cols"],
        ["constraint_name", "referent_table", "local_cols", "remote_cols"],
    ),
    "create_unique_constraint": (["constraint_name", "table_name", "columns"], ["constraint_name", "columns"]),
    "create_check_constraint": (["constraint_name", "table_name", "condition"], ["constraint_name", "condition"]),
    "create_primary_key": (["constraint_name", "table_name", "columns"], ["constraint_name", "columns"]),
    "create_exclude_constraint": (["constraint_name", "table_name"], ["constraint_name"]),
    "drop_constraint": (["constraint_name", "table_name", "type_"], ["constraint_name", "type_"]),
    "execute": (["sqltext"], ["sqltext"]),
    "bulk_insert": (["table", "rows"], []),
}

#: ``op`` attributes that read or configure, and change nothing by themselves.
OP_HELPERS = {
    "get_bind",
    "get_context",
    "f",
    "inline_literal",
    "batch_alter_table",
    "implementation_for",
    "invoke",
    "run_async",
    "register_operation",
    "create_table_comment",
    "drop_table_comment",
}

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
PLACEHOLDER = "migcheck_param"
#: Stands for a table name the code itself defines (``{Model.__tablename__}``): unknown, but not data.
NAME_PLACEHOLDER = "migcheck_name"
_TYPE_PREFIX = re.compile(r"\b(?:sqlalchemy\.dialects\.\w+\.|sqlalchemy\.types\.|sqlalchemy\.|sa\.|postgresql\.|mysql\.|sqlite\.|types\.)")
_FORMAT_FIELD = re.compile(r"\{[^{}]*\}")
_PERCENT_FIELD = re.compile(r"%(?:\([^)]*\))?[sdifr]")


@dataclass
class Scope:
    """What the walker knows at one point of a function body."""

    phase: str
    env: dict[str, object]
    batch: dict[str, str] = field(default_factory=dict)
    binds: set[str] = field(default_factory=set)
    sessions: set[str] = field(default_factory=set)
    tables: dict[str, str] = field(default_factory=dict)
    #: Local names bound to SQL text built at run time (``sql = f"..."``), as _sql_text returns them.
    dynamic_sql: dict[str, tuple[str, int, bool, bool]] = field(default_factory=dict)
    #: Local names bound to Core statements (``stmt = t.update().where(...)``): (action, table, has_where).
    core: dict[str, tuple[str, str | None, bool]] = field(default_factory=dict)
    in_transaction: bool = True
    conditional: bool = False
    depth: int = 0
    #: Parameters that hold the tables by name (``def upgrade(op, tables, tester)``: ``tables.users``).
    table_sets: frozenset[str] = frozenset()

    def child(self, **kw: Any) -> Scope:
        return replace(
            self,
            env=dict(self.env),
            batch=dict(self.batch),
            binds=set(self.binds),
            sessions=set(self.sessions),
            tables=dict(self.tables),
            dynamic_sql=dict(self.dynamic_sql),
            core=dict(self.core),
            **kw,
        )


class PythonExtractor:
    """Extracts the bodies of one parsed revision module."""

    def __init__(self, tree: ast.Module, consts: dict[str, object], dialect: str) -> None:
        self.tree = tree
        self.consts = consts
        self.dialect = dialect
        self.functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}
        self.op_names = {"op"} | _op_aliases(tree)
        #: Module-level ``t = sa.table("name", ...)`` / ``sa.Table("name", meta, ...)``: the table each name is.
        self.module_tables = _module_tables(self, tree)
        #: Names imported from outside the standard library and the SQLAlchemy/Alembic family, with their
        #: module: calls to them run code migcheck does not read.
        self.imported = imported_names(tree)
        #: Module-level names bound to a number (``BATCH = 500``): constants, not data, in a formatted string.
        self.numbers = _module_numbers(tree)
        #: Classes of the revision module with constant members (``class _State(IntEnum): done = 3``).
        self.class_constants = _class_constants(tree)

    def body(self, name: str) -> Body | None:
        fn = self.functions.get(name)
        if fn is None:
            return None
        params = {a.arg for a in fn.args.args}
        scope = Scope(phase=name, env=dict(self.consts), tables=dict(self.module_tables),
                      table_sets=frozenset(params & {"tables"}))
        changes: list[Change] = []
        self._walk(fn.body, scope, changes, active={name})
        trivial = is_trivial(fn.body)
        return Body(line=fn.lineno, changes=changes, trivial=trivial, opaque=calls_imported_code(fn, self.tree),
                    raises=trivial and any(isinstance(stmt, ast.Raise) for stmt in fn.body))

    # -- statements -------------------------------------------------------------------------------

    def _walk(self, stmts: list[ast.stmt], scope: Scope, out: list[Change], active: set[str]) -> None:
        for stmt in stmts:
            if isinstance(stmt, ast.With | ast.AsyncWith):
                inner = scope.child()
                for item in stmt.items:
                    self._with_item(item, inner, out, active)
                self._walk(stmt.body, inner, out, active)
            elif isinstance(stmt, ast.If):
                verdict = self._static_test(stmt.test, scope)
                if verdict is None:
                    self._calls(stmt.test, scope, out, active)
                    self._walk(stmt.body, scope.child(conditional=True), out, active)
                    self._walk(stmt.orelse, scope.child(conditional=True), out, active)
                else:
                    self._walk(stmt.body if verdict else stmt.orelse, scope, out, active)
            elif isinstance(stmt, ast.For | ast.AsyncFor):
                self._loop(stmt, scope, out, active)
            elif isinstance(stmt, ast.While):
                self._walk(stmt.body, scope.child(conditional=True), out, active)
            elif isinstance(stmt, ast.Try):
                self._walk(stmt.body, scope, out, active)
                for handler in stmt.handlers:
                    self._walk(handler.body, scope.child(conditional=True), out, active)
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
                for target in targets:
                    if isinstance(target, ast.Name):
                        self._bind_name(target.id, value, scope)
            elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Import | ast.ImportFrom):
                continue
            elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
                before = len(out)
                self._calls(stmt, scope, out, active)
                if len(out) == before:
                    self._imported_call(stmt.value, scope, out)
            else:
                self._calls(stmt, scope, out, active)

    def _imported_call(self, call: ast.Call, scope: Scope, out: list[Change]) -> None:
        """A call made for its effect (``migration.create_table_if_not_exists(...)``,
        ``helpers_module.upgrade()``) into imported code: say so, instead of passing over it silently."""
        root = _root_name(call.func)
        if root is None or root not in self.imported or root in scope.binds or root in scope.sessions:
            return
        if _is_logging(root, self.imported[root]):
            return  # loguru's logger.info(...), structlog, a module's `log`: output, not SQL
        callee = ast.unparse(call.func)
        origin = self.imported[root]
        if isinstance(call.func, ast.Name) and "." in origin.lstrip("."):
            origin = origin.rsplit(".", 1)[0]  # `from app.db import helper; helper()`: the module is app.db
        out.append(RawSQL(
            text=ast.unparse(call), keyword="", understood=False, line=call.lineno,
            reason=f"`{_short(callee, 50)}()` comes from `{origin}`, and migcheck does not read imported code",
            **self._common(scope),
        ))

    def _loop(self, stmt: ast.For | ast.AsyncFor, scope: Scope, out: list[Change], active: set[str]) -> None:
        values = self._literal(stmt.iter, scope)
        if isinstance(stmt.target, ast.Name) and isinstance(values, tuple) and values:
            for value in values:
                inner = scope.child()
                inner.env[stmt.target.id] = value
                self._walk(stmt.body, inner, out, active)
            return
        rows = self._literal_rows(stmt.iter, stmt.target, scope)
        if rows:
            for row in rows:
                inner = scope.child()
                inner.env.update(row)
                self._walk(stmt.body, inner, out, active)
            return
        self._calls(stmt.iter, scope, out, active)
        inner = scope.child()
        for name in _target_names(stmt.target):
            inner.env.pop(name, None)
        start = len(out)
        self._walk(stmt.body, inner, out, active)
        if scope.in_transaction and _reads_all_rows(stmt.iter):
            for change in out[start:]:
                if isinstance(change, DataChange) and change.action in {"update", "delete"} and change.row_loop is None:
                    change.row_loop = stmt.lineno
        if isinstance(stmt.target, ast.Name) and _root_name(stmt.iter) in scope.sessions:
            # for token in session.query(Token): token.scopes = ... -- rows written through the ORM
            write = _attribute_write(stmt.body, stmt.target.id)
            if write is not None:
                out.append(DataChange(action="orm", line=write.lineno, **self._common(scope)))

    def _with_item(self, item: ast.withitem, scope: Scope, out: list[Change], active: set[str]) -> None:
        expr = item.context_expr
        alias = item.optional_vars.id if isinstance(item.optional_vars, ast.Name) else None
        if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute):
            attr = expr.func.attr
            if attr == "batch_alter_table" and self._is_op(expr.func.value):
                table = self._str(_arg(expr, 0, "table_name"), scope) or _describe(_arg(expr, 0, "table_name"))
                if alias:
                    scope.batch[alias] = table
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
        scope.binds.discard(name)
        scope.sessions.discard(name)
        scope.tables.pop(name, None)
        scope.env.pop(name, None)
        scope.dynamic_sql.pop(name, None)
        scope.core.pop(name, None)
        self._bind_value(name, value, before, scope)

    def _bind_value(self, name: str, value: ast.expr, before: Scope, scope: Scope) -> None:
        """What ``name = value`` makes ``name`` (read in ``before``, recorded in ``scope``)."""
        if self._is_bind(value, before):
            scope.binds.add(name)
        elif _is_session_factory(value):
            scope.sessions.add(name)
        elif (table := _table_constructor(value, self, before)) is not None:
            scope.tables[name] = table
        elif isinstance(value, ast.Call) and _call_name(value) == "create_table" and value.args \
                and isinstance(value.func, ast.Attribute) and self._is_op(value.func.value):
            scope.tables[name] = self._str(value.args[0], before) or _describe(value.args[0])
        elif (statement := _core_statement(value, self, before)) is not None:
            scope.core[name] = statement
        else:
            literal = self._literal(value, before)
            if literal is not None:
                scope.env[name] = literal
            elif (built := dynamic_sql_text(self, value, before)) is not None:
                scope.dynamic_sql[name] = built
            else:
                test = self._static_test(value, before)
                if test is not None:
                    scope.env[name] = test

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
        if isinstance(func, ast.Name) and func.id in self.functions and func.id not in active:
            if scope.depth < 4:
                self._inline(call, self.functions[func.id], scope, out, active)
            return True
        if not isinstance(func, ast.Attribute):
            return False
        attr = func.attr
        if self._is_op(func.value):
            return self._op_call(attr, call, None, scope, out)
        if isinstance(func.value, ast.Name) and func.value.id in scope.batch:
            return self._op_call(attr, call, scope.batch[func.value.id], scope, out)
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
        return enum_type_call(self, call, scope, out)

    def _inline(self, call: ast.Call, fn: ast.FunctionDef | ast.AsyncFunctionDef, scope: Scope,
                out: list[Change], active: set[str]) -> None:
        inner = scope.child(depth=scope.depth + 1)
        params = [a.arg for a in (*fn.args.posonlyargs, *fn.args.args)]
        for name, arg in zip(params, call.args, strict=False):
            inner.env.pop(name, None)
            literal = self._literal(arg, scope)
            if literal is not None:
                inner.env[name] = literal
            if isinstance(arg, ast.Name) and arg.id in scope.binds:
                inner.binds.add(name)
            if isinstance(arg, ast.Name) and arg.id in scope.sessions:
                inner.sessions.add(name)
        for kw in call.keywords:
            if kw.arg and (literal := self._literal(kw.value, scope)) is not None:
                inner.env[kw.arg] = literal
        self._walk(fn.body, inner, out, active | {fn.name})

    def _op_call(self, attr: str, call: ast.Call, batch_table: str | None, scope: Scope,
                 out: list[Change]) -> bool:
        if attr in OP_HELPERS:
            return False
        spec = OP_PARAMS.get(attr)
        common = {"line": call.lineno, "in_batch": batch_table is not None, **self._common(scope)}
        if spec is None:
            out.append(RawSQL(text=ast.unparse(call), keyword=f"op.{attr}", understood=False,
                              reason=f"op.{attr}() is not modelled by migcheck", **common))
            return True
        args = _bind_args(call, spec[1] if batch_table is not None else spec[0])
        kw = {k.arg: k.value for k in call.keywords if k.arg}

        def s(name: str) -> str | None:
            node = args.get(name)
            if node is None or (isinstance(node, ast.Constant) and node.value is None):
                return None  # op.create_foreign_key(None, ...): unnamed, the naming convention decides
            return self._str(node, scope) or _describe(node)

        def flag(name: str) -> bool:
            node = kw.get(name)
            return isinstance(node, ast.Constant) and bool(node.value)

        table = batch_table if batch_table is not None else s("table_name")
        if attr == "add_column":
            column = self._column(args.get("column"), scope)
            out.append(AddColumn(table=table or "?", column=column, if_not_exists=flag("if_not_exists"), **common))
            out.extend(self._column_constraints(args.get("column"), table or "?", column, scope, common))
        elif attr == "drop_column":
            out.append(DropColumn(table=table or "?", column=s("column_name") or "?", if_exists=flag("if_exists"),
                                  **common))
        elif attr == "alter_column":
            out.extend(self._alter_column(table or "?", s("column_name") or "?", kw, scope, common))
        elif attr == "create_table":
            columns = [self._column(a, scope) for a in call.args[1:] if _is_column_call(a)]
            out.append(CreateTable(table=table or "?", columns=columns, if_not_exists=flag("if_not_exists"),
                                   **common))
        elif attr == "drop_table":
            out.append(DropTable(table=table or "?", if_exists=flag("if_exists"), **common))
        elif attr == "rename_table":
            out.append(RenameTable(table=s("old_table_name") or "?", new_name=s("new_table_name") or "?", **common))
        elif attr == "create_index":
            where = kw.get("postgresql_where") or kw.get("sqlite_where")
            out.append(CreateIndex(
                name=s("index_name"),
                table=table,
                columns=self._strs(args.get("columns"), scope),
                unique=flag("unique"),
                concurrently=flag("postgresql_concurrently"),
                where=ast.unparse(where) if where is not None else None,
                if_not_exists=flag("if_not_exists"),
                **common,
            ))
        elif attr == "drop_index":
            out.append(DropIndex(name=s("index_name"), table=table, concurrently=flag("postgresql_concurrently"),
                                 if_exists=flag("if_exists"), **common))
        elif attr.startswith("create_") and attr.endswith(("_constraint", "_key")):
            out.append(self._constraint(attr, args, kw, table if batch_table is None else batch_table, scope, s,
                                        common))
        elif attr == "drop_constraint":
            out.append(DropConstraint(name=s("constraint_name"), table=table, kind_of=s("type_"), **common))
        elif attr == "execute":
            self._execute(call, scope, out, via_bind=False)
        elif attr == "bulk_insert":
            out.append(DataChange(action="bulk_insert", table=_table_constructor(args.get("table"), self, scope),
                                  **common))
        return True

    def _constraint(self, attr: str, args: dict[str, ast.expr], kw: dict[str, ast.expr], table: str | None,
                    scope: Scope, s: Any, common: dict[str, Any]) -> AddConstraint:
        kinds: dict[str, ConstraintKind] = {
            "create_foreign_key": "foreign_key",
            "create_unique_constraint": "unique",
            "create_check_constraint": "check",
            "create_primary_key": "primary_key",
            "create_exclude_constraint": "exclude",
        }
        if attr == "create_foreign_key" and "source_table" in args:
            table = s("source_table")
        not_valid = kw.get("postgresql_not_valid")
        condition = args.get("condition")
        return AddConstraint(
            kind_of=kinds.get(attr, "unknown"),
            name=s("constraint_name"),
            table=table,
            columns=self._strs(args.get("local_cols") or args.get("columns"), scope),
            not_valid=isinstance(not_valid, ast.Constant) and bool(not_valid.value),
            referent=s("referent_table") if "referent_table" in args else None,
            condition=(self._str(condition, scope) or ast.unparse(condition)) if condition is not None else None,
            **common,
        )

    def _alter_column(self, table: str, column: str, kw: dict[str, ast.expr], scope: Scope,
                      common: dict[str, Any]) -> list[Change]:
        out: list[Change] = []
        nullable = kw.get("nullable")
        type_ = kw.get("type_")
        existing_type = kw.get("existing_type")
        existing_nullable = kw.get("existing_nullable")
        using = kw.get("postgresql_using")
        changes_something = nullable is not None or type_ is not None or "server_default" in kw
        if changes_something:
            out.append(AlterColumn(
                table=table,
                column=column,
                nullable=_bool(nullable),
                type=_type_text(type_) if type_ is not None else None,
                type_module=_type_module(type_),
                using=self._str(using, scope) if using is not None else None,
                server_default_changed="server_default" in kw,
                server_default=self._server_default(kw["server_default"], scope) if "server_default" in kw else None,
                existing_type=_type_text(existing_type) if existing_type is not None else None,
                existing_nullable=_bool(existing_nullable),
                existing_nullable_given=existing_nullable is not None,
                existing_server_default_given="existing_server_default" in kw,
                **common,
            ))
        new_name = kw.get("new_column_name")
        if new_name is not None:
            out.append(RenameColumn(table=table, column=column,
                                    new_name=self._str(new_name, scope) or _describe(new_name),
                                    via_alter_column=True,
                                    existing_type=None if existing_type is None else _type_text(existing_type),
                                    existing_nullable=_bool(existing_nullable),
                                    existing_nullable_given=existing_nullable is not None,
                                    existing_server_default_given="existing_server_default" in kw, **common))
        return out

    def _execute(self, call: ast.Call, scope: Scope, out: list[Change], via_bind: bool) -> None:
        """``op.execute(...)`` or ``connection.execute(...)``: SQL text, a Core statement, or unknown."""
        common = self._common(scope)
        node = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg in {"sqltext", "statement"}), None)
        if node is None:
            return
        text = self._sql_text(node, scope)
        if text is not None:
            sql, base_line, exact, interpolated = text
            changes = changes_from_sql(sql, base_line if exact else call.lineno, dialect=self.dialect,
                                       phase=scope.phase, origin="python", in_transaction=scope.in_transaction,
                                       conditional=scope.conditional)
            for change in changes:
                if not exact:
                    change.line = call.lineno
                if PLACEHOLDER in sql or NAME_PLACEHOLDER in sql:
                    _show_placeholders(change)
                    if isinstance(change, DataChange) and change.has_where and change.sql:
                        change.unbounded_where = unbounded_where(change.sql, self.dialect)  # of the SQL shown
                change.interpolated = interpolated
            out.extend(changes)
            return
        dml = scope.core.get(node.id) if isinstance(node, ast.Name) else _core_dml(node, self, scope)
        if dml is not None:
            action, table, has_where = dml
            if action != "select":
                out.append(DataChange(action=action, table=table, has_where=has_where, line=call.lineno, **common))
            return
        if via_bind:
            out.append(DataChange(action="execute", line=call.lineno, **common))
        else:
            out.append(RawSQL(text=None, keyword="", understood=False, line=call.lineno,
                              reason=f"the SQL of `{_short(ast.unparse(node))}` is only known at run time", **common))

    # -- values -----------------------------------------------------------------------------------

    def _static_test(self, test: ast.expr, scope: Scope) -> bool | None:
        return _static_test_impl(self, test, scope)

    def _common(self, scope: Scope) -> dict[str, Any]:
        return {"phase": scope.phase, "in_transaction": scope.in_transaction, "conditional": scope.conditional}

    def _is_op(self, node: ast.expr) -> bool:
        if isinstance(node, ast.Name):
            return node.id in self.op_names
        return isinstance(node, ast.Attribute) and node.attr == "op" and isinstance(node.value, ast.Name) \
            and node.value.id == "alembic"

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

    def _literal(self, node: ast.expr | None, scope: Scope) -> object:
        """A str, a bool, or a tuple of str that ``node`` certainly evaluates to; None otherwise."""
        if node is None:
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, str | bool):
            return node.value
        if isinstance(node, ast.Name):
            return scope.env.get(node.id)
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            items = [self._literal(e, scope) for e in node.elts]
            return tuple(items) if all(isinstance(i, str) for i in items) else None
        text = self._sql_text(node, scope)
        if text is not None and not text[3] and NAME_PLACEHOLDER not in text[0]:
            return text[0]
        return None

    def _literal_rows(self, iterable: ast.expr, target: ast.expr, scope: Scope) -> list[dict[str, object]]:
        """``for a, b in [("x", 1), ("y", 2)]`` / ``for n in (1, 2)``: the names each pass binds, when the
        list is written out with constants only; [] otherwise."""
        if not isinstance(iterable, ast.List | ast.Tuple) or not iterable.elts or len(iterable.elts) > 200:
            return []
        names = [target] if isinstance(target, ast.Name) else list(target.elts) \
            if isinstance(target, ast.Tuple) else []
        if not names or not all(isinstance(n, ast.Name) for n in names):
            return []
        rows: list[dict[str, object]] = []
        for element in iterable.elts:
            items = [element] if isinstance(target, ast.Name) else \
                list(element.elts) if isinstance(element, ast.Tuple | ast.List) else []
            if len(items) != len(names):
                return []
            row: dict[str, object] = {}
            for name, item in zip(names, items, strict=True):
                value = self._literal(item, scope)
                if not isinstance(value, str) and isinstance(item, ast.Constant) \
                        and isinstance(item.value, int | float) and not isinstance(item.value, bool):
                    value = item.value
                if not isinstance(value, str | int | float) or isinstance(value, bool):
                    return []
                assert isinstance(name, ast.Name)
                row[name.id] = value
            rows.append(row)
        return rows

    def _format_value(self, node: ast.expr, scope: Scope, depth: int = 0) -> str | None:
        """The text a value formatted into a string certainly has, when it comes from constants only:
        literals and constants (numbers too), ``KEY.upper()``, ``repr(K)``, ``", ".join(CONSTS)``."""
        literal = self._literal(node, scope)
        if isinstance(literal, str) and not isinstance(literal, bool):
            return literal
        if depth > 8:
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float) \
                and not isinstance(node.value, bool):
            return str(node.value)
        if isinstance(node, ast.Name):
            value = scope.env.get(node.id, self.numbers.get(node.id) if node.id not in scope.env else None)
            return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
        if isinstance(node, ast.Attribute):
            # _State.done / _State.done.value: a member of an enum or constants class of this revision
            member = node.value if node.attr == "value" and isinstance(node.value, ast.Attribute) else node
            if isinstance(member, ast.Attribute) and isinstance(member.value, ast.Name):
                value = self.class_constants.get(member.value.id, {}).get(member.attr)
                return None if value is None else str(value)
            return None
        if not isinstance(node, ast.Call) or node.keywords:
            return None
        func = node.func
        if isinstance(func, ast.Name) and func.id in {"str", "repr", "int"} and len(node.args) == 1:
            inner = self._format_value(node.args[0], scope, depth + 1)
            if inner is None or (func.id == "int" and _NUMBER.fullmatch(inner) is None):
                return None
            text = isinstance(self._literal(node.args[0], scope), str) or isinstance(node.args[0], ast.Call)
            return repr(inner) if func.id == "repr" and text else inner
        if not isinstance(func, ast.Attribute):
            return None
        if func.attr == "join" and len(node.args) == 1:
            sep = self._literal(func.value, scope)
            items = self._literal(node.args[0], scope)
            if isinstance(sep, str) and isinstance(items, tuple):
                return sep.join(items)
            arg = node.args[0]
            parts: list[str | None] | None = None
            if isinstance(arg, ast.List | ast.Tuple):
                parts = [self._format_value(e, scope, depth + 1) for e in arg.elts]
            elif isinstance(arg, ast.GeneratorExp | ast.ListComp) and len(arg.generators) == 1 \
                    and not arg.generators[0].ifs and not arg.generators[0].is_async:
                # ", ".join(repr(t) for t in TIERS): each item of a constant sequence, formatted
                loop = arg.generators[0]
                rows = self._literal_rows(loop.iter, loop.target, scope)
                if not rows and isinstance(loop.target, ast.Name) \
                        and isinstance(values := self._literal(loop.iter, scope), tuple):
                    rows = [{loop.target.id: v} for v in values]
                if rows:
                    parts = []
                    for row in rows:
                        each = scope.child()
                        each.env.update(row)
                        parts.append(self._format_value(arg.elt, each, depth + 1))
            if isinstance(sep, str) and parts is not None and all(p is not None for p in parts):
                return sep.join(p for p in parts if p is not None)
            return None
        if func.attr in _STR_METHODS:
            base = self._format_value(func.value, scope, depth + 1)
            args = [self._literal(a, scope) for a in node.args]
            if base is None or not all(isinstance(a, str) for a in args):
                return None
            try:
                result = getattr(base, func.attr)(*args)
            except (TypeError, ValueError):
                return None
            return result if isinstance(result, str) else None
        return None

    def _str(self, node: ast.expr | None, scope: Scope) -> str | None:
        if node is not None and isinstance(node, ast.Call) and _call_name(node) == "f" and node.args:
            node = node.args[0]  # op.f("ix_name"): the name as written
        value = self._literal(node, scope)
        return value if isinstance(value, str) else None

    def _strs(self, node: ast.expr | None, scope: Scope) -> list[str]:
        if node is None:
            return []
        value = self._literal(node, scope)
        if isinstance(value, tuple):
            return list(value)
        if isinstance(value, str):
            return [value]
        if isinstance(node, ast.List | ast.Tuple):
            return [self._str(e, scope) or _describe(e) for e in node.elts]
        return [_describe(node)]

    def _sql_text(self, node: ast.expr, scope: Scope) -> tuple[str, int, bool, bool] | None:
        """(text, line, line_is_exact, interpolated) for a SQL string expression; None if not a string."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value, node.lineno, True, False
        if isinstance(node, ast.Name):
            value = scope.env.get(node.id)
            if not isinstance(value, str) and node.id in scope.dynamic_sql:
                text, _, _, interpolated = scope.dynamic_sql[node.id]
                return text, node.lineno, False, interpolated
            return (value, node.lineno, False, False) if isinstance(value, str) else None
        if isinstance(node, ast.Call):
            name = _call_name(node)
            if name in {"text", "literal_column", "DDL", "dedent", "strip"} and node.args:
                return self._sql_text(node.args[0], scope)
            if name in {"CreateSchema", "DropSchema"} and node.args:
                # SQLAlchemy's schema DDL constructs: the statement they compile to
                schema = self._str(node.args[0], scope)
                if schema is None:
                    return None
                kw = {k.arg: _bool(k.value) for k in node.keywords if k.arg}
                verb = "CREATE SCHEMA" if name == "CreateSchema" else "DROP SCHEMA"
                guard = " IF NOT EXISTS" if kw.get("if_not_exists") else " IF EXISTS" if kw.get("if_exists") else ""
                cascade = " CASCADE" if kw.get("cascade") else ""
                return f"{verb}{guard} {schema}{cascade}", node.lineno, True, False
            if name in {"strip", "bindparams", "columns", "execution_options"} \
                    and isinstance(node.func, ast.Attribute):
                return self._sql_text(node.func.value, scope)
            if name == "format" and isinstance(node.func, ast.Attribute):
                base = self._sql_text(node.func.value, scope)
                if base is not None:
                    resolved = format_with_literals(self, base[0], node, scope)
                    if resolved is not None and not base[3]:
                        return resolved, base[1], base[2], False
                    return _FORMAT_FIELD.sub(PLACEHOLDER, base[0]), base[1], base[2], True
            return None
        if isinstance(node, ast.JoinedStr):
            parts: list[str] = []
            interpolated = False
            for value in node.values:
                if isinstance(value, ast.Constant):
                    parts.append(str(value.value))
                elif isinstance(value, ast.FormattedValue) and _code_identifier(value.value):
                    parts.append(NAME_PLACEHOLDER)
                else:
                    inner = self._format_value(value.value, scope) if isinstance(value, ast.FormattedValue) \
                        else None
                    if isinstance(inner, str):
                        parts.append(inner)
                    else:
                        parts.append(PLACEHOLDER)
                        interpolated = True
            return "".join(parts), node.lineno, True, interpolated
        if isinstance(node, ast.BinOp):
            left = self._sql_text(node.left, scope)
            if isinstance(node.op, ast.Mod) and left is not None:
                resolved = percent_with_literals(self, left[0], node.right, scope)
                if resolved is not None and not left[3]:
                    return resolved, left[1], left[2], False
                return _PERCENT_FIELD.sub(PLACEHOLDER, left[0]), left[1], left[2], True
            if isinstance(node.op, ast.Add):
                right = self._sql_text(node.right, scope)
                if left is None and _code_identifier(node.left):
                    left = NAME_PLACEHOLDER, node.lineno, False, False
                if right is None and _code_identifier(node.right):
                    right = NAME_PLACEHOLDER, node.lineno, False, False
                if left is None and right is None:
                    return None
                ltext = left[0] if left else PLACEHOLDER
                rtext = right[0] if right else PLACEHOLDER
                interpolated = left is None or right is None or left[3] or right[3]
                line = left[1] if left else node.lineno
                return ltext + rtext, line, bool(left and left[2]), interpolated
        return None

    def _column(self, node: ast.expr | None, scope: Scope) -> ColumnSpec:
        if not isinstance(node, ast.Call):
            return ColumnSpec(name=_describe(node) if node is not None else None,
                              line=getattr(node, "lineno", 0))
        spec = ColumnSpec(name=None, line=node.lineno)
        for arg in node.args:
            if spec.name is None and (name := self._str(arg, scope)) is not None:
                spec.name = name
                continue
            call = _call_name(arg) if isinstance(arg, ast.Call) else None
            if call == "Computed" and isinstance(arg, ast.Call):
                spec.computed = self._str(arg.args[0], scope) if arg.args else None
                persisted = next((k.value for k in arg.keywords if k.arg == "persisted"), None)
                # persisted=None: SQLAlchemy renders STORED on PostgreSQL before 18 (and before SQLAlchemy 2.1)
                spec.computed_stored = _bool(persisted) is True or (
                    self.dialect == "postgresql" and _bool(persisted) is not False
                )
            elif call == "Identity":
                spec.identity = True
            elif call in {"ForeignKey", "Sequence", "CheckConstraint"}:
                continue
            elif spec.type is None:
                spec.type = _type_text(arg)
                spec.type_module = _type_module(arg)
        for kw in node.keywords:
            if kw.arg == "nullable":
                spec.nullable = _bool(kw.value)
            elif kw.arg == "server_default":
                spec.server_default = self._server_default(kw.value, scope)
            elif kw.arg == "default":
                spec.python_default = not (isinstance(kw.value, ast.Constant) and kw.value.value is None)
            elif kw.arg == "primary_key":
                spec.primary_key = _bool(kw.value) is True
            elif kw.arg == "autoincrement":
                spec.autoincrement = _bool(kw.value)
            elif kw.arg == "name" and spec.name is None:
                spec.name = self._str(kw.value, scope)
            elif kw.arg in {"type_", "type"} and spec.type is None:
                spec.type = _type_text(kw.value)
                spec.type_module = _type_module(kw.value)
        return spec

    def _column_constraints(self, node: ast.expr | None, table: str, column: ColumnSpec, scope: Scope,
                            common: dict[str, Any]) -> list[Change]:
        """What Alembic's ``add_column`` adds with the column: ``index=True``, ``unique=True``, ``ForeignKey``."""
        if not isinstance(node, ast.Call) or not column.name:
            return []
        kw = {k.arg: k.value for k in node.keywords if k.arg}
        unique = _bool(kw.get("unique")) is True
        out: list[Change] = []
        if _bool(kw.get("index")) is True:  # a (unique) index named by the default convention
            out.append(CreateIndex(name=f"ix_{table}_{column.name}", table=table, columns=[column.name],
                                   unique=unique, **common))
        elif unique:
            out.append(AddConstraint(kind_of="unique", name=None, table=table, columns=[column.name], **common))
        for arg in node.args:
            if isinstance(arg, ast.Call) and _call_name(arg) == "CheckConstraint" and arg.args:
                # sa.Column("c", ..., sa.CheckConstraint("c > 0")): checked against every row as it is added
                ck_kw = {k.arg: k.value for k in arg.keywords if k.arg}
                out.append(AddConstraint(
                    kind_of="check",
                    name=self._str(ck_kw["name"], scope) if "name" in ck_kw else None,
                    table=table,
                    columns=[column.name],
                    condition=self._str(arg.args[0], scope) or _describe(arg.args[0]),
                    **common,
                ))
                continue
            if not (isinstance(arg, ast.Call) and _call_name(arg) == "ForeignKey" and arg.args):
                continue
            target = self._str(arg.args[0], scope) or ""
            fk_kw = {k.arg: k.value for k in arg.keywords if k.arg}
            out.append(AddConstraint(
                kind_of="foreign_key",
                name=self._str(fk_kw["name"], scope) if "name" in fk_kw else None,
                table=table,
                columns=[column.name],
                not_valid=_bool(fk_kw.get("postgresql_not_valid")) is True,
                referent=target.rsplit(".", 1)[0].split(".")[-1] if "." in target else None,
                **common,
            ))
        return out

    def _server_default(self, node: ast.expr, scope: Scope) -> str | None:
        """The server default as SQL text: ``'0'``, ``now()``, ``gen_random_uuid()``; None for no default."""
        if isinstance(node, ast.Constant):
            if node.value is None:
                return None
            if isinstance(node.value, str):
                return "'" + node.value.replace("'", "''") + "'"
            return str(node.value).lower() if isinstance(node.value, bool) else str(node.value)
        if isinstance(node, ast.Name) and isinstance(scope.env.get(node.id), str):
            return "'" + str(scope.env[node.id]) + "'"
        if isinstance(node, ast.Call):
            name = _call_name(node)
            if name in {"text", "literal_column", "literal"} and node.args:
                inner = self._str(node.args[0], scope)
                return inner if inner is not None else ast.unparse(node.args[0])
            if name in {"true", "false", "null"} and not node.args:
                return name
            if name == "DefaultClause" and node.args:
                return self._server_default(node.args[0], scope)
            chain = _attr_chain(node.func)
            if "func" in chain[:-1]:
                args = ", ".join(self._str(a, scope) or ast.unparse(a) for a in node.args)
                return f"{chain[-1]}({args})"
        return ast.unparse(node)


# -- helpers over nodes ---------------------------------------------------------------------------


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


def _op_aliases(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == "alembic":
            names.update(a.asname or a.name for a in node.names if a.name == "op")
    return names


def _arg(call: ast.Call, index: int, name: str) -> ast.expr | None:
    if len(call.args) > index:
        return call.args[index]
    return next((k.value for k in call.keywords if k.arg == name), None)


def _bind_args(call: ast.Call, params: list[str]) -> dict[str, ast.expr]:
    bound = {name: arg for name, arg in zip(params, call.args, strict=False) if not isinstance(arg, ast.Starred)}
    for kw in call.keywords:
        if kw.arg in params:
            bound[kw.arg] = kw.value
    return bound


def _call_name(node: ast.Call) -> str | None:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _attr_chain(node: ast.expr) -> list[str]:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return parts[::-1]


def _root_name(node: ast.expr) -> str | None:
    while True:
        if isinstance(node, ast.Attribute):
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Subscript):
            node = node.value
        else:
            break
    return node.id if isinstance(node, ast.Name) else None


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


_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
#: String methods that turn a constant into another constant.
_STR_METHODS = frozenset({"upper", "lower", "strip", "lstrip", "rstrip", "title", "capitalize", "casefold",
                          "replace", "removeprefix", "removesuffix"})


def _class_constants(tree: ast.Module) -> dict[str, dict[str, object]]:
    """``class _State(IntEnum): new = 1``: each module-level class's members bound to an int or str
    literal. Formatted into SQL they are constants of the revision, not data."""
    found: dict[str, dict[str, object]] = {}
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        members: dict[str, object] = {}
        for stmt in node.body:
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name) \
                    and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, int | str) \
                    and not isinstance(stmt.value.value, bool):
                members[stmt.targets[0].id] = stmt.value.value
        if members:
            found[node.name] = members
    return found


def _module_numbers(tree: ast.Module) -> dict[str, int | float]:
    """Module-level ``NAME = 500``, assigned once."""
    numbers: dict[str, int | float] = {}
    seen: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name, value = node.targets[0].id, node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            name, value = node.target.id, node.value
        else:
            continue
        if name in seen:
            numbers.pop(name, None)
            continue
        seen.add(name)
        if isinstance(value, ast.Constant) and isinstance(value.value, int | float) \
                and not isinstance(value.value, bool):
            numbers[name] = value.value
    return numbers


def _target_names(target: ast.expr) -> list[str]:
    return [n.id for n in ast.walk(target) if isinstance(n, ast.Name)]


def _bool(node: ast.expr | None) -> bool | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, bool):
        return node.value
    return None


def _is_column_call(node: ast.expr) -> bool:
    return isinstance(node, ast.Call) and _call_name(node) == "Column"


def _is_session_factory(node: ast.expr) -> bool:
    """``Session(bind=...)``, ``orm.Session(...)``, ``sessionmaker(...)()``, ``scoped_session``."""
    if not isinstance(node, ast.Call):
        return False
    name = _call_name(node)
    if name and (name.endswith("Session") or name in {"scoped_session", "session_maker"}):
        return True
    return isinstance(node.func, ast.Call) and _call_name(node.func) == "sessionmaker"


def _table_constructor(node: ast.expr | None, ex: PythonExtractor, scope: Scope) -> str | None:
    """The table name of ``sa.table("t", ...)`` / ``sa.Table("t", meta)`` or a name bound to one."""
    if isinstance(node, ast.Name):
        return scope.tables.get(node.id)
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in scope.table_sets:
        return node.attr  # upgrade(op, tables, tester): tables.users is the users table
    if isinstance(node, ast.Call) and _call_name(node) in {"table", "Table"} and node.args:
        return ex._str(node.args[0], scope)
    return None


def _module_tables(ex: PythonExtractor, tree: ast.Module) -> dict[str, str]:
    scope = Scope(phase="module", env=dict(ex.consts))
    tables: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            table = _table_constructor(node.value, ex, scope)
            if table is not None:
                tables[node.targets[0].id] = table
    return tables


def _core_statement(node: ast.expr, ex: PythonExtractor, scope: Scope) -> tuple[str, str | None, bool] | None:
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
        if _call_name(inner) in {*CORE_DML, "select"}:
            break
        inner = inner.func.value
    if not (isinstance(inner, ast.Call) and _call_name(inner) in {*CORE_DML, "select"}):
        return None
    return _core_dml(node, ex, scope)


def _core_dml(node: ast.expr, ex: PythonExtractor, scope: Scope) -> tuple[str, str | None, bool] | None:
    """``sa.update(t).where(...)``, ``t.delete()``, ``sa.select(...)``: (action, table, has_where)."""
    calls = [n for n in ast.walk(node) if isinstance(n, ast.Call)]
    names = [_call_name(c) for c in calls]
    has_where = "where" in names or "filter" in names or "filter_by" in names
    for call in calls:
        name = _call_name(call)
        if name in CORE_DML:
            target: ast.expr | None = call.args[0] if call.args else None
            if isinstance(call.func, ast.Attribute) and target is None:
                target = call.func.value
            table = _table_constructor(target, ex, scope) if target is not None else None
            return CORE_DML[name], table, has_where
    if "select" in names:
        return "select", None, has_where
    return None


_DDL_VERBS = ("create_", "drop_", "add_", "alter_", "remove_", "rename_", "upgrade", "migrate")


def _sounds_like_ddl(call: ast.Call) -> bool:
    """A call whose result is kept but whose name says it changes the schema (``create_table_if_not_exists``);
    reads such as ``jsonutils.loads`` or ``generate_uuid`` whose result is assigned are not reported."""
    name = _call_name(call) or ""
    return name.startswith(_DDL_VERBS)


def _code_identifier(node: ast.expr) -> bool:
    """``Model.__tablename__`` / ``Model.__table__.name``: a table name the application code defines,
    interpolated into SQL as an identifier. Not a value from outside, so no injection risk."""
    if not isinstance(node, ast.Attribute):
        return False
    if node.attr == "__tablename__":
        return True
    return node.attr == "name" and isinstance(node.value, ast.Attribute) and node.value.attr == "__table__"


def _show_placeholders(change: Change) -> None:
    """Write the stand-ins for run-time parts as ``{…}`` in the SQL and names a finding may show."""
    for attr in ("sql", "table", "name", "new_name"):
        value = getattr(change, attr, None)
        if isinstance(value, str):
            setattr(change, attr, value.replace(PLACEHOLDER, "{…}").replace(NAME_PLACEHOLDER, "{…}"))


def _type_module(node: ast.expr | None) -> str | None:
    """``sa.JSON()`` -> ``sa``; ``app.types.JSON`` -> ``app.types``; ``JSON()`` -> None."""
    if isinstance(node, ast.Call):
        node = node.func
    return ast.unparse(node.value) if isinstance(node, ast.Attribute) else None


_ROW_READS = frozenset({"execute", "query", "scalars", "fetchall", "all", "mappings", "yield_per"})
_LIMIT = re.compile(r"\blimit\b", re.I)


def _reads_all_rows(node: ast.expr) -> bool:
    """Whether a ``for`` loop's iterable reads rows from the database (``conn.execute(select(...))``,
    ``session.query(...)``) without a LIMIT: the loop then visits the whole table."""
    calls = [n for n in ast.walk(node) if isinstance(n, ast.Call)]
    if not any(_call_name(call) in _ROW_READS for call in calls):
        return False
    return not _LIMIT.search(ast.unparse(node))


def _type_text(node: ast.expr) -> str:
    """``sa.String(length=50)`` -> ``String(length=50)``: the type as written, without module prefixes."""
    return _TYPE_PREFIX.sub("", ast.unparse(node))


def _describe(node: ast.expr | None) -> str:
    """A readable stand-in for a value migcheck cannot resolve statically."""
    if node is None:
        return "?"
    return "<" + _short(ast.unparse(node)) + ">"


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _static_test_dialect(node: ast.expr) -> bool:
    chain = _attr_chain(node) if isinstance(node, ast.Attribute) else []
    if chain and chain[-1] == "name":
        return True
    if isinstance(node, ast.Attribute) and node.attr == "name":
        text = ast.unparse(node)
        return "dialect" in text or "engine" in text or "get_bind" in text
    return False


def _names_the_backend(node: ast.expr) -> bool:
    """``str(bind.engine.url)``, ``bind.engine.url.drivername``, ``url.get_backend_name()``, ``dialect.name``:
    text that starts with the dialect's name."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "str" and node.args:
        node = node.args[0]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
            and node.func.attr in {"get_backend_name", "get_dialect"}:
        return True
    if _static_test_dialect(node):
        return True
    text = ast.unparse(node)
    return text.endswith(("url", "url.drivername")) and ("bind" in text or "engine" in text or "context" in text
                                                          or "connection" in text or "conn" in text)


def _prefix_matches(prefix: object, dialect: str) -> bool | None:
    """Whether text starting with the target dialect's name starts with ``prefix`` (or one of a tuple);
    None when a prefix names no dialect, so the test is not a dialect check."""
    prefixes = (prefix,) if isinstance(prefix, str) else prefix if isinstance(prefix, tuple) else ()
    if not prefixes:
        return None
    spellings = {"mysql": ("mysql", "mariadb"), "postgresql": ("postgresql",)}.get(dialect, (dialect,))
    result = False
    for item in prefixes:
        item = str(item).lower()
        if not item or not any(name.startswith(item) for name in DIALECT_NAMES):
            return None
        result = result or any(name.startswith(item) for name in spellings)
    return result


#: Names SQLAlchemy gives its dialects: a ``.name`` compared with anything else is not a dialect check
#: (``if column.name == "tenant_id"`` must not decide which branch runs).
DIALECT_NAMES = frozenset({"postgresql", "postgres", "mysql", "mariadb", "sqlite", "mssql", "oracle"})


def _dialect_matches(value: str, dialect: str) -> bool:
    aliases = {"mysql": {"mysql", "mariadb"}, "postgresql": {"postgresql", "postgres"}, "sqlite": {"sqlite"}}
    return value.lower() in aliases.get(dialect, {dialect})


def _returned_test(fn: ast.FunctionDef | ast.AsyncFunctionDef | None) -> ast.expr | None:
    """The expression a helper such as ``def is_postgres(): return op.get_bind().dialect.name == ...``
    returns, when its body is only assignments, a docstring and one return. Its parameters can only
    be what the test reads the dialect from (``def on_mysql(bind): return bind.engine.name == ...``):
    a parameter compared with the name is unknown, so such a helper is no dialect check."""
    if fn is None or fn.args.vararg or fn.args.kwarg:
        return None
    returns = [stmt for stmt in fn.body if isinstance(stmt, ast.Return)]
    others_plain = all(
        isinstance(stmt, ast.Return | ast.Assign | ast.AnnAssign)
        or (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant))
        for stmt in fn.body
    )
    if len(returns) != 1 or not others_plain or returns[0].value is None:
        return None
    return returns[0].value


def _static_test_impl(self: PythonExtractor, test: ast.expr, scope: Scope, depth: int = 0) -> bool | None:
    """Whether a dialect check is true for the target dialect; None when it is not one."""
    if isinstance(test, ast.Name) and isinstance(scope.env.get(test.id), bool):
        return bool(scope.env[test.id])
    if isinstance(test, ast.Call) and isinstance(test.func, ast.Attribute) and test.func.attr == "startswith" \
            and len(test.args) == 1 and _names_the_backend(test.func.value):
        # str(op.get_bind().engine.url).startswith("mysql"), bind.dialect.name.startswith("postgres")
        return _prefix_matches(self._literal(test.args[0], scope), self.dialect)
    if isinstance(test, ast.Call) and isinstance(test.func, ast.Name) and depth < 3:
        # `if is_postgres():` / `if on_mysql(bind):` -- a module helper that returns a dialect check
        # (its arguments can only be the bind or the context the test reads the name from)
        helper = self.functions.get(test.func.id)
        returned = _returned_test(helper)
        if returned is None or helper is None:
            return None
        params = {a.arg for a in [*helper.args.posonlyargs, *helper.args.args, *helper.args.kwonlyargs]}
        env = {k: v for k, v in self.consts.items() if k not in params}
        return _static_test_impl(self, returned, Scope(phase=scope.phase, env=env), depth + 1)
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = _static_test_impl(self, test.operand, scope, depth)
        return None if inner is None else not inner
    if isinstance(test, ast.BoolOp):
        values = [_static_test_impl(self, v, scope, depth) for v in test.values]
        if any(v is None for v in values):
            return None
        return all(values) if isinstance(test.op, ast.And) else any(values)
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1):
        return None
    left, op, right = test.left, test.ops[0], test.comparators[0]
    if not _static_test_dialect(left) and not _static_test_dialect(right):
        return None
    other = right if _static_test_dialect(left) else left
    value = self._literal(other, scope)
    names = (value,) if isinstance(value, str) else value if isinstance(value, tuple) else ()
    if not names or not all(name.lower() in DIALECT_NAMES for name in names):
        return None
    if isinstance(value, str):
        if isinstance(op, ast.Eq | ast.Is):
            return _dialect_matches(value, self.dialect)
        if isinstance(op, ast.NotEq | ast.IsNot):
            return not _dialect_matches(value, self.dialect)
    if isinstance(value, tuple):
        hit = any(_dialect_matches(v, self.dialect) for v in value)
        if isinstance(op, ast.In):
            return hit
        if isinstance(op, ast.NotIn):
            return not hit
    return None



# -- run-time SQL text, ORM bulk writes and enum types (rules helper B) ---------------------------


def dynamic_sql_text(
    ex: PythonExtractor, value: ast.expr, scope: Scope
) -> tuple[str, int, bool, bool] | None:
    """SQL text built at run time and bound to a local name (``sql = f"..."``), so that a later
    ``op.execute(sql)`` is still seen as interpolated rather than as unknown."""
    text = ex._sql_text(value, scope)
    return text if text is not None and (text[3] or NAME_PLACEHOLDER in text[0]) else None


def format_with_literals(ex: PythonExtractor, base: str, call: ast.Call, scope: Scope) -> str | None:
    """``"... {}".format(CONST)`` with only literal arguments: the text it certainly evaluates to."""
    args = [ex._format_value(a, scope) for a in call.args]
    kwargs = {k.arg: ex._format_value(k.value, scope) for k in call.keywords if k.arg}
    if len(kwargs) != len(call.keywords) or not all(isinstance(v, str) for v in [*args, *kwargs.values()]):
        return None
    try:
        return base.format(*args, **kwargs)
    except (IndexError, KeyError, ValueError, AttributeError, TypeError):
        return None


def percent_with_literals(ex: PythonExtractor, base: str, right: ast.expr, scope: Scope) -> str | None:
    """``"... %s" % CONST`` with only literal operands: the text it certainly evaluates to."""
    if isinstance(right, ast.Tuple):
        parts = [ex._format_value(e, scope) for e in right.elts]
        value: object = tuple(parts) if all(p is not None for p in parts) else None
    else:
        value = ex._format_value(right, scope)
    if not isinstance(value, str | tuple) or isinstance(value, bool):
        return None
    try:
        return base % (value if isinstance(value, tuple) else (value,))
    except (TypeError, ValueError, KeyError):
        return None


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


_ENUM_TYPES = {"Enum", "ENUM"}


def enum_type_name(ex: PythonExtractor, node: ast.expr | None, scope: Scope) -> tuple[str | None, bool]:
    """(name, is_enum) of ``sa.Enum(..., name="x")`` / ``postgresql.ENUM(...)`` or a name bound to one."""
    if isinstance(node, ast.Name):
        for stmt in ast.walk(ex.tree):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else []
            if any(isinstance(t, ast.Name) and t.id == node.id for t in targets):
                assert isinstance(stmt, ast.Assign)
                return enum_type_name(ex, stmt.value, scope)
        return None, False
    if not (isinstance(node, ast.Call) and _call_name(node) in _ENUM_TYPES):
        return None, False
    for kw in node.keywords:
        if kw.arg == "name":
            return ex._str(kw.value, scope), True
    first = node.args[0] if node.args else None
    # sa.Enum(Mood): SQLAlchemy names the type after the Python enum class.
    if isinstance(first, ast.Name | ast.Attribute):
        return _attr_chain(first)[-1].lower() if _attr_chain(first) else None, True
    return None, True


def enum_type_call(ex: PythonExtractor, call: ast.Call, scope: Scope, out: list[Change]) -> bool:
    """``sa.Enum(..., name="mood").create(bind)`` / ``mood.drop(bind, checkfirst=True)``."""
    func = call.func
    if not (isinstance(func, ast.Attribute) and func.attr in {"create", "drop"}):
        return False
    name, is_enum = enum_type_name(ex, func.value, scope)
    if not is_enum:
        return False
    common = {"line": call.lineno, **ex._common(scope)}
    kind = CreateEnumType if func.attr == "create" else DropEnumType
    out.append(kind(name=name or _describe(func.value), **common))
    return True


#: Logging libraries, and the names projects give their loggers: calls to them write output, not SQL.
_LOGGING_MODULES = {"loguru", "structlog", "logging", "logzero", "eliot"}
_LOGGER_NAMES = {"logger", "log", "logging", "print", "LOG", "LOGGER", "_log", "_logger", "console"}


def _is_logging(root: str, origin: str) -> bool:
    """``logger`` from loguru or from the application's own logging module is still a logger."""
    top = origin.lstrip(".").split(".")[0]
    return top in _LOGGING_MODULES or root in _LOGGER_NAMES or origin.rsplit(".", 1)[-1] in _LOGGER_NAMES


_LIBRARIES = {"alembic", "sqlalchemy", "sqlmodel", "sqlalchemy_utils", "geoalchemy2", "typing_extensions"}


def _import_statements(body: list[ast.stmt]) -> list[ast.Import | ast.ImportFrom]:
    """Import statements at any depth, found through statement bodies only (no expression walk)."""
    found: list[ast.Import | ast.ImportFrom] = []
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        for name in ("body", "orelse", "finalbody", "handlers"):
            inner = getattr(node, name, None)
            if isinstance(inner, list):
                found.extend(_import_statements(inner))
    return found


def imported_names(tree: ast.Module) -> dict[str, str]:
    """Local name -> dotted origin (``app.db.helpers``) for every import of code outside the stdlib and
    the SQLAlchemy family."""
    import sys

    names: dict[str, str] = {}
    for node in _import_statements(tree.body):
        if isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.split(".")[0]
                if top not in _LIBRARIES and top not in sys.stdlib_module_names:
                    names[alias.asname or top] = alias.name
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            top = module.split(".")[0]
            if node.level == 0 and (top in _LIBRARIES or top in sys.stdlib_module_names):
                continue
            shown = "." * node.level + module
            for alias in node.names:
                names[alias.asname or alias.name] = f"{shown}.{alias.name}" if module else shown + alias.name
    return names


def calls_imported_code(fn: ast.FunctionDef | ast.AsyncFunctionDef, tree: ast.Module) -> bool:
    """True when ``fn`` calls a function imported from the application (``from app.db import drop_views``):
    it may change the schema in ways migcheck cannot see."""
    import sys

    imported: set[str] = set()
    statements = [*tree.body, *iter_statements(fn.body)]  # module-level imports and the function's own
    for node in statements:
        if isinstance(node, ast.Import | ast.ImportFrom):
            module = (node.module or "") if isinstance(node, ast.ImportFrom) else ""
            for alias in node.names:
                top = (module or alias.name).split(".")[0]
                if isinstance(node, ast.ImportFrom) and node.level > 0:
                    top = "."
                if top not in _LIBRARIES and top not in sys.stdlib_module_names:
                    imported.add(alias.asname or alias.name.split(".")[0])
    if not imported:
        return False
    return any(isinstance(node, ast.Call) and _root_name(node.func) in imported for node in ast.walk(fn))
