"""Statements are split as the target dialect's server reads quotes and comments.

Before, one reading served every dialect, so text the server runs as a statement could sit inside what the splitter
took for a string or a comment, and a real DROP COLUMN got no finding (found after attack25, in code older than it).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import revision_text, run_cli, write_files

DROP = "ALTER TABLE users DROP COLUMN email"


def _drop_columns(tmp_path: Path, sql: str, dialect: str) -> list[tuple[str, int]]:
    write_files(tmp_path, {"versions/a1_x.py": revision_text("a1", None, f"op.execute({sql!r})")})
    run = run_cli("lint", tmp_path, "--no-config", "--no-cache", "--format", "json", "--dialect", dialect,
                  "--select", "drop-column")
    assert run.exit_code in (0, 1), run.stderr
    return [(f["rule"], f["line"]) for f in run.json()["findings"]]


@pytest.mark.parametrize(("dialect", "sql"), [
    # PostgreSQL (standard_conforming_strings on since 9.1): '\' is a whole string holding a backslash.
    ("postgresql", f"SELECT '\\'; {DROP}; SELECT '\\'"),
    # PostgreSQL names may hold '$': x$a$ is a name, not the start of a dollar quote.
    ("postgresql", f"SELECT x$a$; {DROP}; SELECT x$a$"),
    # MySQL has no dollar quotes: $a$ is a name there.
    ("mysql", f"CREATE TABLE x ($a$ int); {DROP}; CREATE TABLE y ($a$ int)"),
    # MySQL: '--' starts a comment only before a blank; '--x' is minus minus x.
    ("mysql", f"SELECT 1 --x; {DROP}"),
    # SQLite has no backslash escapes either.
    ("sqlite", f"SELECT 'a\\'; {DROP}; SELECT '\\'"),
])
def test_a_statement_the_server_runs_is_not_hidden_in_a_misread_quote_or_comment(
        tmp_path: Path, dialect: str, sql: str) -> None:
    assert _drop_columns(tmp_path, sql, dialect) == [("drop-column", 10)]


@pytest.mark.parametrize(("dialect", "sql"), [
    # MySQL: '#' starts a comment to the end of the line; the DROP is never run.
    ("mysql", f"SELECT 1 # a comment; {DROP}\n"),
    # MySQL: a backslash escapes the quote inside a double-quoted string.
    ("mysql", f'SELECT "a\\"; {DROP}; b"'),
    # PostgreSQL: an E'' string escapes with backslashes, and block comments nest.
    ("postgresql", f"SELECT E'\\'; {DROP}; '"),
    ("postgresql", f"SELECT 1 /* outer /* inner */ {DROP}; */"),
    # SQLite: a bracketed name may hold a ';'.
    ("sqlite", f"SELECT [a; {DROP}; b]"),
])
def test_text_the_server_reads_as_a_string_or_comment_is_no_statement(tmp_path: Path, dialect: str, sql: str) -> None:
    assert _drop_columns(tmp_path, sql, dialect) == []


def test_an_offline_mysql_dump_is_split_as_mysql_reads_it(tmp_path: Path) -> None:
    write_files(tmp_path, {"up.sql": f"-- Running upgrade  -> a1\nCREATE TABLE x ($a$ int);\n{DROP};\nCREATE TABLE y ($a$ int);\n"})
    run = run_cli("lint", tmp_path / "up.sql", "--no-config", "--no-cache", "--format", "json", "--dialect", "mysql",
                  "--select", "drop-column")
    assert [(f["rule"], f["line"]) for f in run.json()["findings"]] == [("drop-column", 3)]
