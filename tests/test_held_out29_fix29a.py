"""held-out-29 (fix29a): messages of findings that stay after the false positives were removed."""

from __future__ import annotations

from conftest import FIXTURES, run_cli

RULE = "add-not-null-column-without-default"


def test_a_not_null_column_in_a_sqlite_batch_rebuilt_by_an_alter_says_the_copy_fails() -> None:
    """The batch rebuilds the table (an alter_column beside the add_column): no ALTER TABLE ADD COLUMN runs, so the
    message names the INSERT ... SELECT of the copy, not SQLite's ADD COLUMN error."""
    case = FIXTURES / "rules" / RULE / "bad_sqlite_batch_not_rebuilt.py"
    run = run_cli("lint", case, "--format", "json", "--no-config", "--dialect", "sqlite", "--select", RULE)
    assert run.exit_code == 1
    found = {f["line"]: f["message"] for f in run.json()["findings"]}
    assert sorted(found) == [15, 18, 21]
    assert "INSERT ... SELECT that copies its rows gives the column no value" in found[21]
    assert "Cannot add a NOT NULL column with default value NULL" in found[15]
    assert "Cannot add a NOT NULL column with default value NULL" in found[18]

