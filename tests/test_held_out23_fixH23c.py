"""Held-out-23 (issue #16, precision), helper fixH23c: types and models read statically.

Each case is a small project of this file's own, written to a temporary folder and linted through the CLI.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from conftest import lint_selected as _lint
from conftest import where as _where
from conftest import write_files as _write

_HEAD = '"""r"""\nfrom alembic import op\nimport sqlalchemy as sa\n\n'


def _revision(rev: str, down: str | None, body: str, prelude: str = "") -> str:
    return (f'{_HEAD}{prelude}\nrevision = "{rev}"\ndown_revision = {down!r}\n\n\n'
            f"def upgrade():\n{textwrap.indent(textwrap.dedent(body).strip(), '    ')}\n\n\n"
            "def downgrade():\n    pass\n")


_BASE = _revision("a001", None, 'op.create_table("profile", sa.Column("id", sa.Integer(), primary_key=True))')


# --- #7: sa.text(str(CONSTANT)) is the constant's text, computed by Python ------------------------------------


def _default_project(root: Path, default: str, prelude: str) -> Path:
    body = f'op.add_column("profile", sa.Column("state", sa.Integer(), nullable=False, server_default={default}))'
    return _write(root, {"versions/a001_base.py": _BASE,
                         "versions/a002_state.py": _revision("a002", "a001", body, prelude)})


_STATES = "\nclass STATE:\n    AUTO = 0\n    PUBLIC = 1\n"


def test_text_of_str_of_a_plain_class_constant_is_that_constant(tmp_path: Path) -> None:
    root = _default_project(tmp_path / "p", "sa.text(str(STATE.PUBLIC))", _STATES)
    assert _lint(root, "add-column-with-volatile-default") == (0, [])


def test_text_of_a_volatile_call_still_fires(tmp_path: Path) -> None:
    root = _default_project(tmp_path / "p", 'sa.text("random_state()")', _STATES)
    code, found = _lint(root, "add-column-with-volatile-default")
    assert code == 1 and _where(found) == [("add-column-with-volatile-default", "a002_state.py", 15)]


def test_str_of_a_member_of_a_class_changed_later_is_not_read(tmp_path: Path) -> None:
    root = _default_project(tmp_path / "p", "sa.text(str(STATE.PUBLIC))", _STATES + "\nSTATE.PUBLIC = get_state()\n")
    code, found = _lint(root, "add-column-with-volatile-default")
    assert code == 1 and [f["line"] for f in found] == [17]


# --- #67, #68: a module-level JSON().with_variant(JSONB(), "postgresql") is jsonb on PostgreSQL ---------------


def _variant_project(root: Path, variant_dialect: str) -> Path:
    prelude = (f'from sqlalchemy.dialects.postgresql import JSONB\n\n'
               f'JSONVariant = sa.JSON().with_variant(JSONB(), "{variant_dialect}")\n')
    body = 'op.create_table("hooks", sa.Column("id", sa.Integer(), primary_key=True), sa.Column("events", JSONVariant))'
    return _write(root, {"versions/a001_hooks.py": _revision("a001", None, body, prelude)})


def test_a_json_type_with_a_jsonb_variant_for_postgresql_is_jsonb(tmp_path: Path) -> None:
    assert _lint(_variant_project(tmp_path / "p", "postgresql"), "json-instead-of-jsonb") == (0, [])


def test_a_json_type_with_a_variant_for_another_dialect_is_json(tmp_path: Path) -> None:
    code, found = _lint(_variant_project(tmp_path / "p", "sqlite"), "json-instead-of-jsonb")
    assert code == 1 and _where(found) == [("json-instead-of-jsonb", "a001_hooks.py", 14)]


# --- #31, #32: library column types whose stored type is known ---------------------------------------------


def _library_project(root: Path, imports: str, alters: str) -> Path:
    return _write(root, {"versions/a001_types.py": _revision("a001", None, alters, imports)})


_ALTERS = """
op.alter_column("project", "timezone", existing_type=sa.Unicode(40), type_=TimezoneType(backend="pytz"))
op.alter_column("project", "site", existing_type=sa.Unicode(2000), type_=UrlType())
op.alter_column("project", "video", existing_type=sa.Unicode(2000), type_=sqlalchemy_utils.URLType())
op.alter_column("project", "tz_wide", existing_type=sa.Unicode(60), type_=TimezoneType(backend="pytz"))
"""


def test_library_types_that_widen_a_varchar_rewrite_nothing(tmp_path: Path) -> None:
    imports = ("import sqlalchemy_utils\nfrom sqlalchemy_utils import TimezoneType\n"
               "from coaster.sqlalchemy import UrlType\n")
    code, found = _lint(_library_project(tmp_path / "p", imports, _ALTERS), "alter-column-type")
    # Unicode(60) -> TimezoneType's Unicode(50) shortens the column: still a rewrite
    assert code == 1 and _where(found) == [("alter-column-type", "a001_types.py", 17)]
    assert "stored as Unicode(50)" in str(found[0]["message"])


def test_a_type_of_the_same_name_from_the_application_stays_unknown(tmp_path: Path) -> None:
    imports = "import sqlalchemy_utils\nfrom app.types import TimezoneType, UrlType\n"
    code, found = _lint(_library_project(tmp_path / "p", imports, _ALTERS), "alter-column-type")
    assert code == 1 and _where(found) == [("alter-column-type", "a001_types.py", n) for n in (13, 14, 16)]
    assert "cannot read" in str(found[0]["message"])


# --- #104-#106: a project helper that only appends to a text file runs no SQL ----------------------------------

_LOG_HELPER = '''
    import os

    POST_FILE = os.environ.get("POST_FILE", "/tmp/post.txt")


    def note_revision(revision):
        """Remember the revision for the post-upgrade script."""
        with open(POST_FILE, "a+") as versions_file:
            versions_file.write("{}\\n".format(revision))


    def note_and_touch(revision, conn):
        with open(POST_FILE, "a+") as versions_file:
            versions_file.write(str(revision))
        conn.execute("UPDATE settings SET seen = 1")


    def note_through_helper(revision):
        with open(POST_FILE, "a+") as versions_file:
            versions_file.write(render(revision))


    def render(revision):
        return str(revision)
'''


def _helper_project(root: Path, call: str) -> Path:
    body = f"from tools.revlog import {call.partition('(')[0]}\n{call}\nop.create_table(\"t\", sa.Column(\"id\", sa.Integer()))"
    return _write(root, {
        "pyproject.toml": '[project]\nname = "app"\n',
        "tools/__init__.py": "",
        "tools/revlog.py": _LOG_HELPER,
        "migrations/env.py": "from alembic import context\n",
        "migrations/versions/a001_log.py": _revision("a001", None, body),
    })


def test_a_project_helper_that_only_writes_a_file_is_no_unread_sql(tmp_path: Path) -> None:
    root = _helper_project(tmp_path / "p", "note_revision(revision)")
    assert _lint(root / "migrations", "raw-sql-not-understood") == (0, [])


def test_a_project_helper_that_also_runs_sql_or_calls_on_is_read(tmp_path: Path) -> None:
    """Since imphelp27 the helper's body is read (extract/python/imported.py): its UPDATE is a step the rules
    check, and a call of a function of its own module that runs no SQL is no unread step."""
    for call in ("note_and_touch(revision, op.get_bind())", "note_through_helper(revision)"):
        root = _helper_project(tmp_path / call.partition("(")[0], call)
        code, found = _lint(root / "migrations", "raw-sql-not-understood")
        assert code == 0 and _where(found) == [], call


def test_the_helper_of_a_project_folder_that_is_itself_a_package_is_read(tmp_path: Path) -> None:
    """alembic.ini in ``dbtools/`` (a package): the revision puts the folder above on sys.path and imports
    ``dbtools.revlog``; the project read is ``dbtools/``, and its ``revlog.py`` is that module."""
    root = tmp_path / "p"
    for call, expected in (("note_revision(revision)", []), ("note_through_helper(revision)", [])):
        body = (f"from dbtools.revlog import {call.partition('(')[0]}\n{call}\n"
                'op.create_table("t", sa.Column("id", sa.Integer()))')
        _write(root, {"dbtools/__init__.py": "", "dbtools/revlog.py": _LOG_HELPER,
                      "dbtools/alembic.ini": "[alembic]\nscript_location = alembic\n",
                      "dbtools/alembic/env.py": "from alembic import context\n",
                      "dbtools/alembic/versions/a001_log.py": _revision("a001", None, body)})
        code, found = _lint(root, "raw-sql-not-understood")
        assert (code, [f["line"] for f in found]) == (1 if expected else 0, expected), call


# --- #29: timestamp -> timestamptz with the session TimeZone set to UTC, on a column no index covers ----------

_ACCOUNTS = _revision("a001", None, '''
op.create_table(
    "accounts",
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("last_login", sa.DateTime()),
    sa.Column("closed", sa.DateTime()),
)
op.create_index("ix_accounts_closed", "accounts", ["closed"])
''')
_SESSIONS = _revision("a002", "a001", '''
op.create_table(
    "sessions",
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("expires", sa.DateTime()),
    sa.Column("created", sa.DateTime(), index=True),
    sa.Column("seen", sa.DateTime()),
    sa.UniqueConstraint("expires", "id"),
    sa.Index("ix_sessions_seen", "seen"),
)
''')


def test_utc_timestamptz_change_of_an_unindexed_column_changes_only_the_catalog(tmp_path: Path) -> None:
    body = 'op.execute("SET TIME ZONE \'UTC\'")\n' + "\n".join(
        f'op.alter_column("{t}", "{c}", type_=sa.DateTime(timezone=True), existing_type=sa.DateTime())'
        for t, c in (("accounts", "last_login"), ("accounts", "closed"), ("sessions", "expires"),
                     ("sessions", "created"), ("sessions", "seen")))
    root = _write(tmp_path / "p", {"versions/a001_accounts.py": _ACCOUNTS, "versions/a002_sessions.py": _SESSIONS,
                                   "versions/a003_tz.py": _revision("a003", "a002", body)})
    code, found = _lint(root, "alter-column-type")
    # accounts.last_login has no index; each of the others is covered by one, rebuilt under the lock
    assert code == 1 and _where(found) == [("alter-column-type", "a003_tz.py", n) for n in (13, 14, 15, 16)]
    assert all("every index on the column is rebuilt" in str(f["message"]) for f in found)
