"""The pure parts of verify: the plan over the revision graph, schema differences, lock names."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import FIXTURES
from migcheck.live import LiveError
from migcheck.live.cycle import load_history, plan
from migcheck.live.locks import mode_label
from migcheck.live.schema import diff, summarize


def order(path: Path, start: str | None = None, stop: str | None = None) -> list[tuple[str, bool]]:
    _, _, graph = load_history([path])
    return [(m.revision, checked) for m, checked in plan(graph, start, stop)]


def test_plan_walks_branches_before_their_merge() -> None:
    clean = FIXTURES / "verify" / "clean"
    # Alembic's order (`alembic upgrade heads` on this folder): the merge 0004 names ("0002", "0003") and
    # Alembic applies the last-named branch first
    assert order(clean) == [("0001", True), ("0003", True), ("0002", True), ("0004", True), ("0005", True)]
    assert order(clean, stop="0002") == [("0001", True), ("0002", True)]
    assert order(clean, start="0004") == [
        ("0001", False),
        ("0003", False),
        ("0002", False),
        ("0004", True),
        ("0005", True),
    ]


def test_plan_follows_depends_on(tmp_path: Path, write_revision: Callable[..., Path]) -> None:
    write_revision("a.py", 'revision = "a"\ndown_revision = None\n')
    write_revision("b.py", 'revision = "b"\ndown_revision = None\ndepends_on = "z"\n')
    write_revision("z.py", 'revision = "z"\ndown_revision = "a"\n')
    assert [r for r, _ in order(tmp_path / "versions")] == ["a", "z", "b"]


def test_plan_rejects_unknown_revisions() -> None:
    with pytest.raises(LiveError, match="no such revision"):
        order(FIXTURES / "verify" / "clean", start="9999")


def test_diff_reads_as_left_behind_lost_changed() -> None:
    before = {"table t": "", "column t.a": "INTEGER NOT NULL", "index t.ix_a": "CREATE INDEX ix_a ON t (a)"}
    after = {"table t": "", "column t.a": "BIGINT NOT NULL", "column t.b": "TEXT NULL"}
    assert [str(d) for d in diff(before, after)] == [
        "changed: column t.a: INTEGER NOT NULL -> BIGINT NOT NULL",
        "left behind: column t.b (TEXT NULL)",
        "lost: index t.ix_a (CREATE INDEX ix_a ON t (a))",
    ]
    assert diff(before, dict(before)) == []


def test_diff_folds_a_whole_table_and_its_sequence() -> None:
    after = {
        "table events": "",
        "column events.id": "INTEGER NOT NULL",
        "column events.kind": "TEXT NULL",
        "primary key events": "(id)",
        "index events.events_pkey": "CREATE UNIQUE INDEX events_pkey ON events (id)",
        "sequence events_id_seq": "integer START 1 INCREMENT 1 MIN 1 MAX 2147483647 OWNED BY events.id",
        "enum type mood": "'a', 'b'",
    }
    assert [str(d) for d in diff({}, after)] == [
        "left behind: table events (columns id, kind)",
        "left behind: enum type mood ('a', 'b')",
    ]
    assert str(diff(after, {})[0]) == "lost: table events (columns id, kind)"


def test_summarize_keeps_messages_short() -> None:
    many = diff({}, {f"view v{i}": "" for i in range(7)})
    assert summarize(many).endswith("; and 3 more")


def test_lock_mode_labels_match_the_postgresql_docs() -> None:
    assert mode_label("AccessExclusiveLock") == "ACCESS EXCLUSIVE"
    assert mode_label("ShareUpdateExclusiveLock") == "SHARE UPDATE EXCLUSIVE"
    assert mode_label("ShareLock") == "SHARE"


def test_progress_bar_ticks_per_revision(capsys: pytest.CaptureFixture[str]) -> None:
    from migcheck.live.cycle import _progress

    with _progress(2, True) as tick:
        assert tick is not None
        tick("0001")
        tick("0002")
    with _progress(2, False) as tick:
        assert tick is None


def test_a_live_id_already_registered_by_a_static_rule_is_shared_not_replaced() -> None:
    from migcheck.rules.live import _live_rule
    from migcheck.rules.registry import get_rule
    from migcheck.vocabulary.findings import Severity

    static = get_rule("missing-downgrade")
    assert static is not None and static.kind == "revision"
    assert _live_rule("missing-downgrade", Severity.ERROR, "another summary") == "missing-downgrade"
    assert get_rule("missing-downgrade") is static and static.severity == Severity.WARNING


def test_plan_accepts_branch_labels_and_label_at_head(tmp_path: Path, write_revision: Callable[..., Path]) -> None:
    write_revision("a.py", 'revision = "a"\ndown_revision = None\n')
    write_revision("f1.py", 'revision = "f1"\ndown_revision = "a"\nbranch_labels = ("feature",)\n')
    write_revision("f2.py", 'revision = "f2"\ndown_revision = "f1"\n')
    write_revision("m1.py", 'revision = "m1"\ndown_revision = "a"\n')
    versions = tmp_path / "versions"
    assert order(versions, stop="feature@head") == [("a", True), ("f1", True), ("f2", True)]
    assert order(versions, start="feature") == [("a", False), ("f1", True), ("f2", True)]
    assert order(versions, start="base", stop="heads") == order(versions)
    with pytest.raises(LiveError, match="label@head"):
        order(versions, stop="a@head")  # two heads descend from a: no single revision
