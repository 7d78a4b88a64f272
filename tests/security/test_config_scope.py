"""Threat: a configuration from outside the project switches the check off.

Config lookup walked from the linted path up to the filesystem root, so a ``pyproject.toml`` in any
parent directory (a shared ``/tmp``, a CI workspace holding several checkouts, a home directory)
with ``[tool.migcheck] fail-on = "never"`` turned every finding into a pass. Lookup now stops at
the repository root, as ruff and pytest do, and ``migcheck config`` says where it looked.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from conftest import run_cli

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git to make a repository")

REVISION = textwrap.dedent('''\
    revision = "a"
    down_revision = None

    from alembic import op


    def upgrade():
        op.drop_table("accounts")


    def downgrade():
        pass
    ''')


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """``outer/pyproject.toml`` says fail-on = never; ``outer/repo`` is a clone with a dangerous revision."""
    outer = tmp_path / "outer"
    root = outer / "repo"
    (root / "versions").mkdir(parents=True)
    (root / "versions" / "a.py").write_text(REVISION)
    (outer / "pyproject.toml").write_text('[tool.migcheck]\nfail-on = "never"\nignore = ["drop-table"]\n')
    subprocess.run(["git", "init", "-q"], cwd=root, check=True,
                   env={**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"})
    return root


def test_parent_config_outside_the_repository_is_not_read(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run = run_cli("lint", repo / "versions", "--format", "json")
    assert run.exit_code == 1, run.stdout
    assert "drop-table" in run.rules()
    monkeypatch.chdir(repo)
    run = run_cli("lint", "versions", "--format", "json")
    assert run.exit_code == 1
    assert "drop-table" in run.rules()
    # the repository's own config is still found, and only it
    (repo / "pyproject.toml").write_text('[tool.migcheck]\nfail-on = "warning"\n')
    settings = run_cli("config", "versions", "--json").json()["settings"]
    assert settings["fail-on"] == {"value": "warning", "origin": "pyproject.toml [tool.migcheck]"}
    assert settings["ignore"]["origin"] == "default"


def test_config_shows_where_the_search_stopped(repo: Path) -> None:
    run = run_cli("config", repo / "versions")
    assert run.exit_code == 0
    first = run.stdout.splitlines()[0]
    assert first.startswith("# config file: none found")
    assert str(repo) in first and "repository root" in first
    assert 'fail-on = "error"' in run.stdout and "# default" in run.stdout

