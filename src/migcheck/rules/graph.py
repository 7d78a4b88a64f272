"""Revision-graph faults: the ones that make ``alembic upgrade head`` refuse to run or skip work."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from migcheck.rules.registry import Hit, graph_rule
from migcheck.vocabulary.findings import Severity
from migcheck.vocabulary.graph import RevisionGraph


@graph_rule("multiple-heads", severity=Severity.ERROR)
def multiple_heads(graph: RevisionGraph) -> Iterator[Hit]:
    """More than one head on a branch: ``alembic upgrade head`` refuses to run."""
    heads = graph.heads
    if len(heads) < 2:
        return
    # Heads of branches that carry their own branch label are deliberate (`alembic upgrade heads`,
    # `alembic upgrade app@head`); heads that share their labels (or have none) are a fork.
    # A head whose lineage has a missing parent is missing-down-revision's finding, not a fork.
    broken = {m.revision for m, _ in graph.missing_parents}
    label_bit = {label: 1 << i for i, label in enumerate(
        dict.fromkeys(label for m in graph.by_id.values() for label in m.branch_labels))}
    # one pass over the graph: the labels of each lineage as bits, and bit 0 for a broken lineage
    lineage = graph.lineage_bits(lambda m: (m.revision in broken)
                                 | sum(label_bit[label] << 1 for label in set(m.branch_labels)))
    groups: dict[int, list[str]] = {}
    for head in heads:
        if lineage[head.revision] & 1:
            continue
        groups.setdefault(lineage[head.revision] >> 1, []).append(head.revision)
    for group in groups.values():
        if len(group) < 2:
            continue
        # every head gets its own finding at its own file, so each message names only the first few:
        # listing all of them in each made the report quadratic (8,000 heads: 1.3 GB of JSON)
        listed = ", ".join(f"{rid} ({graph.by_id[rid].path.name})" for rid in group[:LISTED]) + _more(group)
        if len(group) <= LISTED:
            command = f'alembic merge -m "merge heads" {" ".join(group)}'
        elif len(group) == len(heads):  # Alembic's own name for all of them
            command = 'alembic merge -m "merge heads" heads'
        else:
            command = (f'alembic merge -m "merge heads" {" ".join(group[:LISTED])} ... '
                       f"(and the other {len(group) - LISTED} heads named by the other multiple-heads findings)")
        for rid in group:
            migration = graph.by_id[rid]
            yield Hit(
                f"revision {rid} is one of {len(group)} heads: {listed}; `alembic upgrade head` fails "
                f"with 'Multiple head revisions are present'",
                line=migration.line,
                path=migration.path,
                revision=rid,
                fix=f"merge the heads into one revision:\n    {command}",
            )


#: How many revisions or files a graph finding names before "and N more".
LISTED = 10


def _more(names: list[str]) -> str:
    return f" and {len(names) - LISTED} more" if len(names) > LISTED else ""


@graph_rule("missing-down-revision", severity=Severity.ERROR)
def missing_down_revision(graph: RevisionGraph) -> Iterator[Hit]:
    """A ``down_revision`` or ``depends_on`` that names no known revision."""
    for migration, parent in graph.missing_parents:
        yield Hit(
            f"down_revision {parent!r} of revision {migration.revision} names no revision in the linted "
            f"version locations; Alembic fails with \"Revision {parent} ... is not present\"",
            line=migration.down_line,
            path=migration.path,
            revision=migration.revision,
            fix="point down_revision at the revision this one follows (`alembic heads` on the target branch), "
            "or lint every version location together",
        )
    linked = _linked_folders(graph) if graph.missing_dependencies else frozenset()
    for migration, dep in graph.missing_dependencies:
        fails = f"every alembic command fails building the revision map (KeyError: {dep!r})"
        if migration.path.parent in linked:
            yield Hit(
                f"depends_on {dep!r} of revision {migration.revision} names no revision or branch label in the "
                f"linted version locations; this project links its version locations through depends_on, so it "
                f"may be a revision of another package's migrations that the application adds to "
                f"version_locations at run time: if that package is not installed, or the id is wrong, {fails}",
                line=migration.line,
                path=migration.path,
                revision=migration.revision,
                severity=Severity.WARNING,
                fix="lint the other package's version location together with these (`migcheck lint <dirs>`), or "
                "check the id against `alembic heads` there",
            )
            continue
        yield Hit(
            f"depends_on {dep!r} of revision {migration.revision} names no revision or branch label: {fails}",
            line=migration.line,
            path=migration.path,
            revision=migration.revision,
            fix="point depends_on at a revision or branch label that exists, or lint every version location "
            "together",
        )


def _linked_folders(graph: RevisionGraph) -> frozenset[Path]:
    """The folders at either end of a depends_on between two version locations, neither folder holding the other
    (held-out-25 #77-#81: geonature's modules depend on its core's revisions, and on those of TaxHub, RefGeo...
    whose locations its app.py adds from entry points at run time). A depends_on of such a folder that names
    nothing linted may be one of those other packages', which no static reading can see: a warning, not an error.
    A subfolder of the same location (``versions/sub/``) is not another package's history: a revision there that
    depends on one of ``versions/`` links nothing (attack25: it turned every dangling depends_on of the project into
    a warning, exit 0). A down_revision that names nothing stays an error everywhere."""
    linked: set[Path] = set()
    for migration in graph.by_id.values():
        here = migration.path.parent
        for dep in migration.depends_on:
            target = graph.resolve(dep)
            if target is not None and not here.is_relative_to(target.path.parent) \
                    and not target.path.parent.is_relative_to(here):
                linked.update((here, target.path.parent))
    return frozenset(linked)


@graph_rule("duplicate-revision-id", severity=Severity.ERROR)
def duplicate_revision_id(graph: RevisionGraph) -> Iterator[Hit]:
    """Two files declare the same revision id: Alembic sees an extra head, `upgrade head` fails."""
    for rev_id, migrations in sorted(graph.declared.items()):
        if len(migrations) < 2:
            continue
        names = [m.path.name for m in migrations]
        files = ", ".join(names[:LISTED]) + _more(names)
        for migration in migrations:
            yield Hit(
                f"revision id {rev_id} is declared by {len(migrations)} files ({files}); Alembic only warns "
                f"'Revision {rev_id} is present more than once', runs the file it loads last (by version "
                f"location, then file name) and still counts the other as a head, so `alembic upgrade head` "
                f"fails with 'Multiple head revisions are present'",
                line=migration.line,
                path=migration.path,
                revision=rev_id,
                fix="give one of them a new id (`python -c 'import uuid; print(uuid.uuid4().hex[:12])'`) "
                "and update the down_revision of its children",
            )


@graph_rule("revision-cycle", severity=Severity.ERROR)
def revision_cycle(graph: RevisionGraph) -> Iterator[Hit]:
    """``down_revision`` links that loop back: there is no order to run them in."""
    for cycle in graph.cycles():
        first = graph.by_id[cycle[0]]
        loop = " -> ".join([*cycle, cycle[0]])
        yield Hit(
            f"revisions form a cycle through down_revision: {loop}",
            line=first.down_line,
            path=first.path,
            revision=first.revision,
            fix="one of these revisions must name the revision it really follows as down_revision",
        )
