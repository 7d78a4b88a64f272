"""MySQL/MariaDB reasons of the rules that apply there, and the server version they depend on."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from migcheck.run.engine import lint_paths
from migcheck.vocabulary.settings import Settings

REVISION = '''
"""mysql"""
from alembic import op
import sqlalchemy as sa

revision = "a1"
down_revision = "a0"


def upgrade():
    op.add_column("accounts", sa.Column("tier", sa.Integer(), nullable=False))
    op.drop_column("accounts", "legacy")
    op.drop_table("old_accounts")


def downgrade():
    pass
'''


def messages(path: Path, version: str) -> dict[str, str]:
    result = lint_paths([path], Settings(dialect="mysql", mysql_version=version))
    return {f.rule: f.message for f in result.findings}


@pytest.fixture
def revision(write_revision: Callable[..., Path]) -> Path:
    return write_revision("a1.py", REVISION)


def test_not_null_column_gets_the_implicit_default_even_in_strict_mode(revision: Path) -> None:
    # Checked on MariaDB 10.11 with STRICT_TRANS_TABLES: existing rows get 0, no error.
    modern = messages(revision, "8.0.35")["add-not-null-column-without-default"]
    assert "implicit default (0, '' or a zero date), even in strict mode" in modern
    assert "copies the table" not in modern
    assert (
        "on MySQL 5.7 the ALTER copies the table"
        in messages(revision, "5.7")["add-not-null-column-without-default"]
    )


def test_drop_column_rebuilds_before_instant_drop(revision: Path) -> None:
    assert "rebuilds the whole table" in messages(revision, "8.0.28")["drop-column"]
    assert "rebuilds the whole table" not in messages(revision, "8.0.29")["drop-column"]
    assert "rebuilds the whole table" in messages(revision, "10.3")["drop-column"]  # MariaDB before 10.4
    assert "rebuilds the whole table" not in messages(revision, "10.11")["drop-column"]


def test_drops_are_not_rolled_back_on_mysql(revision: Path) -> None:
    text = messages(revision, "8.0")["drop-table"]
    assert "commits DDL immediately" in text
    pg = lint_paths([revision], Settings(dialect="postgresql"))
    assert all("commits DDL immediately" not in f.message for f in pg.findings)


def test_mixed_schema_and_data_change_has_its_mysql_reason(write_revision: Callable[..., Path]) -> None:
    # with a server default: a NOT NULL add without one proves the table empty on PostgreSQL, and the UPDATE after
    # it writes no row there (held-out-20 #95, #96)
    path = write_revision("b2.py", REVISION.replace('op.drop_table("old_accounts")',
                                                    'op.execute("UPDATE accounts SET tier = 1")')
                          .replace("nullable=False)", 'nullable=False, server_default="0")'))
    mysql = messages(path, "8.0")["mixed-schema-and-data-change"]
    assert "commits each DDL statement at once" in mysql
    pg = lint_paths([path], Settings(dialect="postgresql"))
    assert any("a failure rolls back both" in f.message for f in pg.findings)


COPYING = '''
"""copying alters"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

revision = "c1"
down_revision = "c0"


def upgrade():
    op.alter_column("events", "created_at", type_=mysql.DATETIME(fsp=6), existing_type=sa.DateTime())
    op.alter_column("events", "body", type_=mysql.MEDIUMTEXT(), existing_type=sa.Text())
    op.create_foreign_key("fk_events_user", "events", "users", ["user_id"], ["id"])
    op.drop_constraint("pk_legacy", "legacy", type_="primary")
    op.alter_column("events", "code", type_=sa.String(100), existing_type=sa.String(50))


def downgrade():
    pass
'''

SAFE_TWIN = '''
"""the same intent without a table copy"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

revision = "c1"
down_revision = "c0"


def upgrade():
    op.add_column("events", sa.Column("created_at_us", mysql.DATETIME(fsp=6), nullable=True))
    op.alter_column("events", "title", type_=sa.String(200), existing_type=sa.String(100))
    op.alter_column("events", "kind", nullable=False, existing_type=sa.Integer())
    op.create_table("users2", sa.Column("id", sa.Integer(), primary_key=True), sa.Column("e", sa.Integer()))
    op.create_foreign_key("fk_users2_e", "users2", "events", ["e"], ["id"])
    op.drop_constraint("fk_old", "events", type_="foreignkey")


def downgrade():
    pass
'''


def copy_findings(path: Path, version: str = "10.11") -> list[tuple[int, str]]:
    result = lint_paths([path], Settings(dialect="mysql", mysql_version=version))
    return [(f.line, f.message) for f in result.findings if f.rule == "mysql-alter-copies-table"]


def test_alters_that_copy_the_table_are_errors(write_revision: Callable[..., Path]) -> None:
    path = write_revision("c1.py", COPYING)
    result = lint_paths([path], Settings(dialect="mysql", mysql_version="8.0.35"))
    found = [f for f in result.findings if f.rule == "mysql-alter-copies-table"]
    assert [(f.line, f.severity.name) for f in found] == [(11, "ERROR"), (12, "ERROR"), (13, "ERROR"),
                                                           (14, "ERROR"), (15, "ERROR")]
    assert all(Path(f.path).name == "c1.py" for f in found)
    text = [f.message for f in found]
    assert "events.created_at changes from DateTime() to DATETIME(fsp=6): on MySQL 8.0.35, changing" in text[0]
    assert "ALGORITHM=COPY" in text[1]
    assert "foreign key fk_events_user" in text[2] and "foreign_key_checks" in text[2]
    assert "primary key pk_legacy" in text[3]
    assert "past 255 bytes" in text[4]
    assert "MariaDB 10.11" in copy_findings(path)[0][1]


def test_safe_twin_is_quiet(write_revision: Callable[..., Path]) -> None:
    assert copy_findings(write_revision("c1.py", SAFE_TWIN)) == []
    assert copy_findings(write_revision("c1.py", SAFE_TWIN), version="8.0") == []


def test_other_dialects_do_not_get_it(write_revision: Callable[..., Path]) -> None:
    result = lint_paths([write_revision("c1.py", COPYING)], Settings(dialect="postgresql"))
    assert all(f.rule != "mysql-alter-copies-table" for f in result.findings)


def test_unknown_old_type_is_a_warning(write_revision: Callable[..., Path]) -> None:
    body = COPYING.replace(", existing_type=sa.DateTime()", "")
    result = lint_paths([write_revision("c1.py", body)], Settings(dialect="mysql"))
    first = next(f for f in result.findings if f.rule == "mysql-alter-copies-table")
    assert first.line == 11 and first.severity.name == "WARNING"
    assert "cannot tell from what" in first.message


def test_foreign_key_checks_turned_back_on_still_copy(write_revision: Callable[..., Path]) -> None:
    body = COPYING.replace('    op.create_foreign_key(',
                           '    op.execute("SET foreign_key_checks = 0")\n    op.execute("SET foreign_key_checks = 1")\n'
                           '    op.create_foreign_key(')
    lines = [line for line, _ in copy_findings(write_revision("c1.py", body))]
    assert 15 in lines  # the create_foreign_key, two lines lower than in COPYING
    quiet = body.replace('"SET foreign_key_checks = 1"', '"SELECT 1"')
    assert 15 not in [line for line, _ in copy_findings(write_revision("c1.py", quiet))]


DATED = '''
from alembic import op
import sqlalchemy as sa

revision = "a1"
down_revision = "a0"


def upgrade():
    op.add_column("jobs", sa.Column("created_at", sa.DateTime(), nullable=False))
    op.add_column("jobs", sa.Column("runs", sa.Integer(), nullable=False))


def downgrade():
    op.drop_column("jobs", "runs")
    op.drop_column("jobs", "created_at")
'''


def test_a_date_column_says_mysql_refuses_the_zero_date(write_revision: Callable[..., Path]) -> None:
    """held-out-24 #17: MySQL's default sql_mode (5.7+) has NO_ZERO_DATE, so the ALTER fails on a table with rows;
    the message said every row gets a zero date "even in strict mode", true of MariaDB's default mode only."""
    path = write_revision("a1.py", DATED)
    result = lint_paths([path], Settings(dialect="mysql", mysql_version="8.0.35"))
    found = {f.line: f.message for f in result.findings if f.rule == "add-not-null-column-without-default"}
    assert "column jobs.created_at" in found[9] and "NO_ZERO_DATE" in found[9]
    assert "Incorrect datetime value" in found[9] and "even in strict mode" not in found[9]
    assert "implicit default (0, '' or a zero date), even in strict mode" in found[10]  # a number: as before


def test_mariadb_fills_zero_dates_and_no_zero_date_refuses_them(scratch_mariadb: Any) -> None:
    """The two facts the date message states, on the MariaDB service: in MariaDB's default sql_mode the ALTER
    fills 0000-00-00; with MySQL's default modes (strict + NO_ZERO_DATE) the same ALTER fails with error 1292."""
    from sqlalchemy import text
    from sqlalchemy.exc import DataError, OperationalError

    with scratch_mariadb.connect() as conn:
        conn.execute(text("SET SESSION sql_mode = DEFAULT"))
        conn.execute(text("CREATE TABLE jobs (id INT PRIMARY KEY)"))
        conn.execute(text("INSERT INTO jobs VALUES (1)"))
        conn.execute(text("ALTER TABLE jobs ADD COLUMN created_at DATETIME NOT NULL"))
        assert str(conn.execute(text("SELECT CAST(created_at AS CHAR) FROM jobs")).scalar()) == "0000-00-00 00:00:00"
        conn.execute(text("SET SESSION sql_mode = 'STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,"
                          "ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'"))
        with pytest.raises((DataError, OperationalError), match="1292"):
            conn.execute(text("ALTER TABLE jobs ADD COLUMN done_at DATETIME NOT NULL"))
