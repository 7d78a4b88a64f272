"""Column changes that rewrite or scan a whole table under an ACCESS EXCLUSIVE lock (PostgreSQL)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import replace

from migcheck.facts.postgres import (
    PgType,
    classify_type_change,
    declared_functions,
    function_volatility,
    is_serial,
    parse_type,
    timezone_set,
    unknown_call,
    using_computes,
    using_is_plain_cast,
    volatile_call,
)
from migcheck.rules import lookback
from migcheck.rules.context import RevisionContext
from migcheck.rules.design import non_native_enum, stored_type
from migcheck.rules.emptied import TRUNCATE_FIX, deleted_rows_note, emptied_before
from migcheck.rules.fixes import lit, sa_type, shorten
from migcheck.rules.history_index import default_schema, is_commit
from migcheck.rules.registry import Hit, change_rule
from migcheck.rules.table_state import never_indexed
from migcheck.vocabulary.changes import AddColumn, AlterColumn, Change, DataChange, RawSQL, RenameColumn, RenameTable
from migcheck.vocabulary.findings import Severity

_INTEGER_TYPES = {"int2", "int4", "int8"}
_TEXTLIKE = {"varchar", "text"}


def _rewrite_reason(ctx: RevisionContext, change: AddColumn) -> tuple[str, str] | None:
    """(why the ADD COLUMN rewrites the table, the kind of fix), or None when it is metadata-only.
    The kind ``"undeclared"`` is a project function whose volatility the history does not show."""
    col = change.column
    version = ctx.settings.postgres_version
    if col.computed and col.computed_stored:
        note = ""
        if version >= 18 and change.origin == "python":
            note = " (sa.Computed without persisted=False renders STORED before SQLAlchemy 2.1)"
        return f"it is a STORED generated column{note}: every row is computed and written", "generated"
    if col.identity:
        return "it is an identity column: every existing row gets a sequence value written", "sequence"
    if is_serial(col.type):
        return f"{col.type.lower() if col.type else 'serial'} fills every existing row from a sequence " \
               "(nextval() is volatile)", "sequence"
    if _renders_as_serial(change):
        return "an integer primary key column is rendered as SERIAL by SQLAlchemy, which fills every existing " \
               "row from a sequence (nextval() is volatile)", "sequence"
    default = col.server_default
    if default is None or default.strip().upper() == "NULL":
        return None
    volatile = volatile_call(default)
    written = shorten(col.server_default_text or default, 60)
    if volatile is not None:
        calls = f"{written}" if col.server_default_text else f"calls {volatile}(), which"
        return f"its default {calls} is VOLATILE: PostgreSQL evaluates it for every " \
               f"existing row and writes the table anew", "volatile"
    if version < 11:
        return f"before PostgreSQL 11 any non-null default (here {written}) is written into every existing row " \
               f"(target: PostgreSQL {version})", "volatile"
    unknown = unknown_call(default)
    if unknown is not None and not _declared_not_volatile(ctx, change, unknown):
        return f"its default calls {unknown}(), a function that is not PostgreSQL's own and that no CREATE FUNCTION " \
               f"in the history declares IMMUTABLE or STABLE: a function is VOLATILE unless declared otherwise, and " \
               f"unless PostgreSQL can inline it (a one-statement SQL function over non-volatile calls) it evaluates " \
               f"it for every existing row and writes the table anew", "undeclared"
    return None


def _declared_not_volatile(ctx: RevisionContext, change: AddColumn, name: str) -> bool:
    """Whether the last CREATE [OR REPLACE] FUNCTION of ``name`` before ``change`` (in this revision or an
    earlier one) declares it IMMUTABLE or STABLE: a later one saying VOLATILE (or nothing) replaces it."""
    for c in lookback.earlier_keyed(ctx, change, "function", _functions_declared, name):
        declared = function_volatility(c.text, name) if isinstance(c, RawSQL) and c.text else None
        if declared is not None:
            return declared in {"immutable", "stable"}
    return False


def _functions_declared(c: Change) -> frozenset[str]:
    """The functions (lower case) a CREATE [OR REPLACE] FUNCTION of ``c``'s SQL declares (declared_functions)."""
    return declared_functions(c.text) if isinstance(c, RawSQL) and c.text else frozenset()


def _renders_as_serial(change: AddColumn) -> bool:
    col = change.column
    if change.origin != "python" or not col.primary_key or col.identity or col.server_default is not None:
        return False
    parsed = parse_type(col.type)
    return parsed is not None and parsed.name in _INTEGER_TYPES and col.autoincrement is not False


@change_rule("add-column-with-volatile-default", severity=Severity.ERROR, on=(AddColumn,), dialects={"postgresql"})
def add_column_with_volatile_default(ctx: RevisionContext, change: AddColumn) -> Iterator[Hit]:
    """A column added with a volatile default, serial/identity or stored generated: the table is rewritten."""
    if ctx.created_here(change.table) or _empty_here(ctx, change, change.table, change.schema):
        return
    reason = _rewrite_reason(ctx, change)
    if reason is None:
        return
    why, kind = reason
    col = change.column
    name = f"{change.table}.{col.name}"
    table, column = change.table, col.name
    if kind == "generated":
        fix = (
            f'op.add_column({lit(table)}, sa.Column({lit(column)}, {sa_type(col.type)}, nullable=True))\n'
            "# keep it filled with a BEFORE INSERT OR UPDATE trigger, backfill existing rows in batches"
            + ("\n# or, on PostgreSQL 18: sa.Computed(..., persisted=False) for a VIRTUAL column"
               if ctx.settings.postgres_version >= 18 else "")
        )
    elif kind == "sequence":
        fix = (
            f'op.add_column({lit(table)}, sa.Column({lit(column)}, sa.BigInteger(), nullable=True))\n'
            f'op.execute("CREATE SEQUENCE {table}_{column}_seq OWNED BY {table}.{column}")\n'
            f'op.alter_column({lit(table)}, {lit(column)}, server_default=sa.text("nextval(\'{table}_{column}_seq\')"))\n'
            "# backfill existing rows in batches, then add NOT NULL / the key in later revisions"
        )
    else:
        default = col.server_default_text or col.server_default or "..."
        fix = (
            f'op.add_column({lit(table)}, sa.Column({lit(column)}, {sa_type(col.type)}, nullable=True))\n'
            "# SET DEFAULT only applies to rows inserted from now on: no rewrite\n"
            f'op.alter_column({lit(table)}, {lit(column)}, server_default=sa.text({lit(default)}))\n'
            "# then backfill existing rows in batches, in a revision of its own"
        )
    undeclared = kind == "undeclared"
    if undeclared:
        fix += f"\n# or, if {unknown_call(col.server_default)}() is IMMUTABLE or STABLE, say so in its CREATE FUNCTION"
    yield Hit(
        f"column {name} is added to an existing table and {why}: the table and its indexes are rewritten "
        f"under an ACCESS EXCLUSIVE lock, which blocks every read and write until it ends",
        fix=fix,
        severity=Severity.WARNING if undeclared else None,  # it may be declared outside the migrations
    )


@change_rule("set-not-null", severity=Severity.ERROR, on=(AlterColumn,), dialects={"postgresql"})
def set_not_null(ctx: RevisionContext, change: AlterColumn) -> Iterator[Hit]:
    """SET NOT NULL on an existing table scans every row under an ACCESS EXCLUSIVE lock."""
    if change.nullable is not False or change.existing_nullable is False or ctx.created_here(change.table):
        return
    if change.schema is None and lookback.renamed_new_table(ctx, change, change.table):
        return  # a copy and swap's new table, renamed in the transaction: nobody else sees it before COMMIT
    history = lookback.column_nullable(ctx, change, change.table, change.column)
    if history is False:
        return  # already NOT NULL (restated next to a type change): PostgreSQL does nothing, no scan
    if history is None and _downgrade_keeps_not_null(ctx, change):
        return  # the revision itself says the column was NOT NULL before it, as existing_nullable=False would
    version = ctx.settings.postgres_version
    table, column = change.table, change.column
    emptied = emptied_before(ctx, change, table, change.schema)
    if isinstance(emptied, RawSQL | AddColumn):
        return  # TRUNCATE (or an ADD COLUMN that fails on rows) earlier in the transaction: nothing to scan
    added = _added_empty(ctx, change) if emptied is None else None
    if added is not None:
        yield _fails_on_rows(change, added)
        return
    if version >= 12 and lookback.validated_not_null_check(ctx, change, table, column) is not None:
        return  # PostgreSQL 12+ proves NOT NULL from the validated CHECK and skips the scan
    name = f"ck_{table}_{column}_not_null"
    if version >= 12:
        pg18 = (
            f"\n# on PostgreSQL 18 a NOT NULL constraint itself can be NOT VALID:\n"
            f'# op.execute("ALTER TABLE {table} ADD CONSTRAINT {table}_{column}_not_null NOT NULL {column} '
            f'NOT VALID"), then VALIDATE CONSTRAINT in a later revision'
            if version >= 18 else ""
        )
        fix = (
            f'# revision 1\nop.create_check_constraint({lit(name)}, {lit(table)}, "{column} IS NOT NULL", '
            f"postgresql_not_valid=True)\n"
            f'# revision 2 (a later transaction)\nop.execute("ALTER TABLE {table} VALIDATE CONSTRAINT {name}")\n'
            f'# revision 3: no scan now, PostgreSQL uses the valid CHECK\n'
            f'op.alter_column({lit(table)}, {lit(column)}, nullable=False)\n'
            f'op.drop_constraint({lit(name)}, {lit(table)}, type_="check"){pg18}'
        )
        how = f"no validated CHECK ({column} IS NOT NULL) precedes it, in this revision or an earlier one"
    else:
        fix = (
            f'op.create_check_constraint({lit(name)}, {lit(table)}, "{column} IS NOT NULL", postgresql_not_valid=True)\n'
            f'# then VALIDATE it in a later revision and keep the CHECK instead of NOT NULL: before PostgreSQL 12 '
            f"SET NOT NULL always scans"
        )
        how = f"before PostgreSQL 12 the scan cannot be avoided (target: PostgreSQL {version})"
    yield Hit(
        f"SET NOT NULL on {table}.{column} scans the whole table under an ACCESS EXCLUSIVE lock, blocking every "
        f"read and write until it ends; {how}" + (deleted_rows_note(emptied) if emptied is not None else ""),
        fix=fix + (TRUNCATE_FIX if emptied is not None else ""),
    )


def _downgrade_keeps_not_null(ctx: RevisionContext, change: AlterColumn) -> bool:
    """The downgrade, which puts back the state before the upgrade, makes the same column NOT NULL too,
    unconditionally (held-out-27 #136, faf fd5dc71471cc: ``type_=String(256), nullable=False`` up and
    ``type_=String(64), nullable=False`` down, a widening that restates nullable): the revision says the
    column was NOT NULL before it, as ``existing_nullable=False`` does, and PostgreSQL's SET NOT NULL on a NOT
    NULL column is a no-op. Asked only where the history does not say; a history that left it nullable wins.
    Both steps must change something else beside it (a type, a server default): a step whose only change is
    ``nullable=False`` is there to make the column NOT NULL, so it was not, and a downgrade that says the same is
    one copied from the upgrade and never inverted (attack27c)."""
    if change.phase != "upgrade" or change.conditional or change.guarded or not _restates(change):
        return False
    table, column = change.table.lower(), (change.column or "").lower()
    said = [c for c in ctx.migration.downgrade_changes
            if isinstance(c, AlterColumn) and c.nullable is not None and c.table.lower() == table
            and (c.column or "").lower() == column and c.schema == change.schema]
    last = said[-1] if said else None  # the state the downgrade leaves
    return last is not None and last.nullable is False and not last.conditional and not last.guarded \
        and _restates(last)


def _restates(change: AlterColumn) -> bool:
    """An ALTER COLUMN that changes the type or the server default too: its ``nullable=False`` may be a restatement."""
    return change.type is not None or change.server_default_changed


def _empty_here(ctx: RevisionContext, change: Change, table: str | None, schema: str | None) -> bool:
    """A TRUNCATE, or an ADD COLUMN NOT NULL that fails on any row (held-out-16 #24), earlier in the same
    transaction leaves the table empty: the rewrite copies no row, under the ACCESS EXCLUSIVE lock that step
    holds until COMMIT anyway. After a DELETE without WHERE the rewrite is not measured, and stays reported."""
    return isinstance(emptied_before(ctx, change, table, schema), RawSQL | AddColumn)


def _added_empty(ctx: RevisionContext, change: AlterColumn) -> AddColumn | None:
    """The unconditional ``add_column`` earlier in this function that made the column without a default that
    fills the rows, with nothing between them that may write rows (a data change, SQL migcheck could not
    read): every existing row then holds NULL when SET NOT NULL runs (held-out-8 #136, spiff-arena
    68adb1d504e1: ``add_column('json_data_hash', sa.String(255))`` and ``nullable=False`` the line after)."""
    changes = ctx.migration.upgrade_changes if change.phase == "upgrade" else ctx.migration.downgrade_changes
    table, column = (change.table or "").lower(), (change.column or "").lower()
    added: AddColumn | None = None
    for c in changes:
        if c is change:
            return added if added is not None and _nothing_between(ctx, added, change) else None
        if isinstance(c, AddColumn) and c.table.lower() == table and (c.column.name or "").lower() == column:
            col = c.column
            empty = not (c.conditional or c.guarded or col.computed or col.identity or col.primary_key
                         or lookback.fills_rows(col.server_default))
            added = c if empty else None
        elif added is not None and (isinstance(c, DataChange) or c.interpolated
                                    or (isinstance(c, RawSQL) and (not c.understood or not c.is_schema))):
            added = None
    return None


def _nothing_between(ctx: RevisionContext, first: Change, last: Change) -> bool:
    """No Python statement but a ``with`` header starts between the two changes' lines: nothing migcheck does
    not model (``batch_op.execute("UPDATE ...")`` after its ``with`` block, dstack 7ba3b59d7ca6; a helper's
    call) can have filled the rows in between."""
    if first.origin != "python" or last.origin != "python":
        return first.origin == last.origin == "sql"
    try:
        tree = ast.parse("\n".join(ctx.migration.source_lines))
    except (SyntaxError, ValueError, RecursionError):
        return False
    return not any(isinstance(node, ast.stmt) and not isinstance(node, ast.With | ast.AsyncWith)
                   and first.line < node.lineno < last.line for node in ast.walk(tree))


def _fails_on_rows(change: AlterColumn, added: AddColumn) -> Hit:
    """SET NOT NULL on a column that holds NULL in every existing row: no long scan, a failure."""
    table, column = change.table, change.column
    kind = sa_type(added.column.type)
    return Hit(
        f"SET NOT NULL on {table}.{column}, which line {added.line} added without a default: every existing "
        f"row holds NULL there, so on a table with rows it fails (column \"{column}\" of relation \"{table}\" "
        f"contains null values) and the revision aborts; it only succeeds on an empty table",
        fix=(
            f"# give the rows a value as the column is added (PostgreSQL 11+: a constant default needs no rewrite)\n"
            f"op.add_column({lit(table)}, sa.Column({lit(column)}, {kind}, nullable=False, "
            f"server_default=...))\n"
            f"# or add it nullable, backfill it, and set NOT NULL in a later revision"
        ),
    )


@change_rule("drop-not-null", severity=Severity.WARNING, on=(AlterColumn,), dialects={"postgresql"})
def drop_not_null(ctx: RevisionContext, change: AlterColumn) -> Iterator[Hit]:
    """DROP NOT NULL: code still running assumes the column is never NULL, and the downgrade may fail."""
    if change.nullable is not True or change.existing_nullable is True or ctx.created_here(change.table):
        return
    if lookback.column_nullable(ctx, change, change.table, change.column) is True:
        return  # already nullable (autogenerate repeats it): nothing changes
    if _made_in_phase(ctx, change):
        return  # a column this revision made: no release running now has seen it NOT NULL
    if _continuum_version_column(ctx, change):
        return
    restored = _downgrade_fails(ctx, change)
    if ctx.on_contract and not restored:
        return  # a contract revision runs once no release that reads the column as never NULL is left
    yield Hit(
        f"{change.table}.{change.column} becomes nullable: once NULLs are written the downgrade's SET NOT NULL "
        f"fails" if ctx.on_contract else
        f"{change.table}.{change.column} becomes nullable: the application version still running reads it as "
        f"never NULL" + (", and once NULLs are written the downgrade's SET NOT NULL fails" if restored else ""),
        fix=(
            "release code that handles NULL in this column first; then drop NOT NULL, with a reason:\n"
            f'op.alter_column({lit(change.table)}, {lit(change.column)}, nullable=True)  '
            f"# migcheck: ignore[drop-not-null] -- readers handle NULL since release X"
        ),
    )


def _made_in_phase(ctx: RevisionContext, change: AlterColumn) -> bool:
    """The column was added earlier in the same phase of this revision (held-out-19 #49: dropped, added again as
    UUID NOT NULL, then made nullable), as ``created_here`` holds a table new: the NOT NULL it had between never
    reached a release. Not when the add may have found the column there (IF NOT EXISTS, an existence guard), nor
    when the history before this revision shows a NOT NULL column of that name, which the running release reads as
    never NULL whatever this revision did to it in between."""
    table, column = (change.table or "").lower(), (change.column or "").lower()
    schema = default_schema(change.schema)
    added = None
    for c in reversed(lookback.phase_before(ctx, change)):
        if isinstance(c, AddColumn) and c.table.lower() == table and (c.column.name or "").lower() == column \
                and default_schema(c.schema) == schema:
            added = c
            break
        if isinstance(c, RenameColumn) and c.table.lower() == table and column in {c.column.lower(), c.new_name.lower()}:
            return False  # the name came from another column
        if isinstance(c, RenameTable) and table in {c.table.lower(), c.new_name.lower()}:
            return False
    if added is None or added.if_not_exists or added.unless_exists:
        return False
    first = (ctx.migration.downgrade_changes if change.phase == "downgrade" else ctx.migration.upgrade_changes)[0]
    return lookback.column_nullable(ctx, first, change.table, change.column) is not False


#: The columns SQLAlchemy-Continuum adds to every version table, under its default option names; it maps them
#: NOT NULL (``transaction_id`` is part of the key), and nothing else of the table.
_CONTINUUM_COLUMNS = frozenset({"transaction_id", "operation_type"})


def _continuum_version_column(ctx: RevisionContext, change: AlterColumn) -> bool:
    """A column copied from its parent into a SQLAlchemy-Continuum version table (held-out-18 #50-#53): a
    ``<table>_version`` the history gives ``transaction_id`` and ``operation_type`` columns. Continuum maps every
    column of it that is not in the primary key as nullable (``ColumnReflector.reflect_column``) and writes its
    rows itself, copying the parent row's values: no release reads it as never NULL, and rows it could write
    NULL into would already have failed the NOT NULL, so the drop only aligns the table with that mapping."""
    table, column = (change.table or "").lower(), (change.column or "").lower()
    if not table.endswith("_version") or column in _CONTINUUM_COLUMNS:
        return False
    columns = lookback.table_columns(ctx, change, change.table)
    return columns is not None and columns >= _CONTINUUM_COLUMNS


def _downgrade_fails(ctx: RevisionContext, change: AlterColumn) -> bool:
    """Whether this revision's downgrade sets NOT NULL on the column again without first deleting or filling
    the rows where it is NULL: only then can it fail on the NULLs written meanwhile (held-out-7 #44,
    held-out-8 #57, #58: ``DELETE FROM t WHERE col IS NULL`` before it cannot fail). A clean-up counts on the
    same schema's table only, and not once a later statement writes the table again (an INSERT, or an UPDATE
    that may set the column to NULL) before the SET NOT NULL (review9); an UPDATE whose SET names only other
    columns writes none of this one's (held-out-11 #59)."""
    table, column = (change.table or "").lower(), (change.column or "").lower()
    schema = default_schema(change.schema)
    cleared = False
    for c in ctx.migration.downgrade_changes:
        if isinstance(c, DataChange) and (c.table or _model_table(ctx, c) or "").lower() == table \
                and default_schema(c.schema) == schema:
            if _clears_nulls(c, column):
                cleared = True
            elif c.action != "delete" and not (c.action == "update" and c.assigns and column not in c.assigns):
                cleared = False  # may write NULLs again (an UPDATE of other columns only cannot)
        elif isinstance(c, AlterColumn) and c.nullable is False and (c.table or "").lower() == table \
                and (c.column or "").lower() == column and default_schema(c.schema) == schema:
            return not cleared
    return False


def _model_table(ctx: RevisionContext, change: DataChange) -> str | None:
    """The table of the application model a Core statement writes through (``models.Event.__table__.delete()``,
    held-out-27 #59): the one table the models map from a class of that name; None when no class or several."""
    head = ctx.app.head if ctx.app else None
    if change.app_table is None or head is None or not change.app_table[1]:
        return None
    owner = change.app_table[1][-1]
    found = [t.name for t in head.tables.values() if t.owner == owner]
    return found[0] if len(found) == 1 else None


def _clears_nulls(change: DataChange, column: str) -> bool:
    """An unconditional statement, run once, that leaves its table's ``column`` without a NULL row."""
    if change.conditional or change.row_loop is not None:
        return False
    return column in change.clears_nulls or (change.action == "delete" and change.has_where is False)


def _sync_enum_tables(text: str | None) -> list[str]:
    """The tables named in ``op.sync_enum_values(..., affected_columns=[...])``."""
    if not text:
        return []
    try:
        call = ast.parse(text, mode="eval").body
    except SyntaxError:
        return []
    if not isinstance(call, ast.Call):
        return []
    node = next((k.value for k in call.keywords if k.arg == "affected_columns"), None)
    if node is None and len(call.args) > 4:
        node = call.args[4]
    tables: list[str] = []
    for item in getattr(node, "elts", []):
        first = None
        if isinstance(item, ast.Tuple) and item.elts:
            first = item.elts[0]
        elif isinstance(item, ast.Call):
            first = item.args[0] if item.args else next(
                (k.value for k in item.keywords if k.arg == "table_name"), None)
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            tables.append(first.value)
    return tables


def _restored_type(ctx: RevisionContext, table: str, column: str) -> str | None:
    """The type the downgrade sets the column back to, when it sets exactly one: the type before the
    upgrade, when neither existing_type= nor the history says."""
    types = {c.type for c in ctx.migration.downgrade_changes
             if isinstance(c, AlterColumn) and c.type and (c.table or "").lower() == table.lower()
             and (c.column or "").lower() == column.lower()}
    return types.pop() if len(types) == 1 else None


def _old_type(ctx: RevisionContext, change: AlterColumn) -> tuple[str | None, str]:
    """(the column's type before the change, where it was read). The history (the type an earlier revision
    created or altered it to) wins over an ``existing_type=`` that names another type: the database holds
    what the migrations made, and a wrong existing_type= must neither silence nor mislead the verdict
    (review9). An existing_type= that reads as the same type, or a history migcheck cannot read, leaves it."""
    table, column = change.table, change.column
    history = lookback.column_type(ctx, change, table, column)
    if change.existing_type is not None:
        if history is not None and _contradicts(ctx, change.existing_type, history):
            return history, "contradicted"
        return change.existing_type, "existing_type"
    if history is not None:
        return history, "history"
    return _restored_type(ctx, table, column), "downgrade"


def _contradicts(ctx: RevisionContext, written: str, history: str) -> bool:
    """Whether two readable types are different types on PostgreSQL (``sa.String(20)`` and ``VARCHAR(20)`` are
    not; an application type either cannot be told apart)."""
    if non_native_enum(written)[0] and _enum_name(history) is not None:
        return True  # existing_type= says VARCHAR (a non-native Enum), the history made a PostgreSQL enum type
    (a, a_known), (b, b_known) = stored_type(ctx, written), stored_type(ctx, history)
    first, second = parse_type(a) if a_known else None, parse_type(b) if b_known else None
    if first is None or second is None:
        return False
    return (first.name, first.params, first.array) != (second.name, second.params, second.array)


_ENUM_CALL = re.compile(r"\bENUM\(", re.I)
_NAME_KEYWORD = re.compile(r"\bname\s*=\s*['\"]([^'\"]+)['\"]", re.I)
_BARE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _enum_name(text: str | None, bare: bool = False) -> str | None:
    """The PostgreSQL type ``sa.Enum(..., name="x")`` stands for; with ``bare``, also a type written by name only
    (``resource_type_state_enum``, from a raw ``ALTER COLUMN .. TYPE resource_type_state_enum``)."""
    if not text or non_native_enum(text)[0]:
        return None  # Enum(..., native_enum=False) is a VARCHAR: no PostgreSQL type of that name is made
    if call := _ENUM_CALL.search(text):
        # the last name="..." after the first ENUM(: two searches, linear, where one pattern with .* between
        # them backtracked over the whole text at every ENUM( (quadratic in an Enum of 10,000 values)
        names = [m.group(1) for m in _NAME_KEYWORD.finditer(text, call.end())]
        if names:
            return names[-1].lower()
    return text.lower() if bare and _BARE_NAME.fullmatch(text) else None


def _already_that_enum(ctx: RevisionContext, change: AlterColumn) -> bool:
    """``type_=sa.Enum(..., name="x")`` on a column whose PostgreSQL type already is ``x`` (so its history
    says, or existing_type): Alembic renders ``ALTER COLUMN c TYPE x``, the type the column has, and PostgreSQL
    changes nothing (PG15: relfilenode unchanged; held-out-7 #18, #22). The history wins over an
    existing_type written from another dialect (an autogenerate run on SQLite says VARCHAR)."""
    name = _enum_name(change.type)
    if name is None:
        return False
    current = lookback.column_type(ctx, change, change.table, change.column)
    return name in {_enum_name(current, bare=True), _enum_name(change.existing_type)}


def _shown_as(stored: PgType | None, written: str | None) -> PgType | None:
    """``ChoiceType(ROLES) (stored as Unicode(255))`` in messages, when the type written is not the one stored."""
    if stored is None or not written or stored.text == written:
        return stored
    return replace(stored, text=f"{written} (stored as {stored.text})")


def _utc_set_before(ctx: RevisionContext, change: AlterColumn) -> Change | None:
    """The statement that last set the session TimeZone before ``change``, when it set a UTC zone in the same
    transaction of this revision (``op.execute("SET TIME ZONE 'utc'")``, held-out-14 #22-#25), unconditionally:
    then PostgreSQL 12+ changes timestamp <-> timestamptz without rewriting the table. A plain SET outlives a
    COMMIT, SET LOCAL does not; only the transaction itself is taken here. Any later SET or RESET of it that
    is not a certain UTC one, a COMMIT or an autocommit_block() in between, and it does not count; nor does it
    across a statement whose text migcheck does not know (SQL built at run time, a helper's, unparsed): that one
    may set another zone (review17)."""
    if not change.in_transaction:
        return None
    for c in reversed(lookback.phase_before(ctx, change)):
        if is_commit(c):
            return None
        verdict = timezone_set(c.sql or (c.text if isinstance(c, RawSQL) else None))
        if verdict is not None:
            return c if verdict and not (c.conditional or c.interpolated) else None
        if c.interpolated or (isinstance(c, RawSQL) and (c.text is None or not c.understood)):
            return None
    return None


@change_rule("alter-column-type", severity=Severity.ERROR, on=(AlterColumn, RawSQL), dialects={"postgresql"})
def alter_column_type(ctx: RevisionContext, change: AlterColumn | RawSQL) -> Iterator[Hit]:
    """A column type change that rewrites the table and its indexes under an ACCESS EXCLUSIVE lock."""
    if isinstance(change, RawSQL):
        if change.keyword == "op.sync_enum_values":
            tables = [t for t in _sync_enum_tables(change.text) if not ctx.created_here(t)]
            where = ", ".join(tables) if tables else "every affected table"
            yield Hit(
                f"op.sync_enum_values swaps the enum type and changes the type of each affected column with "
                f"ALTER COLUMN .. TYPE .. USING: {where} is rewritten under an ACCESS EXCLUSIVE lock",
                fix="to add values only, use ALTER TYPE .. ADD VALUE outside the transaction:\n"
                "with op.get_context().autocommit_block():\n"
                "    op.execute(\"ALTER TYPE my_enum ADD VALUE IF NOT EXISTS 'new_value'\")",
            )
        return
    if change.type is None or ctx.created_here(change.table) \
            or _empty_here(ctx, change, change.table, change.schema):
        return
    table, column = change.table, change.column
    if change.using is None and _already_that_enum(ctx, change):
        return
    old_text, source = _old_type(ctx, change)
    # An application type (a TypeDecorator, sqlalchemy_utils' ChoiceType) is judged by the type it stores.
    new_text, new_known = stored_type(ctx, change.type, change.type_module)
    old_stored, old_known = stored_type(ctx, old_text)
    new = _shown_as(parse_type(new_text) if new_known else None, change.type)
    old = _shown_as(parse_type(old_stored) if old_known else None, old_text)
    target = f"{table}.{column}"
    fix = (
        f'op.add_column({lit(table)}, sa.Column("{column}_new", {sa_type(change.type)}, nullable=True))\n'
        "# write both columns from the application, backfill in batches, switch reads, then drop the old column"
    )
    enum_swap = old is not None and new is not None and old.name == new.name == "enum"
    if change.using and using_computes(change.using, column) \
            and (enum_swap or not (new_known and old_known and old and new)):
        # whatever the types, an expression other than the column (or a plain cast of it) is computed for
        # every row: PostgreSQL rewrites (an enum swap's USING col::text::new_enum, say; the enum the history
        # names may have been renamed away first, so two enums that read alike are not the same type)
        yield Hit(
            f"type of {target} changes {f'from {old_text} ' if old_text else ''}to {change.type} USING "
            f"{shorten(change.using, 60)}: PostgreSQL computes the expression for every row, so the table and all "
            f"its indexes are rewritten under an ACCESS EXCLUSIVE lock, blocking every read and write until it ends",
            fix=fix,
        )
        return
    if not (new_known and old_known):
        unread = change.type if not new_known else old_text
        yield Hit(
            f"type of {target} changes {f'from {old_text} ' if old_text else ''}to {change.type}, and {unread} is "
            f"a type migcheck cannot read (an application or library type whose impl it did not find in the "
            f"application's models): unless the type it stores is binary coercible from the old one (e.g. varchar(n) to a longer varchar or "
            f"text), the table and its indexes are rewritten under an ACCESS EXCLUSIVE lock",
            fix=fix,
            severity=Severity.WARNING,
        )
        return
    if old is None or new is None:
        yield Hit(
            f"type of {target} changes to {change.type}, and migcheck cannot tell from what (no existing_type= and "
            f"no earlier revision defines it): unless the change is binary coercible (e.g. varchar(n) to a longer "
            f"varchar or text), the table and its indexes are rewritten under an ACCESS EXCLUSIVE lock",
            fix=f'op.alter_column({lit(table)}, {lit(column)}, type_=..., existing_type=<the current type>)  '
            f"# lets migcheck check it\n" + fix,
            severity=Severity.WARNING,
        )
        return
    verdict = classify_type_change(old, new, ctx.settings.postgres_version)
    if old.name == "enum" and non_native_enum(old_stored)[0] and new.name in _TEXTLIKE and not new.params:
        verdict = "none"  # a non-native enum is a VARCHAR of some length: to text or unbounded varchar, no rewrite
    if enum_swap and _enum_name(old_text, bare=True) != _enum_name(change.type):
        verdict = "rewrite"  # another enum type (the same one returned above): every row goes through text
    if verdict != "rewrite" and not using_is_plain_cast(change.using, column):
        verdict = "rewrite"
    known = {"existing_type": "", "history": " (old type from an earlier revision)",
             "contradicted": f" (old type from an earlier revision; existing_type= says {change.existing_type})",
             "downgrade": " (old type from the downgrade, which restores it)"}[source]
    if verdict == "none":
        return
    if verdict == "index":
        yield Hit(
            f"type of {target} changes from {old} to {new}{known}: no table rewrite, but every index on the column "
            f"is rebuilt while the ACCESS EXCLUSIVE lock blocks reads and writes",
            fix="when the column is indexed, build a new index concurrently on an expression or a new column "
            "first; when it is not, ignore this finding with a reason",
            severity=Severity.WARNING,
        )
        return
    utc_set = _utc_set_before(ctx, change) if verdict == "utc" else None
    if utc_set is not None and never_indexed(ctx, change, table, column):
        return  # no rewrite, and no index to rebuild: only the catalog changes (held-out-23 #29)
    if utc_set is not None:
        yield Hit(
            f"type of {target} changes from {old} to {new}{known}: with the session TimeZone set to UTC at line "
            f"{utc_set.line}, PostgreSQL 12+ does not rewrite the table, but every index on the column is rebuilt "
            f"while the ACCESS EXCLUSIVE lock blocks reads and writes",
            fix="when the column is indexed, build a new index concurrently on a new column first; when it is not, "
            "ignore this finding with a reason",
            severity=Severity.WARNING,
        )
        return
    if verdict == "utc":
        yield Hit(
            f"type of {target} changes from {old} to {new}{known}: PostgreSQL 12+ skips the table rewrite only when "
            f"the migration's session TimeZone is UTC, and rebuilds the column's indexes either way, under an "
            f"ACCESS EXCLUSIVE lock",
            fix='op.execute("SET LOCAL TimeZone = \'UTC\'")  # before the alter_column, in the same transaction\n'
            f'op.alter_column({lit(table)}, {lit(column)}, type_=..., existing_type=...)',
            severity=Severity.WARNING,
        )
        return
    using = f" (USING {change.using})" if change.using and not using_is_plain_cast(change.using, column) else ""
    yield Hit(
        f"type of {target} changes from {old} to {new}{known}{using}: the table and all its indexes are rewritten "
        # no autogenerate note: it is about data that may go and renames written as drop + add, which a type
        # change is neither (held-out-12 #24-#27)
        f"under an ACCESS EXCLUSIVE lock, blocking every read and write until it ends",
        fix=fix,
    )
