"""attack28d: shapes fix28c trusted that hide a real risk.

* add-column-with-volatile-default: ``.strftime()`` / ``.isoformat()`` of anything not reached through ``sa.func``
  was read as Python's str, a literal default: ``F.isoformat(...)`` after ``from sqlalchemy import func as F``, a
  project module's ``sqlfns.strftime(...)``, ``getattr(sa, "func").strftime(...)``; and a schema-qualified project
  function named like a SQL value function (``public.current_date()``) was read as CURRENT_DATE. No finding.
* rename-as-drop-and-add: a later NOT NULL add "that fails on any row" was trusted though a step between may empty or
  replace the table (a TRUNCATE, the table renamed and created anew), or env.py runs without a transaction
  (``transactional_ddl=False``), so the drop is not rolled back. No finding.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import run_cli, write_files

_DEFAULTS = '''import sqlalchemy as sa
from alembic import op
from sqlalchemy import func as F
from app import sqlfns

revision = "0001"
down_revision = None


def upgrade():
    op.add_column("t", sa.Column("a", sa.Text(), server_default=F.isoformat(sa.text("now()"))))
    op.add_column("t", sa.Column("b", sa.Text(), server_default=sqlfns.strftime("x")))
    op.add_column("t", sa.Column("c", sa.Date(), server_default=sa.text("public.current_date()")))
    op.add_column("t", sa.Column("d", sa.Text(), server_default=getattr(sa, "func").strftime("%Y", "now")))
    op.add_column("t", sa.Column("e", sa.Text(), server_default=sa.text("app . current_role ()")))


def downgrade():
    pass
'''


def test_sql_functions_forged_as_python_date_text_or_value_functions_are_reported(tmp_path: Path) -> None:
    root = write_files(tmp_path / "v", {"0001_defaults.py": _DEFAULTS})
    run = run_cli("lint", root, "--no-config", "--no-cache", "--format", "json", "--dialect", "postgresql",
                  "--select", "add-column-with-volatile-default", "--fail-on", "warning")
    assert run.exit_code == 1, run.stderr
    found = run.json()["findings"]
    assert sorted(int(f["line"]) for f in found) == [11, 12, 13, 14, 15]
    assert {f["rule"] for f in found} == {"add-column-with-volatile-default"}
    messages = " ".join(str(f["message"]) for f in found)
    assert "current_date()" in messages and "current_role()" in messages


_PYTHON_DATES = '''import datetime as dt
import time
from datetime import date

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade():
    op.add_column("t", sa.Column("a", sa.Text(), server_default=dt.datetime.now().isoformat()))
    op.add_column("t", sa.Column("b", sa.Text(), server_default=date(2024, 1, 1).strftime("%Y")))
    op.add_column("t", sa.Column("c", sa.Text(), server_default=time.strftime("%Y")))
    op.add_column("t", sa.Column("d", sa.Date(), server_default=sa.func.current_date()))


def downgrade():
    pass
'''


def test_python_dates_and_value_functions_stay_literal(tmp_path: Path) -> None:
    root = write_files(tmp_path / "v", {"0001_dates.py": _PYTHON_DATES})
    run = run_cli("lint", root, "--no-config", "--no-cache", "--format", "json", "--dialect", "postgresql",
                  "--select", "add-column-with-volatile-default", "--fail-on", "warning")
    assert run.exit_code == 0, run.stderr
    assert run.json()["findings"] == []


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
{between}    op.add_column("contents", sa.Column("z", sa.String(), nullable=False))


def downgrade():
    pass
'''

_BETWEEN = {
    "truncated": '    op.execute("TRUNCATE contents")\n',
    "replaced": '    op.rename_table("contents", "contents_old")\n'
                '    op.create_table("contents", sa.Column("id", sa.Integer()))\n',
    "dropped": '    op.drop_table("contents")\n    op.create_table("contents", sa.Column("id", sa.Integer()))\n',
    "deleted": '    op.execute("DELETE FROM contents")\n',
}


def _rename_findings(root: Path) -> list[tuple[str, int]]:
    run = run_cli("lint", root, "--no-config", "--no-cache", "--format", "json", "--dialect", "postgresql",
                  "--select", "rename-as-drop-and-add")
    assert run.exit_code == 1, run.stderr
    return [(Path(str(f["path"])).name, int(f["line"])) for f in run.json()["findings"]]


@pytest.mark.parametrize("case", sorted(_BETWEEN))
def test_a_later_failing_add_after_the_table_may_be_emptied_proves_nothing(tmp_path: Path, case: str) -> None:
    root = write_files(tmp_path / "v", {"0001_init.py": _INIT, "0002_pair.py": _PAIR.format(between=_BETWEEN[case])})
    assert _rename_findings(root) == [("0002_pair.py", 9)]


_ENV = '''from alembic import context


def run_migrations_online():
    context.configure(connection=None, target_metadata=None, transactional_ddl=False)
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
'''


def test_a_later_failing_add_rolls_nothing_back_without_a_transaction(tmp_path: Path) -> None:
    root = write_files(tmp_path / "m", {"env.py": _ENV, "versions/0001_init.py": _INIT,
                                         "versions/0002_pair.py": _PAIR.format(between="")})
    assert _rename_findings(root) == [("0002_pair.py", 9)]


def test_a_later_failing_add_in_the_transaction_still_spares_the_pair(tmp_path: Path) -> None:
    """fix28c's case stands: the add fails on any row and rolls the drop back (an INSERT between adds rows)."""
    between = '    op.execute("INSERT INTO contents (id) VALUES (1)")\n    op.create_index("ix_c", "contents", ["id"])\n'
    root = write_files(tmp_path / "v", {"0001_init.py": _INIT, "0002_pair.py": _PAIR.format(between=between)})
    run = run_cli("lint", root, "--no-config", "--no-cache", "--format", "json", "--dialect", "postgresql",
                  "--select", "rename-as-drop-and-add")
    assert run.exit_code == 0, run.stderr
    assert run.json()["findings"] == []
