"""attack27b: fix27b's dialect names read again (held-out-27 #140-#144) and the dialect tests they feed, forged.
Each test failed on fix27b; what a user sees: the rule, the file, the line, the exit code."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import revision_text, run_cli, where, write_files


def _drop_findings(tmp_path: Path, upgrade: str, dialect: str) -> tuple[int, list[tuple[str, str, int]]]:
    """``migcheck lint`` on one revision whose upgrade is ``upgrade``, drop-column only, on ``dialect``."""
    write_files(tmp_path, {"versions/a1_drop.py": revision_text("a1", None, upgrade)})
    run = run_cli("lint", tmp_path, "--no-config", "--no-cache", "--format", "json", "--select", "drop-column",
                  "--dialect", dialect)
    assert run.exit_code in (0, 1), run.stderr
    return run.exit_code, where(run.json()["findings"])


# -- a dialect name in capitals: SQLAlchemy's names are lower case, so the comparison is false ----------------------

@pytest.mark.parametrize("test", ['conn.dialect.name == "SQLITE"', 'conn.dialect.name.lower() == "SQLite"',
                                  'conn.dialect.name in ("SQLITE", "MySQL")',
                                  'conn.dialect.name.startswith("SQLite")'])
def test_the_else_branch_of_a_capitalised_dialect_name_runs_on_sqlite(tmp_path: Path, test: str) -> None:
    # fix27b read the literal in lower case: the SQLite branch taken, the drop in the else branch never reported;
    # at run time dialect.name is "sqlite", the test is false and the column is dropped
    assert _drop_findings(tmp_path, f"""
        conn = op.get_bind()
        if {test}:
            pass
        else:
            op.drop_column("ledger", "amount")
    """, "sqlite") == (1, [("drop-column", "a1_drop.py", 14)])


def test_an_early_return_on_a_capitalised_dialect_name_does_not_hide_what_follows(tmp_path: Path) -> None:
    assert _drop_findings(tmp_path, """
        conn = op.get_bind()
        if conn.dialect.name == "POSTGRESQL":
            return
        op.drop_column("ledger", "amount")
    """, "postgresql") == (1, [("drop-column", "a1_drop.py", 13)])


def test_a_capitalised_dialect_description_is_not_the_target(tmp_path: Path) -> None:
    assert _drop_findings(tmp_path, """
        conn = op.get_bind()
        if conn.dialect.dialect_description != "PostgreSQL":
            op.drop_column("ledger", "amount")
    """, "postgresql") == (1, [("drop-column", "a1_drop.py", 12)])


def test_a_helper_compared_with_a_capitalised_name_may_take_either_branch(tmp_path: Path) -> None:
    # the project's own dialect_name() may spell the name its own way: the drop may run
    assert _drop_findings(tmp_path, """
        if dialect_name() == "SQLite":
            return
        op.drop_column("ledger", "amount")
    """, "sqlite") == (1, [("drop-column", "a1_drop.py", 12)])


def test_a_lower_case_dialect_name_still_decides_the_branch(tmp_path: Path) -> None:
    # regression guard: the SQLite branch of a test spelled as SQLAlchemy spells it is still the only one on SQLite
    assert _drop_findings(tmp_path, """
        conn = op.get_bind()
        if conn.dialect.name.lower() == "sqlite":
            pass
        else:
            op.drop_column("ledger", "amount")
    """, "sqlite") == (0, [])
