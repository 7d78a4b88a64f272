"""Threat: files in the pull request that are not what their names say.

``versions/x.py -> /dev/zero`` (an endless read), ``-> /etc/passwd`` or any file outside the
project (its content would reach the report), a FIFO named ``z.py`` (a read that never returns),
a 1 GB file. Before the fix migcheck read each of them as a revision: the run hung, ran out of
memory, or linted a file outside the project. Now only regular files are read, never through a
symlink that leads out of the project, at most readfile.MAX_BYTES each; every skipped file is one
``invalid-migration-file`` finding and every other file is still linted.

Each run is a separate process with a time and memory limit, so the old behaviour fails the test
instead of hanging the suite.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

GOOD = textwrap.dedent('''\
    revision = "a"
    down_revision = None

    from alembic import op


    def upgrade():
        op.drop_table("accounts")


    def downgrade():
        pass
    ''')

OUTSIDE = textwrap.dedent('''\
    revision = "secret"
    down_revision = "a"
    PASSWORD = "hunter2"

    from alembic import op


    def upgrade():
        op.drop_table("secrets")


    def downgrade():
        pass
    ''')


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (2 * 1024**3, 2 * 1024**3))


def lint(*args: str | Path, cwd: Path) -> tuple[int, dict[str, Any], str]:
    try:
        done = subprocess.run([sys.executable, "-m", "migcheck", "lint", "--no-config", "--format", "json",
                               *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=60,
                              preexec_fn=_limits)
    except subprocess.TimeoutExpired:
        pytest.fail("migcheck did not finish within 60 s")
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    return done.returncode, json.loads(done.stdout), done.stderr


def findings(report: dict[str, Any]) -> dict[tuple[str, str], str]:
    return {(Path(f["path"]).name, f["rule"]): f["message"] for f in report["findings"]}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project (a git checkout: ``.git`` marks where it ends) with one good revision."""
    root = tmp_path / "project"
    (root / ".git").mkdir(parents=True)
    (root / "versions").mkdir()
    (root / "versions" / "a_good.py").write_text(GOOD)
    return root


def assert_skipped_alone(project: Path, name: str, *words: str) -> None:
    code, report, _ = lint("versions", cwd=project)
    found = findings(report)
    assert code == 1
    assert ("a_good.py", "drop-table") in found, found
    message = found[(name, "invalid-migration-file")]
    for word in words:
        assert word in message, message
    assert not any(f["path"].endswith(name) and f["rule"] != "invalid-migration-file"
                   for f in report["findings"])


def test_symlink_to_dev_zero(project: Path) -> None:
    (project / "versions" / "x.py").symlink_to("/dev/zero")
    assert_skipped_alone(project, "x.py", "outside the project")


def test_symlink_to_a_file_outside_the_project(project: Path, tmp_path: Path) -> None:
    secret = tmp_path / "elsewhere" / "secret.py"
    secret.parent.mkdir()
    secret.write_text(OUTSIDE)
    (project / "versions" / "x.py").symlink_to(secret)
    assert_skipped_alone(project, "x.py", "a symlink to", "outside the project")
    _, report, _ = lint("versions", cwd=project)
    assert "secrets" not in json.dumps(report) and "secret" not in report["graph"]["heads"]


def test_symlinked_versions_directory_outside_the_project(project: Path, tmp_path: Path) -> None:
    """alembic.ini leads to ``migrations/versions``, which the PR made a symlink to another directory."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "secret.py").write_text(OUTSIDE)
    (project / "migrations").mkdir()
    (project / "migrations" / "versions").symlink_to(elsewhere)
    (project / "alembic.ini").write_text("[alembic]\nscript_location = migrations\n")
    code, report, _ = lint(cwd=project)
    assert code == 1
    assert "outside the project" in findings(report)[("secret.py", "invalid-migration-file")]
    assert "drop-table" not in {f["rule"] for f in report["findings"]}


def test_fifo_named_like_a_revision(project: Path) -> None:
    os.mkfifo(project / "versions" / "z.py")
    assert_skipped_alone(project, "z.py", "a FIFO")


def test_fifo_named_alone(project: Path) -> None:
    """pre-commit names the file; a FIFO there must not block."""
    os.mkfifo(project / "versions" / "z.py")
    code, report, _ = lint("versions/z.py", cwd=project)
    assert code == 1
    assert "a FIFO" in findings(report)[("z.py", "invalid-migration-file")]


def test_one_gigabyte_file(project: Path) -> None:
    big = project / "versions" / "big.py"
    with big.open("wb") as handle:  # sparse: takes no disk space
        handle.truncate(1024**3)
    assert_skipped_alone(project, "big.py", "1024 MiB", "over the 32 MiB")


def test_offline_sql_symlink_and_fifo(project: Path) -> None:
    (project / "sql").mkdir()
    os.mkfifo(project / "sql" / "fifo.sql")
    (project / "sql" / "zero.sql").symlink_to("/dev/zero")
    code, report, _ = lint("sql/fifo.sql", "sql/zero.sql", cwd=project)
    found = findings(report)
    assert code == 1
    assert "a FIFO" in found[("fifo.sql", "invalid-migration-file")]
    assert "outside the project" in found[("zero.sql", "invalid-migration-file")]


def test_config_files_linked_to_dev_zero(project: Path) -> None:
    """alembic.ini and pyproject.toml can be committed as symlinks too: one clear line, no hang."""
    (project / "alembic.ini").symlink_to("/dev/zero")
    done = subprocess.run([sys.executable, "-m", "migcheck", "lint", "alembic.ini"], cwd=project,
                          capture_output=True, text=True, timeout=60, preexec_fn=_limits)
    assert (done.returncode, done.stderr.count("\n")) == (2, 1), done.stderr
    assert "cannot read alembic.ini: not read: a character device" in done.stderr
    (project / "alembic.ini").unlink()
    (project / "pyproject.toml").symlink_to("/dev/zero")
    done = subprocess.run([sys.executable, "-m", "migcheck", "lint", "versions", "--format", "json"], cwd=project,
                          capture_output=True, text=True, timeout=60, preexec_fn=_limits)
    assert done.returncode == 1, done.stderr  # no config found there: the defaults, and the revision linted
    assert "drop-table" in done.stdout
