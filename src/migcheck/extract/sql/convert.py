"""A parsed statement to changes: CREATE/ALTER/DROP and the DML shapes sqlglot gives."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from migcheck.extract.sql.text import _names_and_option, _outside_quotes, _unquote
from migcheck.extract.sql.tree import SQLGLOT_DIALECTS, _literal_text, _name, _sql_of, _table_name, _table_schema
from migcheck.extract.sql.where import (
    _assigned_columns,
    _pinned_columns,
    _self_read_columns,
    _set_columns,
    _unbounded_where_of,
    cleared_nulls_of,
    null_tests_of,
)
from migcheck.vocabulary.changes import (
    UNKNOWN_FUNCTION,
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
    SetSetting,
)
from migcheck.vocabulary.lazyregex import lazy_regex
from migcheck.vocabulary.textends import trailing_start

if TYPE_CHECKING:
    from sqlglot import exp


def _convert(tree: exp.Expression, sql: str, keyword: str, dialect: str, common: dict[str, Any]) -> list[Change]:
    from sqlglot import exp

    render = SQLGLOT_DIALECTS.get(dialect, dialect)
    if isinstance(tree, exp.Create):
        kind = (tree.args.get("kind") or "").upper()
        if kind == "INDEX":
            index = tree.this
            table = index.args.get("table")
            params = index.args.get("params")
            columns = [c.sql(render) for c in (params.args.get("columns") or [])] if params else []
            where = params.args.get("where") if params else None
            return [
                CreateIndex(
                    name=_name(index.this),
                    table=_table_name(table),
                    columns=columns,
                    unique=bool(tree.args.get("unique")),
                    concurrently=bool(tree.args.get("concurrently")),
                    where=where.this.sql(render) if where is not None else None,
                    if_not_exists=bool(tree.args.get("exists")),
                    schema=_table_schema(table),  # ON archive.events: the index is in the table's schema
                    **common,
                )
            ]
        if kind == "TABLE" and isinstance(tree.this, exp.Schema):
            columns = [_column_spec(c, render, sql) for c in tree.this.expressions if isinstance(c, exp.ColumnDef)]
            return [
                CreateTable(
                    table=_table_name(tree.this.this) or "?",
                    columns=columns,
                    if_not_exists=bool(tree.args.get("exists")),
                    **common,
                )
            ]
        if kind == "TABLE" and isinstance(tree.this, exp.Table) and (
                tree.args.get("expression") is not None or tree.find(exp.PartitionedOfProperty) is not None
                or tree.find(exp.LikeProperty) is not None):
            # CREATE TABLE .. AS SELECT / PARTITION OF / LIKE (MySQL): a new table, its columns taken from elsewhere
            return [CreateTable(table=_table_name(tree.this) or "?", if_not_exists=bool(tree.args.get("exists")),
                                **common)]
        return [RawSQL(text=sql, keyword=keyword, **common)]
    if isinstance(tree, exp.Select) and dialect == "postgresql" and isinstance(tree.args.get("into"), exp.Into) \
            and isinstance(tree.args["into"].this, exp.Table):
        # SELECT .. INTO t (PostgreSQL): CREATE TABLE t AS SELECT under another name
        return [CreateTable(table=_table_name(tree.args["into"].this) or "?", **common)]
    if isinstance(tree, exp.Drop):
        kind = (tree.args.get("kind") or "").upper()
        tables = tree.args.get("tables") or ([tree.this] if tree.this is not None else [])
        if kind == "TABLE":
            return [
                DropTable(
                    table=_table_name(t) or "?",
                    schema=_table_schema(t),
                    if_exists=bool(tree.args.get("exists")),
                    cascade=bool(tree.args.get("cascade")),
                    **common,
                )
                for t in tables
            ]
        if kind == "INDEX":
            return [
                DropIndex(
                    name=_table_name(t),
                    concurrently=bool(tree.args.get("concurrently")),
                    if_exists=bool(tree.args.get("exists")),
                    schema=_table_schema(t),
                    **common,
                )
                for t in tables
            ]
        return [RawSQL(text=sql, keyword=keyword, **common)]
    if isinstance(tree, exp.Alter) and (tree.args.get("kind") or "").upper() == "TABLE":
        table = _table_name(tree.this) or "?"
        out: list[Change] = []
        for action in tree.args.get("actions") or []:
            out.extend(_renamed_by_change(action, table, common))
            out.append(_alter_action(action, table, bool(tree.args.get("not_valid")), sql, keyword, render, common,
                                     _table_schema(tree.this)))
            out.extend(_inline_constraints(action, table, render, common))
        for change in out:
            if isinstance(change, AlterColumn | AddConstraint | DropConstraint | RenameTable | RenameColumn):
                change.schema = _table_schema(tree.this)
        return out
    if isinstance(tree, exp.Update):
        return [
            DataChange(
                action="update", table=_table_name(tree.this), schema=_table_schema(tree.this), has_where=tree.args.get("where") is not None,
                joined=bool(tree.this.args.get("joins") or tree.args.get("from") or tree.args.get("from_")),
                limited=tree.args.get("limit") is not None,
                self_reads=_self_read_columns(tree),
                unbounded_where=_unbounded_where_of(tree, dialect), null_tests=null_tests_of(tree),
                sets=_set_columns(tree), assigns=_assigned_columns(tree), clears_nulls=cleared_nulls_of(tree),
                pinned=_pinned_columns(tree, dialect), **common
            )
        ]
    if isinstance(tree, exp.Delete):
        return [
            DataChange(
                action="delete", table=_table_name(tree.this), schema=_table_schema(tree.this), has_where=tree.args.get("where") is not None,
                unbounded_where=_unbounded_where_of(tree, dialect), null_tests=null_tests_of(tree),
                clears_nulls=cleared_nulls_of(tree), pinned=_pinned_columns(tree, dialect), **common
            )
        ]
    if isinstance(tree, exp.Insert):
        target = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
        return [DataChange(action="insert", table=_table_name(target), schema=_table_schema(target), **common)]
    if isinstance(tree, exp.Set):
        out = []
        for item in tree.expressions:
            eq = item.this
            if isinstance(eq, exp.EQ):
                out.append(SetSetting(name=eq.this.sql().lower(), value=_literal_text(eq.expression), **common))
            else:
                out.append(RawSQL(text=sql, keyword="SET", **common))
        return out
    if isinstance(tree, exp.Select | exp.SetOperation) and (called := _unknown_call(tree)):
        # SELECT refresh_totals(): runs whatever the project's function does, which no rule reads
        return [RawSQL(text=sql, keyword=keyword, understood=False, reason=(
            f"it calls {called}(), {UNKNOWN_FUNCTION}: what it does in the database is not read"), **common)]
    return [RawSQL(text=sql, keyword=keyword, **common)]


def _unknown_call(tree: exp.Expression) -> str | None:
    """The first function a SELECT calls that is not a database's own (``facts.postgres.known_function``), as
    written, with its schema (``audit.refresh``: a schema's function is always the project's); None when none."""
    from sqlglot import exp

    from migcheck.facts.postgres import known_function

    for call in tree.find_all(exp.Anonymous):
        parent = call.parent
        schema = parent.this.sql() if isinstance(parent, exp.Dot) and parent.expression is call \
            else parent.args["db"].sql() if isinstance(parent, exp.Table) and parent.args.get("db") else None
        if (schema is not None and schema.lower() != "pg_catalog") or not known_function(call.name):
            return f"{schema}.{call.name}" if schema else call.name
    return None


def _renamed_by_change(action: exp.Expression, table: str, common: dict[str, Any]) -> list[Change]:
    """MySQL's ``CHANGE old new TYPE`` renames before it redefines: the rename, so that the history knows the
    column under its new name (its type, its creation) and the rename rules see it. ``CHANGE c c TYPE``
    renames nothing."""
    from sqlglot import exp

    if not isinstance(action, exp.ModifyColumn):
        return []
    old, new = _name(action.args.get("rename_from")), _name(action.this.this) if action.this is not None else None
    if not old or not new or old.lower() == new.lower():
        return []
    return [RenameColumn(table=table, column=old, new_name=new, **common)]


def _alter_action(
    action: exp.Expression,
    table: str,
    not_valid: bool,
    sql: str,
    keyword: str,
    render: str,
    common: dict[str, Any],
    schema: str | None = None,
) -> Change:
    from sqlglot import exp

    if isinstance(action, exp.ColumnDef):
        return AddColumn(table=table, column=_column_spec(action, render, sql), if_not_exists=bool(action.args.get("exists")),
                         **common)
    if isinstance(action, exp.Drop):
        kind = (action.args.get("kind") or "COLUMN").upper()
        target = (action.args.get("tables") or [action.this])[0]
        name = _table_name(target) or _name(target)
        if kind == "CONSTRAINT":
            return DropConstraint(name=name, table=table, if_exists=bool(action.args.get("exists")), **common)
        if kind in {"INDEX", "KEY"}:  # MySQL's ALTER TABLE t DROP INDEX ix: an index, not a column
            return DropIndex(name=name, table=table, if_exists=bool(action.args.get("exists")), **common)
        if kind in {"PRIMARY KEY", "FOREIGN KEY", "CHECK"}:
            return DropConstraint(name=name, table=table, **common)
        return DropColumn(table=table, column=name or "?", if_exists=bool(action.args.get("exists")), schema=schema,
                          **common)
    if isinstance(action, exp.AlterColumn):
        allow_null = action.args.get("allow_null")
        dtype = action.args.get("dtype")
        default = action.args.get("default")
        using = action.args.get("using")
        # DROP NOT NULL also sets ``drop``; only a DROP without allow_null is DROP DEFAULT
        drops_default = action.args.get("drop") is True and allow_null is None
        return AlterColumn(
            table=table,
            column=_name(action.this) or "?",
            nullable=None if allow_null is None else bool(allow_null),
            type=_sql_of(dtype, render),
            using=_sql_of(using, render),
            server_default_changed=_sql_of(default, render) is not None or drops_default,
            server_default=_sql_of(default, render),
            **common,
        )
    if isinstance(action, exp.ModifyColumn):
        spec = _column_spec(action.this, render)
        return AlterColumn(
            table=table,
            column=spec.name or "?",
            nullable=spec.nullable if spec.nullable is not None else True,
            type=spec.type,
            server_default_changed=True,
            server_default=spec.server_default,
            **common,
        )
    if isinstance(action, exp.RenameColumn):
        return RenameColumn(table=table, column=_name(action.this) or "?", new_name=_name(action.args.get("to")) or "?", **common)
    if isinstance(action, exp.AlterRename):
        return RenameTable(table=table, new_name=_table_name(action.this) or "?", **common)
    if isinstance(action, exp.AddConstraint):
        index = _mysql_index(action, table, render, common, schema)
        return index if index is not None else _add_constraint(action, table, not_valid, render, common)
    return RawSQL(text=sql, keyword=keyword, **common)


def _mysql_index(action: exp.Expression, table: str, render: str, common: dict[str, Any],
                 schema: str | None) -> CreateIndex | None:
    """MySQL's ``ALTER TABLE t ADD KEY ix (a, b)`` / ``ADD INDEX`` / ``ADD FULLTEXT KEY`` and ``ADD UNIQUE KEY
    ux (a)`` (no CONSTRAINT keyword): an index, as ``CREATE [UNIQUE] INDEX ix ON t (a, b)`` makes it (MariaDB
    10.11: SHOW INDEX lists it, ``DROP INDEX ix`` drops it, adding it again fails with 1061 "Duplicate key
    name"; an unnamed one is named after its first column). sqlglot reads them as an AddConstraint of an
    IndexColumnConstraint (a plain key) or of a bare UniqueColumnConstraint; ``ADD CONSTRAINT ux UNIQUE (a)``
    stays a unique constraint, as ``op.create_unique_constraint`` writes it."""
    from sqlglot import exp

    if render != "mysql" or len(action.expressions) != 1:
        return None
    item = action.expressions[0]
    if isinstance(item, exp.IndexColumnConstraint):
        return CreateIndex(name=_name(item.this), table=table, columns=[c.sql(render) for c in item.expressions],
                           schema=schema, **common)
    if isinstance(item, exp.UniqueColumnConstraint) and isinstance(item.this, exp.Schema):
        return CreateIndex(name=_name(item.this.this), table=table, unique=True,
                           columns=[c.sql(render) for c in item.this.expressions], schema=schema, **common)
    return None


def _add_constraint(
    action: exp.Expression, table: str, not_valid: bool, render: str, common: dict[str, Any]
) -> AddConstraint:
    from sqlglot import exp

    name: str | None = None
    kind: ConstraintKind = "unknown"
    columns: list[str] = []
    referent: str | None = None
    condition: str | None = None
    for item in action.expressions:
        parts = [item]
        if isinstance(item, exp.Constraint):
            name = _name(item.this)
            parts = list(item.expressions)
        for part in parts:
            if isinstance(part, exp.ForeignKey):
                kind = "foreign_key"
                columns = [_name(c) or "?" for c in part.expressions]
                ref = part.args.get("reference")
                if ref is not None:
                    target = ref.this.this if isinstance(ref.this, exp.Schema) else ref.this
                    referent = _table_name(target)
            elif isinstance(part, exp.PrimaryKey):
                kind = "primary_key"
                columns = [_name(c) or "?" for c in part.expressions]
            elif isinstance(part, exp.UniqueColumnConstraint):
                kind = "unique"
                schema = part.this
                columns = [_name(c) or "?" for c in schema.expressions] if schema is not None else []
            elif isinstance(part, exp.CheckColumnConstraint):
                kind = "check"
                condition = part.this.sql(render)
            elif isinstance(part, exp.ExcludeColumnConstraint):
                kind = "exclude"
    return AddConstraint(
        kind_of=kind,
        name=name,
        table=table,
        columns=columns,
        not_valid=not_valid,
        referent=referent,
        condition=condition,
        **common,
    )


def _inline_constraints(action: exp.Expression, table: str, render: str, common: dict[str, Any]) -> list[Change]:
    """``ADD COLUMN c int UNIQUE / PRIMARY KEY / REFERENCES t / CHECK (...)``: the constraint PostgreSQL adds
    with the column."""
    from sqlglot import exp

    if not isinstance(action, exp.ColumnDef):
        return []
    column = _name(action.this) or "?"
    out: list[Change] = []
    for constraint in action.args.get("constraints") or []:
        ckind = constraint.args.get("kind")
        name = _name(constraint.this) if isinstance(constraint.this, exp.Identifier) else None
        kind: ConstraintKind | None = None
        referent = None
        if isinstance(ckind, exp.UniqueColumnConstraint):
            kind = "unique"
        elif isinstance(ckind, exp.PrimaryKeyColumnConstraint):
            kind = "primary_key"
        elif isinstance(ckind, exp.Reference):
            kind = "foreign_key"
            target = ckind.this.this if isinstance(ckind.this, exp.Schema) else ckind.this
            referent = _table_name(target)
        elif isinstance(ckind, exp.CheckColumnConstraint):
            kind = "check"  # checked against every row while the ADD COLUMN holds ACCESS EXCLUSIVE
        if kind is not None:
            condition = _sql_of(ckind.this, render) if kind == "check" else None
            out.append(AddConstraint(kind_of=kind, name=name, table=table, columns=[column], referent=referent,
                                     condition=condition, **common))
    return out


_CREATE_ENUM = lazy_regex(r"^CREATE\s+TYPE\s+(\S+)\s+AS\s+ENUM\b", re.I)


#: The names after it are cut by textends (a lazy ``(.+?)(?:\s+CASCADE)?\s*$`` was cubic).
_DROP_TYPE = lazy_regex(r"^DROP\s+TYPE\s+(?:IF\s+EXISTS\s+)?", re.I)


def enum_type_changes(sql: str, common: dict[str, Any]) -> list[Change]:
    """``CREATE TYPE x AS ENUM`` / ``DROP TYPE x``: typed, so downgrade checks can pair them."""
    if m := _CREATE_ENUM.match(sql):
        return [CreateEnumType(name=_unquote(m.group(1)), **common)]
    if (m := _DROP_TYPE.match(sql)) and (found := _names_and_option(
            sql[m.end():trailing_start(sql, m.end(), semicolon=False)] or sql[m.end():m.end() + 1])):
        return [DropEnumType(name=_unquote(n.strip()), **common) for n in found[0].split(",") if n.strip()]
    return []


def _column_spec(coldef: exp.Expression, render: str, sql: str | None = None) -> ColumnSpec:
    """The column ``coldef`` defines; ``sql``, the statement it comes from, gives its default as written."""
    from sqlglot import exp

    spec = ColumnSpec(name=_name(coldef.this))
    kind = coldef.args.get("kind")
    spec.type = kind.sql(render) if kind is not None else None
    if spec.type and spec.type.upper() in {"SERIAL", "BIGSERIAL", "SMALLSERIAL"}:
        spec.server_default = "nextval()"
    for constraint in coldef.args.get("constraints") or []:
        ckind = constraint.args.get("kind")
        if isinstance(ckind, exp.NotNullColumnConstraint):
            spec.nullable = bool(ckind.args.get("allow_null"))
        elif isinstance(ckind, exp.DefaultColumnConstraint):
            spec.server_default = ckind.this.sql(render)
            spec.server_default_text = _written(ckind.this, sql, "DEFAULT") if sql else None
        elif isinstance(ckind, exp.PrimaryKeyColumnConstraint):
            spec.primary_key = True
        elif isinstance(ckind, exp.AutoIncrementColumnConstraint):
            spec.autoincrement = True  # MySQL's AUTO_INCREMENT: numbers every row, old ones too
        elif isinstance(ckind, exp.Reference):
            spec.references = _table_name(ckind.this.this if isinstance(ckind.this, exp.Schema) else ckind.this)
        elif isinstance(ckind, exp.GeneratedAsIdentityColumnConstraint):
            if ckind.args.get("expression") is not None:  # GENERATED ALWAYS AS (expr): virtual (PG 18)
                spec.computed = ckind.args["expression"].sql(render)
            else:
                spec.identity = True
        elif isinstance(ckind, exp.ComputedColumnConstraint):
            spec.computed = ckind.this.sql(render)
            spec.computed_stored = bool(ckind.args.get("persisted")) or "STORED" in constraint.sql(render).upper()
    return spec


#: What can follow a column's DEFAULT expression in its definition.
#: (Only at the first blank of a run: tried at each blank of a long run, ``\s+`` took quadratic time.)
_AFTER_DEFAULT = lazy_regex(
    r"(?<!\s)\s+(?:NOT\s+NULL|NULL|CONSTRAINT|CHECK|REFERENCES|PRIMARY|UNIQUE|GENERATED|COLLATE)\b", re.I)


def _written(node: exp.Expression, sql: str, keyword: str) -> str | None:
    """``node`` as the user wrote it after ``keyword`` in ``sql`` (``DEFAULT uuid()``, not sqlglot's
    rewriting ``GEN_RANDOM_UUID()``), so messages quote the migration's own text; None when not found."""
    starts = [n.meta["start"] for n in node.walk() if isinstance(n.meta.get("start"), int)]
    if not starts:
        return None
    found = None
    for m in re.finditer(rf"\b{keyword}\b", sql[: min(starts) + 1], re.I):
        found = m
    if found is None:
        return None
    rest = sql[found.end():]
    opened = 0  # parentheses opened after the keyword: a ")" with none open ends the expression
    for i, char, _ in _outside_quotes(rest):
        if char == "(":
            opened += 1
        elif char == ")":
            if opened == 0:
                return rest[:i].strip() or None
            opened -= 1
        elif opened == 0 and (char in ",;" or _AFTER_DEFAULT.match(rest, i)):
            return rest[:i].strip() or None
    return rest.strip() or None
