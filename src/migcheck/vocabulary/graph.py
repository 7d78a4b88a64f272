"""The revision graph: heads, bases, branch and merge points, and its faults.

Built from headers only, so graph faults are found without running anything.
Faults are collected, not raised: a broken graph is a finding, and the
per-revision rules still run on every file.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from migcheck.vocabulary.revision import Migration


@dataclass(eq=False, repr=False)
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

    def lineage_bits(self, bits: Callable[[Migration], int]) -> dict[str, int]:
        """For every revision, the OR of ``bits`` over it and its ``down_revision`` ancestors.

        One pass in topological order (Python ints as bitsets: a union costs a few machine words), so a
        question about each head's whole lineage stays linear; asking ``ancestors`` per head was quadratic
        in a chain with a head on every revision (3,200: 28 s). Revisions on or above a cycle are taken by
        strongly connected components, still linear (asking ``ancestors`` for each was quadratic in a long
        chain above a cycle: 2,000 revisions, 12 s).
        """
        parents = {rid: self.parents(rid, follow_depends_on=False) for rid in self.by_id}
        out: dict[str, int] = {}
        for rid in self._kahn(set(self.by_id), parents):
            value = bits(self.by_id[rid])
            for parent in parents[rid]:
                value |= out[parent]
            out[rid] = value
        for component in _components([rid for rid in self.by_id if rid not in out], parents):
            # a cycle's revisions share their lineage; Tarjan's order gives each one after those it descends from
            value = 0
            for rid in component:
                value |= bits(self.by_id[rid])
                for parent in parents[rid]:
                    value |= out.get(parent, 0)
            for rid in component:
                out[rid] = value
        return out

    def _acyclic(self) -> list[str]:
        """The revisions not on or above a cycle of ``down_revision`` edges (Kahn's algorithm)."""
        return self._kahn(set(self.by_id), {rid: self._parents(rid) for rid in self.by_id})

    def upgrade_order(self, among: set[str] | None = None) -> list[Migration]:
        """The revisions of ``among`` (an ancestor-closed set; default: every revision not on or above a
        cycle) in the order Alembic applies them: ``upgrade heads`` (or ``upgrade X`` when ``among`` is X
        and its ancestors).

        Two branches of a merge touching the same table give a different schema in another order
        (fides: a column added on one branch, its table renamed on the other), so this is Alembic's own
        order, ``RevisionMap._topological_sort``: start from the heads in file order, walk down each
        ``down_revision`` (then ``depends_on``) chain, first parent first, switching to another head
        whenever the next revision is still below it; the reverse of that walk is the upgrade order.
        File order is the order the revisions were given to ``build`` (discovery lists a versions
        folder sorted by name, as Alembic does). Linear in the history, plus one walk over the revisions
        still above a branch point the first time the walk reaches it before all its branches are done.
        """
        acyclic = self._acyclic()
        keep = set(acyclic) if among is None else set(acyclic) & among
        position = {rid: i for i, rid in enumerate(self.by_id)}
        dependents: dict[str, int] = defaultdict(int)  # how many revisions depend on each target
        for rid in keep:
            for d in dict.fromkeys(self.by_id[rid].depends_on):
                if (m := self.resolve(d)) is not None:
                    dependents[m.revision] += 1
        parents = {rid: self._ordering_parents(rid, keep, dependents) for rid in keep}
        if len(self._kahn(keep, parents)) != len(keep):  # a depends_on cycle: order by down_revision only
            parents = {rid: [p for p in dict.fromkeys(self.by_id[rid].down_revisions) if p in keep]
                       for rid in keep}
        children: dict[str, list[str]] = {rid: [] for rid in keep}
        for rid, ps in parents.items():
            for p in ps:
                children[p].append(rid)
        # Alembic's heads: no down_revision child (a revision only depended on is still one)
        versioned_child = {p for rid in keep for p in self.by_id[rid].down_revisions if p in keep}
        current = sorted((rid for rid in keep if rid not in versioned_child), key=position.__getitem__)
        if len(current) > 1:
            # a head that another head depends on (depends_on, not down_revision) is walked from that head:
            # Alembic starts only from the heads no other one needs (r1 of r0 <- r1, r0 <- r2, r0 <- r3
            # depends_on r1: `upgrade heads` runs r1 right before r3, not first)
            below = self._below(current, parents)
            current = [rid for rid in current if rid not in below]
        in_current = set(current)
        pending = {rid: len(kids) for rid, kids in children.items()}  # children not walked yet
        walked: list[str] = []
        walked_set: set[str] = set()
        # A branch point's unwalked revisions above, found on the first visit and kept: the walk comes back
        # to it once per branch, and what it finds in `current` is never walked, so the set taken then still
        # answers (finding it again on every visit was quadratic: 3,200 heads on one revision took 11 s).
        above_of: dict[str, set[str]] = {}
        index = 0
        while current:
            candidate = current[index]
            if pending[candidate]:
                # a revision above it is not walked yet: go to the first head that has it below
                above = above_of.get(candidate)
                if above is None:
                    above = above_of[candidate] = self._unwalked_above(candidate, children, walked_set)
                index = next(i for i, rid in enumerate(current) if rid in above)
                continue
            above_of.pop(candidate, None)
            walked.append(candidate)
            walked_set.add(candidate)
            in_current.discard(candidate)
            for p in parents[candidate]:
                pending[p] -= 1
            new = [p for p in parents[candidate] if p not in in_current]  # never walked: it was below
            if not new:
                del current[index]
                index = max(index - 1, 0)
            else:
                current[index] = new[0]
                current.extend(new[1:])
                in_current.update(new)
        return [self.by_id[rid] for rid in reversed(walked)]

    def _ordering_parents(self, rid: str, keep: set[str], dependents: dict[str, int]) -> list[str]:
        """Alembic's ``_normalized_down_revisions``: the down_revisions in their written order, then the
        depends_on targets no ``down_revision`` ancestor already depends on (Alembic keeps those in a set,
        in no fixed order; here, in written order). The ancestors are walked only for a target another
        revision depends on too (``dependents``), so the usual one-to-one depends_on stays linear."""
        migration = self.by_id[rid]
        deps = [m.revision for d in migration.depends_on if (m := self.resolve(d)) is not None]
        if any(dependents.get(d, 0) > 1 for d in deps):
            inherited = {m.revision for a in self.ancestors(rid, follow_depends_on=False)
                         for d in self.by_id[a].depends_on if (m := self.resolve(d)) is not None}
            deps = [d for d in deps if d not in inherited]
        return [p for p in dict.fromkeys((*migration.down_revisions, *deps)) if p in keep]

    @staticmethod
    def _kahn(keep: set[str], parents: dict[str, list[str]]) -> list[str]:
        indegree = {rid: len(parents[rid]) for rid in keep}
        children: dict[str, list[str]] = {rid: [] for rid in keep}
        for rid, ps in parents.items():
            for p in ps:
                children[p].append(rid)
        ready = [rid for rid, deg in indegree.items() if deg == 0]
        out: list[str] = []
        while ready:
            rid = ready.pop()
            out.append(rid)
            for child in children[rid]:
                indegree[child] -= 1
                if indegree[child] == 0:
                    ready.append(child)
        return out

    @staticmethod
    def _below(rids: list[str], parents: dict[str, list[str]]) -> set[str]:
        """Every revision under any of ``rids`` along ``parents`` (down_revision and depends_on), in one walk
        (one walk per head was quadratic in a chain with a head on every revision)."""
        out: set[str] = set()
        todo = [p for rid in rids for p in parents[rid]]
        while todo:
            p = todo.pop()
            if p not in out:
                out.add(p)
                todo.extend(parents[p])
        return out

    @staticmethod
    def _unwalked_above(rid: str, children: dict[str, list[str]], walked: set[str]) -> set[str]:
        """The revisions above ``rid`` not walked yet (a walked revision is never above an unwalked one)."""
        out: set[str] = set()
        todo = [rid]
        while todo:
            for child in children[todo.pop()]:
                if child not in out and child not in walked:
                    out.add(child)
                    todo.append(child)
        return out


def _components(rids: list[str], parents: dict[str, list[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components of ``rids`` along ``parents`` (edges to other revisions are
    ignored), iteratively, each component after every one it reaches: linear in the revisions and edges."""
    keep = set(rids)
    edges = {rid: [p for p in parents[rid] if p in keep] for rid in rids}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    for start in rids:
        if start in index:
            continue
        work = [(start, 0)]
        while work:
            rid, at = work.pop()
            if at == 0:
                index[rid] = low[rid] = len(index)
                stack.append(rid)
                on_stack.add(rid)
            if at < len(edges[rid]):
                work.append((rid, at + 1))
                parent = edges[rid][at]
                if parent not in index:
                    work.append((parent, 0))
                elif parent in on_stack:
                    low[rid] = min(low[rid], index[parent])
                continue
            if low[rid] == index[rid]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == rid:
                        break
                out.append(component)
            if work:
                caller = work[-1][0]
                low[caller] = min(low[caller], low[rid])
    return out
