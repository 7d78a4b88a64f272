"""The Change IR: one small dataclass per kind of schema or data change.

Both front ends (the Python AST of ``op.*`` calls and SQL text parsed with
sqlglot) produce these objects, so every rule is written once and works on
``.py`` revisions and on offline ``alembic upgrade --sql`` output alike.
"""

from __future__ import annotations

import re
import reprlib
from dataclasses import dataclass, field, fields
from typing import Literal

from migcheck.vocabulary.irinit import ir_class

#: What the Python front end writes for a name or value known only at run time (extract.python.evaluate's
#: PLACEHOLDER and NAME_PLACEHOLDER, and ``{…}`` in the text shown): a name holding one is no known object.
RUNTIME_MARKS = ("{…}", "migcheck_param", "migcheck_name")
_RUNTIME_MARK = re.compile(r"migcheck_(?:param(?:_app\d{6})?|name)")


def shown_runtime(text: str) -> str:
    """``text`` with the front end's stand-ins for run-time values written ``{…}``, as the user sees them: a
    message never names migcheck's own placeholder (held-out-24 #34: "changes to migcheck_param")."""
    return _RUNTIME_MARK.sub("{…}", text) if "migcheck_" in text else text

Phase = Literal["upgrade", "downgrade"]
Origin = Literal["python", "sql"]


@ir_class  # its own __eq__ and __repr__ below: none to generate and drop; __init__ from changeinits.py
class Change:
    """Common fields: where the change is written and how it runs."""

    line: int
    phase: Phase = "upgrade"
    origin: Origin = "python"
    #: False inside ``autocommit_block()`` or outside BEGIN/COMMIT in a .sql file.
    in_transaction: bool = True
    #: True when the change may not run: under an ``if`` not decided statically (feature flags), in a loop's pass
    #: or a handler, after an early exit (``if flag: return``), in ``contextlib.suppress(...)``, right of ``and`` /
    #: ``or``, in a conditional expression or a lambda (extract/python/exits.py, calls._maybe_calls).
    conditional: bool = False
    #: The ``if`` around it runs it only when the object it creates is absent: ``if not column_exists("t", "c"):
    #: op.add_column("t", sa.Column("c", ...))`` (extract/python/guards). Where the history already made that
    #: object, the step never runs on a database the history built (lookback.already_made).
    unless_exists: bool = False
    #: The guard gave only the index's or constraint's name (``if not constraint_exists("fk_x")``), not its table:
    #: it counts only where the history gives that name to one table alone (history_index.ensures_existence).
    unless_exists_by_name: bool = False
    #: A re-run of the upgrade skips the step once it has run: its own existence guard (``unless_exists``), or the
    #: guard of another clause of the same SQL statement (``ALTER TABLE t ADD COLUMN a ..., ADD COLUMN b ...``
    #: under ``if not column_exists("t", "a")``), which the server applies whole or not at all.
    rerun_skipped: bool = False
    #: The SQL statement the change was parsed from, when it came from SQL text.
    sql: str | None = None
    #: The SQL text was built at run time (f-string, ``%``, ``.format``, ``+`` on non-literal values).
    interpolated: bool = False
    #: When every run-time value in the text is the one column a SELECT read (``x = conn.execute(sa.text("SELECT
    #: id FROM t")).scalar()``, then ``f"... {x}"``): those columns as (table, column), ``"*"`` for ``count(*)``.
    fetched_columns: tuple[tuple[str, str], ...] = ()
    #: When every other run-time value in the text is a name the revision imports from the application
    #: (``from app.models import Role``, then ``f"... {Role.ADMIN.value}"``): each as (module, attribute path), for
    #: the rule to ask the application's source whether it is a literal constant.
    app_values: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #: Written as ``batch_op.*`` inside ``with op.batch_alter_table(...)``.
    in_batch: bool = False
    #: Written in ``batch_alter_table(..., recreate="always")``, or, on SQLite, in a ``recreate="auto"`` batch with a
    #: step SQLite's ALTER TABLE cannot do (blocks.rebuilt_on_sqlite): no ALTER is emitted; Alembic creates the table
    #: anew from its whole definition (reflected, or ``copy_from``) and copies the rows with ``INSERT ... SELECT``,
    #: which SQLAlchemy's ``from_select`` fills with each added column's Python-side default.
    batch_rebuilt: bool = False
    #: The ``try`` blocks around the change (outermost first) whose handlers can swallow a database error
    #: (``except Exception: print(...)``, no ``raise`` at the handler's top level), numbered as the body is
    #: walked (each pass of an unrolled loop is a block of its own): when a statement there fails, the rest
    #: of that block is skipped and the revision goes on (on PostgreSQL inside a transaction the failure
    #: aborted). ``()`` outside such a ``try``, and in SQL.
    guarded: tuple[int, ...] = ()
    #: Inside a ``try`` whose handler catches ``NotImplementedError`` and can end without raising
    #: (imports.swallows_not_implemented): where Alembic's impl cannot do the operation and raises that before
    #: sending any SQL (a constraint ALTER on SQLite), it is skipped, not failed.
    not_implemented_caught: bool = False
    #: Inside a ``try`` whose handler catches the ``OperationalError`` SQLAlchemy raises for a statement the database
    #: refuses (imports.swallows_operational_error: ``Exception``, ``OperationalError``, ``DBAPIError``...; not a
    #: narrow ``IntegrityError``, nor the driver's own ``sqlite3.OperationalError``, which SQLAlchemy wraps) and can
    #: end without raising: SQLite's error for an ALTER it cannot do is swallowed and the revision goes on.
    operational_caught: bool = False
    #: Under an ``if`` that runs only when a SELECT from pg_enum found no such label (extract/python/catalog.py):
    #: the labels, as written. An ``ALTER TYPE .. ADD VALUE`` of one of them runs only while it is missing.
    absent_enum_labels: tuple[str, ...] = ()
    #: In the branch of a deployment guard that production never takes (``if environment not in ["live",
    #: "production"]:``, extract/python/deployment.py): it runs on staging and development databases, so rules
    #: about what the SQL is (names, downgrades, syntax) judge it; the rules whose harm is production's load
    #: (locks held on busy tables, scans of large ones) leave it out.
    off_in_production: bool = False
    #: The application helpers whose result decides whether the change runs (``if is_postgresql(bind):``, the
    #: helper imported from the application): each as (module, function, how many positional arguments and which
    #: keywords the call passes, the truth the branch needs: extract/python/appguards.AppGuard). The engine
    #: asks the application's source what the helper returns on the target dialect (extract/models/dialects.py)
    #: and drops the change when it is the other truth; recorded from the revision's text alone (load cache).
    app_dialect_guards: tuple[tuple[str, str, int, tuple[str, ...], bool], ...] = ()
    #: The blocks around the change that may not run (an ``if`` branch not decided statically, a ``while``, an
    #: ``except`` handler, a pass of a loop over a subset), outermost first, numbered as the body is walked (an inlined
    #: helper's anew at each call): a step whose ``blocks`` begin with all of another's runs only where that one's
    #: blocks were entered, so an earlier step of those blocks ran before it (held-out-19 #17: ``if upgrade: DELETE
    #: FROM t ... ADD PRIMARY KEY``). ``()`` outside any, and in SQL. Not compared: where the IR came from, not what.
    blocks: tuple[int, ...] = field(default=(), compare=False, repr=False)
    #: The line of the innermost ``for`` or ``while`` loop around the change that is walked once for all its passes (not
    #: unrolled over literal values): the change runs once per pass, a number of times known only at run time.
    #: None outside such a loop, and in SQL.
    loop: int | None = None
    #: Alembic's ``multidb`` template: the engine (its own database) whose ``upgrade_<engine>()`` /
    #: ``downgrade_<engine>()`` holds the step, reached through ``globals()[f"upgrade_{engine_name}"]()``
    #: (extract/python/multidb.py). Each engine's steps run on their own connection, in their own transaction:
    #: the steps of one phase that share the step's engine are its run of statements (lookback.phase_before).
    #: None for a revision of one database, and in SQL.
    engine: str | None = None
    #: The line of a bare ``conn.execution_options(isolation_level="AUTOCOMMIT")`` on the migration's connection
    #: (its result not kept) in effect when the change runs, in online mode: SQLAlchemy 1.x hands the level to the
    #: driver at once, and psycopg2 then ends the open transaction and runs what follows in autocommit until the
    #: level is set back; SQLAlchemy 2 refuses the switch inside a transaction; pg8000 keeps the transaction
    #: (checked on PostgreSQL 15). The rules decide by the project's driver. None otherwise, and in SQL.
    isolation_switch: int | None = None
    #: The project's helper the step was read from (``from app.db import drop_column``, then ``drop_column(...)``
    #: in the revision: extract/python/imported.py), as (module, function); the change's line is the call's.
    #: None for a step written in the revision itself. Not compared: where the IR came from, not what.
    via: tuple[str, str] | None = field(default=None, compare=False, repr=False)

    # One __eq__ and __repr__ for every kind of change, inherited (the kinds are declared with eq=False,
    # repr=False): the ones dataclasses generates are compiled per class when the module is imported, about
    # a twentieth of a pre-commit run's instructions; these compare and print exactly as those would.
    def __eq__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            names = _compared(self.__class__)
            return tuple(getattr(self, n) for n in names) == tuple(getattr(other, n) for n in names)
        return NotImplemented

    @reprlib.recursive_repr()
    def __repr__(self) -> str:
        shown = ", ".join(f"{n}={getattr(self, n)!r}" for n in _shown(self.__class__))
        return f"{self.__class__.__qualname__}({shown})"

    @property
    def kind(self) -> str:
        return type(self).__name__

    @property
    def is_schema(self) -> bool:
        """True for DDL; data changes and session settings override this."""
        return True


_COMPARED: dict[type, tuple[str, ...]] = {}
_SHOWN: dict[type, tuple[str, ...]] = {}


def _compared(cls: type) -> tuple[str, ...]:
    """The fields a dataclass's generated ``__eq__`` compares, in order."""
    if cls not in _COMPARED:
        _COMPARED[cls] = tuple(f.name for f in fields(cls) if f.compare)
    return _COMPARED[cls]


def _shown(cls: type) -> tuple[str, ...]:
    """The fields a dataclass's generated ``__repr__`` shows, in order."""
    if cls not in _SHOWN:
        _SHOWN[cls] = tuple(f.name for f in fields(cls) if f.repr)
    return _SHOWN[cls]


@dataclass(kw_only=True)
class ColumnSpec:
    """What migcheck knows about one column from ``sa.Column(...)`` or a column definition."""

    name: str | None
    type: str | None = None
    #: None when not said: SQLAlchemy's default is nullable unless primary key.
    nullable: bool | None = None
    server_default: str | None = None
    #: The default as the migration's SQL wrote it, when sqlglot renders it differently (``uuid()``, read as
    #: ``GEN_RANDOM_UUID()``): what messages quote.
    server_default_text: str | None = None
    #: A Python-side ``default=``: it never reaches existing rows.
    python_default: bool = False
    #: That default is a false literal (``False``, ``0``): what MySQL's implicit 0 of a NOT NULL boolean means.
    python_default_false: bool = False
    #: That default is the empty string literal ``''``: what MySQL's implicit value of a NOT NULL string is.
    python_default_empty: bool = False
    #: That default is the first label of the column's own ``sa.Enum(...)``: the value MySQL gives the rows
    #: already there when an ENUM column is added NOT NULL without a default (its implicit default).
    python_default_first_label: bool = False
    primary_key: bool = False
    #: The module the type was written with (``sa``, ``postgresql``, ``app.types``); None for a bare name.
    type_module: str | None = None
    identity: bool = False
    #: The expression of a generated column, and whether it is stored.
    computed: str | None = None
    computed_stored: bool = False
    autoincrement: bool | None = None
    #: The table an inline ``sa.ForeignKey("t.id")`` / ``REFERENCES t`` points to.
    references: str | None = None
    line: int = 0

    @property
    def is_not_null(self) -> bool:
        return self.nullable is False or (self.nullable is None and self.primary_key)


@ir_class
class CreateTable(Change):
    """``op.create_table`` / CREATE TABLE."""

    table: str
    columns: list[ColumnSpec] = field(default_factory=list)
    if_not_exists: bool = False
    #: The ``schema=`` given (``"<dynamic>"`` when not a literal); None for the default schema.
    schema: str | None = None


@ir_class
class DropTable(Change):
    """``op.drop_table`` / DROP TABLE."""

    table: str
    if_exists: bool = False
    cascade: bool = False
    #: The ``schema=`` given, or the schema the SQL names (``"<dynamic>"`` when not a literal); None for the default.
    schema: str | None = None
    #: A name known only at run time (``<copy>``) that holds one value wherever the phase reads its text: each name
    #: it reads is bound once in upgrade()/downgrade() itself (extract/python/ops.settled_name). Two such steps
    #: naming ``<copy>`` name one table; a name bound again between them may not (attack27b).
    settled_name: bool = False


@ir_class
class RenameTable(Change):
    """``op.rename_table`` / ALTER TABLE .. RENAME TO."""

    table: str
    new_name: str
    #: The ``schema=`` given, or the schema the SQL names (``"<dynamic>"`` when not a literal); None for the default:
    #: ``op.rename_table("t_new", "t", schema="archive")`` renames ``archive.t_new``, not a default-schema table.
    schema: str | None = None
    #: A name known only at run time (``<copy>``) that holds one value wherever the phase reads its text: each name
    #: it reads is bound once in upgrade()/downgrade() itself (extract/python/ops.settled_name). Two such steps
    #: naming ``<copy>`` name one table; a name bound again between them may not (attack27b).
    settled_name: bool = False


@ir_class
class AddColumn(Change):
    """``op.add_column`` / ALTER TABLE .. ADD COLUMN."""

    table: str
    column: ColumnSpec
    if_not_exists: bool = False
    #: The ``schema=`` given (``"<dynamic>"`` when not a literal); None for the default schema.
    schema: str | None = None


@ir_class
class DropColumn(Change):
    """``op.drop_column`` / ALTER TABLE .. DROP COLUMN."""

    table: str
    column: str
    if_exists: bool = False
    #: The ``schema=`` given, or the schema the SQL names (``"<dynamic>"`` when not a literal); None for the default.
    schema: str | None = None


@ir_class
class RenameColumn(Change):
    """``op.alter_column(new_column_name=...)`` / ALTER TABLE .. RENAME COLUMN."""

    table: str
    column: str
    new_name: str
    #: From ``op.alter_column(new_column_name=...)``: MySQL renders it as CHANGE COLUMN, which restates
    #: the whole column, so these matter there (see alter-column-without-existing-type).
    via_alter_column: bool = False
    existing_type: str | None = None
    existing_nullable: bool | None = None
    #: ``existing_nullable=`` was passed, maybe as an expression (``column["nullable"]``) migcheck cannot read.
    existing_nullable_given: bool = False
    existing_server_default_given: bool = False
    #: The ``schema=`` given, or the schema the SQL names; None for the default (attack26c: a swap's rename must
    #: be on the dropped column's own table).
    schema: str | None = None


@ir_class
class AlterColumn(Change):
    """``op.alter_column`` / ``ALTER TABLE .. ALTER COLUMN``; ``None`` means not changed."""

    table: str
    column: str
    nullable: bool | None = None
    type: str | None = None
    #: The module ``type_`` was written with (see ``ColumnSpec.type_module``).
    type_module: str | None = None
    using: str | None = None
    #: True when the statement changes the server default (to ``server_default``, maybe None).
    server_default_changed: bool = False
    server_default: str | None = None
    existing_type: str | None = None
    existing_nullable: bool | None = None
    existing_nullable_given: bool = False
    existing_server_default_given: bool = False
    #: The ``schema=`` given, or the schema the SQL names (``"<dynamic>"`` when not a literal); None for the default.
    schema: str | None = None


@ir_class
class CreateIndex(Change):
    """``op.create_index`` / CREATE INDEX."""

    name: str | None
    table: str | None
    columns: list[str] = field(default_factory=list)
    unique: bool = False
    concurrently: bool = False
    where: str | None = None
    if_not_exists: bool = False
    #: The ``schema=`` given (``"<dynamic>"`` when not a literal); None for the default schema.
    schema: str | None = None
    #: The name is written ``op.f("...")`` (a ``conv``): SQLAlchemy cuts an over-long one to a hashed name that fits.
    name_converted: bool = False


@ir_class
class DropIndex(Change):
    """``op.drop_index`` / DROP INDEX."""

    name: str | None
    table: str | None = None
    concurrently: bool = False
    if_exists: bool = False
    #: The name is written ``op.f("...")``: it matches the hashed name an op.f() create cut (CreateIndex's).
    name_converted: bool = False
    #: The ``schema=`` given, or the schema the SQL names (``DROP INDEX archive.ix``); None for the default: the
    #: table dropped beside it exempts it only in the same schema.
    schema: str | None = None


#: RawSQL.keyword of the step where migcheck stopped reading a function (extract/limits.py): past it nothing was
#: checked, so the engine reports it as invalid-migration-file, an error, not as an unread statement (fail closed).
LIMIT_KEYWORD = "(reading stopped)"

ConstraintKind = Literal["foreign_key", "unique", "check", "primary_key", "exclude", "unknown"]


@ir_class
class AddConstraint(Change):
    """``op.create_foreign_key`` and the other ``op.create_*`` constraints / ALTER TABLE .. ADD CONSTRAINT."""

    kind_of: ConstraintKind
    name: str | None
    table: str | None
    columns: list[str] = field(default_factory=list)
    not_valid: bool = False
    #: ``ADD CONSTRAINT .. USING INDEX idx``: built from an index made CONCURRENTLY.
    using_index: str | None = None
    referent: str | None = None
    condition: str | None = None
    #: The name is written ``op.f("...")`` (a ``conv``): SQLAlchemy cuts an over-long one to a hashed name that fits.
    name_converted: bool = False
    #: The table's ``schema=`` (``source_schema=`` of a foreign key), or the schema the SQL names (``"<dynamic>"``
    #: when not a literal); None for the default.
    schema: str | None = None


@ir_class
class DropConstraint(Change):
    """``op.drop_constraint`` / ALTER TABLE .. DROP CONSTRAINT."""

    name: str | None
    table: str | None
    kind_of: str | None = None
    #: ``DROP CONSTRAINT IF EXISTS`` / ``op.drop_constraint(..., if_exists=True)``: a constraint that is not there
    #: is no error.
    if_exists: bool = False
    #: The name is written ``op.f("...")``, as AddConstraint's.
    name_converted: bool = False
    #: The ``schema=`` given, or the schema the SQL names (``"<dynamic>"`` when not a literal); None for the default:
    #: a key's index is in its table's schema.
    schema: str | None = None


@ir_class
class ValidateConstraint(Change):
    """ALTER TABLE .. VALIDATE CONSTRAINT."""

    name: str | None
    table: str | None
    #: The strongest lock the other subcommands of the same ALTER TABLE take (``ALTER TABLE t DROP COLUMN x,
    #: VALIDATE CONSTRAINT c``) when stronger than VALIDATE's own SHARE UPDATE EXCLUSIVE: the scan runs under it.
    lock: str | None = None
    #: Those other subcommands, as written.
    combined_with: str | None = None


@ir_class
class DataChange(Change):
    """Rows written, not schema: UPDATE/INSERT/DELETE, ``bulk_insert``, ORM sessions."""

    #: update | insert | delete | bulk_insert | orm | execute (unknown statement on a connection)
    action: str
    table: str | None = None
    #: The schema the SQL names for the table (``DELETE FROM archive.t``); None for the default or unknown.
    schema: str | None = None
    #: Whether an UPDATE/DELETE is restricted by a WHERE clause; None when unknown.
    has_where: bool | None = None
    #: An UPDATE written in SQL that takes rows of other tables too (MySQL's ``UPDATE t JOIN u ON ...`` or
    #: ``UPDATE t, u``, PostgreSQL's ``UPDATE t ... FROM u``): a row of ``table`` without a match is left alone,
    #: even with no WHERE.
    joined: bool = False
    #: MySQL's ``UPDATE ... [ORDER BY ...] LIMIT n`` / ``DELETE ... LIMIT n``: at most n rows, even with no WHERE.
    limited: bool = False
    #: The columns (lower case) an UPDATE written in SQL sets from their own value (``SET n = COALESCE(x, n)``): some
    #: rows may keep what they held.
    self_reads: tuple[str, ...] = ()
    #: The WHERE of an UPDATE/DELETE written in SQL when it still matches the whole table (it tests only
    #: NULL-ness or constants), as SQL text; None when it bounds the statement or cannot be read. Decided
    #: when the SQL is parsed, so a cached run never needs sqlglot.
    unbounded_where: str | None = None
    #: The ``column IS NULL`` tests of that unbounded WHERE, as (the tables the column may belong to, the
    #: column), when every test in it is one; () otherwise. A rule asks the history whether such a column
    #: has been filled since its table was created (then the NULL rows are broken ones, not every row).
    null_tests: tuple[tuple[tuple[str, ...], str], ...] = ()
    #: The columns an UPDATE written in SQL sets to a value (lower case; ``SET c = NULL`` is not one); () when
    #: unknown or not an UPDATE.
    sets: tuple[str, ...] = ()
    #: Every column an UPDATE written in SQL assigns, whatever the value (``SET c = NULL`` included); () when
    #: unknown or not an UPDATE. An UPDATE that names its columns writes no other one.
    assigns: tuple[str, ...] = ()
    #: The columns (lower case) this UPDATE/DELETE leaves without a NULL row: a DELETE whose WHERE is
    #: ``col IS NULL`` or one of its top-level OR branches, an UPDATE setting ``col`` to a constant that is
    #: not NULL, with no WHERE or such a WHERE. () when none or unknown; a DELETE without WHERE clears all.
    clears_nulls: tuple[str, ...] = ()
    #: The line of the ``for`` loop over rows read from the database that runs this UPDATE/DELETE once
    #: per row, inside the migration's transaction (a row-by-row backfill); None otherwise.
    row_loop: int | None = None
    #: The columns (lower case) an UPDATE/DELETE written in SQL pins to one value each: ``=`` against a constant or
    #: a bound value at the top level of its WHERE (``WHERE id = :id AND kind = 'x'``); () when none or unknown.
    #: A rule asks the history whether they hold a key of the table (then it writes one row at most).
    pinned: tuple[str, ...] = ()
    #: The tables (lower case) whose rows a SELECT run from Python read and this Core write or ``bulk_insert``
    #: takes its values from (``for a in conn.execute(select(attr)): conn.execute(node.update().values(x=a.v))``,
    #: ``insert(t).from_select(..., select(u))``), or the parameters an INSERT or UPDATE written in SQL is executed
    #: with are made from (``conn.execute(text("INSERT ... VALUES (:a)"), {"a": row["a"]})``): their data may live on
    #: in ``table``. () when none, and in a .sql file.
    read_tables: tuple[str, ...] = ()
    #: The (table, column) pairs, lower case, those Core selects name (``t.c.col``): which values the rows may
    #: carry. () when none is named (``select(t)``) or the write is SQL.
    read_columns: tuple[tuple[str, str], ...] = ()
    #: An ORM bulk DELETE whose rows are chosen by tests of its entity's own columns against constants only
    #: (``session.query(M).filter(M.value.is_(None)).delete()``, extract/python/repeatable.py): run again, it
    #: removes what matches then, as one run would have.
    repeatable: bool = False
    #: A Core UPDATE run once per row of a loop over every row of its own table (``for row in
    #: conn.execute(t.select()): conn.execute(t.update().where(t.c.uuid == row.uuid).values(...))``), its WHERE only
    #: that one equality: the column (lower case) it matches each row by. Together the passes write every row whose
    #: value there is not NULL. None otherwise.
    each_row: str | None = None
    #: A Core UPDATE/DELETE of an application model's table (``models.Event.__table__.delete()``): where the model
    #: comes from, as (module, attribute path), for a rule to ask the models which table it maps (``table`` is None).
    app_table: tuple[str, tuple[str, ...]] | None = None

    @property
    def is_schema(self) -> bool:
        return False


@ir_class
class RawSQL(Change):
    """SQL migcheck keeps as text: not modelled, or not understood at all.

    ``keyword`` is the statement's leading words in upper case (``"REINDEX"``,
    ``"ALTER TYPE"``), so rules can still inspect it by tokens.
    """

    text: str | None
    keyword: str = ""
    #: False when the SQL could not be parsed or its text could not be resolved statically.
    understood: bool = True
    reason: str | None = None
    #: A call into imported code (``from app.db import mark_changed; mark_changed()``): (module, function), for
    #: ``raw-sql-not-understood`` to ask the application's source whether the function runs any SQL.
    called: tuple[str, str] | None = None
    #: What the revision hands that call, when ``called`` is set and each argument goes to a known parameter (no
    #: ``*args`` / ``**kwargs`` in the call): per argument (position or keyword, what it is: ``("literal", value)``,
    #: ``("bind",)``, ``("session",)``, ``("batch", table, schema)``, ``("unknown",)``), so the helper's body can be
    #: read with them bound (extract/python/imported.py). None otherwise.
    handed: tuple[tuple[int | str, tuple[object, ...]], ...] | None = field(default=None, compare=False, repr=False)
    #: The connection method that ran it, not SQL text: ``"commit"`` for ``op.get_bind().commit()`` /
    #: ``conn.commit()`` (keyword ``COMMIT``). The driver itself commits then, so it knows, and SQLAlchemy begins
    #: a new transaction before the next statement, whatever the driver (rules/rawcommit.py). Empty for SQL.
    method: str = ""

    @property
    def is_schema(self) -> bool:
        return self.keyword not in {"SET", "SELECT", "SHOW", "RESET", "BEGIN", "COMMIT", "ANALYZE", ""}


#: The words a ``RawSQL.reason`` holds when the statement calls the project's own function (``SELECT f()``,
#: ``sa.select(sa.func.f())``): ``raw-sql-not-understood`` then offers to read the function, not to rewrite the SQL.
UNKNOWN_FUNCTION = "a function migcheck does not know"


@ir_class
class SetSetting(Change):
    """``SET [LOCAL] name = value`` (``lock_timeout``, ``statement_timeout``...)."""

    name: str
    value: str | None

    @property
    def is_schema(self) -> bool:
        return False


DDL_TYPES: tuple[type[Change], ...] = (
    CreateTable,
    DropTable,
    RenameTable,
    AddColumn,
    DropColumn,
    RenameColumn,
    AlterColumn,
    CreateIndex,
    DropIndex,
    AddConstraint,
    DropConstraint,
    ValidateConstraint,
)


def target_table(change: Change) -> str | None:
    """The table a change acts on, when it has one."""
    table = getattr(change, "table", None)
    return table if isinstance(table, str) else None


# --- Alembic-specific (rules helper B) ---


@ir_class
class CreateEnumType(Change):
    """A PostgreSQL enum type created on its own: ``sa.Enum(..., name=...).create(bind)``,
    ``CREATE TYPE .. AS ENUM``. (``op.create_table`` also creates the types of its ``sa.Enum``
    columns; rules read those from the column types.)"""

    name: str
    #: ``.create(bind, checkfirst=True)``: skipped when the type exists, so a re-run does not fail.
    checkfirst: bool = False


@ir_class
class DropEnumType(Change):
    """``sa.Enum(name=...).drop(bind)`` / ``DROP TYPE``."""

    name: str
