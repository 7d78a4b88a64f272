"""The pre-commit hook, run with the real pre-commit on a real git repository.

pre-commit installs this checkout into an environment of its own with pip
(dependencies come from the package index). ``try-repo`` builds that
environment afresh on every call, so it runs once; the other checks use a
``.pre-commit-config.yaml`` naming a clone without tags by commit SHA, as the
README tells users to (there is no release tag yet), with one environment for
the module.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import FIXTURES, ROOT
from gitrepo import GIT_ENV, git, make_repo, tagless_commit

pytestmark = pytest.mark.slow

FAILING = "migrations/versions/0002_orders_status.py"
PASSING = "migrations/versions/0001_create_orders.py"


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """migcheck's repository at a commit no tag names (this working tree, uncommitted edits included)."""
    return tagless_commit(ROOT, tmp_path_factory.mktemp("hook") / "migcheck")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A repository holding a passing and a failing migration, both staged."""
    return make_repo(tmp_path / "project", copy=FIXTURES / "integrations")


def pre_commit(project: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(home), "NO_COLOR": "1"}
    env.pop("PRE_COMMIT", None)
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *args, "--color", "never"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


def run_hook(
    project: Path, home: Path, hook_repo: tuple[Path, str], *args: str
) -> subprocess.CompletedProcess[str]:
    """``pre-commit run`` with a config naming the hook's repository by commit SHA (`rev: <sha>`)."""
    repo, sha = hook_repo
    config = {"repos": [{"repo": str(repo), "rev": sha, "hooks": [{"id": "migcheck"}]}]}
    (project / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config))
    git(project, "add", ".pre-commit-config.yaml")
    return pre_commit(project, home, "run", *args)


def test_hook_definition() -> None:
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert hook["id"] == "migcheck" and hook["language"] == "python"
    assert hook["entry"] == "migcheck lint" and hook["pass_filenames"] is True


def test_failing_migration_fails_the_hook(project: Path, pre_commit_home: Path) -> None:
    done = pre_commit(project, pre_commit_home, "try-repo", str(ROOT), "migcheck", "--all-files")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "migcheck" in done.stdout and "Failed" in done.stdout
    assert f"{FAILING}:18  create-index-not-concurrently  error:" in done.stdout
    assert f"{FAILING}:16  add-not-null-column-without-default  error:" in done.stdout
    assert PASSING not in done.stdout
    assert "env.py" not in done.stdout


def test_passing_migration_alone_passes(
    project: Path, pre_commit_home: Path, hook_repo: tuple[Path, str]
) -> None:
    done = run_hook(project, pre_commit_home, hook_repo, "--files", PASSING)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Passed" in done.stdout


def test_a_new_revision_is_checked_against_the_history_beside_it(
    project: Path, pre_commit_home: Path, hook_repo: tuple[Path, str]
) -> None:
    """Only the staged file is passed; its parent, committed earlier, is no missing-down-revision."""
    new = project / "migrations" / "versions" / "0003_drop_status.py"
    new.write_text(
        'revision = "0003"\ndown_revision = "0002"\n\n\n'
        'def upgrade():\n    op.drop_column("orders", "status")\n\n\n'
        'def downgrade():\n    op.add_column("orders", sa.Column("status", sa.Text()))\n'
    )
    git(project, "add", str(new))
    done = run_hook(project, pre_commit_home, hook_repo)  # the staged files, as on `git commit`
    assert done.returncode == 1, done.stdout + done.stderr
    assert "migrations/versions/0003_drop_status.py:6  drop-column  error:" in done.stdout
    assert "missing-down-revision" not in done.stdout and FAILING not in done.stdout


def test_autoupdate_freeze_pins_a_tagless_repository_by_sha(
    project: Path, pre_commit_home: Path, hook_repo: tuple[Path, str], tmp_path: Path
) -> None:
    """What the README documents: `pre-commit autoupdate --freeze` writes the newest commit's SHA."""
    upstream = tmp_path / "upstream"
    git(tmp_path, "clone", "-q", str(hook_repo[0]), str(upstream))
    (upstream / "CHANGELOG.md").write_text("newer\n")
    git(upstream, "add", "-A")
    git(upstream, "commit", "-q", "-m", "newer")
    newest = git(upstream, "rev-parse", "HEAD")
    config = {"repos": [{"repo": str(upstream), "rev": hook_repo[1], "hooks": [{"id": "migcheck"}]}]}
    (project / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config))
    done = pre_commit(project, pre_commit_home, "autoupdate", "--freeze")
    assert done.returncode == 0, done.stdout + done.stderr
    (repo,) = yaml.safe_load((project / ".pre-commit-config.yaml").read_text())["repos"]
    assert repo["rev"] == newest
