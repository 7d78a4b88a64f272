"""What users see for the held-out-10 fixes of branch fixO (issue #16): where a finding is dropped as noise,
the rule that owns the risk still reports it, on its own line.

The rule-level cases are fixtures (fixtures/rules/<rule>/safe_* and their bad_* twins); this module checks the
findings of the other rules on the same revisions.
"""

from __future__ import annotations

from conftest import FIXTURES, run_cli


def _findings(case: str, *rules: str) -> tuple[int, list[tuple[str, int]]]:
    run = run_cli("lint", FIXTURES / "rules" / case, "--format", "json", "--no-config", "--dialect", "postgresql",
                  "--select", ",".join(rules), "--fail-on", "error")
    return run.exit_code, sorted((f["rule"], f["line"]) for f in run.json()["findings"])


def test_a_column_dropped_before_its_table_leaves_the_loss_to_drop_table() -> None:
    code, found = _findings("drop-column/safe_table_dropped_later.py", "drop-column", "drop-table")
    assert code == 1
    assert found == [("drop-table", 14), ("drop-table", 15)]


def test_a_key_on_a_column_added_not_null_leaves_the_failing_add_to_its_own_rule() -> None:
    code, found = _findings("add-foreign-key-without-not-valid/safe_key_column_added_not_null.py",
                            "add-foreign-key-without-not-valid", "add-not-null-column-without-default")
    assert code == 1
    assert found == [("add-not-null-column-without-default", 14)]


def _branch(test: str, rows: dict[str, str] | None = None) -> tuple[str, bool] | None:
    import ast

    from migcheck.extract.python.catalog import label_missing_branch

    return label_missing_branch(ast.parse(test, mode="eval").body, rows or {})


def test_only_a_lookup_of_the_label_by_equality_makes_a_branch_run_while_it_is_missing() -> None:
    query = "conn.execute(sa.text(\"SELECT 1 FROM pg_enum WHERE enumlabel = 'X'\"))"
    assert _branch(f"not {query}.fetchone()") == ("X", True)
    assert _branch(f"{query}.scalar() is None") == ("X", True)
    assert _branch("row is not None", {"row": "X"}) == ("X", False)  # the else runs while it is missing
    assert _branch("row", {"row": "X"}) == ("X", False)
    # a negated lookup finds rows when the label is missing; a count compared with a number is not read
    assert _branch("not conn.execute(sa.text(\"SELECT 1 FROM pg_enum WHERE NOT enumlabel = 'X'\")).fetchone()") is None
    assert _branch(f"{query}.scalar() == 0") is None
    assert _branch("not conn.execute(sa.text(\"SELECT 1 FROM pg_type WHERE typname = 'X'\")).fetchone()") is None


def test_a_rowcount_of_zero_makes_a_branch_run_while_the_label_is_missing() -> None:
    # held-out-25 #82: `if result.rowcount == 0: ADD VALUE` runs only while the label is absent
    query = "conn.execute(sa.text(\"SELECT 1 FROM pg_enum WHERE enumlabel = 'X'\"))"
    assert _branch("result.rowcount == 0", {"result": "X"}) == ("X", True)
    assert _branch("result.rowcount > 0", {"result": "X"}) == ("X", False)
    assert _branch(f"not {query}.rowcount") == ("X", True)
    # a rowcount compared with another number, or a count compared with zero, is not read
    assert _branch("result.rowcount == 1", {"result": "X"}) is None
    assert _branch("result.rowcount < 0", {"result": "X"}) is None
