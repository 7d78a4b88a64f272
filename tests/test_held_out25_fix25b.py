"""What users see for the held-out-25 fixes of branch fix25b: findings a hand review judged false, and their
unsafe twins that still fire."""

from __future__ import annotations

from pathlib import Path

from conftest import lint_selected, revision_text, where, write_files

_ENUM_CHECK = '''
conn = op.get_bind()
result = conn.execute(sa.text(
    "SELECT 1 FROM pg_enum WHERE enumlabel = 'warning' "
    "AND enumtypid = (SELECT oid FROM pg_type WHERE typname = 'note_kind')"))
{test}
    op.execute("ALTER TYPE note_kind ADD VALUE 'warning'")
'''


def _enum_revision(tmp_path: Path, test: str) -> Path:
    return write_files(tmp_path, {"versions/a1_add_warning.py": revision_text(
        "a1", None, _ENUM_CHECK.format(test=test))})


def test_add_value_run_only_when_rowcount_finds_no_label_is_no_missing_downgrade(tmp_path: Path) -> None:
    # held-out-25 #82: the SELECT's rowcount is 0 exactly when the label is missing, so upgrading again after the
    # downgrade that does nothing skips the ADD VALUE instead of failing with 'already exists'
    code, found = lint_selected(_enum_revision(tmp_path, "if result.rowcount == 0:"), "missing-downgrade")
    assert (code, where(found)) == (0, [])


def test_add_value_run_when_rowcount_finds_the_label_still_fires(tmp_path: Path) -> None:
    code, found = lint_selected(_enum_revision(tmp_path, "if result.rowcount > 0:"), "missing-downgrade")
    assert code == 1
    assert where(found) == [("missing-downgrade", "a1_add_warning.py", 15)]
    assert "already exists" in found[0]["message"]


def _backfill(tmp_path: Path, add: str) -> list[dict[str, object]]:
    write_files(tmp_path, {
        "versions/b0_base.py": revision_text("b0", None, "op.create_table('market', sa.Column('id', sa.Integer))"),
        "versions/b1_zone.py": revision_text("b1", "b0", f"""
            {add}
            op.execute("UPDATE market SET zone = 'UTC'")
        """)})
    code, found = lint_selected(tmp_path, "unbatched-backfill")
    assert code == 1
    assert where(found) == [("unbatched-backfill", "b1_zone.py", 11)]
    return found


def test_a_backfill_after_add_column_in_the_same_transaction_says_reads_wait_too(tmp_path: Path) -> None:
    # held-out-25 #149: the ADD COLUMN holds ACCESS EXCLUSIVE until commit, so the UPDATE keeps reads waiting as
    # well; the message said only writes were blocked
    found = _backfill(tmp_path, "op.add_column('market', sa.Column('zone', sa.String(80)))")
    assert "ACCESS EXCLUSIVE lock the ADD COLUMN at line 10" in str(found[0]["message"])
    assert "its reads of the whole table" in str(found[0]["message"])


def test_a_backfill_of_a_column_added_elsewhere_keeps_the_plain_message(tmp_path: Path) -> None:
    found = _backfill(tmp_path, "op.add_column('other', sa.Column('zone', sa.String(80)))")
    assert "ACCESS EXCLUSIVE" not in str(found[0]["message"])
    assert "blocking the application's writes)" in str(found[0]["message"])
