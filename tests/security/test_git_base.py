"""Threat: a pull request plants a fake git repository so that ``lint --base`` runs its commands.

Before the fix, gitbase.py ran git with its working directory inside the linted tree. A PR that
commits ``HEAD``, ``config``, ``objects/`` and ``refs/`` as ``migrations/versions/`` (or as
``migrations/``) made git use the PR's ``config``: ``core.fsmonitor = "<cmd>"`` ran ``<cmd>``
during ``git diff``, and the fake refs decided what "the base" looked like, which hid
``modified-applied-migration``. Here the attack is built for real and must achieve nothing.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import textwrap
from pathlib import Path

import pytest

from conftest import Run, run_cli

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="pull-request mode needs the git command")

GIT_ENV = {
    "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
}


def git(repo: Path, *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True,
                          env={**os.environ, **GIT_ENV}, check=True)
    return proc.stdout.strip()


def revision(rev: str, down: str | None, column: str) -> str:
    return textwrap.dedent(f'''\
        revision = "{rev}"
        down_revision = {down!r}

        from alembic import op
        import sqlalchemy as sa


        def upgrade():
            op.add_column("users", sa.Column("{column}", sa.Text))


        def downgrade():
            op.drop_column("users", "{column}")
        ''')


def plant_fake_repository(folder: Path, root: Path, forged_base: str, marker: Path) -> None:
    """A working repository as an attacker commits it: HEAD, config, objects/, refs/, hooks.

    ``objects/info/alternates`` borrows the real object store (a relative path), ``refs/heads/main``
    names ``forged_base`` (a commit of the PR that already holds its edit, so the edit looks applied),
    ``core.worktree`` is the planted folder's own path (predictable on CI runners), and ``core.fsmonitor`` and
    every hook run a command that creates ``marker``.
    """
    command = f"touch {marker}"
    (folder / "HEAD").write_text("ref: refs/heads/main\n")
    (folder / "config").write_text(textwrap.dedent(f"""\
        [core]
        \trepositoryformatversion = 0
        \tbare = false
        \tworktree = {folder}
        \tfsmonitor = "{command}; false"
        \thooksPath = hooks
        [diff]
        \texternal = "{command}"
        """))
    (folder / "objects" / "info").mkdir(parents=True)
    real_objects = os.path.relpath(root / ".git" / "objects", folder / "objects")
    (folder / "objects" / "info" / "alternates").write_text(real_objects + "\n")
    (folder / "refs" / "heads").mkdir(parents=True)
    (folder / "refs" / "heads" / "main").write_text(forged_base + "\n")
    (folder / "hooks").mkdir()
    for hook in ("post-index-change", "pre-commit", "post-checkout", "reference-transaction"):
        script = folder / "hooks" / hook
        script.write_text(f"#!/bin/sh\n{command}\n")
        script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


@pytest.fixture(params=["migrations/versions", "migrations"])
def attacked(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, Path]:
    """main has two revisions; the PR edits the applied one, then plants the fake repository."""
    root = tmp_path / "repo"
    versions = root / "migrations" / "versions"
    versions.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    (versions / "0001_users.py").write_text(revision("0001", None, "a"))
    (versions / "0002_note.py").write_text(revision("0002", "0001", "b"))
    (root / "alembic.ini").write_text("[alembic]\nscript_location = migrations\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    git(root, "checkout", "-q", "-b", "pr")
    # the PR edits an applied revision: the real base must report it
    (versions / "0002_note.py").write_text(revision("0002", "0001", "changed"))
    git(root, "commit", "-q", "-am", "edit")
    marker = tmp_path / "PWNED"
    plant_fake_repository(root / request.param, root, git(root, "rev-parse", "HEAD"), marker)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "innocent pull request")
    return root, marker


def lint(*args: str | Path) -> Run:
    return run_cli("lint", "--no-config", "--format", "json", "--base", "main", *args)


def test_fake_repository_runs_nothing_from_the_root(attacked: tuple[Path, Path],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """What the Action runs: ``migcheck lint --base <base>`` at the root, alembic.ini leading to the versions."""
    root, marker = attacked
    monkeypatch.chdir(root)
    run = lint()
    assert not marker.exists(), "a command planted in the pull request ran"
    assert run.exit_code == 1, run.stderr
    [edited] = [f for f in run.json()["findings"] if f["rule"] == "modified-applied-migration"]
    assert edited["path"] == "migrations/versions/0002_note.py"


def test_fake_repository_runs_nothing_on_the_versions_dir(attacked: tuple[Path, Path],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    root, marker = attacked
    monkeypatch.chdir(root)
    run = lint("migrations/versions")
    assert not marker.exists(), "a command planted in the pull request ran"
    assert run.exit_code == 1, run.stderr
    assert "modified-applied-migration" in run.rules()


def test_fake_repository_runs_nothing_when_run_from_inside_it(attacked: tuple[Path, Path],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Even with the working directory inside the planted folder, the real repository is used."""
    root, marker = attacked
    monkeypatch.chdir(root / "migrations" / "versions")
    run = lint(".")
    assert not marker.exists(), "a command planted in the pull request ran"
    assert run.exit_code == 1, run.stderr
    assert "modified-applied-migration" in run.rules()


def test_fake_repository_runs_nothing_from_elsewhere(attacked: tuple[Path, Path]) -> None:
    """From a directory outside the repository (the tests' own checkout), naming the versions dir."""
    root, marker = attacked
    run = lint(root / "migrations" / "versions")
    assert not marker.exists(), "a command planted in the pull request ran"
    assert run.exit_code == 1, run.stderr
    assert "modified-applied-migration" in run.rules()


def test_a_line_break_in_a_committed_name_cannot_shift_blob_answers(tmp_path: Path) -> None:
    """`git cat-file --batch` reads one spec per line: a committed file named `b.py\\nHEAD:x.py` made
    the next file's text come back as x.py's, so a pull request could forge what a base revision held."""
    from gitrepo import make_repo
    from migcheck.sources.git import locate, read_blobs

    root = tmp_path / "repo"
    root.mkdir()
    (root / "a.py").write_text("A\n", encoding="utf-8")
    (root / "b.py\nHEAD:x.py").write_text("B\n", encoding="utf-8")
    (root / "c.py").write_text("C\n", encoding="utf-8")
    (root / "x.py").write_text("X\n", encoding="utf-8")
    make_repo(root)
    texts = read_blobs(locate([root]), ["HEAD:a.py", "HEAD:b.py\nHEAD:x.py", "HEAD:c.py"])
    assert texts == ["A\n", None, "C\n"]
