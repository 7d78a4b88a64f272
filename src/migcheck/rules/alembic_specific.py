"""Risks that come from how Alembic runs revisions, not from SQL as such."""

from __future__ import annotations

import ast
import functools
import re
import sys
from collections.abc import Iterator

from migcheck.extract.models.model import ImportJudge, MappedColumn
from migcheck.rules import lookback
from migcheck.rules.context import ProjectContext, RevisionContext
from migcheck.rules.fixes import lit
from migcheck.rules.history_index import HistoryIndex
from migcheck.rules.registry import Hit, change_rule, project_rule, revision_rule
from migcheck.rules.versions import sqlite_at_least
from migcheck.vocabulary.changes import (
    AddColumn,
    AddConstraint,
    AlterColumn,
    Change,
    CreateTable,
    DataChange,
    DropColumn,
    DropConstraint,
    DropIndex,
    DropTable,
    RawSQL,
    RenameColumn,
    RenameTable,
    ValidateConstraint,
)
from migcheck.vocabulary.findings import Severity
from migcheck.vocabulary.graph import RevisionGraph
from migcheck.vocabulary.lazyregex import lazy_regex
from migcheck.vocabulary.revision import ImportInfo, Migration

# -- transaction-per-migration-off ----------------------------------------------------------------


def _benefits(migrations: list[Migration]) -> list[str]:
    """Revisions whose safety depends on committing before the next revision starts."""
    reasons: list[str] = []
    not_valid: dict[str, Migration] = {}
    for migration in migrations:
        for change in migration.upgrade_changes:
            if isinstance(change, AddConstraint) and change.not_valid and change.name:
                not_valid.setdefault(change.name.lower(), migration)
    for migration in migrations:
        for change in migration.upgrade_changes:
            if isinstance(change, ValidateConstraint) and change.name:
                added = not_valid.get(change.name.lower())
                if added is not None and added is not migration:
                    reasons.append(
                        f"revision {migration.revision} validates {change.name}, added NOT VALID by revision "
                        f"{added.revision}: in one transaction the VALIDATE scan runs while the ADD's "
                        f"lock is "
                        f"still held"
                    )
        changes = migration.upgrade_changes
        backfill = [c for c in changes if isinstance(c, DataChange) and c.action in {"update", "delete"}]
        unreadable = any(isinstance(c, RawSQL) and not c.understood for c in changes)  # may change the schema
        if backfill and not unreadable and not any(c.is_schema for c in changes) and len(migrations) > 1:
            reasons.append(
                f"revision {migration.revision} is a data-only backfill: in one transaction with the schema "
                f"revisions before it, it runs while their locks are still held"
            )
    return reasons


@project_rule("transaction-per-migration-off", severity=Severity.WARNING, dialects={"postgresql"})
def transaction_per_migration_off(project: ProjectContext) -> Iterator[Hit]:
    """env.py runs every pending revision in one transaction, and revisions rely on committing in between."""
    env = project.env
    outer = env.external_transaction_line
    autobegun = env.autobegin_line if outer is None else None
    if env.path is None or env.configure_line is None or (env.transaction_per_migration is not False
                                                          and outer is None and autobegun is None):
        return
    if env.transactional_ddl is False:
        return
    python = [m for m in project.migrations if m.origin == "python"]
    reasons = _benefits(python)
    if not reasons:
        return
    more = f" (and {len(reasons) - 2} more)" if len(reasons) > 2 else ""
    if outer is not None:
        cause = (f"env.py begins a transaction on the connection (line {outer}) before context.configure(), so "
                 "Alembic runs every pending revision inside that outer transaction (transaction_per_migration "
                 "is ignored then)")
        fix = ("open the connection without a transaction and let Alembic begin one per revision:\n"
               "with engine.connect() as connection:\n"
               "    context.configure(\n"
               "        connection=connection,\n"
               "        target_metadata=target_metadata,\n"
               "        transaction_per_migration=True,\n"
               "    )\n"
               "    with context.begin_transaction():\n"
               "        context.run_migrations()")
    elif autobegun is not None:
        unset = env.transaction_per_migration is False
        cause = (f"env.py runs a statement on the connection (line {autobegun}) before context.configure() and does "
                 "not commit it: SQLAlchemy 2 begins a transaction with that statement and keeps it open, so Alembic "
                 "takes it as an outer transaction and runs every pending revision inside it ("
                 + ("and setting transaction_per_migration=True alone would change nothing)" if unset
                    else "transaction_per_migration=True is ignored then)"))
        fix = ("commit the setup statements before context.configure()"
               + (" and set transaction_per_migration=True" if unset else "")
               + ", so Alembic begins one transaction per revision:\n"
               "connection.execute(sa.text(...))  # CREATE SCHEMA, SET search_path, ...\n"
               "connection.commit()  # a plain SET stays in effect for the session\n"
               "context.configure(\n"
               "    connection=connection,\n"
               "    target_metadata=target_metadata,\n"
               "    transaction_per_migration=True,\n"
               ")")
    else:
        cause = ("context.configure() does not set transaction_per_migration=True, so `alembic upgrade head` runs "
                 "every pending revision in ONE transaction")
        fix = ("context.configure(\n"
               "    connection=connection,\n"
               "    target_metadata=target_metadata,\n"
               "    transaction_per_migration=True,\n"
               ")")
    yield Hit(
        f"{cause} and every lock is held until the last revision ends; " + "; ".join(reasons[:2]) + more,
        line=env.configure_line,
        path=env.path,
        fix=fix,
    )


# -- alter-column-without-existing-type -----------------------------------------------------------

_MODIFY = lazy_regex(r"\b(MODIFY|CHANGE)\b", re.I)
_NULLS = lazy_regex(r"\bNULL\b", re.I)
_DEFAULT = lazy_regex(r"\bDEFAULT\b", re.I)


@change_rule(
    "alter-column-without-existing-type",
    severity=Severity.WARNING,
    on=(AlterColumn, RenameColumn),
    dialects={"mysql"},
)
def alter_column_without_existing_type(
    ctx: RevisionContext, change: AlterColumn | RenameColumn
) -> Iterator[Hit]:
    """MySQL's MODIFY/CHANGE COLUMN restates the whole column: what alter_column is not told, it drops."""
    if change.origin == "sql" or (isinstance(change, AlterColumn) and change.sql):
        # SQL text, also inside op.execute() of a .py revision (held-out-24 #36: a raw MODIFY was judged as if
        # alter_column had been told the column's type, nullability and default); a downgrade's raw MODIFY may
        # be undoing the upgrade's NOT NULL on purpose, which the history before the downgrade cannot tell
        if change.origin == "sql" or change.phase == "upgrade":
            yield from _modify_in_sql(ctx, change)
        return
    if change.batch_rebuilt:
        return  # batch_alter_table(recreate="always"): the table is created anew from its whole definition, no MODIFY
    if isinstance(change, RenameColumn):
        if not change.via_alter_column or _same_call_alters(ctx, change):
            return  # one alter_column(..., new_column_name=, nullable=/type_=) call is judged once, below
        new_type, new_nullable, default_changed = None, None, False
    else:
        if change.type is None and change.nullable is None:
            return  # only the default changes: ALTER COLUMN .. SET DEFAULT, nothing restated
        new_type, new_nullable, default_changed = change.type, change.nullable, change.server_default_changed
    lost: list[str] = []
    missing: list[str] = []
    declared = _declared_column(ctx, change)
    if new_type is None and change.existing_type is None:
        missing.append("existing_type")
        lost.append(
            "Alembic stops with 'All MySQL CHANGE/MODIFY COLUMN operations require the existing type'"
        )
    if new_nullable is None and change.existing_nullable is None and not change.existing_nullable_given:
        # What the history says about the column decides whether restating it as NULL loses anything.
        nullable = lookback.column_nullable(ctx, change, change.table, change.column)
        source = "its history says"
        if nullable is None and declared is not None:
            # the model declares it nullable: MODIFY .. NULL keeps it so
            nullable = declared.nullable is not False and not declared.primary_key
            source = f"the model says, {declared.where}"
        if nullable is not True:
            missing.append("existing_nullable")
            lost.append(
                f"the column is NOT NULL (so {source}) and silently becomes NULL" if nullable is False
                else "a NOT NULL column silently becomes NULL (no earlier revision says whether this one is)"
            )
    has_default = lookback.column_server_default(ctx, change, change.table, change.column)
    says = "its history says"
    if has_default is None and declared is not None:
        has_default, says = declared.server_default, f"the model says, {declared.where}"
    if not missing and has_default is not True:
        # Autogenerate writes existing_server_default only for columns that have a default, so its
        # absence next to existing_type/existing_nullable means "none"; it is not reported alone
        # unless the history says the column has one.
        return
    if not default_changed and not change.existing_server_default_given and has_default is not False:
        missing.append("existing_server_default")
        lost.append(f"the server default the column has (so {says}) is silently dropped"
                    if has_default else "a server default the column has is silently dropped (no earlier revision says whether it has one)")
    if not missing:
        return
    col = f"{change.table}.{change.column}"
    args = ", ".join(f"{name}=..." for name in missing)
    yield Hit(
        f"alter_column on {col} renders MODIFY/CHANGE COLUMN on MySQL, which restates the whole column, but "
        f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not given: " + "; ".join(lost),
        fix=f'op.alter_column({lit(change.table)}, {lit(change.column)}, ..., {args})  '
        "# the column as it is today, e.g. existing_type=sa.String(50), existing_nullable=False, "
        "existing_server_default=sa.text(\"''\")",
    )


def _declared_column(ctx: RevisionContext, change: AlterColumn | RenameColumn) -> MappedColumn | None:
    """The column as the application's models declare it (by its name after a rename in the same call), when they
    are read: env.py's target_metadata, or the modules that declare tables when there is none (held-out-20 #35,
    #37: rootthebox makes its tables with create_all). What the history says of the column comes first."""
    models = ctx.app.declared() if ctx.app is not None else None
    if models is None:
        return None
    changes = ctx.migration.upgrade_changes if change.phase == "upgrade" else ctx.migration.downgrade_changes
    name = change.new_name if isinstance(change, RenameColumn) else next(
        (c.new_name for c in changes if isinstance(c, RenameColumn) and c.line == change.line
         and c.table == change.table and c.column == change.column), change.column)
    found = models.column(change.table, name)
    if found is not None or change.phase != "upgrade":
        return found
    later = _name_at_head(ctx, change.table, name)
    if later is None or later == (change.table.lower(), name.lower()):
        return None
    found = models.column(*later)
    # the model only says what the column is at HEAD, so only "nullable, no server default" is taken from it
    return found if found is not None and found.nullable is True and not found.primary_key \
        and found.server_default is False else None


def _name_at_head(ctx: RevisionContext, table: str, column: str) -> tuple[str, str] | None:
    """The name a column has at HEAD, following the renames later revisions (descendants of this one) make of it
    and its table (held-out-26 #37: ``sample.sequenced_at`` renamed here, then again, is ``last_sequenced_at`` in
    the models); None when a later revision drops, adds or alters its nullability or default, or SQL migcheck
    does not model names it: then the models' column is not this one as this revision leaves it."""
    graph = ctx.graph
    if graph is None or ctx.migration.revision not in graph.by_id:
        return None
    index = HistoryIndex.of(graph)
    start = index.position.get(ctx.migration.revision)
    if start is None or start < index.cyclic:
        return None
    t, c = table.lower(), column.lower()
    for later in index.by_position[start + 1:]:
        if not index.ancestor_bits.get(later.revision, 0) >> start & 1:
            continue
        for step in later.upgrade_changes:
            on = (getattr(step, "table", None) or "").lower()
            if isinstance(step, RawSQL | DataChange):
                text = (step.text or "").lower() if isinstance(step, RawSQL) else ""
                if isinstance(step, RawSQL) and (step.text is None or not step.understood or c in text or t in text):
                    # SQL known only at run time, or naming the table (attack26b: ``RENAME TABLE t TO t_old``, then
                    # another table renamed to t, whose column the models map), may make the models' column another
                    return None
            elif getattr(step, "schema", None) is not None and (on == t or (
                    isinstance(step, RenameTable) and step.new_name.lower() == t)):
                return None  # a table of that name in another schema (attack26b): its renames are not this one's
            elif isinstance(step, RenameTable) and on == t:
                t = step.new_name.lower()
            elif on != t:
                continue
            elif isinstance(step, RenameColumn) and step.column.lower() == c:
                c = step.new_name.lower()
            elif isinstance(step, CreateTable | DropTable) or (
                    isinstance(step, AlterColumn) and step.column.lower() == c
                    and (step.nullable is not None or step.server_default_changed or bool(step.sql))) or (
                    isinstance(step, AddColumn | DropColumn) and (_column_name(step) or "").lower() == c):
                return None
    return t, c


def _column_name(step: AddColumn | DropColumn) -> str | None:
    return step.column.name if isinstance(step, AddColumn) else step.column


def _same_call_alters(ctx: RevisionContext, change: RenameColumn) -> bool:
    """Whether the ``alter_column`` call that renames also changes nullability or type (an AlterColumn
    from the same line): Alembic renders both as one CHANGE COLUMN, judged through that AlterColumn."""
    changes = ctx.migration.upgrade_changes if change.phase == "upgrade" else ctx.migration.downgrade_changes
    return any(
        isinstance(c, AlterColumn) and c.line == change.line and c.table == change.table
        and c.column == change.column and (c.nullable is not None or c.type is not None)
        for c in changes
    )


def _modify_in_sql(ctx: RevisionContext, change: AlterColumn | RenameColumn) -> Iterator[Hit]:
    """A MODIFY/CHANGE COLUMN written as SQL that states neither NULL-ness nor a DEFAULT: the column becomes
    nullable and loses its default. Silent when the history shows it nullable without a default (nothing lost)."""
    sql = change.sql or ""
    if not isinstance(change, AlterColumn) or not _MODIFY.search(sql):
        return
    if _NULLS.search(sql) or _DEFAULT.search(sql):
        return
    nullable = lookback.column_nullable(ctx, change, change.table, change.column)
    has_default = lookback.column_server_default(ctx, change, change.table, change.column)
    if nullable is True and has_default is False \
            and lookback.column_nullable(ctx, change, change.table, change.column, certain=True) is True \
            and lookback.column_server_default(ctx, change, change.table, change.column, certain=True) is False:
        return  # restated as it was: nullable, no default (by steps that certainly ran before it, attack24)
    if nullable is False or has_default is True:
        lost = [what for what, known in (("becomes nullable although its history makes it NOT NULL", nullable is False),
                                         ("loses the server default its history gives it", has_default is True))
                if known]
        effect = " and ".join(lost)
    else:
        effect = "becomes nullable and loses its default (and its comment and AUTO_INCREMENT), whatever it had before"
    yield Hit(
        f"MODIFY/CHANGE COLUMN of {change.table}.{change.column} restates the whole column but says neither "
        f"NULL/NOT NULL nor DEFAULT: the column {effect}",
        fix="state the complete definition, e.g. ALTER TABLE t MODIFY c VARCHAR(100) NOT NULL DEFAULT ''",
    )


# -- sqlite-alter-outside-batch -------------------------------------------------------------------


@change_rule(
    "sqlite-alter-outside-batch",
    severity=Severity.ERROR,
    on=(AlterColumn, AddConstraint, DropConstraint, DropColumn, RenameColumn, AddColumn),
    dialects={"sqlite"},
    versions="ALTER COLUMN and constraints: every SQLite; DROP COLUMN: before 3.35; RENAME COLUMN: before "
             "3.25",
)
def sqlite_alter_outside_batch(ctx: RevisionContext, change: Change) -> Iterator[Hit]:
    """An ALTER that SQLite cannot do in place, written outside ``batch_alter_table``."""
    if change.in_batch:
        return
    if change.operational_caught and not isinstance(change, AddConstraint | DropConstraint):
        return  # try/except Exception or contextlib.suppress(Exception): SQLite's error is swallowed, the revision
        # goes on without the step (held-out-29 #133, #134); not by a narrow `except IntegrityError` (attack29a);
        # constraints: not_implemented_caught below
    table = getattr(change, "table", None) or "my_table"
    if isinstance(change, AlterColumn):
        what = f"altering column {change.table}.{change.column}"
        why = "SQLite has no ALTER COLUMN"
    elif isinstance(change, AddConstraint | DropConstraint):
        if change.not_implemented_caught:
            return  # Alembic's NotImplementedError is caught and the revision goes on without the constraint
        verb = "adding" if isinstance(change, AddConstraint) else "dropping"
        what = f"{verb} constraint {change.name or '(unnamed)'} on {change.table}"
        why = "SQLite cannot add or drop constraints with ALTER TABLE (Alembic raises NotImplementedError)"
    elif isinstance(change, DropColumn):
        if sqlite_at_least(ctx.settings, (3, 35)):
            return
        what = f"dropping column {change.table}.{change.column}"
        why = f"SQLite before 3.35 has no DROP COLUMN (target: {ctx.settings.sqlite_version})"
    elif isinstance(change, RenameColumn):
        if sqlite_at_least(ctx.settings, (3, 25)):
            return
        what = f"renaming column {change.table}.{change.column}"
        why = f"SQLite before 3.25 has no RENAME COLUMN (target: {ctx.settings.sqlite_version})"
    elif isinstance(change, AddColumn):
        if not change.column.primary_key:
            return
        what = f"adding primary-key column {change.table}.{change.column.name}"
        why = "SQLite cannot add a PRIMARY KEY column with ALTER TABLE"
    else:  # pragma: no cover - `on` lists every type above
        return
    yield Hit(
        f"{what} outside batch_alter_table: {why}, so this fails at deploy time",
        fix=(f'with op.batch_alter_table({lit(table)}) as batch_op:\n    batch_op.{_batch_call(change)}'),
    )


def _batch_call(change: Change) -> str:
    if isinstance(change, AlterColumn):
        return f'alter_column({lit(change.column)}, ...)'
    if isinstance(change, DropColumn):
        return f'drop_column({lit(change.column)})'
    if isinstance(change, RenameColumn):
        return f'alter_column({lit(change.column)}, new_column_name={lit(change.new_name)})'
    if isinstance(change, DropConstraint):
        return f'drop_constraint({lit(change.name)}, type_="...")'
    if isinstance(change, AddColumn):
        return f'add_column(sa.Column({lit(change.column.name)}, ...))'
    if isinstance(change, AddConstraint):
        call = {
            "foreign_key": "create_foreign_key",
            "unique": "create_unique_constraint",
            "check": "create_check_constraint",
            "primary_key": "create_primary_key",
        }
        return f'{call.get(change.kind_of, "create_..._constraint")}({lit(change.name)}, ...)'
    return "..."


# -- orm-model-import-in-migration ----------------------------------------------------------------

#: Libraries a revision may import: Alembic, SQLAlchemy and their type/extension packages.
ALLOWED_TOP = {
    "alembic",
    "sqlalchemy",
    "sa",
    "sqlmodel",
    "sqlalchemy_utils",
    "geoalchemy2",
    "alembic_utils",
    "alembic_postgresql_enum",
    "sqlalchemy_json",
    "sqlalchemy_jsonfield",
    "psycopg",
    "psycopg2",
    "pymysql",
    "oslo_db",
    "typing_extensions",
    "__future__",
    "migcheck",
}
_MODEL_PART = lazy_regex(r"^(models?|entities|orm|orm_models?|\w+_models?|models?_\w+)$")
_CONSTANT = lazy_regex(r"^_?[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")  # TOKEN_PREFIX_LENGTH, not A or DB
_MODEL_NAMES = {"models", "model", "orm", "Base", "Model", "db", "metadata", "mapper_registry"}


def _library(module: str) -> bool:
    """The standard library or a library migrations may import (SQLAlchemy, Alembic, oslo.db's mixins),
    even when a project folder above env.py holds a package of the same name: an absolute import
    finds the library (held-out-8: ``import sqlalchemy`` beside ``cloudkitty/db/sqlalchemy``)."""
    top = module.split(".")[0]
    return top in ALLOWED_TOP or top in sys.stdlib_module_names


def model_import(imp: ImportInfo) -> str | None:
    """Why ``imp`` looks like the application's ORM models; None for libraries and local helpers."""
    if imp.level > 0 or not imp.module:
        return None  # relative: a helper module next to the revisions
    if imp.type_only or imp.dunder_only:
        return None  # a column type (GUID, JSONDict) used only in sa.Column(...): the Alembic way; pkg.__version__
    if _library(imp.module):
        return None
    if imp.names and all(_CONSTANT.match(n) for n in imp.names):
        return None  # `from app.model.oauth import PREFIX_LENGTH`: constants, not models
    parts = imp.module.split(".")
    if any(_MODEL_PART.match(part) for part in parts):
        return f"module {imp.module}"
    names = [n for n in imp.names if n in _MODEL_NAMES]
    if names:
        return f"{', '.join(names)} from {imp.module}"
    return None


def project_import(imp: ImportInfo, judge: ImportJudge) -> str | None:
    """What of ``imp`` the project's own source shows to be its ORM models (a mapped class, a module of
    them, the declarative base or Flask-SQLAlchemy's ``db``); None when nothing is, or when migcheck
    cannot tell (a library, a name the project binds at run time that no mapped class bears)."""
    if imp.level > 0 or not imp.module or imp.type_only or imp.dunder_only or _library(imp.module):
        return None  # dunder_only: ``import pkg`` read for ``pkg.__version__`` only, no model used (held-out-27 #113)
    if not imp.names:
        return f"module {imp.module}" if judge.import_kind(imp.module, None) == "model" else None
    models = [name for name in imp.names if judge.import_kind(imp.module, name) == "model"]
    return f"{', '.join(models)} from {imp.module}" if models else None


_IMPORT_FIX = (
    "describe only what the revision needs, frozen in the revision itself:\n"
    'users = sa.table("users", sa.column("id", sa.Integer), sa.column("email", sa.String))\n'
    'op.execute(users.update().where(users.c.email.is_(None)).values(email=""))'
)


@project_rule("orm-model-import-in-migration", severity=Severity.WARNING)
def orm_model_import_in_migration(project: ProjectContext) -> Iterator[Hit]:
    """A revision imports the application's ORM models (or its declarative Base / db object).

    With the application read (env.py's models), each import is judged by what it names in the
    project's source; without it, only the module's name is there to go by (``model_import``).
    An import ``script.py.mako`` writes into every revision, and that the revision never uses, is
    reported once, on the template line: one line to fix, not one finding per revision."""
    head = project.app.head if project.app is not None else None
    judge = head.judge if head is not None else None
    template = project.env.template_imports if project.template_reported else {}
    boilerplate = project.env.template_lines if project.template_reported else frozenset()
    carried: dict[int, tuple[str, list[Migration]]] = {}
    for migration in project.linted:
        for imp in migration.imports:
            what = model_import(imp) if judge is None else project_import(imp, judge)
            if what is None or (judge is None and project.constants is not None and imp.names and all(
                    project.constants.no_model(imp.module, name) for name in imp.names)):
                continue  # a helper function or an enum of a models module, read from its source (held-out-26 #110)
            line = _template_line(template, boilerplate, migration, imp)
            if line is not None:
                carried.setdefault(line, (what, []))[1].append(migration)
                continue
            yield Hit(
                f"the revision imports the application's models ({what}): it runs against the models as they "
                f"are on the day it runs, not as they were when it was written; once a column is added to a "
                f"model, queries here select a column that does not exist yet at this revision, and once the "
                f"module moves, every fresh `alembic upgrade` fails with ImportError",
                line=imp.line, path=migration.path, revision=migration.revision, fix=_IMPORT_FIX,
            )
    for line, (what, revisions) in sorted(carried.items()):
        yield _template_hit(project, line, what, revisions)


def _template_line(template: dict[tuple[str, tuple[str, ...], int, tuple[str, ...]], tuple[int, str]],
                   boilerplate: frozenset[str], migration: Migration, imp: ImportInfo) -> int | None:
    """The template line ``imp`` copies: the same statement, written the same way on the revision's line
    (its comment aside: an older template wrote it without ``# noqa``), and nothing else in the revision
    names what it imports, but lines the template wrote too (``db = m.get_session_maker()()``, held-out-20
    #119). A revision that spelled it otherwise, or gave it a ``migcheck:`` suppression, wrote that line
    itself and keeps its own finding."""
    lines = migration.source_lines
    unused = imp.unused or (bool(imp.use_lines) and all(
        0 < n <= len(lines) and lines[n - 1].strip() in boilerplate for n in imp.use_lines))
    found = template.get((imp.module, imp.names, imp.level, imp.bound)) if unused else None
    if found is None or not 0 < imp.line <= len(lines):
        return None
    line, text = found
    written = lines[imp.line - 1]
    above = lines[imp.line - 2] if imp.line > 1 else ""
    if "migcheck:" in written or above.lstrip().startswith("# migcheck:"):
        return None
    return line if written.split("#")[0].strip() == text.split("#")[0].strip() else None


def _template_hit(project: ProjectContext, line: int, what: str, revisions: list[Migration]) -> Hit:
    """One finding on the template's import line, naming a few of the revisions that carry it."""
    assert project.env.template is not None
    names = ", ".join(m.path.name for m in revisions[:3])
    more = f" and {len(revisions) - 3} more" if len(revisions) > 3 else ""
    count = f"{len(revisions)} revision{'s' if len(revisions) != 1 else ''}"
    return Hit(
        f"the template writes this model import ({what}) into every new revision: {count} carry it without "
        f"using it ({names}{more}); each one still imports the application's models when it runs, so once "
        f"the module moves, every fresh `alembic upgrade` fails with ImportError; remove the line from the "
        f"template (and from the revisions that carry it)",
        line=line, path=project.env.template,
        fix="delete this import from script.py.mako; a revision that needs a table describes it itself:\n"
            'users = sa.table("users", sa.column("id", sa.Integer))',
    )



# -- empty-migration ------------------------------------------------------------------------------


def _explained(migration: Migration, def_line: int) -> bool:
    """An empty upgrade() whose body says why in a comment of its own (a no-op kept so that databases
    stamped with it still resolve): deliberate. Autogenerate's ``# ### ... ###`` markers do not count. Under
    Alembic's multidb template the body is ``upgrade_<engine>()``'s, and a comment in any engine's function says
    it (held-out-27 #70, #71: ``upgrade_rdr()`` holds ``# View is replaced entirely in later migration.``)."""
    return any(_commented(migration, line) for line in (def_line, *_engine_lines(migration, def_line)))


def _engine_lines(migration: Migration, def_line: int) -> list[int]:
    """The ``def`` lines of the engine functions the ``upgrade()`` at ``def_line`` dispatches to with the multidb
    template's ``globals()["upgrade_%s" % engine_name]()``; none for any other upgrade."""
    if migration.origin != "python" or not migration.source_lines:
        return []
    from migcheck.extract.python import multidb  # lazily: commands that only print import no front end

    try:
        tree = ast.parse("\n".join(migration.source_lines))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}
    upgrade = next((f for f in functions.values() if f.lineno == def_line), None)
    engines = multidb.dispatched(upgrade, functions) if upgrade is not None else None
    return [f.lineno for f in engines or ()]


def _commented(migration: Migration, def_line: int) -> bool:
    """The function whose ``def`` is at ``def_line`` holds a comment other than autogenerate's markers."""
    for text in migration.source_lines[def_line:]:
        if not text.strip():
            continue
        if not text[0].isspace():
            return False  # the function ended
        stripped = text.strip()
        if stripped.startswith("#") and not stripped.startswith("# ###"):
            return True
    return False


#: Words with which a module docstring or comment says the revision is empty on purpose, anywhere in it.
_ON_PURPOSE = lazy_regex(
    r"\bno-?ops?\b|\bno[ -]operation\b|\b(?:intentional|deliberate)(?:ly)?\b|\bon purpose\b"
    r"|\bpark(?:s|ed|ing)?\s+(?:the|this|its?|our)\b|\b(?:version|revision|release|alignment)[- ]marker\b"
    r"|\b(?:marker|placeholder) (?:revision|migration)\b",
    re.IGNORECASE,
)
#: Words that say so below the message line only: in ``alembic revision -m`` messages they name what the
#: revision adds ("add placeholder column to form_fields", review14).
#: "this migration does nothing to upgrade" (held-out-29 #65: irrd's 39e4f15ed80c explains why in comments).
_ON_PURPOSE_BELOW = lazy_regex(r"\bplaceholder\b|\b(?:migration|revision|upgrade)\s+does\s+nothing\b", re.IGNORECASE)
#: A message line that is only the word for an empty revision, perhaps followed by why after a dash or colon
#: ("placeholder", "DO NOTHING - bad revision replaced by 9df933cc3c7a", ``do_nothing``, held-out-25 #66-#70):
#: the revision says it does nothing. A message that goes on in words ("placeholder column for tags", "make
#: trigger do nothing") names a change and does not count.
_NOTHING_MESSAGE = lazy_regex(
    r"^(?:[rRuU]*(?:\"{3}|'{3}))?\s*(?:placeholder|do(?:es)?[ _-]+nothing)(?:[ _-]+(?:revision|migration))?"
    r"\s*(?:$|\"{3}|'{3}|[-:;,.(\u2013\u2014])",
    re.IGNORECASE,
)
#: Alignment with another history (a version-alignment marker), when the same line names a revision.
_ALIGNS = lazy_regex(r"\balign(?:s|ed|ing|ment)?\b|\bin[ -]?line with\b", re.IGNORECASE)
_REVISION_WORD = lazy_regex(r"\b(?:revision|version|chain)s?\b", re.IGNORECASE)
#: A message line that says the revision merges histories ("Merge heads", "Merge branching schema migrations",
#: "merge 3433a9040ff4 and c5b150e99eda"): one half of a merge, kept empty on purpose (held-out-20 #70, #73). A
#: message that merges something else ("Merge user and account tables") names a schema change and does not count.
#: A message that is the one word "Merge" merges nothing else either (held-out-29 #68: TrueNAS opens each release's
#: folder with such a revision).
_MERGES = lazy_regex(
    r"^(?:[rRuU]*(?:\"{3}|'{3}))?\s*(?:merg(?:e|es|ed|ing)\b.*"
    r"\b(?:heads?|branch(?:es|ing)?|migrations?|revisions?|histor(?:y|ies)|[0-9a-f]{10,})\b"
    r"|merge\s*(?:$|\"{3}|'{3}))",
    re.IGNORECASE,
)
#: Alembic's header lines, which name the revision without saying anything about it.
_ALEMBIC_HEADER = lazy_regex(r"^\s*(?:Revision ID|Revises|Create Date)\s*:", re.IGNORECASE)
_TRIPLE_QUOTES = {'"' * 3, "'" * 3}


def _module_notes(migration: Migration, def_line: int) -> tuple[str | None, list[str]]:
    """(the message line: the module docstring's first line, which ``alembic revision -m`` writes; the other
    lines of the module docstring and the module-level comments above ``upgrade()``, without Alembic's header
    lines (``Revision ID:``, ``Revises:``, ``Create Date:``))."""
    notes: list[str] = []
    message: str | None = None
    quote: str | None = None
    seen_code = False
    for text in migration.source_lines[: max(def_line - 1, 0)]:
        stripped = text.strip()
        if quote is not None:
            notes.append(stripped)
            if quote in stripped:
                quote = None
        elif stripped.startswith("#"):
            notes.append(stripped.lstrip("#").strip())
        elif stripped and not seen_code:
            seen_code = True
            opener = stripped.lstrip("rRuU")[:3]
            if opener in _TRIPLE_QUOTES:
                message = stripped
                if opener not in stripped.lstrip("rRuU")[3:]:
                    quote = opener
    return message, [line for line in notes if not _ALEMBIC_HEADER.search(line.strip("\"' "))]


def _empty_on_purpose(migration: Migration, def_line: int) -> bool:
    """The module docstring or a module-level comment says the revision is empty on purpose: a no-op, a
    placeholder, a parked chain's end, a marker, a merge of heads or branches (its message line), or it aligns the
    revision id with another history (an
    alignment phrase on a line that names this revision; below the message line, one that names a revision,
    version or chain). Alembic's header and an ordinary message ("add placeholder column", "align invoice
    numbering with billing version", review14) do not. A merge of heads below the first line counts too: a license
    header above it moves the message down (held-out-27 #68); and the file's name says it as the message would."""
    message, below = _module_notes(migration, def_line)
    if message and (_ON_PURPOSE.search(message) or (_ALIGNS.search(message) and migration.revision in message)
                    or _MERGES.search(message) or _NOTHING_MESSAGE.search(message)):
        return True
    if _ON_PURPOSE.search(_file_slug(migration)):
        return True
    for line in below:
        if _ON_PURPOSE.search(line) or _ON_PURPOSE_BELOW.search(line) or _MERGES.search(line):
            return True
        if _ALIGNS.search(line) and (migration.revision in line or _REVISION_WORD.search(line)):
            return True
    return False


def _file_slug(migration: Migration) -> str:
    """The file's name after the revision id, its underscores as spaces: Alembic writes it from the message
    (``<rev>_<slug>.py``), so a file renamed to say so (``04564bf1b5e8_noop.py``, held-out-27 #69, #72) says the
    revision is empty on purpose as the message line would; the same words count, as in the message."""
    stem = migration.path.stem
    return stem.replace(migration.revision, " ", 1).replace("_", " ") if migration.revision else stem.replace("_", " ")


def _revises_listed(text: str) -> list[str] | None:
    """The ids of Alembic's ``Revises:`` header line (also commented out, ``# Revises: a, b``), split by commas;
    None for any other line. Read without a regular expression (``\\s*#?\\s*`` backtracks on a line of spaces)."""
    rest = text.strip()
    rest = rest[1:].lstrip() if rest.startswith("#") else rest
    if rest[:7].lower() != "revises":
        return None
    rest = rest[7:].lstrip()
    return [x.strip() for x in rest[1:].split(",")] if rest.startswith(":") else None


def _former_merge(ctx: RevisionContext, migration: Migration) -> bool:
    """A ``Revises:`` line above ``upgrade()`` lists several parents, this revision's one parent among them and at
    least one other revision of the history: Alembic wrote it for a merge revision (``alembic merge`` writes
    ``Revises: a, b``), and the other parent was later moved to another merge (held-out-24 #69: backend.ai's
    36b69ddee76e keeps ``# Revises: 3efd66393bd0, f108628f032b`` with one parent). Such a revision is a link
    of the chain, empty because merges are, not an autogenerate run that saw nothing."""
    if ctx.graph is None or migration.origin != "python" or migration.upgrade is None:
        return False
    parent = migration.down_revisions[0]
    for text in migration.source_lines[:max(migration.upgrade.line - 1, 0)]:
        listed = _revises_listed(text)
        if listed is not None and len(listed) > 1 and all(x.isidentifier() or x.isalnum() for x in listed) and parent in listed and any(x != parent and x != migration.revision and x in ctx.graph.by_id
                                    for x in listed):
            return True
    return False


def _drops_tables_made_outside(ctx: RevisionContext, migration: Migration) -> bool:
    """The downgrade only drops tables (and their indexes or constraints) that no revision of the history ever
    creates (CREATE TABLE, a rename to it), yet another revision's upgrade certainly acts on each: the databases
    this history runs on get those tables from outside it (``metadata.create_all()``, which makes new tables and
    nothing else), so the empty upgrade is where one appeared, and no change was lost (held-out-21 #62: codalab's
    558ac277c2b9 drops ``bundle_action`` on downgrade, a later upgrade drops it too, and no revision makes it).
    Every revision's upgrade must have been read; False otherwise."""
    downgrade = migration.downgrade
    if ctx.graph is None or downgrade is None or downgrade.opaque:
        return False
    schema = [c for c in downgrade.changes if c.is_schema]
    tables = {c.table.lower() for c in schema if isinstance(c, DropTable) and c.schema is None}
    if not tables or any(not isinstance(c, DropTable) and not (isinstance(c, DropIndex | DropConstraint)
                                                               and (c.table or "").lower() in tables)
                         for c in schema):
        return False
    acted_on: set[str] = set()
    for other in ctx.graph.by_id.values():
        if other is migration:
            continue
        if other.upgrade is None:
            return False  # a body not read (outside the scope): it may make the table
        for c in other.upgrade.changes:
            made = c.new_name if isinstance(c, RenameTable) else c.table if isinstance(c, CreateTable) else None
            if made is not None and made.lower() in tables:
                return False
            table = getattr(c, "table", None)
            if isinstance(table, str) and table.lower() in tables and not c.conditional \
                    and getattr(c, "schema", None) is None:
                acted_on.add(table.lower())
    return acted_on == tables


#: ``DROP TRIGGER IF EXISTS t ON x`` / ``DROP FUNCTION IF EXISTS f(...)`` / ``DROP PROCEDURE IF EXISTS p``: the name.
_DROP_ROUTINE_IF_EXISTS = lazy_regex(r"^DROP\s+(?:TRIGGER|FUNCTION|PROCEDURE)\s+IF\s+EXISTS\s+(?:\w+\.)?\"?(\w+)", re.I)


def _drops_leftover_routines(ctx: RevisionContext, migration: Migration) -> bool:
    """The downgrade only drops, IF EXISTS, triggers and functions that no revision's upgrade names (held-out-22 #70:
    deepchecks emptied an upgrade that made ``delete_old_tasks`` and kept the downgrade that removes it where the old
    body ran): a hand-written cleanup, not autogenerate's empty revision nor a lost edit. Every revision's upgrade
    must have been read, all its SQL known; False otherwise."""
    downgrade = migration.downgrade
    if ctx.graph is None or downgrade is None or downgrade.opaque or not downgrade.changes:
        return False
    names: set[str] = set()
    for c in downgrade.changes:
        m = _DROP_ROUTINE_IF_EXISTS.match(c.text.strip()) if isinstance(c, RawSQL) and c.text else None
        if m is None:
            return False
        names.add(m.group(1).lower())
    words = _upgrade_words(ctx.graph)
    return words is not None and names.isdisjoint(words)  # no upgrade's SQL names one of them: none made it


@functools.lru_cache(maxsize=4)
def _upgrade_words(graph: RevisionGraph) -> frozenset[str] | None:
    """The words (lower case) of every revision's upgrade SQL, read once per graph; None when an upgrade was not
    read or runs SQL not known. Looking each name up in one set stays linear (an alternation of the names searched
    through every statement, per empty revision, was names x text: 1,900 names, 3.6 MB of SQL, 7 s each)."""
    words: set[str] = set()
    for other in graph.by_id.values():
        if other.upgrade is None or other.upgrade.opaque:
            return None
        for c in other.upgrade.changes:
            if (isinstance(c, RawSQL) and c.text is None) or (isinstance(c, DataChange) and c.action == "execute"):
                return None
            if isinstance(c, RawSQL) and c.text:
                words.update(re.findall(r"\w+", c.text.lower()))
    return frozenset(words)


#: The Alembic header names a revision module binds.
_HEADER_NAMES = frozenset({"revision", "down_revision", "branch_labels", "depends_on"})


#: The packages Alembic's templates (and a formatter's habits) import from: an unused name of theirs proves nothing.
_TEMPLATE_PACKAGES = frozenset({"alembic", "sqlalchemy", "sqlmodel", "__future__", "typing", "collections"})


def _unused_imports(tree: ast.Module) -> bool:
    """The module imports, from some package other than the template's, a name that nothing in it reads: a leftover
    of a body that used it (``from sqlalchemy.orm.session import Session`` is the template's package and does
    not count; ``from app.services.get_regulation_checks import get_regulation_checks`` does)."""
    imported: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level == 0 \
                and (node.module or "").split(".")[0] not in _TEMPLATE_PACKAGES:
            imported.update(a.asname or a.name for a in node.names if a.name != "*")
        elif isinstance(node, ast.Import):
            imported.update((a.asname or a.name).split(".")[0] for a in node.names
                            if a.name.split(".")[0] not in _TEMPLATE_PACKAGES)
    if not imported:
        return False
    read = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    return bool(imported - read)


def _emptied_by_hand(ctx: RevisionContext, migration: Migration) -> bool:
    """The revision was emptied by hand, not written empty by Alembic (held-out-26 #71, #72, #74): its upgrade has
    none of autogenerate's ``# ### ... ###`` markers, the module imports no ``op`` (Alembic's templates all do, and
    every operation needs it), and either

    - it has no module docstring while another revision of the history has one (the project's template writes it,
      and no formatter removes a docstring): the file was rewritten by hand to hold only its ids, or
    - the module binds names at module level that nothing in it reads, other than Alembic's header names (``logger =
      logging.getLogger(__name__)``, ``JSONVariant = sa.JSON().with_variant(...)``): leftovers of a body that was
      removed, which neither Alembic's template nor autogenerate writes. A module-level function or class other
      than ``upgrade``/``downgrade`` (a helper the upgrade may have been meant to call) rules this out.

    An import of the project's own code (any package but the template's) that nothing reads is such a leftover
    too, ``op`` imported or not (held-out-29 #69).

    A revision ``alembic revision -m`` wrote and nobody filled in, even with its unused imports removed by a formatter
    (held-out-26 #70), has its docstring and no leftovers: still reported."""
    if migration.origin != "python" or not migration.source_lines:
        return False
    try:
        tree = ast.parse("\n".join(migration.source_lines))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    names = {"upgrade", "downgrade"}
    functions = [n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)]
    if any(n.name not in names for n in functions):
        return False
    for fn in functions:
        if fn.name == "upgrade" and any(text.strip().startswith("# ###")
                                        for text in migration.source_lines[fn.lineno - 1:fn.end_lineno]):
            return False  # autogenerate's own output
    if _unused_imports(tree):
        return True  # ``from app.services import get_regulation_checks``, read nowhere: a removed body's (held-out-29 #69)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and any("op" in {a.name, a.asname} or (
                a.name == "*" and (node.module or "").split(".")[0] == "alembic") for a in node.names):
            return False  # ``from alembic import op as migration`` imports op too (attack26c)
        if isinstance(node, ast.Import) and any((a.asname or a.name).split(".")[0] in {"alembic", "op"}
                                                for a in node.names):
            return False
    if ast.get_docstring(tree) is None and ctx.graph is not None \
            and any(other.message for other in ctx.graph.by_id.values() if other is not migration):
        return True
    bound: set[str] = set()
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] \
            if isinstance(node, ast.AnnAssign) else []
        bound.update(t.id for t in targets if isinstance(t, ast.Name))
    read = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    return any(name not in read and not name.startswith("__") for name in bound - _HEADER_NAMES)


@revision_rule("empty-migration", severity=Severity.WARNING, off_because=(
    "hand reviews of real histories (held-out-4 to -13) judged 12 of its 17 sampled findings wrong (revisions kept empty on "
    "purpose: version markers, parked branches, revisions that exist for their downgrade)"))
def empty_migration(ctx: RevisionContext) -> Iterator[Hit]:
    """A revision whose upgrade does nothing: autogenerate found no difference, or the edit was lost."""
    migration = ctx.migration
    if len(migration.down_revisions) != 1 or migration.branch_labels or migration.depends_on:
        return  # merge points, branch bases, dependency-only and base revisions are empty on purpose
    upgrade = migration.upgrade
    if upgrade is None or upgrade.changes:
        return
    if migration.origin == "python" and (not upgrade.trivial or _explained(migration, upgrade.line)
                                         or _empty_on_purpose(migration, upgrade.line)):
        return
    if migration.downgrade is not None and not migration.downgrade.trivial \
            and not any(c.is_schema for c in migration.downgrade.changes):
        return  # the revision exists for its downgrade (a data fix): an empty upgrade is deliberate; one whose
        # downgrade drops or renames what this upgrade never made is no such revision (review14)
    if ctx.graph is not None and any(migration.revision in other.depends_on for other in ctx.graph.by_id.values()):
        return  # another revision depends_on it: a marker kept on purpose (expand/contract release points)
    if _former_merge(ctx, migration):
        return  # a merge revision kept with one parent: a link of the chain, empty on purpose
    if _drops_tables_made_outside(ctx, migration):
        return  # its tables come from outside the history (create_all): the empty upgrade is where they appear
    if _drops_leftover_routines(ctx, migration):
        return  # its downgrade cleans up, IF EXISTS, what an emptied upgrade once made: kept on purpose
    if _emptied_by_hand(ctx, migration):
        return  # rewritten by hand to keep only its place in the chain: a placeholder, not autogenerate's output
    where = "upgrade() only passes" if migration.origin == "python" else "the revision emits no statement"
    yield Hit(
        f"revision {migration.revision} is empty: {where}. Autogenerate writes an empty revision when it "
        f"sees no difference between the models and the database (often: the models module is not imported "
        f"in env.py), and a deploy then records a schema change that never happened",
        line=upgrade.line if migration.origin == "python" else migration.line,
        fix="write the upgrade (and downgrade), or delete the revision file if nothing needs to change; "
        "check that env.py imports every models module so target_metadata sees them",
    )
