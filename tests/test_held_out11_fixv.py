"""What users see for the held-out-11 fixes of branch fixV: the findings that stay say only what holds (the
rule-level cases are fixtures, fixtures/rules/<rule>/safe_* and their bad_* twins)."""

from __future__ import annotations

from conftest import FIXTURES, run_cli


def _messages(case: str, rule: str) -> tuple[int, dict[int, str]]:
    run = run_cli("lint", FIXTURES / "rules" / rule / case, "--format", "json", "--no-config", "--dialect",
                  "postgresql", "--select", rule, "--fail-on", "warning")
    return run.exit_code, {f["line"]: f["message"] for f in run.json()["findings"] if f["rule"] == rule}


def test_rows_copied_through_the_expression_api_are_not_said_to_be_lost() -> None:
    """held-out-11 #65: select() from the dropped table, its rows fed into another table's update() (or a
    bulk_insert) before the drop; a table whose rows are only counted still loses them."""
    code, messages = _messages("bad_copied_through_expression_api.py", "drop-table")
    assert code == 1
    assert set(messages) == {35, 36, 37}
    assert messages[35].startswith("table attribute is dropped: its data was first written into node (line 27); "
                                   "what that statement does not carry over is lost, and the application version")
    assert messages[36].startswith("table comment is dropped: its data was first written into archive (line 31); ")
    assert messages[37].startswith("table log is dropped: its rows are lost, and the application version still "
                                   "running during the deploy fails on every query that touches it")
