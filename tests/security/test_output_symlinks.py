"""Threat: a pull request commits the report's file name as a symlink, so the report overwrites another file.

CI writes reports into the checkout of the pull request: the Action's ``sarif-file: migcheck.sarif``
(docs/integrations.md), ``--format sarif:results.sarif``. Before the fix, a committed
``migcheck.sarif -> ~/.gitconfig`` (or ``reports -> /elsewhere`` with ``sarif:reports/x.sarif``) made
migcheck open the target for writing and replace it with the report. Now such a path is one error
line, exit 2, and the target is untouched; links inside the project, and links outside it that the
pull request cannot have made (``/tmp`` on macOS), are followed as before.
"""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

import pytest

from conftest import run_cli

REVISION = textwrap.dedent('''\
    revision = "a1"
    down_revision = None
    from alembic import op


    def upgrade():
        op.drop_table("accounts")


    def downgrade():
        pass
    ''')


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "checkout"
    (root / "versions").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / "versions" / "a1_accounts.py").write_text(REVISION)
    monkeypatch.chdir(root)
    return root


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    folder = tmp_path / "home"
    folder.mkdir()
    (folder / ".gitconfig").write_text("[user]\n\tname = runner\n")
    return folder


def test_a_committed_report_file_linked_out_is_not_written(project: Path, outside: Path) -> None:
    (project / "migcheck.sarif").symlink_to(outside / ".gitconfig")
    run = run_cli("lint", "versions", "--no-cache", "--format", "sarif:migcheck.sarif")
    assert run.exit_code == 2
    assert run.stderr.count("\n") == 1
    assert "cannot write sarif report to migcheck.sarif" in run.stderr and "outside the project" in run.stderr
    assert (outside / ".gitconfig").read_text() == "[user]\n\tname = runner\n"


def test_a_committed_folder_linked_out_is_not_written_into(project: Path, outside: Path) -> None:
    (project / "reports").symlink_to(outside, target_is_directory=True)
    run = run_cli("lint", "versions", "--no-cache", "--format", "json:reports/new/report.json")
    assert run.exit_code == 2
    assert "reports is a symlink to" in run.stderr
    assert sorted(p.name for p in outside.iterdir()) == [".gitconfig"]


def test_a_dangling_link_out_is_not_created(project: Path, outside: Path) -> None:
    (project / "migcheck.sarif").symlink_to(outside / ".bashrc")
    assert run_cli("lint", "versions", "--no-cache", "--format", "sarif:migcheck.sarif").exit_code == 2
    assert not (outside / ".bashrc").exists()


def test_links_inside_the_project_and_paths_outside_it_are_still_written(project: Path, outside: Path,
                                                                         tmp_path: Path) -> None:
    (project / "build").mkdir()
    (project / "reports").symlink_to(project / "build", target_is_directory=True)
    linked_elsewhere = tmp_path / "linked-home"  # not in the project: not the pull request's link
    linked_elsewhere.symlink_to(outside, target_is_directory=True)
    run = run_cli("lint", "versions", "--no-cache", "--format", "sarif:reports/x.sarif",
                  "--format", f"json:{outside / 'plain.json'}", "--format", f"json:{linked_elsewhere / 'via.json'}")
    assert run.exit_code == 1, run.stderr
    assert json.loads((project / "build" / "x.sarif").read_text())["version"] == "2.1.0"
    assert json.loads((outside / "plain.json").read_text())["findings"][0]["rule"] == "drop-table"
    assert (outside / "via.json").is_file()
