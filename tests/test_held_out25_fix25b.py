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
