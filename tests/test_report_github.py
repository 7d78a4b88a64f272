"""``--format github``: workflow commands the Actions runner turns into annotations."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from conftest import FIXTURES, run_cli
from gitrepo import make_repo
from migcheck.report import github
from migcheck.run.engine import lint_paths
from migcheck.vocabulary.findings import Finding, Severity
from migcheck.vocabulary.settings import Settings

PROJECT = FIXTURES / "integrations"
FAILING = "migrations/versions/0002_orders_status.py"
COMMAND = re.compile(r"^::(error|warning|notice) (?P<props>[^:]*)::(?P<data>.*)$")


def unescape(value: str) -> str:
    """What the Actions runner does to command values (actions/runner ``ActionCommand.Unescape``)."""
    for escaped, raw in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        value = value.replace(escaped, raw)
    return value


def parse(line: str) -> tuple[str, dict[str, str], str]:
    match = COMMAND.match(line)
    assert match, line
    props = dict(item.split("=", 1) for item in match.group("props").split(","))
    return match.group(1), {k: unescape(v) for k, v in props.items()}, unescape(match.group("data"))


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = make_repo(tmp_path / "repo", copy=PROJECT)
    monkeypatch.chdir(root)
    return root


def test_escaping_matches_the_actions_toolkit() -> None:
    assert github.escape_data("100% done\r\nnext: a, b") == "100%25 done%0D%0Anext: a, b"
    assert github.escape_property("a:b,c%d\ne") == "a%3Ab%2Cc%25d%0Ae"


def test_annotations_for_a_project(repo: Path) -> None:
    run = run_cli("lint", ".", "--format", "github")
    assert run.exit_code == 1
    lines = run.stdout.splitlines()
    assert lines[-1] == "Found 2 errors, 1 warning (2 revisions in 2 files)."
    commands = [parse(line) for line in lines[:-1]]
    assert [(kind, props["line"]) for kind, props, _ in commands] == [
        ("error", "16"),
        ("warning", "17"),
        ("error", "18"),
    ]
    _, props, data = commands[2]
    assert props == {
        "file": FAILING,
        "line": "18",
        "endLine": "18",
        "title": "migcheck (create-index-not-concurrently)",
    }
    assert data.startswith("index ix_orders_status on existing table orders is built without CONCURRENTLY")
    assert "Fix:\nwith op.get_context().autocommit_block():\n    op.create_index(" in data
    assert data.endswith("docs/rules/create-index-not-concurrently.md")


def test_raw_command_line_is_exactly_escaped(repo: Path) -> None:
    line = run_cli("lint", ".", "--format", "github").stdout.splitlines()[2]
    assert line.startswith(
        f"::error file={FAILING},line=18,endLine=18,title=migcheck (create-index-not-concurrently)::"
        "index ix_orders_status on existing table orders is built without CONCURRENTLY: its SHARE lock"
    )
    assert "\r" not in line and "%0AFix%3A" not in line and "%0AFix:%0Awith" in line


def test_paths_with_commas_and_colons_survive(repo: Path, write_revision: Any) -> None:
    write_revision(
        "0003_a,b:c.py",
        """
        revision = "0003"
        down_revision = "0002"

        def upgrade():
            op.create_index("ix_orders_id", "orders", ["id"])

        def downgrade():
            op.drop_index("ix_orders_id", "orders")
        """,
        directory=repo / "migrations" / "versions",
    )
    lines = run_cli("lint", ".", "--format", "github", "--quiet").stdout.splitlines()
    files = {parse(line)[1]["file"] for line in lines}
    assert "migrations/versions/0003_a,b:c.py" in files
    assert any("file=migrations/versions/0003_a%2Cb%3Ac.py," in line for line in lines)


def test_annotation_paths_are_relative_to_the_repository_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_repo(tmp_path / "mono", copy=PROJECT, into="backend")
    monkeypatch.chdir(root / "backend" / "migrations")
    lines = run_cli("lint", ".", "--format", "github", "--quiet").stdout.splitlines()
    assert {parse(line)[1]["file"] for line in lines} == {f"backend/{FAILING}"}


def test_lower_severities_are_warning_and_notice_and_suppressed_findings_are_left_out(repo: Path) -> None:
    result = lint_paths([repo], Settings())
    result.findings = [
        Finding("drop-table", Severity.INFO, "info here", FAILING, 3),
        Finding("drop-column", Severity.WARNING, "warn here", FAILING, 4, end_line=6),
        Finding(
            "drop-column", Severity.ERROR, "hidden", FAILING, 5, suppressed=True, suppression_reason="ok"
        ),
    ]
    out = github.render(result, quiet=True, root=repo, cwd=repo).splitlines()
    assert len(out) == 2
    assert out[0].startswith(f"::notice file={FAILING},line=3,endLine=3,")
    assert out[1].startswith(f"::warning file={FAILING},line=4,endLine=6,")


def test_clean_project_prints_only_the_summary_and_nothing_when_quiet(repo: Path) -> None:
    clean = "migrations/versions/0001_create_orders.py"
    run = run_cli("lint", clean, "--format", "github")
    assert (run.exit_code, run.stdout) == (0, "No problems found (1 revision in 1 file).\n")
    quiet = run_cli("lint", clean, "--format", "github", "--quiet")
    assert (quiet.exit_code, quiet.stdout) == (0, "")
