"""After review9 (branch precJ): the defects an attacker's review of the last merges left, each checked on what a
user reads (rule, file, line, message) next to a twin that keeps the right behaviour."""

from __future__ import annotations

from pathlib import Path

from conftest import FIXTURES, run_cli

RULES = FIXTURES / "rules"


def _findings(path: Path, rule: str, *args: str) -> list[tuple[str, int, str]]:
    run = run_cli("lint", path, "--format", "json", "--no-config", "--select", rule, "--fail-on", "never", *args)
    assert run.exit_code == 0, run.stderr
    return [(Path(f["path"]).name, f["line"], f["message"]) for f in run.json()["findings"]]


def test_alter_column_type_judges_the_type_history_made_over_a_contradicting_existing_type() -> None:
    """existing_type=sa.String(20) on a column the history created as Integer: varchar(20) to varchar(50) read as
    no rewrite (no finding); integer to varchar(50) rewrites, and the message names both."""
    [(name, line, message)] = _findings(RULES / "alter-column-type" / "bad_existing_type_contradicts_history",
                                        "alter-column-type")
    assert (name, line) == ("0002_widen.py", 11)
    assert message.startswith("type of accounts.plan_code changes from Integer to String(50) (old type from an "
                              "earlier revision; existing_type= says String(20)): the table and all its indexes "
                              "are rewritten")
    assert _findings(RULES / "alter-column-type" / "safe_existing_type_contradicts_history", "alter-column-type") == []


def test_drop_table_says_rows_are_kept_only_when_every_column_was_copied() -> None:
    """INSERT INTO workouts (id, title) SELECT id, title FROM activities leaves notes behind: main said "every
    row was first copied ..., so the rows are not lost"; a copy naming every column the history gives sessions
    (one added by a later ALTER) still says so."""
    found = _findings(RULES / "drop-table" / "bad_copied_some_columns.sql", "drop-table")
    assert [(name, line) for name, line, _ in found] == [("bad_copied_some_columns.sql", 24),
                                                         ("bad_copied_some_columns.sql", 26)]
    assert found[0][2].startswith("table activities is dropped: its data was first written into workouts (line 18); "
                                  "what that statement does not carry over is lost, and")
    assert found[1][2].startswith("table sessions is dropped: every row was first copied into user_sessions "
                                  "(line 22), so the rows are not lost, but")


def test_a_copy_of_some_columns_is_no_copy_and_swap() -> None:
    """CREATE TABLE applied_change2 AS SELECT id FROM applied_change, then the drop and the rename, was silenced
    as a copy and swap on main; the whole copies of safe_copy_and_swap.sql still are."""
    found = _findings(RULES / "drop-table" / "bad_swap_copies_some_columns.sql", "drop-table")
    assert [(line, message.split(":")[0]) for _, line, message in found] == [
        (17, "table applied_change is dropped"), (25, "table changelog is dropped")]
    assert _findings(RULES / "drop-table" / "safe_copy_and_swap.sql", "drop-table") == []


def test_messages_show_the_users_expression_not_a_value_migcheck_made_up() -> None:
    """``{activity.id}`` of an integer column is parsed as digits, and main showed the digits it invented:
    ``WHERE activity_id = 0``, as if the user had written it. The field is shown as written now; a field
    migcheck cannot read at all is still ``{…}`` (the twin). ``{row.id}`` of ``SELECT id FROM activities`` is
    read as that column (extract/python/fetched.py), and shown as written: the history does not make it an
    integer, so it still fires."""
    found = _findings(RULES / "unsafe-sql-interpolation" / "bad_numbers_and_uuids.py", "unsafe-sql-interpolation")
    shown = {line: message.split("`")[1] for _, line, message in found}
    assert shown == {
        21: "UPDATE records SET title = '{…}' WHERE activity_id = {activity.id}",
        22: "UPDATE records SET note = '{…}'",
        25: "UPDATE activities SET uuid = '{…}' WHERE id = {activity.id}",
        27: "UPDATE records SET seen = true WHERE activity_id = {row.id}",
    }
