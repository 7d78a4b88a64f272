"""A ``;`` inside parentheses does not end a statement (as in psql), unless the parentheses never close."""

from __future__ import annotations

from pathlib import Path

from conftest import lint_findings, revision_text, run_cli, write_files

RULE = '''
op.execute("""
CREATE RULE call_insert AS
    ON INSERT TO events
    DO INSTEAD (
        SELECT insert_event(NEW);
    );
""")
'''


def test_a_rule_with_a_parenthesised_action_list_is_one_statement(tmp_path: Path) -> None:
    write_files(tmp_path, {"versions/a1_x.py": revision_text("a1", None, RULE)})
    run = run_cli("lint", tmp_path, "--no-config", "--no-cache", "--format", "json", "--select", "raw-sql-not-understood")
    messages = [f["message"] for f in run.json()["findings"]]
    # Before: the action list was cut at its inner `;`, leaving `)` as a statement migcheck did not know.
    assert not any("`)`" in m for m in messages), messages


def test_an_offline_dump_keeps_statements_after_a_parenthesised_semicolon(tmp_path: Path) -> None:
    write_files(tmp_path, {"up.sql": """\
        -- Running upgrade  -> a1
        CREATE RULE r AS ON INSERT TO events DO INSTEAD (SELECT f(NEW); SELECT g(NEW));
        ALTER TABLE events DROP COLUMN payload;
        """})
    assert ("drop-column", "up.sql", 3) in lint_findings(tmp_path, "--select", "drop-column")


def test_a_parenthesis_that_never_closes_hides_no_later_statement(tmp_path: Path) -> None:
    write_files(tmp_path, {"versions/a1_x.py": revision_text(
        "a1", None, 'op.execute("SELECT (1; ALTER TABLE users DROP COLUMN email")')})
    assert lint_findings(tmp_path, "--select", "drop-column") == [("drop-column", "a1_x.py", 10)]
