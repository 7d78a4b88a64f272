"""The README's first command: lint and verify on the bundled demo, each showing what it alone finds."""

from __future__ import annotations

from typing import Any

from conftest import FIXTURES, run_cli

DEMO = FIXTURES / "demo"
AUDIT_LOG = "1f0e9d8c7b6a_create_audit_log.py"
DROP_TOTAL = "5e6f7a8b9c0d_drop_orders_total.py"


def _by_file(findings: list[dict[str, Any]], name: str) -> list[tuple[str, int]]:
    return sorted((f["rule"], f["line"]) for f in findings if f["path"].endswith(name))


def test_lint_sees_nothing_wrong_in_the_broken_downgrade() -> None:
    run = run_cli("lint", DEMO, "--format", "json")
    assert run.exit_code == 1
    findings = run.json()["findings"]
    assert _by_file(findings, AUDIT_LOG) == []
    assert {f["rule"] for f in findings} >= {"create-index-not-concurrently", "multiple-heads", "drop-column"}


def test_verify_finds_the_downgrade_that_fails(embedded_pg_url: str) -> None:
    """Only running it shows that dropping the table first leaves drop_index nothing to drop."""
    run = run_cli("verify", DEMO, "--db-url", embedded_pg_url, "--format", "json")
    assert run.exit_code == 1, run.stderr
    findings = run.json()["findings"]
    assert ("downgrade-failed", 31) in _by_file(findings, AUDIT_LOG)  # the op.drop_index line
    failed = next(f for f in findings if f["rule"] == "downgrade-failed")
    assert "ix_audit_log_user_id" in failed["message"]
    lost = [f for f in findings if f["path"].endswith(DROP_TOTAL) and f["rule"] == "downgrade-not-inverse"]
    assert lost and 'op.add_column("orders", sa.Column("total"' in lost[0]["fix"]
