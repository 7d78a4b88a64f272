"""Attacker review of fix29a: the shapes its exemptions trusted, forged. A narrow ``except IntegrityError``, a
``with`` item that is no suppress, a ``suppress`` of another module, or the driver's own ``sqlite3.OperationalError``
read as swallowing SQLite's ALTER error; a SQLite batch read as rebuilt by an alter that may not run or goes to
another batch; MySQL's implicit '' taken for the code's default where the model writes another value or a unique
key fails on it; a Pipfile whose psycopg 3 comes through an underscored SQLAlchemy extra or another category.
Each case is an input fix29a left silent though the risk is real, beside the twins that stay silent.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import FIXTURES, lint_rules, where
from test_concurrent_driver_from_project import PIPFILE, _lint, _project

SQLITE_RULE = "sqlite-alter-outside-batch"
NOT_NULL = "add-not-null-column-without-default"

_SWALLOWS = '''\
import contextlib
import contextlib as cl
import sqlite3
from contextlib import suppress as quiet

import sqlalchemy as sa
from alembic import op
from mylib import suppress
from sqlalchemy.exc import IntegrityError

revision = "a29a01"
down_revision = None


def timer(label):
    return contextlib.nullcontext()


def upgrade():
    try:
        op.alter_column("a", "note", existing_type=sa.String(), nullable=False)
    except IntegrityError:
        pass
    with contextlib.suppress(IntegrityError):
        op.alter_column("b", "note", existing_type=sa.String(), nullable=False)
    with contextlib.suppress(KeyError), timer(sa.text("x")):
        op.alter_column("c", "note", existing_type=sa.String(), nullable=False)
    try:
        op.alter_column("d", "note", existing_type=sa.String(), nullable=False)
    except sa.exc.NoSuchTableError:
        pass
    with suppress(Exception):
        op.alter_column("e", "note", existing_type=sa.String(), nullable=False)
    try:
        op.alter_column("f", "note", existing_type=sa.String(), nullable=False)
    except sqlite3.OperationalError:
        pass
    with cl.suppress(Exception):
        op.alter_column("g", "note", existing_type=sa.String(), nullable=False)
    with quiet(sa.exc.OperationalError):
        op.alter_column("h", "note", existing_type=sa.String(), nullable=False)
    try:
        op.alter_column("i", "note", existing_type=sa.String(), nullable=False)
    except (IntegrityError, sa.exc.DBAPIError):
        pass


def downgrade():
    pass
'''


def test_only_a_handler_of_sqlalchemys_operational_error_swallows_a_sqlite_alter(tmp_path: Path) -> None:
    """IntegrityError and NoSuchTableError do not catch the OperationalError SQLite's ALTER raises, a ``with``'s
    other item is no suppress, ``mylib.suppress`` may swallow nothing and ``sqlite3.OperationalError`` is the
    driver's class SQLAlchemy wraps: the upgrade fails at each (lines 21-36). Exception, contextlib's suppress under
    another name and SQLAlchemy's OperationalError / DBAPIError do swallow it (lines 39-46): silent."""
    path = tmp_path / "versions" / "a29a01_swallows.py"
    path.parent.mkdir()
    path.write_text(_SWALLOWS)
    code, found = lint_rules(path, "sqlite", SQLITE_RULE)
    assert code == 1
    assert where(found) == [(SQLITE_RULE, path.name, line) for line in (21, 25, 27, 29, 33, 35)]
    assert all("altering column" in f["message"] and "fails at deploy time" in f["message"] for f in found)


_BATCHES = '''\
import sqlalchemy as sa
from alembic import op

revision = "a29a02"
down_revision = None

FLAG = bool(op)


def _alter(b):
    b = OTHER
    b.alter_column("y", nullable=True)


def upgrade():
    with op.batch_alter_table("t1") as b:
        b.add_column(sa.Column("x1", sa.String(), default="a", nullable=False))
        if FLAG:
            b.alter_column("y", nullable=True)
    with op.batch_alter_table("t2") as b:
        b.add_column(sa.Column("x2", sa.String(), default="a", nullable=False))
        [b.drop_column(c) for c in op.get_context().opts.get("cols", [])]
    with op.batch_alter_table("t3") as b:
        b.add_column(sa.Column("x3", sa.String(), default="a", nullable=False))
        for c in op.get_context().opts.get("cols", []):
            b.alter_column(c, nullable=True)
    with op.batch_alter_table("t4") as other:
        with op.batch_alter_table("t5") as b:
            b.add_column(sa.Column("x5", sa.String(), default="a", nullable=False))
            b = other
            b.alter_column("y", nullable=True)
    with op.batch_alter_table("t6") as b:
        b.add_column(sa.Column("x6", sa.String(), default="a", nullable=False))
        _alter(b)
    with op.batch_alter_table("t7") as b:
        b.add_column(sa.Column("x7", sa.String(), default="a", nullable=False))
        if not FLAG:
            return
        b.alter_column("y", nullable=True)
    if FLAG:
        with op.batch_alter_table("t8") as b:
            b.add_column(sa.Column("x8", sa.String(), default="a", nullable=False))
            b.alter_column("y", nullable=True)
    with op.batch_alter_table("t9") as b:
        if FLAG:
            b.add_column(sa.Column("x9", sa.String(), default="a", nullable=False))
        b.create_foreign_key("fk_t9_u", "u", ["u_id"], ["id"])


def downgrade():
    pass
'''


def test_a_sqlite_batch_is_rebuilt_only_by_a_step_that_runs_whenever_the_add_does(tmp_path: Path) -> None:
    """An alter under an ``if``, in a comprehension or loop over what may be nothing, after an early exit, or sent to
    another batch through a name bound again (in the block or the helper handed it): the batch may add the column
    with ALTER TABLE, which SQLite refuses (lines 17-37). A batch whose alter or foreign key runs whenever the add
    does is rebuilt, its rows copied with the default (lines 41, 45): silent."""
    path = tmp_path / "versions" / "a29a02_batches.py"
    path.parent.mkdir()
    path.write_text(_BATCHES)
    code, found = lint_rules(path, "sqlite", NOT_NULL)
    assert code == 1
    assert where(found) == [(NOT_NULL, path.name, line) for line in (17, 21, 24, 29, 33, 36)]
    assert all("Cannot add a NOT NULL column with default value NULL" in f["message"] for f in found)


_STRINGS = '''\
from alembic import op
import sqlalchemy as sa

revision = "0002"
down_revision = "0001"


def upgrade():
    op.add_column("office_update", sa.Column("nafs_to_add", sa.Text(), nullable=False, default=""))
    op.add_column("office_update", sa.Column("code", sa.String(20), nullable=False, default="", unique=True))
    op.add_column("office_update", sa.Column("slug", sa.String(20), nullable=False, default=""))
    op.create_index("ix_office_update_slug", "office_update", ["slug"], unique=True)
    op.add_column("office_update", sa.Column("rank", sa.Integer(), nullable=False, default=0, unique=True))
    op.add_column("office_update", sa.Column("note", sa.String(20), nullable=False, default=""))


def downgrade():
    pass
'''


def test_mysqls_implicit_empty_string_is_the_codes_default_only_when_the_model_agrees_and_no_key_is_unique(
        tmp_path: Path) -> None:
    """The model writes '-' into nafs_to_add whatever the revision's ``default=''`` says (line 9); every existing
    row gets the same '' (or 0), so a unique key over the column fails on two rows (lines 10, 11, 13). A plain
    string whose only default is '' stays silent (line 14)."""
    project = tmp_path / "desk"
    shutil.copytree(FIXTURES / "rules" / NOT_NULL / "bad_mysql_string_other_default", project)
    (project / "migrations" / "versions" / "0002_nafs.py").write_text(_STRINGS)
    code, found = lint_rules(project, "mysql", NOT_NULL)
    assert code == 1
    assert where(found) == [(NOT_NULL, "0002_nafs.py", line) for line in (9, 10, 11, 13)]


def test_psycopg3_from_an_underscored_extra_or_another_pipfile_category_is_no_psycopg2_alone(tmp_path: Path) -> None:
    """``sqlalchemy = {extras = ["postgresql_psycopg"]}`` (pip reads it as postgresql-psycopg) or psycopg in a
    ``[database]`` category installs psycopg 3 beside ``[packages]``' psycopg2: both named, a warning, not psycopg2's
    silence. The ``[dev-packages]`` stay out (their twin: no finding)."""
    cases = {
        "extra": PIPFILE.format(packages='psycopg2-binary = "*"\nsqlalchemy = {version = "==2.0.30", extras = '
                                         '["postgresql_psycopg"]}\n', dev=""),
        "category": PIPFILE.format(packages='psycopg2-binary = "*"\n', dev="") + '\n[database]\npsycopg = "*"\n',
    }
    for name, pipfile in cases.items():
        code, found = _lint(_project(tmp_path / name, {"Pipfile": pipfile}))
        assert (code, set(found)) == (1, {16, 21}), name
        assert found[16][1] == "warning"
        assert found[16][2].endswith("(the project's requirements name psycopg (Pipfile) and psycopg2 (Pipfile))")
    twin = PIPFILE.format(packages='psycopg2-binary = "*"\n', dev='psycopg = "*"\n') + '\n[tests]\npsycopg = "*"\n'
    assert _lint(_project(tmp_path / "twin", {"Pipfile": twin})) == (0, {})
