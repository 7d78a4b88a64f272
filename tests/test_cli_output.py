"""What a user sees: the text report, the JSON document and its schema, rules and explain."""

from __future__ import annotations

import io
import json
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from conftest import FIXTURES, run_cli
from migcheck.rules.registry import DOC_SECTIONS, all_rules

DEMO = FIXTURES / "demo"


def test_text_report_groups_by_file_with_path_line_rule_message() -> None:
    run = run_cli("lint", DEMO, env={"NO_COLOR": ""})
    assert run.exit_code == 1
    lines = run.stdout.splitlines()
    path = "fixtures/demo/migrations/versions/3c4d5e6f7a8b_index_orders_user_id.py"
    [at] = [i for i, line in enumerate(lines) if line.startswith(path)]
    assert lines[at].startswith(f"{path}:17  create-index-not-concurrently  error: index ix_orders_user_id")
    # the offending line, with a caret under the call (ruff's and squawk's habit)
    assert lines[at + 1] == '  17 |     op.create_index("ix_orders_user_id", "orders", ["user_id"])'
    assert lines[at + 2] == "     |     ^^^^^^^^^^^^^^^"
    assert lines[at + 3].startswith("    fix: with op.get_context().autocommit_block():")
    assert lines[at - 1] == ""  # files are separated by a blank line
    assert lines[-1] == "Found 5 errors, 3 warnings (8 revisions in 8 files)."
    assert "\x1b[" not in run.stdout  # no colour when not a terminal


def test_concise_is_one_line_per_finding_and_the_summary() -> None:
    run = run_cli("lint", DEMO, "--output-format", "concise", env={"NO_COLOR": ""})
    assert run.exit_code == 1
    lines = run.stdout.splitlines()
    assert len(lines) == 9 and lines[-1].startswith("Found 5 errors, 3 warnings")
    assert all(line.startswith("fixtures/demo/migrations/versions/") for line in lines[:-1])
    assert " | " not in run.stdout and "fix:" not in run.stdout


def test_format_is_an_alias_of_output_format() -> None:
    assert run_cli("lint", DEMO, "--format", "json").stdout == run_cli("lint", DEMO, "--output-format", "json").stdout


def test_rule_ids_link_to_their_docs_on_terminals_that_show_links() -> None:
    """OSC 8 hyperlinks only where asked for (FORCE_HYPERLINK) or announced; never in plain output."""
    url = "https://github.com/migcheck/migcheck/blob/main/docs/rules/create-index-not-concurrently.md"
    linked = run_cli("lint", DEMO, env={"FORCE_HYPERLINK": "1", "NO_COLOR": "1"}).stdout
    assert f"\x1b]8;;{url}\x1b\\create-index-not-concurrently\x1b]8;;\x1b\\" in linked
    assert "\x1b]8;;" not in run_cli("lint", DEMO, env={"NO_COLOR": ""}).stdout  # not a terminal
    assert "\x1b]8;;" not in run_cli("lint", DEMO, env={"FORCE_HYPERLINK": "0", "FORCE_COLOR": "1"}).stdout


def test_hyperlinks_follow_the_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    from migcheck.report.text import use_hyperlinks

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    for name in ("FORCE_HYPERLINK", "CI", "NO_COLOR", "FORCE_COLOR", "WT_SESSION", "TERM_PROGRAM", "VTE_VERSION",
                 "KONSOLE_VERSION", "DOMTERM", "KITTY_WINDOW_ID", "WEZTERM_PANE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    assert not use_hyperlinks(Tty())  # a terminal that does not say it shows links
    monkeypatch.setenv("TERM_PROGRAM", "iTerm.app")
    assert use_hyperlinks(Tty()) and not use_hyperlinks(io.StringIO())
    monkeypatch.setenv("CI", "true")
    assert not use_hyperlinks(Tty())


def test_source_line_is_left_out_when_the_file_is_gone(tmp_path: Path) -> None:
    from migcheck.report import text
    from migcheck.vocabulary.findings import Finding, Severity

    finding = Finding("drop-column", Severity.ERROR, "gone", str(tmp_path / "nope.py"), 3)
    assert text._finding_lines(finding, False, True, source=True) == [f"{tmp_path / 'nope.py'}:3  drop-column  error: gone"]


def test_force_color_and_no_color() -> None:
    assert "\x1b[" in run_cli("lint", DEMO, env={"FORCE_COLOR": "1", "NO_COLOR": ""}).stdout
    assert "\x1b[" not in run_cli("lint", DEMO, env={"FORCE_COLOR": "1", "NO_COLOR": "1"}).stdout


def test_quiet_prints_findings_and_summary_only() -> None:
    run = run_cli("lint", DEMO, "--quiet")
    assert all(":" in line and "  " in line for line in run.stdout.splitlines()[:-1])
    assert "fix:" not in run.stdout


def test_clean_project_says_so_and_exits_0() -> None:
    run = run_cli("lint", FIXTURES / "graph" / "merged-heads")
    assert run.exit_code == 0
    assert run.stdout.strip() == "No problems found (4 revisions in 4 files)."


def test_json_validates_against_the_published_schema() -> None:
    schema = json.loads(resources.files("migcheck").joinpath("schemas/report-v1.json").read_text())
    for target in (DEMO, FIXTURES / "broken", FIXTURES / "rules" / "drop-column" / "bad.sql"):
        run = run_cli("lint", target, "--format", "json")
        document = run.json()
        jsonschema.Draft7Validator(schema).validate(document)
        assert document["summary"]["exit_code"] == run.exit_code


def test_json_summary_counts() -> None:
    document = run_cli("lint", DEMO, "--format", "json").json()
    assert document["summary"]["by_severity"] == {"error": 5, "warning": 3, "info": 0}
    assert document["summary"]["revisions"] == 8
    assert sorted(document["graph"]["heads"]) == ["6f7a8b9c0d1e", "7a8b9c0d1e2f"]


def test_select_and_ignore() -> None:
    assert set(run_cli("lint", DEMO, "-f", "json", "--select", "drop-column").rules()) == {"drop-column"}
    ignored = run_cli("lint", DEMO, "-f", "json", "--ignore", "multiple-heads,drop-column").rules()
    assert "multiple-heads" not in ignored and "drop-column" not in ignored and ignored


def test_rules_lists_every_rule() -> None:
    run = run_cli("rules")
    assert run.exit_code == 0
    ids = [line.split()[0] for line in run.stdout.splitlines()]
    assert ids == sorted(r.id for r in all_rules())
    rows = json.loads(run_cli("rules", "--format", "json").stdout)
    assert {"create-index-not-concurrently", "multiple-heads", "missing-downgrade"} <= {r["id"] for r in rows}


def test_explain_prints_the_four_part_documentation() -> None:
    run = run_cli("explain", "create-index-not-concurrently")
    assert run.exit_code == 0
    for section in DOC_SECTIONS:
        assert f"## {section}" in run.stdout
    assert "postgresql_concurrently=True" in run.stdout
    assert "Severity: error. Dialects: postgresql. Enabled by default." in run.stdout


def test_explain_unknown_rule() -> None:
    run = run_cli("explain", "create-index-concurrently")
    assert run.exit_code == 2
    assert "did you mean 'create-index-not-concurrently'?" in run.stderr


def test_every_rule_is_documented_in_four_parts() -> None:
    for rule in all_rules():
        assert rule.doc.startswith(f"# {rule.id}\n"), rule.id
        positions = [rule.doc.find(f"\n## {section}\n") for section in DOC_SECTIONS]
        assert all(p > 0 for p in positions) and positions == sorted(positions), rule.id


def test_rules_lists_whole_summaries_in_aligned_columns() -> None:
    """Summaries wrapped in a docstring are not cut, show no docstring ``double backticks``, and the
    dialect column lines up for every dialect label (`mysql, postgresql` included)."""
    run = run_cli("rules")
    lines = run.stdout.splitlines()
    assert len(lines) == len(all_rules())
    enum = next(line for line in lines if line.startswith("enum-add-value-in-transaction "))
    assert enum.endswith("and from 12 the new value cannot be used until that transaction commits.")
    assert "``" not in run.stdout
    starts = {line.index(rule.summary) for line, rule in zip(lines, all_rules(), strict=True)}
    assert len(starts) == 1  # every summary starts in the same column
    for rule in all_rules():
        assert rule.summary.endswith((".", ".)")), rule.id
        assert "``" not in rule.summary, rule.id


def test_the_source_line_shows_escape_sequences_instead_of_running_them(tmp_path: Path) -> None:
    """The source line comes from a linted file (a stranger's pull request): its controls are shown."""
    versions = tmp_path / "versions"
    versions.mkdir()
    (versions / "0001_x.py").write_text(
        'revision = "0001"\ndown_revision = None\nfrom alembic import op\n\n\ndef upgrade():\n'
        '    op.drop_table("t\\x1b[2J")  # \x1b[31mred\x1b[0m\n\n\ndef downgrade():\n    pass\n'
    )
    run = run_cli("lint", versions, "--select", "drop-table", env={"NO_COLOR": "1"})
    assert run.exit_code == 1
    source = next(line for line in run.stdout.splitlines() if line.startswith("  7 | "))
    assert "\x1b" not in run.stdout
    assert source == '  7 |     op.drop_table("t\\x1b[2J")  # \\x1b[31mred\\x1b[0m'
