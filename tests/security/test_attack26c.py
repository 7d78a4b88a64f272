"""Attacker review of fix26c's exemptions: a number computed from the revision's own fetch, a module constant joined
from literals (unsafe-sql-interpolation), a column swapped in under the dropped one's name (rename-as-drop-and-add),
a revision emptied by hand (empty-migration). Each case is an input the exemption silenced though the risk is real.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from conftest import lint_rules, where, write_files

_BASE = textwrap.dedent('''\
    """base

    Revision ID: a001
    """
    from alembic import op
    import sqlalchemy as sa

    revision = "a001"
    down_revision = None


    def upgrade():
        op.create_table("items", sa.Column("id", sa.Integer(), primary_key=True), sa.Column("name", sa.Text()))


    def downgrade():
        op.drop_table("items")
    ''')


def _revision(upgrade: str, head: str = "") -> str:
    return (f'"""x\n\nRevision ID: a002\n"""\nfrom alembic import op\nimport sqlalchemy as sa\nimport os\n{head}\n'
            f'revision = "a002"\ndown_revision = "a001"\n\n\ndef upgrade():\n'
            f"{textwrap.indent(textwrap.dedent(upgrade), '    ')}\n\ndef downgrade():\n    pass\n")


def _lint(tmp_path: Path, text: str, dialect: str, rule: str) -> tuple[int, list[tuple[str, str, int]]]:
    write_files(tmp_path, {"a001_base.py": _BASE, "a002_x.py": text})
    code, found = lint_rules(tmp_path, dialect, rule)
    return code, where(found)


def _line(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


# --- unsafe-sql-interpolation: numbers at run time ----------------------------------------------------------------

_FETCH = 'conn = op.get_bind()\nlast_id = conn.scalar(sa.text("SELECT max(id) FROM items"))\n'
_USE = 'op.execute(f"ALTER SEQUENCE items_id_seq RESTART WITH {EXPR}")\n'
_TEXT = "class Text(str):\n    def __add__(self, other):\n        return self\n\n\n"

_FORGED_NUMBERS = {
    # a name bound only in a nested def or class body is the module's name in the upgrade, not a local
    "bound in a nested def": ("def _h():\n    x = 1\n", "x", "x = os.environ['START']\n"),
    "bound in a nested class": ("class _K:\n    x = 1\n", "x + 1", "x = os.environ['START']\n"),
    # int / len rebound out of sight of the module's bindings
    "builtins.int": ("", "int(os.environ['START'])", "import builtins\nbuiltins.int = lambda v: v\n"),
    "globals()": ("", "len(os.environ['START'])", "globals()['len'] = lambda v: v\n"),
    "__builtins__": ("", "int(os.environ['START'])", "__builtins__['int'] = lambda v: v\n"),
    "star import": ("", "int(os.environ['START'])", "from helpers import *\n"),
    # the connection's method replaced: what it returns is not what the database sent
    "patched connection": ("conn.scalar = lambda q: Text(os.environ['START'])\n", "last_id + 1", _TEXT),
    # a "session" of the revision's own class
    "own session class": ("s = FakeSession(bind=conn)\nv = s.scalar(sa.text('SELECT 1'))\n", "v + 1",
                          _TEXT + "class FakeSession:\n    def __init__(self, bind):\n        pass\n\n"
                          "    def scalar(self, q):\n        return Text(os.environ['START'])\n"),
}


@pytest.mark.parametrize("why", sorted(_FORGED_NUMBERS))
def test_forged_run_time_number_is_still_reported(tmp_path: Path, why: str) -> None:
    pre, expr, head = _FORGED_NUMBERS[why]
    text = _revision(_FETCH + pre + _USE.replace("EXPR", expr), head)
    rule = "unsafe-sql-interpolation"
    assert _lint(tmp_path, text, "postgresql", rule) == (1, [(rule, "a002_x.py", _line(text, "RESTART WITH"))])


def test_run_time_number_from_the_revisions_own_fetch_still_passes(tmp_path: Path) -> None:
    text = _revision(_FETCH + _USE.replace("EXPR", "last_id + 1") + _USE.replace("EXPR", "int(os.environ['S'])"))
    assert _lint(tmp_path, text, "postgresql", "unsafe-sql-interpolation") == (0, [])


# --- unsafe-sql-interpolation: module constants --------------------------------------------------------------------

_ENUM = 'op.execute(f"ALTER TABLE items MODIFY COLUMN kind enum({KINDS}) NOT NULL")\n'
_JOIN = "KINDS = ','.join(['\"zoom\"', '\"google\"'])\n"
_REBOUND_CONSTANTS = {
    "rebound after": _JOIN + "KINDS = os.environ['KINDS']\n",
    "rebound under an if": _JOIN + "if os.environ.get('K'):\n    KINDS = os.environ['K']\n",
    "augmented": _JOIN + "KINDS += os.environ['K']\n",
    "rebound by a function": _JOIN + "\n\ndef _set():\n    global KINDS\n    KINDS = os.environ['K']\n\n\n_set()\n",
    "through globals()": _JOIN + "globals()['KINDS'] = os.environ['K']\n",
    "an item rebound before the join": "A = 'x'\nA = os.environ['K']\nKINDS = ','.join([A])\n",
    "a plain constant rebound": "KINDS = '\"zoom\"'\nKINDS = input()\n",
    # the text is searched for these words before the module is walked: neither may slip past that search
    "through globals() in full-width letters": _JOIN + "\uff47\uff4c\uff4f\uff42\uff41\uff4c\uff53()['KINDS'] = os.environ['K']\n",
    "a star import across a line break": _JOIN + "from helpers import \\\n    *\n",
}


@pytest.mark.parametrize("why", sorted(_REBOUND_CONSTANTS))
def test_module_constant_rebound_is_no_constant(tmp_path: Path, why: str) -> None:
    text = _revision(_ENUM, _REBOUND_CONSTANTS[why])
    rule = "unsafe-sql-interpolation"
    assert _lint(tmp_path, text, "mysql", rule) == (1, [(rule, "a002_x.py", _line(text, "op.execute"))])


def test_module_constant_joined_once_still_passes(tmp_path: Path) -> None:
    assert _lint(tmp_path, _revision(_ENUM, _JOIN), "mysql", "unsafe-sql-interpolation") == (0, [])


# --- rename-as-drop-and-add: the swap's rename must certainly bring the name back -----------------------------------

_ADD_DROP = ('op.add_column("items", sa.Column("id_new", sa.Integer(), sa.Identity(), primary_key=True))\n'
             'op.drop_column("items", "id")\n')
_RENAME = 'op.alter_column("items", "id_new", new_column_name="id")\n'
_NOT_SWAPPED = {
    "under an if": "if os.environ.get('SWAP'):\n    " + _RENAME,
    "in a loop that may not pass": "for _ in os.environ.get('SWAP', ''):\n    " + _RENAME,
    "in another schema": _RENAME.replace(')\n', ', schema="other")\n'),
    "in another schema, in SQL": 'op.execute("ALTER TABLE other.items RENAME COLUMN id_new TO id")\n',
    "renamed on again": _RENAME + 'op.alter_column("items", "id", new_column_name="key")\n',
}


@pytest.mark.parametrize("why", sorted(_NOT_SWAPPED))
def test_swap_whose_rename_may_not_bring_the_name_back_is_still_a_rename(tmp_path: Path, why: str) -> None:
    text = _revision(_ADD_DROP + _NOT_SWAPPED[why])
    rule = "rename-as-drop-and-add"
    assert _lint(tmp_path, text, "postgresql", rule) == (1, [(rule, "a002_x.py", _line(text, "drop_column"))])


def test_swap_still_passes(tmp_path: Path) -> None:
    assert _lint(tmp_path, _revision(_ADD_DROP + _RENAME), "postgresql", "rename-as-drop-and-add") == (0, [])


# --- empty-migration: op imported under another name ---------------------------------------------------------------

def test_revision_importing_op_under_another_name_is_not_emptied_by_hand(tmp_path: Path) -> None:
    ids = 'revision = "a002"\ndown_revision = "a001"\nbranch_labels = None\ndepends_on = None\n'
    body = "\n\ndef upgrade():\n    pass\n\n\ndef downgrade():\n    pass\n"
    for n, head in enumerate(("from alembic import op as migration\n", "from alembic import *\n")):
        text = head + ids + body
        code, found = _lint(tmp_path / str(n), text, "postgresql", "empty-migration")
        assert (code, found) == (1, [("empty-migration", "a002_x.py", _line(text, "def upgrade"))]), head
