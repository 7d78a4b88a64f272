"""review17 (an outside review of the deployment-guard change and neighbours): each case fails on the code
before its fix. The revisions are in fixtures/review17/<case>/versions, written for these tests."""

from __future__ import annotations

from conftest import FIXTURES, run_cli


def _found(case: str, rule: str) -> dict[tuple[str, int], dict[str, str]]:
    run = run_cli("lint", FIXTURES / "review17" / case, "--format", "json", "--no-config", "--no-cache",
                  "--dialect", "postgresql", "--select", rule, "--fail-on", "never")
    assert run.exit_code == 0, run.stderr
    return {(f["path"].rsplit("/", 1)[-1], f["line"]): f for f in run.json()["findings"]}


def test_a_branch_production_never_takes_is_still_checked_where_load_does_not_matter() -> None:
    """`if environment not in ["live", "production"]:` runs on staging: its index name is refused there too,
    and the downgrade leaves the index behind; the lock rules stay silent, production builds it by hand."""
    assert set(_found("offprod", "identifier-too-long")) == {("0001.py", 19)}
    assert ("0001.py", 19) in _found("offprod", "downgrade-not-inverse")
    for rule in ("create-index-not-concurrently", "drop-index-not-concurrently", "missing-lock-timeout"):
        assert not any(line in {19, 21} for _, line in _found("offprod", rule)), rule


def test_a_restore_production_never_runs_does_not_undo_what_it_does() -> None:
    """0002 drops a CHECK everywhere, and its downgrade restores it only off production."""
    assert ("0002.py", 17) in _found("offprod", "downgrade-not-inverse")
