"""What users see for review15's cases fixed on branch fixZ (the rule-level cases are fixtures,
fixtures/rules/<rule>/safe_* and their bad_* twins)."""

from __future__ import annotations

from conftest import FIXTURES, run_cli


def _messages(case: str, rule: str) -> tuple[int, dict[int, str]]:
    run = run_cli("lint", FIXTURES / "rules" / rule / case, "--format", "json", "--no-config", "--dialect",
                  "postgresql", "--select", rule, "--fail-on", "warning")
    return run.exit_code, {f["line"]: f["message"] for f in run.json()["findings"] if f["rule"] == rule}


def test_a_count_written_to_a_log_table_does_not_carry_the_dropped_rows() -> None:
    """review15 t2: a count, len(), a comparison or an existence check of the dropped table written elsewhere is no
    copy: the rows are said to be lost; a column's values written elsewhere still are said to be carried there."""
    code, messages = _messages("bad_only_counted_before_drop.py", "drop-table")
    assert code == 1
    assert set(messages) == {28, 29, 30, 31, 32}
    for line, table in ((28, "accounts"), (29, "sessions"), (30, "tokens"), (31, "devices")):
        assert messages[line].startswith(f"table {table} is dropped: its rows are lost, and the application version "
                                         "still running during the deploy fails on every query that touches it")
    assert messages[32].startswith("table subscribers is dropped: its data was first written into contacts (line 27); "
                                   "what that statement does not carry over is lost, and")


def test_a_rebuild_that_only_counts_the_old_rows_loses_them() -> None:
    """review15 t1: rename, re-create, a count of the old table written to a log table, drop the old one: no write
    into the new table carries its rows, so the drop is an error that says they are lost."""
    code, messages = _messages("bad_rebuilt_only_counted.py", "drop-table")
    assert code == 1
    assert set(messages) == {19}
    assert messages[19].startswith("table accounts_old is dropped: its rows are lost, and the application version")
    assert _messages("safe_rebuild_copied_with_core.py", "drop-table") == (0, {})


def _findings(case: str) -> tuple[int, list[tuple[str, int, str]]]:
    run = run_cli("lint", FIXTURES / "rules" / "downgrade-not-inverse" / case, "--format", "json", "--no-config",
                  "--select", "downgrade-not-inverse", "--fail-on", "warning")
    return run.exit_code, [(f["path"].rsplit("/", 1)[-1], f["line"], f["message"]) for f in run.json()["findings"]]


def test_a_constraint_a_sibling_branch_made_may_exist_when_dropped_if_exists() -> None:
    """review15 t9: b1 and c1 both follow a1; b1 makes the constraint c1 drops IF EXISTS. A database may have run b1
    first, so the downgrade of c1 must restore it; made only by a descendant of c1, it never exists then."""
    code, found = _findings("bad_dropped_constraint_if_exists_made_on_a_sibling")
    assert code == 1
    assert found == [("c1_relax.py", 11, "the upgrade drops constraint accounts_unique_email (line 11), but downgrade() "
                      "(line 15) does not restore it: after `alembic downgrade` the old application code runs on a "
                      "schema without it")]
    assert _findings("safe_dropped_constraint_if_exists_made_only_after") == (0, [])


def test_an_unnamed_index_on_an_expression_may_be_any_table_idx_name() -> None:
    """review15 t13: CREATE INDEX ON accounts (lower(email)) / ((id % 16)) without a name: PostgreSQL calls them
    accounts_lower_idx and accounts_expr_idx, so dropping those IF EXISTS drops something made; the same names
    on a table with no such index are still never made."""
    code, found = _findings("bad_dropped_expression_index_if_exists")
    assert code == 1
    assert [(name, line) for name, line, _ in found] == [("0002_relax.py", 11), ("0002_relax.py", 12)]
    assert found[0][2].startswith("the upgrade drops index accounts_lower_idx (line 11), but downgrade() (line 16) "
                                  "does not restore it")
    assert found[1][2].startswith("the upgrade drops index accounts_expr_idx (line 12), but downgrade() (line 16) ")
    assert _findings("safe_dropped_expression_index_of_another_table") == (0, [])
