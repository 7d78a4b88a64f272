"""A file no rule could read is never a green pass because the rules were narrowed with ``select``."""

from __future__ import annotations

from pathlib import Path

from conftest import findings_of, run_cli, write_files

BROKEN = """\
revision = "a1"
down_revision = None
from alembic import op


def upgrade():
    op.drop_column("users", "email"
"""


def _project(tmp_path: Path, config: str = "") -> Path:
    files = {"versions/a1_broken.py": BROKEN}
    if config:
        files["pyproject.toml"] = config
    return write_files(tmp_path, files)


def test_select_of_other_rules_still_reports_a_file_that_cannot_be_read(tmp_path: Path) -> None:
    root = _project(tmp_path)
    run = run_cli("lint", root / "versions", "--no-config", "--select", "drop-column", "--format", "json")
    assert run.exit_code == 1
    [finding] = findings_of(run, "invalid-migration-file")
    assert finding["path"].endswith("a1_broken.py")
    assert finding["line"] == 7


def test_select_in_the_config_file_keeps_it_too(tmp_path: Path) -> None:
    root = _project(tmp_path, '[tool.migcheck]\nselect = ["drop-column"]\n')
    run = run_cli("lint", root / "versions", "--config", root / "pyproject.toml", "--format", "json")
    assert run.exit_code == 1
    assert findings_of(run, "invalid-migration-file")


def test_only_an_explicit_ignore_drops_it(tmp_path: Path) -> None:
    root = _project(tmp_path)
    run = run_cli("lint", root / "versions", "--no-config", "--select", "drop-column",
                  "--ignore", "invalid-migration-file", "--format", "json")
    assert run.exit_code == 0
    assert not findings_of(run, "invalid-migration-file")
