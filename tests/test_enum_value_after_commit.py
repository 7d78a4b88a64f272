"""ADD VALUE after ``op.execute("COMMIT")`` (held-out-15 #65, #66): like CONCURRENTLY, it depends on the driver.

Checked through SQLAlchemy on PostgreSQL 15: under psycopg2 the ADD VALUE after that COMMIT runs in autocommit
and an UPDATE using the value right after it succeeds; psycopg 3 sends BEGIN again and the UPDATE fails with
'unsafe use of new value'. The decision is shared with concurrent-index-in-transaction (rules/rawcommit.py).
"""

from __future__ import annotations

import pytest

from conftest import FIXTURES, run_cli

CASES = FIXTURES / "rules" / "enum-add-value-in-transaction"


def _lint(case: str, *args: str) -> tuple[int, dict[int, tuple[str, str]]]:
    run = run_cli("lint", CASES / case, "--format", "json", "--no-config", "--dialect", "postgresql",
                  "--select", "enum-add-value-in-transaction", "--fail-on", "error", *args)
    return run.exit_code, {f["line"]: (f["severity"], f["message"]) for f in run.json()["findings"]}


@pytest.mark.parametrize("version", ["15", "11"])
def test_psycopg2_from_the_requirements_keeps_the_commit_no_finding(version: str) -> None:
    # before PostgreSQL 12 too: the ADD VALUE runs outside any transaction block
    assert _lint("safe_commit_psycopg2", "--postgres-version", version) == (0, {})


def test_psycopg3_begins_again_an_error_that_says_the_commit_does_not_help() -> None:
    code, found = _lint("bad_commit_psycopg3")
    assert code == 1
    severity, message = found[16]
    assert severity == "error"
    assert "unsafe use of new value \"escalated\"" in message
    assert message.endswith("(the COMMIT sent as SQL at line 15 does not end it for good: env.py connects with "
                            "psycopg, which sees the session idle after that COMMIT and sends BEGIN again before "
                            "the next statement)")


def test_an_unknown_driver_is_a_warning_naming_the_dependency() -> None:
    code, found = _lint("bad_commit_driver_unknown")
    assert code == 0
    severity, message = found[16]
    assert severity == "warning"
    assert "unless the COMMIT sent as SQL at line 15 leaves the statements after it outside a transaction" in message
    assert "works only under psycopg2" in message and message.endswith("(env.py names no driver)")
