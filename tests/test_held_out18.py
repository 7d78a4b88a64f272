"""Held-out-18 (tracecat c76f9b01fad7): SQL built by a helper of the revision in a loop over literal table names is
read, and a finding that says the same thing on the same line (a loop's passes) is reported once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from conftest import findings_of, run_cli

HEADER = '''
"""rls

Revision ID: a1
Revises:
"""
from alembic import op

revision = "a1"
down_revision = None

BYPASS = "app.rls_bypass"
TABLES = ["workflow", "secret"]

'''


def _lint(path: Path) -> list[dict[str, object]]:
    run = run_cli("lint", path, "--no-config", "--dialect", "postgresql", "--format", "json", "--fail-on", "never")
    assert run.exit_code == 0, run.stderr
    return run.json()["findings"]  # type: ignore[no-any-return]


def test_sql_returned_by_a_helper_of_the_revision_is_read_for_each_table(
        write_revision: Callable[..., Path], tmp_path: Path) -> None:
    write_revision("a1_rls.py", HEADER + '''
def _index(table: str) -> str:
    """The index every tenant table gets."""
    return f"""
        CREATE INDEX ix_{table}_tenant ON "{table}" (tenant_id)
            WHERE current_setting('{BYPASS}', true) = 'off';
    """


def upgrade() -> None:
    for table in TABLES:
        op.execute(_index(table))


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP INDEX ix_{table}_tenant")
''')
    found = _lint(tmp_path / "versions")
    rules = [(f["rule"], f["line"]) for f in found]
    assert ("raw-sql-not-understood", 25) not in rules
    indexes = [f for f in found if f["rule"] == "create-index-not-concurrently"]
    assert [f["line"] for f in indexes] == [25, 25]
    assert sorted(name for f in indexes for name in ("ix_workflow_tenant", "ix_secret_tenant")
                  if name in str(f["message"])) == ["ix_secret_tenant", "ix_workflow_tenant"]


def test_a_loop_repeating_one_unreadable_statement_is_reported_once(
        write_revision: Callable[..., Path], tmp_path: Path) -> None:
    """The helper has a default argument, so migcheck does not evaluate it: one finding, not one per pass."""
    write_revision("a1_rls.py", HEADER + '''
def _enable(table: str, force: bool = False) -> str:
    return f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY'


def upgrade() -> None:
    for table in TABLES:
        op.execute(_enable(table))


def downgrade() -> None:
    pass
''')
    run = run_cli("lint", tmp_path / "versions", "--no-config", "--dialect", "postgresql", "--format", "json",
                  "--fail-on", "never")
    unread = findings_of(run, "raw-sql-not-understood")
    assert [(f["line"], f["path"].endswith("a1_rls.py")) for f in unread] == [(21, True)]
