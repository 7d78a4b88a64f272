"""Downgrades: the way back when a deploy goes wrong."""

from __future__ import annotations

from collections.abc import Iterator

from migcheck.findings import Severity
from migcheck.rules.context import RevisionContext
from migcheck.rules.registry import Hit, revision_rule


@revision_rule("missing-downgrade", severity=Severity.WARNING)
def missing_downgrade(ctx: RevisionContext) -> Iterator[Hit]:
    """The upgrade changes the schema and the downgrade is missing or does nothing."""
    migration = ctx.migration
    if migration.origin != "python":
        return
    upgrade = migration.upgrade
    # Data-only revisions (backfills) usually need no way back: the schema revision's downgrade
    # removes what they filled.
    schema_changes = [c for c in upgrade.changes if c.is_schema] if upgrade else []
    if upgrade is None or not schema_changes:
        return
    downgrade = migration.downgrade
    if downgrade is not None and not downgrade.trivial:
        return
    where = "has no downgrade() function" if downgrade is None else "has a downgrade() that does nothing"
    yield Hit(
        f"revision {migration.revision} {where}, but its upgrade makes {len(schema_changes)} schema change(s): "
        f"`alembic downgrade` cannot undo it when the deploy has to be rolled back",
        line=downgrade.line if downgrade is not None else migration.line,
        fix="write a downgrade() that undoes each upgrade step in reverse order (drop what was created, "
        "re-create what was dropped)",
    )
