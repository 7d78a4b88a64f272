"""``migcheck lint migrations`` on a Flask-Migrate project (held-out-30): its ``migrations/alembic.ini`` names no
script location (``flask db`` passes the directory) or one relative to the project root, so read from the folder
itself it named none that exists and lint stopped with an error before reading a revision."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import run_cli, write_files

_ENV = "from alembic import context\n\ntarget_metadata = None\n"
_REVISION = '''from alembic import op

revision = "0001"
down_revision = None


def upgrade():
    op.drop_table("accounts")


def downgrade():
    pass
'''
_FLASK_INI = "[alembic]\n# template used to generate migration files\n\n[loggers]\nkeys = root\n"


@pytest.mark.parametrize("ini", [_FLASK_INI, "[alembic]\nscript_location = migrations\n"],
                         ids=["no-script-location", "relative-to-the-project-root"])
def test_a_flask_migrate_folder_is_its_own_script_location(tmp_path: Path, ini: str) -> None:
    project = write_files(tmp_path / "app", {"migrations/alembic.ini": ini, "migrations/env.py": _ENV,
                                              "migrations/versions/0001_drop.py": _REVISION})
    run = run_cli("lint", project / "migrations", "--no-config", "--no-cache", "--format", "json",
                  "--dialect", "postgresql", "--select", "drop-table")
    assert run.exit_code == 1, run.stderr
    assert [(f["rule"], Path(str(f["path"])).name, f["line"]) for f in run.json()["findings"]] == [
        ("drop-table", "0001_drop.py", 8)]


def test_an_alembic_ini_naming_a_missing_location_is_still_an_error(tmp_path: Path) -> None:
    """Without env.py and versions/ beside it, the folder is no script location: the ini's word stands."""
    project = write_files(tmp_path / "app", {"alembic.ini": "[alembic]\nscript_location = alembic\n",
                                              "migrations/env.py": _ENV,
                                              "migrations/versions/0001_drop.py": _REVISION})
    run = run_cli("lint", project, "--no-config", "--no-cache", "--dialect", "postgresql")
    assert run.exit_code == 2
    assert "version location does not exist" in run.stderr and "Traceback" not in run.stderr


def test_an_alembic_ini_naming_its_own_folder_is_followed(tmp_path: Path) -> None:
    """An ini whose script_location exists keeps its word (here: its version_locations, not versions/)."""
    project = write_files(tmp_path / "app", {
        "migrations/alembic.ini": "[alembic]\nscript_location = %(here)s\nversion_locations = %(here)s/other\n",
        "migrations/env.py": _ENV, "migrations/versions/0001_drop.py": _REVISION,
        "migrations/other/0002_drop.py": _REVISION.replace('"0001"', '"0002"')})
    run = run_cli("lint", project / "migrations", "--no-config", "--no-cache", "--format", "json",
                  "--dialect", "postgresql", "--select", "drop-table")
    assert [Path(str(f["path"])).name for f in run.json()["findings"]] == ["0002_drop.py"]
