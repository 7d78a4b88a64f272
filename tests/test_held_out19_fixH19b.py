"""Held-out-19 false positives (fixH19b): what each finding now says, or that it is gone, on the fixtures
written for it (fixtures/rules/<rule>/..., see docs/real-world.md, "After held-out-19")."""

from __future__ import annotations

from pathlib import Path

from conftest import run_cli

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "rules"


def _lint(path: Path, *extra: str) -> list[dict[str, object]]:
    run = run_cli("lint", path, "--no-config", "--format", "json", "--fail-on", "never", *extra)
    assert run.exit_code == 0, run.stderr
    return run.json()["findings"]  # type: ignore[no-any-return]


MIXED = FIXTURES / "mixed-schema-and-data-change"


def test_a_delete_before_ddl_of_its_table_names_the_deadlock() -> None:
    """#76, #77: a DELETE before ADD COLUMN of the same table: its row locks add no blocking (every session
    queues behind the DDL's lock request), but a write already waiting for one of its rows deadlocks with the
    DDL. The message says that, and the fix takes the table's lock first."""
    found = _lint(MIXED / "bad_delete_before_ddl_same_table.py", "--dialect", "postgresql", "--select",
                  "mixed-schema-and-data-change")
    assert [(f["line"], f["severity"]) for f in found] == [(16, "info")]
    message = str(found[0]["message"])
    assert "deadlock" in message and "ACCESS EXCLUSIVE" in message and "(line 17)" in message
    assert "rolls the data change back" not in message
    assert "LOCK TABLE queued_message IN SHARE ROW EXCLUSIVE MODE" in str(found[0]["fix"])
    assert _lint(MIXED / "safe_lock_table_before_delete.py", "--dialect", "postgresql", "--select",
                 "mixed-schema-and-data-change") == []


def test_an_update_that_is_a_step_of_a_type_change_is_not_mixed() -> None:
    """#75: the UPDATE between two type changes of the column it writes is part of that type change."""
    assert _lint(MIXED / "safe_type_change_step.py", "--dialect", "postgresql", "--select",
                 "mixed-schema-and-data-change") == []
    for bad in ("bad_backfill_between_add_and_not_null.py", "bad_update_between_two_type_changes_of_another_column.py"):
        found = _lint(MIXED / bad, "--dialect", "postgresql", "--select", "mixed-schema-and-data-change")
        assert [f["severity"] for f in found] == ["warning"]


def test_a_data_change_before_ddl_of_another_table_keeps_its_message() -> None:
    """No deadlock to speak of there: the rows stay locked through the other table's DDL, as the info said."""
    found = _lint(MIXED / "bad_update_before_ddl_of_another_table.py", "--dialect", "postgresql", "--select",
                  "mixed-schema-and-data-change")
    assert [(f["line"], f["severity"]) for f in found] == [(14, "info")]
    assert "runs before the schema changes of this revision (first at line 15)" in str(found[0]["message"])
    assert "deadlock" not in str(found[0]["message"])
