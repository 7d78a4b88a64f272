"""What a per-revision rule knows besides the change in front of it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from migcheck.sources.envinfo import EnvInfo
from migcheck.vocabulary import branches
from migcheck.vocabulary.changes import Change, CreateIndex, CreateTable, DropTable, target_table
from migcheck.vocabulary.graph import RevisionGraph
from migcheck.vocabulary.revision import Migration
from migcheck.vocabulary.settings import Settings

if TYPE_CHECKING:
    from migcheck.extract.models.constants import AppConstants
    from migcheck.extract.models.model import AppView


@dataclass(eq=False, repr=False)
class RevisionContext:
    """What a per-revision rule sees: the revision, the settings, the graph, env.py, the models."""

    migration: Migration
    settings: Settings
    graph: RevisionGraph | None = None
    #: What env.py says about transactions and lock_timeout (empty when no env.py was found).
    env: EnvInfo = field(default_factory=EnvInfo)
    created_tables: set[str] = field(default_factory=set)
    created_indexes: set[str] = field(default_factory=set)
    #: The application's models at HEAD and on the base (None when env.py leads to none).
    app: AppView | None = None
    #: The application's constants that revisions import (read on the first question; None without env.py).
    constants: AppConstants | None = None
    #: Per-revision answers the rules keep so that asking for every change stays linear in the revision's size
    #: (lookback.phase_position, emptied's steps that may matter); keyed by the asking module's own names.
    memo: dict[str, Any] = field(default_factory=dict)
    #: On PostgreSQL, the names the tables this upgrade creates may have in the catalog, case kept: an Alembic op's
    #: name as given (SQLAlchemy quotes a name that is not all lower case, so ``create_table("Events")`` makes
    #: ``"Events"``), a name read from SQL both as written and folded (the SQL front end drops the quotes, so
    #: ``CREATE TABLE Events`` and ``CREATE TABLE "Events"`` look alike). None elsewhere: MySQL's table names follow
    #: lower_case_table_names, SQLite's are case-insensitive.
    created_names: set[str] | None = None

    @classmethod
    def build(
        cls, migration: Migration, settings: Settings, graph: RevisionGraph | None, env: EnvInfo | None = None,
        app: AppView | None = None, constants: AppConstants | None = None,
    ) -> RevisionContext:
        made = [c for c in migration.upgrade_changes if isinstance(c, CreateTable)]
        tables = {c.table.lower() for c in made}
        indexes = {c.name.lower() for c in migration.upgrade_changes if isinstance(c, CreateIndex) and c.name}
        names = {n for c in made for n in ((c.table,) if c.sql is None else (c.table, c.table.lower()))} \
            if settings.dialect == "postgresql" else None
        return cls(migration, settings, graph, env or EnvInfo(), tables, indexes, app, constants, created_names=names)

    @property
    def dialect(self) -> str:
        return self.settings.dialect

    @property
    def on_contract(self) -> bool:
        """The revision is on a contract branch (``vocabulary/branches.py``): it runs once no release that uses
        what it removes or renames is left, so no "application version still running" breaks."""
        return branches.on_contract(self.graph, self.migration)

    @property
    def servers_stopped(self) -> bool:
        """The revision is on a contract branch its tool runs with the application stopped (neutron-db-manage,
        ``vocabulary/branches.py``): no application writes wait for its locks or copies."""
        return branches.servers_stopped(self.graph, self.migration)

    def created_here(self, table: str | None) -> bool:
        """True when this revision's upgrade creates ``table``: no lock risk on a table nobody uses yet. On
        PostgreSQL by the name in the catalog (created_names): ``CLUSTER events`` (folded to lower case) is not the
        ``"Events"`` that ``op.create_table("Events")`` made. A name with upper case may be an op's (as given) or
        SQL's whose quotes are gone (folded unless quoted): both are tried, so only a certain difference counts;
        a name in all lower case is that name either way."""
        if table is None or table.lower() not in self.created_tables:
            return False
        return self.created_names is None or table in self.created_names or table.lower() in self.created_names

    def created_in_any_case(self, table: str | None) -> bool:
        """created_here without PostgreSQL's case: a name this upgrade creates in some spelling."""
        return table is not None and table.lower() in self.created_tables

    def on_new_table(self, change: Change) -> bool:
        return self.created_here(target_table(change))

    def dropped_here(self, table: str | None) -> bool:
        """True when this revision's upgrade also drops ``table`` (autogenerate drops its indexes first)."""
        if table is None:
            return False
        return any(isinstance(c, DropTable) and c.table.lower() == table.lower()
                   for c in self.migration.upgrade_changes)


@dataclass(eq=False, repr=False)
class ProjectContext:
    """What a project rule sees: env.py, the revision graph, every loaded migration, the settings."""

    settings: Settings
    env: EnvInfo
    graph: RevisionGraph
    migrations: list[Migration]
    app: AppView | None = None
    #: The revisions per-revision checks look at (baseline and pull-request scope); None: all of them.
    in_scope: list[Migration] | None = None
    #: Whether a finding on env.py concerns this run (a pull request that leaves env.py alone: no).
    env_reported: bool = True
    #: Whether a finding on env.py's ``script.py.mako`` concerns this run (False: none, or a pull request
    #: that leaves it alone).
    template_reported: bool = False
    #: Work that several project rules share, computed by the first that needs it (the drift between
    #: the models and the history feeds two rules).
    shared: dict[str, Any] = field(default_factory=dict)
    #: The application's names, read from its source on the first question (None without env.py).
    constants: AppConstants | None = None

    @property
    def linted(self) -> list[Migration]:
        return self.migrations if self.in_scope is None else self.in_scope
