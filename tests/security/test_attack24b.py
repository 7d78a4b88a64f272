"""Attacker review of held-out-24's fixes (fixH24b, fixH24c) and the speed24 work: each test is a pull request a
stranger could send, with a real change the report must not lose.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from conftest import lint_selected as _lint
from conftest import where as _where
from conftest import write_files as _write

_HEAD = '"""r"""\nimport os\n\nfrom alembic import op\nimport sqlalchemy as sa\nfrom sqlalchemy import text\n\n'


def _revision(rev: str, down: str | None, body: str, prelude: str = "") -> str:
    return (f'{_HEAD}{prelude}\nrevision = "{rev}"\ndown_revision = {down!r}\n\n\n'
            f"def upgrade():\n{textwrap.indent(textwrap.dedent(body).strip(), '    ')}\n\n\n"
            "def downgrade():\n    pass\n")


# --- unsafe-sql-interpolation: "the values of an enum class of the revision are constants" --------------------------

_STATES = '''
import enum


class OldState(enum.StrEnum):
    READY = "ready"
    GONE = "gone"
'''

_DELETE_BY_STATE = '''
conn = op.get_bind()
conn.execute(text("DELETE FROM item WHERE state IN (%s)" % (",".join(f"'{s.value}'" for s in OldState))))
'''

_ITEM = _revision("a001", None, 'op.create_table("item", sa.Column("id", sa.Integer()), sa.Column("state", sa.String()))')


def _enum_project(root: Path, prelude: str) -> Path:
    return _write(root, {"versions/a001_base.py": _ITEM,
                         "versions/a002_step.py": _revision("a002", "a001", _DELETE_BY_STATE, prelude)})


def test_plain_literal_members_are_still_constants(tmp_path: Path) -> None:
    assert _lint(_enum_project(tmp_path / "p", _STATES), "unsafe-sql-interpolation") == (0, [])


_NEW = '''
    def __new__(cls, value):
        member = str.__new__(cls, value)
        member._value_ = os.environ.get("STATE_" + value, value)
        return member
'''

_INIT = '''
    def __init__(self, value):
        self._value_ = os.environ.get("STATE_" + value, value)
'''


@pytest.mark.parametrize("prelude", [
    pytest.param(_STATES + _NEW, id="__new__ sets _value_"),
    pytest.param(_STATES + _INIT, id="__init__ sets _value_"),
    pytest.param(_STATES + '\n\nOldState.READY._value_ = os.environ["STATE"]\n', id="member's _value_ assigned"),
    pytest.param(_STATES + '\n\nsetattr(OldState.READY, "_value_", os.environ["STATE"])\n', id="setattr"),
    pytest.param(_STATES + '\n\nOldState.READY.__dict__["_value_"] = os.environ["STATE"]\n', id="__dict__"),
    pytest.param(_STATES.replace("import enum", "import enum\nimport app.enums as enum"), id="enum module rebound"),
    pytest.param(_STATES.replace("import enum", "from enum import StrEnum\nfrom app.enums import StrEnum")
                 .replace("enum.StrEnum", "StrEnum"), id="StrEnum rebound"),
    pytest.param(_STATES.replace("import enum", "import enum\nfrom app.text import LoudStr as str")
                 .replace("enum.StrEnum", "str, enum.Enum"), id="str mixin rebound"),
])
def test_an_enum_whose_values_are_not_its_literals_is_still_reported(tmp_path: Path, prelude: str) -> None:
    """A ``__new__``/``__init__`` that sets ``_value_``, a member's ``_value_`` set afterwards, or a base named like the
    standard library's but bound to the application's: ``s.value`` is run-time text, formatted into the DELETE."""
    code, found = _lint(_enum_project(tmp_path / "p", prelude), "unsafe-sql-interpolation")
    assert code == 1 and [f["rule"] for f in found] == ["unsafe-sql-interpolation"]


# --- enum-add-value-in-transaction: "a bare switch to AUTOCOMMIT under psycopg2 ends the transaction" -------------

_ENV = '''
from alembic import context


def run_migrations_online():
    context.configure(connection=None, target_metadata=None)
    with context.begin_transaction():
        context.run_migrations()
'''

_ENUM_BASE = _revision("a001", None, '''
op.execute("CREATE TYPE state AS ENUM ('ready', 'gone')")
op.execute("CREATE TABLE folder (id int, state state)")
''')

_SWITCH_THEN_BEGIN = '''
op.get_bind().execution_options(isolation_level="AUTOCOMMIT")
op.execute("BEGIN")
op.execute("ALTER TYPE state ADD VALUE 'failed'")
op.execute("UPDATE folder SET state = 'failed' WHERE state = 'gone'")
'''


def _switch_project(root: Path, body: str) -> Path:
    return _write(root, {"requirements.txt": "sqlalchemy==1.3.24\npsycopg2==2.9.1\n", "env.py": _ENV,
                         "versions/a001_base.py": _ENUM_BASE, "versions/a002_add.py": _revision("a002", "a001", body)})


@pytest.mark.parametrize("begin", ['op.execute("BEGIN")', 'op.execute("START TRANSACTION")',
                                   'op.get_bind().execute(text("BEGIN"))'])
def test_a_begin_sent_after_the_switch_to_autocommit_opens_a_transaction_again(tmp_path: Path, begin: str) -> None:
    """psycopg2 in autocommit passes BEGIN to the server: the ADD VALUE and the UPDATE after it share that
    transaction block, and PostgreSQL refuses the new label ('unsafe use of new value'), as after a raw COMMIT
    followed by BEGIN (which is reported)."""
    body = _SWITCH_THEN_BEGIN.replace('op.execute("BEGIN")', begin)
    code, found = _lint(_switch_project(tmp_path / "p", body), "enum-add-value-in-transaction")
    assert code == 1 and _where(found) == [("enum-add-value-in-transaction", "a002_add.py", 16)]


def test_a_begin_committed_before_the_add_value_leaves_the_switch_in_effect(tmp_path: Path) -> None:
    body = _SWITCH_THEN_BEGIN.replace('op.execute("BEGIN")', 'op.execute("BEGIN")\nop.execute("COMMIT")')
    assert _lint(_switch_project(tmp_path / "p", body), "enum-add-value-in-transaction") == (0, [])


def test_start_transaction_after_a_raw_commit_opens_a_transaction_again(tmp_path: Path) -> None:
    """The statement reader keeps ``START`` as the keyword of START TRANSACTION, so the raw COMMIT before it was
    still taken to leave the ADD VALUE in autocommit under psycopg2 (BEGIN in its place is reported)."""
    body = 'op.execute("COMMIT")\nop.execute("START TRANSACTION")\nop.execute("ALTER TYPE state ADD VALUE \'failed\'")\n' \
           'op.execute("UPDATE folder SET state = \'failed\' WHERE state = \'gone\'")'
    code, found = _lint(_switch_project(tmp_path / "p", body), "enum-add-value-in-transaction")
    assert code == 1 and _where(found) == [("enum-add-value-in-transaction", "a002_add.py", 16)]


# --- a name rebound in a block walked apart (an if, a loop, a with, a handler) kept what it held before ------------

_USERS = _revision("a001", None, 'op.create_table("users", sa.Column("id", sa.Integer()), sa.Column("email", sa.String()))',)

_REBOUND_TEXT = {
    "if": 'sql = "SELECT 1"\nif flag():\n    sql = "CREATE INDEX ix_email ON users (email)"\nop.execute(sql)',
    "for": 'sql = "SELECT 1"\nfor sql in ["CREATE INDEX ix_email ON users (email)"]:\n    pass\nop.execute(sql)',
    "with": 'sql = "SELECT 1"\nwith lock():\n    sql = "CREATE INDEX ix_email ON users (email)"\nop.execute(sql)',
    "walrus": 'sql = "SELECT 1"\n(sql := "CREATE INDEX ix_email ON users (email)")\nop.execute(sql)',
    "walrus in a call": 'sql = "SELECT 1"\nprint(sql := "CREATE INDEX ix_email ON users (email)")\nop.execute(sql)',
    "except": 'sql = "SELECT 1"\ntry:\n    flag()\nexcept ValueError:\n    sql = "CREATE INDEX ix_email ON users (email)"\n'
              'op.execute(sql)',
}


@pytest.mark.parametrize("body", list(_REBOUND_TEXT.values()), ids=list(_REBOUND_TEXT))
def test_sql_text_rebound_in_a_block_is_not_read_as_the_earlier_text(tmp_path: Path, body: str) -> None:
    """``sql = "SELECT 1"`` then ``if flag(): sql = "CREATE INDEX ..."``: op.execute(sql) was read as SELECT 1 and the
    index build (a SHARE lock on users) vanished from the report, with no raw-sql-not-understood either."""
    root = _write(tmp_path / "p", {"versions/a001_base.py": _USERS, "versions/a002_step.py": _revision(
        "a002", "a001", body, "from app.util import flag, lock\n")})
    code, found = _lint(root, "create-index-not-concurrently", "raw-sql-not-understood")
    assert code == 1 and found, found


_ITEMS = _revision("a001", None, 'op.create_table("item", sa.Column("id", sa.Integer()), sa.Column("size", sa.Integer()))')

_REBOUND_CORE = '''
items = sa.Table("item", sa.MetaData(), sa.Column("id", sa.Integer()), sa.Column("size", sa.Integer()))
conn = op.get_bind()
wipe = sa.delete(items)

def run(query, key):
    if key == "id":
        query = wipe
    return conn.execute(query).fetchall()

run(sa.select(items.c.id), "id")
'''


@pytest.mark.parametrize("rebind", ['    if key == "id":\n        query = wipe', "    for query in [wipe]:\n        pass",
                                    "    (query := wipe)"])
def test_a_helper_parameter_rebound_in_a_block_is_not_the_callers_statement(tmp_path: Path, rebind: str) -> None:
    """The helper's ``query`` (handed a SELECT) is the DELETE of every row once the ``if`` runs: read as the SELECT,
    unbatched-backfill lost the DELETE."""
    body = _REBOUND_CORE.replace('    if key == "id":\n        query = wipe', rebind)
    root = _write(tmp_path / "p", {"versions/a001_base.py": _ITEMS, "versions/a002_step.py": _revision("a002", "a001", body)})
    code, found = _lint(root, "unbatched-backfill", "raw-sql-not-understood")
    assert code == 1 and found, found


# --- drop-not-null: "the downgrade fills the NULLs through a class of the revision mapped to the table" (fixH24b) ---

_AUDIT_BASE = _revision("g001", None, 'op.create_table("audits", sa.Column("id", sa.Integer(), primary_key=True),\n'
                                      '                sa.Column("spent", sa.Interval(), nullable=False),\n'
                                      '                sa.Column("billed", sa.Interval()))')

_AUDIT = '''"""audit spent nullable"""
from datetime import timedelta

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import declarative_base

revision = "g002"
down_revision = "g001"

Base = declarative_base()


class AuditRow(Base):
    __tablename__ = "audits"

    id = sa.Column("id", sa.Integer, primary_key=True)
    spent = sa.Column("billed", sa.Interval, nullable=True)
    billed = sa.Column("spent", sa.Interval, nullable=True)


def upgrade():
    op.alter_column("audits", "spent", nullable=True)


def downgrade():
    op.execute(sa.update(AuditRow).where(AuditRow.billed.is_(None)).values(spent=timedelta(0)))
    op.alter_column("audits", "spent", nullable=False)
'''


def test_a_fill_through_an_attribute_mapped_to_another_column_leaves_the_nulls(tmp_path: Path) -> None:
    """``values(spent=...)`` on the class writes the column its attribute ``spent`` maps: ``billed``. The rows where
    the column spent IS NULL (``AuditRow.billed``) keep their NULL, so the downgrade's SET NOT NULL fails; the key
    was read as the column spent and the downgrade's failure left the message."""
    root = _write(tmp_path / "p", {"versions/g001_base.py": _AUDIT_BASE, "versions/g002_spent.py": _AUDIT})
    code, found = _lint(root, "drop-not-null")
    assert code == 1 and _where(found) == [("drop-not-null", "g002_spent.py", 23)]
    assert "the downgrade's SET NOT NULL fails" in str(found[0]["message"])


def test_a_fill_through_the_attribute_mapped_to_the_column_clears_the_nulls(tmp_path: Path) -> None:
    text = _AUDIT.replace(".values(spent=", ".values(billed=")
    root = _write(tmp_path / "p", {"versions/g001_base.py": _AUDIT_BASE, "versions/g002_spent.py": text})
    found = _lint(root, "drop-not-null")[1]
    assert _where(found) == [("drop-not-null", "g002_spent.py", 23)]
    assert "downgrade" not in str(found[0]["message"])


# --- a helper's parameters matched to the call's arguments past a *starred one ---------------------------------------

_STARRED_CORE = '''
items = sa.Table("item", sa.MetaData(), sa.Column("id", sa.Integer()), sa.Column("size", sa.Integer()))
conn = op.get_bind()
by_id = sa.select(items.c.id)
wipe = sa.delete(items)

def run(first, query, last=None):
    return conn.execute(query).fetchall()

run(*[1, wipe], by_id)
'''

_STARRED_TEXT = '''
def run(first, sql, last=None):
    op.execute(sql)

run(*[1, "UPDATE item SET size = 0"], "SELECT 1")
'''


@pytest.mark.parametrize("body", [_STARRED_CORE, _STARRED_TEXT], ids=["core statement", "sql text"])
def test_arguments_after_a_starred_one_are_not_matched_by_position(tmp_path: Path, body: str) -> None:
    """``run(*[1, wipe], by_id)`` hands ``query`` the DELETE of every row (the list fills first and query): the
    parameters were matched to the written arguments one by one, so query was read as by_id's SELECT."""
    root = _write(tmp_path / "p", {"versions/a001_base.py": _ITEMS, "versions/a002_step.py": _revision("a002", "a001", body)})
    code, found = _lint(root, "unbatched-backfill", "raw-sql-not-understood")
    assert code == 1 and found, found


_SCRATCH_UP = '''
op.create_table("scratch", sa.Column("id", sa.Integer()))
op.drop_index("ix_users_email")
op.drop_table("scratch")
'''
_SCRATCH_DOWN = ('    op.create_table("scratch", sa.Column("id", sa.Integer()), sa.Column("email", sa.String()))\n'
                 '    op.create_index("ix_users_email", "scratch", ["email"])\n')


def test_a_downgrade_naming_a_table_the_upgrade_makes_does_not_place_the_dropped_index(tmp_path: Path) -> None:
    """drop_index by name alone of an index no revision made takes its table from the downgrade's create_index; a
    table the same upgrade creates and drops (scratch) let the downgrade's claim hide the drop of users' index."""
    up = _revision("a002", "a001", _SCRATCH_UP).replace("def downgrade():\n    pass\n", "def downgrade():\n" + _SCRATCH_DOWN)
    root = _write(tmp_path, {"versions/a001.py": _ITEM, "versions/a002.py": up})
    _, found = _lint(root / "versions", "drop-index-not-concurrently")
    assert _where(found) == [("drop-index-not-concurrently", "a002.py", 15)]
