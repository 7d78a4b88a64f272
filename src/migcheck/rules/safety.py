"""Safety nets: lock timeouts, batched backfills, SQL built from strings, SQL migcheck cannot read."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from migcheck.facts.postgres import parse_statement, parse_type
from migcheck.rules import lookback
from migcheck.rules.context import ProjectContext, RevisionContext
from migcheck.rules.registry import Hit, change_rule, project_rule
from migcheck.rules.versions import instant_add_column, mysql_label, release_unknown
from migcheck.vocabulary.changes import (
    LIMIT_KEYWORD,
    UNKNOWN_FUNCTION,
    AddColumn,
    AddConstraint,
    AlterColumn,
    Change,
    CreateIndex,
    DataChange,
    DropColumn,
    DropConstraint,
    DropIndex,
    DropTable,
    RawSQL,
    RenameColumn,
    RenameTable,
    SetSetting,
    target_table,
)
from migcheck.vocabulary.findings import Severity
from migcheck.vocabulary.lazyregex import lazy_regex
from migcheck.vocabulary.revision import Migration

# -- missing-lock-timeout -------------------------------------------------------------------------

#: Statements kept as raw SQL that take a lock which blocks reads or writes of a table. REINDEX,
#: VACUUM, CLUSTER, REFRESH, LOCK and DETACH are read by ``postgres.parse_statement``, the classifier
#: every rule shares (options such as ``(CONCURRENTLY false)`` or ``(VERBOSE, FULL)`` included).
_STRONG_RAW = {
    "ALTER TABLE": "ACCESS EXCLUSIVE",
    "TRUNCATE": "ACCESS EXCLUSIVE",
    "CREATE TRIGGER": "SHARE ROW EXCLUSIVE",
    "DROP TRIGGER": "ACCESS EXCLUSIVE",
    "DROP VIEW": "ACCESS EXCLUSIVE",
    "DROP MATERIALIZED": "ACCESS EXCLUSIVE",
    "ALTER INDEX": "ACCESS EXCLUSIVE",
    "CREATE RULE": "ACCESS EXCLUSIVE",
    "CREATE POLICY": "ACCESS EXCLUSIVE",
    "ALTER POLICY": "ACCESS EXCLUSIVE",
}
#: LOCK modes that block other sessions' reads or writes (ROW EXCLUSIVE and weaker block neither).
_BLOCKING_LOCKS = {"SHARE", "SHARE ROW EXCLUSIVE", "EXCLUSIVE", "ACCESS EXCLUSIVE"}
_SET_CONFIG = lazy_regex(r"set_config\s*\(\s*'(lock_timeout)'\s*,\s*'([^']*)'", re.I)
_TIMEOUT_SETTINGS = {"postgresql": {"lock_timeout"}, "mysql": {"lock_wait_timeout"}}


def strong_lock(ctx: RevisionContext, change: Change) -> str | None:
    """The table lock ``change`` takes when it blocks other sessions' reads or writes; None otherwise."""
    if ctx.on_new_table(change):
        return None
    if isinstance(change, CreateIndex):
        return None if change.concurrently else "SHARE"
    if isinstance(change, DropIndex):
        if change.concurrently or (change.name and change.name.lower() in ctx.created_indexes):
            return None
        return "ACCESS EXCLUSIVE"
    if isinstance(change, AddConstraint):
        return "SHARE ROW EXCLUSIVE" if change.kind_of == "foreign_key" else "ACCESS EXCLUSIVE"
    if isinstance(
        change, AddColumn | DropColumn | AlterColumn | RenameColumn | RenameTable | DropTable | DropConstraint
    ):
        return "ACCESS EXCLUSIVE"
    if isinstance(change, RawSQL) and change.text:
        return _raw_lock(change)
    return None


def _raw_lock(change: RawSQL) -> str | None:
    """The blocking lock of a statement kept as text, read by the shared statement classifier."""
    stmt = parse_statement(change.text)
    if stmt is not None:
        if stmt.verb == "VACUUM":
            return "ACCESS EXCLUSIVE" if stmt.full else None
        if stmt.verb in {"REINDEX", "REFRESH", "DETACH"} and stmt.concurrently:
            return None
        if stmt.verb == "REINDEX":
            return "SHARE"
        if stmt.verb in {"CLUSTER", "REFRESH", "TRUNCATE", "DETACH"}:
            return "ACCESS EXCLUSIVE"
        if stmt.verb == "LOCK":
            return stmt.kind if stmt.kind in _BLOCKING_LOCKS else None
        if stmt.verb == "ATTACH":
            # PostgreSQL 12+: SHARE UPDATE EXCLUSIVE on the parent, ACCESS EXCLUSIVE on the partition attached
            # and on the parent's default partition (which is scanned for rows the new bounds now cover)
            return "ACCESS EXCLUSIVE"
    return _STRONG_RAW.get(change.keyword)


def _describe(change: Change) -> str:
    table = target_table(change)
    on = f" on {table}" if table else ""
    names = {
        "AddColumn": "ADD COLUMN",
        "DropColumn": "DROP COLUMN",
        "AlterColumn": "ALTER COLUMN",
        "RenameColumn": "RENAME COLUMN",
        "RenameTable": "RENAME TABLE",
        "DropTable": "DROP TABLE",
        "DropConstraint": "DROP CONSTRAINT",
        "AddConstraint": "ADD CONSTRAINT",
        "CreateIndex": "CREATE INDEX",
        "DropIndex": "DROP INDEX",
    }
    if isinstance(change, RawSQL):
        stmt = parse_statement(change.text)
        if stmt is not None and stmt.verb == "LOCK":
            return f"LOCK TABLE {stmt.target}"
        if stmt is not None and stmt.verb == "ATTACH":
            return f"ATTACH PARTITION {stmt.partition} to {stmt.target}"
        return f"{change.keyword or 'statement'}{on}"
    return f"{names.get(change.kind, change.kind)}{on}"


def _attached_where(change: Change) -> str:
    """Where ATTACH PARTITION's strong lock falls: not on the parent, which gets SHARE UPDATE EXCLUSIVE."""
    stmt = parse_statement(change.text) if isinstance(change, RawSQL) else None
    if stmt is None or stmt.verb != "ATTACH":
        return ""
    return (f" on {stmt.partition} and on the default partition of {stmt.target}, if it has one (only SHARE "
            f"UPDATE EXCLUSIVE on {stmt.target} itself, which reads and writes pass)")


def _timeout_set(ctx: RevisionContext, before: int | None) -> bool:
    """A lock timeout (not 0, which means none) is in effect before the change at index ``before``."""
    names = _TIMEOUT_SETTINGS.get(ctx.dialect, set())
    env = ctx.env.sets_lock_timeout if ctx.dialect == "postgresql" else ctx.env.sets_lock_wait_timeout
    if env:
        return True
    in_effect = any(
        name in names and _nonzero(value) for name, value in ctx.migration.session_settings.items()
    )
    for change in ctx.migration.upgrade_changes[:before]:
        if isinstance(change, SetSetting) and change.name in names:
            in_effect = _nonzero(change.value)
        elif isinstance(change, RawSQL) and change.text and (m := _SET_CONFIG.search(change.text)):
            in_effect = ctx.dialect == "postgresql" and _nonzero(m.group(2))
    return in_effect


def _nonzero(value: str | None) -> bool:
    return value is not None and value.strip().strip("'\"").lower() not in {"0", "0s", "0ms", "default", ""}


def _revision_hit(ctx: RevisionContext) -> Hit | None:
    """The first strong lock of the revision taken with no lock timeout in effect; None when there is none."""
    changes = ctx.migration.upgrade_changes
    for index, change in enumerate(changes):
        lock = strong_lock(ctx, change)
        if lock is None or change.off_in_production:
            continue  # off_in_production: it never waits behind production's queries
        if _timeout_set(ctx, index):
            return None
        what = _describe(change)
        if ctx.dialect == "mysql":
            extra = ""
            if isinstance(change, AddColumn):
                since = release_unknown(ctx.settings, (8, 0, 12), (10, 3))
                extra = (
                    f" (ADD COLUMN is INSTANT on {mysql_label(ctx.settings)}"
                    if instant_add_column(ctx.settings)
                    else f" (ADD COLUMN is INSTANT from {since}, and copies the table before"
                    if since
                    else f" (ADD COLUMN copies the table on {mysql_label(ctx.settings)}"
                ) + ", but it still needs the metadata lock first)"
            return Hit(
                f"{what} needs an exclusive metadata lock{extra} and no lock_wait_timeout is set: while a "
                f"long query or an open transaction uses the table, the ALTER waits (up to a year by "
                f"default) and every later query on the table queues behind it",
                line=change.line,
                fix='op.execute("SET SESSION lock_wait_timeout = 5")  # first line of upgrade(), or in '
                    'env.py',
            )
        article = "an" if lock[0] in "AEIOU" else "a"
        return Hit(
            f"{what} takes {article} {lock} lock{_attached_where(change)} and no lock_timeout is set: if a long "
            f"query holds a lock on the table, the DDL waits for it, and every later query on the table queues behind the "
            f"DDL, which is an outage for as long as the long query runs",
            line=change.line,
            fix=(
                "op.execute(\"SET LOCAL lock_timeout = '5s'\")  # first line of upgrade(); retry on timeout\n"
                "# or once for every revision, in env.py before context.run_migrations():\n"
                "#     connection.execute(sa.text(\"SET lock_timeout = '5s'\"))"
            ),
        )
    return None


#: The one line that sets a timeout for every revision, per dialect, as env.py would run it.
_ENV_FIX = {
    "postgresql": "connection.execute(sa.text(\"SET lock_timeout = '5s'\"))  # before context.configure()",
    "mysql": "connection.execute(sa.text(\"SET SESSION lock_wait_timeout = 5\"))  # before context.configure()",
}


@project_rule("missing-lock-timeout", severity=Severity.WARNING, dialects={"postgresql", "mysql"})
def missing_lock_timeout(project: ProjectContext) -> Iterator[Hit]:
    """A strong lock on an existing table is requested with no lock timeout set first."""
    found: list[tuple[Migration, Hit]] = []
    for migration in project.linted:
        ctx = RevisionContext.build(
            migration, project.settings, project.graph if migration.origin == "python" else None, project.env
        )
        hit = _revision_hit(ctx)
        if hit is not None:
            found.append((migration, hit))
    env = project.env
    if found and env.path is not None and project.env_reported:
        # One fix in env.py covers every revision: say it once, there, instead of once per revision.
        setting = "lock_timeout" if project.settings.dialect == "postgresql" else "lock_wait_timeout"
        named = [f"{m.path.name}:{hit.line}" for m, hit in found[:3]]
        more = f" and {len(found) - 3} more" if len(found) > 3 else ""
        count = f"{len(found)} revisions take" if len(found) != 1 else "1 revision takes"
        yield Hit(
            f"env.py sets no {setting}, and {count} a strong lock on an existing table without one "
            f"({', '.join(named)}{more}): a DDL statement that waits for its lock behind a long query "
            f"makes every later query on the table queue behind it; one setting here covers every revision",
            line=env.configure_line,
            path=env.path,
            fix=_ENV_FIX[project.settings.dialect],
        )
        return
    for migration, hit in found:
        hit.path, hit.revision = migration.path, migration.revision
        yield hit


# -- unbatched-backfill ---------------------------------------------------------------------------


_BACKFILL_FIX = (
    "backfill in batches, in a revision of its own, outside one long transaction:\n"
    "conn = op.get_bind()\n"
    "with op.get_context().autocommit_block():\n"
    "    while True:\n"
    "        done = conn.execute(sa.text(\n"
    '            "UPDATE {table} SET ... WHERE id IN "\n'
    '            "(SELECT id FROM {table} WHERE ... LIMIT 5000)"\n'
    "        )).rowcount\n"
    "        if not done:\n"
    "            break"
)


@change_rule("unbatched-backfill", severity=Severity.WARNING, on=(DataChange,))
def unbatched_backfill(ctx: RevisionContext, change: DataChange) -> Iterator[Hit]:
    """An UPDATE or DELETE of every row of an existing table in one statement."""
    if change.action not in {"update", "delete"} or ctx.created_here(change.table):
        return
    verb = change.action.upper()
    table = (change.table or "the table").replace("migcheck_param", "{…}")
    if change.row_loop is not None:
        yield Hit(
            f"{verb} of {table} runs once per row of the loop at line {change.row_loop}, which reads every row "
            f"without a LIMIT: one round trip per row, all in the migration's one transaction, so every row "
            f"written stays locked until the last one is done and a failure at the end undoes all of it",
            fix=_BACKFILL_FIX.format(table=change.table or "my_table"),
        )
        return
    if change.has_where is None or ctx.dialect == "sqlite":
        # SQLite: one statement over every row is the fastest way to write them, and the database's one
        # write lock blocks only other writers of the same file; an SQLite application migrates in its
        # own process before it serves (dstack, phoenix), so nobody waits. The row-by-row loop above is
        # still reported: it holds that lock for one statement per row.
        return
    if change.has_where:
        where = change.unbounded_where  # decided at extraction, from the tree already parsed
        if where is None or _only_broken_rows(ctx, change):
            return
        scope = f"its WHERE ({where}) still matches every row that needs it, in one statement"
    else:
        scope = "it has no WHERE, so it touches every row in one statement"
    if ctx.dialect == "mysql":
        cost = (
            "InnoDB locks every row until commit, builds an undo log of the whole table, and replicas "
            "apply the statement only after it ends (replication lag)"
        )
    else:
        held = _table_locked_before(ctx, change)
        blocked = "the application's writes" if held is None else \
            f"the application's writes, and, with the ACCESS EXCLUSIVE lock the ADD COLUMN at line {held.line} " \
            f"holds until then, its reads of the whole table for as long as the {verb} runs"
        cost = (
            f"every row stays locked until the migration commits (blocking {blocked}), "
            "each updated row is written again (table bloat) and the WAL burst delays replicas"
        )
    yield Hit(
        f"{verb} of {table}: {scope}; on a large table {cost}",
        fix=_BACKFILL_FIX.format(table=change.table or "my_table"),
    )


def _table_locked_before(ctx: RevisionContext, change: DataChange) -> AddColumn | None:
    """An ADD COLUMN of the same table earlier in this phase's transaction (no commit in between): on PostgreSQL
    it holds ACCESS EXCLUSIVE until commit, so the statement keeps readers waiting too, not only writers
    (held-out-25 #149: the message said writes alone were blocked). Batching in a revision of its own, after the
    ADD COLUMN commits, is still the fix."""
    if not change.in_transaction or change.table is None:
        return None
    table, held = change.table.lower(), None
    for c in lookback.phase_before(ctx, change):
        if lookback.is_commit(c):
            held = None
        elif isinstance(c, AddColumn) and c.table.lower() == table and c.schema == change.schema \
                and c.in_transaction and not c.conditional and not c.guarded:
            held = held or c
    return held


def _only_broken_rows(ctx: RevisionContext, change: DataChange) -> bool:
    """``WHERE col IS NULL`` (every test of the WHERE such a test) where NULL rows can only be broken ones:
    ``col`` has been filled since it was made (NOT NULL, or a server default, from its creation:
    lookback.filled_since_created; or a Python-side default given with its table's CREATE TABLE), or the
    statement is a DELETE of the rows lacking a column that came with its table's CREATE TABLE, and this
    revision then sets that column NOT NULL (the cleanup before the constraint, securedrop b7f98cfd6a70). A column added later and not filled yet still fires: then
    every old row is NULL and the statement is the whole-table backfill the rule is about."""
    if not change.null_tests:
        return False
    for tables, column in change.null_tests:
        if not any(_broken_if_null(ctx, change, table, column) for table in tables):
            return False
    return True


def _broken_if_null(ctx: RevisionContext, change: DataChange, table: str, column: str) -> bool:
    if lookback.filled_since_created(ctx, change, table, column) or _filled_before(ctx, change, table, column):
        return True
    made = lookback.column_creation(ctx, change, table, column)
    if made is None or not made[0]:
        return False
    if made[1].python_default:
        # held-out-29 #141 (hushline 2e3e5b1f2b3c): the column came with its table's CREATE TABLE carrying a
        # Python-side default (``sa.Column("encrypted", sa.Boolean, default=False)``), so every insert through the
        # application has set it since the table was made; the NULL rows are strays, not a column left to fill
        return True
    if change.action != "delete":
        return False
    changes = ctx.migration.upgrade_changes if change.phase == "upgrade" else ctx.migration.downgrade_changes
    after = changes[next((i for i, c in enumerate(changes) if c is change), len(changes)):]
    return any(isinstance(c, AlterColumn) and c.nullable is False and (c.table or "").lower() == table
               and (c.column or "").lower() == column.lower() for c in after)


def _filled_before(ctx: RevisionContext, change: DataChange, table: str, column: str) -> bool:
    """An earlier statement of the same function set ``column`` in every row of ``table`` where it was NULL (an
    UPDATE without WHERE, or whose WHERE is only ``column IS NULL``, run once): the rows still NULL are those
    the fill found no value for (koschei 3532a68d11c9: UPDATE dependency SET build_id = (SELECT ...), then
    DELETE ... WHERE build_id IS NULL removes the orphans), not every row of a column nobody filled yet. A
    WHERE that tests anything else (``a IS NULL AND b IS NOT NULL``) may leave NULL rows unfilled. An
    ``UPDATE ... FROM`` (or MySQL's ``UPDATE t JOIN u``) is such a fill too: it sets the column in every row that
    has a match, so the rows still NULL are those it found no match for (held-out-24 #152, as a joined fill counts
    for drop-column since held-out-18 #44)."""
    changes = ctx.migration.upgrade_changes if change.phase == "upgrade" else ctx.migration.downgrade_changes
    for c in changes:
        if c is change:
            return False
        if isinstance(c, DataChange) and c.action == "update" and (c.table or "").lower() == table \
                and column.lower() in c.sets and c.row_loop is None and not c.conditional \
                and (c.has_where is False or c.joined
                     or [col.lower() for _, col in c.null_tests] == [column.lower()]):
            return True
    return False


# -- unsafe-sql-interpolation ---------------------------------------------------------------------


@change_rule(
    "unsafe-sql-interpolation", severity=Severity.WARNING, on=(Change,), phases=("upgrade", "downgrade"),
    off_because=("hand reviews of real histories (held-out-4 to -13) judged 25 of its 38 sampled findings wrong and 8 debatable "
                 "(ids just read from the database, values from a closed set the revision defines)"),
)
def unsafe_sql_interpolation(ctx: RevisionContext, change: Change) -> Iterator[Hit]:
    """SQL text built with an f-string, ``%``, ``.format`` or ``+`` from values that are not literals."""
    if not change.interpolated or _known_values(ctx, change):
        return
    sql = " ".join((change.sql or "").split())
    shown = sql if len(sql) <= 100 else sql[:99] + "…"
    yield Hit(
        f"SQL built by string formatting from a value migcheck cannot resolve ({{…}} marks it): `{shown}`; a "
        f"value with a quote in it breaks the statement, and a value from outside the code is SQL injection",
        fix=(
            "pass values as bound parameters, and quote identifiers with the dialect:\n"
            'op.execute(sa.text("UPDATE users SET plan = :plan WHERE plan = :old").bindparams(plan=plan, '
            'old=old))\n'
            "name = op.get_bind().dialect.identifier_preparer.quote(table_name)"
        ),
    )


def _known_values(ctx: RevisionContext, change: Change) -> bool:
    """Every value formatted in is either an integer column a SELECT read or a literal constant of the application
    (held-out-9 #135, held-out-7 #118): neither can hold a quote nor carry SQL from outside."""
    if not change.fetched_columns and not change.app_values:
        return False
    return (not change.fetched_columns or _fetched_integers(ctx, change)) \
        and all(_app_constant(ctx, module, path) for module, path in change.app_values)


#: ``{stalker.__version__}`` (held-out-27 #157-#159) is the package's release string, set by its maintainers (a
#: literal, a file shipped with the package, its installed metadata), not outside input; one the application's source
#: binds to a literal with a quote in it is still reported (``_app_constant`` reads it first), and one it binds
#: twice or from anything else (``os.environ["X"]``) too (attack27d, ``AppConstants.release_string``).
_PACKAGE_VERSION = ("__version__",)


def _app_constant(ctx: RevisionContext, module: str, path: tuple[str, ...]) -> bool:
    """``{Role.ADMIN.value}`` of ``from app.roles import Role``: the application binds it, once, to a literal
    number, or to a string without a quote or a backslash (which would break the statement it is put in)."""
    value = ctx.constants.value(module, path) if ctx.constants is not None else None
    if isinstance(value, str):
        return not any(c in value for c in "'\"\\")
    if value is not None:
        return True
    return path == _PACKAGE_VERSION and ctx.constants is not None and ctx.constants.release_string(module)


def _fetched_integers(ctx: RevisionContext, change: Change) -> bool:
    """Every value formatted in is the one column a SELECT read (held-out-9 #134-#137: faraday's ``x =
    result.scalar()`` of ``SELECT id FROM permissions_unit``), and the history makes each column an integer
    (or it is count(*)): digits, which can neither hold a quote nor carry SQL. A PostgreSQL ``uuid`` column likewise
    (held-out-24 #156): what the server gives for it is hex digits and dashes, whatever was stored."""
    return bool(change.fetched_columns) and all(
        column == "*" or _quote_free_type(lookback.column_type(ctx, change, table, column), ctx.settings.dialect)
        for table, column in change.fetched_columns)


def _quote_free_type(type_: str | None, dialect: str) -> bool:
    """An integer type, or (on PostgreSQL, where it is a type of its own) ``uuid``: values without a quote."""
    parsed = parse_type(type_) if type_ else None
    return parsed is not None and (parsed.name in {"int2", "int4", "int8"}
                                   or (parsed.name == "uuid" and dialect == "postgresql"))


# -- raw-sql-not-understood -----------------------------------------------------------------------


@change_rule(
    "raw-sql-not-understood", severity=Severity.INFO, on=(RawSQL, DataChange), phases=("upgrade", "downgrade")
)
def raw_sql_not_understood(ctx: RevisionContext, change: RawSQL | DataChange) -> Iterator[Hit]:
    """SQL or an operation migcheck could not read, so no rule could check it."""
    if isinstance(change, DataChange):
        if change.action != "execute":
            return
        yield Hit(
            "a statement is run on the connection, but migcheck cannot tell which (it is not SQL text or a "
            "Core statement it can read), so no rule checked it",
            fix='pass the SQL as a literal: conn.execute(sa.text("...")), or review this statement by hand',
        )
        return
    if change.understood or change.keyword == LIMIT_KEYWORD or _sync_enum_values_covered(ctx, change) \
            or _marks_changed_only(ctx, change) or _file_io_only(ctx, change):  # LIMIT_KEYWORD: an invalid-migration-file error (run/engine.py)
        return
    reason = change.reason or "the SQL could not be parsed"
    text = " ".join((change.text or "").split())
    shown = f": `{text[:80]}{'…' if len(text) > 80 else ''}`" if text else ""
    yield Hit(
        f"migcheck could not check this statement ({reason}){shown}; no rule looked at it",
        fix="read the function's definition and check by hand what it locks, writes and how long it runs"
        if UNKNOWN_FUNCTION in reason else
        "review it by hand; if it is valid SQL for the target dialect, a literal string (not built at run time) "
        "lets migcheck read it",
    )


def _marks_changed_only(ctx: RevisionContext, change: RawSQL) -> bool:
    """A call of an application function that only marks the session changed for the transaction manager
    (zope.sqlalchemy's ``mark_changed``), read from the application's source: no SQL runs (held-out-20 #121)."""
    return change.called is not None and ctx.constants is not None and ctx.constants.marks_changed_only(*change.called)


def _file_io_only(ctx: RevisionContext, change: RawSQL) -> bool:
    """A call of an application function that, read from the application's source, only reads and writes files
    (appends the revision id to a text file): no SQL runs on the migration's connection (held-out-23 #104)."""
    return change.called is not None and ctx.constants is not None and ctx.constants.only_file_io(*change.called)


def _sync_enum_values_covered(ctx: RevisionContext, change: RawSQL) -> bool:
    """``op.sync_enum_values`` (alembic-postgresql-enum) is modelled: on PostgreSQL alter-column-type
    reports it in upgrade(), and on any other dialect the library logs that it only supports PostgreSQL
    and returns, so nothing runs that a rule could check (held-out-7 #92-94). A PostgreSQL downgrade()'s
    with literal arguments is read as well: the enum, its values and the columns it swaps are all in the text,
    and no rule judges a downgrade's type change (held-out-28 #92-#94). Only one whose arguments are built at
    run time is left unchecked."""
    if change.keyword != "op.sync_enum_values":
        return False
    return ctx.dialect != "postgresql" or change.phase == "upgrade" or _literal_arguments(change.text)


def _literal_arguments(text: str | None) -> bool:
    """Every argument of the call in ``text`` is a literal: constants, lists and tuples of them, and
    ``TableReference(...)`` of literals (alembic-postgresql-enum's description of a column)."""
    if not text:
        return False
    try:
        call = ast.parse(text, mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    if not isinstance(call, ast.Call):
        return False
    return all(_literal_node(node) for node in [*call.args, *(k.value for k in call.keywords)]) \
        and all(k.arg is not None for k in call.keywords)


def _literal_node(node: ast.expr) -> bool:
    """A literal alembic-postgresql-enum writes into its SQL as it is: a string with a quote would end the
    ``'value'`` or ``"schema"`` it is pasted into and run what follows (attack28c), so it is not read."""
    if isinstance(node, ast.Constant):
        return not (isinstance(node.value, str) and ("'" in node.value or '"' in node.value))
    if isinstance(node, ast.List | ast.Tuple):
        return all(_literal_node(item) for item in node.elts)
    if isinstance(node, ast.Call) and not any(isinstance(a, ast.Starred) for a in node.args) \
            and all(k.arg is not None for k in node.keywords):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
        return name == "TableReference" and all(_literal_node(a) for a in [*node.args, *(k.value for k in node.keywords)])
    return False
