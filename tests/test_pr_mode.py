"""Pull-request mode against real git repositories made in temporary directories."""

from __future__ import annotations

import os
import shutil
import subprocess
import textwrap
from pathlib import Path
from typing import Any

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


def revision(rev: str, down: str | None, upgrade: str | None = None, downgrade: str | None = None) -> str:
    """A revision file; by default it adds a nullable column (a safe change) and drops it again."""
    if upgrade is None:
        upgrade = f'op.add_column("users", sa.Column("note_{rev}", sa.Text))'
        downgrade = downgrade or f'op.drop_column("users", "note_{rev}")'
    downgrade = downgrade or "pass"
    return textwrap.dedent(f'''\
        """revision {rev}"""
        import sqlalchemy as sa
        from alembic import op

        revision = "{rev}"
        down_revision = {down!r}


        def upgrade():
            {upgrade}


        def downgrade():
            {downgrade}
        ''')


class Repo:
    """A git repository with ``migrations/versions``; ``main`` holds three revisions."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.versions = root / "migrations" / "versions"
        self.versions.mkdir(parents=True)
        # env.py sets lock_timeout, as a well-run project does; missing-lock-timeout stays quiet.
        (root / "migrations" / "env.py").write_text(
            'def on_connect(connection):\n    connection.exec_driver_sql("SET lock_timeout = \'5s\'")\n')
        git(root, "init", "-q", "-b", "main")
        self.write("0001_users.py", revision(
            "0001", None, 'op.create_table("users", sa.Column("id", sa.Integer, primary_key=True), '
            'sa.Column("email", sa.Text))', 'op.drop_table("users")'))
        # An old problem: it is on main already, so pull requests must not hear about it.
        self.write("0002_index.py", revision(
            "0002", "0001", 'op.create_index("ix_users_email", "users", ["email"])',
            'op.drop_index("ix_users_email", table_name="users")'))
        self.write("0003_nickname.py", revision(
            "0003", "0002", 'op.add_column("users", sa.Column("nickname", sa.Text))',
            'op.drop_column("users", "nickname")'))
        self.commit("base")
        git(root, "checkout", "-q", "-b", "feature")

    def write(self, name: str, text: str) -> Path:
        path = self.versions / name
        path.write_text(text, encoding="utf-8")
        return path

    def commit(self, message: str) -> None:
        git(self.root, "add", "-A")
        git(self.root, "commit", "-q", "-m", message)

    def lint(self, *args: str) -> Run:
        return run_cli("lint", self.versions, "--no-config", "--format", "json", *args)


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return Repo(tmp_path / "repo")


def rows(run: Run) -> list[tuple[str, str, int]]:
    findings = run.json()["findings"]
    return [(Path(f["path"]).name, f["rule"], f["line"]) for f in findings if not f["suppressed"]]


def only(run: Run, rule: str) -> dict[str, Any]:
    [finding] = [f for f in run.json()["findings"] if f["rule"] == rule]
    return finding


def test_only_the_new_revision_is_linted(repo: Repo) -> None:
    repo.write("0004_drop.py", revision("0004", "0003", 'op.drop_column("users", "nickname")'))
    repo.commit("drop nickname")
    assert ("0002_index.py", "create-index-not-concurrently", 10) in rows(repo.lint())  # without --base
    run = repo.lint("--base", "main")
    assert rows(run) == [("0004_drop.py", "drop-column", 10), ("0004_drop.py", "missing-downgrade", 13)]
    assert run.json()["summary"]["linted_revisions"] == 1


def test_clean_pull_request_passes(repo: Repo) -> None:
    repo.write("0004_noop.py", revision("0004", "0003"))
    repo.commit("noop")
    run = repo.lint("--base", "main")
    assert run.exit_code == 0
    assert rows(run) == []


def test_untracked_and_uncommitted_files_count(repo: Repo) -> None:
    repo.write("0004_drop.py", revision("0004", "0003", 'op.drop_table("users")'))  # not even git-added
    assert ("0004_drop.py", "drop-table", 10) in rows(repo.lint("--base", "main"))


def test_modified_applied_migration(repo: Repo) -> None:
    path = repo.versions / "0003_nickname.py"
    path.write_text(path.read_text().replace('sa.Column("nickname", sa.Text)',
                                             'sa.Column("nickname", sa.Text, nullable=False)'))
    repo.commit("edit an applied migration")
    run = repo.lint("--base", "main")
    finding = only(run, "modified-applied-migration")
    assert (Path(finding["path"]).name, finding["line"]) == ("0003_nickname.py", 10)
    assert finding["revision"] == "0003"
    assert finding["message"].startswith("revision 0003 exists on main and was edited")
    assert "git checkout" in finding["fix"] and "migrations/versions/0003_nickname.py" in finding["fix"]
    assert run.exit_code == 1
    # The edited file is linted again, as a changed file.
    assert ("0003_nickname.py", "add-not-null-column-without-default", 10) in rows(run)


def test_comment_only_edit_is_not_a_modification(repo: Repo) -> None:
    path = repo.versions / "0002_index.py"
    path.write_text(path.read_text().replace(
        '["email"])', '["email"])  # migcheck: ignore[create-index-not-concurrently] -- 12 rows in 2019'))
    repo.commit("explain an old index")
    run = repo.lint("--base", "main")
    assert rows(run) == []
    assert run.exit_code == 0


def test_renamed_file_is_not_a_modification(repo: Repo) -> None:
    git(repo.root, "mv", "migrations/versions/0003_nickname.py", "migrations/versions/0003_add_nickname.py")
    repo.commit("rename")
    assert rows(repo.lint("--base", "main")) == []


def test_deleted_migration(repo: Repo) -> None:
    (repo.versions / "0003_nickname.py").unlink()
    repo.commit("delete")
    finding = only(repo.lint("--base", "main"), "deleted-migration")
    assert (Path(finding["path"]).name, finding["line"]) == ("0003_nickname.py", 1)
    assert finding["revision"] == "0003"
    assert "Can't locate revision identified by '0003'" in finding["message"]


def test_new_revision_not_on_base_head(repo: Repo) -> None:
    repo.write("0004_feature.py", revision("0004f", "0003"))
    repo.commit("feature revision")
    git(repo.root, "checkout", "-q", "main")
    repo.write("0004_main.py", revision("0004m", "0003"))
    repo.commit("main moved on")
    git(repo.root, "checkout", "-q", "feature")

    run = repo.lint("--base", "main")
    finding = only(run, "new-revision-not-on-base-head")
    assert (Path(finding["path"]).name, finding["line"]) == ("0004_feature.py", 6)
    assert "follows 0003, which is not a head of main (head: 0004m)" in finding["message"]
    assert finding["fix"] == 'down_revision = "0004m"  # rebase onto the head of main'
    assert run.exit_code == 1

    # Rebased onto main, the revision still follows the old head...
    git(repo.root, "rebase", "-q", "main")
    assert only(repo.lint("--base", "main"), "new-revision-not-on-base-head")["line"] == 6
    # ... until its down_revision names the new one.
    repo.write("0004_feature.py", revision("0004f", "0004m"))
    repo.commit("rebase revision")
    assert rows(repo.lint("--base", "main")) == []


def test_a_chain_of_new_revisions_is_fine(repo: Repo) -> None:
    repo.write("0004_a.py", revision("0004", "0003"))
    repo.write("0005_b.py", revision("0005", "0004"))
    repo.commit("two revisions")
    assert rows(repo.lint("--base", "main")) == []


def test_graph_faults_outside_the_pull_request_are_not_reported(repo: Repo) -> None:
    git(repo.root, "checkout", "-q", "main")
    repo.write("0000_orphan.py", revision("0000x", "gone"))  # main already has a broken revision
    repo.commit("broken revision on main")
    git(repo.root, "checkout", "-q", "-B", "feature")
    repo.write("0004_noop.py", revision("0004", "0003"))
    repo.commit("feature")
    assert ("0000_orphan.py", "missing-down-revision", 6) in rows(repo.lint())
    assert rows(repo.lint("--base", "main")) == []


def test_head_created_by_the_pull_request_is_reported_on_its_file(repo: Repo) -> None:
    repo.write("0004_a.py", revision("0004a", "0003"))
    repo.write("0004_b.py", revision("0004b", "0003"))
    repo.commit("two new heads")
    assert sorted(r[0] for r in rows(repo.lint("--base", "main")) if r[1] == "multiple-heads") == [
        "0004_a.py", "0004_b.py",
    ]


def test_any_ref_works(repo: Repo) -> None:
    base = git(repo.root, "rev-parse", "HEAD")
    git(repo.root, "tag", "v1")
    repo.write("0004_drop.py", revision("0004", "0003", 'op.drop_table("users")'))
    repo.commit("drop")
    for ref in (base, base[:8], "v1", "HEAD~1"):
        assert ("0004_drop.py", "drop-table", 10) in rows(repo.lint("--base", ref)), ref


# --- what to fetch ----------------------------------------------------------------------------


def test_missing_base_ref(repo: Repo) -> None:
    run = repo.lint("--base", "origin/main")
    assert run.exit_code == 2
    assert run.stderr == ("migcheck: error: base ref 'origin/main' not found in this clone; fetch it first: "
                          "git fetch origin main\n")


def test_shallow_clone_without_the_base(repo: Repo, tmp_path: Path) -> None:
    repo.write("0004_noop.py", revision("0004", "0003"))
    repo.commit("feature")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "1", "--branch", "feature", repo.root.as_uri(), str(clone))
    versions = clone / "migrations" / "versions"

    run = run_cli("lint", versions, "--no-config", "--base", "origin/main")
    assert run.exit_code == 2
    assert "is not in this shallow clone" in run.stderr
    assert "git fetch origin main --unshallow" in run.stderr and "fetch-depth: 0" in run.stderr

    # The base ref fetched, but only its tip: still no merge base.
    git(clone, "fetch", "-q", "--depth", "1", "origin", "main:refs/remotes/origin/main")
    run = run_cli("lint", versions, "--no-config", "--base", "origin/main")
    assert run.exit_code == 2
    assert "no merge base between HEAD and origin/main: this clone is shallow" in run.stderr
    assert "git fetch --unshallow" in run.stderr

    git(clone, "fetch", "-q", "--unshallow", "origin")
    run = run_cli("lint", versions, "--no-config", "--base", "origin/main", "--format", "json")
    assert run.exit_code == 0, run.stderr
    assert run.json()["summary"]["linted_revisions"] == 1


def test_not_a_git_repository(tmp_path: Path) -> None:
    versions = tmp_path / "versions"
    versions.mkdir()
    (versions / "a.py").write_text(revision("a", None), encoding="utf-8")
    # GIT_CEILING_DIRECTORIES stops git from finding a repository above the temp dir.
    run = run_cli("lint", versions, "--no-config", "--base", "main",
                  env={"GIT_CEILING_DIRECTORIES": str(tmp_path)})
    assert run.exit_code == 2
    assert "--base needs a git repository" in run.stderr
    assert "Traceback" not in run.stderr


def test_no_common_history(repo: Repo) -> None:
    git(repo.root, "checkout", "-q", "--orphan", "unrelated")
    git(repo.root, "commit", "-q", "-m", "unrelated")
    run = repo.lint("--base", "main")
    assert run.exit_code == 2
    assert "share no history" in run.stderr


@pytest.mark.parametrize(
    "rule_id", ["modified-applied-migration", "deleted-migration", "new-revision-not-on-base-head"]
)
def test_rule_is_documented(rule_id: str) -> None:
    run = run_cli("explain", rule_id)
    assert run.exit_code == 0
    assert run.stdout.startswith(f"# {rule_id}\n")
    headings = [line for line in run.stdout.splitlines() if line.startswith("## ")]
    assert headings == ["## What it finds", "## Why it hurts", "## Example", "## Safe alternative"]
