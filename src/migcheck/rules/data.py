"""Data changes: rows written by a migration, and how they mix with schema changes."""

from __future__ import annotations

from collections.abc import Iterator

from migcheck.changes import DataChange
from migcheck.findings import Severity
from migcheck.rules.context import RevisionContext
from migcheck.rules.registry import Hit, revision_rule


@revision_rule("mixed-schema-and-data-change", severity=Severity.WARNING)
def mixed_schema_and_data_change(ctx: RevisionContext) -> Iterator[Hit]:
    """Schema and data changes in one revision: locks are held for the whole data change."""
    changes = ctx.migration.upgrade_changes
    # Seeding a table created in this very revision locks nothing anybody waits for.
    data = [c for c in changes if isinstance(c, DataChange) and not ctx.created_here(c.table)]
    schema = [c for c in changes if c.is_schema]
    if not data or not schema:
        return
    first_schema = schema[0]
    what = {
        "update": "an UPDATE",
        "insert": "an INSERT",
        "delete": "a DELETE",
        "bulk_insert": "op.bulk_insert",
        "orm": "an ORM session write",
        "execute": "a statement run on the connection",
    }.get(data[0].action, "a data change")
    on = f" on {data[0].table}" if data[0].table else ""
    if ctx.dialect == "mysql":
        why = ("MySQL commits each DDL statement at once, so when the data change fails the schema change "
               "stays, alembic_version is not updated, and re-running the revision fails on the DDL already "
               "applied")
    else:
        why = "the locks the DDL took are held until the data change commits, and a failure rolls back both"
    yield Hit(
        f"{what}{on} runs in the same revision as schema changes (first at line {first_schema.line}): {why}",
        line=data[0].line,
        fix="move the data change into a revision of its own (`alembic revision -m \"backfill ...\"`) that "
        "runs after the schema revision",
    )
