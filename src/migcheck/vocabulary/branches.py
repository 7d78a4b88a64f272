"""Expand / contract branches: which phase of a deploy a revision belongs to.

Neutron and its plugins, keystone (``db_sync --contract``) and many teams keep two Alembic branches: *expand*
revisions only add, and run while the old release still serves; *contract* revisions remove and rename, and
run only once no release that uses the old names is left (neutron: with the servers stopped; keystone: after
every node runs the new release). The rolling-deploy claim of the drop and rename rules ("the application
version still running fails") does not hold for a contract revision, so those rules ask here.
"""

from __future__ import annotations

from typing import Literal
from weakref import WeakKeyDictionary

from migcheck.vocabulary.graph import RevisionGraph
from migcheck.vocabulary.revision import Migration

Phase = Literal["expand", "contract"]
PHASES: tuple[Phase, ...] = ("expand", "contract")
#: The constants neutron-lib names its branches with (``constants.CONTRACT_BRANCH = 'contract'``), read by
#: the last part of the dotted name, for they come from a package outside the project.
_CONSTANTS: dict[str, Phase] = {"EXPAND_BRANCH": "expand", "CONTRACT_BRANCH": "contract"}

#: Where neutron-db-manage's branch constants come from (``from neutron.db.migration import cli`` ...
#: ``branch_labels = (cli.CONTRACT_BRANCH,)``, neutron-lib's ``constants``). That tool runs a contract branch only
#: with every neutron-server stopped (``neutron-db-manage upgrade --contract``; neutron's upgrade guide): no
#: application writes while it runs.
_OFFLINE_TOOLS = ("neutron", "neutron_lib")

_cache: WeakKeyDictionary[RevisionGraph, dict[str, Phase | None]] = WeakKeyDictionary()
_starts: WeakKeyDictionary[RevisionGraph, dict[str, Migration | None]] = WeakKeyDictionary()


def label_phase(migration: Migration) -> Phase | Literal[False] | None:
    """The phase a revision's own branch labels name; None when it has no label; False when it has labels
    that name neither (another branch, or an expression migcheck cannot read)."""
    if not migration.branch_labels:
        return None
    for label in migration.branch_labels:
        if label in PHASES:
            return label
    if any(label.startswith("?") for label in migration.branch_labels):
        for name in migration.label_names:
            if (phase := _CONSTANTS.get(name.rsplit(".", 1)[-1])) is not None:
                return phase
    return False


def folder_phase(migration: Migration) -> Phase | None:
    """``versions/<release>/contract/x.py`` (neutron, keystone): the folder that holds the file names the phase."""
    name = migration.path.parent.name
    return name if name in PHASES else None


def phase(graph: RevisionGraph | None, migration: Migration) -> Phase | None:
    """The phase of ``migration``: the label on it or on the revision where its line starts (followed down
    single ``down_revision``s, not past a branch point or a merge), else the folder that holds its file."""
    known = _cache.setdefault(graph, {}) if graph is not None else {}
    if migration.revision in known:
        return known[migration.revision]
    found = _by_label(graph, migration)
    result = found if found is not None else folder_phase(migration)
    known[migration.revision] = result
    return result


def _by_label(graph: RevisionGraph | None, migration: Migration) -> Phase | None:
    start = _labelled_start(graph, migration)
    labelled = None if start is None else label_phase(start)
    return labelled or None


def _labelled_start(graph: RevisionGraph | None, migration: Migration) -> Migration | None:
    """The revision with branch labels where ``migration``'s line starts (itself, or followed down single
    ``down_revision``s, not past a branch point or a merge); None when the line starts unlabelled."""
    known = _starts.setdefault(graph, {}) if graph is not None else {}
    if migration.revision in known:
        return known[migration.revision]
    current = migration
    seen: set[str] = set()
    found: Migration | None = None
    while current.revision not in seen:
        seen.add(current.revision)
        if label_phase(current) is not None:
            found = current
            break
        if graph is None or len(current.down_revisions) != 1:
            break  # a base, or a merge: the line has no single start
        parent = graph.by_id.get(current.down_revisions[0])
        if parent is None or len(graph.children.get(parent.revision, ())) > 1:
            break  # the line starts here, unlabelled
        current = parent
    for revision in seen:
        known.setdefault(revision, found)  # every revision walked starts where this one does
    return found


def servers_stopped(graph: RevisionGraph | None, migration: Migration) -> bool:
    """Whether the revision is on a contract branch that its tool runs with the application stopped: a line that
    starts at neutron-db-manage's ``CONTRACT_BRANCH`` label (``_OFFLINE_TOOLS``). A contract branch known only by
    its folder, or labelled by another tool (keystone runs its contract while the new release serves), may run
    under writes."""
    start = _labelled_start(graph, migration)
    if start is None or label_phase(start) != "contract":
        return False
    bound = {name: imp.module for imp in start.imports if not imp.level for name in imp.bound}
    for name in start.label_names:
        root, _, last = name.rpartition(".")
        module = bound.get(root.split(".", 1)[0]) if root else None
        if last == "CONTRACT_BRANCH" and module is not None and module.split(".", 1)[0] in _OFFLINE_TOOLS:
            return True
    return False


def on_contract(graph: RevisionGraph | None, migration: Migration) -> bool:
    """Whether the revision is on a contract branch: applied only once no release using what it removes runs."""
    return phase(graph, migration) == "contract"
