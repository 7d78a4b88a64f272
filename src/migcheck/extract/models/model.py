"""What the application maps, as read from its source: tables, columns, type decorators.

Everything here comes from the AST of the application's modules (see ``reader.py``); nothing is
imported. A fact migcheck could not read is ``None`` (or a table marked incomplete), never a guess:
rules treat unknown as "say nothing", never as "not mapped".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

Status = Literal["mapped", "unmapped", "unknown"]


@dataclass(frozen=True)
class MappedColumn:
    """One column as a model maps it; ``attribute`` may differ from ``name`` (``x = Column("db_x")``)."""

    table: str
    name: str
    attribute: str
    #: The class (or the module-level variable of a ``Table``) that maps it.
    owner: str
    path: Path
    line: int
    #: The type as written, module prefixes dropped (``String(100)``); a TypeDecorator gives its impl.
    type: str | None = None
    #: None when the model does not say (and SQLAlchemy's default applies).
    nullable: bool | None = None
    #: ``nullable=`` is written: a ``PrimaryKeyConstraint`` naming the column leaves it as written.
    nullable_given: bool = False
    primary_key: bool = False
    server_default: bool = False
    #: A value on INSERT without a server default: ``default=``, ``insert_default=``, an identity or
    #: an autoincrementing integer primary key.
    insert_default: bool = False
    #: That ``default=`` is a false literal (``False``, ``0``).
    insert_default_false: bool = False
    #: That ``default=`` is the empty string literal ``''``.
    insert_default_empty: bool = False
    #: The Python type (its last name) of a ``Mapped[...]`` annotation that alone types the column: the
    #: ``type_annotation_map`` of the mapped class's declarative base decides its SQL type (tables.py).
    annotation: str | None = None

    @property
    def where(self) -> str:
        return f"{self.owner}.{self.attribute}"


@dataclass
class MappedTable:
    """One table the application's models map, with the columns read from them."""

    name: str
    owner: str
    path: Path
    line: int
    columns: dict[str, MappedColumn] = field(default_factory=dict)
    #: False when some columns could not be read (columns made in a loop, an unreadable base class):
    #: then a column not listed is unknown, not unmapped.
    complete: bool = True


@dataclass(frozen=True)
class TypeDecoratorInfo:
    """A ``TypeDecorator`` subclass: ``impl`` and what ``load_dialect_impl`` returns per dialect."""

    name: str
    path: Path
    line: int
    impl: str | None
    #: dialect name -> type (``{"postgresql": "JSONB"}``); ``"*"`` for the fallback return.
    dialect_impls: dict[str, str] = field(default_factory=dict)

    def impl_for(self, dialect: str) -> str | None:
        """The type this decorator stores on ``dialect``: JSON vs JSONB and the like."""
        return self.dialect_impls.get(dialect) or self.dialect_impls.get("*") or self.impl


@dataclass(frozen=True)
class Note:
    """Something the reader could not follow, reported once as an info finding."""

    message: str
    path: Path
    line: int = 1
    #: Notes of one cause (classes deriving from the same base migcheck cannot read) share it, so the rule says
    #: the cause once: ``subject`` is the class and table, ``cause`` the rest of the sentence.
    subject: str = ""
    cause: str = ""


class ImportJudge(Protocol):
    """What a name a revision imports from the project is (extract/models/judge.py)."""

    def import_kind(self, module: str, name: str | None) -> Literal["model", "not-model", "outside", "unknown"]:
        ...


@dataclass(eq=False, repr=False)
class Application:
    """The application's mapped schema, read statically (``read_application``)."""

    root: Path
    tables: dict[str, MappedTable] = field(default_factory=dict)
    #: ``MetaData(naming_convention=...)`` of the target metadata (None when none is set or readable).
    naming_convention: dict[str, str] | None = None
    type_decorators: dict[str, TypeDecoratorInfo] = field(default_factory=dict)
    #: A module-level function that only returns a column type (``def JsonDictType(): return
    #: MutableDict.as_mutable(JsonEncoded)``) -> that type as written, prefixes dropped, the mutable
    #: wrapper taken off (``JsonEncoded``): a column typed ``JsonDictType()`` stores what it stores.
    type_factories: dict[str, str] = field(default_factory=dict)
    notes: list[Note] = field(default_factory=list)
    #: The module files that were read.
    files: list[Path] = field(default_factory=list)
    #: Some mapped table's name could not be read: any table may be mapped.
    unknown_names: bool = False
    #: Whether the project pins Alembic before 1.12, whose autogenerate compares column types only when env.py
    #: sets ``compare_type=True`` (pins.below_version); None when its requirements do not say.
    alembic_before_1_12: bool | None = None
    #: Whether the project pins SQLAlchemy before 1.4, whose non-native ``Enum`` makes its CHECK constraint unless
    #: told ``create_constraint=False`` (1.4 turned the default around); None when its requirements do not say.
    sqlalchemy_before_1_4: bool | None = None
    #: Answers what a revision's import is, from the project's source (orm-model-import-in-migration).
    judge: ImportJudge | None = field(default=None, repr=False, compare=False)

    def table(self, name: str) -> MappedTable | None:
        return self.tables.get(name.lower())

    def table_status(self, name: str) -> Status:
        if name.lower() in self.tables:
            return "mapped"
        return "unknown" if self.unknown_names else "unmapped"

    def column(self, table: str, column: str) -> MappedColumn | None:
        mapped = self.tables.get(table.lower())
        return mapped.columns.get(column.lower()) if mapped else None

    def column_status(self, table: str, column: str) -> Status:
        mapped = self.tables.get(table.lower())
        if mapped is None:
            return "unknown" if self.unknown_names else "unmapped"
        if column.lower() in mapped.columns:
            return "mapped"
        return "unmapped" if mapped.complete else "unknown"


@dataclass(eq=False, repr=False)
class AppView:
    """What the lint rules see of the application: the models at HEAD and, in pull-request mode, on the
    base (the release serving traffic while the migration runs)."""

    head: Application | None
    base: Application | None = None
    #: The ref the user named with ``--base`` (for messages), when the base models were read.
    base_ref: str | None = None
    #: Rule ids that are on: drop-column and friends leave a drop to them instead of reporting it twice.
    enabled: set[str] = field(default_factory=set)
    #: Revisions that exist on the base (pull-request mode): drift they already had is not the branch's.
    base_revisions: set[str] | None = None
    #: Reads the models when env.py hands Alembic none (``target_metadata = None``: rootthebox makes its tables with
    #: ``create_all()``): only to tell what a column is declared as, never to judge drift or whether it is mapped.
    find: Callable[[], Application | None] | None = field(default=None, repr=False)
    _found: list[Application | None] = field(default_factory=list, repr=False)

    def declared(self) -> Application | None:
        """The models a column's declaration is read from: HEAD's, else those found without ``target_metadata``
        (read on the first question)."""
        if self.head is not None or self.find is None:
            return self.head
        if not self._found:
            self._found.append(self.find())
        return self._found[0]
