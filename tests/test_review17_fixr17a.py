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


def _project(case: str, rule: str) -> dict[int, str]:
    run = run_cli("lint", FIXTURES / "review17" / case, "--format", "json", "--no-config", "--no-cache",
                  "--dialect", "postgresql", "--select", rule, "--fail-on", "never")
    assert run.exit_code == 0, run.stderr
    return {f["line"]: f["message"] for f in run.json()["findings"]}


def test_an_autocommit_block_after_a_raw_commit_ends_with_a_new_transaction() -> None:
    """psycopg2 keeps the COMMIT, but autocommit_block() begins a transaction when it ends: the ADD VALUE and its
    use, and the CONCURRENTLY build, run in it."""
    assert 16 in _project("rc_block", "enum-add-value-in-transaction")
    assert 18 in _project("rc_block", "concurrent-index-in-transaction")


def test_a_raw_commit_under_an_if_may_not_run() -> None:
    """Without FAST_MIGRATIONS the COMMIT is never sent: CONCURRENTLY runs in the revision's transaction."""
    assert 17 in _project("rc_if", "concurrent-index-in-transaction")


def test_an_op_f_name_referenced_plainly_elsewhere_is_reported_there() -> None:
    """0001 creates a 63+ character name through op.f() (cut to a hashed name) and drops it by its plain name; 0002
    names it in raw SQL. 0003's name, referenced only through op.f(), stays silent."""
    found = _found("idl", "identifier-too-long")
    assert set(found) == {("0001.py", 18), ("0002.py", 13)}
    assert "IdentifierError" in found[("0001.py", 18)]["message"]
    assert "created with op.f() at revision 0001 (0001.py:13)" in found[("0002.py", 13)]["message"]


def test_sql_migcheck_cannot_read_between_the_utc_set_and_the_alter_may_set_another_zone() -> None:
    """The helper's SQL may say SET TIME ZONE 'Europe/Berlin': no claim that the session is UTC."""
    message = _found("tz", "alter-column-type")[("0001.py", 17)]["message"]
    assert "set to UTC" not in message
    assert "only when the migration's session TimeZone is UTC" in message
