"""A keyed UPDATE and a DROP INDEX read from sqlglot's tokens (extract/sql/simple.py) read as sqlglot's tree does."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from conftest import revision_text, run_cli, write_files
from migcheck.extract.sql import statements
from migcheck.extract.sql.simple import simple_changes
from migcheck.extract.sql.text import leading_keyword
from migcheck.extract.sql.tree import _parse

NAMES = ["t1", "name", "id", "Mixed_Case", "_x", "key", "value", "user", "select", "if", "any", "case", "date",
         "current_date", "interval", "default", "table", "concurrently", "exists", "cascade", '"Quoted"', "a$b",
         "variadic", "set", "where", "and", "or", "null", "true", "index", "only", "s.t", "public.ix_a", "a.b.c"]
VALUES = ["'x'", "'it''s'", "''", "5", "007", "5.5", "1e3", "-1", "NULL", "TRUE", ":p", "%(p)s", "E'x'", "$$x$$",
          "now()", "id", "'a' || 'b'", "1 + 1", "'5'::int"]


def _statements(rng: random.Random) -> list[str]:
    out = []
    for _ in range(1500):
        pairs = [f"{rng.choice(NAMES)}{rng.choice([' = ', '=', '  =  '])}{rng.choice(VALUES)}"
                 for _ in range(rng.randint(1, 3))]
        keys = [f"{rng.choice(NAMES)} = {rng.choice(VALUES)}" for _ in range(rng.randint(0, 3))]
        where = f" WHERE {rng.choice([' AND ', ' and ', ' OR ', ', '])[:5].join(keys)}" if keys else ""
        tail = rng.choice(["", ";", " ;", " -- note", " LIMIT 5", " RETURNING id", "/* c */"])
        out.append(f"{rng.choice(['UPDATE', 'update'])} {rng.choice(NAMES)}{rng.choice(['', ' AS x', ' x'])} SET "
                   f"{', '.join(pairs)}{where}{tail}")
        options = rng.choice(["", "CONCURRENTLY ", "IF EXISTS ", "CONCURRENTLY IF EXISTS ", "if exists ",
                              "IF NOT EXISTS ", "EXISTS "])
        out.append(f"{rng.choice(['DROP INDEX', 'drop index', 'DROP  INDEX'])} {options}{rng.choice(NAMES)}"
                   f"{rng.choice(['', ';', ' CASCADE', ', b', ' -- x', ' RESTRICT'])}")
    return out


def fast_path_taken(corpus: list[str], monkeypatch: pytest.MonkeyPatch) -> int:
    """How many of ``corpus`` the PostgreSQL fast path reads, each asserted to give the changes (every field, and
    their repr) that sqlglot's tree gives."""
    taken = 0
    for sql in corpus:
        common = {"line": 3, "phase": "upgrade", "origin": "sql", "in_transaction": True, "conditional": False,
                  "sql": sql}
        taken += simple_changes(sql, leading_keyword(sql), "postgresql", common) is not None
        fast = statements.statement_changes(sql, "postgresql", common)
        with monkeypatch.context() as m:
            m.setattr(statements, "simple_changes", lambda *args: None)
            slow = statements.statement_changes(sql, "postgresql", common)
        assert fast == slow and [repr(c) for c in fast] == [repr(c) for c in slow], sql
    return taken


def test_simple_statements_read_as_sqlglots_tree_does(monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = ["UPDATE t1 SET name = '0000581e74ef5' WHERE id = 5", "DROP INDEX IF EXISTS ix_legacy_0000581e74ef5",
              "DROP INDEX CONCURRENTLY IF EXISTS public.ix_a;", "UPDATE s.t SET a = 1, b = 'q' WHERE k = 1 AND j = 2",
              *_statements(random.Random(25))]
    assert fast_path_taken(corpus, monkeypatch) > 100  # the fast path is not vacuous


@pytest.mark.parametrize("dialect", ["mysql", "sqlite"])
def test_other_dialects_go_to_sqlglot(dialect: str) -> None:
    sql = "UPDATE t1 SET name = 'x' WHERE id = 5"
    assert simple_changes(sql, "UPDATE", dialect, {}) is None


def test_keyed_update_and_drop_index_need_no_parse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The statements a keyed-update or app-calls history repeats in every revision are read without sqlglot's
    parser, and what the rules say of them is unchanged."""
    parsed: list[str] = []

    def counting(sql: str, dialect: str) -> object:
        parsed.append(sql)
        return _parse(sql, dialect)

    monkeypatch.setattr(statements, "_parse", counting)
    root = write_files(tmp_path, {
        "versions/a1.py": revision_text("a1", None, """
            op.create_table("t1", sa.Column("id", sa.Integer(), primary_key=True), sa.Column("name", sa.Text()))
            op.create_index("ix_old", "t1", ["name"])
        """),
        "versions/b2.py": revision_text("b2", "a1", """
            op.add_column("t1", sa.Column("c5", sa.Text(), nullable=True))
            op.execute("UPDATE t1 SET name = 'b2' WHERE id = 5")
            op.execute("DROP INDEX IF EXISTS ix_legacy_b2")
            op.execute("DROP INDEX ix_old")
            op.execute("UPDATE t1 SET name = 'all'")
        """),
    })
    run = run_cli("lint", root, "--no-config", "--no-cache", "--format", "json", "--fail-on", "never")
    assert run.exit_code == 0, run.stderr
    assert parsed == ["UPDATE t1 SET name = 'all'"]
    found = sorted((f["rule"], Path(f["path"]).name, f["line"]) for f in run.json()["findings"])
    assert found == [("drop-index-not-concurrently", "b2.py", 12), ("missing-downgrade", "a1.py", 14),
                     ("missing-downgrade", "b2.py", 17), ("missing-lock-timeout", "b2.py", 10),
                     ("mixed-schema-and-data-change", "b2.py", 14), ("unbatched-backfill", "b2.py", 14)]
