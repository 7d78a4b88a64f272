"""What users see for the held-out-7 fixes (issue #16) where a finding stays but its message changed.

The false positives that disappear are covered by their rule's fixtures (fixtures/rules/<rule>/bad_*, safe_*).
"""

from __future__ import annotations

from conftest import FIXTURES, run_cli


def test_a_table_whose_data_was_copied_first_is_not_said_to_lose_its_rows() -> None:
    case = FIXTURES / "rules" / "drop-table" / "bad_copied_into_another_table.py"
    run = run_cli("lint", case, "--format", "json", "--no-config", "--select", "drop-table", "--fail-on", "error")
    assert run.exit_code == 1
    messages = {f["line"]: f["message"] for f in run.json()["findings"]}
    assert set(messages) == {16, 17, 18}
    assert messages[16].startswith("table activities is dropped: its data was first written into workouts (line 12), "
                                   "so it is carried over, not lost, but the application version still running "
                                   "during the deploy fails on every query that touches it")
    assert "written into content (line 13)" in messages[17] and "rows are lost" not in messages[17]
    assert messages[18].startswith("table users_data_export is dropped: its rows are lost, and the application "
                                   "version still running")
