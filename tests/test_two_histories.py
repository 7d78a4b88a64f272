"""Two histories of one project given together (two alembic.ini, two env dirs): never one graph."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import FIXTURES, run_cli

TWO = FIXTURES / "real-world" / "two-environments" / "db"  # core and tenant both start at a1b2c3d4e5f6


def two_projects(tmp_path: Path) -> tuple[Path, Path]:
    """core/ and tenant/, each an Alembic project with its alembic.ini, env.py and versions/."""
    inis = []
    for name in ("core", "tenant"):
        shutil.copytree(TWO / name, tmp_path / name / "migrations")
        ini = tmp_path / name / "alembic.ini"
        ini.write_text("[alembic]\nscript_location = %(here)s/migrations\n", encoding="utf-8")
        inis.append(ini)
    return inis[0], inis[1]


def rules_of(*args: str | Path) -> list[str]:
    run = run_cli("lint", *args, "-f", "json")
    assert run.exit_code == 0, run.stderr
    return sorted(f["rule"] for f in run.json()["findings"])


def test_lint_two_alembic_ini_files_reports_no_shared_revision_id(tmp_path: Path) -> None:
    core, tenant = two_projects(tmp_path)
    assert rules_of(core, tenant) == ["missing-lock-timeout", "missing-lock-timeout"]


def test_lint_two_versions_directories_of_two_environments(tmp_path: Path) -> None:
    core, tenant = two_projects(tmp_path)
    versions = [ini.parent / "migrations" / "versions" for ini in (core, tenant)]
    assert rules_of(*versions) == ["missing-lock-timeout", "missing-lock-timeout"]


def test_a_real_duplicate_inside_one_history_is_still_reported(tmp_path: Path) -> None:
    core, tenant = two_projects(tmp_path)
    shutil.copy(tenant.parent / "migrations" / "versions" / "0001_start.py",
                core.parent / "migrations" / "versions" / "0001_copy.py")
    run = run_cli("lint", core, tenant, "-f", "json")
    dups = {Path(f["path"]).name for f in run.json()["findings"] if f["rule"] == "duplicate-revision-id"}
    assert dups == {"0001_copy.py", "0001_start.py"} and run.exit_code == 1
    assert all("/core/" in f["path"] for f in run.json()["findings"] if f["rule"] == "duplicate-revision-id")


def test_verify_refuses_two_environments_in_one_line(tmp_path: Path, postgres_service_url: str) -> None:
    core, tenant = two_projects(tmp_path)
    for args in ((core, tenant), (core.parent / "migrations" / "versions", tenant.parent / "migrations" / "versions")):
        run = run_cli("verify", *args, "--db-url", postgres_service_url)
        assert run.exit_code == 2
        lines = run.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in run.stderr
        assert "verify checks one Alembic environment at a time, and these paths hold 2" in lines[0]
        assert "core/migrations/env.py" in lines[0] and "tenant/migrations/env.py" in lines[0]
        assert "duplicate" not in lines[0] and "declared in 2 files" not in lines[0]


def test_verify_each_environment_on_its_own(tmp_path: Path, postgres_service_url: str) -> None:
    for ini in two_projects(tmp_path):
        run = run_cli("verify", ini, "--db-url", postgres_service_url, "-f", "json")
        assert run.exit_code == 0, run.stderr
        assert [(s["revision"], s["status"]) for s in run.json()["verify"]["steps"]] == [
            ("a1b2c3d4e5f6", "ok"), ("b2c3d4e5f6a7" if ini.parent.name == "core" else "c3d4e5f6a7b8", "ok")]
