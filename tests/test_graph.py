"""Revision-graph faults: heads, missing parents, duplicates, cycles."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from conftest import FIXTURES, findings_of, run_cli
from migcheck.vocabulary.graph import RevisionGraph
from migcheck.vocabulary.revision import Migration

GRAPH = FIXTURES / "graph"


def test_multiple_heads_names_each_head_and_the_merge_command() -> None:
    run = run_cli("lint", GRAPH / "multiple-heads", "--format", "json")
    assert run.exit_code == 1
    heads = findings_of(run, "multiple-heads")
    assert sorted((f["path"].rsplit("/", 1)[-1], f["line"]) for f in heads) == [
        ("b2_add_age.py", 5),
        ("c3_add_note.py", 5),
    ]
    assert "b2 (b2_add_age.py), c3 (c3_add_note.py)" in heads[0]["message"]
    assert 'alembic merge -m "merge heads" b2 c3' in heads[0]["fix"]
    assert run.json()["graph"]["heads"] == ["b2", "c3"]


def test_merged_heads_are_fine() -> None:
    run = run_cli("lint", GRAPH / "merged-heads", "--format", "json")
    assert findings_of(run, "multiple-heads") == []
    assert run.json()["graph"]["heads"] == ["d4"]


def test_independent_labelled_branches_are_not_a_fault() -> None:
    run = run_cli("lint", GRAPH / "labelled-branches", "--format", "json")
    assert run.rules() == []
    assert run.exit_code == 0


def test_missing_down_revision() -> None:
    run = run_cli("lint", GRAPH / "missing-down-revision", "--format", "json")
    [finding] = findings_of(run, "missing-down-revision")
    assert finding["path"].endswith("c3_orphan.py")
    assert finding["line"] == 6
    assert "down_revision 'b2'" in finding["message"]
    assert run.exit_code == 1


def test_duplicate_revision_id() -> None:
    run = run_cli("lint", GRAPH / "duplicate-revision-id", "--format", "json")
    found = findings_of(run, "duplicate-revision-id")
    assert sorted(f["path"].rsplit("/", 1)[-1] for f in found) == ["b2_add_age.py", "b2_copy.py"]
    assert "declared by 2 files" in found[0]["message"]


def test_revision_cycle() -> None:
    run = run_cli("lint", GRAPH / "revision-cycle", "--format", "json")
    [finding] = findings_of(run, "revision-cycle")
    assert "b2 -> c3 -> b2" in finding["message"]
    assert run.exit_code == 1


def test_headers_in_every_legal_form() -> None:
    run = run_cli("lint", GRAPH / "headers", "--format", "json")
    assert run.exit_code == 0
    revisions = {r["revision"]: r for r in run.json()["revisions"]}
    assert set(revisions) == {"a1", "b2"}  # __init__.py and helpers.py are not revisions
    assert revisions["a1"]["message"] == "Create users"
    assert revisions["a1"]["line"] == 12  # annotated `revision: str = "a1"`
    assert revisions["b2"]["down_revisions"] == ["a1"]  # a list, through a module constant
    assert run.json()["summary"]["files"] == 3


def _random_history(rng: random.Random, size: int, deps: bool) -> list[tuple[str, tuple[str, ...], tuple[str, ...]]]:
    """(id, down_revisions, depends_on) for a random history with branches, merges and depends_on; ids are
    random so file order and id order disagree."""
    revs: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = []
    heads: list[str] = []
    for _ in range(size):
        rid = "".join(rng.choice("0123456789abcdef") for _ in range(8))
        if not revs:
            down: tuple[str, ...] = ()
        elif len(heads) > 1 and rng.random() < 0.35:
            down = tuple(rng.sample(heads, rng.choice([2, 2, 3]) if len(heads) > 2 else 2))
        else:
            down = (rng.choice(heads) if rng.random() < 0.6 else rng.choice(revs)[0],)
        above = {r for r, _, _ in revs}
        dep: tuple[str, ...] = ()
        if deps and len(revs) > 2 and rng.random() < 0.2:
            dep = (rng.choice(sorted(above)),)
        heads = [h for h in heads if h not in down] + [rid]
        revs.append((rid, down, dep))
    return revs


@pytest.mark.parametrize("seed", range(40))
def test_upgrade_order_is_alembics(tmp_path: Path, seed: int) -> None:
    """The order the rules fold the history in is the order `alembic upgrade heads` applies it (fides: a
    column added on one branch of a merge and its table renamed on the other): checked against Alembic's
    own RevisionMap on random histories with branches, merges and depends_on."""
    script = pytest.importorskip("alembic.script")
    rng = random.Random(seed)
    revs = _random_history(rng, rng.randint(3, 40), deps=seed % 2 == 1)
    versions = tmp_path / "versions"
    versions.mkdir()
    names = {}
    for i, (rid, down, dep) in enumerate(revs):
        name = f"{rng.randint(0, 10**6):07d}_{i}_{rid}.py"
        names[rid] = name
        down_text = "None" if not down else repr(down[0]) if len(down) == 1 else repr(down)
        (versions / name).write_text(f'"""r"""\nrevision = {rid!r}\ndown_revision = {down_text}\n'
                                     f'depends_on = {dep!r}\n\n\ndef upgrade():\n    pass\n\n\n'
                                     f'def downgrade():\n    pass\n')
    directory = script.ScriptDirectory(str(tmp_path), version_locations=[str(versions)])
    expected = [r.revision for r in reversed(list(directory.revision_map.iterate_revisions("heads", "base")))]
    # as discovery gives them: the versions folder sorted by name
    migrations = [Migration(path=versions / names[rid], revision=rid, down_revisions=down, depends_on=dep)
                  for rid, down, dep in sorted(revs, key=lambda r: names[r[0]])]
    graph = RevisionGraph.build(migrations)
    assert [m.revision for m in graph.upgrade_order()] == expected


def _alembic_and_ours(tmp_path: Path, revs: list[tuple[str, tuple[str, ...], tuple[str, ...]]]) -> tuple[list[str], list[str]]:
    """(Alembic's `upgrade heads` order, RevisionGraph.topological) for revisions written in file order."""
    script = pytest.importorskip("alembic.script")
    versions = tmp_path / "versions"
    versions.mkdir()
    migrations = []
    for i, (rid, down, dep) in enumerate(revs):
        path = versions / f"{i:03d}_{rid}.py"
        down_text = "None" if not down else repr(down[0]) if len(down) == 1 else repr(down)
        path.write_text(f'"""r"""\nrevision = {rid!r}\ndown_revision = {down_text}\ndepends_on = {dep!r}\n\n\n'
                        f'def upgrade():\n    pass\n\n\ndef downgrade():\n    pass\n')
        migrations.append(Migration(path=path, revision=rid, down_revisions=down, depends_on=dep))
    directory = script.ScriptDirectory(str(tmp_path), version_locations=[str(versions)])
    expected = [r.revision for r in reversed(list(directory.revision_map.iterate_revisions("heads", "base")))]
    return expected, [m.revision for m in RevisionGraph.build(migrations).upgrade_order()]


def test_a_head_another_head_depends_on_is_walked_from_that_head(tmp_path: Path) -> None:
    """r1 is a head by down_revision, but r3 depends on it: `alembic upgrade heads` does not start from r1,
    it runs r1 right before r3 (r0, r1, r3, r2); starting from every down_revision head gave r0, r2, r1, r3."""
    revs = [("r0", (), ()), ("r1", ("r0",), ()), ("r2", ("r0",), ()), ("r3", ("r0",), ("r1",))]
    expected, ours = _alembic_and_ours(tmp_path, revs)
    assert expected == ["r0", "r1", "r3", "r2"]
    assert ours == expected


@pytest.mark.parametrize("seed", range(60))
def test_upgrade_order_is_alembics_with_several_heads_and_bases(tmp_path: Path, seed: int) -> None:
    """As test_upgrade_order_is_alembics, with unmerged heads, several bases, and one depends_on target per
    revision (with two or more, Alembic keeps them in a set: its own order changes with PYTHONHASHSEED)."""
    rng = random.Random(seed)
    revs: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = []
    heads: list[str] = []
    for i in range(rng.randint(3, 25)):
        rid = f"{rng.randrange(16**8):08x}{i}"
        down: tuple[str, ...]
        if not revs or rng.random() < 0.12:
            down = ()
        elif len(heads) > 1 and rng.random() < 0.35:
            down = tuple(rng.sample(heads, 2))
        else:
            down = (rng.choice(heads) if rng.random() < 0.6 else rng.choice(revs)[0],)
        dep = (rng.choice(revs)[0],) if len(revs) > 2 and rng.random() < 0.3 else ()
        heads = [h for h in heads if h not in down] + [rid]
        revs.append((rid, down, dep))
    expected, ours = _alembic_and_ours(tmp_path, revs)
    assert ours == expected


def _labelled_graph(rng: random.Random, size: int) -> RevisionGraph:
    """A random history with branch labels, a few missing parents and sometimes a cycle."""
    migrations: list[Migration] = []
    ids = [f"r{i}" for i in range(size)]
    for i, rid in enumerate(ids):
        down: tuple[str, ...] = ()
        if i:
            down = tuple(dict.fromkeys(rng.choice(ids[:i]) for _ in range(rng.choice([1, 1, 1, 2]))))
        if rng.random() < 0.05:
            down = (*down, "gone")  # a missing parent
        if i and rng.random() < 0.03:
            down = (*down, rng.choice(ids[i:]))  # an edge upwards: maybe a cycle
        labels = tuple(rng.sample(["app", "audit", "billing", "x"], rng.choice([0, 0, 0, 1, 2])))
        migrations.append(Migration(path=Path(f"{rid}.py"), revision=rid, down_revisions=down, branch_labels=labels))
    return RevisionGraph.build(migrations)


@pytest.mark.parametrize("seed", range(30))
def test_lineage_bits_agree_with_the_ancestors_of_each_revision(seed: int) -> None:
    rng = random.Random(seed)
    graph = _labelled_graph(rng, rng.randrange(2, 60))
    label_bit = {"app": 1, "audit": 2, "billing": 4, "x": 8}
    bits = graph.lineage_bits(lambda m: sum(label_bit[label] for label in set(m.branch_labels)))
    for rid in graph.by_id:
        lineage = graph.ancestors(rid, follow_depends_on=False) | {rid}
        expected = 0
        for a in lineage:
            expected |= sum(label_bit[label] for label in set(graph.by_id[a].branch_labels))
        assert bits[rid] == expected, (seed, rid)


def test_multiple_heads_on_a_chain_with_a_head_on_every_revision_reads_each_revision_a_few_times(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Each head's lineage was walked again (`ancestors` twice per head): quadratic, 3,200 revisions with a head
    on each took 28 s. Now one pass in topological order: `parents` is asked a few times per revision."""
    from migcheck.rules.graph import multiple_heads

    size = 400
    migrations = [Migration(path=Path(f"r{i}.py"), revision=f"r{i}", down_revisions=(f"r{i - 1}",) if i else ())
                  for i in range(size)]
    migrations += [Migration(path=Path(f"h{i}.py"), revision=f"h{i}", down_revisions=(f"r{i - 1}",))
                   for i in range(1, size)]
    graph = RevisionGraph.build(migrations)
    calls = 0
    parents = RevisionGraph.parents

    def counted(self: RevisionGraph, rev_id: str, follow_depends_on: bool = True) -> list[str]:
        nonlocal calls
        calls += 1
        return parents(self, rev_id, follow_depends_on)

    monkeypatch.setattr(RevisionGraph, "parents", counted)
    hits = list(multiple_heads(graph))
    assert len(hits) == size  # r399 and h1..h399
    assert calls < 4 * len(migrations), calls  # the old walk: about 160,000
