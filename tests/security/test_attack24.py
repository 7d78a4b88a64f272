"""Attacker review of held-out-24's additions (driver-name dialect tests, dicts of operations looked up by the
dialect's name) and the older leftover: any ``X.dialect.name`` / ``X.engine.name`` read as the dialect.

Each test is a pull request a stranger could send: a CREATE INDEX without CONCURRENTLY that runs on PostgreSQL,
under a test the revision itself makes false-looking, passed with no finding.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import revision_text, run_cli, where, write_files

_INDEX = 'op.create_index("ix", "t", ["c"])'


def _lint(tmp_path: Path, upgrade: str, head: str = "") -> list[tuple[str, str, int]]:
    """The create-index-not-concurrently findings of the revision on PostgreSQL."""
    root = write_files(tmp_path, {"versions/0001_a.py": revision_text("0001", None, upgrade, head)})
    run = run_cli("lint", root, "--no-config", "--no-cache", "--format", "json", "--dialect", "postgresql",
                  "--select", "create-index-not-concurrently", "--fail-on", "never")
    assert run.exit_code == 0, run.stderr
    return where(run.json()["findings"])


def _reported(upgrade: str, head: str = "") -> list[tuple[str, str, int]]:
    """The finding a user should see: at the line of the CREATE INDEX."""
    lines = revision_text("0001", None, upgrade, head).splitlines()
    return [("create-index-not-concurrently", "0001_a.py",
             next(n for n, line in enumerate(lines, 1) if "op.create_index(" in line))]


_FAKE_DIALECT = "class fake:\n    class dialect:\n        name = 'sqlite'\n"
_FAKE_BIND = ("import types\n\n\nclass fake:\n    @staticmethod\n    def get_bind():\n"
              "        return types.SimpleNamespace(engine=types.SimpleNamespace(driver='pysqlite', name='sqlite'))\n")


@pytest.mark.parametrize(("upgrade", "head"), [
    # the old leftover: any object's .dialect.name / .engine.name was the dialect's name
    (f'if fake.dialect.name == "sqlite":\n    {_INDEX}', _FAKE_DIALECT),
    (f'engine = types.SimpleNamespace(name="sqlite")\nif engine.name == "sqlite":\n    {_INDEX}', "import types"),
    (f'dialect = fake.dialect.name\nif dialect == "sqlite":\n    {_INDEX}', _FAKE_DIALECT),
    # held-out-24's driver test: any X.get_bind() was the revision's connection
    (f'if fake.get_bind().engine.driver == "pysqlite":\n    {_INDEX}', _FAKE_BIND),
    # held-out-24's dict lookups by the dialect's name, keyed by a forged name
    (f'name = {{"sqlite": "ix"}}.get(fake.dialect.name)\nif name:\n    {_INDEX}', _FAKE_DIALECT),
    (f'if {{"sqlite": "ix"}}.get(fake.get_bind().engine.name):\n    {_INDEX}', _FAKE_BIND),
    # a helper named for the dialect's name that returns a constant
    (f'if get_dialect_name() == "sqlite":\n    {_INDEX}', "def get_dialect_name():\n    return 'sqlite'\n"),
    # SQLAlchemy's own dialect classes carry a dialect's name on any database
    (f'if sqlite.dialect.name == "sqlite":\n    {_INDEX}', "from sqlalchemy.dialects import sqlite"),
    (f'if dialect.name == "sqlite":\n    {_INDEX}', "from sqlalchemy.dialects.sqlite import dialect"),
    (f'if sa.create_engine("sqlite://").name == "sqlite":\n    {_INDEX}', ""),
    # no name at the root, or a global written by name
    (f'if [fake][0].dialect.name == "sqlite":\n    {_INDEX}', "from app import fake"),
    (f'globals()["engine"] = fake\nif engine.name == "sqlite":\n    {_INDEX}', "from app import fake"),
], ids=["class", "namespace", "bound-name", "driver", "lookup", "lookup-inline", "helper", "sa-dialects",
        "sa-dialect-class", "sa-engine", "list-root", "globals"])
def test_a_dialect_read_from_the_revisions_own_object_decides_nothing(
        tmp_path: Path, upgrade: str, head: str) -> None:
    assert _lint(tmp_path, upgrade, head) == _reported(upgrade, head)


@pytest.mark.parametrize("tamper", [
    'bind.engine = types.SimpleNamespace(driver="pysqlite", name="sqlite")',
    'op.get_bind().dialect.name = "sqlite"',
    'd = bind.dialect\nd.name = "sqlite"',
    'type(bind.dialect).name = "sqlite"',
    'setattr(bind.dialect, "name", "sqlite")',
], ids=["engine", "name", "alias", "class", "setattr"])
def test_a_dialect_test_of_a_connection_the_revision_writes_to_decides_nothing(tmp_path: Path, tamper: str) -> None:
    """The real connection, changed by the revision: its dialect's name is what the revision wrote."""
    upgrade = f'bind = op.get_bind()\n{tamper}\nif bind.engine.driver == "pysqlite" or bind.dialect.name == "sqlite":' \
              f'\n    {_INDEX}'
    assert _lint(tmp_path, upgrade, "import types") == _reported(upgrade, "import types")


@pytest.mark.parametrize(("change", "head"), [
    ('locals()["names"]["postgresql"] = "ix"', ""),
    ("H.join(names)", "class H:\n    @staticmethod\n    def join(d):\n        d['postgresql'] = 'ix'\n"),
    ("len(names)", "def len(d):\n    d['postgresql'] = 'ix'\n"),
], ids=["locals", "join-method", "len-shadowed"])
def test_a_dialect_dict_changed_out_of_sight_is_not_read_as_its_literal(tmp_path: Path, change: str, head: str) -> None:
    upgrade = f'names = {{"mysql": "ix"}}\n{change}\nname = names.get(op.get_bind().dialect.name)\nif name:\n' \
              '    op.create_index(name, "t", ["c"])'
    assert _lint(tmp_path, upgrade, head) == _reported(upgrade, head)


def test_a_dialect_test_rebound_by_a_nested_function_is_not_read_as_its_first_value(tmp_path: Path) -> None:
    upgrade = f'''
name = {{"mysql": "ix"}}.get(op.get_bind().dialect.name)
def f():
    nonlocal name
    name = "ix"
f()
if name:
    {_INDEX}'''
    assert _lint(tmp_path, upgrade) == _reported(upgrade)


@pytest.mark.parametrize("upgrade", [
    f'bind = op.get_bind()\nif bind.engine.driver == "pysqlite":\n    {_INDEX}',
    f'if op.get_bind().dialect.name == "sqlite":\n    {_INDEX}',
    f'dialect = op.get_context().dialect\nif dialect.name == "sqlite":\n    {_INDEX}',
    f'name = {{"sqlite": "ix"}}.get(op.get_bind().engine.name)\nif name:\n    {_INDEX}',
    f'names = {{"sqlite": "ix"}}\nif names.get(op.get_bind().engine.name):\n    {_INDEX}',
    f'if dialect_name() == "sqlite":\n    {_INDEX}',
    f'if db.engine.name == "sqlite":\n    {_INDEX}',
    f'if app_dialect_name() == "sqlite":\n    {_INDEX}',
    f'names = {{"sqlite": "ix"}}\nif names.get(Database(check=False).engine.name):\n    {_INDEX}',
])
def test_the_revisions_real_connection_still_decides(tmp_path: Path, upgrade: str) -> None:
    head = "from app import db, app_dialect_name, Database\n\n\ndef dialect_name():\n    return op.get_bind().dialect.name\n"
    assert _lint(tmp_path, upgrade, head) == []


_HELPERS = """class fake:
    class dialect:
        name = 'sqlite'


def create_on_sqlite(conn):
    if conn.dialect.name == 'sqlite':
        op.create_index('ix', 't', ['c'])


def on_sqlite(bind):
    return bind.dialect.name == 'sqlite'
"""


@pytest.mark.parametrize("upgrade", [
    "create_on_sqlite(fake)",
    "create_on_sqlite(conn=fake)",
    f"if on_sqlite(fake):\n    {_INDEX}",
], ids=["inlined", "keyword", "returned-test"])
def test_a_helper_handed_the_revisions_own_object_reads_no_dialect(tmp_path: Path, upgrade: str) -> None:
    # the CREATE INDEX is the helper's (line 10) when it is inlined, else the upgrade's own
    line = 10 if "op.create_index" not in upgrade else _reported(upgrade, _HELPERS.replace("op.create_index", "-"))[0][2]
    assert _lint(tmp_path, upgrade, _HELPERS) == [("create-index-not-concurrently", "0001_a.py", line)]


@pytest.mark.parametrize("upgrade", [
    "create_on_sqlite(op.get_bind())",
    f"bind = op.get_bind()\ncreate_on_sqlite(bind)\nif on_sqlite(bind):\n    {_INDEX}",
])
def test_a_helper_handed_the_connection_still_decides(tmp_path: Path, upgrade: str) -> None:
    assert _lint(tmp_path, upgrade, _HELPERS) == []


_CREATE = ('op.create_table("t", sa.Column("id", sa.Integer(), primary_key=True), '
           'sa.Column("c", sa.String(10), nullable=False, server_default="x"))')
_MODIFY = 'op.execute("ALTER TABLE t MODIFY c VARCHAR(20)")'


@pytest.mark.parametrize(("before", "silent"), [
    ('if os.environ.get("NEVER_SET"):\n    op.alter_column("t", "c", nullable=True, server_default=None, '
     'existing_type=sa.String(10))', False),
    ('if os.environ.get("NEVER_SET"):\n    op.execute("ALTER TABLE t MODIFY c VARCHAR(10) NULL")', False),
    ('try:\n    op.alter_column("t", "c", nullable=True, server_default=None, existing_type=sa.String(10))\n'
     'except Exception:\n    pass', False),
    ('op.alter_column("t", "c", nullable=True, server_default=None, existing_type=sa.String(10))', True),
], ids=["if", "if-sql", "try", "certain"])
def test_a_raw_modify_is_silent_only_after_steps_that_certainly_ran(tmp_path: Path, before: str, silent: bool) -> None:
    """A MODIFY restating neither NULL nor DEFAULT is silent when the history leaves the column nullable without a
    default; a step that may not have run (an undecided ``if``, a ``try`` swallowing its failure) leaves it NOT NULL
    with its default where it did not."""
    upgrade = f"{before}\n{_MODIFY}"
    root = write_files(tmp_path, {
        "versions/0001_a.py": revision_text("0001", None, _CREATE),
        "versions/0002_b.py": revision_text("0002", "0001", upgrade, "import os"),
    })
    run = run_cli("lint", root, "--no-config", "--no-cache", "--format", "json", "--dialect", "mysql",
                  "--select", "alter-column-without-existing-type", "--fail-on", "never")
    assert run.exit_code == 0, run.stderr
    line = revision_text("0002", "0001", upgrade, "import os").splitlines().index(f"    {_MODIFY}") + 1
    assert where(run.json()["findings"]) == ([] if silent else [("alter-column-without-existing-type", "0002_b.py", line)])
