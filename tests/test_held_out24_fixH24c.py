"""Held-out-24 (precision), helper fixH24c: statements migcheck could not read, enum labels, interpolation.

Each case is a small project of this file's own, written to a temporary folder and linted through the CLI.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from conftest import lint_selected as _lint
from conftest import run_cli
from conftest import where as _where
from conftest import write_files as _write

_HEAD = '"""r"""\nfrom alembic import op\nimport sqlalchemy as sa\nfrom sqlalchemy import text\n\n'


def _revision(rev: str, down: str | None, body: str, prelude: str = "") -> str:
    return (f'{_HEAD}{prelude}\nrevision = "{rev}"\ndown_revision = {down!r}\n\n\n'
            f"def upgrade():\n{textwrap.indent(textwrap.dedent(body).strip(), '    ')}\n\n\n"
            "def downgrade():\n    pass\n")


_BASE = _revision("a001", None, 'op.create_table("item", sa.Column("id", sa.Integer(), primary_key=True),\n'
                                '                sa.Column("size", sa.Integer()))')


def _project(root: Path, body: str, prelude: str = "") -> Path:
    return _write(root, {"versions/a001_base.py": _BASE, "versions/a002_step.py": _revision("a002", "a001", body, prelude)})


# --- #117: for q in SQL.split(";"): conn.execute(text(q)) over a literal is each statement ----------------------

_SPLIT = '''
conn = op.get_bind()
queries = """
UPDATE item SET size = 0;
DELETE FROM item WHERE id = 3;
"""
for query in queries.split(";"):
    if len(query.strip()) == 0:
        continue
    conn.execute(text(query))
'''


def test_statements_of_a_split_literal_are_read(tmp_path: Path) -> None:
    root = _project(tmp_path / "p", _SPLIT)
    assert _lint(root, "raw-sql-not-understood") == (0, [])
    code, found = _lint(root, "unbatched-backfill")
    assert code == 1 and _where(found) == [("unbatched-backfill", "a002_step.py", 20)]


def test_split_of_a_text_known_only_at_run_time_is_still_reported(tmp_path: Path) -> None:
    root = _project(tmp_path / "p", _SPLIT.replace('queries = """', 'queries = load_sql() + """'))
    code, found = _lint(root, "raw-sql-not-understood")
    assert code == 1 and _where(found) == [("raw-sql-not-understood", "a002_step.py", 20)]


# --- #116: a helper's parameter handed a Core SELECT the caller built is that statement ------------------------

_HELPER = '''
items = sa.Table("item", sa.MetaData(), sa.Column("id", sa.Integer()), sa.Column("size", sa.Integer()))
conn = op.get_bind()
by_id = sa.select(items.c.id, items.c.size)

def read_rows(query, key):
    rows = conn.execute(query).fetchall()
    return [getattr(row, key) for row in rows]

ids = read_rows(by_id, "id")
'''


def test_a_helper_parameter_bound_to_a_core_select_is_read(tmp_path: Path) -> None:
    assert _lint(_project(tmp_path / "p", _HELPER), "raw-sql-not-understood") == (0, [])


def test_a_helper_parameter_bound_to_something_else_is_still_reported(tmp_path: Path) -> None:
    root = _project(tmp_path / "p", _HELPER.replace('read_rows(by_id, "id")', 'read_rows(make_query(), "id")'))
    code, found = _lint(root, "raw-sql-not-understood")
    assert code == 1 and _where(found) == [("raw-sql-not-understood", "a002_step.py", 17)]


def test_a_core_update_handed_to_a_helper_is_a_row_write(tmp_path: Path) -> None:
    body = _HELPER.replace("by_id = sa.select(items.c.id, items.c.size)", "by_id = sa.update(items).values(size=0)")
    root = _project(tmp_path / "p", body)
    code, found = _lint(root, "unbatched-backfill")
    assert code == 1 and _where(found) == [("unbatched-backfill", "a002_step.py", 17)]


def test_a_parameter_rebound_in_the_helper_is_no_longer_the_statement(tmp_path: Path) -> None:
    body = _HELPER.replace("    rows = conn.execute(query)", "    query = rewrite(query)\n    rows = conn.execute(query)")
    code, found = _lint(_project(tmp_path / "p", body), "raw-sql-not-understood")
    assert code == 1 and _where(found) == [("raw-sql-not-understood", "a002_step.py", 18)]


# --- #70-#72: a label compared once its column is no longer of the enum type is text, not a use of the value ---

_ENV = '''
from alembic import context


def run_migrations_online():
    context.configure(connection=None, target_metadata=None)
    with context.begin_transaction():
        context.run_migrations()
'''

_ENUM_BASE = _revision("a001", None, '''
op.execute("CREATE TYPE state AS ENUM ('ready', 'gone')")
op.execute("CREATE TABLE folder (id int, state state, history jsonb)")
''')

_TO_TEXT = '''
conn = op.get_bind()
conn.execute(text("ALTER TABLE folder ALTER COLUMN state TYPE varchar(64) USING state::text"))
conn.execute(text("""
    UPDATE folder
    SET state = CASE WHEN state = 'failed' THEN 'broken' ELSE state END,
        history = (
            SELECT jsonb_object_agg(new_key, value)
            FROM (SELECT CASE WHEN key = 'failed' THEN 'broken' ELSE key END AS new_key, value
                  FROM jsonb_each(history)) AS sub
        )
"""))
conn.execute(text("DROP TYPE state"))
'''


def _enum_project(root: Path, later: str) -> Path:
    return _write(root, {"env.py": _ENV, "versions/a001_base.py": _ENUM_BASE,
                         "versions/a002_add.py": _revision("a002", "a001", 'op.execute("ALTER TYPE state ADD VALUE \'failed\'")'),
                         "versions/a003_text.py": _revision("a003", "a002", later)})


def test_a_label_compared_after_the_column_became_varchar_is_no_use(tmp_path: Path) -> None:
    assert _lint(_enum_project(tmp_path / "p", _TO_TEXT), "enum-add-value-in-transaction") == (0, [])


def test_the_same_comparison_on_the_enum_column_is_still_a_use(tmp_path: Path) -> None:
    later = _TO_TEXT.replace('conn.execute(text("ALTER TABLE folder ALTER COLUMN state TYPE varchar(64) USING state::text"))\n', "")
    code, found = _lint(_enum_project(tmp_path / "p", later), "enum-add-value-in-transaction")
    assert code == 1 and _where(found) == [("enum-add-value-in-transaction", "a002_add.py", 12)]


def test_a_subquery_over_a_table_still_counts(tmp_path: Path) -> None:
    later = _TO_TEXT.replace("FROM jsonb_each(history)) AS sub", "FROM jsonb_each(history), folder AS f2) AS sub")
    code, found = _lint(_enum_project(tmp_path / "p", later), "enum-add-value-in-transaction")
    assert code == 1 and _where(found) == [("enum-add-value-in-transaction", "a002_add.py", 12)]


def test_a_label_compared_in_the_same_revision_after_the_cast_is_no_use(tmp_path: Path) -> None:
    body = 'op.execute("ALTER TYPE state ADD VALUE \'failed\'")\n' + _TO_TEXT
    root = _write(tmp_path / "p", {"versions/a001_base.py": _ENUM_BASE,
                                   "versions/a002_add.py": _revision("a002", "a001", body)})
    assert _lint(root, "enum-add-value-in-transaction") == (0, [])


# --- #73, #74: conn.execution_options(isolation_level="AUTOCOMMIT") before the ADD VALUE, driver psycopg2 --------

_SWITCHED = '''
connection = None
if not op.get_context().as_sql:
    connection = op.get_bind()
    connection.execution_options(isolation_level="AUTOCOMMIT")

op.execute("ALTER TYPE state ADD VALUE IF NOT EXISTS 'failed'")

if connection is not None:
    connection.execution_options(isolation_level="READ_COMMITTED")

op.execute("UPDATE folder SET state = 'failed' WHERE state = 'gone'")
'''


def _switch_project(root: Path, body: str, requirement: str) -> Path:
    return _write(root, {"requirements.txt": f"sqlalchemy==1.3.24\n{requirement}\n",
                         "env.py": _ENV, "versions/a001_base.py": _ENUM_BASE,
                         "versions/a002_add.py": _revision("a002", "a001", body)})


def test_an_add_value_after_a_switch_to_autocommit_under_psycopg2_is_not_reported(tmp_path: Path) -> None:
    assert _lint(_switch_project(tmp_path / "p", _SWITCHED, "psycopg2==2.9.1"), "enum-add-value-in-transaction") == (0, [])


def test_the_switch_under_pg8000_keeps_the_transaction(tmp_path: Path) -> None:
    code, found = _lint(_switch_project(tmp_path / "p", _SWITCHED, "pg8000==1.31"), "enum-add-value-in-transaction")
    assert code == 1 and _where(found) == [("enum-add-value-in-transaction", "a002_add.py", 17)]


def test_the_use_after_the_switch_back_is_reported_when_the_switch_came_after(tmp_path: Path) -> None:
    body = _SWITCHED.replace('op.execute("ALTER TYPE state ADD VALUE IF NOT EXISTS \'failed\'")\n', "")
    body = 'op.execute("ALTER TYPE state ADD VALUE IF NOT EXISTS \'failed\'")\n' + body
    code, found = _lint(_switch_project(tmp_path / "p", body, "psycopg2==2.9.1"), "enum-add-value-in-transaction")
    assert code == 1 and _where(found) == [("enum-add-value-in-transaction", "a002_add.py", 12)]


def test_a_switch_on_something_else_than_the_migration_connection_is_not_one(tmp_path: Path) -> None:
    body = _SWITCHED.replace("connection = op.get_bind()", "connection = make_engine()")
    code, found = _lint(_switch_project(tmp_path / "p", body, "psycopg2==2.9.1"), "enum-add-value-in-transaction")
    assert code == 1 and _where(found) == [("enum-add-value-in-transaction", "a002_add.py", 17)]


def test_a_switch_under_another_test_is_not_certain(tmp_path: Path) -> None:
    body = _SWITCHED.replace("if not op.get_context().as_sql:", "if not settings.as_sql:")
    code, found = _lint(_switch_project(tmp_path / "p", body, "psycopg2==2.9.1"), "enum-add-value-in-transaction")
    assert code == 1 and _where(found) == [("enum-add-value-in-transaction", "a002_add.py", 17)]


# --- #157: the values of an enum class of the revision joined into SQL are constants ---------------------------

_OLD_STATES = '''
import enum


class OldState(enum.StrEnum):
    READY = "ready"
    GONE = "gone"
'''

_CREATE_FROM_ENUM = '''
conn = op.get_bind()
conn.execute(text("CREATE TYPE state AS ENUM (%s)" % (",".join(f"'{s.value}'" for s in OldState))))
'''


def test_the_values_of_an_enum_class_of_the_revision_are_constants(tmp_path: Path) -> None:
    root = _project(tmp_path / "p", _CREATE_FROM_ENUM, _OLD_STATES)
    assert _lint(root, "unsafe-sql-interpolation") == (0, [])


def test_an_enum_member_computed_at_run_time_is_still_reported(tmp_path: Path) -> None:
    root = _project(tmp_path / "p", _CREATE_FROM_ENUM, _OLD_STATES + "    OTHER = os.environ['X']\n")
    code, found = _lint(root, "unsafe-sql-interpolation")
    assert code == 1 and _where(found) == [("unsafe-sql-interpolation", "a002_step.py", 21)]


def test_an_enum_class_of_the_application_is_still_reported(tmp_path: Path) -> None:
    root = _project(tmp_path / "p", _CREATE_FROM_ENUM, "from app.states import OldState\n")
    code, found = _lint(root, "unsafe-sql-interpolation")
    assert code == 1 and _where(found) == [("unsafe-sql-interpolation", "a002_step.py", 14)]


def test_a_class_that_overrides_value_is_still_reported(tmp_path: Path) -> None:
    prelude = _OLD_STATES + "\n    @property\n    def value(self):\n        return input()\n"
    code, found = _lint(_project(tmp_path / "p", _CREATE_FROM_ENUM, prelude), "unsafe-sql-interpolation")
    assert code == 1 and _where(found) == [("unsafe-sql-interpolation", "a002_step.py", 24)]


def test_a_loop_name_used_otherwise_than_value_is_still_reported(tmp_path: Path) -> None:
    root = _project(tmp_path / "p", _CREATE_FROM_ENUM.replace("{s.value}", "{s}"), _OLD_STATES)
    code, found = _lint(root, "unsafe-sql-interpolation")
    assert code == 1 and _where(found) == [("unsafe-sql-interpolation", "a002_step.py", 20)]


# --- #156 (its generic part): ids a SELECT read from a uuid column, joined over the rows, hold no quote ----------

_REGISTRY = '''
op.create_table("registry", sa.Column("id", {id_type}, primary_key=True))
op.create_table("links", sa.Column("kind", sa.String()), sa.Column("entity_id", sa.String()))
'''

_LINK = '''
conn = op.get_bind()
rows = conn.execute(sa.text("SELECT id FROM registry ORDER BY id")).all()
values = ", ".join(f"('{KIND}', '{row.id}')" for row in rows)
conn.execute(sa.text(f"INSERT INTO links (kind, entity_id) VALUES {values}"))
'''


def _link_project(root: Path, id_type: str, body: str = _LINK) -> Path:
    return _write(root, {"versions/a001_base.py": _revision("a001", None, _REGISTRY.format(id_type=id_type)),
                         "versions/a002_link.py": _revision("a002", "a001", body, 'KIND = "registry"\n')})


def test_uuid_ids_read_by_a_select_and_joined_over_the_rows_are_not_reported(tmp_path: Path) -> None:
    assert _lint(_link_project(tmp_path / "p", "sa.Uuid()"), "unsafe-sql-interpolation") == (0, [])


def test_integer_ids_joined_over_the_rows_are_not_reported(tmp_path: Path) -> None:
    assert _lint(_link_project(tmp_path / "p", "sa.Integer()"), "unsafe-sql-interpolation") == (0, [])


def test_text_ids_joined_over_the_rows_are_still_reported(tmp_path: Path) -> None:
    code, found = _lint(_link_project(tmp_path / "p", "sa.String(36)"), "unsafe-sql-interpolation")
    assert code == 1 and _where(found) == [("unsafe-sql-interpolation", "a002_link.py", 16)]


def test_another_value_beside_the_uuid_is_still_reported(tmp_path: Path) -> None:
    root = _link_project(tmp_path / "p", "sa.Uuid()", _LINK.replace("{KIND}", "{row.kind}"))
    code, found = _lint(root, "unsafe-sql-interpolation")
    assert code == 1 and _where(found) == [("unsafe-sql-interpolation", "a002_link.py", 16)]


def test_a_uuid_on_mysql_is_not_taken_for_one(tmp_path: Path) -> None:
    root = _link_project(tmp_path / "p", "sa.Uuid()")
    run = run_cli("lint", root, "--no-config", "--format", "json", "--select", "unsafe-sql-interpolation",
                  "--dialect", "mysql", "--fail-on", "never")
    assert [(f["rule"], f["line"]) for f in run.json()["findings"]] == [("unsafe-sql-interpolation", 16)]


# --- found on the way: a helper handed op.get_bind() itself (not through a name) runs on the migration's connection

def test_a_helper_handed_the_bind_directly_is_read(tmp_path: Path) -> None:
    prelude = '\ndef _wipe(db):\n    db.execute(sa.text("DELETE FROM item"))\n'
    root = _project(tmp_path / "p", "_wipe(op.get_bind())", prelude)
    code, found = _lint(root, "unbatched-backfill")
    assert code == 1 and _where(found) == [("unbatched-backfill", "a002_step.py", 8)]
