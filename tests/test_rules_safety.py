"""Safety rules: lock timeouts, batched backfills, SQL built from strings, SQL migcheck cannot read."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from conftest import FIXTURES, findings_of, run_cli
from migcheck.run.engine import lint_paths
from migcheck.vocabulary.settings import Settings

HEAD = '''
"""{msg}"""
from alembic import op
import sqlalchemy as sa

revision = "a1"
down_revision = "a0"

'''


def found(path: Path, rule: str, *args: str) -> list[dict[str, object]]:
    return findings_of(run_cli("lint", path, "--format", "json", "--fail-on", "never", *args), rule)


def test_missing_lock_timeout_names_the_lock_and_skips_new_tables(
    write_revision: Callable[..., Path],
) -> None:
    path = write_revision(
        "a1.py",
        HEAD.format(msg="fk")
        + """
def upgrade():
    op.create_table("notes", sa.Column("id", sa.BigInteger(), primary_key=True))
    op.create_index("ix_notes_id", "notes", ["id"])
    with op.get_context().autocommit_block():
        op.create_index("ix_orders_day", "orders", ["day"], postgresql_concurrently=True)
    op.create_foreign_key("fk_notes_orders", "notes", "orders", ["order_id"], ["id"])
    op.create_foreign_key("fk_orders_customer", "orders", "customers", ["customer_id"], ["id"])


def downgrade():
    pass
""",
    )
    hits = found(path, "missing-lock-timeout")
    assert [f["line"] for f in hits] == [15]
    assert "takes a SHARE ROW EXCLUSIVE lock" in hits[0]["message"]
    assert "SET LOCAL lock_timeout" in hits[0]["fix"]


def test_lock_timeout_of_zero_is_no_timeout(write_revision: Callable[..., Path]) -> None:
    path = write_revision(
        "a1.py",
        HEAD.format(msg="zero")
        + """
def upgrade():
    op.execute("SET lock_timeout = 0")
    op.drop_index("ix_orders_day", table_name="orders")


def downgrade():
    pass
""",
    )
    assert [f["line"] for f in found(path, "missing-lock-timeout")] == [11]
    path.write_text(
        path.read_text().replace("SET lock_timeout = 0", "SELECT set_config('lock_timeout', '3s', true)")
    )
    assert found(path, "missing-lock-timeout") == []


def test_env_py_lock_timeout_covers_every_revision() -> None:
    assert found(FIXTURES / "rules" / "missing-lock-timeout" / "safe_env", "missing-lock-timeout") == []


def test_mysql_lock_timeout_message_follows_the_server_version(write_revision: Callable[..., Path]) -> None:
    path = write_revision(
        "a1.py",
        HEAD.format(msg="add")
        + """
def upgrade():
    op.add_column("accounts", sa.Column("note", sa.Text()))


def downgrade():
    pass
""",
    )

    def message(version: str) -> str:
        result = lint_paths(
            [path], Settings(dialect="mysql", mysql_version=version, select={"missing-lock-timeout"})
        )
        return result.findings[0].message

    assert "INSTANT on MySQL 8.0.12" in message("8.0.12")
    assert "copies the table on MySQL 5.7" in message("5.7")
    assert "INSTANT on MariaDB 10.11" in message("10.11")


def test_unsafe_interpolation_variants(write_revision: Callable[..., Path]) -> None:
    path = write_revision(
        "a1.py",
        HEAD.format(msg="sql")
        + """
TABLE = "accounts"


def upgrade():
    plan = get_plan()
    op.execute("UPDATE accounts SET plan = '{}'".format(plan))
    op.execute("UPDATE %s SET plan = 'free'" % TABLE)
    sql = "DELETE FROM sessions WHERE token = '%s'" % plan
    op.execute(sql)
    op.execute("ANALYZE " + TABLE)


def downgrade():
    pass
""",
    )
    assert [f["line"] for f in found(path, "unsafe-sql-interpolation", "--extend-select", "unsafe-sql-interpolation")] == [14, 17]


def test_orm_bulk_update_without_filter_is_a_whole_table_backfill(
    write_revision: Callable[..., Path],
) -> None:
    path = write_revision(
        "a1.py",
        HEAD.format(msg="orm")
        + """
from sqlalchemy.orm import Session

users = sa.table("users", sa.column("active", sa.Boolean))


def upgrade():
    session = Session(bind=op.get_bind())
    session.query(users).update({"active": True})
    session.query(users).filter(users.c.id < 1000).update({"active": True})
    session.query(users).filter_by(active=None).delete()


def downgrade():
    pass
""",
    )
    hits = found(path, "unbatched-backfill")
    assert [f["line"] for f in hits] == [16]
    assert hits[0]["message"].startswith("UPDATE of the table: it has no WHERE")


def test_runtime_sql_is_reported_as_not_understood(write_revision: Callable[..., Path]) -> None:
    path = write_revision(
        "a1.py",
        HEAD.format(msg="runtime")
        + """
def upgrade():
    op.execute(build_sql())
    op.create_sequence("s")


def downgrade():
    pass
""",
    )
    hits = found(path, "raw-sql-not-understood")
    assert [f["line"] for f in hits] == [10, 11]
    assert "only known at run time" in hits[0]["message"]
    assert "op.create_sequence() is not modelled" in hits[1]["message"]


def test_backfill_wheres_that_do_and_do_not_bound_the_batch(write_revision: Callable[..., Path]) -> None:
    path = write_revision(
        "a1.py",
        HEAD.format(msg="wheres")
        + '''
def upgrade():
    op.execute("UPDATE t SET a = 1 WHERE (a IS NULL) AND (b IS NOT NULL)")
    op.execute("DELETE FROM t WHERE NOT (a IS NULL)")
    op.execute("UPDATE t SET a = 1 WHERE id IN (SELECT id FROM t WHERE a IS NULL)")
    op.execute("UPDATE t SET a = 1 WHERE a IS NULL OR id < 10")
    op.execute("UPDATE t SET a = 1 WHERE id IN (SELECT id FROM t WHERE a IS NULL LIMIT 500)")
    op.execute("UPDATE t SET a = 1 WHERE id BETWEEN :lo AND :hi")
    op.execute("UPDATE t SET a = 1 WHERE status = 'legacy'")


def downgrade():
    pass
''',
    )
    assert [f["line"] for f in found(path, "unbatched-backfill")] == [10, 11, 12]


ROW_LOOP = '''
from alembic import op
import sqlalchemy as sa

revision = "r1"
down_revision = "r0"


def upgrade():
    conn = op.get_bind()
    for row in conn.execute(sa.text("SELECT id FROM users{limit}")):
        conn.execute(sa.text("UPDATE users SET plan = 'free' WHERE id = :id"), {{"id": row.id}})


def downgrade():
    pass
'''


def test_row_by_row_loop_is_reported_only_when_it_reads_every_row(write_revision: Callable[..., Path]) -> None:
    def found(limit: str) -> list[tuple[int, str]]:
        path = write_revision("r1.py", ROW_LOOP.format(limit=limit))
        result = lint_paths([path], Settings(dialect="postgresql"))
        return [(f.line, f.message) for f in result.findings if f.rule == "unbatched-backfill"]

    [(line, message)] = found("")
    assert line == 11 and "runs once per row of the loop at line 10" in message
    assert found(" ORDER BY id LIMIT 1000") == []
