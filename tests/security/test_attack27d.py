"""attack27d: fix27c's exemptions forged. Each test failed on fix27c; what a user sees: the rule, the file, the line,
the exit code."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import lint_selected, revision_text, run_cli, where, write_files

# -- unsafe-sql-interpolation: an application's __version__ that is not its release string -------------------------

_ENV = {"alembic.ini": "[alembic]\nscript_location = migrations\n",
        "migrations/env.py": "from alembic import context\n\ntarget_metadata = None\n"}

_FORMATTED = """
op.execute(f"UPDATE settings SET made_by = '{app.__version__}'")
op.execute("UPDATE settings SET made_by = '{v}'".format(v=app.__version__))
"""


def _version_findings(tmp_path: Path, init: str) -> tuple[int, list[tuple[str, str, int]]]:
    files = {**_ENV, "app/__init__.py": init,
             "migrations/versions/0001_seed.py": revision_text("0001", None, _FORMATTED, head="import app")}
    code, found = lint_selected(write_files(tmp_path, files), "unsafe-sql-interpolation")
    return code, where(found)


@pytest.mark.parametrize("init", [
    'import os\n__version__ = os.environ["RELEASE"]\n',
    'import os\n__version__ = os.getenv("RELEASE", "0")\n',
    'import sys\n__version__ = sys.argv[1]\n',
    '__version__ = "1.0"\n__version__ = input()\n',
    'import os\n_RAW = os.environ["RELEASE"]\n__version__ = _RAW.strip()\n',
    'from app._version import __version__\n',
], ids=["environ", "getenv", "argv", "bound-twice", "through-a-name", "re-exported"])
def test_a_version_read_from_outside_is_still_reported(tmp_path: Path, init: str) -> None:
    # fix27c trusted any __version__ the application's source did not bind to a literal; these come from the process
    (tmp_path / "app").mkdir()
    (tmp_path / "app/_version.py").write_text('import os\n__version__ = os.environ["RELEASE"]\n')
    assert _version_findings(tmp_path, init) == (1, [("unsafe-sql-interpolation", "0001_seed.py", 10),
                                                     ("unsafe-sql-interpolation", "0001_seed.py", 11)])


@pytest.mark.parametrize("init", [
    '__version__ = "1.0.3"\n',
    'from importlib.metadata import version\n__version__ = version("app")\n',
    'import pathlib\n_HERE = pathlib.Path(__file__).parent\n__version__ = (_HERE / "VERSION").read_text().strip()\n',
    'from app._version import __version__\n',
], ids=["literal", "metadata", "shipped-file", "re-exported"])
def test_a_release_string_still_passes(tmp_path: Path, init: str) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app/_version.py").write_text('__version__ = "2.0"\n')
    assert _version_findings(tmp_path, init) == (0, [])


# -- mixed-schema-and-data-change: INSERTs that list rows yet do more -----------------------------------------------

def _seed_findings(tmp_path: Path, sql: str) -> tuple[int, list[tuple[str, str, int]]]:
    body = f'op.add_column("statuses", sa.Column("rank", sa.Integer()))\nop.execute("""{sql}""")'
    write_files(tmp_path, {"versions/0001_seed.py": revision_text("0001", None, body)})
    run = run_cli("lint", tmp_path, "--no-config", "--no-cache", "--format", "json", "--dialect", "postgresql",
                  "--select", "mixed-schema-and-data-change", "--fail-on", "info")
    return run.exit_code, where(run.json()["findings"])


@pytest.mark.parametrize("sql", [
    # the one-row lookup reads a function, not a table: it may write or take any time
    "INSERT INTO statuses (id) VALUES ((SELECT x FROM wipe_everything() AS f(x) WHERE x = 1))",
    # RETURNING runs its function once per row inserted
    "INSERT INTO statuses (name) VALUES ('open') RETURNING wipe_everything()",
    "WITH i AS (INSERT INTO statuses (name) VALUES ('a') RETURNING wipe_everything() AS id) "
    "INSERT INTO links (id) SELECT id FROM i",
    # the rows a CTE inserted, filtered by a read of another table, or by a function
    "WITH i AS (INSERT INTO statuses (name) VALUES ('a') RETURNING id) "
    "INSERT INTO links (id) SELECT id FROM i WHERE id IN (SELECT id FROM big_table)",
    "WITH i AS (INSERT INTO statuses (name) VALUES ('a') RETURNING id) INSERT INTO links (id) SELECT id FROM i "
    "WHERE wipe_everything()",
    # a bulk load of 1,001 rows is no seed: the DDL's lock is held while it writes them
    "INSERT INTO statuses (id, name) VALUES " + ", ".join(f"({i}, 's{i}')" for i in range(1001)),
], ids=["function-in-from", "returning", "cte-returning", "cte-where-subquery", "cte-where-function", "bulk"])
def test_an_insert_that_does_more_than_list_rows_is_still_reported(tmp_path: Path, sql: str) -> None:
    code, found = _seed_findings(tmp_path, sql)
    assert (code, found) == (1, [("mixed-schema-and-data-change", "0001_seed.py", 11)])


def test_a_listed_seed_with_returning_and_a_keyed_cte_filter_still_passes(tmp_path: Path) -> None:
    assert _seed_findings(tmp_path, "WITH i AS (INSERT INTO statuses (name) VALUES ('a') RETURNING id) "
                                    "INSERT INTO links (id, kind) SELECT id, 'x' FROM i WHERE id = 1") == (0, [])


@pytest.mark.parametrize("rebind", ['app.KIND = os.environ["K"]', 'setattr(app, "KIND", os.environ["K"])'])
def test_an_application_constant_the_revision_rebinds_is_reported(tmp_path: Path, rebind: str) -> None:
    # the application binds KIND to a literal, but the revision sets it from the environment before formatting it in
    # (older than fix27c, which made every package's __version__ such a name)
    body = f"{rebind}\nop.execute(f\"UPDATE settings SET kind = '{{app.KIND}}'\")"
    files = {**_ENV, "app/__init__.py": 'KIND = "status"\n',
             "migrations/versions/0001_seed.py": revision_text("0001", None, body, head="import os\nimport app")}
    code, found = lint_selected(write_files(tmp_path, files), "unsafe-sql-interpolation")
    assert (code, where(found)) == (1, [("unsafe-sql-interpolation", "0001_seed.py", 12)])
