"""Held-out-26 (precision), helper fix26c: constants joined at module level, numbers computed from what the
revision's own SELECT returned, revisions emptied on purpose.

Each case is a small project of this file's own, written to a temporary folder and linted through the CLI.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from conftest import lint_rules as _lint
from conftest import where as _where
from conftest import write_files as _write


def _revision(rev: str, down: str | None, upgrade: str, downgrade: str = "pass", head: str = "") -> str:
    return (f'"""r {rev}\n\nRevision ID: {rev}\n"""\nfrom alembic import op\nimport sqlalchemy as sa\n'
            f"{head}\nrevision = \"{rev}\"\ndown_revision = {down!r}\n\n\ndef upgrade():\n"
            f"{textwrap.indent(textwrap.dedent(upgrade), '    ')}\n\n"
            f"def downgrade():\n{textwrap.indent(textwrap.dedent(downgrade), '    ')}\n")


_BASE = _revision("a001", None, 'op.create_table("tags", sa.Column("id", sa.Integer(), primary_key=True))',
                  'op.drop_table("tags")')
_RULE = "unsafe-sql-interpolation"


def _one(tmp_path: Path, upgrade: str, head: str = "") -> Path:
    return _write(tmp_path, {"a001_base.py": _BASE, "a002_x.py": _revision("a002", "a001", upgrade, head=head)})


def _line(upgrade: str, needle: str, head: str = "") -> int:
    """The line of ``a002_x.py`` holding ``needle``."""
    text = _revision("a002", "a001", upgrade, head=head)
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


# --- #144-#146: a module constant joined from a list of literals -------------------------------------------------

_KINDS_HEAD = "KINDS = ','.join(['\"zoom\"', '\"google\"', '\"caldav\"'])\n"
_KINDS = 'op.execute(f"ALTER TABLE tags MODIFY COLUMN kind enum({KINDS}) NOT NULL")'


def test_module_constant_joined_from_literals_is_a_constant(tmp_path: Path) -> None:
    assert _lint(_one(tmp_path, _KINDS, head=_KINDS_HEAD), "mysql", _RULE) == (0, [])


def test_joined_list_that_module_code_may_change_or_holds_outside_values_is_still_reported(tmp_path: Path) -> None:
    heads = {
        # a list named: module code may have appended to it before the join
        "import os\nNAMES = ['\"zoom\"']\nNAMES.append(os.environ['KIND'])\nKINDS = ','.join(NAMES)\n",
        # an item from outside the code
        "import os\nKINDS = ','.join(['\"zoom\"', os.environ['KIND']])\n",
    }
    for n, head in enumerate(sorted(heads)):
        code, found = _lint(_one(tmp_path / str(n), _KINDS, head=head), "mysql", _RULE)
        assert code == 1 and _where(found) == [(_RULE, "a002_x.py", _line(_KINDS, "op.execute", head))], head


# --- #147, #148: a number computed from what the revision's own SELECT returned ------------------------------------

_RESTART = """\
conn = op.get_bind()
last_id = conn.scalars(sa.select(sa.func.max(sa.column("id"))).select_from(sa.table("tags"))).one_or_none()
if last_id is None:
    return
op.execute(sa.text(f"ALTER SEQUENCE tags_id_seq RESTART WITH {last_id + 1}"))
"""

_NEXT_ID = """\
conn = op.get_bind()
for table in ("tags", "labels"):
    res = conn.exec_driver_sql("SELECT MAX(id) FROM " + table)
    row = res.fetchone()
    next_id = 1
    if row is not None and row[0] is not None:
        next_id = row[0] + 1
    conn.execute(sa.text(f"ALTER TABLE {table} ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (START WITH {next_id})"))
"""


def test_number_computed_from_a_value_the_revision_fetched_is_no_outside_text(tmp_path: Path) -> None:
    in_session = _RESTART.replace("conn = op.get_bind()", "conn = sa.orm.Session(bind=op.get_bind())")
    for n, upgrade in enumerate((_RESTART, _NEXT_ID, in_session,
                                 _RESTART.replace("{last_id + 1}", "{int(last_id)}"),
                                 _RESTART.replace("{last_id + 1}", "{1 + last_id}"))):
        assert _lint(_one(tmp_path / str(n), upgrade), "postgresql", _RULE) == (0, []), upgrade


def test_text_fetched_or_values_from_outside_are_still_reported(tmp_path: Path) -> None:
    risky = {
        # the fetched value itself: a text column's value may hold a quote
        "plain": _RESTART.replace("{last_id + 1}", "{last_id}"),
        # a str repeated is still that str
        "repeated": _RESTART.replace("{last_id + 1}", "{last_id * 2}"),
        # repr of a Decimal quotes it
        "repr": _RESTART.replace("{last_id + 1}", "{(last_id + 1)!r}"),
        # a fill character in the format spec
        "spec": _RESTART.replace("{last_id + 1}", "{last_id + 1:'>9}"),
        # bound also to something else than a number
        "rebound": _NEXT_ID.replace("next_id = 1\n", "next_id = os.environ['START']\n"),
        # a value of a call migcheck does not know as a connection
        "not a connection": _RESTART.replace("conn.scalars(", "helpers.scalars("),
        "not only a connection": _RESTART.replace(
            "conn = op.get_bind()\n", "conn = op.get_bind()\nif helpers.flag:\n    conn = helpers.connection()\n"),
        # the sequence name a SELECT returned: text
        "fetched name": _NEXT_ID.replace(
            "conn.execute(sa.text(f\"ALTER TABLE", "name = conn.execute(sa.text(\"SELECT pg_get_serial_sequence('t', "
            "'id')\")).scalar()\n    conn.execute(sa.text(f\"DROP SEQUENCE {name}\"))\n    conn.execute(sa.text(f\""
            "ALTER TABLE"),
    }
    head = "import os\nfrom app import helpers\n"
    for n, (why, upgrade) in enumerate(risky.items()):
        code, found = _lint(_one(tmp_path / str(n), upgrade, head=head), "postgresql", _RULE)
        needle = "DROP SEQUENCE" if why == "fetched name" else "conn.execute(sa.text(f" if "next_id" in upgrade \
            else "op.execute"
        # a loop over two tables reports each pass's statement
        assert code == 1 and sorted(set(_where(found))) == [(_RULE, "a002_x.py", _line(upgrade, needle, head))], why


# --- #70-#74: a revision emptied by hand to keep its place in the chain --------------------------------------------

_IDS = 'revision = "a002"\ndown_revision = "a001"\nbranch_labels = None\ndepends_on = None\n'
_PASS = "\n\ndef upgrade():\n    pass\n\n\ndef downgrade():\n    pass\n"
_MARKED = ("\n\ndef upgrade():\n    # ### commands auto generated by Alembic - please adjust! ###\n    pass\n"
           "    # ### end Alembic commands ###\n\n\ndef downgrade():\n    pass\n")
_DOC = '"""recalculate totals\n\nRevision ID: a002\nRevises: a001\n"""\n'
_LEFTOVERS = "import logging\nimport sqlalchemy as sa\n\nlogger = logging.getLogger(__name__)\nVARIANT = sa.JSON()\n"


def _emptied(tmp_path: Path, text: str, base: str = _BASE) -> Path:
    return _write(tmp_path, {"a001_base.py": base, "a002_x.py": text})


def _upgrade_line(text: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if line.startswith("def upgrade"))


def test_revision_rewritten_by_hand_to_hold_only_its_place_is_not_reported(tmp_path: Path) -> None:
    for n, text in enumerate((
        _IDS + _PASS,  # no docstring (the template writes one, as the other revision shows), no imports
        _DOC + _LEFTOVERS + _IDS + _PASS,  # leftovers of a removed body: names nothing reads, no op import
    )):
        assert _lint(_emptied(tmp_path / str(n), text), "postgresql", "empty-migration") == (0, []), text


def test_empty_revision_alembic_wrote_or_that_may_miss_its_body_is_still_reported(tmp_path: Path) -> None:
    no_doc_base = _BASE.split('"""\n', 1)[1]  # a project whose template writes no docstring
    cases = {
        # alembic revision -m, never filled in, its unused imports removed by a formatter (#70)
        "stripped imports": (_DOC + _IDS + _PASS, _BASE),
        # autogenerate's empty output, even with its docstring and imports removed
        "markers": (_IDS + _MARKED, _BASE),
        "markers, leftovers": (_DOC + _LEFTOVERS + _IDS + _MARKED, _BASE),
        # the template's op import kept
        "op kept": ("from alembic import op\n" + _IDS + _PASS, _BASE),
        "op kept, leftovers": (_DOC + "from alembic import op\n" + _LEFTOVERS + _IDS + _PASS, _BASE),
        # a helper the upgrade was meant to call
        "helper": (_DOC + _LEFTOVERS + _IDS + "\n\ndef _fill(conn):\n    logger.info(VARIANT)\n" + _PASS, _BASE),
        # no revision of the history has a docstring: the project's template writes none
        "no docstrings": (_IDS + _PASS, no_doc_base),
    }
    for n, (why, (text, base)) in enumerate(cases.items()):
        code, found = _lint(_emptied(tmp_path / str(n), text, base), "postgresql", "empty-migration")
        assert code == 1 and _where(found) == [("empty-migration", "a002_x.py", _upgrade_line(text))], why


# --- #120: a column replaced under its own name (add new, drop old, rename new to old) -----------------------------

_ITEMS = _revision("a001", None, 'op.create_table("items", sa.Column("id", sa.Integer(), primary_key=True), '
                   'sa.Column("name", sa.Text()))', 'op.drop_table("items")')
_SWAP = """\
# ### commands auto generated by Alembic - please adjust! ###
op.add_column("items", sa.Column("id_new", sa.Integer(), sa.Identity(), primary_key=True))
op.drop_column("items", "id")
op.alter_column("items", "id_new", nullable=False, new_column_name="id")
# ### end Alembic commands ###
"""


def _swap(tmp_path: Path, upgrade: str) -> Path:
    return _write(tmp_path, {"a001_base.py": _ITEMS, "a002_x.py": _revision("a002", "a001", upgrade)})


def test_column_swapped_in_under_the_old_name_is_no_rename(tmp_path: Path) -> None:
    root = _swap(tmp_path, _SWAP)
    assert _lint(root, "postgresql", "rename-as-drop-and-add") == (0, [])
    # the old values still go: drop-column says so
    code, found = _lint(root, "postgresql", "drop-column")
    assert code == 1 and _where(found) == [("drop-column", "a002_x.py", _line(_SWAP, "drop_column"))]


def test_drop_and_add_not_swapped_back_is_still_a_rename(tmp_path: Path) -> None:
    cases = {
        "no rename": _SWAP.replace('op.alter_column("items", "id_new", nullable=False, new_column_name="id")\n', ""),
        "renamed elsewhere": _SWAP.replace('new_column_name="id"', 'new_column_name="key"'),
    }
    for n, (why, upgrade) in enumerate(cases.items()):
        code, found = _lint(_swap(tmp_path / str(n), upgrade), "postgresql", "rename-as-drop-and-add")
        assert code == 1 and _where(found) == [("rename-as-drop-and-add", "a002_x.py", _line(upgrade, "drop_column"))], why


# --- #129: a table renamed on SQLite (an application that migrates its own file at start-up) -----------------------

def test_rename_table_on_sqlite_is_still_reported_and_says_when_it_applies(tmp_path: Path) -> None:
    import sqlite3

    upgrade = 'op.rename_table("items", "app_items")'
    root = _write(tmp_path, {"a001_base.py": _ITEMS, "a002_x.py": _revision("a002", "a001", upgrade)})
    code, found = _lint(root, "sqlite", "rename-table")
    # migcheck cannot see that no old version runs on the file: kept, saying when it applies
    assert code == 1 and _where(found) == [("rename-table", "a002_x.py", _line(upgrade, "rename_table"))]
    assert "another process can still run the old version on this database file" in found[0]["message"]
    # the fix offers a view for the old code: on SQLite it is read-only, as SQLite itself says
    assert "an SQLite view is read-only" in found[0]["fix"] and "updatable" not in found[0]["fix"]
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE app_items (id INTEGER PRIMARY KEY)")
    db.execute("CREATE VIEW items AS SELECT * FROM app_items")
    try:
        db.execute("INSERT INTO items (id) VALUES (1)")
        raise AssertionError("SQLite wrote through a view")
    except sqlite3.OperationalError as error:
        assert "cannot modify items because it is a view" in str(error)
    # PostgreSQL's message and fix are as before
    code, found = _lint(root, "postgresql", "rename-table")
    assert code == 1 and "another process" not in found[0]["message"] and "a simple view is updatable" in found[0]["fix"]
