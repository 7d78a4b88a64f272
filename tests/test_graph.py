"""Revision-graph faults: heads, missing parents, duplicates, cycles."""

from __future__ import annotations

from conftest import FIXTURES, findings_of, run_cli

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
