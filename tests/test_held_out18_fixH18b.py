"""Held-out-18 false positives (fixH18b): what each finding now says, or that it is gone, on the fixtures
written for it (fixtures/rules/<rule>/..._held-out-18 cases)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from conftest import run_cli

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "rules"


def _lint(path: Path, *extra: str) -> list[dict[str, object]]:
    run = run_cli("lint", path, "--no-config", "--format", "json", "--fail-on", "never", *extra)
    assert run.exit_code == 0, run.stderr
    return run.json()["findings"]  # type: ignore[no-any-return]


def test_a_column_swap_names_the_type_change_not_a_data_loss() -> None:
    """#44: add id_new, fill it from id, drop id, rename id_new to id: the values and the name stay; the type the
    running release reads changes. A swap for a column filled without reading the old one still loses data."""
    found = {f["line"]: f for f in _lint(FIXTURES / "drop-column" / "bad_swap_changes_type", "--select",
                                         "drop-column")}
    assert sorted(found) == [19, 21, 23]
    for line in (19, 21):
        message = str(found[line]["message"])
        assert found[line]["severity"] == "warning"
        assert "no data is lost" in message and "type changes from String(40) to UUID()" in message
        assert "is lost" not in message.replace("no data is lost", "")
    assert found[23]["severity"] == "error" and "its data is lost" in str(found[23]["message"])


def test_a_continuum_version_column_may_become_nullable() -> None:
    """#50-#53: Continuum maps every column of a version table outside the key nullable; a domain table named
    ..._version, and Continuum's own operation_type, are still judged."""
    assert _lint(FIXTURES / "drop-not-null" / "safe_continuum_version_table", "--select", "drop-not-null") == []
    found = _lint(FIXTURES / "drop-not-null" / "bad_version_table_not_continuum", "--select", "drop-not-null")
    assert [(f["line"], str(f["message"]).split(" ")[0]) for f in found] == [
        (11, "package_version.number"), (12, "hosts_version.operation_type")]


MODELS = '''
from sqlalchemy import Column, Integer, Text, Unicode
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class Command(Base):
    __tablename__ = "command"

    id = Column(Integer, primary_key=True)
    script = Column(Unicode(), nullable=False)
    size = Column(Text, nullable=True)
'''

REVISION = '''"""init"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade():
    op.create_table("command", sa.Column("id", sa.Integer(), primary_key=True),
                    sa.Column("script", sa.Text(), nullable=False), sa.Column("size", sa.Integer(), nullable=True))


def downgrade():
    op.drop_table("command")
'''


def _project(root: Path, configure: str, pins: str | None) -> Path:
    (root / "app").mkdir(parents=True)
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "models.py").write_text(MODELS)
    (root / "migrations" / "versions").mkdir(parents=True)
    (root / "migrations" / "versions" / "0001_init.py").write_text(REVISION)
    (root / "migrations" / "env.py").write_text(
        "from alembic import context\n\nimport app.models\n\ntarget_metadata = app.models.Base.metadata\n"
        f"context.configure(url='postgresql://', target_metadata=target_metadata{configure})\n")
    (root / "alembic.ini").write_text("[alembic]\nscript_location = migrations\n")
    (root / "setup.py").write_text("from setuptools import setup\n\nsetup(name='app')\n")
    if pins is not None:
        (root / "requirements.txt").write_text(pins)
    return root


def _types(root: Path) -> dict[int, str]:
    found = _lint(root, "--select", "model-differs-from-migrations")
    return {int(str(f["line"])): str(f["message"]) for f in found if str(f["path"]).endswith("models.py")}


def test_autogenerate_that_compares_no_types_writes_no_alter_column(tmp_path: Path) -> None:
    """#78: with compare_type off (env.py's literal, or Alembic before 1.12 by default), VARCHAR without a length
    against TEXT is nothing; TEXT mapped where INTEGER is built stays, without the alter_column claim."""
    for name, configure, pins in (("literal", ", compare_type=False", None),
                                  ("pinned", "", "alembic>=0.6.4,<0.7.0\n")):
        found = _types(_project(tmp_path / name, configure, pins))
        assert sorted(found) == [13], (name, found)
        assert "compare_type is off" in found[13] and "alter_column" not in found[13]


def test_autogenerate_that_compares_types_still_reports_varchar_against_text(tmp_path: Path) -> None:
    """Alembic's compare_type (on by default from 1.12, or set on in env.py) writes an alter_column for VARCHAR
    against TEXT on PostgreSQL (checked live below): that finding stays as it was."""
    for name, configure, pins in (("default", "", None), ("unpinned", "", "alembic>=1.12\n"),
                                  ("set", ", compare_type=True", "alembic<0.7\n"),
                                  ("spread", ", **options", "alembic<0.7\n")):
        found = _types(_project(tmp_path / name, configure, pins))
        assert sorted(found) == [12, 13], (name, found)
        assert all("autogenerate would write an alter_column" in m for m in found.values())


def test_the_alembic_pin_is_read_to_the_minor_release(tmp_path: Path) -> None:
    from migcheck.extract.models.files import WorkingTree
    from migcheck.extract.models.pins import below_version

    answers = {}
    for spec in ("alembic<0.7", "alembic~=1.11.0", "alembic==1.11.*", "alembic>=1.12", "alembic^1.10",
                 "alembic>=1.0", "alembic==1.12.0", "alembic<=1.11.4"):
        folder = tmp_path / str(len(answers))
        folder.mkdir()
        (folder / "requirements.txt").write_text(spec + "\n")
        answers[spec] = below_version(WorkingTree(folder), "alembic", (1, 12))
    assert answers == {"alembic<0.7": True, "alembic~=1.11.0": True, "alembic==1.11.*": True, "alembic>=1.12": False,
                       "alembic^1.10": None, "alembic>=1.0": None, "alembic==1.12.0": False, "alembic<=1.11.4": True}


def test_alembic_compares_varchar_with_text_only_when_told_to() -> None:
    """The fact #78's fix rests on, on PostgreSQL 15: autogenerate's compare_type sees TEXT built and Unicode()
    (VARCHAR without a length) mapped as a type change; with compare_type off it writes nothing."""
    sa = pytest.importorskip("sqlalchemy")
    pytest.importorskip("psycopg2")
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    base = os.environ.get("MIGCHECK_TEST_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    name = f"migcheck_h18b_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
    except sa.exc.OperationalError as exc:
        pytest.skip(f"no PostgreSQL server: {exc}")
    engine = sa.create_engine(base.rsplit("/", 1)[0] + f"/{name}")
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE command (id int PRIMARY KEY, script text, note varchar)")
            mapped = sa.MetaData()
            sa.Table("command", mapped, sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("script", sa.Unicode()), sa.Column("note", sa.Text()))
            seen = {flag: {d[0][3] for d in compare_metadata(MigrationContext.configure(
                conn, opts={"compare_type": flag}), mapped)} for flag in (True, False)}
        assert seen == {True: {"script", "note"}, False: set()}
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE {name}")
        admin.dispose()


def test_a_where_that_pins_values_is_read_into_the_ir() -> None:
    """#75: DataChange.pinned, what mixed-schema-and-data-change asks the history's keys about."""
    from migcheck.extract.sql import statement_changes

    def pinned(sql: str) -> tuple[str, ...]:
        (change,) = statement_changes(sql, "postgresql", {"line": 1})
        return change.pinned  # type: ignore[attr-defined, no-any-return]

    assert pinned("UPDATE catalog SET type = 'BIGINT' WHERE id = 'migcheck_param'") == ("id",)
    assert pinned("UPDATE t SET a = 1 WHERE t.id = :id AND (kind = CAST('x' AS text))") == ("id", "kind")
    assert pinned("DELETE FROM t WHERE id = %(id)s") == ("id",)
    for many in ("UPDATE t SET a = 1 WHERE id = other", "UPDATE t SET a = 1 WHERE id > 5",
                 "UPDATE t k SET a = 1 FROM u WHERE k.id = 5", "DELETE FROM t WHERE id = 1 OR id = 2",
                 "UPDATE t SET a = 1 WHERE id = (SELECT max(id) FROM t)", "UPDATE t SET a = 1"):
        assert pinned(many) == (), many


def test_one_row_by_key_after_ddl_is_no_mixed_change_but_a_loop_of_them_is() -> None:
    """#75: a keyed one-row UPDATE after DDL (also paired with an ALTER in each pass of a loop) adds no lock time;
    a WHERE on no key, a key dropped first, or a keyed UPDATE per row of a loop with no DDL are still reported."""
    rule = ("--select", "mixed-schema-and-data-change")
    assert _lint(FIXTURES / "mixed-schema-and-data-change" / "safe_one_row_by_key", *rule) == []
    found = _lint(FIXTURES / "mixed-schema-and-data-change" / "bad_not_one_row_by_key", *rule)
    assert [(Path(str(f["path"])).name, f["line"]) for f in found] == [
        ("0002_widen.py", 11), ("0003_backfill.py", 15), ("0004_key_dropped.py", 11)]
    assert all("the locks the DDL took are held until the data change commits" in str(f["message"]) for f in found)


def test_a_table_built_with_core_in_the_revision_is_new() -> None:
    """#9: ``Table(...).create()`` and ``metadata.create_all(tables=[...])`` create tables, named through
    SQLAlchemy's identifier quoting; a reflected table, or one never created, is an existing one."""
    rule = ("--select", "add-foreign-key-without-not-valid")
    folder = FIXTURES / "add-foreign-key-without-not-valid"
    assert _lint(folder / "safe_table_built_with_core.py", *rule) == []
    found = _lint(folder / "bad_table_reflected_not_built.py", *rule)
    assert [(f["line"], "on existing table case_" in str(f["message"])) for f in found] == [(15, True), (19, True)]


def test_a_core_table_is_undone_by_its_schema_dropped_with_cascade() -> None:
    rule = ("--select", "downgrade-not-inverse")
    folder = FIXTURES / "downgrade-not-inverse"
    assert _lint(folder / "safe_core_table_dropped_with_its_schema.py", *rule) == []
    (found,) = _lint(folder / "bad_core_table_left_behind.py", *rule)
    assert found["line"] == 15 and "creates table case_notes" in str(found["message"])
    assert "so nothing fails" in str(found["message"]) and "fails with 'already exists'" not in str(
        found["message"])
