"""Attacker review of held-out-23's additions (an alembic.ini's named environments, env.py's module constants,
file-only project helpers).

Each test is a pull request a stranger could send: a real change hidden from the report.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import lint_findings as _findings
from conftest import revision_text as _revision
from conftest import write_files as _write
from counting import CountingList, count_history_reads


def test_a_named_environment_inside_another_ones_recursive_location_splits_no_history(tmp_path: Path) -> None:
    """``[main]`` reads versions/ recursively, so ``alembic --name=main upgrade head`` meets both bases (two
    heads). A second section ``[other]`` naming versions/sub made that folder a history of its own: the fork
    vanished from the report."""
    add = 'op.add_column("t", sa.Column("c", sa.Integer(), nullable=True))'
    root = _write(tmp_path / "proj", {
        "alembic.ini": "[main]\nscript_location = migrations\nrecursive_version_locations = true\n\n"
                       "[other]\nscript_location = migrations\n"
                       "version_locations = %(here)s/migrations/versions/sub\n",
        "migrations/env.py": "from alembic import context\n",
        "migrations/versions/0001_a.py": _revision("0001", None, add),
        "migrations/versions/0002_b.py": _revision("0002", "0001", add),
        "migrations/versions/sub/0003_c.py": _revision("0003", None, add),
    })
    assert _findings(root, "--select", "multiple-heads") == [
        ("multiple-heads", "0002_b.py", 5), ("multiple-heads", "0003_c.py", 5)]


_ENV = """
    from alembic import context
    from sqlalchemy import engine_from_config, pool

    config = context.config
    per_revision = True
    {rebind}

    connectable = engine_from_config(config.get_section(config.config_ini_section), poolclass=pool.NullPool)
    with connectable.connect() as connection:
        context.configure(connection=connection, transaction_per_migration=per_revision)
        with context.begin_transaction():
            context.run_migrations()
"""


def _env_project(root: Path, rebind: str) -> Path:
    return _write(root, {
        "alembic.ini": "[alembic]\nscript_location = alembic\n",
        "alembic/env.py": _ENV.format(rebind=rebind),
        "alembic/versions/0001_a.py": _revision("0001", None, 'op.add_column("t", sa.Column("c", sa.Integer()))'),
        "alembic/versions/0002_b.py": _revision("0002", "0001", 'op.execute("UPDATE t SET c = 0 WHERE c IS NULL")'),
    })


def test_an_env_constant_rebound_by_a_case_pattern_is_not_read_as_its_first_value(tmp_path: Path) -> None:
    """``match False: case per_revision: pass`` binds the name to False: configure() gets False, and
    transaction-per-migration-off was silenced by reading it as the True above."""
    root = _env_project(tmp_path / "match", "match False:\n        case per_revision:\n            pass")
    assert _findings(root, "--select", "transaction-per-migration-off") == [
        ("transaction-per-migration-off", "env.py", 13)]


def test_an_env_constant_rebound_through_globals_is_not_read_as_its_first_value(tmp_path: Path) -> None:
    root = _env_project(tmp_path / "globals", "globals()['per_revision'] = False")
    assert _findings(root, "--select", "transaction-per-migration-off") == [
        ("transaction-per-migration-off", "env.py", 11)]


def test_a_file_only_helper_under_a_star_import_is_not_trusted(tmp_path: Path) -> None:
    """``from tools.dbprint import *`` binds ``print`` to the project's function that drops a table: the helper's
    ``print(revision)`` runs SQL, and raw-sql-not-understood was silenced as for a helper that only logs."""
    root = _write(tmp_path / "proj", {
        "pyproject.toml": '[project]\nname = "app"\n',
        "tools/__init__.py": "",
        "tools/dbprint.py": """
            from alembic import op


            def print(*args):
                op.execute("DROP TABLE users")
        """,
        "tools/revlog.py": """
            from tools.dbprint import *


            def note_revision(revision):
                print(revision)
        """,
        "migrations/env.py": "from alembic import context\n",
        "migrations/versions/a001_log.py": _revision("a001", None, 'note_revision("a001")',
                                                     "from tools.revlog import note_revision"),
    })
    assert _findings(root, "--select", "raw-sql-not-understood") == [("raw-sql-not-understood", "a001_log.py", 10)]


def test_a_neutron_contract_label_faked_where_neutron_is_missing_stops_no_server(tmp_path: Path) -> None:
    """``try: from neutron.db.migration import cli`` / ``except ImportError: class cli: CONTRACT_BRANCH =
    "contract"``: the project runs without neutron (plain ``alembic upgrade``, servers up), yet the revision was
    read as on neutron-db-manage's contract branch and its table copy under writes went unreported."""
    faked = ("try:\n    from neutron.db.migration import cli\nexcept ImportError:\n    class cli:\n"
             "        CONTRACT_BRANCH = \"contract\"\n\nbranch_labels = (cli.CONTRACT_BRANCH,)")
    root = _write(tmp_path / "proj", {
        "alembic.ini": "[alembic]\nscript_location = migrations\n",
        "migrations/env.py": "from alembic import context\n",
        "migrations/versions/0001_a.py": _revision("0001", None, 'op.create_table("users", sa.Column("id", '
                                                   'sa.Integer(), primary_key=True), sa.Column("name", sa.String(50)))'),
        "migrations/versions/0002_b.py": _revision("0002", "0001", 'op.alter_column("users", "name", '
                                                   'existing_type=sa.String(50), type_=sa.Text())', faked),
    })
    assert _findings(root, "--dialect", "mysql", "--select", "mysql-alter-copies-table") == [
        ("mysql-alter-copies-table", "0002_b.py", 16)]


def _utc_history(root: Path, count: int) -> int:
    """``count`` revisions, each making a table and changing the previous one's timestamp column to timestamptz
    under a UTC session; how often a lint of alter-column-type reads the revisions' changes."""
    step = 'op.alter_column("t{prev}", "c", type_=sa.DateTime(timezone=True), existing_type=sa.DateTime())'
    files = {"versions/r0.py": _revision("r0", None, 'op.create_table("t0", sa.Column("c", sa.DateTime()))')}
    for i in range(1, count):
        body = (f'op.create_table("t{i}", sa.Column("c", sa.DateTime()))\nop.execute("SET TIME ZONE \'UTC\'")\n'
                + step.format(prev=i - 1))
        files[f"versions/r{i}.py"] = _revision(f"r{i}", f"r{i - 1}", body)
    _write(root, files)
    CountingList.reads = 0
    assert _findings(root, "--dialect", "postgresql", "--select", "alter-column-type") == []
    return CountingList.reads


def test_never_indexed_reads_the_history_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whether a UTC timestamptz change's column is unindexed was answered by walking every earlier change of the
    history, per change: 3,000 such revisions took about 16 s, against about 3 s for a history with a plain step
    in their place. Counted, not timed: twice the revisions read the history's changes about twice as often
    (the old code: 4,728 reads for 60 revisions, 16,668 for 120)."""
    count_history_reads(monkeypatch)
    small = _utc_history(tmp_path / "small", 60)
    large = _utc_history(tmp_path / "large", 120)
    assert large < 2.5 * small, (small, large)


def test_a_parameter_named_like_the_file_handle_is_not_a_file(tmp_path: Path) -> None:
    """``def note(f): f.flush()`` then ``with open(...) as f``: the first ``f`` is the caller's object (a Session,
    whose flush() writes its pending rows), not the file; the call was read as one that runs no SQL."""
    root = _write(tmp_path / "proj", {
        "pyproject.toml": '[project]\nname = "app"\n',
        "tools/__init__.py": "",
        "tools/revlog.py": """
            def note_revision(f):
                f.flush()
                with open("post.txt", "a") as f:
                    f.write("done")
        """,
        "migrations/env.py": "from alembic import context\n",
        "migrations/versions/a001_log.py": _revision(
            "a001", None, "session = Session(bind=op.get_bind())\nnote_revision(session)",
            "from sqlalchemy.orm import Session\nfrom tools.revlog import note_revision"),
    })
    assert _findings(root, "--select", "raw-sql-not-understood") == [("raw-sql-not-understood", "a001_log.py", 12)]
