"""SQL text: statement splitting with lines, sqlglot conversion, offline files split per revision."""

from __future__ import annotations

from pathlib import Path

from migcheck.extract.offline import load_sql_file
from migcheck.extract.sql import changes_from_sql
from migcheck.extract.sqlsplit import Comment, Statement, split
from migcheck.vocabulary.changes import AddConstraint, AlterColumn, CreateIndex, RawSQL, SetSetting, ValidateConstraint


def test_split_keeps_lines_quotes_dollar_quotes_and_comments() -> None:
    sql = (
        "-- Running upgrade  -> a1\n"
        "CREATE TABLE t (a text DEFAULT 'x;y');\n"
        "/* block; comment */\n"
        "CREATE FUNCTION f() RETURNS int AS $body$\n  SELECT 1;\n$body$ LANGUAGE sql;\n"
        "UPDATE t SET a = 'it''s';"
    )
    items = split(sql)
    assert isinstance(items[0], Comment) and items[0].text == "Running upgrade  -> a1"
    statements = [(i.text.split()[0], i.line) for i in items if isinstance(i, Statement)]
    assert statements == [("CREATE", 2), ("CREATE", 4), ("UPDATE", 7)]


def test_statements_become_typed_changes() -> None:
    found = changes_from_sql(
        "SET lock_timeout = '2s';\n"
        "ALTER TABLE t ALTER COLUMN c SET NOT NULL, ALTER COLUMN d TYPE bigint;\n"
        "ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (u) REFERENCES u (id) NOT VALID;\n"
        "ALTER TABLE t VALIDATE CONSTRAINT fk;\n"
        "ALTER TABLE t ADD CONSTRAINT uq UNIQUE USING INDEX ix;\n"
        "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS ix ON s.t (a) WHERE b;\n"
        "REINDEX TABLE t;\n"
        "THIS IS NOT SQL;",
        1,
        dialect="postgresql",
    )
    assert isinstance(found[0], SetSetting) and (found[0].name, found[0].value) == ("lock_timeout", "2s")
    assert isinstance(found[1], AlterColumn) and found[1].nullable is False
    assert isinstance(found[2], AlterColumn) and found[2].type == "BIGINT"
    assert isinstance(found[3], AddConstraint) and found[3].kind_of == "foreign_key" and found[3].not_valid
    assert isinstance(found[4], ValidateConstraint) and found[4].name == "fk"
    assert isinstance(found[5], AddConstraint) and found[5].using_index == "ix"
    index = found[6]
    assert isinstance(index, CreateIndex) and index.unique and index.concurrently and index.if_not_exists
    assert index.table == "t" and index.where == "b"
    assert isinstance(found[7], RawSQL) and found[7].keyword == "REINDEX" and found[7].understood
    assert isinstance(found[8], RawSQL) and not found[8].understood
    assert [c.line for c in found] == [1, 2, 2, 3, 4, 5, 6, 7, 8]


OFFLINE = """BEGIN;

CREATE TABLE alembic_version (
    version_num VARCHAR(32) NOT NULL,
    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);

-- Running upgrade  -> a1

CREATE TABLE users (id SERIAL NOT NULL, PRIMARY KEY (id));

INSERT INTO alembic_version (version_num) VALUES ('a1') RETURNING alembic_version.version_num;

-- Running upgrade a1 -> b2

ALTER TABLE users ADD COLUMN age INTEGER NOT NULL;

UPDATE alembic_version SET version_num='b2' WHERE alembic_version.version_num = 'a1';

COMMIT;

CREATE INDEX CONCURRENTLY ix ON users (age);

UPDATE alembic_version SET version_num='c3' WHERE alembic_version.version_num = 'b2';
"""


def test_offline_file_splits_per_revision() -> None:
    migrations = load_sql_file(Path("up.sql"), OFFLINE, "postgresql")
    assert [(m.revision, m.down_revisions, m.line) for m in migrations] == [
        ("a1", (), 8), ("b2", ("a1",), 14), ("c3", ("b2",), 22)]
    # the COMMIT that ends the run's transaction is kept: rules ask whether two statements share a transaction
    assert [(type(c).__name__, getattr(c, "keyword", None)) for c in migrations[1].upgrade_changes] == [
        ("AddColumn", None), ("RawSQL", "COMMIT")]
    assert migrations[1].upgrade_changes[0].line == 16
    assert migrations[1].upgrade_changes[0].in_transaction
    assert not migrations[2].upgrade_changes[0].in_transaction  # after COMMIT


def test_offline_file_without_comments_still_splits() -> None:
    stripped = "\n".join(line for line in OFFLINE.splitlines() if not line.startswith("--"))
    migrations = load_sql_file(Path("up.sql"), stripped, "postgresql")
    assert [(m.revision, m.down_revisions) for m in migrations] == [("a1", ()), ("b2", ("a1",)), ("c3", ("b2",))]


def test_plain_sql_file_is_one_revision() -> None:
    [migration] = load_sql_file(Path("hotfix.sql"), "DROP TABLE t;\n", "postgresql")
    assert migration.revision == "hotfix#1"
    assert not migration.upgrade_changes[0].in_transaction
