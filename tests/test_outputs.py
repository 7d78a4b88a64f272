"""Several reports in one run (``--format FORMAT[:PATH]``), exit codes, ``--quiet`` and ordering."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from conftest import FIXTURES, run_cli

PROJECT = FIXTURES / "integrations"
FAILING = "migrations/versions/0002_orders_status.py"
CLEAN = "migrations/versions/0001_create_orders.py"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(PROJECT, tmp_path / "project")
    monkeypatch.chdir(tmp_path / "project")
    return tmp_path / "project"


def test_text_on_the_terminal_and_sarif_to_a_file(project: Path) -> None:
    run = run_cli("lint", ".", "--format", "sarif:reports/results.sarif")
    assert run.exit_code == 1
    assert (
        "Found 2 errors, 1 warning" in run.stdout
        and f"{FAILING}:18  create-index-not-concurrently" in run.stdout
    )
    log = json.loads((project / "reports" / "results.sarif").read_text(encoding="utf-8"))
    assert [r["ruleId"] for r in log["runs"][0]["results"]][-1] == "create-index-not-concurrently"


def test_every_format_at_once(project: Path) -> None:
    run = run_cli(
        "lint",
        ".",
        "--format",
        "json",
        "--format",
        "sarif:out.sarif",
        "--format",
        "github:out.txt",
        "--format",
        "markdown:out.md",
        "--format",
        "text:out.log",
    )
    assert run.exit_code == 1
    assert run.json()["summary"]["exit_code"] == 1  # stdout is the one format without a path
    assert json.loads((project / "out.sarif").read_text())["version"] == "2.1.0"
    assert (project / "out.txt").read_text().startswith(f"::error file={FAILING},line=16,")
    assert (project / "out.md").read_text().startswith("### migcheck\n")
    log = (project / "out.log").read_text()
    assert "\x1b[" not in log and "Found 2 errors, 1 warning" in log


def test_dash_means_standard_output(project: Path) -> None:
    run = run_cli("lint", ".", "--format", "sarif:-")
    assert json.loads(run.stdout)["version"] == "2.1.0"


@pytest.mark.parametrize(
    ("formats", "message"),
    [
        (["json", "sarif"], "only one --output-format can write to standard output (got json, sarif)"),
        (
            ["yaml"],
            "output-format in command line (--output-format): unknown format 'yaml' "
            "(valid: text, concise, json, sarif, github, markdown)",
        ),
        (["sarif:"], "--output-format 'sarif:' has an empty path"),
        (["sarif:a.out", "json:./a.out"], "two --output-format options write to the same file"),
    ],
)
def test_bad_format_options_are_one_line_and_exit_2_before_anything_is_written(
    project: Path, formats: list[str], message: str
) -> None:
    args = [arg for fmt in formats for arg in ("--format", fmt)]
    run = run_cli("lint", ".", *args)
    assert run.exit_code == 2
    assert run.stderr.startswith(f"migcheck: error: {message}")
    assert run.stderr.count("\n") == 1 and run.stdout == ""
    assert not (project / "a.out").exists()


def test_unwritable_report_file_is_exit_2(project: Path) -> None:
    (project / "blocker").write_text("a file, not a directory")
    run = run_cli("lint", ".", "--format", "sarif:blocker/results.sarif")
    assert run.exit_code == 2
    assert run.stderr.startswith("migcheck: error: cannot write sarif report to blocker/results.sarif")
    assert run.stdout == ""


def test_bad_input_writes_no_report(project: Path) -> None:
    run = run_cli("lint", "no/such/dir", "--format", "sarif:results.sarif")
    assert run.exit_code == 2 and "path not found: no/such/dir" in run.stderr
    assert not (project / "results.sarif").exists()


@pytest.mark.parametrize(
    ("args", "code"),
    [
        ([CLEAN], 0),
        (["."], 1),
        ([".", "--fail-on", "never"], 0),
        ([".", "--ignore", "add-not-null-column-without-default,create-index-not-concurrently"], 0),
        (
            [
                ".",
                "--ignore",
                "add-not-null-column-without-default,create-index-not-concurrently",
                "--fail-on",
                "warning",
            ],
            1,
        ),
        (["--format", "nope", "."], 2),
    ],
)
def test_documented_exit_codes(project: Path, args: list[str], code: int) -> None:
    assert run_cli("lint", *args).exit_code == code


def test_quiet_prints_findings_only_and_nothing_when_clean(project: Path) -> None:
    loud = run_cli("lint", ".")
    quiet = run_cli("lint", ".", "--quiet")
    assert quiet.exit_code == loud.exit_code == 1
    assert "fix:" in loud.stdout and "fix:" not in quiet.stdout
    assert quiet.stdout.splitlines() == [
        f"{FAILING}:16  add-not-null-column-without-default  error: " + _message(loud, 16),
        f"{FAILING}:17  drop-index-not-concurrently  warning: " + _message(loud, 17),
        f"{FAILING}:18  create-index-not-concurrently  error: " + _message(loud, 18),
        "Found 2 errors, 1 warning (2 revisions in 2 files).",
    ]
    clean = run_cli("lint", CLEAN, "-q")
    assert (clean.exit_code, clean.stdout, clean.stderr) == (0, "", "")


def _message(run: Any, line: int) -> str:
    prefix = f"{FAILING}:{line}  "
    found = next(text for text in run.stdout.splitlines() if text.startswith(prefix))
    return found.split(": ", 1)[1]


def test_ordering_is_by_file_then_line_in_every_format(project: Path, write_revision: Any) -> None:
    write_revision(
        "0000_aaa_first.py",
        """
        revision = "0000"
        down_revision = None

        def upgrade():
            op.drop_table("legacy")

        def downgrade():
            pass
        """,
        directory=project / "migrations" / "versions",
    )
    (project / "migrations" / "versions" / "0001_create_orders.py").write_text(
        (PROJECT / "migrations" / "versions" / "0001_create_orders.py")
        .read_text()
        .replace("down_revision = None", 'down_revision = "0000"')
    )
    data = run_cli("lint", ".", "--format", "json").json()
    keys = [(f["path"], f["line"]) for f in data["findings"]]
    assert keys == sorted(keys) and keys[0][0].endswith("0000_aaa_first.py")
    sarif = json.loads(run_cli("lint", ".", "--format", "sarif").stdout)
    sarif_keys = [
        (
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
        )
        for r in sarif["runs"][0]["results"]
    ]
    assert sarif_keys == keys
    assert run_cli("lint", ".", "--format", "json").stdout == run_cli("lint", ".", "--format", "json").stdout


def test_json_and_sarif_are_compact_unless_pretty_is_asked_for(project: Path) -> None:
    """Compact by default: ``indent`` makes Python's JSON encoder fall back to pure Python (a tenth of a
    10,000-revision run). ``--pretty`` indents; the document is the same either way."""
    compact = run_cli("lint", "--format", "json", "--format", "sarif:out.sarif")
    sarif_compact = (project / "out.sarif").read_text()
    pretty = run_cli("lint", "--format", "json", "--format", "sarif:out.sarif", "--pretty")
    sarif_pretty = (project / "out.sarif").read_text()
    assert compact.exit_code == pretty.exit_code == 1
    assert compact.stdout.count("\n") == 1 and sarif_compact.count("\n") == 1
    assert '\n  "schema_version": 1,' in pretty.stdout and '\n  "version": "2.1.0"' in sarif_pretty
    assert json.loads(compact.stdout) == json.loads(pretty.stdout)
    assert json.loads(sarif_compact) == json.loads(sarif_pretty)
