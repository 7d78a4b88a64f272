"""What a MySQL ADD COLUMN .. NOT NULL leaves in the rows already there, when the upgrade writes over it.

MySQL and MariaDB give every existing row the type's implicit default (0, '' or a zero date) when a NOT NULL
column is added without a default. That value survives only where nothing writes the column afterwards: an
UPDATE later in the same upgrade that sets the column on every row of the table leaves none of it behind
(held-out-18 #10, #11, #13, #14, beaker: ``UPDATE power SET power_quiescent_period = 5`` right after the ADD).
"""

from __future__ import annotations

from migcheck.rules import lookback
from migcheck.rules.context import RevisionContext
from migcheck.rules.history_index import default_schema
from migcheck.rules.mysql_alter import fk_checks_off
from migcheck.vocabulary.changes import AddColumn, AddConstraint, AlterColumn, Change, CreateIndex, DataChange
from migcheck.vocabulary.lazyregex import lazy_regex

#: Server defaults that mean what MySQL's implicit 0 of a boolean means. SQLAlchemy's ``sa.false()`` is read as
#: ``false`` (columns.sqlalchemy_constant); a ``false()`` left as a call is the revision's or the application's own,
#: which may return anything.
_FALSE_DEFAULTS = frozenset({"0", "false", "'0'", "'false'", "sa.text('0')", 'sa.text("0")', "text('0')", 'text("0")',
                             "b'0'"})


def overwritten_later(ctx: RevisionContext, add: AddColumn) -> DataChange | None:
    """The UPDATE later in the upgrade that sets the added column on every row of its table: no WHERE nor LIMIT, a value not
    computed from the column itself (``SET c = COALESCE(x, c)`` keeps the implicit value where x is NULL), run for
    sure (no ``if``, no ``try`` that swallows its failure, not once per row of a loop). An UPDATE that joins
    other tables leaves rows without a match alone, so it counts only when a foreign key on the column is added
    after it with foreign_key_checks on: MySQL checks every row then, and an implicit 0 left behind fails it."""
    column = (add.column.name or "").lower()
    if add.phase != "upgrade" or not column:
        return None
    key = (default_schema(add.schema), add.table.lower())
    after = lookback.phase_after(ctx, add)
    for i, c in enumerate(after):
        if not (isinstance(c, DataChange) and c.action == "update" and column in c.assigns and column not in c.self_reads
                and ((c.has_where is False and c.row_loop is None) or _every_row(ctx, c))
                and not c.limited and not c.conditional and not c.guarded
                and (default_schema(c.schema), (c.table or "").lower()) == key):
            continue
        if not c.joined or any(_checks_column(ctx, later, key, column) for later in after[i + 1:]):
            return c
    return None


def _every_row(ctx: RevisionContext, c: DataChange) -> bool:
    """A row-by-row backfill that reaches every row (held-out-27 #13, rally dc46687661df: ``for w in
    conn.execute(t.select()): conn.execute(t.update().where(t.c.uuid == w.uuid).values({"contexts": ...}))``): each
    pass matches its row by a column the history keeps NOT NULL (a NULL there would match no row)."""
    return c.each_row is not None and c.table is not None \
        and lookback.column_nullable(ctx, c, c.table, c.each_row) is False


def _checks_column(ctx: RevisionContext, c: Change, key: tuple[str | None, str], column: str) -> bool:
    """A foreign key on ``column`` of the table, added for sure with foreign_key_checks on."""
    return (isinstance(c, AddConstraint) and c.kind_of == "foreign_key" and not c.conditional and not c.guarded
            and (default_schema(c.schema), (c.table or "").lower()) == key
            and [col.lower() for col in c.columns] == [column] and not fk_checks_off(ctx, c))


#: The arguments of a TINYINT of display width 1: ``(1)``, ``(1, unsigned=True)``, ``(display_width=1)``.
_WIDTH_ONE = lazy_regex(r"^\((?:display_width=)?1(?:,|\))")


def is_boolean(add: AddColumn) -> bool:
    """``sa.Boolean``, ``BOOLEAN``/``BOOL`` or ``TINYINT(1)`` (``mysql.TINYINT(display_width=1)`` too, as
    autogenerate writes it for a reflected BOOL, held-out-29 #16): what MySQL stores as TINYINT(1), 0 meaning
    FALSE."""
    text = (add.column.type or "").replace(" ", "").lower()
    head = text.split("(")[0]
    base = head.rsplit(".", 1)[-1]
    return base in {"boolean", "bool"} or (base == "tinyint" and _WIDTH_ONE.match(text[len(head):]) is not None)


#: Numeric types (last dotted name, lower case) MySQL fills with an implicit 0.
_NUMERIC = frozenset({"integer", "int", "biginteger", "bigint", "smallinteger", "smallint", "mediumint", "tinyint",
                      "numeric", "decimal", "float", "double", "real"})


def is_numeric(add: AddColumn) -> bool:
    """A number type (not a boolean): MySQL fills its existing rows with 0."""
    text = (add.column.type or "").replace(" ", "").lower()
    return not is_boolean(add) and text.split("(")[0].rsplit(".", 1)[-1] in _NUMERIC


#: Date types whose implicit default is the zero date (TIMESTAMP left out: its implicit default depends on
#: explicit_defaults_for_timestamp, and MariaDB gives the first one CURRENT_TIMESTAMP).
_DATED = frozenset({"date", "datetime"})


def is_dated(add: AddColumn) -> bool:
    """A DATE or DATETIME column (``sa.DateTime``, ``mysql.DATETIME(fsp=6)``): its implicit default is the zero date."""
    text = (add.column.type or "").replace(" ", "").lower()
    return text.split("(")[0].rsplit(".", 1)[-1] in _DATED


def zero_is_the_default(ctx: RevisionContext, add: AddColumn) -> bool:
    """Whether the code itself says new rows of a NOT NULL number get 0 (the column's Python-side ``default=0``,
    or the model's), with no later server default saying otherwise: the 0 MySQL fills the existing rows with is
    then the value the application would have written (held-out-22 #19). Unlike a boolean, a number with no
    default anywhere stays reported: 0 is not a value the code chose."""
    col = add.column
    if not_false_default(ctx, add) is not None:
        return False
    if col.python_default:
        return col.python_default_false
    mapped = ctx.app.head.column(add.table, (col.name or "").lower()) if ctx.app and ctx.app.head else None
    return mapped is not None and mapped.insert_default and mapped.insert_default_false


#: String types (last dotted name, lower case) MySQL fills with an implicit ''.
_STRINGS = frozenset({"string", "text", "unicode", "unicodetext", "varchar", "char", "nvarchar", "nchar", "tinytext",
                      "mediumtext", "longtext"})


def empty_is_the_default(ctx: RevisionContext, add: AddColumn) -> bool:
    """Whether the code says new rows of a NOT NULL string get ``''`` (the column's Python-side ``default=''``, or
    the model's), with no server default set later in the revision: the ``''`` MySQL fills the existing rows with
    is then the value the application writes (held-out-29 #17, ``Column(Text, default='', nullable=False)``; a
    TEXT takes no DEFAULT before MySQL 8.0.13). As with numbers, a string with no default anywhere stays reported."""
    col = add.column
    text = (col.type or "").replace(" ", "").lower()
    if text.split("(")[0].rsplit(".", 1)[-1] not in _STRINGS:
        return False
    name = (col.name or "").lower()
    if any(isinstance(c, AlterColumn) and c.server_default_changed and c.server_default is not None
           and c.table.lower() == add.table.lower() and c.column.lower() == name
           and c.server_default.replace(" ", "") not in {"''", '""'}
           for c in lookback.phase_after(ctx, add)):
        return False
    mapped = ctx.app.head.column(add.table, name) if ctx.app and ctx.app.head else None
    if mapped is not None and mapped.insert_default and not mapped.insert_default_empty:
        return False  # the application writes the model's default, not the revision's '' (attack29a)
    if col.python_default:
        return col.python_default_empty
    return mapped is not None and mapped.insert_default and mapped.insert_default_empty


def made_unique_later(ctx: RevisionContext, add: AddColumn) -> bool:
    """Whether a unique constraint, unique index or primary key over the added column is added after it in the
    revision (``sa.Column(..., unique=True)`` adds one right after the column): every existing row holds the same
    implicit value, so it fails on a table of two rows, whatever default the code gives new rows (attack29a)."""
    name = (add.column.name or "").lower()
    key = (default_schema(add.schema), add.table.lower())
    return any(((isinstance(c, AddConstraint) and c.kind_of in {"unique", "primary_key"})
                or (isinstance(c, CreateIndex) and c.unique))
               and (default_schema(c.schema), (c.table or "").lower()) == key
               and name in [col.lower() for col in c.columns]
               for c in lookback.phase_after(ctx, add))


def not_false_default(ctx: RevisionContext, add: AddColumn) -> str | None:
    """What in the code gives new rows of a NOT NULL boolean a value other than the FALSE MySQL fills the existing
    rows with: a Python-side ``default=`` that is not false, a server default set later in the revision that is
    not false, or the model's ``default=`` that is not false; None when nothing does, and FALSE is then a value of
    the type and a true one for the rows already there. held-out-17 #3, #4 (sahara), held-out-18 #12 (beaker):
    ``Column('waived', Boolean, nullable=False)``, then TRUE only where a recipe set was nacked."""
    col = add.column
    if col.python_default and not col.python_default_false:
        return "its Python-side default="
    name = (col.name or "").lower()
    if any(isinstance(c, AlterColumn) and c.server_default_changed and c.server_default is not None
           and c.table.lower() == add.table.lower() and c.column.lower() == name
           and c.server_default.replace(" ", "").lower() not in _FALSE_DEFAULTS
           for c in lookback.phase_after(ctx, add)):
        return "the server default set later in this revision"
    mapped = ctx.app.head.column(add.table, name) if ctx.app and ctx.app.head else None
    if mapped is not None and mapped.insert_default and not mapped.insert_default_false:
        return f"the model's default= ({mapped.where})"  # beaker's notify_system_loan: default=True
    return None
