"""Held-out-28 (precision), helper fix28c: findings a real history showed wrong, each next to its risky twin.

* #68 missing-lock-timeout: an env.py of a project on Python 3.14 (``except A, B:``, PEP 758) is read as the
  revisions are, so its ``SET lock_timeout`` counts (fixtures ``missing-lock-timeout/*env_py314``).
* #10 add-column-with-volatile-default: a date Python formats (``.strftime()``, ``.isoformat()``) is a str, a literal
  default; ``func.current_date()`` is CURRENT_DATE (fixtures ``*python_date_text*``, ``*named_like_python_methods*``).
* #96, #97 rename-as-drop-and-add: a table emptied by DELETE, or whose later NOT NULL add fails on any row in the
  same transaction, loses no data of the dropped column (fixtures ``*emptied_or_failing_on_rows*``,
  ``*rows_kept_beside_emptied*``).
* #40 drop-column: kept (the running release still names the column), with a true message, below.
"""

from __future__ import annotations

from pathlib import Path

from conftest import run_cli, write_files

_MOVED = '''import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade():
    op.create_table("sample_file", sa.Column("sample_id", sa.Integer()), sa.Column("file_id", sa.Integer()))
    conn = op.get_bind()
    link = sa.Table("sample_file", sa.MetaData(), sa.Column("sample_id", sa.Integer()), sa.Column("file_id", sa.Integer()))
    files = sa.Table("files", sa.MetaData(), sa.Column("id", sa.Integer()), sa.Column("sample_id", sa.Integer()))
    rows = conn.execute(sa.select([files.c.id, files.c.sample_id])).fetchall()
    for file_id, sample_id in rows:
        if not sample_id:
            continue
        conn.execute(link.insert().values(sample_id=sample_id, file_id=file_id))
    op.drop_column("files", "sample_id")
    op.drop_column("files", "paired_end")


def downgrade():
    pass
'''

_BASE = '''import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade():
    op.create_table("files", sa.Column("id", sa.Integer(), primary_key=True), sa.Column("sample_id", sa.Integer()),
                    sa.Column("paired_end", sa.Integer()))


def downgrade():
    op.drop_table("files")
'''


def test_a_column_a_core_select_carries_into_another_table_is_not_said_lost(tmp_path: Path) -> None:
    """#40: on main both drops said "its data is lost", though every non-null sample_id was read by a Core select
    (``files.c.sample_id``) and inserted into sample_file first; paired_end, which no select names, is lost."""
    root = write_files(tmp_path / "v", {"0001_base.py": _BASE, "0002_link.py": _MOVED})
    run = run_cli("lint", root, "--no-config", "--no-cache", "--format", "json", "--dialect", "postgresql",
                  "--select", "drop-column", "--fail-on", "never")
    assert run.exit_code == 0, run.stderr
    found = sorted((int(f["line"]), str(f["message"])) for f in run.json()["findings"])
    assert [line for line, _ in found] == [18, 19]
    assert found[0][1].startswith(
        "column files.sample_id is dropped: its values may live on in sample_file, written from rows read from "
        "files (line 17); those that write does not carry over are lost, and the application version")
    assert found[1][1].startswith("column files.paired_end is dropped: its data is lost, and")
