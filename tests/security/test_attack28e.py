"""Attacker review of speed28 (answers asked lazily or kept where they used to be asked every time): a kept answer
must be the one asking again would give. already_made, kept per step in the revision's memo, was reused for
production's view of the revision (downgrade-not-inverse's second look, a copy of the context sharing its memo
without the steps production never runs): a table a step off production drops first was "absent" there too, so a
guarded re-create counted as making it on production, and the steps after it went unreported.
"""

from __future__ import annotations

from pathlib import Path

from conftest import lint_rules, where, write_files

_BASE = '''\
"""t

Revision ID: r1
"""
import sqlalchemy as sa
from alembic import op

revision = "r1"
down_revision = None


def upgrade():
    op.create_table("t", sa.Column("id", sa.Integer(), primary_key=True), sa.Column("c", sa.Integer()))


def downgrade():
    op.drop_table("t")
'''

_OFF_PRODUCTION = '''\
"""rebuild t off production, then add d

Revision ID: r2
"""
import os

import sqlalchemy as sa
from alembic import op

revision = "r2"
down_revision = "r1"
environment = os.environ["NOTIFY_ENVIRONMENT"]


def upgrade():
    if environment not in ["live", "production"]:
        op.drop_table("t")
    if not sa.inspect(op.get_bind()).has_table("t"):
        op.create_table("t", sa.Column("id", sa.Integer(), primary_key=True), sa.Column("c", sa.Integer()))
    op.add_column("t", sa.Column("d", sa.Integer()))


def downgrade():
    op.create_index("ix_t_c", "t", ["c"])
'''


def test_production_view_asks_again_whether_a_guarded_table_is_already_made(tmp_path: Path) -> None:
    """On production the DROP never runs, t is there, the guarded create_table is skipped, and the add of t.d is the
    upgrade's own: the downgrade leaves d behind. speed28 answered production's question with the full revision's
    (where the DROP makes t absent, so the create runs and takes d with its table) and said nothing."""
    write_files(tmp_path, {"r1_t.py": _BASE, "r2_d.py": _OFF_PRODUCTION})
    code, found = lint_rules(tmp_path, "postgresql", "downgrade-not-inverse")
    assert where(found) == [("downgrade-not-inverse", "r2_d.py", 20)]
    assert code == 1
    assert "adds column t.d" in found[0]["message"]
