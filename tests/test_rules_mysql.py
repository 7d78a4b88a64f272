"""MySQL/MariaDB reasons of the rules that apply there, and the server version they depend on."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from migcheck.config import Settings
from migcheck.engine import lint_paths

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
    path = write_revision("b2.py", REVISION.replace('op.drop_table("old_accounts")',
                                                    'op.execute("UPDATE accounts SET tier = 1")'))
    mysql = messages(path, "8.0")["mixed-schema-and-data-change"]
    assert "commits each DDL statement at once" in mysql
    pg = lint_paths([path], Settings(dialect="postgresql"))
    assert any("a failure rolls back both" in f.message for f in pg.findings)
