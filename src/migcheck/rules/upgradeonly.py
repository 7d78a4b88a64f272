"""Histories that are upgrade-only by the project's own convention.

Some tools never run a downgrade (neutron-db-manage's ``downgrade`` only says "Downgrade no longer supported";
a rollback restores a backup), and their projects write no ``downgrade()`` at all: the revision template,
``script.py.mako``, has none, and neither has any revision of the history. There missing-downgrade's advice
(write one, so ``alembic downgrade`` can undo the deploy) cannot be followed by the tool that runs the history.
A project that writes downgrades elsewhere, in its template or in any one revision, is not such a history.
"""

from __future__ import annotations

from weakref import WeakKeyDictionary

from migcheck.sources.envinfo import EnvInfo
from migcheck.vocabulary.graph import RevisionGraph

_known: WeakKeyDictionary[RevisionGraph, bool] = WeakKeyDictionary()


def upgrade_only(graph: RevisionGraph | None, env: EnvInfo) -> bool:
    """Whether env.py's ``script.py.mako`` writes no ``def downgrade`` and no Python revision of ``graph`` has a
    ``downgrade()`` function, every one of them read in full (a revision read for its headers only may have one)."""
    if graph is None or env.template is None or any(line.startswith("def downgrade") for line in env.template_lines):
        return False
    if graph not in _known:
        python = [m for m in graph.by_id.values() if m.origin == "python"]
        _known[graph] = bool(python) and all(m.upgrade is not None and m.downgrade is None for m in python)
    return _known[graph]
