"""Held-out-19 (issue #16, precision): what each finding of the fixed patterns now says, on the fixtures of
fixtures/rules/ (rule, file, line, severity and message; the fixture tests check only rule, file and line)."""

from __future__ import annotations

from pathlib import Path

from conftest import findings_of, run_cli

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "rules"


def _lint(path: Path, rule: str) -> tuple[int, list[dict[str, object]]]:
    run = run_cli("lint", path, "--no-config", "--dialect", "postgresql", "--format", "json", "--select", rule,
                  "--fail-on", "info")
    assert run.exit_code in (0, 1), run.stderr
    return run.exit_code, findings_of(run, rule)


def test_an_index_on_a_materialized_view_says_reads_go_on_and_refresh_waits() -> None:
    """#30: no write reaches a materialized view and its SHARE lock lets reads go on; a REFRESH waits, and a plain
    one waiting holds up the reads behind it (checked on PostgreSQL 15): a warning that says so, not the error."""
    rule = "create-index-not-concurrently"
    code, found = _lint(FIXTURES / rule / "bad_index_on_materialized_view", rule)
    assert code == 1
    assert [(Path(str(f["path"])).name, f["line"], f["severity"]) for f in found] == [
        ("0002_unique.py", 11, "warning")]
    message = str(found[0]["message"])
    assert "materialized view repo_pr_counts" in message and "reads of the view go on" in message
    assert "REFRESH" in message and "INSERT" not in message
    assert 'op.create_index(None, "repo_pr_counts"' in str(found[0]["fix"])
