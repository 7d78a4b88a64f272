"""Inline suppression comments: with a reason, on the line or above it, file-wide, and checked themselves."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conftest import FIXTURES, Run, run_cli
from migcheck.run.suppress import parse_directive, python_suppressions, sql_suppressions

SUPPRESSED = FIXTURES / "adoption" / "suppressed" / "versions"
SQL = FIXTURES / "adoption" / "sql" / "upgrade.sql"


@pytest.fixture(scope="module")
def report() -> Run:
    return run_cli("lint", SUPPRESSED, "--format", "json")


def in_file(run: Run, name: str) -> list[dict[str, Any]]:
    return [f for f in run.json()["findings"] if Path(f["path"]).name == name]


def test_trailing_comment_with_reason_suppresses(report: Run) -> None:
    [finding] = in_file(report, "0002_trailing_reason.py")
    assert finding["rule"] == "create-index-not-concurrently"
    assert finding["line"] == 9
    assert finding["suppressed"] is True
    assert finding["suppression_reason"] == "accounts has 40 rows"


def test_comment_on_the_line_above_a_multi_line_call_suppresses(report: Run) -> None:
    [finding] = in_file(report, "0003_line_above.py")
    assert (finding["rule"], finding["line"]) == ("create-index-not-concurrently", 10)
    assert finding["suppressed"] is True
    assert finding["suppression_reason"] == "runs in the maintenance window, writes are stopped"


def test_suppression_without_reason_suppresses_but_is_a_finding(report: Run) -> None:
    findings = in_file(report, "0004_no_reason.py")
    by_rule = {f["rule"]: f for f in findings}
    assert by_rule["create-index-not-concurrently"]["suppressed"] is True
    assert by_rule["create-index-not-concurrently"]["suppression_reason"] is None
    missing = by_rule["suppression-without-reason"]
    assert (missing["line"], missing["severity"], missing["suppressed"]) == (9, "error", False)
    assert "gives no reason" in missing["message"]
    assert missing["fix"] == "# migcheck: ignore[create-index-not-concurrently] -- <why this is safe here>"


def test_suppression_on_a_clean_line_is_unused(report: Run) -> None:
    [finding] = in_file(report, "0005_unused.py")
    assert (finding["rule"], finding["line"], finding["severity"]) == ("unused-suppression", 10, "warning")
    assert finding["message"] == ("suppression of create-index-not-concurrently is unused: "
                                  "no create-index-not-concurrently finding on line 10")


def test_file_level_suppression(report: Run) -> None:
    [finding] = in_file(report, "0006_file_level.py")
    assert finding["rule"] == "missing-downgrade"
    assert finding["suppressed"] is True
    assert finding["suppression_reason"] == "the old column layout is gone for good; restore from backup instead"


def test_misspelt_rule_suppresses_nothing_and_says_so(report: Run) -> None:
    findings = {f["rule"]: f for f in in_file(report, "0007_unknown_rule.py")}
    assert findings["create-index-not-concurrently"]["suppressed"] is False
    assert "did you mean 'create-index-not-concurrently'?" in findings["unused-suppression"]["message"]


def test_malformed_comment_suppresses_nothing_and_says_so(report: Run) -> None:
    findings = {f["rule"]: f for f in in_file(report, "0008_malformed.py")}
    assert findings["create-index-not-concurrently"]["suppressed"] is False
    assert "cannot read this suppression comment" in findings["unused-suppression"]["message"]
    assert findings["unused-suppression"]["line"] == 9


def test_comment_separated_by_a_blank_line_covers_nothing(report: Run) -> None:
    findings = {f["rule"]: f for f in in_file(report, "0009_not_directly_above.py")}
    assert findings["create-index-not-concurrently"]["suppressed"] is False
    assert findings["create-index-not-concurrently"]["line"] == 11
    assert findings["unused-suppression"]["line"] == 9
    assert "covers nothing" in findings["unused-suppression"]["message"]


def test_summary_counts_suppressed(report: Run) -> None:
    summary = report.json()["summary"]
    assert summary["suppressed"] == 4
    assert summary["findings"] == 8
    assert summary["by_severity"] == {"error": 4, "warning": 4, "info": 0}
    text = run_cli("lint", SUPPRESSED)
    assert text.stdout.rstrip().endswith("(9 revisions in 9 files, 4 suppressed).")
    assert "accounts has 40 rows" not in text.stdout  # suppressed findings are not listed as problems


def test_require_reason_can_be_turned_off(tmp_path: Path) -> None:
    config = tmp_path / "migcheck.toml"
    config.write_text("require-reason = false\n", encoding="utf-8")
    run = run_cli("lint", SUPPRESSED / "0004_no_reason.py", "--config", config, "--format", "json",
                  "--ignore", "missing-down-revision")
    assert run.rules() == []
    assert run.exit_code == 0


def test_suppression_rules_can_be_ignored_in_config() -> None:
    alone = ("--ignore", "missing-down-revision", "--format", "json")  # one file: its parent is elsewhere
    assert run_cli("lint", SUPPRESSED / "0005_unused.py", *alone).rules() == ["unused-suppression"]
    run = run_cli("lint", SUPPRESSED / "0005_unused.py", "--ignore", "unused-suppression", *alone)
    assert run.rules() == []


def test_suppression_of_a_rule_that_did_not_run_is_not_called_unused() -> None:
    """With --select (or another dialect) migcheck cannot tell whether the comment is still needed."""
    run = run_cli("lint", SUPPRESSED / "0005_unused.py", "--select", "drop-table", "--format", "json")
    assert run.rules() == []
    run = run_cli("lint", SUPPRESSED / "0005_unused.py", "--dialect", "mysql", "--format", "json",
                  "--ignore", "missing-down-revision")
    assert run.rules() == []


def test_offline_sql_comments_work_the_same_way() -> None:
    run = run_cli("lint", SQL, "--format", "json")
    rows = [(f["line"], f["rule"], f["suppressed"], f["suppression_reason"]) for f in run.json()["findings"]]
    assert rows == [
        (7, "create-index-not-concurrently", True, "built during the 02:00 maintenance window"),
        (7, "missing-lock-timeout", False, None),  # the dump sets no lock_timeout: not suppressed
        (14, "create-index-not-concurrently", True, None),
        (14, "missing-lock-timeout", False, None),
        (14, "suppression-without-reason", False, None),
        (20, "create-index-not-concurrently", False, None),
        (20, "missing-lock-timeout", False, None),
    ]


def test_suppression_also_covers_graph_findings(tmp_path: Path, write_revision: Callable[..., Path]) -> None:
    write_revision("a.py", 'revision = "a"\ndown_revision = None\n')
    write_revision("b.py", 'revision = "b"\ndown_revision = "a"\n')
    write_revision("c.py", """
        # migcheck: ignore[multiple-heads] -- merged by the release branch, see OPS-12
        revision = "c"
        down_revision = "a"
    """)
    run = run_cli("lint", tmp_path / "versions", "--format", "json")
    heads = {Path(f["path"]).name: f for f in run.json()["findings"] if f["rule"] == "multiple-heads"}
    assert heads["c.py"]["suppressed"] is True
    assert heads["b.py"]["suppressed"] is False
    assert run.exit_code == 1


# --- the comment grammar ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("comment", "expected"),
    [
        (" migcheck: ignore[drop-table] -- archived", ("ignore", ("drop-table",), "archived")),
        (" migcheck: ignore[drop-table, drop-column]--why", ("ignore", ("drop-table", "drop-column"), "why")),
        (" migcheck: ignore-file[drop-table] -- x -- y", ("ignore-file", ("drop-table",), "x -- y")),
        (" migcheck: ignore[drop-table]", ("ignore", ("drop-table",), None)),
        (" migcheck: ignore[drop-table] --  ", ("ignore", ("drop-table",), None)),
        (" noqa: E501  # migcheck: ignore[drop-table] -- long", ("ignore", ("drop-table",), "long")),
        (" a note about migcheck: nothing to see", None),
        (" plain comment", None),
    ],
)
def test_parse_directive(comment: str, expected: object) -> None:
    assert parse_directive(comment) == expected


@pytest.mark.parametrize(
    "comment",
    [
        " migcheck: ignore drop-table",
        " migcheck: ignore[] -- why",
        " migcheck: ignore[x] because",
        " migcheck: skip[x]",
    ],
)
def test_malformed_directives_are_problems(comment: str) -> None:
    assert isinstance(parse_directive(comment), str)


def test_python_targets() -> None:
    source = (
        "x = f(  # migcheck: ignore[a] -- r\n"  # 1: trailing, statement spans 1-3
        "    1,\n"
        ")\n"
        "# migcheck: ignore[b] -- r\n"  # 4: own line, covers the statement below
        "# another comment\n"
        "y = 2\n"  # 6
        "s = '''# migcheck: ignore[c] -- not a comment'''\n"  # 7: inside a string
    )
    sups = python_suppressions("f.py", source)
    assert [(s.line, s.rules, sorted(s.targets)) for s in sups] == [(1, ("a",), [1, 2, 3]), (4, ("b",), [6])]


def test_sql_targets() -> None:
    source = (
        "-- migcheck: ignore[a] -- r\n"  # 1: covers the statement on 2-3
        "CREATE INDEX i\n"
        "  ON t (c);\n"
        "CREATE INDEX j ON t (c);  -- migcheck: ignore[b] -- r\n"  # 4
    )
    sups = sql_suppressions("f.sql", source)
    assert [(s.line, s.rules, sorted(s.targets)) for s in sups] == [(1, ("a",), [2, 3]), (4, ("b",), [4])]


@pytest.mark.parametrize("rule_id", ["unused-suppression", "suppression-without-reason"])
def test_rule_is_documented(rule_id: str) -> None:
    run = run_cli("explain", rule_id)
    assert run.exit_code == 0
    assert run.stdout.startswith(f"# {rule_id}\n")
    headings = [line for line in run.stdout.splitlines() if line.startswith("## ")]
    assert headings == ["## What it finds", "## Why it hurts", "## Example", "## Safe alternative"]
