"""Issue 13 (branch speed26): work repeated in every revision of the if-absent, plain and app-calls histories.

Each test checks what a user sees (the findings) and counts the repeated work that made a shape dear."""

from __future__ import annotations

import ast
import random
import sys
from pathlib import Path

import pytest

from conftest import revision_text, run_cli, where, write_files
from migcheck.extract.sql import statements
from migcheck.extract.sql.tree import _parse
from migcheck.rules import locking
from migcheck.vocabulary.changes import DropIndex
from test_simple_statements import NAMES, VALUES, fast_path_taken

_IF_ABSENT = '''
if "c5" not in [c["name"] for c in sa.inspect(op.get_bind()).get_columns("t1")]:
    op.create_index("ix_c5", "t1", ["c5"])
'''
_FORGED = '''
if fake.dialect.name == "sqlite":
    op.create_index("ix_c6", "t1", ["c6"])
'''


def test_a_dialect_read_walks_the_module_once_not_per_question(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A test that reads the connection (``sa.inspect(op.get_bind())``, the if-absent shape) asks the module's
    forgeries: five ``ast.walk`` of the whole module each time (bindings, parameters, helpers, imports, writes),
    which made the if-absent history 1.5x the plain one. They now come from the module's one node list."""
    walked: list[str] = []
    original = ast.walk

    def counting(node: ast.AST):  # type: ignore[no-untyped-def]
        if isinstance(node, ast.Module):
            walked.append(sys._getframe(1).f_globals.get("__name__", ""))
        return original(node)

    monkeypatch.setattr(ast, "walk", counting)
    root = write_files(tmp_path, {
        "versions/a1.py": revision_text("a1", None, _IF_ABSENT),
        "versions/b2.py": revision_text("b2", "a1", _FORGED, "class fake:\n    class dialect:\n        name = 'sqlite'\n"),
    })
    run = run_cli("lint", root, "--no-config", "--no-cache", "--format", "json", "--jobs", "1", "--dialect",
                  "postgresql", "--select", "create-index-not-concurrently", "--fail-on", "never")
    assert run.exit_code == 0, run.stderr
    assert where(run.json()["findings"]) == [("create-index-not-concurrently", "a1.py", 11),
                                             ("create-index-not-concurrently", "b2.py", 14)]
    assert [name for name in walked if name.endswith(".forged")] == []


_TYPES = ["TEXT", "text", "Integer", "INT", "bigint", "SMALLINT", "boolean", "BOOL", "date", "uuid", "JSONB", "json",
          "timestamptz", "varchar", "SERIAL", "numeric", "real", "TIMESTAMP", "interval", "character", "double",
          "int4", "tsvector", "citext", "MONEY", "bit", "xml", "inet"]


def _plain_statements(rng: random.Random) -> list[str]:
    """DELETE, ALTER TABLE ADD/DROP COLUMN, COMMENT ON and DROP TRIGGER statements, most of them exactly the
    shapes simple_changes reads, the rest one word or sign away from them."""
    tails = ["", ";", " ;", " -- note", " CASCADE", " RESTRICT", "/* c */", " , DROP COLUMN x", " NOT NULL",
             " DEFAULT 1", " RETURNING id", " LIMIT 5", " USING u"]
    comments = [*VALUES, "NULL", "'it'", "'generated'"]
    plain = ["t1", "name", "c_2", "Mixed_Case", "_x", "s.t", "public.t9"]
    out = []

    def name() -> str:
        return rng.choice(NAMES) if rng.random() < 0.4 else rng.choice(plain)

    def tail() -> str:
        return rng.choice(tails) if rng.random() < 0.4 else rng.choice(["", ";", " ; "])

    for _ in range(700):
        keys = [f"{name()}{rng.choice([' = ', '='])}{rng.choice(VALUES)}" for _ in range(rng.randint(0, 3))]
        where = f" WHERE {rng.choice([' AND ', ' and ', ' OR '])[:5].join(keys)}" if keys else ""
        out.append(f"{rng.choice(['DELETE FROM', 'delete from', 'DELETE  FROM'])} {name()}"
                   f"{rng.choice(['', '', ' AS x', ' x'])}{where}{tail()}")
        table = name()
        option = rng.choice(["", "", "IF NOT EXISTS ", "IF EXISTS ", "if exists "])
        out.append(f"{rng.choice(['ALTER TABLE', 'alter table', 'ALTER TABLE ONLY'])} {table} "
                   f"{rng.choice(['ADD COLUMN', 'add column', 'ADD'])} {option}{name()} "
                   f"{rng.choice(_TYPES)}{tail()}")
        out.append(f"{rng.choice(['ALTER TABLE', 'alter table'])} {table} "
                   f"{rng.choice(['DROP COLUMN', 'drop column', 'DROP'])} {option}{name()}{tail()}")
        out.append(f"{rng.choice(['COMMENT ON COLUMN', 'comment on table', 'COMMENT ON INDEX'])} {table}"
                   f"{rng.choice(['', '.c', '.c.d', '.select', '.c_2'])} IS {rng.choice(comments)}"
                   f"{tail()}")
        out.append(f"{rng.choice(['DROP TRIGGER', 'drop trigger'])} {option}{name()} ON {table}"
                   f"{tail()}")
    return out


def test_plain_history_statements_read_as_sqlglots_tree_does(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each statement simple_changes reads gives the changes sqlglot's tree gives (every field compared)."""
    corpus = ["DELETE FROM t4 WHERE id = 5", "ALTER TABLE t12 ADD COLUMN c3 TEXT", "ALTER TABLE t12 DROP COLUMN c3",
              "COMMENT ON COLUMN t1.c2 IS 'generated'", "DROP TRIGGER trg_t1_2 ON t1",
              "ALTER TABLE s.T DROP COLUMN IF EXISTS C", "ALTER TABLE t ADD COLUMN IF NOT EXISTS c integer;",
              *_plain_statements(random.Random(26))]
    assert fast_path_taken(corpus, monkeypatch) > 250  # the fast path is not vacuous


def test_the_plain_historys_statements_need_no_parse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The statements the plain generated history runs in many revisions (a keyed DELETE, ADD / DROP COLUMN, COMMENT
    ON, DROP TRIGGER) are read without sqlglot's parser, and the rules say of them what they said."""
    parsed: list[str] = []

    def counting(sql: str, dialect: str) -> object:
        parsed.append(sql)
        return _parse(sql, dialect)

    monkeypatch.setattr(statements, "_parse", counting)
    root = write_files(tmp_path, {
        "versions/a1.py": revision_text("a1", None, """
            op.create_table("t1", sa.Column("id", sa.Integer(), primary_key=True), sa.Column("name", sa.Text()))
        """),
        "versions/b2.py": revision_text("b2", "a1", """
            op.execute("ALTER TABLE t1 ADD COLUMN c3 TEXT")
            op.execute("COMMENT ON COLUMN t1.c3 IS 'generated'")
            op.execute("DELETE FROM t1 WHERE id = 5")
            op.execute("ALTER TABLE t1 DROP COLUMN name")
            op.execute("DROP TRIGGER trg_t1 ON t1")
            op.execute("DELETE FROM t1")
        """),
    })
    run = run_cli("lint", root, "--no-config", "--no-cache", "--format", "json", "--fail-on", "never")
    assert run.exit_code == 0, run.stderr
    assert where(run.json()["findings"]) == [
        ("drop-column", "b2.py", 13), ("missing-downgrade", "a1.py", 13), ("missing-downgrade", "b2.py", 18),
        ("missing-lock-timeout", "b2.py", 10), ("mixed-schema-and-data-change", "b2.py", 15),
        ("unbatched-backfill", "b2.py", 15)]
    assert parsed == ["DELETE FROM t1"]


def test_an_index_owner_is_looked_up_only_when_the_upgrade_drops_a_relation(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """drop-index-not-concurrently looked up the table of an index dropped by name alone twice: to know whether the
    upgrade drops that table too, and whether another step locks it anyway. An upgrade that drops no table nor
    materialized view needs the first look-up for no index, so each index's table is looked up once."""
    looked: list[str | None] = []
    original = locking._index_owner

    def counting(ctx: object, change: DropIndex) -> str | None:
        looked.append(change.name)
        return original(ctx, change)  # type: ignore[arg-type]

    monkeypatch.setattr(locking, "_index_owner", counting)
    root = write_files(tmp_path, {
        "versions/a1.py": revision_text("a1", None, """
            op.create_table("t1", sa.Column("id", sa.Integer(), primary_key=True))
            op.create_table("t2", sa.Column("id", sa.Integer(), primary_key=True))
            op.create_index("ix_t1", "t1", ["id"])
            op.create_index("ix_t2", "t2", ["id"])
        """),
        "versions/b2.py": revision_text("b2", "a1", """
            op.execute("DROP INDEX ix_t1")
        """),
        "versions/c3.py": revision_text("c3", "b2", """
            op.execute("DROP INDEX ix_t2")
            op.drop_table("t2")
        """),
    })
    run = run_cli("lint", root, "--no-config", "--no-cache", "--format", "json", "--dialect", "postgresql",
                  "--select", "drop-index-not-concurrently", "--fail-on", "never")
    assert run.exit_code == 0, run.stderr
    assert where(run.json()["findings"]) == [("drop-index-not-concurrently", "b2.py", 10)]
    assert looked == ["ix_t1", "ix_t2"]
