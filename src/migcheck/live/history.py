"""The history verify runs: loaded as lint loads it, and the order of the revisions to cycle.

``load_history`` refuses what cannot be verified (several environments, a missing parent, a
revision declared twice, a cycle); ``plan`` picks the revisions between ``--from`` and ``--to``
and orders them topologically, with the ancestors of ``--from`` only applied.
"""

from __future__ import annotations

from pathlib import Path

from migcheck.live import LiveError
from migcheck.run.engine import display_path, environments
from migcheck.sources.discovery import DiscoveryError, Sources, discover
from migcheck.sources.load import LoadError, load_python
from migcheck.vocabulary.graph import RevisionGraph
from migcheck.vocabulary.revision import Migration

# --- loading --------------------------------------------------------------------------------------


def load_history(
    paths: list[Path], allow_empty: bool = False, bodies: bool = True
) -> tuple[Sources, list[Migration], RevisionGraph]:
    """Discovery and the revision graph, as lint builds them; a broken graph cannot be verified.

    An empty history is an error unless ``allow_empty`` (verify reports it as nothing to check).
    ``bodies=False`` reads each file's header only: the graph needs no more, and what the
    ``upgrade()``/``downgrade()`` bodies change (lint's extraction, SQL parsing included) is
    read later by ``with_bodies``, only for the revisions that need it.
    """
    try:
        sources = discover(paths)
    except DiscoveryError as exc:
        raise LiveError(str(exc)) from None
    if not sources.python and not allow_empty:
        raise LiveError(f"no revision files found in {', '.join(str(p) for p in paths)}")
    migrations: list[Migration] = []
    for path in sources.python:
        try:
            migration = load_python(path, "postgresql", extract=bodies)
        except LoadError as exc:
            raise LiveError(f"{display_path(exc.path)}:{exc.line}: {exc.message}") from None
        if migration is not None:
            migrations.append(migration)
    histories = environments(sources, migrations, [])
    if len(histories) > 1:  # as lint: each env.py with its versions/ is its own history, never one graph
        shown = ", ".join(display_path(env) for env, _, _ in histories if env is not None)
        raise LiveError(
            f"verify checks one Alembic environment at a time, and these paths hold {len(histories)} ({shown}): "
            "run `migcheck verify` once for each"
        )
    graph = RevisionGraph.build(migrations)
    for migration, parent in graph.missing_parents:
        raise LiveError(
            f"{display_path(migration.path)}: down_revision {parent!r} names no revision; "
            "verify needs the whole history (point it at the versions directory or alembic.ini)"
        )
    for rev_id, found in graph.declared.items():
        if len(found) > 1:
            raise LiveError(
                f"revision {rev_id} is declared in {len(found)} files; run `migcheck lint` for details"
            )
    cycles = graph.cycles()
    if cycles:
        raise LiveError(f"the revision graph has a cycle ({' -> '.join(cycles[0])}); run `migcheck lint`")
    return sources, migrations, graph


def with_bodies(migrations: list[Migration]) -> None:
    """Read the ``upgrade()``/``downgrade()`` bodies of revisions loaded header-only, in place.

    The objects stay the same (the graph holds them too); a file that changed or broke since
    it was loaded keeps no bodies, as if it had none.
    """
    for migration in migrations:
        if migration.upgrade is not None or migration.downgrade is not None or migration.origin != "python":
            continue
        try:
            full = load_python(migration.path, "postgresql")
        except (LoadError, OSError):
            continue
        if full is not None and full.revision == migration.revision:
            migration.upgrade, migration.downgrade = full.upgrade, full.downgrade


def _parents(graph: RevisionGraph, migration: Migration) -> list[str]:
    """down_revisions and depends_on: everything that must be applied before this revision."""
    out = [p for p in migration.down_revisions if p in graph.by_id]
    for dep in migration.depends_on:
        resolved = graph.resolve(dep)
        if resolved is not None and resolved.revision not in out:
            out.append(resolved.revision)
    return out


def plan(graph: RevisionGraph, from_rev: str | None, to_rev: str | None) -> list[tuple[Migration, bool]]:
    """The revisions to apply in order, each with whether it is cycled (True) or only applied."""
    ids = set(graph.by_id)
    checked = set(ids)
    from_rev = None if from_rev == "base" else from_rev
    to_rev = None if to_rev in ("head", "heads") else to_rev
    if to_rev is not None:
        target = _resolve(graph, to_rev, "--to")
        checked &= graph.ancestors(target) | {target}
    if from_rev is not None:
        start = _resolve(graph, from_rev, "--from")
        checked &= {r for r in ids if start in graph.ancestors(r)} | {start}
    if not checked:
        raise LiveError(f"nothing to verify between --from {from_rev} and --to {to_rev}")
    needed = set(checked)
    for rev in checked:
        needed |= graph.ancestors(rev)
    # Alembic's own order (that of `alembic upgrade heads`, or `upgrade --to`): the schema after a merge
    # can depend on which branch runs first
    return [(m, m.revision in checked) for m in graph.upgrade_order(needed)]


def _resolve(graph: RevisionGraph, name: str, option: str) -> str:
    if name in ("base", "heads", "head"):
        raise LiveError(f"{option} {name} names no single revision (leave {option} out for the {name})")
    migration = graph.resolve(name)
    if migration is None:
        raise LiveError(
            f"{option} {name!r}: no such revision, branch label or label@head (or an ambiguous prefix, "
            "or a branch with several heads)"
        )
    return migration.revision
