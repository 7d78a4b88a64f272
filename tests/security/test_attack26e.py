"""attack26e: the exemptions of fix26b (held-out-26) forged. Each test failed on fix26b; what a user sees: the rule,
the file, the line, the exit code."""

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
