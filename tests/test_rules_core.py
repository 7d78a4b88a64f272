"""The core rules beyond their fixtures: messages, fixes, dialects and exit codes.

Whether each rule fires on exactly the marked lines of ``fixtures/rules/<rule>/bad*`` and stays quiet
on ``safe*`` (Python revisions and offline SQL) is tested by test_rule_fixtures.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import FIXTURES, run_cli

RULES = FIXTURES / "rules"

#: The core rules with an offline SQL twin: migcheck's defaults pass each safe.sql as a whole.
CORE_SQL = ["add-not-null-column-without-default", "drop-column", "drop-table", "create-index-not-concurrently",
            "drop-index-not-concurrently", "concurrent-index-in-transaction", "mixed-schema-and-data-change"]


@pytest.mark.parametrize("rule", CORE_SQL)
def test_safe_offline_sql_passes_at_default_fail_on(rule: str) -> None:
    run = run_cli("lint", RULES / rule / "safe.sql", "--format", "json")
    assert run.exit_code == 0
    assert rule not in run.rules()


def test_not_null_message_names_column_and_failure() -> None:
    run = run_cli("lint", RULES / "add-not-null-column-without-default" / "bad", "--format", "json")
    messages = [f["message"] for f in run.json()["findings"]]
    assert any(m.startswith("column users.age is added NOT NULL without a server_default") for m in messages)
    assert any("Python-side default= never reaches existing rows" in m for m in messages)  # users.score
    assert any("accounts.plan" in m for m in messages)  # batch_alter_table resolves the table
    assert any("orders.region" in m for m in messages)  # op.execute SQL string


def test_not_null_reason_depends_on_dialect() -> None:
    bad = RULES / "add-not-null-column-without-default" / "bad"
    mysql = run_cli("lint", bad, "--format", "json", "--dialect", "mysql").json()["findings"][0]["message"]
    sqlite = run_cli("lint", bad, "--format", "json", "--dialect", "sqlite").json()["findings"][0]["message"]
    assert "fill every existing row" in mysql
    assert "Cannot add a NOT NULL column" in sqlite


def test_postgres_only_rules_are_silent_for_other_dialects() -> None:
    run = run_cli("lint", RULES / "create-index-not-concurrently" / "bad", "--format", "json",
                  "--dialect", "mysql")
    assert "create-index-not-concurrently" not in run.rules()


def test_fix_is_alembic_code_with_real_names() -> None:
    run = run_cli("lint", RULES / "create-index-not-concurrently" / "bad", "--format", "json")
    fix = run.json()["findings"][0]["fix"]
    assert "autocommit_block()" in fix
    assert 'op.create_index("ix_orders_customer_id", "orders", ["customer_id"], postgresql_concurrently=True)' in fix


def test_warnings_alone_pass_by_default_and_fail_with_fail_on_warning() -> None:
    bad = RULES / "drop-index-not-concurrently" / "bad"
    assert run_cli("lint", bad).exit_code == 0
    assert run_cli("lint", bad, "--fail-on", "warning").exit_code == 1
    assert run_cli("lint", RULES / "drop-table" / "bad", "--fail-on", "never").exit_code == 0


def test_an_unnamed_index_fix_keeps_none_or_takes_postgresqls_own_name(tmp_path: Path) -> None:
    """The fix quoted a missing name as the string ``"None"``: an index really named None."""
    versions = tmp_path / "versions"
    versions.mkdir()
    (versions / "a1.py").write_text(
        'from alembic import op\nrevision = "a1"\ndown_revision = None\n\n\ndef upgrade():\n'
        '    op.create_index(None, "users", ["email"])\n    op.execute("CREATE INDEX ON users (name)")\n\n\n'
        'def downgrade():\n    pass\n')
    run = run_cli("lint", versions, "--no-config", "--format", "json", "--select", "create-index-not-concurrently")
    fixes = [f["fix"] for f in run.json()["findings"]]
    assert 'op.create_index(None, "users", ["email"], postgresql_concurrently=True)' in fixes[0]
    assert 'op.create_index("users_name_idx", "users", ["name"], postgresql_concurrently=True)' in fixes[1]
    assert '"None"' not in "".join(fixes)
