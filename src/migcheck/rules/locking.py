"""Locks on live tables: the migrations that stall every request while they run."""

from __future__ import annotations

import re
from collections.abc import Iterator

from migcheck.facts.postgres import dropped_materialized_views, schema_of, unquote
from migcheck.rules import lookback
from migcheck.rules.context import RevisionContext
from migcheck.rules.emptied import INDEX_READS, TRUNCATE_FIX, deleted_rows_note, emptied_before, needs_empty_table
from migcheck.rules.fixes import index_name_lit, lit
from migcheck.rules.overwritten import (
    empty_is_the_default,
    is_boolean,
    is_dated,
    is_numeric,
    made_unique_later,
    not_false_default,
    overwritten_later,
    zero_is_the_default,
)
from migcheck.rules.rawcommit import (
    WORKS_ONLY_UNDER_PSYCOPG2,
    AfterCommit,
    after_raw_commit,
    driver_source,
    reopening_driver,
)
from migcheck.rules.registry import Hit, change_rule
from migcheck.rules.versions import mysql_not_null_reason
from migcheck.vocabulary.changes import (
    AddColumn,
    AddConstraint,
    Change,
    CreateIndex,
    DropConstraint,
    DropIndex,
    DropTable,
    RawSQL,
    target_table,
)
from migcheck.vocabulary.findings import Severity
from migcheck.vocabulary.lazyregex import lazy_regex


@change_rule("add-not-null-column-without-default", severity=Severity.ERROR, on=(AddColumn,))
def add_not_null_column_without_default(ctx: RevisionContext, change: AddColumn) -> Iterator[Hit]:
    """A NOT NULL column added to an existing table without a server default."""
    col = change.column
    if ctx.created_here(change.table) or not nothing_fills_rows(ctx, change):
        return
    boolean = ctx.dialect == "mysql" and is_boolean(change)
    other = not_false_default(ctx, change) if boolean else None
    if ctx.dialect == "mysql" and overwritten_later(ctx, change):
        return  # MySQL's implicit value never survives the upgrade
    # every existing row gets the same implicit value: a unique key over the column fails on two rows (attack29a)
    kept = ctx.dialect == "mysql" and not made_unique_later(ctx, change)
    if kept and boolean and other is None:
        return  # FALSE is what the rows should hold
    if kept and is_numeric(change) and zero_is_the_default(ctx, change):
        return  # the implicit 0 is the default the code gives new rows
    if kept and empty_is_the_default(ctx, change):
        return  # the implicit '' is the default the code gives new rows
    if kept and col.python_default_first_label:
        return  # a NOT NULL ENUM's implicit default is its first label, the default the code gives new rows
    name = f"{change.table}.{col.name}"
    if ctx.dialect == "mysql":
        why = mysql_not_null_reason(ctx.settings, other, dated=is_dated(change))
    elif ctx.dialect == "sqlite" and change.batch_rebuilt:
        why = ("the batch rebuilds the table, and the INSERT ... SELECT that copies its rows gives the column no "
               "value: 'NOT NULL constraint failed' as soon as the table has a row")
    elif ctx.dialect == "sqlite":
        why = "SQLite refuses it: 'Cannot add a NOT NULL column with default value NULL'"
    else:
        why = "the ALTER fails with a NOT NULL violation as soon as the table has a row"
    python_default = " (a Python-side default= never reaches existing rows)" if col.python_default else ""
    col_type = col.type or "sa.Text()"
    col_type = col_type if "." in col_type.split("(")[0] else f"sa.{col_type}"
    t, c = change.table, col.name
    if ctx.dialect == "postgresql":
        later = (
            f"# backfill existing rows in batches; then, in later revisions (PostgreSQL 12+, no long lock):\n"
            f'op.create_check_constraint("ck_{t}_{c}_not_null", {lit(t)}, "{c} IS NOT NULL", postgresql_not_valid=True)\n'
            f'op.execute("ALTER TABLE {t} VALIDATE CONSTRAINT ck_{t}_{c}_not_null")  # its own revision\n'
            f'op.alter_column({lit(t)}, {lit(c)}, existing_type={col_type}, nullable=False)  # proven by the CHECK\n'
            f'op.drop_constraint("ck_{t}_{c}_not_null", {lit(t)}, type_="check")\n'
        )
    else:
        later = (
            f"# backfill existing rows in batches, then in a later revision:\n"
            f'op.alter_column({lit(t)}, {lit(c)}, existing_type={col_type}, nullable=False)\n'
        )
    yield Hit(
        f"column {name} is added NOT NULL without a server_default{python_default}: {why}",
        fix=(
            f'op.add_column({lit(t)}, sa.Column({lit(c)}, {col_type}, nullable=True))\n'
            f"{later}"
            f'# or, when one constant fits every row: sa.Column(..., nullable=False, server_default="...")'
        ),
    )


def nothing_fills_rows(ctx: RevisionContext, change: AddColumn) -> bool:
    """Whether the column is added NOT NULL with nothing to fill the rows already there: PostgreSQL and SQLite
    refuse the ADD COLUMN as soon as the table has a row (checked on PostgreSQL 15: 'column ... contains null
    values'), so a revision that gets past it found the table empty."""
    # DELETE FROM t / TRUNCATE t earlier in the transaction: no row is left to violate NOT NULL
    # (an earlier NOT NULL ADD COLUMN of the table keeps it reported: each one fails on rows of its own)
    return needs_empty_table(ctx, change) and emptied_before(ctx, change, change.table, change.schema,
                                                           by_add=False) is None


@change_rule("create-index-not-concurrently", severity=Severity.ERROR, on=(CreateIndex,), dialects={"postgresql"})
def create_index_not_concurrently(ctx: RevisionContext, change: CreateIndex) -> Iterator[Hit]:
    """CREATE INDEX without CONCURRENTLY on an existing table blocks writes for the whole build."""
    if ctx.created_here(change.table) or change.off_in_production:  # production builds it by hand
        return
    if change.table and change.schema is None and lookback.renamed_new_table(ctx, change, change.table):
        return  # a copy and swap's new table, renamed in the transaction: nobody else sees it before COMMIT
    if lookback.may_skip(change) and lookback.changes_nothing(ctx, change):
        # try: op.create_index(<a name the history has>) except Exception: -- it fails before any build (its
        # brief lock wait is missing-lock-timeout's concern); what the failure skips never runs at all
        return
    if change.concurrently:
        if change.if_not_exists and not _dropped_before(ctx, change):
            yield _invalid_index_kept(change)
        return
    emptied = emptied_before(ctx, change, change.table, change.schema)
    if isinstance(emptied, RawSQL | AddColumn):
        return  # TRUNCATE (or an ADD COLUMN that fails on rows) earlier in the transaction: an empty table, and the
        # build runs under the ACCESS EXCLUSIVE lock that step holds anyway
    deleted = deleted_rows_note(emptied, INDEX_READS) \
        if emptied is not None else ""
    unique = "unique " if change.unique else ""
    columns = ", ".join(f'{lit(c)}' for c in change.columns) or '"..."'
    extra = ", unique=True" if change.unique else ""
    view = lookback.materialized_view(ctx, change, change.table)
    if view is not None:
        if view == "existing":  # one made earlier in this transaction is seen by no other session yet
            yield _on_materialized_view(change, columns, extra)
        return
    yield Hit(
        f"{unique}index {change.name or '(unnamed)'} on existing table {change.table} is built without "
        f"CONCURRENTLY: its SHARE lock blocks every INSERT, UPDATE and DELETE until the build ends{deleted}",
        fix=(
            "with op.get_context().autocommit_block():\n"
            f'    op.create_index({_index_name(change)}, {lit(change.table)}, [{columns}]{extra}, '
            f"postgresql_concurrently=True)" + (TRUNCATE_FIX if deleted else "")
        ),
    )


def _index_name(change: CreateIndex) -> str:
    return index_name_lit(change.name, change.table, change.columns, change.sql)


def _on_materialized_view(change: CreateIndex, columns: str, extra: str) -> Hit:
    """An index on a materialized view (held-out-19 #30): nothing writes its rows, and its SHARE lock lets reads go
    on (checked on PostgreSQL 15); it holds off every REFRESH until the build ends, and a plain REFRESH waiting
    for its ACCESS EXCLUSIVE lock holds up every read queued behind it (REFRESH CONCURRENTLY waits without that)."""
    unique = "unique " if change.unique else ""
    return Hit(
        f"{unique}index {change.name or '(unnamed)'} on materialized view {change.table} is built without "
        f"CONCURRENTLY: reads of the view go on, but its SHARE lock holds off every REFRESH until the build ends, "
        f"and a plain REFRESH MATERIALIZED VIEW waiting meanwhile (it asks for ACCESS EXCLUSIVE) blocks every "
        f"read of the view queued behind it",
        severity=Severity.WARNING,
        fix=(
            "with op.get_context().autocommit_block():\n"
            f'    op.create_index({_index_name(change)}, {lit(change.table)}, [{columns}]{extra}, '
            f"postgresql_concurrently=True)"
        ),
    )


def _dropped_before(ctx: RevisionContext, change: CreateIndex) -> bool:
    """The revision drops the index (IF EXISTS) before building it again: the repair of an INVALID index."""
    name = (change.name or "").lower()
    return bool(name) and any(isinstance(c, DropIndex) and (c.name or "").lower() == name
                              for c in lookback.phase_before(ctx, change))


def _invalid_index_kept(change: CreateIndex) -> Hit:
    """CREATE INDEX CONCURRENTLY IF NOT EXISTS after a failed attempt: PostgreSQL 15 answers "relation already
    exists, skipping" for the INVALID index the failure left (checked on the server), so the migration
    succeeds without an index that queries can use, while every write still maintains it."""
    name = change.name or "(unnamed)"
    columns = ", ".join(f'{lit(c)}' for c in change.columns) or '"..."'
    extra = ", unique=True" if change.unique else ""
    return Hit(
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name}: a concurrent build that failed before (a duplicate "
        f"key, a deadlock, a cancelled deploy) leaves {name} behind INVALID, and IF NOT EXISTS then skips the "
        f"build: the migration succeeds, queries never use the index, and every write still updates it",
        fix=(
            "with op.get_context().autocommit_block():\n"
            f'    op.drop_index({lit(change.name)}, table_name={lit(change.table)}, postgresql_concurrently=True, '
            f"if_exists=True)\n"
            f'    op.create_index({lit(change.name)}, {lit(change.table)}, [{columns}]{extra}, '
            f"postgresql_concurrently=True)"
        ),
        severity=Severity.WARNING,
    )


@change_rule("drop-index-not-concurrently", severity=Severity.WARNING, on=(DropIndex,), dialects={"postgresql"})
def drop_index_not_concurrently(ctx: RevisionContext, change: DropIndex) -> Iterator[Hit]:
    """DROP INDEX without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the table."""
    if change.concurrently or ctx.created_here(change.table) or change.off_in_production:
        return
    if change.name and change.name.lower() in ctx.created_indexes:
        return
    if _relation_dropped_here(ctx, change, change.table):
        return  # the table goes too: DROP TABLE takes its own lock, and nothing is left to keep available
    if not change.table and change.name and _drops_a_relation(ctx) and (owner := _index_owner(ctx, change)) \
            and _relation_dropped_here(ctx, change, owner):
        return  # DROP INDEX ix (raw SQL names no table) just before DROP TABLE of the table it is on
    if _exclusive_anyway(ctx, change):
        return  # the transaction holds ACCESS EXCLUSIVE on the table until it commits: CONCURRENTLY gains nothing
    # DROP INDEX IF EXISTS of an index the history never made is still reported: IF EXISTS says it may be
    # there (made by hand, by create_all, under a naming convention), and there it locks (review14)
    table = f" on {change.table}" if change.table else ""
    table_arg = f', {lit(change.table)}' if change.table else ""
    yield Hit(
        f"index {change.name or '(unnamed)'}{table} is dropped without CONCURRENTLY: DROP INDEX takes an "
        f"ACCESS EXCLUSIVE lock that blocks reads and writes of the table, and queues behind long queries",
        fix=(
            "with op.get_context().autocommit_block():\n"
            f'    op.drop_index({lit(change.name)}{table_arg}, postgresql_concurrently=True)'
        ),
    )


def _relation_dropped_here(ctx: RevisionContext, change: DropIndex, name: str | None) -> bool:
    """This upgrade also drops the index's relation: a table, or a materialized view (held-out-22 #57), whose
    DROP takes ACCESS EXCLUSIVE on it as DROP TABLE does and leaves nothing to keep available. In the index's
    schema only: ``DROP MATERIALIZED VIEW IF EXISTS reporting.orders`` leaves ``public.orders`` and its lock. And
    only by a drop that runs wherever the DROP INDEX runs (attack26d: ``op.drop_table("users")`` under ``if
    os.environ.get(...)``, in a loop over nothing or a swallowing ``try`` left the lock of ``users`` unreported)."""
    if not name:
        return False
    key = (_schema_key(change.schema), unquote(name))
    return any(((isinstance(c, DropTable) and (_schema_key(c.schema), c.table.lower()) == (key[0], key[1].lower()))
                or (isinstance(c, RawSQL) and key in dropped_materialized_views(c.text)))
               and _drop_runs_with(change, c) for c in ctx.migration.upgrade_changes)


def _drop_runs_with(change: Change, other: Change) -> bool:
    """``other`` runs wherever ``change`` runs (_runs_with, in or out of the transaction: the relation goes either
    way)."""
    return other.engine == change.engine and change.blocks[:len(other.blocks)] == other.blocks \
        and not (other.off_in_production and not change.off_in_production) \
        and (not other.conditional or change.conditional) and _not_skipped(change, other)


def _not_skipped(change: Change, other: Change) -> bool:
    """Nor in a loop that may make no pass (``for t in []:``), nor after a step a ``try`` may leave by its
    ``except`` (``try: int(os.environ["X"]); op.drop_table("users")``), unless ``change`` is in the same one."""
    return (other.loop is None or other.loop == change.loop) \
        and change.guarded[:len(other.guarded)] == other.guarded


def _drops_a_relation(ctx: RevisionContext) -> bool:
    """This upgrade drops some table or materialized view (_relation_dropped_here is False for every name
    otherwise): without one, the owner of an index dropped by name alone need not be looked up (issue 13,
    app-calls)."""
    return any(isinstance(c, DropTable) or (isinstance(c, RawSQL) and dropped_materialized_views(c.text))
               for c in ctx.migration.upgrade_changes)


def _schema_key(schema: str | None) -> str | None:
    """A schema as relations are compared: None for the default (``public``), lower case otherwise."""
    return None if schema is None or schema.lower() == "public" else schema.lower()


def _index_owner(ctx: RevisionContext, change: DropIndex) -> str | None:
    """The table an index dropped by name alone was created on, in this revision or an earlier one; when no revision
    made it (a schema from ``create_all()``), the one table this revision's downgrade certainly re-creates it on,
    as the author states it (held-out-24 #54: taguette's ``drop_index("ix_groups_project_id")``, whose downgrade
    runs ``create_index("ix_groups_project_id", "groups", ...)``). Re-created on two tables: not known; nor on a
    table this revision's upgrade creates (attack24b: create ``scratch``, drop the index of ``users`` by name, drop
    ``scratch``, and a downgrade re-creating the index on ``scratch``, hid the drop; a table the history already had
    can only be dropped or locked by a step that is reported itself)."""
    index = lookback.created_index(ctx, change, change.name or "")
    if index is not None:
        return index.table
    if (keyed := _key_constraint_table(ctx, change)) is not None:
        return keyed
    name = (change.name or "").lower()
    made = [c for c in ctx.migration.downgrade_changes if isinstance(c, CreateIndex) and (c.name or "").lower() == name]
    tables = {(c.table or "").lower() for c in made}
    if len(tables) != 1 or "" in tables or any(c.conditional or c.guarded or _schema_key(c.schema) != _schema_key(change.schema) for c in made):
        return None
    return None if ctx.created_here(made[0].table) else made[0].table


def _key_constraint_table(ctx: RevisionContext, change: DropIndex) -> str | None:
    """The table of a primary key or unique constraint of the index's name that this upgrade drops (held-out-25 #54:
    ``ALTER TABLE events DROP CONSTRAINT IF EXISTS events_pkey``, then ``DROP INDEX IF EXISTS events_pkey``):
    PostgreSQL gives a key's index the constraint's name, so that is the index's table. Both in the default schema.

    What says the constraint is that table's key (attack25b: each of these named a small table's constraint after a
    big table's index, so the DROP INDEX seemed to lock only the small table): PostgreSQL's own ``<table>_pkey``
    name; else, for a drop that fails when there is no such constraint (no IF EXISTS), ``type_="primary"`` /
    ``"unique"`` or the ``<table>_..._key`` name (with IF EXISTS nothing may be dropped, and ``account`` is a prefix
    of ``account_users_email_key``). Never an explicit CHECK or foreign key, one this upgrade adds under that name
    first (a CHECK named like the index), or a drop that may not run where the DROP INDEX does."""
    name = (change.name or "").lower()
    if not name or _schema_key(change.schema) is not None:
        return None
    added = {(c.name or "").lower() for c in ctx.migration.upgrade_changes if isinstance(c, AddConstraint)}
    for c in ctx.migration.upgrade_changes:
        if not (isinstance(c, DropConstraint) and c.table and (c.name or "").lower() == name):
            continue
        table = c.table.lower()
        if "." in table or c.schema is not None or (c.sql and "." in c.sql.upper().split("DROP CONSTRAINT")[0]):
            continue
        if name in added or not _runs_with(change, c) or c.kind_of not in {None, "primary", "primary_key", "unique"}:
            continue
        keyed = c.kind_of is not None or (name.startswith(f"{table}_") and name.endswith("_key"))
        if name == f"{table}_pkey" or (keyed and not c.if_exists):
            return c.table
    return None


def _runs_with(change: Change, other: Change) -> bool:
    """``other`` runs wherever ``change`` runs, in its transaction: the same engine, no block that ``change`` is not
    in, not a step production skips (attack25b: a DROP CONSTRAINT under ``if False:`` locks nothing)."""
    return other.engine == change.engine and change.blocks[:len(other.blocks)] == other.blocks \
        and not (other.off_in_production and not change.off_in_production) \
        and (not other.conditional or change.conditional) and other.in_transaction and _not_skipped(change, other)


def _exclusive_anyway(ctx: RevisionContext, change: DropIndex) -> bool:
    """Another step of the same transaction takes ACCESS EXCLUSIVE on the index's table (a DROP COLUMN,
    a rewriting ALTER): that lock is held until COMMIT, before or after the DROP INDEX, so a concurrent
    drop would not shorten the time readers and writers wait. A raw ``DROP INDEX ix`` names no table: the
    one the history created the index on is its table."""
    from migcheck.rules.safety import strong_lock

    owner = change.table or (_index_owner(ctx, change) if change.name else None)
    if not owner or not change.in_transaction:
        return False
    table = owner.lower()
    return any(
        other is not change and not isinstance(other, DropIndex) and _runs_with(change, other)
        and (target_table(other) or "").lower() == table and strong_lock(ctx, other) == "ACCESS EXCLUSIVE"
        and _schema_key(_schema_written(other, change.schema)) == _schema_key(change.schema)  # same schema's
        for other in ctx.migration.upgrade_changes
    )


_NAME = r'(?:"[^"]*"|[\w$]+)'
_ALTERED_TABLE = lazy_regex(rf"^\s*ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?(?P<name>{_NAME}(?:\s*\.\s*{_NAME})?)",
                            re.I)


def _schema_written(other: Change, default: str | None) -> str | None:
    """The schema of ``other``'s table: its ``schema`` field, else (a change kind that keeps none, DropConstraint)
    the one its ALTER TABLE statement names (``ALTER TABLE archive.sites DROP CONSTRAINT ...`` is ``archive``'s
    table, not that of ``DROP INDEX mon.ix``), else ``default``."""
    if hasattr(other, "schema"):
        return getattr(other, "schema", None)
    m = _ALTERED_TABLE.match(other.sql) if other.sql else None
    if m is None:
        return default
    return schema_of(m.group("name"))


@change_rule(
    "concurrent-index-in-transaction",
    severity=Severity.ERROR,
    on=(CreateIndex, DropIndex),
    dialects={"postgresql"},
    phases=("upgrade", "downgrade"),
)
def concurrent_index_in_transaction(ctx: RevisionContext, change: CreateIndex | DropIndex) -> Iterator[Hit]:
    """CONCURRENTLY inside the migration's transaction: PostgreSQL refuses it at deploy time."""
    if not change.concurrently or not change.in_transaction:
        return
    verb = "CREATE INDEX" if isinstance(change, CreateIndex) else "DROP INDEX"
    call = "create_index" if isinstance(change, CreateIndex) else "drop_index"
    fix = f"with op.get_context().autocommit_block():\n    op.{call}(..., postgresql_concurrently=True)"
    raw = after_raw_commit(ctx, change)
    if raw is None:
        yield Hit(
            f"{verb} CONCURRENTLY of {change.name or '(unnamed)'} runs inside the migration's transaction: "
            f"PostgreSQL fails with '{verb} CONCURRENTLY cannot run inside a transaction block'",
            fix=fix,
        )
        return
    if raw.after is AfterCommit.AUTOCOMMIT:
        return
    what = f"{verb} CONCURRENTLY of {change.name or '(unnamed)'} relies on the COMMIT sent as SQL at line {raw.commit.line}"
    if raw.after is AfterCommit.REOPENED:
        yield Hit(f"{what}: {reopening_driver(ctx)}, so PostgreSQL fails with '{verb} CONCURRENTLY "
                  "cannot run inside a transaction block'", fix=fix)
        return
    yield Hit(f"{what}: {WORKS_ONLY_UNDER_PSYCOPG2} and the {verb} fails inside a transaction block "
              f"({driver_source(ctx)})", fix=fix, severity=Severity.WARNING)
