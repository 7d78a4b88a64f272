"""``--format markdown``: the job summary and pull-request comment."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import FIXTURES, run_cli
from gitrepo import make_repo
from migcheck.report import markdown
from migcheck.run.engine import lint_paths
from migcheck.vocabulary.findings import Finding, Severity
from migcheck.vocabulary.settings import Settings

PROJECT = FIXTURES / "integrations"
FAILING = "migrations/versions/0002_orders_status.py"
GITHUB_ENV = {
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_REPOSITORY": "acme/shop",
    "GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567",
}
BLOB = "https://github.com/acme/shop/blob/0123456789abcdef0123456789abcdef01234567/"


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = make_repo(tmp_path / "repo", copy=PROJECT)
    monkeypatch.chdir(root)
    for name in GITHUB_ENV:
        monkeypatch.delenv(name, raising=False)
    return root


def table_rows(text: str) -> list[list[str]]:
    """Cells of the findings table (the first table), split as GFM does: at unescaped pipes."""
    lines = text.splitlines()
    start = lines.index("| | Location | Rule | Message |")
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.replace("\\|", "\0").strip("|").split("|")]
        rows.append([c.replace("\0", "\\|") for c in cells])
    return rows


def test_report_in_a_github_run_links_lines_and_rule_docs(repo: Path) -> None:
    run = run_cli("lint", ".", "--format", "markdown", env=GITHUB_ENV)
    assert run.exit_code == 1
    text = run.stdout
    assert text.startswith("### migcheck\n\n❌ **Found 2 errors, 1 warning** (2 revisions in 2 files).\n")
    rows = table_rows(text)
    assert len(rows) == 3 and all(len(row) == 4 for row in rows)
    assert rows[2][0] == "❌ error"
    assert rows[2][1] == f"[`{FAILING}:18`]({BLOB}{FAILING}#L18)"
    assert rows[2][2] == (
        "[`create-index-not-concurrently`]"
        "(https://github.com/migcheck/migcheck/blob/main/docs/rules/create-index-not-concurrently.md)"
    )
    assert rows[2][3].startswith(
        "index ix\\_orders\\_status on existing table orders is built without CONCURRENTLY"
    )
    assert rows[1][0] == "⚠️ warning"


def test_revisions_checked_and_fixes_are_listed(repo: Path) -> None:
    text = run_cli("lint", ".", "--format", "markdown", env=GITHUB_ENV).stdout
    assert "<details><summary>Revisions checked (2)</summary>" in text
    assert f"| `0001` | [`migrations/versions/0001_create_orders.py:9`]({BLOB}migrations/versions/" in text
    assert "| `0002` |" in text and "orders\\: status\\, created\\_at index |" in text
    assert "<details><summary>Suggested fixes (3)</summary>" in text
    assert (
        '```python\nwith op.get_context().autocommit_block():\n    op.create_index("ix_orders_status"' in text
    )


def test_outside_github_locations_are_plain_code(repo: Path) -> None:
    text = run_cli("lint", ".", "--format", "markdown").stdout
    assert table_rows(text)[2][1] == f"`{FAILING}:18`"
    assert "#L" not in text  # no line links anywhere, revisions list included


def test_clean_project(repo: Path) -> None:
    run = run_cli("lint", "migrations/versions/0001_create_orders.py", "--format", "markdown")
    assert run.exit_code == 0
    assert "✅ **No problems found** (1 revision in 1 file)." in run.stdout
    assert "| Location |" not in run.stdout
    assert "Revisions checked (1)" in run.stdout


def test_messages_cannot_break_the_table(repo: Path) -> None:
    result = lint_paths([repo], Settings())
    result.findings = [
        Finding("drop-table", Severity.WARNING, "a | b <script> *x* `c | d`\nsecond line", FAILING, 7),
    ]
    text = markdown.render(result, root=repo, cwd=repo)
    (row,) = table_rows(text)
    assert len(row) == 4
    assert row[3] == "a \\| b \\<script\\> \\*x\\* `c \\| d`<br>second line"


def test_long_reports_are_cut(repo: Path) -> None:
    result = lint_paths([repo], Settings())
    result.findings = [Finding("drop-table", Severity.ERROR, f"m{i}", FAILING, i + 1) for i in range(7)]
    text = markdown.render(result, root=repo, cwd=repo, max_rows=5)
    assert len(table_rows(text)) == 5
    assert "…and 2 more; the SARIF report and `migcheck lint` list them all." in text
    assert "**Found 7 errors**" in text


def test_suppressed_are_counted_not_listed(repo: Path) -> None:
    result = lint_paths([repo], Settings())
    result.findings = [Finding("drop-table", Severity.ERROR, "gone", FAILING, 2, suppressed=True)]
    text = markdown.render(result, root=repo, cwd=repo)
    assert "✅ **No problems found** (2 revisions in 2 files, 1 suppressed)." in text
    assert "gone" not in text
