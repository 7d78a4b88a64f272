"""Held-out-22 (issue #16, precision), helper fixH22a: dialect tests made by a helper the revision imports from
the application (romm: ``from utils.database import is_postgresql``; #8, #24, #80, #117, #118).

The helper's body is read from the application's source (never imported): ``if conn.engine.name != "postgresql":
return False`` then ``return <another helper>(conn, min_version=min_version)``, whose ``if min_version is None:
return True`` decides it when the revision passes no version. The branch the target dialect never takes is left
out; a helper whose answer depends on what the revision passes (a version, the dialect's name as an argument)
decides nothing, and both branches stay.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from conftest import run_cli

_HELPERS = """
    import sqlalchemy as sa


    def server_at_least(conn: sa.Connection, version: tuple[int, ...] | None = None) -> bool:
        if version is None:
            return True
        return conn.dialect.server_version_info >= version


    def is_postgresql(conn: sa.Connection, version: tuple[int, ...] | None = None) -> bool:
        \"\"\"True on PostgreSQL.\"\"\"
        if conn.engine.name != "postgresql":
            return False
        return server_at_least(conn, version)


    def is_dialect(conn: sa.Connection, name: str) -> bool:
        return conn.engine.name == name
"""

_REVISION = """
    import sqlalchemy as sa
    from alembic import op

    from utils.database import {helper}

    revision = "{rev}"
    down_revision = {down}


    def upgrade():
    {body}


    def downgrade():
        pass
"""

#: Revision id -> (helper imported, upgrade body): each makes a table only on the branch it names.
_BODIES = {
    "0001": ("is_postgresql", """\
    connection = op.get_bind()
    if is_postgresql(connection):
        op.create_table("pg_only", sa.Column("id", sa.Integer(), primary_key=True))"""),
    "0002": ("is_postgresql", """\
    pg = is_postgresql(op.get_bind())
    if pg:
        op.create_table("pg_flag", sa.Column("id", sa.Integer(), primary_key=True))"""),
    "0003": ("is_postgresql", """\
    if not is_postgresql(op.get_bind()):
        return
    op.create_table("pg_late", sa.Column("id", sa.Integer(), primary_key=True))"""),
    "0004": ("is_postgresql", """\
    if is_postgresql(op.get_bind()):
        op.execute("SELECT 1")
    else:
        op.create_table("not_pg", sa.Column("id", sa.Integer(), primary_key=True))"""),
    "0005": ("is_postgresql", """\
    if is_postgresql(op.get_bind(), (14,)):
        op.execute("SELECT 1")
    else:
        op.create_table("old_pg", sa.Column("id", sa.Integer(), primary_key=True))"""),
    "0006": ("is_dialect", """\
    if is_dialect(op.get_bind(), "postgresql"):
        op.create_table("by_arg", sa.Column("id", sa.Integer(), primary_key=True))"""),
}


def _project(root: Path) -> Path:
    files = {"alembic.ini": "[alembic]\nscript_location = alembic\n",
             "alembic/env.py": "from alembic import context\n\ncontext.configure(url='sqlite://')\n",
             "utils/__init__.py": "", "utils/database.py": textwrap.dedent(_HELPERS)}
    down = "None"
    for rev, (helper, body) in _BODIES.items():
        text = textwrap.dedent(_REVISION).format(helper=helper, rev=rev, down=down,
                                                 body=textwrap.indent(body, "    "))
        files[f"alembic/versions/{rev}_guarded.py"] = text
        down = repr(rev)
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def _missing_downgrades(root: Path, dialect: str) -> list[str]:
    run = run_cli("lint", root, "--no-config", "--no-cache", "--format", "json", "--dialect", dialect,
                  "--select", "missing-downgrade")
    assert run.exit_code in (0, 1), run.stderr
    return sorted(f"{Path(f['path']).name[:4]}:{f['line']}" for f in run.json()["findings"])


def test_the_branch_an_imported_helper_shuts_on_mysql_is_left_out(tmp_path: Path) -> None:
    """#80, #117, #118: on MySQL ``is_postgresql(conn)`` returns False: its branch (and what follows an early
    return when it is false) never runs. The else branch runs; a helper comparing with its argument decides
    nothing."""
    root = _project(tmp_path / "proj")
    assert _missing_downgrades(root, "mysql") == ["0004:18", "0005:18", "0006:16"]


def test_the_else_branch_of_an_imported_helper_is_left_out_on_its_dialect(tmp_path: Path) -> None:
    """#8, #24: on PostgreSQL with no version passed the helper returns True, so its else branch never runs; with a
    version passed (0005) the server's version decides, and the else branch stays."""
    root = _project(tmp_path / "proj")
    assert _missing_downgrades(root, "postgresql") == ["0001:17", "0002:17", "0003:17", "0005:18", "0006:16"]


def test_a_helper_redefined_in_the_application_decides_nothing(tmp_path: Path) -> None:
    """A name the application module binds twice is not known to be the def read: both branches stay."""
    root = _project(tmp_path / "proj")
    database = root / "utils" / "database.py"
    database.write_text(database.read_text() + "\n\nis_postgresql = is_dialect\n")
    assert _missing_downgrades(root, "mysql") == [
        "0001:17", "0002:17", "0003:17", "0004:18", "0005:18", "0006:16"]


def test_a_helper_that_reads_the_deployment_decides_nothing(tmp_path: Path) -> None:
    """``return os.environ["ENVIRONMENT"] == "production"`` is no dialect test: the walker keeps both branches of
    a deployment test, and so does a helper's."""
    root = _project(tmp_path / "proj")
    database = root / "utils" / "database.py"
    database.write_text(database.read_text().replace(
        'if conn.engine.name != "postgresql":', 'if os.environ["ENVIRONMENT"] != "production":'))
    database.write_text("import os\n" + database.read_text())
    assert _missing_downgrades(root, "mysql") == [
        "0001:17", "0002:17", "0003:17", "0004:18", "0005:18", "0006:16"]
