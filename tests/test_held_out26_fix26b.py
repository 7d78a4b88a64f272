"""What users see for the held-out-26 fixes of branch fix26b: findings a hand review judged false, and their
unsafe twins that still fire."""

from __future__ import annotations

from pathlib import Path

from conftest import lint_selected, revision_text, where, write_files

_BASE = "op.create_table('ledger', sa.Column('id', sa.Integer, primary_key=True), sa.Column('amount', sa.Integer))"


def _downgrade_findings(tmp_path: Path, upgrade: str) -> tuple[int, list[tuple[str, str, int]]]:
    write_files(tmp_path, {
        "versions/a0_base.py": revision_text("a0", None, _BASE).replace("    pass", "    op.drop_table('ledger')"),
        "versions/a1_fix.py": revision_text("a1", "a0", upgrade)})
    code, found = lint_selected(tmp_path, "missing-downgrade")
    return code, where(found)


def test_restarting_a_sequence_is_no_schema_change_to_undo(tmp_path: Path) -> None:
    # held-out-26 #82: the sequence goes on after the highest id copied in; where it goes on from is data, as
    # setval() is, and a downgrade that does nothing loses no schema
    assert _downgrade_findings(tmp_path, """
        last = op.get_bind().scalar(sa.text("SELECT max(id) FROM ledger"))
        op.execute(sa.text(f"ALTER SEQUENCE ledger_id_seq RESTART WITH {last + 1}"))
    """) == (0, [])


def test_changing_a_sequence_s_definition_still_needs_a_downgrade(tmp_path: Path) -> None:
    assert _downgrade_findings(tmp_path, """
        op.execute("ALTER SEQUENCE ledger_id_seq INCREMENT BY 10 RESTART WITH 100")
    """) == (1, [("missing-downgrade", "a1_fix.py", 13)])


def test_a_scratch_column_added_and_dropped_by_the_upgrade_needs_no_downgrade(tmp_path: Path) -> None:
    # held-out-26 #83: a column that carries ids while rows are copied, dropped before the upgrade ends: the
    # schema after the upgrade is the one before it
    assert _downgrade_findings(tmp_path, """
        op.add_column('ledger', sa.Column('tmp_source_id', sa.Integer, nullable=True))
        op.execute("INSERT INTO ledger (amount, tmp_source_id) SELECT amount, id FROM ledger WHERE amount < 0")
        op.execute("UPDATE ledger SET amount = -amount WHERE tmp_source_id IS NOT NULL")
        op.drop_column('ledger', 'tmp_source_id')
    """) == (0, [])


def test_a_column_added_and_another_dropped_still_needs_a_downgrade(tmp_path: Path) -> None:
    assert _downgrade_findings(tmp_path, """
        op.add_column('ledger', sa.Column('tmp_source_id', sa.Integer, nullable=True))
        op.drop_column('ledger', 'amount')
    """) == (1, [("missing-downgrade", "a1_fix.py", 14)])


def test_a_column_dropped_then_added_again_still_needs_a_downgrade(tmp_path: Path) -> None:
    # the old column's values are gone: the drop comes first, nothing cancels it
    assert _downgrade_findings(tmp_path, """
        op.drop_column('ledger', 'amount')
        op.add_column('ledger', sa.Column('amount', sa.BigInteger, nullable=True))
    """) == (1, [("missing-downgrade", "a1_fix.py", 14)])


def test_a_scratch_column_dropped_only_under_an_if_still_needs_a_downgrade(tmp_path: Path) -> None:
    assert _downgrade_findings(tmp_path, """
        op.add_column('ledger', sa.Column('tmp_source_id', sa.Integer, nullable=True))
        if op.get_bind().scalar(sa.text("SELECT count(*) FROM ledger")):
            op.drop_column('ledger', 'tmp_source_id')
    """) == (1, [("missing-downgrade", "a1_fix.py", 15)])


_FUNCTION = '''
op.execute("""
    CREATE OR REPLACE FUNCTION ledger_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF (SELECT sum(amount) FROM ledger) <> 0 THEN RAISE EXCEPTION 'not balanced'; END IF;
      RETURN NULL;
    END;$$
""")
'''


def test_replacing_a_function_s_body_with_a_downgrade_that_does_nothing_is_no_finding(tmp_path: Path) -> None:
    # held-out-26 #81: CREATE OR REPLACE FUNCTION keeps the name, arguments and result type; the old release runs
    # with the new body after a `pass` downgrade, and the upgrade runs again as it ran
    assert _downgrade_findings(tmp_path, _FUNCTION) == (0, [])


def test_replacing_a_function_and_adding_its_trigger_still_needs_a_downgrade(tmp_path: Path) -> None:
    assert _downgrade_findings(tmp_path, _FUNCTION + '''
op.execute("CREATE TRIGGER ledger_check AFTER INSERT ON ledger EXECUTE FUNCTION ledger_balanced()")
''') == (1, [("missing-downgrade", "a1_fix.py", 21)])


def test_replacing_a_function_with_a_downgrade_that_only_raises_still_fires(tmp_path: Path) -> None:
    write_files(tmp_path, {
        "versions/a0_base.py": revision_text("a0", None, _BASE).replace("    pass", "    op.drop_table('ledger')"),
        "versions/a1_fix.py": revision_text("a1", "a0", _FUNCTION).replace(
            "    pass", "    raise NotImplementedError()")})
    code, found = lint_selected(tmp_path, "missing-downgrade")
    assert (code, where(found)) == (1, [("missing-downgrade", "a1_fix.py", 19)])
    assert "only raises" in str(found[0]["message"])


_REPORT = '''
conn = op.get_bind()
rows = conn.execute(totals(7)).fetchall()
for row in rows:
    print(row)
'''


def _helper_revision(tmp_path: Path, helper: str) -> Path:
    return write_files(tmp_path, {"versions/c1_report.py": revision_text(
        "c1", None, _REPORT, head=f"from sqlalchemy import func, select\n{helper}")})


def test_executing_a_helper_that_builds_a_core_select_is_no_unread_statement(tmp_path: Path) -> None:
    # held-out-26 #113: the helper of the same file returns select(...).join(...).filter(...): rows read, no
    # change for a rule to check
    root = _helper_revision(tmp_path, '''

def totals(limit):
    ledger = sa.table("ledger", sa.column("id"), sa.column("amount"))
    return (
        select(func.sum(ledger.c.amount).label("total"))
        .where(ledger.c.id < limit)
        .group_by(ledger.c.id)
    )
''')
    assert lint_selected(root, "raw-sql-not-understood") == (0, [])


def test_executing_a_helper_that_builds_an_update_still_says_it_was_not_read(tmp_path: Path) -> None:
    root = _helper_revision(tmp_path, '''

def totals(limit):
    ledger = sa.table("ledger", sa.column("id"), sa.column("amount"))
    if limit:
        return sa.update(ledger).values(amount=0)
    return select(ledger.c.amount)
''')
    code, found = lint_selected(root, "raw-sql-not-understood")
    assert (code, where(found)) == (1, [("raw-sql-not-understood", "c1_report.py", 19)])


_FORMATTED = '''
QUERY = "UPDATE ledger SET kind = '{new}' WHERE kind = '{old}'"


def upgrade():
    op.execute(SafeFormatter().format(QUERY, old="a", new="b"))


def downgrade():
    {downgrade}
'''


def _formatted(tmp_path: Path, downgrade: str) -> Path:
    return write_files(tmp_path, {"versions/d1_keys.py": (
        "from alembic import op\nfrom app.text import SafeFormatter\n\nrevision = 'd1'\ndown_revision = None\n"
        + _FORMATTED.replace("{downgrade}", downgrade))})


def test_a_formatted_query_left_unused_is_no_unread_statement(tmp_path: Path) -> None:
    # held-out-26 #116: the downgrade formats the SQL and never runs it: a string is built, no statement runs
    root = _formatted(tmp_path, 'SafeFormatter().format(QUERY, old="b", new="a")')
    code, found = lint_selected(root, "raw-sql-not-understood")
    assert (code, where(found)) == (1, [("raw-sql-not-understood", "d1_keys.py", 11)])  # the upgrade's, run


def test_a_formatted_query_executed_in_the_downgrade_still_says_it_was_not_read(tmp_path: Path) -> None:
    root = _formatted(tmp_path, 'op.execute(SafeFormatter().format(QUERY, old="b", new="a"))')
    code, found = lint_selected(root, "raw-sql-not-understood")
    assert (code, where(found)) == (1, [("raw-sql-not-understood", "d1_keys.py", 11),
                                        ("raw-sql-not-understood", "d1_keys.py", 15)])


_ENV = '''
import os
import sys

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..")))

from alembic import context

from ledgerapp.db.{module} import Base

target_metadata = Base.metadata
'''

_SCHEMA = '''
import sqlalchemy as sa
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class Entry(Base):
    __tablename__ = "entry"
    id = sa.Column(sa.Integer, primary_key=True)
'''


def _packaged_env(tmp_path: Path, module: str) -> Path:
    # no pyproject.toml, setup.cfg or alembic.ini anywhere: alembic runs with -c pointing at an ini of another name
    return write_files(tmp_path, {
        "ledgerapp/db/migrations/env.py": _ENV.replace("{module}", module),
        "ledgerapp/db/migrations/ledger_alembic.ini": "[alembic]\nscript_location = .\n",
        "ledgerapp/db/schema.py": _SCHEMA,
        "ledgerapp/db/migrations/versions/e1_entry.py": revision_text(
            "e1", None, "op.create_table('entry', sa.Column('id', sa.Integer, primary_key=True))").replace(
            "    pass", "    op.drop_table('entry')"),
    })


def test_env_py_importing_its_own_package_by_name_finds_the_models(tmp_path: Path) -> None:
    # held-out-26 #98/#99: env.py in app/db/migrations/ imports app.db.schema; with no project file the project
    # was env.py's parent, app.db.schema could not be found, and the note said the metadata was built at run time
    root = _packaged_env(tmp_path, "schema")
    assert lint_selected(root / "ledgerapp/db/migrations", "models-not-readable") == (0, [])


def test_env_py_importing_a_module_that_is_not_there_still_says_so(tmp_path: Path) -> None:
    root = _packaged_env(tmp_path, "missing_schema")
    code, found = lint_selected(root / "ledgerapp/db/migrations", "models-not-readable")
    assert (code, where(found)) == (1, [("models-not-readable", "env.py", 11)])


_MODELS = '''
import enum

import sqlalchemy as sa
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class Kind(enum.Enum):
    debit = "debit"
    credit = "credit"


def padded_length(length: int) -> int:
    blocks = length + 16 - (length % 16)
    return int((blocks + 2) / 3) << 2


def entry_table():
    return Entry.__table__


class Entry(Base):
    __tablename__ = "entry"
    id = sa.Column(sa.Integer, primary_key=True)
'''


def _models_import(tmp_path: Path, names: str) -> tuple[int, list[tuple[str, str, int]]]:
    # env.py has no target_metadata: the models are not read, the import is judged by its module's name
    write_files(tmp_path, {
        "pyproject.toml": "[project]\nname = 'ledger'\n",
        "ledger/__init__.py": "",
        "ledger/database/__init__.py": "",
        "ledger/database/models.py": _MODELS,
        "migrations/env.py": "from alembic import context\n\ntarget_metadata = None\n",
        "migrations/versions/f1_widen.py": revision_text("f1", None, f"""
            width = [{names}][-1](255)
            op.alter_column('entry', 'title', existing_type=sa.String(255), type_=sa.String(width))
        """, head=f"from ledger.database.models import {names}").replace(
            "    pass", "    op.alter_column('entry', 'title', type_=sa.String(255))"),
    })
    code, found = lint_selected(tmp_path / "migrations", "orm-model-import-in-migration")
    return code, where(found)


def test_importing_an_arithmetic_helper_from_a_models_module_is_no_model_import(tmp_path: Path) -> None:
    # held-out-26 #110: the revision takes a length helper from the models module; it computes from its
    # argument only, and no query of the revision selects a model's columns
    assert _models_import(tmp_path, "padded_length") == (0, [])


def test_importing_an_enum_from_a_models_module_is_no_model_import(tmp_path: Path) -> None:
    assert _models_import(tmp_path, "Kind, padded_length") == (0, [])


def test_importing_a_model_class_beside_the_helper_still_fires(tmp_path: Path) -> None:
    assert _models_import(tmp_path, "Entry, padded_length") == (1, [("orm-model-import-in-migration",
                                                                      "f1_widen.py", 3)])


def test_importing_a_helper_that_hands_back_a_model_s_table_still_fires(tmp_path: Path) -> None:
    assert _models_import(tmp_path, "entry_table, padded_length") == (1, [("orm-model-import-in-migration",
                                                                            "f1_widen.py", 3)])


def test_an_enum_of_the_models_is_read_from_the_package_env_py_sits_in(tmp_path: Path) -> None:
    # held-out-26 #110 as checked out: no project file, env.py in ledger/migrations/ imports ledger.settings
    # (not there) and has no target_metadata; the package is found from the folder above ledger/
    def lint(names: str) -> tuple[int, list[tuple[str, str, int]]]:
        write_files(tmp_path, {
            "ledger/database/models.py": _MODELS,
            "ledger/migrations/env.py": "from alembic import context\nfrom ledger.settings import DSN\n\n"
                                        "target_metadata = None\n",
            "ledger/migrations/versions/g1_kind.py": revision_text(
                "g1", None, f"kinds = [k.value for k in {names}]", head=f"from ledger.database.models import {names}"),
        })
        code, found = lint_selected(tmp_path / "ledger/migrations", "orm-model-import-in-migration")
        return code, where(found)

    assert lint("Kind") == (0, [])
    assert lint("Entry") == (1, [("orm-model-import-in-migration", "g1_kind.py", 3)])


def _keyed_model(tmp_path: Path, table_args: str) -> tuple[int, list[tuple[str, str, int]]]:
    write_files(tmp_path, {
        "pyproject.toml": "[project]\nname = 'shop'\n",
        "shop/__init__.py": "",
        "shop/models.py": f'''
import sqlalchemy as sa
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class Source(Base):
    __tablename__ = "source"
    id = sa.Column(sa.Integer, autoincrement=True)
    name = sa.Column(sa.String(255), nullable=False)
    {table_args}
''',
        "migrations/env.py": "from alembic import context\nfrom shop.models import Base\n\n"
                             "target_metadata = Base.metadata\n",
        "migrations/versions/h1_source.py": revision_text("h1", None, """
            op.create_table('source', sa.Column('id', sa.Integer, nullable=False),
                            sa.Column('name', sa.String(255), nullable=False), sa.PrimaryKeyConstraint('id'))
        """).replace("    pass", "    op.drop_table('source')"),
    })
    code, found = lint_selected(tmp_path / "migrations", "model-differs-from-migrations")
    return code, where(found)


def test_a_primary_key_constraint_in_table_args_built_by_tuple_makes_the_column_not_null(tmp_path: Path) -> None:
    # found while re-checking held-out-26 #98/#99 (the models now read): __table_args__ = tuple([...]) was not
    # read, so every such id was "nullable in the model"
    assert _keyed_model(tmp_path, "__table_args__ = tuple([sa.PrimaryKeyConstraint(id)])") == (0, [])


def test_a_column_the_key_does_not_name_is_still_nullable_in_the_model(tmp_path: Path) -> None:
    code, found = _keyed_model(tmp_path, "__table_args__ = tuple([sa.PrimaryKeyConstraint(name)])")
    assert (code, found) == (1, [("model-differs-from-migrations", "models.py", 10)])


def test_a_select_helper_built_from_a_subquery_helper_of_the_handed_table_is_no_unread_statement(tmp_path: Path) -> None:
    # held-out-26 #113 again after attack26e: the SELECT is built from another helper of the file (a sub-query) and
    # from column operators of the table the helper was handed (``table.c.stamp.isnot(None)``); nothing runs
    root = _helper_revision(tmp_path, '''

def recent(table, limit):
    return select(table.c.id).filter(table.c.stamp.isnot(None)).limit(limit)


def totals(limit):
    ledger = sa.table("ledger", sa.column("id"), sa.column("amount"), sa.column("stamp"))
    ids = recent(ledger, limit).subquery().alias("ids")
    return select(func.sum(ledger.c.amount)).where(ledger.c.id.in_(select(ids.c.id)))
''')
    assert lint_selected(root, "raw-sql-not-understood") == (0, [])


def test_a_select_helper_calling_a_helper_that_runs_sql_still_says_it_was_not_read(tmp_path: Path) -> None:
    root = _helper_revision(tmp_path, '''

def recent(table, limit):
    op.get_bind().execute(sa.text("DELETE FROM ledger"))
    return select(table.c.id).limit(limit)


def totals(limit):
    ledger = sa.table("ledger", sa.column("id"), sa.column("amount"))
    return select(func.sum(ledger.c.amount)).where(ledger.c.id.in_(recent(ledger, limit)))
''')
    code, found = lint_selected(root, "raw-sql-not-understood")
    assert code == 1 and found
