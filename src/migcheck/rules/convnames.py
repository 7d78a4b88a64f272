"""Over-long names created through ``op.f()``: SQLAlchemy cuts one to a hashed name, the same wherever it is
written through ``op.f()``; a plain reference to the same name (``op.drop_index("long_name")``, raw SQL) names
something else. identifier-too-long is silent about such a create only when no plain reference exists."""

from __future__ import annotations

from migcheck.rules.context import RevisionContext
from migcheck.vocabulary.changes import AddConstraint, CreateIndex
from migcheck.vocabulary.revision import Migration

_ATTR = "_migcheck_converted_creates"

#: Lower-cased name -> (migration, line) of its first op.f() create in the history.
Creates = dict[str, tuple[Migration, int]]


def _of(migrations: list[Migration], limit: int) -> Creates:
    found: Creates = {}
    for migration in migrations:
        for change in [*migration.upgrade_changes, *migration.downgrade_changes]:
            if isinstance(change, CreateIndex | AddConstraint) and change.name_converted and change.name \
                    and len(change.name) > limit:
                found.setdefault(change.name.lower(), (migration, change.line))
    return found


def converted_creates(ctx: RevisionContext, limit: int) -> Creates:
    """The op.f() creates of names over ``limit`` characters in the revision's history (the revision's own,
    without a graph); computed once per graph and limit."""
    graph = ctx.graph
    if graph is None or ctx.migration.revision not in graph.by_id:
        return _of([ctx.migration], limit)
    cached: dict[int, Creates] = getattr(graph, _ATTR, None) or {}
    if limit not in cached:
        cached[limit] = _of(list(graph.by_id.values()), limit)
        setattr(graph, _ATTR, cached)
    return cached[limit]
