"""What users see for the held-out-7 fixes (issue #16): messages that say what is true.

Most fixes are covered by their rule's fixtures (fixtures/rules/<rule>/bad_*, safe_*); this module checks
the message where a finding stays but its cause and fix changed.
"""

from __future__ import annotations

from conftest import FIXTURES, run_cli


def test_an_outer_engine_begin_is_named_as_the_cause_not_the_missing_flag() -> None:
    case = FIXTURES / "rules" / "transaction-per-migration-off" / "bad_outer_transaction"
    run = run_cli("lint", case, "--format", "json", "--no-config", "--select", "transaction-per-migration-off",
                  "--fail-on", "warning")
    assert run.exit_code == 1
    [finding] = run.json()["findings"]
    assert finding["path"].endswith("env.py") and finding["line"] == 10
    assert finding["message"].startswith("env.py begins a transaction on the connection (line 9) before "
                                         "context.configure(), so Alembic runs every pending revision inside "
                                         "that outer transaction (transaction_per_migration is ignored then)")
    assert "does not set transaction_per_migration" not in finding["message"]
    assert "with engine.connect() as connection:" in finding["fix"]


def test_a_double_quoted_table_on_mysql_is_said_to_fail_there_not_to_lock_rows() -> None:
    case = FIXTURES / "rules" / "raw-sql-not-understood" / "bad_mysql_double_quoted_table.py"
    run = run_cli("lint", case, "--format", "json", "--no-config", "--dialect", "mysql", "--fail-on", "never")
    by_line = {(f["rule"], f["line"]): f["message"] for f in run.json()["findings"]}
    assert ("unbatched-backfill", 13) not in by_line
    assert by_line[("raw-sql-not-understood", 13)].startswith(
        'migcheck could not check this statement ("issue_comments" is a string, not a name, in MySQL\'s default '
        "sql_mode (no ANSI_QUOTES): the statement fails there with ERROR 1064 and runs nothing)")


def test_a_table_whose_data_was_copied_first_is_not_said_to_lose_its_rows() -> None:
    case = FIXTURES / "rules" / "drop-table" / "bad_copied_into_another_table.py"
    run = run_cli("lint", case, "--format", "json", "--no-config", "--select", "drop-table", "--fail-on", "error")
    assert run.exit_code == 1
    messages = {f["line"]: f["message"] for f in run.json()["findings"]}
    assert set(messages) == {18, 19, 20, 21}
    assert messages[18].startswith("table activities is dropped: every row was first copied into workouts (line 13), "
                                   "so the rows are not lost, but the application version still running "
                                   "during the deploy fails on every query that touches it")
    # an UPDATE carries what it selects, a filtered copy some rows: the rest is lost, and the message says so
    assert messages[19].startswith("table todo is dropped: its data was first written into content (line 14); what "
                                   "that statement does not carry over is lost, and the application version")
    assert messages[20].startswith("table users_data_export is dropped: its rows are lost, and the application "
                                   "version still running")
    assert "written into archive (line 17); what that statement does not carry over is lost" in messages[21]
