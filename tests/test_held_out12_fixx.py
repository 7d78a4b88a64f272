"""What users see for the held-out-12 fixes of branch fixX (the rule-level cases are fixtures,
fixtures/rules/<rule>/safe_* and their bad_* twins): Core statements built in steps, str() defaults,
a column type returned by a revision's own helper."""

from __future__ import annotations

import textwrap
from pathlib import Path

from conftest import FIXTURES, run_cli
from migcheck.sources.load import load_python
from migcheck.vocabulary.changes import AddColumn, DataChange

HEADER = 'from alembic import op\nimport sqlalchemy as sa\nrevision = "r1"\ndown_revision = None\n'


def _messages(case: str, rule: str) -> tuple[int, dict[int, str]]:
    run = run_cli("lint", FIXTURES / "rules" / rule / case, "--format", "json", "--no-config", "--dialect",
                  "postgresql", "--select", rule, "--fail-on", "warning")
    return run.exit_code, {f["line"]: f["message"] for f in run.json()["findings"] if f["rule"] == rule}


def _upgrade(tmp_path: Path, body: str) -> list:
    path = tmp_path / "r1.py"
    path.write_text(HEADER + textwrap.dedent(body))
    migration = load_python(path, "postgresql")
    assert migration is not None
    return migration.upgrade_changes


def test_a_core_update_built_in_steps_is_a_whole_table_update_of_the_reflected_table() -> None:
    """held-out-12 #85 (aleph 9dcef7592cea): q = sa.update(meta.tables["item"]); q = q.values(...)."""
    code, messages = _messages("bad_core_update_in_steps.py", "unbatched-backfill")
    assert code == 1
    assert list(messages) == [16]
    assert messages[16].startswith("UPDATE of item: it has no WHERE, so it touches every row in one statement")


def test_each_step_on_the_name_extends_the_statement_and_any_other_binding_ends_it(tmp_path: Path) -> None:
    found = _upgrade(tmp_path, """
        def upgrade():
            bind = op.get_bind()
            meta = sa.MetaData()
            meta.reflect(bind)
            t = meta.tables["entity"]
            q = sa.update(t)
            q = q.where(t.c.id == 1)
            q = q.values(name="x")
            bind.execute(q)
            q = sa.delete(t)
            bind.execute(q)
            q = sa.delete(t)
            q = q.prefix_with("/* x */").where(t.c.id == 2)
            bind.execute(q)
            q = sa.delete(meta.tables["archive.entity"])
            bind.execute(q)
    """)
    data = [(c.action, c.table, c.has_where) for c in found if isinstance(c, DataChange)]
    # a new sa.delete(t) ends the UPDATE before it; "schema.table" keys are not named (no schema recorded)
    assert data == [("update", "entity", True), ("delete", "entity", False), ("delete", "entity", True),
                    ("delete", None, False)]


def test_a_python_str_of_any_value_is_a_quoted_literal_default_and_sql_text_stays_sql(tmp_path: Path) -> None:
    """held-out-12 #6 (security_monkey d08d0b37788a): server_default=str(account_type.id) renders DEFAULT '1'."""
    found = _upgrade(tmp_path, """
        def upgrade():
            op.add_column("a", sa.Column("k", sa.Integer(), server_default=str(kind.id)))
            op.add_column("a", sa.Column("f", sa.Text(), server_default=f"k-{kind.id}"))
            op.add_column("a", sa.Column("s", sa.Text(), server_default=sa.text(str(kind.id))))
            op.alter_column("a", "m", server_default="%s" % kind.id)
    """)
    defaults = [c.column.server_default if isinstance(c, AddColumn) else c.server_default for c in found]
    assert defaults == ["'str(kind.id)'", "'f''k-{kind.id}'''", "str(kind.id)", "'''%s'' % kind.id'"]


def test_a_str_default_of_a_run_time_value_is_no_volatile_default() -> None:
    code, messages = _messages("safe_python_text_of_any_value.py", "add-column-with-volatile-default")
    assert (code, messages) == (0, {})
    code, messages = _messages("bad_sql_text_of_run_time_values.py", "add-column-with-volatile-default")
    assert code == 1 and list(messages) == [12, 13, 14]
    assert "its default calls gen_random_uuid(), which is VOLATILE" in messages[12]


def test_the_history_type_is_what_a_dialect_helper_of_the_revision_returns() -> None:
    """held-out-12 #23 (quetz 0653794b6252, ancestor 8dfb7c4bfbd7): get_intervaltype() returns the native enum
    intervaltype on PostgreSQL; autogenerate's existing_type=INTERVAL() is not what the column is."""
    code, messages = _messages("safe_type_from_dialect_helper", "alter-column-type")
    assert (code, messages) == (0, {})
    code, messages = _messages("bad_type_from_dialect_helper", "alter-column-type")
    assert code == 1 and list(messages) == [12]
    assert messages[12].startswith("type of metrics.period changes from Text() to Enum('hour', 'day', 'month', "
                                   "'year', name='intervaltype') (old type from an earlier revision; existing_type= "
                                   "says INTERVAL())")


def test_a_type_helper_is_read_for_the_linted_dialect_only_when_its_branches_test_the_dialect(tmp_path: Path) -> None:
    found = _upgrade(tmp_path, """
        def pg_type():
            if op.get_context().dialect.name == "postgresql":
                kind = sa.dialects.postgresql.JSONB()
            else:
                kind = sa.JSON()
            return kind

        def flagged_type():
            if FLAG:
                return sa.Text()
            return sa.String(20)

        def upgrade():
            op.add_column("t", sa.Column("a", pg_type()))
            op.add_column("t", sa.Column("b", flagged_type()))
            op.alter_column("t", "c", type_=pg_type(), existing_type=sa.JSON())
    """)
    assert [c.column.type for c in found[:2]] == ["JSONB()", "flagged_type()"]
    assert (found[2].type, found[2].existing_type) == ("JSONB()", "JSON()")
