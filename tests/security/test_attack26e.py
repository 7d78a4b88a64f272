"""attack26e: the exemptions of fix26b (held-out-26) forged. Each test failed on fix26b; what a user sees: the rule,
the file, the line, the exit code."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import lint_selected, revision_text, run_cli, where, write_files
from test_held_out26_fix26b import _downgrade_findings

# -- a scratch column "added and dropped again" that is not the column dropped ------------------------------------

def test_a_capitalised_scratch_column_does_not_excuse_dropping_the_real_one(tmp_path: Path) -> None:
    # Alembic quotes 'Amount': a new column "Amount"; the drop removes the existing amount and its values
    assert _downgrade_findings(tmp_path, """
        op.add_column('ledger', sa.Column('Amount', sa.Integer, nullable=True))
        op.drop_column('ledger', 'amount')
    """) == (1, [("missing-downgrade", "a1_fix.py", 14)])


def test_a_quoted_scratch_column_in_sql_does_not_excuse_dropping_the_real_one(tmp_path: Path) -> None:
    assert _downgrade_findings(tmp_path, """
        op.execute('ALTER TABLE ledger ADD COLUMN "Amount" integer')
        op.execute('ALTER TABLE ledger DROP COLUMN amount')
    """) == (1, [("missing-downgrade", "a1_fix.py", 14)])


def test_a_scratch_column_in_unquoted_capitals_is_still_the_one_dropped(tmp_path: Path) -> None:
    # unquoted SQL names fold to lower case: TMP is tmp, added and dropped again, no downgrade needed
    assert _downgrade_findings(tmp_path, """
        op.execute('ALTER TABLE LEDGER ADD COLUMN TMP integer')
        op.drop_column('ledger', 'tmp')
    """) == (0, [])


def test_a_scratch_column_dropped_in_a_loop_over_rows_still_needs_a_downgrade(tmp_path: Path) -> None:
    # no row, no pass: the column stays, and the release before it has no way back
    assert _downgrade_findings(tmp_path, """
        op.add_column('ledger', sa.Column('tmp', sa.Integer, nullable=True))
        for _ in op.get_bind().execute(sa.text("SELECT 1 FROM ledger WHERE amount < 0")):
            op.drop_column('ledger', 'tmp')
    """) == (1, [("missing-downgrade", "a1_fix.py", 15)])


def test_a_scratch_column_dropped_in_a_loop_over_nothing_still_needs_a_downgrade(tmp_path: Path) -> None:
    assert _downgrade_findings(tmp_path, """
        op.add_column('ledger', sa.Column('tmp', sa.Integer, nullable=True))
        for _ in []:
            op.drop_column('ledger', 'tmp')
    """) == (1, [("missing-downgrade", "a1_fix.py", 15)])


# -- CREATE OR REPLACE FUNCTION whose body is run ------------------------------------------------------------------

_WIPE = '''
op.execute("""CREATE OR REPLACE FUNCTION wipe() RETURNS void LANGUAGE sql AS $$
    ALTER TABLE ledger DROP COLUMN amount $$""")
'''


def test_a_replaced_function_the_upgrade_calls_still_needs_a_downgrade(tmp_path: Path) -> None:
    # its body runs: the column and its values are gone, and the downgrade does nothing
    assert _downgrade_findings(tmp_path, _WIPE + 'op.execute("SELECT wipe()")\n') == (
        1, [("missing-downgrade", "a1_fix.py", 15)])


def test_a_replaced_function_called_through_sqlalchemy_still_needs_a_downgrade(tmp_path: Path) -> None:
    # select(func.wipe()) leaves no statement of its own in what migcheck reads: the body's DDL decides
    assert _downgrade_findings(tmp_path, _WIPE + "op.get_bind().execute(sa.select(sa.func.wipe()))\n") == (
        1, [("missing-downgrade", "a1_fix.py", 15)])


def test_a_replaced_trigger_function_an_insert_fires_still_needs_a_downgrade(tmp_path: Path) -> None:
    assert _downgrade_findings(tmp_path, '''
op.execute("""CREATE OR REPLACE FUNCTION ledger_trg() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN EXECUTE 'ALTER TABLE ledger DROP COLUMN amount'; RETURN NULL; END $$""")
op.execute("INSERT INTO ledger (amount) VALUES (1)")
''') == (1, [("missing-downgrade", "a1_fix.py", 15)])


_SCHEMA = """
import sqlalchemy as sa
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class Entry(Base):
    __tablename__ = "entry"
    id = sa.Column(sa.Integer, primary_key=True)
"""


# -- the project's root moved above env.py's folder, outside a git checkout ---------------------------------------

_OUTSIDE_MODEL = '''
import sqlalchemy as sa
from service.models import Base


class Payroll(Base):
    __tablename__ = "payroll"
    id = sa.Column(sa.Integer, primary_key=True)
'''


def test_env_py_importing_its_own_folder_reads_no_model_above_the_working_directory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # no .git, no project file, no alembic.ini; migcheck runs in service/. env.py imports service.models (its own
    # folder's name): the root moved to service/'s parent, and shared/payroll.py there, outside the project, was
    # read and reported (its path, its table, its class)
    write_files(tmp_path, {
        "shared/payroll.py": _OUTSIDE_MODEL,
        "service/models.py": _SCHEMA,
        "service/migrations/env.py": "from alembic import context\nfrom service.models import Base\n"
                                     "import shared.payroll\n\ntarget_metadata = Base.metadata\n",
        "service/migrations/versions/e1_entry.py": revision_text(
            "e1", None, "op.create_table('entry', sa.Column('id', sa.Integer, primary_key=True))").replace(
            "    pass", "    op.drop_table('entry')"),
    })
    monkeypatch.chdir(tmp_path / "service")
    run = run_cli("lint", "migrations", "--no-config", "--no-cache", "--format", "json", "--fail-on", "info",
                  "--select", "model-not-in-migrations,models-not-readable")
    assert run.exit_code == 1, run.stderr
    assert [(f["rule"], f["path"]) for f in run.json()["findings"]] == [("models-not-readable", "migrations/env.py")]
    assert "payroll" not in run.stdout.lower()


# -- raw-sql-not-understood: a helper "that only builds a SELECT", a .format "left unused" -------------------------

_REPORT = '''
conn = op.get_bind()
rows = conn.execute(totals(7)).fetchall()
'''
_LEDGER = 'ledger = sa.table("ledger", sa.column("id"), sa.column("amount"))\n'


def _helper_findings(tmp_path: Path, helper: str) -> tuple[int, list[tuple[str, str, int]]]:
    write_files(tmp_path, {"versions/c1_report.py": revision_text(
        "c1", None, _REPORT, head=f"from sqlalchemy import func, select\n{_LEDGER}{helper}")})
    code, found = lint_selected(tmp_path, "raw-sql-not-understood")
    return code, where(found)


def test_a_select_helper_that_calls_another_helper_is_still_a_statement_not_read(tmp_path: Path) -> None:
    # totals() runs wipe() before it builds its SELECT: executing totals(7) drops the table, unread
    assert _helper_findings(tmp_path, '''
def wipe(c):
    c.execute(sa.text("DROP TABLE ledger"))


def totals(limit):
    wipe(conn)
    return select(ledger.c.amount)
''') == (1, [("raw-sql-not-understood", "c1_report.py", 21)])


def test_a_select_helper_that_runs_sql_through_getattr_is_still_a_statement_not_read(tmp_path: Path) -> None:
    assert _helper_findings(tmp_path, '''
def totals(limit):
    getattr(conn, "exec" + "ute")(sa.text("DROP TABLE ledger"))
    return select(ledger.c.amount)
''') == (1, [("raw-sql-not-understood", "c1_report.py", 17)])


def test_a_decorated_select_helper_is_still_a_statement_not_read(tmp_path: Path) -> None:
    # the decorator hands back another function in totals' place
    assert _helper_findings(tmp_path, '''
def wiping(f):
    def run(*args):
        op.get_bind().execute(sa.text("DROP TABLE ledger"))
        return f(*args)
    return run


@wiping
def totals(limit):
    return select(ledger.c.amount)
''') == (1, [("raw-sql-not-understood", "c1_report.py", 24)])


def test_the_format_of_an_application_object_is_still_a_call_not_read(tmp_path: Path) -> None:
    # runner is the application's: its format() is not str.format, and may run the statement it is given
    write_files(tmp_path, {"versions/d1_keys.py": revision_text(
        "d1", None, "runner.format(\"UPDATE ledger SET kind = '{new}'\", new='b')", head="from app.db import runner")})
    code, found = lint_selected(tmp_path, "raw-sql-not-understood")
    assert (code, where(found)) == (1, [("raw-sql-not-understood", "d1_keys.py", 10)])


# -- orm-model-import-in-migration: "an enum" or "a self-contained function" that is a model ----------------------

_MODELS = '''
import enum
import sys

import sqlalchemy as sa
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class Entry(Base):
    __tablename__ = "entry"
    id = sa.Column(sa.Integer, primary_key=True)
'''


def _model_import(tmp_path: Path, extra: str, name: str) -> tuple[int, list[tuple[str, str, int]]]:
    write_files(tmp_path, {
        "pyproject.toml": "[project]\nname = 'ledger'\n",
        "ledger/__init__.py": "",
        "ledger/database/__init__.py": "",
        "ledger/database/models.py": _MODELS + extra,
        "migrations/env.py": "from alembic import context\n\ntarget_metadata = None\n",
        "migrations/versions/f1_widen.py": revision_text("f1", None, f"""
            print({name})
            op.alter_column('entry', 'title', existing_type=sa.String(255), type_=sa.String(300))
        """, head=f"from ledger.database.models import {name}").replace(
            "    pass", "    op.alter_column('entry', 'title', type_=sa.String(255))"),
    })
    code, found = lint_selected(tmp_path / "migrations", "orm-model-import-in-migration")
    return code, where(found)


def test_an_enum_rebound_to_a_model_through_setattr_is_still_a_model_import(tmp_path: Path) -> None:
    assert _model_import(tmp_path, '''

class Kind(enum.Enum):
    debit = "debit"


setattr(sys.modules[__name__], "Kind", Entry)
''', "Kind") == (1, [("orm-model-import-in-migration", "f1_widen.py", 3)])


def test_an_enum_rebound_to_a_model_through_globals_is_still_a_model_import(tmp_path: Path) -> None:
    assert _model_import(tmp_path, '''

class Kind(enum.Enum):
    debit = "debit"


globals()["Kind"] = Entry
''', "Kind") == (1, [("orm-model-import-in-migration", "f1_widen.py", 3)])


def test_a_function_reaching_the_models_through_a_dunder_is_still_a_model_import(tmp_path: Path) -> None:
    # only builtins by name, yet len.__self__ is the builtins module, and __import__ hands back the models
    assert _model_import(tmp_path, '''

def entry_class():
    return len.__self__.__import__("ledger.database.models", fromlist=["Entry"]).Entry
''', "entry_class") == (1, [("orm-model-import-in-migration", "f1_widen.py", 3)])
