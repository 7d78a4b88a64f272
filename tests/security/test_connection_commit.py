"""A commit made by calling the connection (``op.get_bind().commit()``, ``conn.commit()``, SQLAlchemy 2) ends the
migration's transaction as ``op.execute("COMMIT")`` does, yet it made no step, so the look-backs that ask "is
there a commit between" could not see it: a drop committed before a later failing ADD counted as rolled back,
and a TRUNCATE committed long before an ADD NOT NULL still proved the table empty. A Session's ``commit()`` is not
one: bound to a connection already in Alembic's transaction, it leaves that transaction open.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import run_cli, write_files

_INIT = '''import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade():
    op.create_table("contents", sa.Column("id", sa.Integer(), primary_key=True), sa.Column("uid", sa.String()))


def downgrade():
    op.drop_table("contents")
'''

_PAIR = '''import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade():
    op.drop_column("contents", "uid")
    op.add_column("contents", sa.Column("content_uid", sa.String()))
    conn = op.get_bind()
    connection = conn
{between}    op.add_column("contents", sa.Column("z", sa.String(), nullable=False))


def downgrade():
    pass
'''

_COMMITS = {
    "bind": "    op.get_bind().commit()\n",
    "conn": "    conn.commit()\n",
    "connection": "    connection.commit()\n",
    "context": "    op.get_context().connection.commit()\n",
}


def _lint(root: Path, rule: str) -> tuple[int, list[tuple[str, int]]]:
    run = run_cli("lint", root, "--no-config", "--no-cache", "--format", "json", "--dialect", "postgresql",
                  "--select", rule, "--fail-on", "warning")
    return run.exit_code, [(Path(str(f["path"])).name, int(f["line"])) for f in run.json()["findings"]]


@pytest.mark.parametrize("case", sorted(_COMMITS))
def test_a_connection_commit_before_the_failing_add_keeps_the_drop(tmp_path: Path, case: str) -> None:
    root = write_files(tmp_path / "v", {"0001_init.py": _INIT, "0002_pair.py": _PAIR.format(between=_COMMITS[case])})
    assert _lint(root, "rename-as-drop-and-add") == (1, [("0002_pair.py", 9)])


def test_without_a_commit_the_failing_add_still_rolls_the_drop_back(tmp_path: Path) -> None:
    root = write_files(tmp_path / "v", {"0001_init.py": _INIT, "0002_pair.py": _PAIR.format(between="")})
    assert _lint(root, "rename-as-drop-and-add") == (0, [])


_EMPTIED = '''import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

revision = "0002"
down_revision = "0001"


def upgrade():
    conn = op.get_bind()
    connection = conn
    session = Session(bind=conn)
    op.execute("TRUNCATE contents")
{between}    op.add_column("contents", sa.Column("z", sa.String(), nullable=False))


def downgrade():
    op.drop_column("contents", "z")
'''


@pytest.mark.parametrize("case", sorted(_COMMITS))
def test_a_connection_commit_after_the_truncate_proves_the_table_empty_no_longer(tmp_path: Path, case: str) -> None:
    """Rows inserted by the running application after the commit make the NOT NULL add fail."""
    root = write_files(tmp_path / "v", {"0001_init.py": _INIT,
                                        "0002_add.py": _EMPTIED.format(between=_COMMITS[case])})
    assert _lint(root, "add-not-null-column-without-default") == (1, [("0002_add.py", 15)])


def test_a_session_commit_leaves_the_migration_transaction_open(tmp_path: Path) -> None:
    root = write_files(tmp_path / "v", {"0001_init.py": _INIT,
                                        "0002_add.py": _EMPTIED.format(between="    session.commit()\n")})
    assert _lint(root, "add-not-null-column-without-default") == (0, [])


_CONCURRENT = '''from alembic import op

revision = "0001"
down_revision = None


def upgrade():
    op.execute("COMMIT")
    op.get_bind().commit()
    op.create_index("ix_t_a", "t", ["a"], postgresql_concurrently=True)


def downgrade():
    op.drop_index("ix_t_a", table_name="t")
'''

_PSYCOPG2_ENV = '''from alembic import context
from sqlalchemy import create_engine

engine = create_engine("postgresql+psycopg2://app@db/app")


def run_migrations_online():
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=None)
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
'''


def test_a_connection_commit_after_a_raw_commit_begins_a_transaction_again(tmp_path: Path) -> None:
    """psycopg2 keeps a COMMIT sent as SQL unnoticed, but it commits itself on ``commit()`` and sends BEGIN before
    the next statement: the index is built in a transaction block again, and PostgreSQL refuses it."""
    root = write_files(tmp_path / "m", {"env.py": _PSYCOPG2_ENV, "versions/0001_ix.py": _CONCURRENT})
    assert _lint(root, "concurrent-index-in-transaction") == (1, [("0001_ix.py", 10)])
