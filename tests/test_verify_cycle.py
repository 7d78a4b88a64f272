"""verify runs the real upgrade -> downgrade -> upgrade cycle; each fixture breaks it in one way.

Every test runs on real servers: the embedded PostgreSQL, the PostgreSQL 15
service and the MariaDB service (skipped with the reason where absent), and
checks afterwards that no scratch database was left behind.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema

from conftest import FIXTURES, ROOT, Run, findings_of, run_cli

VERIFY = FIXTURES / "verify"
SCHEMA = json.loads((ROOT / "src/migcheck/schemas/report-v1.json").read_text(encoding="utf-8"))


def scratch_dbs(url: str) -> list[str]:
    from migcheck.live.provision import list_scratch_databases, parse_url

    return list_scratch_databases(parse_url(url))


def verify(url: str, fixture: str, *args: str) -> Run:
    """Run verify on a fixture project, check the JSON against the schema and that nothing is left behind."""
    run = run_cli("verify", VERIFY / fixture, "--db-url", url, "--format", "json", *args)
    assert run.exit_code in (0, 1), run.stderr
    jsonschema.validate(run.json(), SCHEMA)
    scratch = run.json()["verify"]["scratch_database"]
    assert scratch.startswith("migcheck_")
    assert scratch not in scratch_dbs(url), "the scratch database was not dropped"
    return run


def steps(run: Run) -> dict[str, dict[str, Any]]:
    return {s["revision"]: s for s in run.json()["verify"]["steps"]}


def only(run: Run, rule: str) -> dict[str, Any]:
    found = findings_of(run, rule)
    assert len(found) == 1, found
    return found[0]


def test_clean_history_with_branch_and_merge_verifies(any_server: str) -> None:
    run = verify(any_server, "clean")
    assert run.exit_code == 0
    assert run.rules() == []
    record = steps(run)
    # base, both branches in Alembic's order (the merge names ("0002", "0003"): 0003 runs first), merge, after
    assert list(record) == ["0001", "0003", "0002", "0004", "0005"]
    assert {s["status"] for s in record.values()} == {"ok"}
    assert all(s["upgrade_ms"] is not None and s["downgrade_ms"] is not None for s in record.values())
    assert run.json()["summary"]["exit_code"] == 0


def test_downgrade_that_forgets_a_column(any_server: str) -> None:
    run = verify(any_server, "forgets_drop")
    assert run.exit_code == 1
    finding = only(run, "downgrade-not-inverse")
    assert finding["path"].endswith("forgets_drop/migrations/versions/0002_note.py")
    assert finding["line"] == 14  # def downgrade()
    assert finding["revision"] == "0002"
    assert "left behind: column items.note" in finding["message"]
    assert 'op.drop_column("items", "note")' in finding["fix"]
    # the re-upgrade then trips over the leftover column
    again = only(run, "upgrade-not-repeatable")
    assert "note" in again["message"] and again["line"] == 10
    assert steps(run)["0001"]["status"] == "ok"


def test_downgrade_that_fails(any_server: str) -> None:
    run = verify(any_server, "downgrade_fails")
    assert run.exit_code == 1
    finding = only(run, "downgrade-failed")
    assert finding["line"] == 14  # the op.drop_column call in downgrade()
    assert "state" in finding["message"]
    assert steps(run)["0002"]["error"]


def test_downgrade_leaving_a_table_makes_the_upgrade_not_repeatable(any_server: str) -> None:
    run = verify(any_server, "not_repeatable")
    assert run.exit_code == 1
    again = only(run, "upgrade-not-repeatable")
    assert "already exists" in again["message"]
    assert again["line"] == 10  # the op.create_table that fails the second time
    inverse = only(run, "downgrade-not-inverse")
    assert "left behind: table events" in inverse["message"]
    # the table's parts are folded into the table, not listed one by one
    assert "column events" not in inverse["message"]


def test_mariadb_says_locks_are_postgresql_only(mariadb_service_url: str) -> None:
    run = verify(mariadb_service_url, "clean")
    assert run.json()["verify"]["locks_measured"] is False
    assert any("were not measured for any revision" in n for n in run.json()["verify"]["notes"])
    text = run_cli("verify", VERIFY / "clean", "--db-url", mariadb_service_url)
    assert "MariaDB" in text.stdout and "not measured" in text.stdout


def test_enum_type_left_behind_postgresql(pg_server: str) -> None:
    run = verify(pg_server, "enum_left_behind")
    inverse = only(run, "downgrade-not-inverse")
    assert "left behind: enum type ticket_status ('open', 'closed')" in inverse["message"]
    assert "DROP TYPE ticket_status" in inverse["fix"]
    assert 'type "ticket_status" already exists' in only(run, "upgrade-not-repeatable")["message"]


def test_type_change_rewrites_and_locks_but_text_and_concurrent_index_do_not(pg_server: str) -> None:
    run = verify(pg_server, "lock_rewrite")
    assert run.exit_code == 1
    rewrite = only(run, "table-rewrite")
    assert rewrite["revision"] == "0002" and rewrite["line"] == 10
    assert "table orders and its index orders_pkey" in rewrite["message"]
    assert "ALTER TABLE orders ALTER COLUMN amount TYPE BIGINT" in rewrite["message"]
    # the rewrite is table-rewrite; varchar -> text holds ACCESS EXCLUSIVE but does no table-size work,
    # and CREATE INDEX CONCURRENTLY blocks no writes: no dangerous-lock anywhere
    assert findings_of(run, "dangerous-lock") == []
    record = steps(run)
    assert [r["relation"] for r in record["0002"]["rewrites"]] == ["orders", "orders_pkey"]
    assert record["0003"]["rewrites"] == []  # varchar -> text is binary compatible
    existing = [lk for lk in record["0003"]["locks"] if lk["existing"]]
    assert {"relation": "orders", "mode": "ACCESS EXCLUSIVE"}.items() <= existing[0].items()
    assert not any(lk["existing"] and lk["blocks_writes"] for lk in record["0004"]["locks"])


def test_locks_on_tables_created_by_the_revision_are_not_findings(pg_server: str) -> None:
    run = verify(pg_server, "clean")
    created = [lk for lk in steps(run)["0001"]["locks"] if lk["relation"] == "users"]
    assert created and not any(lk["existing"] for lk in created)
    assert findings_of(run, "dangerous-lock") == []


def test_not_null_column_fails_only_with_seed_rows(pg_server: str) -> None:
    assert findings_of(verify(pg_server, "seed_not_null"), "upgrade-failed") == []
    run = verify(pg_server, "seed_not_null", "--seed-rows", "5")
    failed = only(run, "upgrade-failed")
    assert failed["revision"] == "0002" and failed["line"] == 10
    assert 'column "plan" of relation "accounts" contains null values' in failed["message"]
    assert "each table held 5 rows" in failed["message"]
    assert "server_default" in failed["fix"]
    record = steps(run)
    assert record["0002"]["status"] == "failed"
    assert record["0003"]["status"] == "ok"  # the server_default branch is safe, and still ran


def test_unique_constraint_fails_only_over_duplicates(pg_server: str) -> None:
    assert findings_of(verify(pg_server, "seed_unique"), "upgrade-failed") == []
    run = verify(pg_server, "seed_unique", "--seed-rows", "4")
    # Alembic applies the two heads 0003 first (the last in file order walks first): every seeded country
    # is the server default, DE
    failed = {f["revision"]: f for f in findings_of(run, "upgrade-failed")}
    assert "uq_customers_country" in failed["0003"]["message"] and "is duplicated" in failed["0003"]["message"]
    # no constraint kept the emails distinct, so the seeded ones repeat, as real data may
    run = verify(pg_server, "seed_unique", "--seed-rows", "4", "--to", "0002")
    failed = {f["revision"]: f for f in findings_of(run, "upgrade-failed")}
    assert "uq_customers_email" in failed["0002"]["message"] and "is duplicated" in failed["0002"]["message"]


def test_seed_rows_fill_tables_with_foreign_keys(pg_server: str) -> None:
    run = verify(pg_server, "clean", "--seed-rows", "3")
    assert run.rules() == []
    assert run.json()["verify"]["notes"] == []  # every table, posts -> users included, was filled


def test_text_report_has_the_revision_table(pg_server: str) -> None:
    run = run_cli("verify", VERIFY / "lock_rewrite", "--db-url", pg_server)
    assert run.exit_code == 1
    lines = run.stdout.splitlines()
    assert lines[0].startswith("Verified on ") and "(dropped)" in lines[0]
    header = next(line for line in lines if line.startswith("revision"))
    assert "locks on existing tables" in header and "rewrites" in header
    row = next(line for line in lines if line.startswith("0002"))
    assert "orders ACCESS EXCLUSIVE" in row and row.endswith("table-rewrite")
    assert "0002_amount_bigint.py:10  table-rewrite  error:" in run.stdout
    assert lines[-1] == "Found 1 error, 1 warning (4 revisions: 4 checked, 0 failed, 0 skipped)."


def test_fail_on_never_and_warning(pg_server: str) -> None:
    assert (
        run_cli("verify", VERIFY / "lock_rewrite", "--db-url", pg_server, "--fail-on", "never").exit_code == 0
    )
    clean = run_cli(
        "verify",
        VERIFY / "seed_not_null",
        "--db-url",
        pg_server,
        "--to",
        "0003",
        "--from",
        "0003",
        "--fail-on",
        "warning",
        "-q",
    )
    assert clean.exit_code == 1  # the missing-lock-timeout warning (ADD COLUMN without lock_timeout)


def test_from_and_to_limit_the_cycle(pg_server: str) -> None:
    run = verify(pg_server, "clean", "--from", "0003", "--to", "0004")
    record = steps(run)
    assert {r: (s["checked"], s["status"]) for r, s in record.items()} == {
        "0001": (False, "applied"),
        "0002": (False, "applied"),  # the merge needs it
        "0003": (True, "ok"),
        "0004": (True, "ok"),
    }
    assert record["0001"]["downgrade_ms"] is None


HALF_FAILING = {
    "0001_a.py": """
        import sqlalchemy as sa
        from alembic import op

        revision = "0001"
        down_revision = None


        def upgrade():
            op.create_table("a", sa.Column("id", sa.Integer, primary_key=True))


        def downgrade():
            op.drop_table("a")
    """,
    "0002_half.py": """
        import sqlalchemy as sa
        from alembic import op

        revision = "0002"
        down_revision = "0001"


        def upgrade():
            op.add_column("a", sa.Column("x", sa.Integer))
            op.add_column("a", sa.Column("x", sa.Integer))  # fails: the column exists


        def downgrade():
            op.drop_column("a", "x")
    """,
    "0003_b.py": """
        import sqlalchemy as sa
        from alembic import op

        revision = "0003"
        down_revision = "0001"


        def upgrade():
            op.create_table("b", sa.Column("id", sa.Integer, primary_key=True))


        def downgrade():
            op.drop_table("b")
    """,
}


def test_a_half_applied_failure_is_undone_and_the_other_branch_runs(
    any_server: str, write_revision: Any, tmp_path: Path
) -> None:
    for name, body in HALF_FAILING.items():
        write_revision(name, body)
    run = run_cli("verify", tmp_path / "versions", "--db-url", any_server, "-f", "json")
    failed = only(run, "upgrade-failed")
    assert failed["revision"] == "0002" and failed["line"] == 10  # the second add_column
    record = steps(run)
    # rolled back on PostgreSQL; on MySQL the first ADD COLUMN committed on its own, and the
    # database is recreated and replayed: either way the other branch still runs
    assert record["0003"]["status"] == "ok"
    assert record["0002"]["restored"] is ("mysql" in any_server)
