"""The six core rules (and their neighbours): each fires on its fixture and stays quiet on the safe one.

Every rule is checked on the Python path (op.* calls and op.execute SQL strings) and on the
offline SQL path (``alembic upgrade --sql`` output).
"""

from __future__ import annotations

import pytest

from conftest import FIXTURES, run_cli

RULES = FIXTURES / "rules"

# rule id -> (expected (file name, line) on the Python path, expected lines in fires.sql or None)
FIRES: dict[str, tuple[list[tuple[str, int]], list[int] | None]] = {
    "add-not-null-column-without-default": (
        [("0001_add_age.py", 15), ("0001_add_age.py", 16), ("0001_add_age.py", 18), ("0001_add_age.py", 19)],
        [19],
    ),
    "drop-column": ([("0001_drop_legacy.py", 15), ("0001_drop_legacy.py", 17)], [10]),
    "drop-table": ([("0001_drop_audit.py", 15)], [10]),
    "create-index-not-concurrently": ([("0001_index_orders.py", 15), ("0001_index_orders.py", 16)], [10]),
    "drop-index-not-concurrently": ([("0001_drop_index.py", 15)], [10]),
    "concurrent-index-in-transaction": (
        [("0001_concurrent_in_tx.py", 15), ("0001_concurrent_in_tx.py", 19)],
        [10],
    ),
    "mixed-schema-and-data-change": ([("0001_full_name.py", 16), ("0002_bind_backfill.py", 17)], [12]),
    "missing-downgrade": ([("0001_pass.py", 18), ("0002_raise.py", 18), ("0003_absent.py", 9)], None),
}


def _hits(run_json: dict, rule: str) -> list[tuple[str, int]]:
    return sorted(
        (f["path"].rsplit("/", 1)[-1], f["line"]) for f in run_json["findings"] if f["rule"] == rule
    )


@pytest.mark.parametrize("rule", sorted(FIRES))
def test_fires_on_python_revisions(rule: str) -> None:
    run = run_cli("lint", RULES / rule / "fires", "--format", "json", "--fail-on", "info")
    assert run.exit_code == 1
    assert _hits(run.json(), rule) == sorted(FIRES[rule][0])


@pytest.mark.parametrize("rule", sorted(FIRES))
def test_quiet_on_safe_python_revisions(rule: str) -> None:
    run = run_cli("lint", RULES / rule / "safe", "--format", "json")
    assert _hits(run.json(), rule) == []


@pytest.mark.parametrize("rule", sorted(r for r, (_, sql) in FIRES.items() if sql is not None))
def test_fires_on_offline_sql(rule: str) -> None:
    run = run_cli("lint", RULES / rule / "fires.sql", "--format", "json", "--fail-on", "info")
    assert run.exit_code == 1
    assert [line for _, line in _hits(run.json(), rule)] == FIRES[rule][1]


@pytest.mark.parametrize("rule", sorted(r for r, (_, sql) in FIRES.items() if sql is not None))
def test_quiet_on_safe_offline_sql(rule: str) -> None:
    run = run_cli("lint", RULES / rule / "safe.sql", "--format", "json")
    assert _hits(run.json(), rule) == []
    assert run.exit_code == 0


def test_not_null_message_names_column_and_failure() -> None:
    run = run_cli("lint", RULES / "add-not-null-column-without-default" / "fires", "--format", "json")
    messages = [f["message"] for f in run.json()["findings"]]
    assert any(m.startswith("column users.age is added NOT NULL without a server_default") for m in messages)
    assert any("Python-side default= never reaches existing rows" in m for m in messages)  # users.score
    assert any("accounts.plan" in m for m in messages)  # batch_alter_table resolves the table
    assert any("orders.region" in m for m in messages)  # op.execute SQL string


def test_not_null_reason_depends_on_dialect() -> None:
    fires = RULES / "add-not-null-column-without-default" / "fires"
    mysql = run_cli("lint", fires, "--format", "json", "--dialect", "mysql").json()["findings"][0]["message"]
    sqlite = run_cli("lint", fires, "--format", "json", "--dialect", "sqlite").json()["findings"][0]["message"]
    assert "fill every existing row" in mysql
    assert "Cannot add a NOT NULL column" in sqlite


def test_postgres_only_rules_are_silent_for_other_dialects() -> None:
    run = run_cli("lint", RULES / "create-index-not-concurrently" / "fires", "--format", "json",
                  "--dialect", "mysql")
    assert "create-index-not-concurrently" not in run.rules()


def test_fix_is_alembic_code_with_real_names() -> None:
    run = run_cli("lint", RULES / "create-index-not-concurrently" / "fires", "--format", "json")
    fix = run.json()["findings"][0]["fix"]
    assert "autocommit_block()" in fix
    assert 'op.create_index("ix_orders_customer_id", "orders", ["customer_id"], postgresql_concurrently=True)' in fix


def test_warnings_alone_pass_by_default_and_fail_with_fail_on_warning() -> None:
    fires = RULES / "drop-index-not-concurrently" / "fires"
    assert run_cli("lint", fires).exit_code == 0
    assert run_cli("lint", fires, "--fail-on", "warning").exit_code == 1
    assert run_cli("lint", RULES / "drop-table" / "fires", "--fail-on", "never").exit_code == 0
