"""verify finds every broken revision in one run, counts what it checked, and reports only locks that cost.

The ``full_cycle`` fixture spreads four different broken downgrades through a
22-revision history (a forgotten table, so the second upgrade fails at its
first line; ``pass``; an index left behind; a downgrade that raises), risky
revisions (a validated CHECK and FOREIGN KEY, indexes built without
CONCURRENTLY, also inside an autocommit block, SET NOT NULL with nothing to
prove it, INTEGER -> BIGINT) and their safe twins (NOT VALID + VALIDATE,
lock_timeout set, a nullable column, a constant default, a varchar widening,
SET NOT NULL after a validated CHECK, CREATE INDEX CONCURRENTLY).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from conftest import FIXTURES, ROOT, Run, findings_of, run_cli

FULL = FIXTURES / "verify" / "full_cycle"
SCHEMA = json.loads((ROOT / "src/migcheck/schemas/report-v1.json").read_text(encoding="utf-8"))
SAFE_TWINS = {"0002", "0005", "0007", "0010", "0011", "0013", "0014", "0015", "0016", "0017", "0021"}


def run_json(*args: str | Path) -> Run:
    run = run_cli("verify", *args, "--format", "json")
    assert run.exit_code in (0, 1), run.stderr
    jsonschema.validate(run.json(), SCHEMA)
    return run


def by_revision(run: Run, rule: str) -> dict[str, dict[str, Any]]:
    return {f["revision"]: f for f in findings_of(run, rule)}


def steps(run: Run) -> dict[str, dict[str, Any]]:
    return {s["revision"]: s for s in run.json()["verify"]["steps"]}


@pytest.fixture(scope="module")
def full_runs() -> dict[str, Run]:
    return {}


def full(url: str, cache: dict[str, Run]) -> Run:
    if url not in cache:
        cache[url] = run_json(FULL, "--db-url", url)
    return cache[url]


def test_four_broken_downgrades_in_one_run(pg_server: str, full_runs: dict[str, Run]) -> None:
    run = full(pg_server, full_runs)
    assert run.exit_code == 1
    assert set(by_revision(run, "downgrade-not-inverse")) == {"0003", "0006", "0009"}
    assert set(by_revision(run, "upgrade-not-repeatable")) == {"0003", "0006", "0009"}
    assert set(by_revision(run, "downgrade-failed")) == {"0012"}
    again = by_revision(run, "upgrade-not-repeatable")
    assert again["0003"]["line"] == 10 and 'relation "audit" already exists' in again["0003"]["message"]
    assert "left behind: index accounts.ix_accounts_status" in by_revision(run, "downgrade-not-inverse")["0009"]["message"]
    assert "NotImplementedError: no way back" in by_revision(run, "downgrade-failed")["0012"]["message"]
    record = steps(run)
    # after each failure the state was rebuilt, so everything after it was checked
    assert {r for r, s in record.items() if s["restored"]} == {"0003", "0006", "0009"}
    assert all(s["checked"] and s["status"] in ("ok", "failed") for s in record.values())
    assert {r for r, s in record.items() if s["status"] == "failed"} == {"0003", "0006", "0009", "0012"}
    assert run.json()["summary"]["verify"] == {
        "checked": 22, "failed": 4, "skipped": 0, "applied_only": 0, "skipped_because": [],
    }


def test_dangerous_lock_only_where_table_size_work_runs_under_the_lock(
    pg_server: str, full_runs: dict[str, Run]
) -> None:
    run = full(pg_server, full_runs)
    locks = by_revision(run, "dangerous-lock")
    assert set(locks) == {"0004", "0008", "0009", "0018", "0020", "0022"}
    assert not SAFE_TWINS & set(locks)
    assert "scans the whole table accounts while holding ACCESS EXCLUSIVE" in locks["0004"]["message"]
    assert "builds an index over the whole table orders while holding SHARE" in locks["0008"]["message"]
    assert "scans the whole table orders while holding SHARE ROW EXCLUSIVE" in locks["0022"]["message"]
    assert locks["0018"]["line"] == 10 and "SET NOT NULL" in locks["0018"]["message"]
    # a plain CREATE INDEX inside autocommit_block() is measured in a probe transaction, not called ok
    assert "probe transaction" in locks["0020"]["message"]
    assert "postgresql_concurrently=True" in locks["0020"]["fix"]
    # the lock_timeout fix is not repeated on every finding
    assert not any("lock_timeout" in (f["fix"] or "") for f in findings_of(run, "dangerous-lock"))
    rewrite = by_revision(run, "table-rewrite")
    assert set(rewrite) == {"0019"} and "ALTER COLUMN amount TYPE BIGINT" in rewrite["0019"]["message"]
    record = steps(run)
    assert [(c["relation"], c["work"], c["mode"]) for c in record["0008"]["costs"]] == [
        ("orders", "index build", "SHARE")
    ]
    for safe in SAFE_TWINS:
        assert record[safe]["costs"] == [], safe


def test_lock_timeout_is_one_finding_per_run_and_set_means_bounded(pg_server: str, full_runs: dict[str, Run]) -> None:
    run = full(pg_server, full_runs)
    missing = findings_of(run, "missing-lock-timeout")
    assert len(missing) == 1
    assert missing[0]["path"].endswith("full_cycle/migrations/env.py")
    assert "by revisions 0002, 0003, 0004," in missing[0]["message"] and ", 0011," in missing[0]["message"]
    assert "SET lock_timeout" in missing[0]["fix"]
    record = steps(run)
    assert [lk["bounded"] for lk in record["0010"]["locks"] if lk["existing"]] == [True]
    assert [lk["bounded"] for lk in record["0011"]["locks"] if lk["existing"]] == [False]
    assert "0010" not in missing[0]["message"]


def test_concurrent_index_is_not_measured_never_ok(pg_server: str, full_runs: dict[str, Run]) -> None:
    record = steps(full(pg_server, full_runs))
    step = record["0021"]
    assert step["locks_measured"] == "partly"
    assert step["unmeasured"][0]["line"] == 10
    assert "cannot run inside a transaction block" in step["unmeasured"][0]["reason"]
    assert record["0020"]["locks_measured"] == "yes"


def test_summary_counts_in_every_format(postgres_service_url: str, tmp_path: Path) -> None:
    outputs = {fmt: tmp_path / f"report.{fmt}" for fmt in ("json", "markdown", "github", "sarif")}
    run = run_cli(
        "verify", FULL, "--db-url", postgres_service_url, *[a for f, p in outputs.items() for a in ("-f", f"{f}:{p}")]
    )
    assert run.exit_code == 1
    counted = "22 revisions: 22 checked, 4 failed, 0 skipped"
    assert run.stdout.splitlines()[-1].endswith(f"({counted}).")
    assert counted in outputs["markdown"].read_text().replace("\\", "")  # markdown escapes punctuation
    assert counted in outputs["github"].read_text()
    assert json.loads(outputs["json"].read_text())["summary"]["verify"]["failed"] == 4
    sarif = json.loads(outputs["sarif"].read_text())
    assert sarif["runs"][0]["properties"]["verify"]["checked"] == 22


SKIPPING = {
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
    "0002_fails.py": """
        from alembic import op

        revision = "0002"
        down_revision = "0001"


        def upgrade():
            op.execute("ALTER TABLE nowhere ADD COLUMN x integer")


        def downgrade():
            pass
    """,
    "0003_child.py": """
        import sqlalchemy as sa
        from alembic import op

        revision = "0003"
        down_revision = "0002"


        def upgrade():
            op.add_column("a", sa.Column("y", sa.Integer))


        def downgrade():
            op.drop_column("a", "y")
    """,
    "0004_other_branch.py": """
        import sqlalchemy as sa
        from alembic import op

        revision = "0004"
        down_revision = "0001"


        def upgrade():
            op.create_table("b", sa.Column("id", sa.Integer, primary_key=True))


        def downgrade():
            op.drop_table("b")
    """,
}


def test_skipped_revisions_are_counted_with_the_reason_in_text_quiet_and_json(
    postgres_service_url: str, write_revision: Any, tmp_path: Path
) -> None:
    for name, body in SKIPPING.items():
        write_revision(name, body)
    run = run_json(tmp_path / "versions", "--db-url", postgres_service_url)
    counts = run.json()["summary"]["verify"]
    assert counts["checked"] == 3 and counts["failed"] == 1 and counts["skipped"] == 1
    assert counts["skipped_because"] == [{"revision": "0003", "reason": "the upgrade of 0002 failed"}]
    assert steps(run)["0004"]["status"] == "ok"  # the other branch still ran
    quiet = run_cli("verify", tmp_path / "versions", "--db-url", postgres_service_url, "-q")
    assert quiet.stdout.splitlines()[-1].endswith(
        "(4 revisions: 3 checked, 1 failed, 1 skipped (0003: the upgrade of 0002 failed))."
    )


SEEDED = {
    "0001_tables.py": """
        import sqlalchemy as sa
        from alembic import op

        revision = "0001"
        down_revision = None


        def upgrade():
            op.create_table("parents", sa.Column("id", sa.Integer, primary_key=True))
            op.create_table(
                "children",
                sa.Column("id", sa.Integer, primary_key=True),
                sa.Column("parent_ref", sa.Integer, nullable=False),
                sa.Column("code", sa.String(20), nullable=False),
            )


        def downgrade():
            op.drop_table("children")
            op.drop_table("parents")
    """,
    "0002_not_null.py": """
        import sqlalchemy as sa
        from alembic import op

        revision = "0002"
        down_revision = "0001"


        def upgrade():
            op.add_column("children", sa.Column("plan", sa.String(10), nullable=False))


        def downgrade():
            op.drop_column("children", "plan")
    """,
    "0003_after.py": """
        import sqlalchemy as sa
        from alembic import op

        revision = "0003"
        down_revision = "0002"


        def upgrade():
            op.add_column("children", sa.Column("extra", sa.Integer))


        def downgrade():
            op.drop_column("children", "extra")
    """,
    "0004_unique_code.py": """
        from alembic import op

        revision = "0004"
        down_revision = "0003"


        def upgrade():
            op.create_unique_constraint("uq_children_code", "children", ["code"])


        def downgrade():
            op.drop_constraint("uq_children_code", "children", type_="unique")
    """,
    "0005_foreign_key.py": """
        from alembic import op

        revision = "0005"
        down_revision = "0004"


        def upgrade():
            op.create_foreign_key("fk_children_parent", "children", "parents", ["parent_ref"], ["id"])


        def downgrade():
            op.drop_constraint("fk_children_parent", "children", type_="foreignkey")
    """,
}


def test_seed_rows_failure_goes_on_from_the_unseeded_state_and_data_has_duplicates_and_orphans(
    pg_server: str, write_revision: Any, tmp_path: Path
) -> None:
    for name, body in SEEDED.items():
        write_revision(name, body)
    run = run_json(tmp_path / "versions", "--db-url", pg_server, "--seed-rows", "6")
    failed = by_revision(run, "upgrade-failed")
    assert set(failed) == {"0002", "0004", "0005"}
    assert "contains null values" in failed["0002"]["message"]
    assert "is duplicated" in failed["0004"]["message"]
    assert "violates foreign key constraint" in failed["0005"]["message"]
    record = steps(run)
    assert "upgrades on empty tables" in record["0002"]["note"]
    assert record["0003"]["status"] == "ok"  # not skipped behind the seeded failure
    assert run.json()["summary"]["verify"]["skipped"] == 0


def test_truncate_is_described_as_emptying_the_table(
    postgres_service_url: str, write_revision: Any, tmp_path: Path
) -> None:
    write_revision("0001_a.py", SKIPPING["0001_a.py"])
    write_revision("0002_truncate.py", """
        from alembic import op

        revision = "0002"
        down_revision = "0001"


        def upgrade():
            op.execute("TRUNCATE a")


        def downgrade():
            pass
    """)
    run = run_json(tmp_path / "versions", "--db-url", postgres_service_url)
    rewrite = by_revision(run, "table-rewrite")["0002"]
    assert "empties existing table a: TRUNCATE deletes every row" in rewrite["message"]
    assert "every row is copied" not in rewrite["message"]


def test_mariadb_restores_by_replay_and_says_locks_were_not_measured(mariadb_service_url: str) -> None:
    run = run_json(FIXTURES / "verify" / "forgets_drop", "--db-url", mariadb_service_url)
    record = steps(run)
    assert all(s["locks_measured"] == "no" for s in record.values())
    assert record["0002"]["restored"] is True
    text = run_cli("verify", FIXTURES / "verify" / "forgets_drop", "--db-url", mariadb_service_url)
    assert "not measured" in text.stdout


@pytest.mark.parametrize("use_env", [False, True])
def test_lock_timeout_set_in_env_py_means_no_lock_timeout_finding(
    postgres_service_url: str, tmp_path: Path, use_env: bool
) -> None:
    import shutil

    project = tmp_path / "lock_rewrite"
    shutil.copytree(FIXTURES / "verify" / "lock_rewrite", project)
    env = project / "migrations" / "env.py"
    env.write_text(
        env.read_text(encoding="utf-8").replace(
            "    with context.begin_transaction():",
            "    connection.exec_driver_sql(\"SET lock_timeout = '5s'\")\n    with context.begin_transaction():",
        ),
        encoding="utf-8",
    )
    run = run_json(project, "--db-url", postgres_service_url, *(["--use-env", "-q"] if use_env else []))
    assert findings_of(run, "missing-lock-timeout") == []
    existing = [lk for lk in steps(run)["0003"]["locks"] if lk["existing"]]
    assert existing and all(lk["bounded"] for lk in existing)
