"""Finding revisions from what the user points at."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import FIXTURES, run_cli

DISCOVERY = FIXTURES / "discovery"


def _revisions(*args: str | Path) -> list[str]:
    run = run_cli("lint", *args, "--format", "json")
    assert run.exit_code == 0, run.stdout + run.stderr
    return sorted(r["revision"] for r in run.json()["revisions"])


def test_alembic_ini_with_two_version_locations_and_here() -> None:
    assert _revisions(DISCOVERY / "ini-two-locations" / "alembic.ini") == ["a1", "b2"]


def test_project_root_holding_alembic_ini() -> None:
    assert _revisions(DISCOVERY / "ini-two-locations") == ["a1", "b2"]


def test_path_separator_setting_allows_spaces_in_locations() -> None:
    assert _revisions(DISCOVERY / "ini-separator") == ["a1", "b2"]


def test_pyproject_tool_alembic() -> None:
    assert _revisions(DISCOVERY / "pyproject-alembic") == ["a1"]


def test_package_style_script_location() -> None:
    assert _revisions(DISCOVERY / "package-location") == ["a1"]


def test_single_files_and_directories_merge_into_one_graph() -> None:
    base = DISCOVERY / "ini-two-locations"
    revisions = _revisions(base / "db" / "versions" / "a1_users.py", base / "plugins" / "billing" / "versions")
    assert revisions == ["a1", "b2"]


def test_one_location_alone_reports_the_missing_parent() -> None:
    run = run_cli("lint", DISCOVERY / "ini-two-locations" / "plugins" / "billing" / "versions", "--format", "json")
    assert run.rules() == ["missing-down-revision"]


@pytest.mark.parametrize("name", ["demo"])
def test_demo_project_from_its_root(name: str) -> None:
    run = run_cli("lint", FIXTURES / name, "--format", "json")
    assert run.json()["summary"]["revisions"] == 8


# -- review14: which folders of a script location are read while walking a plain directory ----------------

_REVISION = '''from alembic import op
import sqlalchemy as sa

revision = "{rev}"
down_revision = {down}


def upgrade():
    op.add_column("t", sa.Column("x", sa.Integer(), nullable=False))


def downgrade():
    op.drop_column("t", "x")
'''


def _revision(path: Path, rev: str, down: str | None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_REVISION.format(rev=rev, down=repr(down)))


def _linted(target: Path) -> set[str]:
    from conftest import run_cli

    run = run_cli("lint", target, "--format", "json", "--no-config", "--no-cache", "--fail-on", "never")
    assert run.exit_code == 0, run.output
    return {Path(r["path"]).name for r in run.json()["revisions"]}


def test_a_config_above_the_linted_folder_leaves_every_folder_of_the_script_location_read(tmp_path: Path) -> None:
    """alembic.ini at the project root lists versions/ and seeds/; linting src/ meets no ini on the way, so no
    folder is pruned: seeds/b1.py, which Alembic runs, is linted (the prune of fixU missed it)."""
    (tmp_path / "alembic.ini").write_text(
        "[alembic]\nscript_location = src/db/migrations\n"
        "version_locations = src/db/migrations/versions src/db/migrations/seeds\n")
    migrations = tmp_path / "src" / "db" / "migrations"
    (migrations / "env.py").parent.mkdir(parents=True)
    (migrations / "env.py").write_text("from alembic import context\n")
    _revision(migrations / "versions" / "a1.py", "a1", None)
    _revision(migrations / "seeds" / "b1.py", "b1", "a1")
    assert _linted(tmp_path / "src") == {"a1.py", "b1.py"}


def test_a_config_in_pyproject_leaves_every_folder_read(tmp_path: Path) -> None:
    """[tool.alembic] in pyproject.toml with version_locations and recursive_version_locations: no alembic.ini
    says which folders Alembic reads, so all are."""
    service = tmp_path / "svc"
    service.mkdir()
    (service / "pyproject.toml").write_text(
        '[tool.alembic]\nscript_location = "migrations"\n'
        'version_locations = ["migrations/versions", "migrations/data"]\nrecursive_version_locations = true\n')
    (service / "migrations" / "env.py").parent.mkdir(parents=True)
    (service / "migrations" / "env.py").write_text("from alembic import context\n")
    _revision(service / "migrations" / "versions" / "a1.py", "a1", None)
    _revision(service / "migrations" / "versions" / "2024" / "b1.py", "b1", "a1")
    _revision(service / "migrations" / "data" / "c1.py", "c1", "b1")
    assert _linted(tmp_path) == {"a1.py", "b1.py", "c1.py"}


def test_an_alembic_ini_with_an_impossible_script_location_is_no_traceback(tmp_path: Path) -> None:
    """A committed alembic.ini whose script_location is 5,000 characters long: the walk goes on as without it."""
    service = tmp_path / "svc"
    (service / "migrations" / "env.py").parent.mkdir(parents=True)
    (service / "alembic.ini").write_text("[alembic]\nscript_location = " + "a" * 5000 + "\n")
    (service / "migrations" / "env.py").write_text("from alembic import context\n")
    _revision(service / "migrations" / "versions" / "a1.py", "a1", None)
    assert _linted(tmp_path) == {"a1.py"}
