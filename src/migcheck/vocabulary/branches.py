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

_cache: WeakKeyDictionary[RevisionGraph, dict[str, Phase | None]] = WeakKeyDictionary()


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
    current = migration
    seen: set[str] = set()
    while current.revision not in seen:
        seen.add(current.revision)
        labelled = label_phase(current)
        if labelled is not None:
            return labelled or None
        if graph is None or len(current.down_revisions) != 1:
            return None  # a base, or a merge: the line has no single start
        parent = graph.by_id.get(current.down_revisions[0])
        if parent is None or len(graph.children.get(parent.revision, ())) > 1:
            return None  # the line starts here, unlabelled
        current = parent
    return None


def on_contract(graph: RevisionGraph | None, migration: Migration) -> bool:
    """Whether the revision is on a contract branch: applied only once no release using what it removes runs."""
    return phase(graph, migration) == "contract"
