"""The steps that run before a change: its phase, its revision's ancestors, the history index."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from migcheck.rules.built import application_calls
from migcheck.rules.context import RevisionContext
from migcheck.rules.history_index import (
    ApplicationCalls,
    HistoryIndex,
    is_commit,
)
from migcheck.vocabulary.changes import (
    Change,
)
from migcheck.vocabulary.revision import Migration

_ORDER_ATTR = "_migcheck_topological_index"


def ancestors(ctx: RevisionContext) -> list[Migration]:
    """Revisions that run before this one, oldest first."""
    index = _index(ctx)
    return [] if index is None else index.ancestors(ctx.migration.revision)


def phase_position(ctx: RevisionContext, change: Change) -> tuple[list[Change], int | None]:
    """``change``'s phase (its upgrade or downgrade steps) and its index there (None when it is not one of them),
    from a map built once per revision and phase: a search per question made a revision of 10,000 steps
    quadratic (a stranger's file can be that long)."""
    phase = "downgrade" if change.phase == "downgrade" else "upgrade"
    return _phase_steps(ctx, phase, change.engine), _positions(ctx, phase, change.engine).get(id(change))


def _phase_steps(ctx: RevisionContext, phase: str, engine: str | None) -> list[Change]:
    """The steps of one phase that run on ``engine``'s database (all of them outside the multidb template, where
    every step's engine is None), kept per revision."""
    return _phase_map(ctx, phase, engine)[0]


def _positions(ctx: RevisionContext, phase: str, engine: str | None) -> dict[int, int]:
    return _phase_map(ctx, phase, engine)[1]


def _phase_map(ctx: RevisionContext, phase: str, engine: str | None) -> tuple[list[Change], dict[int, int]]:
    every = ctx.migration.downgrade_changes if phase == "downgrade" else ctx.migration.upgrade_changes
    key = f"lookback.phase.{phase}.{engine}"
    kept = ctx.memo.get(key)
    if kept is None or kept[0] is not every or kept[1] != len(every):
        own = every if all(c.engine == engine for c in every) else [c for c in every if c.engine == engine]
        kept = ctx.memo[key] = (every, len(every), own, {id(c): i for i, c in reversed(list(enumerate(own)))})
    return kept[2], kept[3]


def phase_before(ctx: RevisionContext, change: Change) -> list[Change]:
    """The steps of ``change``'s own phase (upgrade or downgrade) that run before it in this revision: the same
    run of statements, one transaction unless a COMMIT ends it (all of them when ``change`` is not one). Under
    Alembic's multidb template only those of the step's own engine (``Change.engine``): another engine's steps run
    on another database, in another transaction."""
    own, index = phase_position(ctx, change)
    return list(own) if index is None else own[:index]


def phase_after(ctx: RevisionContext, change: Change) -> list[Change]:
    """The steps of ``change``'s own phase that run after it in this revision (empty when it is not one of
    them), of its own engine: phase_before's other half."""
    own, index = phase_position(ctx, change)
    return [] if index is None else own[index + 1:]


def before(ctx: RevisionContext, change: Change) -> list[Change]:
    """What this revision ran before ``change``, in replay order: an upgrade step's earlier upgrade steps; for a
    downgrade step, the whole upgrade (the downgrade runs on the schema the upgrade left) and then the
    downgrade's earlier steps. Questions about the same transaction ask ``phase_before``."""
    if change.phase == "downgrade":
        return [*_phase_steps(ctx, "upgrade", change.engine), *phase_before(ctx, change)]
    return phase_before(ctx, change)


def earlier(ctx: RevisionContext, change: Change) -> Iterator[Change]:
    """Every upgrade change that runs before ``change``, newest first: this revision's, then its ancestors'. It reads
    the whole history: a rule asking it for many changes is quadratic (ask earlier_keyed, or the history index)."""
    yield from reversed(before(ctx, change))
    for migration in reversed(ancestors(ctx)):
        yield from reversed(migration.upgrade_changes)


def earlier_keyed(ctx: RevisionContext, change: Change, kind: str, keys_of: Callable[[Change], Iterable[str]],
                  key: str) -> Iterator[Change]:
    """The changes of ``earlier`` that ``keys_of`` gives ``key``, in its order (newest first): this revision's
    own, then the ancestors' from ``HistoryIndex.grouped(kind, keys_of)``. A question about one name (an enum
    type, a function) reads that name's changes, not the whole history. ``keys_of`` must give every key a
    change can answer for, and be the same function for the same ``kind``."""
    for c in reversed(before(ctx, change)):
        if key in keys_of(c):
            yield c
    index = _index(ctx)
    if index is not None:
        for _, _, c in index.newest_first(index.grouped(kind, keys_of).get(key), ctx.migration.revision):
            yield c


def _same(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and a.lower() == b.lower()


_UNSET = object()


#: A place in the history as a walk back sees it: (1, 0, i) for this revision's own i-th change, (0,
#: position, i) for the i-th change of an ancestor; larger is later.
_Cursor = tuple[int, int, int]


def history(ctx: RevisionContext) -> HistoryIndex | None:
    """The history index of the revision's graph (None when the revision is linted without one)."""
    return _index(ctx)


def _index(ctx: RevisionContext) -> HistoryIndex | None:
    graph = ctx.graph
    if graph is None or ctx.migration.revision not in graph.by_id:
        return None
    return HistoryIndex.of(graph)


def from_nothing(ctx: RevisionContext) -> tuple[HistoryIndex, int] | None:
    """The history index and the bit set of this revision and its ancestors, when that history is fully known and
    starts from nothing: every parent and dependency found down to a base, every upgrade read, and no step on a
    table the history did not make (``HistoryIndex.preexisting``: a schema from ``create_all()`` or an older tool,
    which may hold any table, index or constraint). None otherwise. What table_never_made and never_made share."""
    index = _index(ctx)
    revision = ctx.migration.revision
    if index is None or revision not in index.position:
        return None
    lineage = index.ancestor_bits.get(revision, 0) | 1 << index.position[revision]
    return None if lineage & (index.preexisting | index.unresolved) else (index, lineage)


def _application_may_make(index: HistoryIndex, bits: int, name: str, words: str) -> bool:
    """Whether a revision of ``bits`` calls the application's code, at statement level, with a call whose text
    (lower case) names ``name`` as a whole word (not inside a longer ``[\\w$]`` run) or matches ``words``
    (``Base.metadata.create_all(bind)``, ``create_kg_tables(op, "kg_config")``, ``create_search_indexes()``).
    Calls for values (``encrypt(api_key)``) make nothing, as the schema the history builds counts them
    (built.application_calls). The calls are read once per graph, and indexed by word and by ``words`` pattern
    (ApplicationCalls): scanning every call per question was quadratic where many revisions call the application
    and ask it."""
    calls = index.application_calls
    if calls is None:  # read once per graph, only for the revisions whose body calls imported code
        calls = index.application_calls = ApplicationCalls([
            (pos, text.lower()) for pos, m in enumerate(index.by_position)
            if m.upgrade is not None and m.upgrade.opaque for text in application_calls(m)])
    return bool(bits & (calls.matching(words) | calls.naming(name)))


def split_between(changes: list[Change], first: Change, second: Change) -> bool:
    """True when a commit separates ``first`` from ``second`` within one list of changes."""
    if is_commit(first) or is_commit(second):
        return True
    inside = False
    for c in changes:
        if c is first:
            inside = True
            continue
        if c is second:
            return False
        if inside and is_commit(c):
            return True
    return False
