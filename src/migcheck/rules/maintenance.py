"""Maintenance and bulk statements run from a migration: REINDEX, VACUUM FULL, CLUSTER, REFRESH, DETACH,
TRUNCATE, DROP SCHEMA/DATABASE, and the statements PostgreSQL refuses inside a transaction."""

from __future__ import annotations

import re
from collections.abc import Iterator

from migcheck.facts.postgres import Statement, parse_statement, refused_in_transaction, unquote
from migcheck.rules import lookback
from migcheck.rules.context import RevisionContext
from migcheck.rules.fixes import lit
from migcheck.rules.registry import Hit, change_rule
from migcheck.vocabulary.changes import RawSQL
from migcheck.vocabulary.findings import Severity
from migcheck.vocabulary.lazyregex import lazy_regex

_CREATED = lazy_regex(
    r"^CREATE\s+(?:OR\s+REPLACE\s+)?(?P<what>MATERIALIZED\s+VIEW|SCHEMA|DATABASE)\s+(?:IF\s+NOT\s+EXISTS\s+)?"
    r"(?P<name>(?:\"(?:[^\"]|\"\")+\"|[\w$]+)(?:\s*\.\s*(?:\"(?:[^\"]|\"\")+\"|[\w$]+))*)",
    re.I,
)


def _created_raw(ctx: RevisionContext, what: str) -> set[str]:
    """Names of materialized views / schemas / databases this revision's upgrade creates by SQL."""
    names: set[str] = set()
    for c in ctx.migration.upgrade_changes:
        m = _CREATED.match(c.text.strip()) if isinstance(c, RawSQL) and c.text else None
        if m and re.sub(r"\s+", " ", m.group("what").upper()) == what:
            names.add(unquote(m.group("name")).lower())
    return names


def _statement(change: RawSQL, verb: str) -> Statement | None:
    stmt = parse_statement(change.text)
    return stmt if stmt is not None and stmt.verb == verb else None


def _new_relation(ctx: RevisionContext, name: str | None, change: RawSQL | None = None) -> bool:
    return name is not None and (ctx.created_here(name) or name.lower() in ctx.created_indexes
                                 or (change is not None and lookback.renamed_new_table(ctx, change, name)))


@change_rule("reindex-not-concurrently", severity=Severity.ERROR, on=(RawSQL,), dialects={"postgresql"})
def reindex_not_concurrently(ctx: RevisionContext, change: RawSQL) -> Iterator[Hit]:
    """REINDEX without CONCURRENTLY blocks writes to the table and reads through the rebuilt index."""
    stmt = _statement(change, "REINDEX")
    if stmt is None or stmt.concurrently or _new_relation(ctx, stmt.target, change):
        return
    what = f"{stmt.kind} {stmt.target}" if stmt.target else stmt.kind
    if (stmt.kind or "").upper() == "SYSTEM":
        # PostgreSQL refuses it: "cannot reindex system catalogs concurrently"
        fix = (
            "REINDEX SYSTEM has no CONCURRENTLY form: run it by hand in a maintenance window, outside the "
            "migration;\n# for the application's own indexes: REINDEX TABLE CONCURRENTLY <table> (PostgreSQL 12+)"
        )
        alt = ""
    elif ctx.settings.postgres_version >= 12:
        fix = (
            "with op.get_context().autocommit_block():\n"
            f'    op.execute("REINDEX {stmt.kind} CONCURRENTLY {stmt.target or "..."}")'
        )
        alt = ""
    else:
        fix = (
            "with op.get_context().autocommit_block():\n"
            '    op.create_index("ix_new", "table", [...], postgresql_concurrently=True)\n'
            '    op.drop_index("ix_old", table_name="table", postgresql_concurrently=True)\n'
            '# then ALTER INDEX ix_new RENAME TO ix_old'
        )
        alt = f"; REINDEX CONCURRENTLY needs PostgreSQL 12 (target: {ctx.settings.postgres_version})"
    yield Hit(
        f"REINDEX {what} without CONCURRENTLY takes a SHARE lock that blocks every write to the table and an "
        f"ACCESS EXCLUSIVE lock on each index it rebuilds, which blocks the reads that use it{alt}",
        fix=fix,
    )


@change_rule("vacuum-full-or-cluster", severity=Severity.ERROR, on=(RawSQL,), dialects={"postgresql"})
def vacuum_full_or_cluster(ctx: RevisionContext, change: RawSQL) -> Iterator[Hit]:
    """VACUUM FULL and CLUSTER rewrite the table under an ACCESS EXCLUSIVE lock."""
    stmt = parse_statement(change.text)
    if stmt is None or stmt.verb not in {"VACUUM", "CLUSTER"}:
        return
    if stmt.verb == "VACUUM" and not stmt.full:
        return
    if _new_relation(ctx, stmt.target, change):
        return
    verb = "VACUUM FULL" if stmt.verb == "VACUUM" else "CLUSTER"
    what = f"{verb} {stmt.target}" if stmt.target else f"{verb} of every table"
    yield Hit(
        f"{what} rewrites the table and its indexes under an ACCESS EXCLUSIVE lock, blocking every read and "
        f"write until it ends; it is maintenance, not a schema change",
        fix="take it out of the migration: run it in a maintenance window, or rebuild online with the pg_repack "
        "extension (`pg_repack --table ...`)",
    )


@change_rule("refresh-materialized-view-not-concurrently", severity=Severity.WARNING, on=(RawSQL,),
             dialects={"postgresql"})
def refresh_materialized_view_not_concurrently(ctx: RevisionContext, change: RawSQL) -> Iterator[Hit]:
    """REFRESH MATERIALIZED VIEW without CONCURRENTLY blocks every read of the view while it runs."""
    stmt = _statement(change, "REFRESH")
    if stmt is None or stmt.concurrently or stmt.target is None:
        return
    if stmt.target.lower() in _created_raw(ctx, "MATERIALIZED VIEW"):
        return  # the first refresh of a view created here cannot be concurrent, and nobody reads it yet
    yield Hit(
        f"REFRESH MATERIALIZED VIEW {stmt.target} without CONCURRENTLY holds an ACCESS EXCLUSIVE lock on the view: "
        f"every SELECT from it waits until the query behind it has run again",
        fix=(
            "# needs a unique index on the view (plain columns, no WHERE), e.g.\n"
            f'# op.create_index("ux_{stmt.target}_id", {lit(stmt.target)}, ["id"], unique=True)\n'
            f'op.execute("REFRESH MATERIALIZED VIEW CONCURRENTLY {stmt.target}")'
        ),
    )


@change_rule("detach-partition-not-concurrently", severity=Severity.ERROR, on=(RawSQL,), dialects={"postgresql"},
             min_postgres=14)
def detach_partition_not_concurrently(ctx: RevisionContext, change: RawSQL) -> Iterator[Hit]:
    """DETACH PARTITION without CONCURRENTLY locks the whole partitioned table (PostgreSQL 14+ has a way out)."""
    stmt = _statement(change, "DETACH")
    if stmt is None or stmt.concurrently or stmt.finalize or ctx.created_here(stmt.target):
        return
    yield Hit(
        f"DETACH PARTITION {stmt.partition} from {stmt.target} without CONCURRENTLY takes an ACCESS EXCLUSIVE lock "
        f"on {stmt.target}, blocking every read and write of all its partitions",
        fix=(
            "with op.get_context().autocommit_block():\n"
            f'    op.execute("ALTER TABLE {stmt.target} DETACH PARTITION {stmt.partition} CONCURRENTLY")\n'
            "# not allowed when the table has a DEFAULT partition; if interrupted, run ... DETACH PARTITION ... "
            "FINALIZE"
        ),
    )


@change_rule("truncate-table", severity=Severity.ERROR, on=(RawSQL,))
def truncate_table(ctx: RevisionContext, change: RawSQL) -> Iterator[Hit]:
    """TRUNCATE in a migration deletes every row (with CASCADE, of the referencing tables too)."""
    stmt = _statement(change, "TRUNCATE")
    if stmt is None:
        return
    tables = [t for t in stmt.targets if not ctx.created_here(t)]
    if not tables:
        return
    cascade = " and, with CASCADE, every table that references them" if stmt.cascade else ""
    lock = " under an ACCESS EXCLUSIVE lock" if ctx.dialect == "postgresql" else ""
    yield Hit(
        f"TRUNCATE {', '.join(tables)} deletes every row{cascade}{lock}; a migration that runs against production "
        f"empties the production table",
        fix="delete the rows a migration really must remove with a DELETE ... WHERE that names them; truncate data "
        "you mean to lose by hand, not from a revision",
    )


@change_rule("drop-schema-or-database", severity=Severity.ERROR, on=(RawSQL,))
def drop_schema_or_database(ctx: RevisionContext, change: RawSQL) -> Iterator[Hit]:
    """DROP SCHEMA / DROP DATABASE deletes every object (and row) inside it."""
    stmt = parse_statement(change.text)
    if stmt is None or stmt.verb not in {"DROP SCHEMA", "DROP DATABASE"}:
        return
    if _restrict_drop(ctx, change, stmt):
        return
    what = stmt.verb.split()[1]
    created = _created_raw(ctx, what)
    targets = [t for t in stmt.targets if t.lower() not in created]
    if not targets:
        return
    cascade = " with CASCADE, which also drops every table, view and function in it" if stmt.cascade else ""
    yield Hit(
        f"{stmt.verb} {', '.join(targets)}{cascade}: every object and row in it is lost"
        + ("" if ctx.on_contract else ", and the application still running fails on everything that used it"),
        fix="drop schemas and databases by hand after a backup, not from a revision; if it must be a revision, "
        "say why:\n"
        f'op.execute("{stmt.verb} {targets[0]}")  # migcheck: ignore[drop-schema-or-database] -- unused since X',
    )


def _restrict_drop(ctx: RevisionContext, change: RawSQL, stmt: Statement) -> bool:
    """PostgreSQL's ``DROP SCHEMA s`` without CASCADE is RESTRICT: it fails while the schema holds any object, so
    when it succeeds nothing was inside to lose (held-out-25 #60: a schema emptied table by table first). Only a
    statement whose whole text is known and names no CASCADE anywhere (a comment after it, or a name formatted in
    at run time, may hide one); MySQL's DROP SCHEMA is DROP DATABASE, which drops everything inside."""
    return ctx.dialect == "postgresql" and stmt.verb == "DROP SCHEMA" and not stmt.cascade \
        and not change.interpolated and not _CASCADE_WORD.search(change.text or "")


_CASCADE_WORD = lazy_regex(r"cascade", re.I)


@change_rule("cannot-run-in-transaction", severity=Severity.ERROR, on=(RawSQL,), dialects={"postgresql"},
             phases=("upgrade", "downgrade"))
def cannot_run_in_transaction(ctx: RevisionContext, change: RawSQL) -> Iterator[Hit]:
    """A statement PostgreSQL refuses inside a transaction block, run inside the migration's transaction."""
    if not change.in_transaction or (change.origin == "python" and ctx.env.transactional_ddl is False):
        return
    name = refused_in_transaction(change.text, change.keyword)
    if name is None:
        return
    text = (change.text or "").strip().replace('"', '\\"')
    yield Hit(
        f"{name} runs inside the migration's transaction: PostgreSQL fails with '{name} cannot run inside a "
        f"transaction block'",
        fix=f'with op.get_context().autocommit_block():\n    op.execute({lit(text)})',
    )
