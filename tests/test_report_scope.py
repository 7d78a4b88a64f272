"""Every report format states the same scope as the text report: how many revisions were linted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import FIXTURES, run_cli
from gitrepo import git, make_repo


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = make_repo(tmp_path / "repo", copy=FIXTURES / "integrations")
    monkeypatch.chdir(root)
    return root


def _every_format(*args: str) -> dict[str, str]:
    out = {}
    for name in ("text", "concise", "github", "markdown", "sarif", "json"):
        run = run_cli("lint", ".", *args, "--output-format", name, env={"NO_COLOR": "1"})
        assert run.exit_code in (0, 1), run.stderr
        out[name] = run.stdout
    return out


def _assert_scope(reports: dict[str, str], scope: str, linted: int, revisions: int) -> None:
    for name in ("text", "concise", "github"):
        assert reports[name].splitlines()[-1].endswith(f"({scope})."), name
    assert f"({scope})." in reports["markdown"].splitlines()[2]
    assert json.loads(reports["sarif"])["runs"][0]["properties"]["scope"] == scope
    summary = json.loads(reports["json"])["summary"]
    assert (summary["linted_revisions"], summary["revisions"]) == (linted, revisions)


def test_a_baseline_run_says_how_much_it_linted_in_every_format(repo: Path) -> None:
    reports = _every_format("--baseline", "0001")
    _assert_scope(reports, "1 of 2 revisions linted, 2 files", 1, 2)


def test_a_clean_pull_request_run_is_not_mistaken_for_a_clean_history(repo: Path) -> None:
    """The markdown job summary once said "No problems found (3 revisions in 3 files)" here."""
    git(repo, "checkout", "-q", "-b", "feature")
    (repo / "migrations" / "versions" / "0003_note.py").write_text(
        'revision = "0003"\ndown_revision = "0002"\nfrom alembic import op\nimport sqlalchemy as sa\n\n\n'
        'def upgrade():\n    op.add_column("orders", sa.Column("note", sa.Text()))\n\n\n'
        'def downgrade():\n    op.drop_column("orders", "note")\n'
    )
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "0003")
    reports = _every_format("--base", "main")
    _assert_scope(reports, "1 of 3 revisions linted, 3 files", 1, 3)
    assert "No problems found** (1 of 3 revisions linted, 3 files)." in reports["markdown"]
