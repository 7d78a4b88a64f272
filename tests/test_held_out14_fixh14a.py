"""What users see for the held-out-14 alter-column-type fix of branch fixH14a (#22-#25, open-event-server
f5fec4ca8b2b): a timestamp <-> timestamptz change after ``SET TIME ZONE 'utc'`` in the same transaction keeps
the table on PostgreSQL 12+, so the finding names only the index rebuild. The cases are the fixtures
fixtures/rules/alter-column-type/bad_timezone_set_utc.{py,sql}; the server facts are in
test_rules_postgres_live.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import FIXTURES, run_cli
from migcheck.facts.postgres import timezone_set

RULE = "alter-column-type"
INDEX_ONLY = "does not rewrite the table, but every index on the column is rebuilt"
UTC_ONLY = "skips the table rewrite only when the migration's session TimeZone is UTC"


def _findings(path: Path, *args: str) -> dict[int, dict[str, str]]:
    run = run_cli("lint", path, "--format", "json", "--no-config", "--dialect", "postgresql", "--select", RULE,
                  "--fail-on", "never", *args)
    assert run.exit_code == 0, run.stderr
    return {f["line"]: f for f in run.json()["findings"] if f["rule"] == RULE}


def test_only_the_changes_after_a_utc_set_in_their_transaction_are_index_only() -> None:
    found = _findings(FIXTURES / "rules" / RULE / "bad_timezone_set_utc.py")
    index_only = {line for line, f in found.items() if INDEX_ONLY in f["message"]}
    assert index_only == {18, 23, 31}  # after SET TIME ZONE 'utc', SET LOCAL timezone, set_config(...)
    assert "set to UTC at line 17" in found[18]["message"] and found[18]["severity"] == "warning"
    assert "set to UTC at line 30" in found[31]["message"]
    # before the SET, after SET .. 'Europe/London', after COMMIT, after autocommit_block(), after RESET, under if
    assert {line for line, f in found.items() if UTC_ONLY in f["message"]} == {16, 21, 25, 29, 33, 36}
    assert found[19]["severity"] == "error" and "USING due_at AT TIME ZONE" in found[19]["message"]


def test_offline_sql_set_local_time_zone_counts_until_its_commit() -> None:
    found = _findings(FIXTURES / "rules" / RULE / "bad_timezone_set_utc.sql")
    assert INDEX_ONLY in found[23]["message"] and "set to UTC at line 21" in found[23]["message"]
    assert UTC_ONLY in found[19]["message"] and UTC_ONLY in found[31]["message"]
    assert found[25]["severity"] == "error"


def test_before_postgresql_12_the_set_changes_nothing(write_revision) -> None:  # type: ignore[no-untyped-def]
    path = write_revision("a1.py", '''
        from alembic import op
        import sqlalchemy as sa
        revision = "a1"
        down_revision = None
        def upgrade():
            op.execute("SET TIME ZONE 'UTC'")
            op.alter_column("orders", "c", type_=sa.DateTime(timezone=True), existing_type=sa.DateTime())
        ''')
    [found] = _findings(path, "--postgres-version", "11").values()
    assert found["severity"] == "error" and "the table and all its indexes are rewritten" in found["message"]
    [found] = _findings(path, "--postgres-version", "12").values()
    assert INDEX_ONLY in found["message"]


def test_a_set_in_an_earlier_revision_does_not_count(write_revision, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    write_revision("a1.py", '''
        from alembic import op
        revision = "a1"
        down_revision = None
        def upgrade():
            op.execute("SET TIME ZONE 'UTC'")
        ''')
    write_revision("a2.py", '''
        from alembic import op
        import sqlalchemy as sa
        revision = "a2"
        down_revision = "a1"
        def upgrade():
            op.alter_column("orders", "c", type_=sa.DateTime(timezone=True), existing_type=sa.DateTime())
        ''')
    [found] = _findings(tmp_path / "versions").values()
    assert UTC_ONLY in found["message"]


@pytest.mark.parametrize(("sql", "utc"), [
    ("SET TIME ZONE 'utc'", True), ("SET timezone = 'UTC'", True), ("SET TIME ZONE UTC", True),
    ("SET SESSION TIME ZONE 'UTC'", True), ("SET timezone TO 'UTC'", True), ("SET LOCAL TIME ZONE 'Etc/UTC'", True),
    ("set local timezone = 'GMT';", True), ('SET "TimeZone" = \'Zulu\'', True), ("SET TIME ZONE 0", True),
    ("SET TIME ZONE '+00:00'", True), ("SET TIME ZONE INTERVAL '+00:00' HOUR TO MINUTE", True),
    ("SELECT set_config('TimeZone', 'UTC', true)", True),
    ("SET TIME ZONE 'Europe/London'", False), ("SET TIME ZONE 'Etc/GMT-1'", False), ("SET TIME ZONE 1", False),
    ("SET TIME ZONE LOCAL", False), ("SET TIME ZONE DEFAULT", False), ("SET timezone TO DEFAULT", False),
    ("RESET timezone", False), ("RESET ALL", False), ("DISCARD ALL", False), ("SET TIME ZONE 'Z'", False),
    ("SET lock_timeout = '5s'", None), ("SELECT 1", None),
])
def test_what_a_statement_does_to_the_session_timezone(sql: str, utc: bool | None) -> None:
    assert timezone_set(sql) is utc
