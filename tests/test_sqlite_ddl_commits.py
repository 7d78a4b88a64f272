"""What mixed-schema-and-data-change says about SQLite, checked on a real Alembic upgrade: DDL that runs
before a data change is committed at once (pysqlite opens transactions for INSERT/UPDATE/DELETE only, and
Alembic takes SQLite as non-transactional), so a failing data change leaves it applied."""

from __future__ import annotations

import sqlite3
import textwrap
from pathlib import Path

import pytest

alembic_command = pytest.importorskip("alembic.command")
alembic_config = pytest.importorskip("alembic.config")

ENV_PY = """
from alembic import context
from sqlalchemy import create_engine

connectable = create_engine(context.config.get_main_option("sqlalchemy.url"))
with connectable.connect() as connection:
    context.configure(connection=connection, target_metadata=None)
    with context.begin_transaction():
        context.run_migrations()
"""


def _project(tmp_path: Path, upgrade: str) -> alembic_config.Config:
    (tmp_path / "versions").mkdir()
    (tmp_path / "env.py").write_text(ENV_PY, encoding="utf-8")
    body = textwrap.indent(textwrap.dedent(upgrade), "    ")
    (tmp_path / "versions" / "0001_x.py").write_text(
        "from alembic import op\nimport sqlalchemy as sa\n\nrevision = '0001'\ndown_revision = None\n\n\n"
        f"def upgrade():\n{body}\n\ndef downgrade():\n    pass\n",
        encoding="utf-8",
    )
    db = tmp_path / "app.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE server (id INTEGER PRIMARY KEY, name TEXT)")
        conn.execute("INSERT INTO server (name) VALUES ('a')")
    config = alembic_config.Config()
    config.set_main_option("script_location", str(tmp_path))
    config.set_main_option("sqlalchemy.url", f"sqlite:///{db}")
    return config


def _columns(tmp_path: Path) -> list[str]:
    with sqlite3.connect(tmp_path / "app.db") as conn:
        return [row[1] for row in conn.execute("PRAGMA table_info(server)")]


def test_ddl_before_a_failing_update_stays_applied(tmp_path: Path) -> None:
    config = _project(tmp_path, """\
        op.add_column("server", sa.Column("threshold", sa.Integer(), nullable=True))
        op.execute("UPDATE server SET threshold = no_such_column")
    """)
    with pytest.raises(Exception, match="no_such_column"):
        alembic_command.upgrade(config, "head")
    assert "threshold" in _columns(tmp_path)  # the schema change stayed: re-running fails on it


def test_ddl_after_a_data_change_rolls_back_with_it(tmp_path: Path) -> None:
    config = _project(tmp_path, """\
        op.execute("UPDATE server SET name = 'b'")
        op.add_column("server", sa.Column("threshold", sa.Integer(), nullable=True))
        op.execute("UPDATE server SET threshold = no_such_column")
    """)
    with pytest.raises(Exception, match="no_such_column"):
        alembic_command.upgrade(config, "head")
    assert "threshold" not in _columns(tmp_path)  # it joined the UPDATE's transaction


def test_batch_ddl_after_a_first_delete_rolls_back_with_a_later_failing_delete(tmp_path: Path) -> None:
    """held-out-29 #85: the DELETE that opens the revision opens the transaction every later step runs in, a batch's
    table rebuild included, so the failing DELETE after that DDL rolls the DDL back too (the rule says nothing)."""
    config = _project(tmp_path, """\
        op.execute("DELETE FROM server WHERE name IS NULL")
        with op.batch_alter_table("server", recreate="always") as batch_op:
            batch_op.add_column(sa.Column("threshold", sa.Integer(), nullable=True))
        op.execute("DELETE FROM server WHERE no_such_column = 1")
    """)
    with pytest.raises(Exception, match="no_such_column"):
        alembic_command.upgrade(config, "head")
    assert "threshold" not in _columns(tmp_path)
