"""``CREATE TABLE a LIKE b`` (MySQL) makes a new, empty table ``a`` (held-out-27: raw-data-repository's
``add_table_history_table()`` makes ``x_history`` so). Before, migcheck did not read it as a new table, and a NOT
NULL column added to ``a`` right after was reported as filling the rows of an existing table; PostgreSQL's
``CREATE TABLE a (LIKE b INCLUDING ALL)`` was already a new table and stays one."""

from __future__ import annotations

from pathlib import Path

from conftest import run_cli

REVISION = """\
import sqlalchemy as sa
from alembic import op

revision = "b1"
down_revision = "a1"


def upgrade():
    op.execute("{create}")
    op.add_column("person_history", sa.Column("revision_id", sa.Integer(), nullable=False))


def downgrade():
    op.drop_table("person_history")
"""
FIRST = """\
import sqlalchemy as sa
from alembic import op

revision = "a1"
down_revision = None


def upgrade():
    op.create_table("person", sa.Column("id", sa.Integer(), primary_key=True))


def downgrade():
    op.drop_table("person")
"""


def _rules(root: Path, create: str, dialect: str) -> list[tuple[str, int]]:
    (root / "versions").mkdir()
    (root / "versions" / "a1_person.py").write_text(FIRST, encoding="utf-8")
    (root / "versions" / "b1_history.py").write_text(REVISION.format(create=create), encoding="utf-8")
    run = run_cli("lint", root / "versions", "--format", "json", "--no-config", "--fail-on", "never",
                  "--dialect", dialect)
    return sorted((str(f["rule"]), int(f["line"])) for f in run.json()["findings"]
                  if Path(str(f["path"])).name == "b1_history.py")


def test_mysql_create_table_like_is_a_new_table(tmp_path: Path) -> None:
    rules = _rules(tmp_path, "CREATE TABLE person_history LIKE person", "mysql")
    assert not [r for r in rules if r[0] in {"add-not-null-column-without-default", "missing-lock-timeout"}], rules


def test_mysql_create_table_if_not_exists_like_is_a_new_table(tmp_path: Path) -> None:
    rules = _rules(tmp_path, "CREATE TABLE IF NOT EXISTS person_history LIKE person", "mysql")
    assert not [r for r in rules if r[0] == "add-not-null-column-without-default"], rules


def test_postgresql_create_table_of_like_is_a_new_table(tmp_path: Path) -> None:
    rules = _rules(tmp_path, "CREATE TABLE person_history (LIKE person INCLUDING ALL)", "postgresql")
    assert not [r for r in rules if r[0] == "add-not-null-column-without-default"], rules


def test_an_existing_table_still_reports_the_not_null_column(tmp_path: Path) -> None:
    """The control: without the CREATE, person_history is not known new, and the finding stays."""
    rules = _rules(tmp_path, "SELECT 1", "mysql")
    assert ("add-not-null-column-without-default", 10) in rules, rules
