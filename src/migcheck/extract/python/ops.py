"""``op.*`` and ``batch_op.*`` calls: Alembic's operations, each to its Change.

Arguments are bound to Alembic's own parameter names (``OP_PARAMS``; inside
``with op.batch_alter_table(t) as batch_op`` the table comes from the ``with``), so positional and
keyword spellings read the same. Columns go to the columns part, ``op.execute`` to the SQL-strings
part; an ``op.*`` operation migcheck does not model becomes RawSQL that says so.
"""

from __future__ import annotations

import ast
from typing import Any

from migcheck.extract.python.columns import Columns, _is_column_call, _type_module, _type_text
from migcheck.extract.python.data import _table_constructor
from migcheck.extract.python.entities import ENTITY_OPS, entity_sql
from migcheck.extract.python.nodes import _bind_args, _call_name, _describe, names_bound_once
from migcheck.extract.python.scope import Rows, Scope
from migcheck.extract.python.strings import SqlStrings
from migcheck.extract.sql import changes_from_sql
from migcheck.vocabulary.changes import (
    AddColumn,
    AddConstraint,
    AlterColumn,
    Change,
    ConstraintKind,
    CreateIndex,
    CreateTable,
    DataChange,
    DropColumn,
    DropConstraint,
    DropIndex,
    DropTable,
    RawSQL,
    RenameColumn,
    RenameTable,
)

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


#: The kinds of change with a ``schema`` field (tests/test_extract_python.py checks the list is whole).
SCHEMA_KINDS = (AddColumn, AddConstraint, AlterColumn, CreateIndex, CreateTable, DataChange, DropColumn,
                DropConstraint, DropIndex, DropTable, RenameColumn, RenameTable)


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


class Ops(Columns, SqlStrings):
    """One ``op.*`` or ``batch_op.*`` call to the Changes it makes."""

    #: Names ``op`` goes by in the module (``from alembic import op as alembic_op``).
    op_names: set[str]

    def _op_call(self, attr: str, call: ast.Call, batch_table: str | None, scope: Scope,
                 out: list[Change], batch_schema: str | None = None) -> bool:
        """``batch_table`` (and ``batch_schema``) for a ``batch_op.*`` call: the batch's table and schema."""
        start = len(out)
        handled = self._op_changes(attr, call, batch_table, scope, out)
        schema = batch_schema if batch_table is not None else \
            self._schema(next((k.value for k in call.keywords if k.arg == "schema"), None), scope)
        if schema is not None and attr != "execute":
            # every change the call makes is in its schema: the index of add_column's sa.Column(index=True)
            # too, and a batch_op's (which takes no schema of its own) in the batch's
            for change in out[start:]:
                if isinstance(change, SCHEMA_KINDS) and change.schema is None:
                    change.schema = schema
        return handled

    def _schema(self, node: ast.expr | None, scope: Scope) -> str | None:
        """A ``schema=`` argument: its text, ``<dynamic>`` when only known at run time, None when absent."""
        if node is None or (isinstance(node, ast.Constant) and node.value is None):
            return None
        return self._str(node, scope) or "<dynamic>"

    def _op_changes(self, attr: str, call: ast.Call, batch_table: str | None, scope: Scope,
                    out: list[Change]) -> bool:
        if attr in OP_HELPERS:
            return False
        spec = OP_PARAMS.get(attr)
        common = {"line": call.lineno, "in_batch": batch_table is not None, **self._common(scope)}
        if attr in ENTITY_OPS and (sql := entity_sql(self, attr, call, scope)) is not None:
            # alembic_utils' op.create_entity(PGExtension("public", "citext")): the SQL it renders
            for change in changes_from_sql(sql, call.lineno, dialect=self.dialect, phase=scope.phase, origin="python",
                                           in_transaction=scope.in_transaction, conditional=scope.conditional):
                change.blocks = scope.blocks
                change.isolation_switch = scope.isolation_switch
                change.in_batch = batch_table is not None
                out.append(change)
            return True
        if spec is None:
            # op.sync_enum_values is modelled (rules/safety.py, rewrites.py) unless its arguments are built at run time
            reason = ("op.sync_enum_values()'s arguments are built at run time, or hold a quote the library pastes "
                      "into its SQL unescaped: which values the enum keeps and which columns it swaps are not known") \
                if attr == "sync_enum_values" \
                else f"op.{attr}() is not modelled by migcheck"
            out.append(RawSQL(text=ast.unparse(call), keyword=f"op.{attr}", understood=False, reason=reason, **common))
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
        schema = self._schema(kw.get("schema"), scope)
        if attr == "add_column":
            node, column_scope = self._local_column(args.get("column"), scope)
            column = self._column(node, column_scope)
            out.append(AddColumn(table=table or "?", column=column, if_not_exists=flag("if_not_exists"), schema=schema,
                                 **common))
            out.extend(self._column_constraints(node, table or "?", column, column_scope, common))
        elif attr == "drop_column":
            out.append(DropColumn(table=table or "?", column=s("column_name") or "?", if_exists=flag("if_exists"),
                                  schema=schema, **common))
        elif attr == "alter_column":
            out.extend(self._alter_column(table or "?", s("column_name") or "?", kw, scope, {**common, "schema": schema}))
        elif attr == "create_table":
            columns = [self._column(*local) for a in call.args[1:]
                       if _is_column_call((local := self._local_column(a, scope))[0])]
            out.append(CreateTable(table=table or "?", columns=columns, if_not_exists=flag("if_not_exists"),
                                   schema=schema, **common))
        elif attr == "drop_table":
            out.append(DropTable(table=table or "?", if_exists=flag("if_exists"), schema=schema,
                                 settled_name=settled_name(args.get("table_name"), table, scope), **common))
        elif attr == "rename_table":
            old = s("old_table_name")
            out.append(RenameTable(table=old or "?", new_name=s("new_table_name") or "?",
                                   settled_name=settled_name(args.get("old_table_name"), old, scope), **common))
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
                schema=schema,
                name_converted=_converted(args.get("index_name")),
                **common,
            ))
        elif attr == "drop_index":
            out.append(DropIndex(name=s("index_name"), table=table, concurrently=flag("postgresql_concurrently"),
                                 if_exists=flag("if_exists"), name_converted=_converted(args.get("index_name")),
                                 **common))
        elif attr.startswith("create_") and attr.endswith(("_constraint", "_key")):
            out.append(self._constraint(attr, args, kw, table if batch_table is None else batch_table, scope, s,
                                        common))
        elif attr == "drop_constraint":
            out.append(DropConstraint(name=s("constraint_name"), table=table, kind_of=s("type_"),
                                      if_exists=flag("if_exists"), name_converted=_converted(args.get("constraint_name")),
                                      **common))
        elif attr == "execute":
            self._execute(call, scope, out, via_bind=False)
        elif attr == "bulk_insert":
            rows = args.get("rows")
            reads = self._rows_read(rows, scope) if rows is not None else Rows()
            out.append(DataChange(action="bulk_insert", table=_table_constructor(args.get("table"), self, scope),
                                  read_tables=tuple(sorted(reads.tables)), read_columns=tuple(sorted(reads.columns)),
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
            name_converted=_converted(args.get("constraint_name")),
            schema=self._schema(kw.get("source_schema"), scope) if attr == "create_foreign_key" else None,
            **common,
        )

    def _alter_column(self, table: str, column: str, kw: dict[str, ast.expr], scope: Scope,
                      common: dict[str, Any]) -> list[Change]:
        out: list[Change] = []
        nullable = kw.get("nullable")
        type_ = self._type_expr(kw["type_"], scope) if kw.get("type_") is not None else None
        existing_type = self._type_expr(kw["existing_type"], scope) if kw.get("existing_type") is not None else None
        existing_nullable = kw.get("existing_nullable")
        using = kw.get("postgresql_using")
        changes_something = nullable is not None or type_ is not None or "server_default" in kw
        if changes_something:
            out.append(AlterColumn(
                table=table,
                column=column,
                nullable=self._flag(nullable, scope),
                type=_type_text(type_) if type_ is not None else None,
                type_module=_type_module(type_),
                using=self._str(using, scope) if using is not None else None,
                server_default_changed="server_default" in kw,
                server_default=self._server_default(kw["server_default"], scope) if "server_default" in kw else None,
                existing_type=_type_text(existing_type) if existing_type is not None else None,
                existing_nullable=self._flag(existing_nullable, scope),
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
                                    existing_nullable=self._flag(existing_nullable, scope),
                                    existing_nullable_given=existing_nullable is not None,
                                    existing_server_default_given="existing_server_default" in kw, **common))
        return out

    def _is_op(self, node: ast.expr) -> bool:
        if isinstance(node, ast.Name):
            return node.id in self.op_names
        return isinstance(node, ast.Attribute) and node.attr == "op" and isinstance(node.value, ast.Name) \
            and node.value.id == "alembic"


def op_functions(tree: ast.Module) -> dict[str, str]:
    """``from alembic.op import create_table, drop_table as dt`` -> {local name: the ``op`` function}: a bare
    ``create_table(...)`` is ``op.create_table(...)`` (held-out-4: fides 6b9885e68cbb)."""
    names: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == "alembic.op" and not node.level:
            names.update((a.asname or a.name, a.name) for a in node.names if a.name != "*")
    return names


def _op_aliases(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == "alembic":
            names.update(a.asname or a.name for a in node.names if a.name == "op")
    return names


def _converted(node: ast.expr | None) -> bool:
    """A name written ``op.f("...")`` or ``batch_op.f(...)`` (a ``conv``): SQLAlchemy takes it as final and cuts one
    longer than the dialect allows to ``name[:max - 8] + "_" + md5[-4:]``, the same on create and on drop."""
    return isinstance(node, ast.Call) and _call_name(node) == "f" and bool(node.args)


def settled_name(node: ast.expr | None, name: str | None, scope: Scope) -> bool:
    """Whether a table name known only at run time (``name`` is ``<copy>``) holds one value wherever its text is
    read in the phase: every name the expression reads is a local that upgrade()/downgrade() itself binds once
    (not a helper's parameter, which each call binds anew), and the text is whole (not cut short by _describe).
    ``copy = f"{t}_old"; drop_table(copy); copy = f"{t}_new"; rename_table(copy, ...)``: two tables (attack27b)."""
    if node is None or name is None or not name.startswith("<") or name.endswith("…>") \
            or scope.depth or scope.function is None:
        return False
    once = names_bound_once(scope.function)
    return all(n.id in once for n in ast.walk(node) if isinstance(n, ast.Name))
