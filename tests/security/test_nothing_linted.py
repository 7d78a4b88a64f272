"""Threat: a run that lints nothing and passes, so CI shows green for a pull request nobody checked.

Before the fix, an unreadable versions directory, a path with no revisions, a directory of only
``.sql`` files, ``--select ''`` and ``--exclude '*'`` all printed "No problems found (0 revisions
in 0 files)" and exited 0. A PR (or a config edit in it) could use any of them to switch the check
off. Linting nothing is exit 2 with one line saying what was found where; ``.sql`` files in a
directory are linted as offline SQL.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import Run, run_cli

REVISION = textwrap.dedent('''\
    revision = "a"
    down_revision = None

    from alembic import op


    def upgrade():
        op.drop_table("accounts")


    def downgrade():
        pass
    ''')

OFFLINE_SQL = textwrap.dedent("""\
    BEGIN;

    CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL);

    -- Running upgrade  -> a1

    CREATE INDEX ix_users_email ON users (email);

    INSERT INTO alembic_version (version_num) VALUES ('a1');

    COMMIT;
    """)


def lint(*args: str | Path) -> Run:
    return run_cli("lint", "--no-config", "--format", "json", *args)


def assert_refused(run: Run, *words: str) -> None:
    assert run.exit_code == 2, (run.exit_code, run.stdout, run.stderr)
    assert run.stdout == ""
    [line] = run.stderr.splitlines()
    assert line.startswith("migcheck: error: ")
    for word in words:
        assert word in line, line


def test_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "versions").mkdir()
    assert_refused(lint(tmp_path / "versions"), "no revision files", "versions")


def test_directory_without_revisions(tmp_path: Path) -> None:
    """The wrong directory: Python files, none of them an Alembic revision."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text("def main():\n    return 1\n")
    (tmp_path / "src" / "models.py").write_text("X = 1\n")
    assert_refused(lint(tmp_path / "src"), "no Alembic revision", "2 .py files", "src")


def test_directory_of_sql_files_is_linted_as_offline_sql(tmp_path: Path) -> None:
    (tmp_path / "sql").mkdir()
    (tmp_path / "sql" / "upgrade.sql").write_text(OFFLINE_SQL)
    run = lint(tmp_path / "sql")
    assert run.exit_code == 1, run.stderr
    [finding] = [f for f in run.json()["findings"] if f["rule"] == "create-index-not-concurrently"]
    assert (Path(finding["path"]).name, finding["line"]) == ("upgrade.sql", 7)


def test_select_nothing(tmp_path: Path) -> None:
    (tmp_path / "versions").mkdir()
    (tmp_path / "versions" / "a.py").write_text(REVISION)
    assert_refused(lint(tmp_path / "versions", "--select", ""), "no rule", "--select")


def test_exclude_everything(tmp_path: Path) -> None:
    (tmp_path / "versions").mkdir()
    (tmp_path / "versions" / "a.py").write_text(REVISION)
    assert_refused(lint(tmp_path / "versions", "--exclude", "*"), "1 file", "excluded", "--exclude")


def test_exclude_everything_from_a_config_file(tmp_path: Path) -> None:
    """A pull request that edits pyproject.toml to exclude every revision does not pass either."""
    (tmp_path / "versions").mkdir()
    (tmp_path / "versions" / "a.py").write_text(REVISION)
    (tmp_path / "pyproject.toml").write_text('[tool.migcheck]\nexclude = ["versions"]\n')
    run = run_cli("lint", tmp_path / "versions", "--config", tmp_path / "pyproject.toml")
    assert_refused(run, "excluded", "pyproject.toml")


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A temp dir another user can enter (pytest's own are private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="migcheck-unreadable-"))
    folder.chmod(0o755)
    yield folder
    for root, dirs, _ in os.walk(folder):
        for name in dirs:
            (Path(root) / name).chmod(0o755)
    shutil.rmtree(folder)


def run_unprivileged(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``migcheck ARGS`` as a user without root's right to read any directory."""
    prefix = []
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv: cannot make a directory unreadable")
        prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        probe = subprocess.run([*prefix, sys.executable, "-c", "import migcheck"], capture_output=True, text=True,
                               check=False)
        if probe.returncode != 0:  # e.g. a pyenv Python whose libpython sits under /root (0700)
            reason = (probe.stderr.strip().splitlines() or ["no output"])[-1]
            pytest.skip(f"this Python cannot run as uid 65534 here: {reason}")
    return subprocess.run([*prefix, sys.executable, "-m", "migcheck", "lint", "--no-config", *map(str, args)],
                          cwd=cwd, capture_output=True, text=True, env={**os.environ, "MIGCHECK_CACHE_DIR": ""})


def test_unreadable_versions_directory(shared_tmp: Path) -> None:
    """alembic.ini leads to a versions directory this user cannot list."""
    (shared_tmp / "migrations" / "versions").mkdir(parents=True)
    (shared_tmp / "migrations" / "versions" / "a.py").write_text(REVISION)
    (shared_tmp / "alembic.ini").write_text("[alembic]\nscript_location = migrations\n")
    (shared_tmp / "migrations" / "versions").chmod(0o000)
    done = run_unprivileged(cwd=shared_tmp)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stdout == ""
    [line] = done.stderr.splitlines()
    assert line.startswith("migcheck: error: cannot read") and "versions" in line, line


def test_unreadable_directory_in_a_project(shared_tmp: Path) -> None:
    """Walking a project: an unreadable folder is named on stderr; what can be read is linted."""
    (shared_tmp / "db" / "versions").mkdir(parents=True)
    (shared_tmp / "db" / "versions" / "a.py").write_text(REVISION)
    (shared_tmp / "private").mkdir()
    (shared_tmp / "private").chmod(0o000)
    done = run_unprivileged(".", cwd=shared_tmp)
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "drop-table" in done.stdout
    assert "migcheck: note: cannot read" in done.stderr and "private" in done.stderr
