"""attack27b: fix27b's dialect names read again (held-out-27 #140-#144) and the dialect tests they feed, forged.
Each test failed on fix27b; what a user sees: the rule, the file, the line, the exit code."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import revision_text, run_cli, where, write_files


def _drop_findings(tmp_path: Path, upgrade: str, dialect: str) -> tuple[int, list[tuple[str, str, int]]]:
    """``migcheck lint`` on one revision whose upgrade is ``upgrade``, drop-column only, on ``dialect``."""
    write_files(tmp_path, {"versions/a1_drop.py": revision_text("a1", None, upgrade)})
    run = run_cli("lint", tmp_path, "--no-config", "--no-cache", "--format", "json", "--select", "drop-column",
                  "--dialect", dialect)
    assert run.exit_code in (0, 1), run.stderr
    return run.exit_code, where(run.json()["findings"])


# -- a dialect name in capitals: SQLAlchemy's names are lower case, so the comparison is false ----------------------

@pytest.mark.parametrize("test", ['conn.dialect.name == "SQLITE"', 'conn.dialect.name.lower() == "SQLite"',
                                  'conn.dialect.name in ("SQLITE", "MySQL")',
                                  'conn.dialect.name.startswith("SQLite")'])
def test_the_else_branch_of_a_capitalised_dialect_name_runs_on_sqlite(tmp_path: Path, test: str) -> None:
    # fix27b read the literal in lower case: the SQLite branch taken, the drop in the else branch never reported;
    # at run time dialect.name is "sqlite", the test is false and the column is dropped
    assert _drop_findings(tmp_path, f"""
        conn = op.get_bind()
        if {test}:
            pass
        else:
            op.drop_column("ledger", "amount")
    """, "sqlite") == (1, [("drop-column", "a1_drop.py", 14)])


def test_an_early_return_on_a_capitalised_dialect_name_does_not_hide_what_follows(tmp_path: Path) -> None:
    assert _drop_findings(tmp_path, """
        conn = op.get_bind()
        if conn.dialect.name == "POSTGRESQL":
            return
        op.drop_column("ledger", "amount")
    """, "postgresql") == (1, [("drop-column", "a1_drop.py", 13)])


def test_a_capitalised_dialect_description_is_not_the_target(tmp_path: Path) -> None:
    assert _drop_findings(tmp_path, """
        conn = op.get_bind()
        if conn.dialect.dialect_description != "PostgreSQL":
            op.drop_column("ledger", "amount")
    """, "postgresql") == (1, [("drop-column", "a1_drop.py", 12)])


def test_a_helper_compared_with_a_capitalised_name_may_take_either_branch(tmp_path: Path) -> None:
    # the project's own dialect_name() may spell the name its own way: the drop may run
    assert _drop_findings(tmp_path, """
        if dialect_name() == "SQLite":
            return
        op.drop_column("ledger", "amount")
    """, "sqlite") == (1, [("drop-column", "a1_drop.py", 12)])


def test_a_lower_case_dialect_name_still_decides_the_branch(tmp_path: Path) -> None:
    # regression guard: the SQLite branch of a test spelled as SQLAlchemy spells it is still the only one on SQLite
    assert _drop_findings(tmp_path, """
        conn = op.get_bind()
        if conn.dialect.name.lower() == "sqlite":
            pass
        else:
            op.drop_column("ledger", "amount")
    """, "sqlite") == (0, [])


# -- a run-time scratch name "renamed away later" that names another table by then -----------------------------------

_BASE = revision_text("a0", None, 'op.create_table("users", sa.Column("id", sa.Integer, primary_key=True))')


def _drop_table_findings(tmp_path: Path, upgrade: str, head: str = "") -> tuple[int, list[tuple[str, str, int]]]:
    write_files(tmp_path, {"versions/a0_base.py": _BASE, "versions/a1_copy.py": revision_text("a1", "a0", upgrade, head)})
    run = run_cli("lint", tmp_path, "--no-config", "--no-cache", "--format", "json", "--select", "drop-table")
    assert run.exit_code in (0, 1), run.stderr
    return run.exit_code, where(run.json()["findings"])


def test_a_run_time_name_bound_again_before_the_rename_is_not_the_scratch_copy(tmp_path: Path) -> None:
    # fix27b matched the drop's <copy> with the rename's <copy>: the same text, but copy was bound again in
    # between, so the drop clears each table's _old archive and the rename moves the new copy
    assert _drop_table_findings(tmp_path, """
        bind = op.get_bind()
        for name in sa.inspect(bind).get_table_names():
            copy = f"{name}_old"
            if sa.inspect(bind).has_table(copy):
                op.drop_table(copy)
            copy = f"{name}_rebuild"
            op.execute(f"CREATE TABLE {copy} AS SELECT * FROM {name}")
            op.rename_table(copy, f"{name}_archive")
    """) == (1, [("drop-table", "a1_copy.py", 14)])


def test_a_helper_called_twice_does_not_rename_away_what_it_dropped(tmp_path: Path) -> None:
    # each call binds the helper's table anew: the first drops archive_orders, the second renames another table
    assert _drop_table_findings(tmp_path, """
        bind = op.get_bind()
        for name in sa.inspect(bind).get_table_names():
            step(bind, f"{name}_archive", False)
            step(bind, f"{name}_rebuild", True)
    """, head='''

def step(bind, table, swap):
    if swap:
        op.rename_table(table, "orders")
    elif sa.inspect(bind).has_table(table):
        op.drop_table(table)
''') == (1, [("drop-table", "a1_copy.py", 9)])


# -- `import app` read "only for a dunder": app.__dict__ reaches the models -----------------------------------------

_SAFE_PACKAGE = Path(__file__).resolve().parents[2] / "fixtures" / "rules" / "orm-model-import-in-migration" \
    / "safe_package_read_for_its_version"


@pytest.mark.parametrize("use", ['app.__dict__["Stop"].__table__',
                                 'importlib.import_module(app.__name__ + ".model.stop").Stop.__table__'])
def test_a_package_read_through_its_namespace_is_a_model_import(tmp_path: Path, use: str) -> None:
    # fix27b took any dunder for metadata: app.__dict__ / app.__name__ reach the mapped class Stop
    files = {str(p.relative_to(_SAFE_PACKAGE)): p.read_text() for p in _SAFE_PACKAGE.rglob("*") if p.is_file()}
    rev = "migrations/versions/0001_stop_lon_index.py"
    files[rev] = files[rev].replace("import app\n", "import importlib\n\nimport app\n").replace(
        "op.execute(f\"COMMENT ON TABLE stop IS 'since app {app.__version__}'\")",
        f"op.execute(sa.update({use}).values(lon=0))")
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    run = run_cli("lint", tmp_path, "--no-config", "--no-cache", "--format", "json", "--select",
                  "orm-model-import-in-migration")
    assert (run.exit_code, where(run.json()["findings"])) == (0, [("orm-model-import-in-migration",
                                                                   "0001_stop_lon_index.py", 7)])


# -- a "SQLAlchemy constant class" that is a SQL function -----------------------------------------------------------

@pytest.mark.parametrize(("head", "default"), [("", "sa.func.False_()"),
                                               ("from sqlalchemy.sql.functions import now as True_", "True_()")])
def test_a_function_named_like_a_constant_class_is_a_volatile_default(tmp_path: Path, head: str, default: str) -> None:
    # fix27b read any False_/True_/Null reached from an import of sqlalchemy as the literal: sa.func.False_() calls
    # the project's SQL function false_(), and the aliased True_ is now(); each rewrites the table on PostgreSQL
    write_files(tmp_path, {"versions/a1_flag.py": revision_text("a1", None, f"""
        op.add_column("invoice", sa.Column("archived", sa.Boolean(), nullable=False, server_default={default}))
    """, head)})
    run = run_cli("lint", tmp_path, "--no-config", "--no-cache", "--format", "json", "--select",
                  "add-column-with-volatile-default")
    assert (run.exit_code, where(run.json()["findings"])) == (  # a warning: exit 0
        0, [("add-column-with-volatile-default", "a1_flag.py", 10)])
