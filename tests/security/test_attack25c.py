"""Attacker review of speed25's fast path (extract/sql/simple.py): a keyed ``UPDATE`` and a one-name ``DROP INDEX``
read by a pattern must give exactly the changes sqlglot's reading gives, or a stranger can craft text the pattern
misreads.

The pattern was case-insensitive, and Python's case-insensitive ``[A-Za-z]`` also matches four non-ASCII letters
(U+017F long s, U+212A Kelvin sign, U+0130 and U+0131 dotted and dotless i). The statement then matched as a whole, but the
pair names were cut out afterwards by a pattern without that flag, which skipped the non-ASCII letter: ``WHERE \u017fid =
5`` read as pinned by ``id``, the table's primary key, so an UPDATE of every row with ``\u017fid = 5`` in a revision that
also changes the schema passed as a one-row catalog update (mixed-schema-and-data-change silent); sqlglot reads the
column as ``\u017fid`` (or ``kid``), no key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conftest import revision_text, run_cli, where, write_files
from migcheck.extract.sql import statements
from migcheck.extract.sql.simple import simple_changes
from migcheck.extract.sql.text import leading_keyword

#: The non-ASCII letters a case-insensitive ``[A-Za-z]`` matches in Python.
ODD_LETTERS = ["\u017f", "\u212a", "\u0130", "\u0131"]


def _common(sql: str) -> dict[str, Any]:
    return {"line": 3, "phase": "upgrade", "origin": "sql", "in_transaction": True, "conditional": False, "sql": sql}


@pytest.mark.parametrize("letter", ODD_LETTERS)
@pytest.mark.parametrize("template", [
    "UPDATE t1 SET name = 'x' WHERE {l}id = 5",
    "UPDATE t1 SET {l}name = 'x' WHERE id = 5",
    "UPDATE t1 SET name = 'x' WHERE id = 5 AND {l}elect = 1",
    "UPDATE {l}t1 SET name = 'x' WHERE id = 5",
    "UPDATE s.t1 {l}ET name = 'x' WHERE id = 5",
    "DROP INDEX {l}x_a",
    "DROP INDEX CONCURRENTLY {l}F EXI{l}TS ix_a",
])
def test_non_ascii_letters_read_as_sqlglot_reads_them(letter: str, template: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    sql = template.format(l=letter)
    fast = statements.statement_changes(sql, "postgresql", _common(sql))
    monkeypatch.setattr(statements, "simple_changes", lambda *args: None)
    assert fast == statements.statement_changes(sql, "postgresql", _common(sql)), sql


@pytest.mark.parametrize("sql", ["UPDATE t1 SET name = 'x' WHERE id = 5", "DROP INDEX CONCURRENTLY IF EXISTS ix_a"])
def test_plain_ascii_statements_still_take_the_fast_path(sql: str) -> None:
    assert simple_changes(sql, leading_keyword(sql), "postgresql", _common(sql)) is not None


def _project(tmp_path: Path, column: str, key: str) -> Path:
    return write_files(tmp_path, {
        "versions/a1.py": revision_text("a1", None, f"""
            op.create_table("t1", sa.Column("id", sa.Integer(), primary_key=True), sa.Column("name", sa.Text()),
                            sa.Column({column!r}, sa.Integer()))
        """),
        "versions/b2.py": revision_text("b2", "a1", f"""
            op.add_column("t1", sa.Column("c5", sa.Text(), nullable=True))
            op.execute("UPDATE t1 SET name = 'b2' WHERE {key} = 5")
        """),
    })


def _mixed(root: Path) -> list[tuple[str, str, int]]:
    run = run_cli("lint", root, "--no-config", "--no-cache", "--format", "json", "--dialect", "postgresql",
                  "--select", "mixed-schema-and-data-change", "--fail-on", "never")
    assert run.exit_code == 0, run.stderr
    return where(run.json()["findings"])


@pytest.mark.parametrize("column", ["\u017fid", "\u212aid"])
def test_update_of_a_look_alike_column_is_not_keyed_by_the_primary_key(tmp_path: Path, column: str) -> None:
    """``WHERE \u017fid = 5`` updates every row whose ``\u017fid`` is 5, not the one row of primary key ``id``."""
    assert _mixed(_project(tmp_path, column, column)) == [("mixed-schema-and-data-change", "b2.py", 11)]


def test_update_keyed_by_the_primary_key_stays_silent(tmp_path: Path) -> None:
    """The pattern the exemption was made for: one row by its key, read by the fast path."""
    assert _mixed(_project(tmp_path, "\u017fid", "id")) == []
