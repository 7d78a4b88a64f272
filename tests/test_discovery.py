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
