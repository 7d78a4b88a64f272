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
