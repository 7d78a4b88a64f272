"""Wrong or missed against PostgreSQL itself (issue #16): what migcheck said that PostgreSQL contradicts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import test_rules_postgres_live
from conftest import run_cli

pg = test_rules_postgres_live.pg  # the scratch-database fixture of the live PostgreSQL checks


def lint(path: Path, *args: str) -> list[dict[str, object]]:
    run = run_cli("lint", path, "--format", "json", "--no-config", "--fail-on", "never", *args)
    assert run.exit_code == 0, run.stderr
    findings: list[dict[str, object]] = run.json()["findings"]
    return findings


def test_offline_downgrade_sql_belongs_to_the_revision_it_undoes(tmp_path: Path) -> None:
    """`-- Running downgrade a044 -> a043` undoes a044: a finding there is a044's, not a043's."""
    sql = tmp_path / "down.sql"
    sql.write_text(
        "BEGIN;\n\n-- Running downgrade a044 -> a043\n\nDROP INDEX CONCURRENTLY ix_tills_drawer;\n\n"
        "UPDATE alembic_version SET version_num='a043' WHERE alembic_version.version_num = 'a044';\n\n"
        "-- Running upgrade a042 -> a043\n\nDROP INDEX CONCURRENTLY ix_tills_float;\n\nCOMMIT;\n")
    found = [(f["rule"], f["revision"], f["line"]) for f in lint(sql, "--select", "concurrent-index-in-transaction")]
    assert found == [("concurrent-index-in-transaction", "a044", 5),
                     ("concurrent-index-in-transaction", "a043", 11)]


def test_reindex_system_is_not_offered_a_concurrent_form_postgresql_refuses(tmp_path: Path) -> None:
    """PostgreSQL 15: `REINDEX SYSTEM CONCURRENTLY` fails with 'cannot reindex system catalogs concurrently'."""
    sql = tmp_path / "reindex.sql"
    sql.write_text("REINDEX SYSTEM shop;\nREINDEX TABLE tills;\n")
    found = {f["line"]: f for f in lint(sql, "--select", "reindex-not-concurrently")}
    assert "REINDEX SYSTEM CONCURRENTLY" not in str(found[1]["fix"])
    assert "REINDEX SYSTEM has no CONCURRENTLY form" in str(found[1]["fix"])
    assert 'REINDEX TABLE CONCURRENTLY tills' in str(found[2]["fix"])


def test_inline_check_in_add_column_is_reported_on_both_paths(tmp_path: Path) -> None:
    sql = tmp_path / "check.sql"
    sql.write_text("ALTER TABLE tills ADD COLUMN cash bigint CHECK (cash > 0);\n"
                   "ALTER TABLE tills ADD COLUMN coins bigint CONSTRAINT ck_coins CHECK (coins >= 0);\n"
                   "ALTER TABLE tills ADD COLUMN note text;\n")
    found = lint(sql, "--select", "add-check-constraint-without-not-valid")
    assert [(f["line"], "ck_coins" in str(f["message"])) for f in found] == [(1, False), (2, True)]
    revision = tmp_path / "0001_cash.py"
    revision.write_text(
        'import sqlalchemy as sa\nfrom alembic import op\n\nrevision = "0001"\ndown_revision = None\n\n\n'
        "def upgrade():\n"
        '    op.add_column("tills", sa.Column("cash", sa.BigInteger(), sa.CheckConstraint("cash > 0")))\n'
        '    op.add_column("tills", sa.Column("note", sa.Text()))\n\n\n'
        "def downgrade():\n    pass\n")
    found = lint(revision, "--select", "add-check-constraint-without-not-valid")
    assert [(f["line"], f["rule"]) for f in found] == [(9, "add-check-constraint-without-not-valid")]


def test_postgresql_checks_an_inline_check_against_every_row_and_refuses_reindex_system_concurrently(
        pg: Any) -> None:
    """The two facts above, on the server: the inline CHECK is evaluated for the existing rows (a DEFAULT
    that breaks it fails the ADD COLUMN), and REINDEX SYSTEM has no CONCURRENTLY form."""
    psycopg2 = pytest.importorskip("psycopg2")
    with pg.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS tills; CREATE TABLE tills (id int); INSERT INTO tills VALUES (1), (2)")
        with pytest.raises(psycopg2.errors.CheckViolation):
            cur.execute("ALTER TABLE tills ADD COLUMN cash bigint DEFAULT 0 CHECK (cash > 0)")
        cur.execute("SELECT current_database()")
        database = cur.fetchone()[0]
        with pytest.raises(psycopg2.errors.FeatureNotSupported, match="system catalogs concurrently"):
            cur.execute(f"REINDEX SYSTEM CONCURRENTLY {database}")


@pytest.mark.parametrize(("statement", "lock"), [
    ("REINDEX (CONCURRENTLY false) TABLE tills", "REINDEX takes a SHARE lock"),
    ("REINDEX TABLE CONCURRENTLY tills", None),
    ("VACUUM (VERBOSE, FULL) tills", "VACUUM takes an ACCESS EXCLUSIVE lock"),
    ("VACUUM (FULL false) tills", None),
    ("VACUUM FULL tills", "VACUUM takes an ACCESS EXCLUSIVE lock"),
    ("LOCK TABLE tills IN ACCESS SHARE MODE", None),
    ("LOCK TABLE tills IN ROW EXCLUSIVE MODE", None),
    ("LOCK TABLE tills IN SHARE MODE", "LOCK TABLE tills takes a SHARE lock"),
    ("LOCK tills", "LOCK TABLE tills takes an ACCESS EXCLUSIVE lock"),
    ("ALTER TABLE parts DETACH PARTITION parts_2020 CONCURRENTLY", None),
])
def test_lock_timeout_reads_statements_with_the_shared_classifier(tmp_path: Path, statement: str,
                                                                  lock: str | None) -> None:
    """Before, missing-lock-timeout read these with its own regexes and disagreed with the other rules."""
    sql = tmp_path / "q.sql"
    sql.write_text(statement + ";\n")
    found = lint(sql, "--select", "missing-lock-timeout")
    if lock is None:
        assert found == []
    else:
        assert [str(f["message"]).startswith(lock) for f in found] == [True], found


def test_messages_quote_the_default_as_the_migration_wrote_it(tmp_path: Path) -> None:
    """sqlglot reads `uuid()` as GEN_RANDOM_UUID(): the message and the fix quote the user's own text."""
    sql = tmp_path / "uuid.sql"
    sql.write_text("ALTER TABLE tills ADD COLUMN token uuid DEFAULT uuid();\n"
                   "ALTER TABLE tills ADD COLUMN jitter int DEFAULT (random() * 10)::int NOT NULL;\n")
    found = lint(sql, "--select", "add-column-with-volatile-default")
    assert [f["line"] for f in found] == [1, 2]
    assert "its default uuid() is VOLATILE" in str(found[0]["message"])
    assert "gen_random_uuid" not in str(found[0]["message"]).lower() + str(found[0]["fix"]).lower()
    assert 'server_default=sa.text("uuid()")' in str(found[0]["fix"])
    assert "its default (random() * 10)::int is VOLATILE" in str(found[1]["message"])


def test_combined_validate_quotes_the_other_subcommands(tmp_path: Path) -> None:
    sql = tmp_path / "v.sql"
    sql.write_text("ALTER TABLE tills DROP COLUMN note, VALIDATE CONSTRAINT ck_cash;\n")
    found = lint(sql, "--select", "validate-in-same-transaction,drop-column")
    assert sorted(str(f["rule"]) for f in found) == ["drop-column", "validate-in-same-transaction"]
    message = next(str(f["message"]) for f in found if f["rule"] == "validate-in-same-transaction")
    assert "`DROP COLUMN note`, which takes ACCESS EXCLUSIVE" in message


def _locks(cur: Any, table: str) -> set[str]:
    cur.execute("SELECT mode FROM pg_locks WHERE relation = %s::regclass AND pid = pg_backend_pid()", (table,))
    return {row[0] for row in cur.fetchall()}


def test_postgresql_facts_behind_the_remaining_patterns(pg: Any) -> None:
    """Checked on the server: (1) one ALTER TABLE takes the strongest lock of its subcommands, so VALIDATE
    next to DROP COLUMN holds ACCESS EXCLUSIVE, next to SET (fillfactor) only SHARE UPDATE EXCLUSIVE;
    (2) ADD PRIMARY KEY USING INDEX sets a nullable column NOT NULL (and fails on a NULL row); (3) CREATE
    INDEX CONCURRENTLY IF NOT EXISTS skips an INVALID index left by a failed build; (4) CREATE TABLE AS,
    SELECT INTO and PARTITION OF create tables."""
    psycopg2 = pytest.importorskip("psycopg2")
    with pg.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS pays, pays_copy, pays_into, parts CASCADE")
        cur.execute("CREATE TABLE pays (id int, amount int, note text, code int)")
        cur.execute("INSERT INTO pays VALUES (1, 5, 'a', 1), (2, 6, 'b', 1)")
        cur.execute("ALTER TABLE pays ADD CONSTRAINT ck_amount CHECK (amount > 0) NOT VALID")
        for statement, lock in [
            ("ALTER TABLE pays DROP COLUMN note, VALIDATE CONSTRAINT ck_amount", "AccessExclusiveLock"),
            ("ALTER TABLE pays VALIDATE CONSTRAINT ck_amount, SET (fillfactor = 90)", "ShareUpdateExclusiveLock"),
        ]:
            cur.execute("BEGIN")
            cur.execute(statement)
            assert _locks(cur, "pays") == {lock}, statement
            cur.execute("ROLLBACK")
        cur.execute("CREATE UNIQUE INDEX CONCURRENTLY ix_pays_id ON pays (id)")
        cur.execute("INSERT INTO pays VALUES (NULL, 7, 'c', 2)")
        with pytest.raises(psycopg2.errors.NotNullViolation):
            cur.execute("ALTER TABLE pays ADD CONSTRAINT pays_pkey PRIMARY KEY USING INDEX ix_pays_id")
        cur.execute("DELETE FROM pays WHERE id IS NULL")
        cur.execute("ALTER TABLE pays ADD CONSTRAINT pays_pkey PRIMARY KEY USING INDEX ix_pays_id")
        cur.execute("SELECT attnotnull FROM pg_attribute WHERE attrelid = 'pays'::regclass AND attname = 'id'")
        assert cur.fetchone()[0] is True
        with pytest.raises(psycopg2.errors.UniqueViolation):
            cur.execute("CREATE UNIQUE INDEX CONCURRENTLY ix_pays_code ON pays (code)")
        cur.execute("DELETE FROM pays WHERE id = 2")
        cur.execute("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS ix_pays_code ON pays (code)")
        cur.execute("SELECT indisvalid FROM pg_index WHERE indexrelid = 'ix_pays_code'::regclass")
        assert cur.fetchone()[0] is False
        cur.execute("CREATE TABLE pays_copy AS SELECT * FROM pays")
        cur.execute("SELECT * INTO pays_into FROM pays")
        cur.execute("CREATE TABLE parts (d date) PARTITION BY RANGE (d)")
        cur.execute("CREATE TABLE parts_2031 PARTITION OF parts FOR VALUES FROM ('2031-01-01') TO ('2032-01-01')")
        cur.execute("SELECT count(*) FROM pg_class WHERE relname IN ('pays_copy', 'pays_into', 'parts_2031')")
        assert cur.fetchone()[0] == 3
        cur.execute("DROP TABLE pays, pays_copy, pays_into, parts CASCADE")


@pytest.mark.parametrize(("column", "scan"), [("id INTEGER NOT NULL", False), ("id INTEGER", True)])
def test_a_primary_key_on_not_null_columns_is_not_said_to_scan_for_nulls(tmp_path: Path, column: str,
                                                                          scan: bool) -> None:
    """held-out-4 (fides 155fd8e51d9d): the key's columns were NOT NULL already; only the index build remains."""
    path = tmp_path / "pk.sql"
    path.write_text(
        f"-- Running upgrade  -> 0001\n\nCREATE TABLE events ({column});\n\n"
        "-- Running upgrade 0001 -> 0002\n\nALTER TABLE events ADD CONSTRAINT pk_events PRIMARY KEY (id);\n",
        encoding="utf-8",
    )
    (finding,) = lint(path, "--select", "add-primary-key-to-existing-table")
    message = str(finding["message"])
    assert "builds its unique index" in message
    assert ("sets its columns NOT NULL with a scan" in message) == scan


def test_sqlite_messages_follow_how_the_ddl_runs(tmp_path: Path) -> None:
    """Python revisions run under pysqlite, which commits DDL at once; an offline script's BEGIN does not."""
    from conftest import FIXTURES

    (python_finding,) = lint(FIXTURES / "rules" / "mixed-schema-and-data-change" / "bad_sqlite_ddl_first.py",
                             "--select", "mixed-schema-and-data-change", "--dialect", "sqlite")
    assert "commits at once" in str(python_finding["message"])
    script = tmp_path / "up.sql"
    script.write_text("BEGIN TRANSACTION;\n-- Running upgrade  -> 0001\nALTER TABLE server ADD COLUMN n INTEGER;\n"
                      "UPDATE server SET n = 5;\nCOMMIT;\n", encoding="utf-8")
    (sql_finding,) = lint(script, "--select", "mixed-schema-and-data-change", "--dialect", "sqlite")
    assert "commits at once" not in str(sql_finding["message"])
    assert "held until the data change commits" in str(sql_finding["message"])


def test_an_enum_swap_is_a_certain_rewrite_with_its_reason() -> None:
    from conftest import FIXTURES

    (finding,) = lint(FIXTURES / "rules" / "alter-column-type" / "bad-enum-swap-using.sql", "--select",
                      "alter-column-type", "--dialect", "postgresql")
    assert finding["severity"] == "error"
    assert "computes the expression for every row" in str(finding["message"])
    assert "cannot read" not in str(finding["message"])
