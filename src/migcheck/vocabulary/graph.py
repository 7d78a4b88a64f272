"""The revision graph: heads, bases, branch and merge points, and its faults.

Built from headers only, so graph faults are found without running anything.
Faults are collected, not raised: a broken graph is a finding, and the
per-revision rules still run on every file.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from migcheck.vocabulary.revision import Migration


@dataclass
class RevisionGraph:
    """Revisions by id, with the edges ``down_revision`` and ``depends_on`` describe."""

    by_id: dict[str, Migration] = field(default_factory=dict)
    #: Revision id -> every file that declares it (more than one is a fault).
    declared: dict[str, list[Migration]] = field(default_factory=lambda: defaultdict(list))
    children: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    #: (migration, missing parent id) for every ``down_revision`` that names no revision.
    missing_parents: list[tuple[Migration, str]] = field(default_factory=list)
    missing_dependencies: list[tuple[Migration, str]] = field(default_factory=list)

    @classmethod
    def build(cls, migrations: Iterable[Migration]) -> RevisionGraph:
        graph = cls()
        for migration in migrations:
            graph.declared[migration.revision].append(migration)
            graph.by_id.setdefault(migration.revision, migration)
        for rev_id, migration in graph.by_id.items():
            for parent in migration.down_revisions:
                if parent in graph.by_id:
                    graph.children[parent].append(rev_id)
                else:
                    graph.missing_parents.append((migration, parent))
            for dep in migration.depends_on:
                if graph.resolve(dep) is None:
                    graph.missing_dependencies.append((migration, dep))
        return graph

    def resolve(self, name: str) -> Migration | None:
        """A revision id, a unique id prefix, a branch label or ``label@head``, as Alembic resolves them."""
        if name in self.by_id:
            return self.by_id[name]
        if "@" in name:  # label@head: the one head of that branch; label@rev: rev, if it is on that branch
            left, _, right = name.partition("@")
            anchor = self.resolve(left)
            if anchor is None:
                return None
            if right in ("head", "heads"):
                heads = [h for h in self.heads
                         if h.revision == anchor.revision or anchor.revision in self.ancestors(h.revision)]
                return heads[0] if len(heads) == 1 else None
            target = self.resolve(right)
            on_branch = target is not None and (
                target.revision == anchor.revision or anchor.revision in self.ancestors(target.revision))
            return target if on_branch else None
        labelled = [m for m in self.by_id.values() if name in m.branch_labels]
        if len(labelled) == 1:
            return labelled[0]
        prefixed = [m for rid, m in self.by_id.items() if rid.startswith(name)]
        return prefixed[0] if len(prefixed) == 1 else None

    @property
    def heads(self) -> list[Migration]:
        """Revisions nobody names as ``down_revision`` (``depends_on`` does not make a parent)."""
        return sorted(
            (m for rid, m in self.by_id.items() if not self.children.get(rid)), key=lambda m: m.revision
        )

    @property
    def bases(self) -> list[Migration]:
        return sorted((m for m in self.by_id.values() if not m.down_revisions), key=lambda m: m.revision)

    def branch_points(self) -> list[Migration]:
        return [self.by_id[rid] for rid, kids in self.children.items() if len(kids) > 1]

    def merge_points(self) -> list[Migration]:
        return [m for m in self.by_id.values() if len(m.down_revisions) > 1]

    def cycles(self) -> list[list[str]]:
        """Each cycle of ``down_revision`` edges once, as the ids along it."""
        color: dict[str, int] = {}
        found: list[list[str]] = []
        seen: set[frozenset[str]] = set()
        for start in sorted(self.by_id):
            if color.get(start):
                continue
            stack: list[tuple[str, Iterator[str]]] = [(start, iter(self._parents(start)))]
            path = [start]
            color[start] = 1
            while stack:
                node, parents = stack[-1]
                nxt = next(parents, None)
                if nxt is None:
                    stack.pop()
                    path.pop()
                    color[node] = 2
                    continue
                state = color.get(nxt, 0)
                if state == 1:
                    cycle = path[path.index(nxt) :]
                    key = frozenset(cycle)
                    if key not in seen:
                        seen.add(key)
                        found.append(cycle)
                elif state == 0:
                    color[nxt] = 1
                    path.append(nxt)
                    stack.append((nxt, iter(self._parents(nxt))))
        return found

    def _parents(self, rev_id: str) -> list[str]:
        return [p for p in self.by_id[rev_id].down_revisions if p in self.by_id]

    def parents(self, rev_id: str, follow_depends_on: bool = True) -> list[str]:
        """What runs right before ``rev_id``: its ``down_revision``s (and ``depends_on``), resolved, once each."""
        migration = self.by_id.get(rev_id)
        if migration is None:
            return []
        deps = migration.depends_on if follow_depends_on else ()
        resolved = (self.resolve(p) for p in (*migration.down_revisions, *deps))
        return list(dict.fromkeys(m.revision for m in resolved if m is not None))

    def ancestors(self, rev_id: str, follow_depends_on: bool = True, stop: set[str] | frozenset[str] = frozenset()
                  ) -> set[str]:
        """Every revision reachable through ``down_revision`` (and ``depends_on``), cycle-safe; the walk
        does not enter the revisions in ``stop``."""
        out: set[str] = set()
        todo = [rev_id]
        while todo:
            for parent in self.parents(todo.pop(), follow_depends_on):
                if parent not in out and parent not in stop:
                    out.add(parent)
                    todo.append(parent)
        return out

    def topological(self) -> list[Migration]:
        """Base first; ties broken by id so output is deterministic. Cycles are left out."""
        indegree = {rid: len(self._parents(rid)) for rid in self.by_id}
        ready = sorted(rid for rid, deg in indegree.items() if deg == 0)
        heapq.heapify(ready)
        order: list[Migration] = []
        while ready:
            rid = heapq.heappop(ready)
            order.append(self.by_id[rid])
            for child in self.children.get(rid, ()):
                indegree[child] -= 1
                if indegree[child] == 0:
                    heapq.heappush(ready, child)
        return order
