"""Data changes: rows written by a migration, and how they mix with schema changes."""

from __future__ import annotations

import re
from collections.abc import Iterator

from migcheck.facts.postgres import parse_statement
from migcheck.rules import lookback
from migcheck.rules.context import RevisionContext
from migcheck.rules.emptied import emptied_before
from migcheck.rules.fixes import lit
from migcheck.rules.registry import Hit, revision_rule
from migcheck.rules.safety import strong_lock
from migcheck.vocabulary.changes import AddColumn, AlterColumn, Change, DataChange, RawSQL, target_table
from migcheck.vocabulary.findings import Severity
from migcheck.vocabulary.lazyregex import lazy_regex


def _transactions(changes: list[Change]) -> dict[int, int]:
    """id(change) -> the number of the transaction it runs in: every statement of an ``autocommit_block()``
    is a transaction of its own, and the statements after the block start a new one."""
    out: dict[int, int] = {}
    number = 0
    for change in changes:
        if change.in_transaction:
            out[id(change)] = number
        else:
            out[id(change)] = number = number + 1
            number += 1
    return out


def _anchor(ctx: RevisionContext, changes: list[Change], candidates: list[DataChange], schema: list[Change],
            first_schema: Change) -> tuple[DataChange, Change]:
    """The data change the finding points at, and the DDL it names: the first that writes a table the revision's
    DDL locks (held-out-12 #63: aleph's UPDATE of ``entity``, not the SELECT before it), else the first that runs
    after DDL on a table that existed before (held-out-12 #67: security_monkey's ORM loop over ``account`` after
    its add_column, not the seed of the table created here), else the first."""
    position = {id(c): i for i, c in enumerate(changes)}
    existing = [s for s in schema if not ctx.on_new_table(s)]
    locked = {t.lower() for s in schema if (t := target_table(s))}
    for c in candidates:
        if c.table and c.table.lower() in locked:
            return c, first_schema
    for c in candidates:
        ddl = next((s for s in existing if position[id(s)] < position[id(c)]), None)
        if ddl is not None and position[id(first_schema)] < position[id(c)]:
            return c, ddl
    return candidates[0], first_schema


#: An INSERT that also locks or changes rows already there, which then stay locked until the COMMIT: an upsert
#: that updates them, a data-modifying CTE (``WITH moved AS (DELETE ... RETURNING *) INSERT ...``), a SELECT
#: ``FOR UPDATE`` / ``FOR SHARE`` (review17).
_UPSERT = lazy_regex(r"\bON\s+CONFLICT\b.*\bDO\s+UPDATE\b|on_conflict_do_update"
                     r"|\bAS\s*(?:NOT\s+)?(?:MATERIALIZED\s*)?\(\s*(?:DELETE|UPDATE|INSERT|MERGE)\b"
                     r"|\bFOR\s+(?:NO\s+KEY\s+)?UPDATE\b|\bFOR\s+(?:KEY\s+)?SHARE\b|with_for_update", re.I | re.S)


def _only_inserts(ctx: RevisionContext, change: DataChange) -> bool:
    """Whether ``change`` only adds new rows: an INSERT or ``op.bulk_insert``, not an upsert that updates rows
    already there, nor one whose CTE deletes, updates or inserts or whose SELECT locks rows (named in its SQL, or
    anywhere in a revision whose Core statement migcheck did not read)."""
    if change.action not in {"insert", "bulk_insert"}:
        return False
    text = change.sql if change.sql is not None else "\n".join(ctx.migration.source_lines)
    return _UPSERT.search(text) is None


def _rerun_passes(step: Change) -> bool:
    """Whether a re-run of the revision gets past this DDL step when it already ran: its failure is swallowed
    (``Change.guarded``), an existence guard skips it or the statement it is a clause of
    (``Change.rerun_skipped``), or it says IF NOT EXISTS / IF EXISTS, or it sets what a column is
    (``alter_column``: MySQL's MODIFY restates the column, SQLite's batch mode rebuilds the table), which runs
    again as it ran (held-out-22 #90: ``nullable=False`` after the backfill)."""
    return bool(step.guarded) or step.rerun_skipped or bool(getattr(step, "if_not_exists", False)) \
        or bool(getattr(step, "if_exists", False)) or isinstance(step, AlterColumn)


def _sqlite_opened_first(changes: list[Change], schema: list[Change], position: dict[int, int]) -> bool:
    """Whether a row write that certainly runs (no ``if``, no swallowing ``try``, not in a loop that may not pass)
    comes before every DDL step on SQLite: pysqlite's BEGIN before it opens the transaction the rest of the revision
    runs in until Alembic commits, so no DDL commits on its own (held-out-29 #85: middleware's 17fe2353a0de starts
    with a DELETE, then alternates batch DDL and DELETEs)."""
    opener = next((i for i, c in enumerate(changes) if isinstance(c, DataChange) and c.in_transaction
                   and c.action in {"insert", "update", "delete", "bulk_insert"} and not c.conditional
                   and not c.guarded and c.loop is None and not c.blocks), None)
    return opener is not None and all(position[id(s)] > opener for s in schema)


def _repeatable(change: DataChange) -> bool:
    """A DELETE that removes the same rows when run again: no LIMIT, no join, not once per row read, and every row
    chosen by its own columns against constants (``DataChange.repeatable``: an ORM filter of them;
    ``null_tests``: SQL whose every test is ``col IS NULL``) or no WHERE at all."""
    return change.action == "delete" and not change.limited and not change.joined and change.row_loop is None \
        and (change.repeatable or change.has_where is False or bool(change.null_tests))


def _one_row_by_key(ctx: RevisionContext, change: DataChange, schema: list[Change], position: dict[int, int]) -> bool:
    """An UPDATE/DELETE whose WHERE pins a key of its table (held-out-18 #75: tracecat's ``UPDATE table_columns SET
    type = 'BIGINT' WHERE id = ...`` after each ALTER it records): it finds one row through the key's index and
    locks that row only, so it adds no lock time worth the name to the DDL's, and on PostgreSQL rolling both back
    together is what keeps a catalog row and the schema it describes in step. Not once per row of a loop that
    runs no DDL of its own (a backfill, row by row), nor where the history shows no such key."""
    if change.action not in {"update", "delete"} or not change.pinned or not change.table \
            or change.row_loop is not None:
        return False
    if change.loop is not None and not any(s.loop == change.loop and position[id(s)] < position[id(change)]
                                           for s in schema):
        return False
    pinned = set(change.pinned)
    return any(key <= pinned for key in lookback.table_keys(ctx, change, change.table))


def _seed_rows(ctx: RevisionContext, change: DataChange) -> bool:
    """An INSERT that writes the rows its own text lists, once (held-out-27 #90, #91: stalker's new statuses and status
    list after the tables that use them): a fixed number of rows, each value a literal, the clock or a one-row lookup
    (extract/sql/seeds.py), so it ends at once and adds no lock time to the DDL's, and on PostgreSQL rolling the seed
    back with the schema it belongs to is what it needs. Not in a loop migcheck could not unroll, nor once per row
    read, nor an upsert or ``INSERT ... SELECT`` from a table."""
    if change.action != "insert" or not change.sql or change.loop is not None or change.row_loop is not None:
        return False
    from migcheck.extract.sql.seeds import inserts_listed_rows  # the SQL parser: only for an INSERT after DDL

    return inserts_listed_rows(change.sql, ctx.dialect)  # no upsert, no FOR UPDATE: it reads the SQL itself


def _locked_table(change: Change) -> str | None:
    """The table an explicit ``LOCK TABLE t IN <mode> MODE`` takes in a mode that keeps writers out (SHARE and
    stronger), lower case; None for any other statement."""
    if not isinstance(change, RawSQL) or not change.keyword.startswith("LOCK"):
        return None
    stmt = parse_statement(change.text)
    if stmt is None or stmt.verb != "LOCK" or not stmt.target \
            or stmt.kind not in {"SHARE", "SHARE ROW EXCLUSIVE", "EXCLUSIVE", "ACCESS EXCLUSIVE"}:
        return None
    return stmt.target.lower()


def _is_lock(change: Change) -> bool:
    """``LOCK TABLE``: it changes no schema; the lock it takes for the transaction is the point of writing it."""
    return isinstance(change, RawSQL) and change.keyword.startswith("LOCK")


def _type_change_step(change: DataChange, schema: list[Change], position: dict[int, int],
                      tx: dict[int, int]) -> bool:
    """An UPDATE that only rewrites columns whose type its own transaction changes before it and changes again after
    it (held-out-19 #75, drone-tm: ``finaloutput[]`` cast to ``TEXT[]``, the retired label stripped, cast back to the
    new enum): a step of one type change. The column's intermediate type must never be committed, so the step cannot
    go to a revision of its own, and the ACCESS EXCLUSIVE lock it runs under is the type change's (alter-column-type
    reports it), held from the first ALTER to the COMMIT whatever the UPDATE does."""
    if change.action != "update" or not change.assigns or not change.table:
        return False
    table = change.table.lower()

    def altered(column: str, before: bool) -> bool:
        return any(isinstance(s, AlterColumn) and s.type and s.table.lower() == table
                   and s.column.lower() == column and tx[id(s)] == tx[id(change)]
                   and (position[id(s)] < position[id(change)]) == before for s in schema)
    return all(altered(c.lower(), True) and altered(c.lower(), False) for c in change.assigns)


def _deadlocks(ctx: RevisionContext, change: DataChange, schema: list[Change], position: dict[int, int],
               tx: dict[int, int]) -> Change | None:
    """The DDL after ``change`` in its transaction whose lock on ``change``'s table keeps writers out, when there is
    one: the UPDATE/DELETE's row locks are held while that DDL waits for its lock, and a concurrent write that waits
    for one of those rows already holds the ROW EXCLUSIVE lock the DDL waits for, a deadlock PostgreSQL ends by
    aborting one of the two (held-out-19 #76, #77; checked on PostgreSQL 15)."""
    if not change.table or change.action not in {"update", "delete", "orm", "execute"}:
        return None
    table = change.table.lower()
    return next((s for s in schema if tx[id(s)] == tx[id(change)] and position[id(s)] > position[id(change)]
                 and (target_table(s) or "").lower() == table and strong_lock(ctx, s) is not None), None)


def _on_proven_empty_table(ctx: RevisionContext, change: DataChange) -> bool:
    """An UPDATE or DELETE of a table its own transaction proves empty before it (held-out-20 #95, #96): an ADD
    COLUMN NOT NULL with nothing to fill the rows, which PostgreSQL refuses on a table with a row, or a TRUNCATE
    (rules/emptied.py). It writes no row, so it holds the DDL's locks for no time; a DELETE without WHERE before
    leaves its rows in the pages, and an INSERT writes rows whatever the table held."""
    if change.action not in {"update", "delete"} or not change.table:
        return False
    return isinstance(emptied_before(ctx, change, change.table, change.schema), AddColumn | RawSQL)


_WHAT = {
    "update": "an UPDATE",
    "insert": "an INSERT",
    "delete": "a DELETE",
    "bulk_insert": "op.bulk_insert",
    "orm": "an ORM session write",
    "execute": "a statement run on the connection",
}


@revision_rule("mixed-schema-and-data-change", severity=Severity.WARNING)
def mixed_schema_and_data_change(ctx: RevisionContext) -> Iterator[Hit]:
    """Schema and data changes in one revision: locks are held for the whole data change."""
    changes = ctx.migration.upgrade_changes
    # Seeding a table created in this very revision locks nothing anybody waits for.
    data = [c for c in changes if isinstance(c, DataChange) and not ctx.created_here(c.table)]
    schema = [c for c in changes if c.is_schema and not (lookback.may_skip(c) and lookback.changes_nothing(ctx, c))]
    if not data or not schema:
        return
    first_schema = schema[0]
    # The order decides the risk: DDL before the data change holds its locks through it; a data change
    # that runs first only keeps its own rows locked while the DDL after it waits for its lock.
    position = {id(c): i for i, c in enumerate(changes)}
    after_ddl = [c for c in data if position[id(c)] > position[id(first_schema)]]
    sqlite_python = ctx.dialect == "sqlite" and ctx.migration.origin == "python"
    if ctx.dialect != "mysql" and not sqlite_python:
        # PostgreSQL (and an offline SQLite script, whose BEGIN makes its DDL transactional) holds a lock until its transaction ends: only DDL in the data change's own transaction
        # counts. autocommit_block() commits what ran before it, runs each statement on its own, and starts
        # a new transaction after it.
        tx = _transactions(changes)
        # a step production never runs (Change.off_in_production) holds no lock anybody waits for
        schema = [s for s in schema if not s.off_in_production]
        # LOCK TABLE t IN SHARE ROW EXCLUSIVE MODE before the data change: writers wait for the table, none holds
        # a lock the DDL after it waits for (the fix this rule gives for a data change before DDL)
        locked = {(tx[id(s)], t): position[id(s)] for s in schema if (t := _locked_table(s))}
        schema = [s for s in schema if not _is_lock(s)]
        data = [c for c in data if c.in_transaction and not c.off_in_production
                and any(tx[id(s)] == tx[id(c)] for s in schema) and not _one_row_by_key(ctx, c, schema, position)
                and not _type_change_step(c, schema, position, tx) and not _on_proven_empty_table(ctx, c)
                and not _seed_rows(ctx, c)
                and not (c.table and locked.get((tx[id(c)], c.table.lower()), len(changes)) < position[id(c)])]
        if not data:
            return
        if not data:
            return
        after_ddl = [c for c in data if any(tx[id(s)] == tx[id(c)] and position[id(s)] < position[id(c)]
                                            for s in schema)]
        first_schema = next(s for s in schema if tx[id(s)] == tx[id((after_ddl or data)[0])])
    if (sqlite_python or ctx.dialect == "mysql") and after_ddl:
        # a data change in a swallowing ``try`` (``except Exception: print(err)``) that fails does not fail the
        # revision: alembic_version is updated and no re-run meets the DDL (held-out-23 #82)
        failing = [c for c in after_ddl if not c.guarded]
        if not failing and len(after_ddl) == len(data):
            return
        after_ddl = failing
    first, first_schema = _anchor(ctx, changes, after_ddl or data, schema, first_schema)
    what = _WHAT.get(first.action, "a data change")
    on = f" on {first.table}" if first.table else ""
    fix = ("move the data change into a revision of its own (`alembic revision -m \"backfill ...\"`) that "
           "runs after the schema revision")
    if (sqlite_python or ctx.dialect == "mysql") and after_ddl and all(_rerun_passes(step) for step in schema):
        # try: op.add_column(...) except Exception: -- each DDL statement swallows its own failure, so a re-run
        # after a failed data change passes the DDL already applied (privacyidea d9e0f1a2b3c4 on MariaDB); an
        # existence guard skips it (held-out-18 #72, beaker 3ba776df4c76: `if not has_migration_run_before():`).
        return
    if sqlite_python:
        # pysqlite opens a transaction only for INSERT/UPDATE/DELETE, and Alembic takes SQLite as
        # non-transactional: DDL before the data change is committed at once; DDL after it joins its
        # transaction, and both roll back together.
        if after_ddl and not _sqlite_opened_first(changes, schema, position):
            yield Hit(f"{what}{on} runs after schema changes of the same revision (first at line {first_schema.line}): "
                      "on SQLite each DDL statement that runs outside a data change's transaction commits at once "
                      "(pysqlite opens transactions for INSERT, UPDATE and DELETE only), so when the data change "
                      "fails the schema change stays, alembic_version is not updated, and re-running the revision "
                      "fails on the DDL already applied", line=first.line, fix=fix)
        return
    if ctx.dialect == "mysql" and not after_ddl and all(_repeatable(c) for c in data) \
            and all(_rerun_passes(step) for step in schema):
        # held-out-24 #93 (optuna v3.0.0.b): a DELETE of the rows whose own columns hold constants, then
        # alter_column steps. A failed ALTER leaves the DELETE committed; the re-run deletes what matches then (as
        # one run would have) and passes the ALTERs that did run: it ends where one run ends.
        return
    if ctx.dialect == "mysql":
        if after_ddl:
            why = ("MySQL commits each DDL statement at once, so when the data change fails the schema change "
                   "stays, alembic_version is not updated, and re-running the revision fails on the DDL already "
                   "applied")
        else:
            why = ("MySQL commits the data change as soon as the DDL after it starts, so when the DDL fails the "
                   "data change stays, alembic_version is not updated, and re-running the revision applies it "
                   "again")
        yield Hit(f"{what}{on} runs in the same revision as schema changes (first at line {first_schema.line}): "
                  f"{why}", line=first.line, fix=fix)
        return
    if not after_ddl and all(_only_inserts(ctx, c) for c in data):
        # held-out-14 #73 (iris-web 875edc4adb40): INSERTs before a DROP COLUMN copy the column's values into
        # another table. New rows are seen by no other session before the COMMIT, so their locks block nobody
        # (only an insert of the same unique key waits), and rolling the copy back with a failed DDL is what a
        # copy needs: nothing of what the finding says can happen.
        return
    if after_ddl:
        yield Hit(
            f"{what}{on} runs in the same revision as schema changes (first at line {first_schema.line}): "
            f"the locks the DDL took are held until the data change commits, and a failure rolls back both",
            line=first.line,
            fix=fix,
        )
        return
    for c in data:
        if (ddl := _deadlocks(ctx, c, schema, position, tx)) is not None and c.table:
            what = _WHAT.get(c.action, "a data change")
            yield Hit(
                f"{what} on {c.table} runs before DDL on the same table in its transaction (line {ddl.line}): the "
                f"rows it writes stay locked while that DDL waits for its {strong_lock(ctx, ddl)} lock, so a "
                f"concurrent write that waits for one of them holds a lock the DDL waits for: a deadlock, which "
                f"PostgreSQL ends by aborting one of the two",
                line=c.line,
                fix=f"op.execute({lit(f'LOCK TABLE {c.table} IN SHARE ROW EXCLUSIVE MODE')})  # first: writers "
                    f"then wait for the table, reads go on",
                severity=Severity.INFO,
            )
            return
    yield Hit(
        f"{what}{on} runs before the schema changes of this revision (first at line {first_schema.line}): the "
        f"DDL's locks are not held while it runs, but the rows it writes stay locked until the DDL after it "
        f"has waited for its own lock and commits, and a failing DDL rolls the data change back too",
        line=first.line,
        fix=fix,
        severity=Severity.INFO,
    )
