"""``getattr(getattr(op.get_bind(), "dialect", None), "name", "")`` is the dialect's name (held-out-27:
airunner's foreign-key helper tests SQLite so). Before, the test was not read, both branches were taken as may-run,
and the non-SQLite branch's ``op.create_foreign_key`` was reported as an ALTER outside batch mode on SQLite. The
same getattr chain on anything but the migration's connection is not a dialect test."""

from __future__ import annotations

from pathlib import Path

from conftest import run_cli

FIRST = """\
import sqlalchemy as sa
from alembic import op

revision = "a1"
down_revision = None


def upgrade():
    op.create_table("users", sa.Column("id", sa.Integer(), primary_key=True))
    op.create_table("posts", sa.Column("id", sa.Integer(), primary_key=True), sa.Column("user_id", sa.Integer()))


def downgrade():
    op.drop_table("posts")
    op.drop_table("users")
"""
SECOND = """\
import sqlalchemy as sa
from alembic import op

revision = "b1"
down_revision = "a1"


def upgrade():
    dialect_name = {test}
    if dialect_name == "sqlite":
        with op.batch_alter_table("posts", recreate="always") as batch_op:
            batch_op.create_foreign_key("fk_posts_user", "users", ["user_id"], ["id"])
    else:
        op.create_foreign_key("fk_posts_user", "posts", "users", ["user_id"], ["id"])


def downgrade():
    with op.batch_alter_table("posts") as batch_op:
        batch_op.drop_constraint("fk_posts_user", type_="foreignkey")
"""


def _rules(root: Path, test: str) -> list[tuple[str, int]]:
    (root / "versions").mkdir()
    (root / "versions" / "a1_tables.py").write_text(FIRST, encoding="utf-8")
    (root / "versions" / "b1_fk.py").write_text(SECOND.format(test=test), encoding="utf-8")
    run = run_cli("lint", root / "versions", "--format", "json", "--no-config", "--fail-on", "never",
                  "--dialect", "sqlite")
    return sorted((str(f["rule"]), int(f["line"])) for f in run.json()["findings"]
                  if Path(str(f["path"])).name == "b1_fk.py")


def test_nested_getattr_of_the_bind_is_a_dialect_test(tmp_path: Path) -> None:
    assert _rules(tmp_path, 'getattr(getattr(op.get_bind(), "dialect", None), "name", "")') == []


def test_getattr_of_the_binds_dialect_is_a_dialect_test(tmp_path: Path) -> None:
    assert _rules(tmp_path, 'getattr(op.get_bind().dialect, "name", "")') == []


def test_the_getattr_chain_on_another_object_is_not_a_dialect_test(tmp_path: Path) -> None:
    """``settings`` may say anything: the branch that does not batch stays a may-run step on SQLite."""
    rules = _rules(tmp_path, 'getattr(getattr(settings, "dialect", None), "name", "")')
    assert ("sqlite-alter-outside-batch", 14) in rules, rules
