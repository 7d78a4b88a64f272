"""Held-out-24 (precision), helper fixH24a: code that never runs on the linted dialect (cuckoo #36, #140-#142).

* ``if conn.engine.driver == "psycopg2":`` -- SQLAlchemy's driver names each belong to one family of dialects
  (psycopg2 is PostgreSQL's, mysqldb MySQL's, pysqlite SQLite's), so a branch for another family's driver never
  runs on the target dialect; one for a driver of the target's own family may or may not (another driver may be
  in use), so both branches stay.
* ``fkey = {"mysql": "fk1", "postgresql": "fk2"}.get(bind.engine.name)`` then ``if fkey:`` -- on SQLite the
  lookup gives None, so the guarded steps never run there.

Each shape is trusted only when its meaning is certain: the driver read from a connection the revision got from
``op.get_bind()`` (not any object's ``.driver``), a dict literal of constant keys bound once and never changed, a
result name bound once. Lookalikes stay reported.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import revision_text, run_cli, where, write_files


def _lint(root: Path, dialect: str, *rules: str) -> list[tuple[str, str, int]]:
    run = run_cli("lint", root, "--no-config", "--no-cache", "--format", "json", "--dialect", dialect,
                  "--select", ",".join(rules), "--fail-on", "never")
    assert run.exit_code == 0, run.stderr
    return where(run.json()["findings"])


def _project(tmp_path: Path, upgrade: str, head: str = "") -> Path:
    return write_files(tmp_path, {"versions/0001_a.py": revision_text("0001", None, upgrade, head)})


# --- driver names ---------------------------------------------------------------------------------------------

_BY_DRIVER = """
conn = op.get_bind()
if conn.engine.driver == "psycopg2":
    conn.execute("ALTER TABLE tasks ALTER COLUMN custom TYPE text USING custom::text")
elif conn.engine.driver == "mysqldb":
    conn.execute("ALTER TABLE tasks MODIFY custom text")
elif conn.engine.driver == "pysqlite":
    op.alter_column("tasks", "custom", nullable=False)
"""


def test_a_branch_for_another_dialects_driver_is_not_linted_on_sqlite(tmp_path: Path) -> None:
    root = _project(tmp_path, _BY_DRIVER)
    found = _lint(root, "sqlite", "sqlite-alter-outside-batch")
    # line 12: ALTER COLUMN under psycopg2's branch (held-out-24 #142); line 14 MODIFY under mysqldb's;
    # line 16: the change under pysqlite's branch, which may run (another SQLite driver may be in use, still SQLite)
    assert found == [("sqlite-alter-outside-batch", "0001_a.py", 16)]


def test_a_branch_for_another_dialects_driver_is_not_linted_on_mysql(tmp_path: Path) -> None:
    root = _project(tmp_path, _BY_DRIVER)
    found = _lint(root, "mysql", "alter-column-without-existing-type", "mysql-alter-copies-table")
    lines = [line for _, _, line in found]
    assert 12 not in lines  # held-out-24 #36: PostgreSQL's ALTER COLUMN ... TYPE never runs on MySQL


def test_driver_tests_combined_and_negated(tmp_path: Path) -> None:
    root = _project(tmp_path, """
        bind = op.get_bind()
        if bind.engine.driver == "psycopg2" or bind.dialect.driver in ("pymysql", "mysqldb"):
            op.alter_column("t", "c", nullable=False)
        if op.get_bind().engine.driver != "pysqlite":
            op.alter_column("t", "d", nullable=False)
        if bind.engine.driver not in ("asyncpg", "psycopg"):
            op.alter_column("t", "e", nullable=False)
    """)
    # on SQLite: the first never runs; `!= "pysqlite"` may be true there (aiosqlite: line 14); `not in (asyncpg,
    # psycopg)` is true there (line 16)
    assert [line for _, _, line in _lint(root, "sqlite", "sqlite-alter-outside-batch")] == [14, 16]
    # on MySQL the first may run (pymysql), and the other two tests are true
    assert [line for _, _, line in _lint(root, "mysql", "alter-column-without-existing-type")] == [12, 14, 16]


@pytest.mark.parametrize("setup", [
    "conn = make_connection()",  # not a connection the revision got from op.get_bind()
    "conn = op.get_bind()\nconn = make_connection()",  # bound again
])
def test_a_driver_of_something_else_decides_nothing(tmp_path: Path, setup: str) -> None:
    root = _project(tmp_path, setup + """
        if conn.engine.driver == "psycopg2":
            op.alter_column("t", "c", nullable=False)
    """.replace("\n        ", "\n"), head="from helpers import make_connection")
    assert [rule for rule, _, _ in _lint(root, "sqlite", "sqlite-alter-outside-batch")] == \
        ["sqlite-alter-outside-batch"]


def test_an_unknown_driver_name_decides_nothing(tmp_path: Path) -> None:
    root = _project(tmp_path, """
        if op.get_bind().engine.driver == "pyodbc":  # MySQL's and SQL Server's
            op.alter_column("t", "c", nullable=False)
    """)
    assert [rule for rule, _, _ in _lint(root, "sqlite", "sqlite-alter-outside-batch")] == \
        ["sqlite-alter-outside-batch"]


# --- a dict of dialect names looked up by the dialect's name -------------------------------------------------

_BY_NAME = """
fkey_name = {
    "mysql": "tasks_ibfk_1",
    "postgresql": "tasks_sample_id_fkey",
}
fkey = fkey_name.get(op.get_bind().engine.name)
if fkey:
    op.drop_constraint(fkey, "tasks", type_="foreignkey")
op.rename_table("samples", "old_samples")
if fkey:
    op.create_foreign_key(fkey, "tasks", "samples", ["sample_id"], ["id"])
"""


def test_a_lookup_that_gives_none_on_sqlite_skips_the_guarded_steps(tmp_path: Path) -> None:
    root = _project(tmp_path, _BY_NAME)
    # held-out-24 #140/#141: neither the drop (line 16) nor the create (line 19) runs on SQLite
    assert _lint(root, "sqlite", "sqlite-alter-outside-batch") == []


def test_a_lookup_without_the_targets_key_skips_the_guarded_steps_there(tmp_path: Path) -> None:
    root = _project(tmp_path, """
        fkey = {"mysql": "fk_m", "sqlite": "fk_s"}.get(op.get_bind().dialect.name)
        if fkey:
            op.drop_column("t", "c")
        else:
            op.drop_column("t", "d")
    """)
    # PostgreSQL has no key: the lookup gives None there, only the else branch (line 14) runs
    assert _lint(root, "postgresql", "drop-column") == [("drop-column", "0001_a.py", 14)]
    # on SQLite the lookup gives "fk_s": only the first branch runs (line 12)
    assert [line for _, _, line in _lint(root, "sqlite", "drop-column")] == [12]


def test_inline_lookup_with_a_default_and_is_none(tmp_path: Path) -> None:
    root = _project(tmp_path, """
        bind = op.get_bind()
        dialect = bind.dialect.name
        if {"postgresql": True}.get(dialect, False):
            op.drop_constraint("fk", "t", type_="foreignkey")
        name = {"sqlite": None, "mysql": "fk_m"}.get(dialect)
        if name is not None:
            op.drop_constraint(name, "t", type_="foreignkey")
        if name is None:
            op.alter_column("t", "c", nullable=False)
    """)
    assert _lint(root, "sqlite", "sqlite-alter-outside-batch") == [("sqlite-alter-outside-batch", "0001_a.py", 18)]


def test_mysql_may_be_named_mariadb(tmp_path: Path) -> None:
    root = _project(tmp_path, """
        fkey = {"mysql": "fk_m"}.get(op.get_bind().engine.name)
        if not fkey:
            op.alter_column("t", "c", nullable=False)
    """)
    # on MySQL the dialect may be named "mariadb" (mariadb:// URLs): the lookup may give None, so the step stays
    assert [rule for rule, _, _ in _lint(root, "mysql", "alter-column-without-existing-type")] == \
        ["alter-column-without-existing-type"]


@pytest.mark.parametrize("upgrade", [
    # the dict changed before the lookup
    'names = {"mysql": "fk"}\nnames["sqlite"] = "fk_s"\nfkey = names.get(op.get_bind().engine.name)',
    # the dict bound again
    'names = {"mysql": "fk"}\nnames = {"sqlite": "fk_s"}\nfkey = names.get(op.get_bind().engine.name)',
    # the result bound again
    'fkey = {"mysql": "fk"}.get(op.get_bind().engine.name)\nfkey = fkey or "fk_s"',
    # looked up by something that is not the dialect's name
    'fkey = {"mysql": "fk"}.get(table.name)',
    # a value whose truth is not known
    'fkey = {"sqlite": make_name()}.get(op.get_bind().engine.name)',
    # keys not all constant
    'fkey = {"mysql": "fk", **others}.get(op.get_bind().engine.name)',
])
def test_lookalike_lookups_decide_nothing(tmp_path: Path, upgrade: str) -> None:
    root = _project(tmp_path, upgrade + '\nif fkey:\n    op.drop_constraint("fk", "tasks", type_="foreignkey")',
                    head="from helpers import make_name, others, table")
    assert [rule for rule, _, _ in _lint(root, "sqlite", "sqlite-alter-outside-batch")] == \
        ["sqlite-alter-outside-batch"]


# --- mixed-schema-and-data-change on MySQL: a DELETE that a re-run repeats harmlessly (held-out-24 #93) ---------

_MODELS = """
from sqlalchemy import Column, Float, Integer
from sqlalchemy.orm import Session, declarative_base, relationship

Base = declarative_base()


class Value(Base):
    __tablename__ = "trial_values"
    id = Column(Integer, primary_key=True)
    value = Column(Float, nullable=False)
    kind = Column(Integer)
    trial = relationship("Trial")


class Other(Base):
    __tablename__ = "others"
    id = Column(Integer, primary_key=True)
    value = Column(Float)
"""

_DELETE_THEN_ALTER = """
session = Session(bind=op.get_bind())
{delete}
with op.batch_alter_table("trial_values") as batch_op:
    batch_op.alter_column("value", type_=sa.Float(precision=53), nullable=False)
"""


def _mixed(tmp_path: Path, delete: str, head: str = _MODELS, tail: str = "") -> list[int]:
    """The lines of revision 0002's findings, 0 standing for the delete's own line."""
    body = _DELETE_THEN_ALTER.format(delete=delete) + tail
    text = revision_text("0002", "0001", body, head)
    at = next(i for i, line in enumerate(text.splitlines(), 1) if delete in line)
    root = write_files(tmp_path, {
        "versions/0001_a.py": revision_text("0001", None, 'op.create_table("trial_values", sa.Column("id", '
                                            'sa.Integer(), primary_key=True), sa.Column("value", sa.Float()), '
                                            'sa.Column("kind", sa.Integer()))'),
        "versions/0002_b.py": text})
    return [line - at for _, name, line in _lint(root, "mysql", "mixed-schema-and-data-change") if name == "0002_b.py"]


@pytest.mark.parametrize("delete", [
    "session.query(Value).filter(Value.value.is_(None)).delete()",
    "session.query(Value).filter(sa.or_(Value.value == None, Value.kind.in_([1, 2]))).delete()",
    "session.query(Value).filter_by(kind=3).filter(~(Value.kind > -1)).delete(synchronize_session=False)",
    "session.query(Value).delete()",
    'op.execute("DELETE FROM trial_values WHERE value IS NULL")',
])
def test_a_delete_by_constant_tests_before_rerunnable_ddl_is_not_reported_on_mysql(tmp_path: Path,
                                                                                    delete: str) -> None:
    assert _mixed(tmp_path, delete) == []


@pytest.mark.parametrize("delete", [
    # another class's column
    "session.query(Value).filter(Other.value.is_(None)).delete()",
    # a value known only at run time
    "session.query(Value).filter(Value.value < compute()).delete()",
    # a relationship, not a column
    "session.query(Value).filter(Value.trial == None).delete()",
    # at most some rows: a re-run deletes others
    "session.query(Value).filter(Value.value.is_(None)).limit(5).delete()",
    # joined to another entity
    "session.query(Value).join(Other).filter(Value.value.is_(None)).delete()",
    # an UPDATE, not a DELETE
    "session.query(Value).filter(Value.value.is_(None)).update({Value.value: 0})",
    # SQL choosing rows by another table
    'op.execute("DELETE FROM trial_values WHERE id IN (SELECT id FROM others)")',
])
def test_other_data_changes_before_ddl_stay_reported_on_mysql(tmp_path: Path, delete: str) -> None:
    assert _mixed(tmp_path, delete, _MODELS + "\nfrom helpers import compute\n") == [0]


def test_a_class_bound_again_is_not_read(tmp_path: Path) -> None:
    head = _MODELS + "\nValue = Other\n"
    assert _mixed(tmp_path, "session.query(Value).filter(Value.value.is_(None)).delete()", head) == [0]


def test_ddl_a_rerun_fails_on_keeps_the_finding(tmp_path: Path) -> None:
    tail = 'op.add_column("trial_values", sa.Column("note", sa.Text()))'
    assert _mixed(tmp_path, "session.query(Value).filter(Value.value.is_(None)).delete()", tail=tail) == [0]
