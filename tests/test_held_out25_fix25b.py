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


def _dep_revision(rid: str, down: str | None, depends_on: tuple[str, ...]) -> str:
    return f"revision = {rid!r}\ndown_revision = {down!r}\ndepends_on = {depends_on!r}\n\n\ndef upgrade():\n" \
           f"    pass\n\n\ndef downgrade():\n    pass\n"


def _graph_findings(root: Path) -> list[tuple[str, str, int, str]]:
    code, found = lint_selected(root, "missing-down-revision")
    assert code == 1
    return sorted((str(f["rule"]), Path(str(f["path"])).name, int(str(f["line"])), str(f["severity"]))
                  for f in found)


def test_a_depends_on_outside_the_linted_locations_of_a_linked_project_is_a_warning(tmp_path: Path) -> None:
    # held-out-25 #77-#81: a module's revisions depend on the core's (another folder) and on revisions of other
    # installed packages, whose version locations the application adds at run time
    write_files(tmp_path, {
        "core/versions/c1_core.py": _dep_revision("c1", None, ()),
        "module/versions/m1_module.py": _dep_revision("m1", None, ("c1",)),
        "module/versions/m2_refs.py": _dep_revision("m2", "m1", ("0a1b2c3d4e5f",)),
    })
    assert _graph_findings(tmp_path) == [("missing-down-revision", "m2_refs.py", 1, "warning")]


def test_a_dangling_depends_on_or_down_revision_stays_an_error(tmp_path: Path) -> None:
    # a plain project of one folder: nothing else can hold the id
    write_files(tmp_path, {
        "versions/a1_first.py": _dep_revision("a1", None, ()),
        "versions/a2_second.py": _dep_revision("a2", "a1", ("0a1b2c3d4e5f",)),
    })
    assert _graph_findings(tmp_path) == [("missing-down-revision", "a2_second.py", 1, "error")]
    # a down_revision that names nothing is an error even where the locations are linked by depends_on
    write_files(tmp_path / "linked", {
        "core/versions/c1_core.py": _dep_revision("c1", None, ()),
        "module/versions/m1_module.py": _dep_revision("m1", "0a1b2c3d4e5f", ("c1",)),
    })
    assert _graph_findings(tmp_path / "linked") == [("missing-down-revision", "m1_module.py", 2, "error")]


_SPLIT = '''
notes = op.create_table("note_contents", sa.Column("pk", sa.Integer), sa.Column("body", sa.Text))
rows = op.get_bind().execute("SELECT pk, {column} FROM notes")
op.bulk_insert(notes, [{{"pk": pk, "body": body}} for pk, body in rows])
op.drop_column("notes", "body")
'''


def _split(tmp_path: Path, column: str) -> str:
    write_files(tmp_path, {
        "versions/n0_base.py": revision_text("n0", None, "op.create_table('notes', sa.Column('pk', sa.Integer), "
                                                         "sa.Column('body', sa.Text), sa.Column('title', sa.Text))"),
        "versions/n1_split.py": revision_text("n1", "n0", _SPLIT.format(column=column))})
    code, found = lint_selected(tmp_path, "drop-column")
    assert code == 1
    assert where(found) == [("drop-column", "n1_split.py", 13)]
    return str(found[0]["message"])


def test_a_column_read_and_bulk_inserted_elsewhere_is_not_said_to_be_lost(tmp_path: Path) -> None:
    # held-out-25 #48: its values were written into the new table first; the running release still breaks
    message = _split(tmp_path, "body")
    assert "its values were read (line 11) and written into note_contents (line 12) first" in message
    assert "its data is lost" not in message
    assert "still running during the deploy fails" in message


def test_a_column_the_select_does_not_read_is_still_lost(tmp_path: Path) -> None:
    assert "its data is lost" in _split(tmp_path, "title")
