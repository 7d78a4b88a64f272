"""What users see for the held-out-11 fixes of branch fixU: the findings that stay on these revisions say only
what holds (the rule-level cases are fixtures, fixtures/rules/<rule>/safe_* and their bad_* twins).
"""

from __future__ import annotations

from conftest import FIXTURES, run_cli


def _messages(case: str, rule: str) -> tuple[int, list[tuple[int, str]]]:
    run = run_cli("lint", FIXTURES / "rules" / rule / case, "--format", "json", "--no-config", "--dialect",
                  "postgresql", "--select", rule, "--fail-on", "warning")
    return run.exit_code, sorted((f["line"], f["message"]) for f in run.json()["findings"] if f["rule"] == rule)


def test_a_downgrade_that_fills_the_nulls_then_another_column_does_not_fail_on_set_not_null() -> None:
    code, found = _messages("bad_downgrade_fills_then_updates_another_column.py", "drop-not-null")
    assert code == 1
    assert [line for line, _ in found] == [9, 10]
    for _, message in found:
        assert "becomes nullable: the application version still running reads it as never NULL" in message
        assert "SET NOT NULL fails" not in message


def test_an_update_that_writes_null_again_after_the_fill_still_makes_the_downgrade_fail() -> None:
    code, [(line, message)] = _messages("bad_downgrade_fills_then_writes_null_again.py", "drop-not-null")
    assert (code, line) == (1, 9)
    assert message.startswith("user.dark_mode becomes nullable")
    assert message.endswith("and once NULLs are written the downgrade's SET NOT NULL fails")


def test_a_base_revision_that_builds_the_schema_without_a_downgrade_is_info_not_a_warning() -> None:
    """held-out-9 judged a base revision with no downgrade right, held-out-11 two of them wrong (no deploy is
    rolled back past the first revision): it stays reported, as info, saying only what holds."""
    run = run_cli("lint", FIXTURES / "rules" / "missing-downgrade" / "bad_base_builds_initial_schema_info",
                  "--format", "json", "--no-config", "--select", "missing-downgrade", "--fail-on", "warning")
    [finding] = run.json()["findings"]
    assert run.exit_code == 0
    assert (finding["line"], finding["severity"]) == (26, "info")
    assert "is the first revision (down_revision = None)" in finding["message"]
    assert "`alembic downgrade base` fails here" in finding["message"]
    assert "when the deploy has to be rolled back" not in finding["message"]


def test_a_base_revision_that_alters_a_table_it_did_not_make_is_still_a_warning() -> None:
    run = run_cli("lint", FIXTURES / "rules" / "missing-downgrade" / "bad_base_alters_existing_table",
                  "--format", "json", "--no-config", "--select", "missing-downgrade", "--fail-on", "warning")
    [finding] = run.json()["findings"]
    assert (run.exit_code, finding["severity"]) == (1, "warning")
    assert "when the deploy has to be rolled back" in finding["message"]


def test_a_later_branch_base_without_a_downgrade_is_a_warning_not_the_initial_schema() -> None:
    """review14: a base revision that depends on another history, or whose table refers to one it did not make,
    ships in a later deploy; rolling that deploy back needs its downgrade."""
    for case in ("bad_branch_base_shipped_later", "bad_base_with_key_to_another_history"):
        run = run_cli("lint", FIXTURES / "rules" / "missing-downgrade" / case, "--format", "json", "--no-config",
                      "--select", "missing-downgrade", "--fail-on", "warning")
        [finding] = run.json()["findings"]
        assert (run.exit_code, finding["severity"]) == (1, "warning"), case
        assert "is the first revision" not in finding["message"]
