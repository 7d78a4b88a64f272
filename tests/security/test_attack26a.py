"""Attacker review of left26 (attack26a).

1. drop-column's cross-revision copy by ``op.bulk_insert`` of rows a SELECT read (history_index.selected_before)
   took any word of a SELECT's list as the column: ``SELECT pk, NULL AS body FROM notes``, ``'body'``, ``title AS
   body``, ``count(body)``, a subquery's ``body``, a table ``notes`` of another schema, or an unused ``SELECT body
   FROM notes`` next to the read that fed the write made the drop of ``notes.body`` say its values "were written
   into note_contents" instead of "its data is lost". Now every SQL SELECT of the table before the write must
   return the column itself, from the same schema (extract.sql.selects_column).
2. raw-sql-not-understood's new report of a Core ``select()`` of an unknown function saw only ``func`` by that
   name: ``from sqlalchemy import func as fn``, ``f = sa.func.refresh_totals``, ``getattr(sa.func, "...")`` and
   ``sa.Function("...")`` passed silently.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import lint_rules, revision_text, where, write_files

_BASE = ("op.create_table('notes', sa.Column('pk', sa.Integer), sa.Column('body', sa.Text), "
         "sa.Column('title', sa.Text))")
_COPY = '''
notes = op.create_table("note_contents", sa.Column("pk", sa.Integer), sa.Column("body", sa.Text))
{before}rows = op.get_bind().execute(sa.text("{select}"))
op.bulk_insert(notes, [{{"pk": pk, "body": body}} for pk, body in rows])
'''


def _drop_message(tmp_path: Path, select: str, before: str = "") -> str:
    write_files(tmp_path, {
        "versions/n0_base.py": revision_text("n0", None, _BASE),
        "versions/n1_copy.py": revision_text("n1", "n0", _COPY.format(select=select, before=before)),
        "versions/n2_drop.py": revision_text("n2", "n1", "op.drop_column('notes', 'body')")})
    code, found = lint_rules(tmp_path, "postgresql", "drop-column")
    assert code == 1
    assert where(found) == [("drop-column", "n2_drop.py", 10)]
    return str(found[0]["message"])


@pytest.mark.parametrize("select", [
    "SELECT pk, NULL AS body FROM notes",
    "SELECT pk, 'body' FROM notes",
    "SELECT pk, title AS body FROM notes",
    "SELECT count(body), max(pk) FROM notes",
    "SELECT pk, (SELECT body FROM other LIMIT 1) FROM notes",
    "SELECT pk, body FROM archive.notes",
])
def test_a_select_that_does_not_return_the_column_carries_nothing(tmp_path: Path, select: str) -> None:
    message = _drop_message(tmp_path, select)
    assert message.startswith("column notes.body is dropped: its data is lost, and"), message
    assert "note_contents" not in message


def test_an_unused_select_of_the_column_does_not_make_another_read_a_copy(tmp_path: Path) -> None:
    # the rows bulk-inserted come from SELECT pk, title: the SELECT of body before it feeds nothing
    message = _drop_message(tmp_path, "SELECT pk, title FROM notes",
                            before='op.execute("SELECT pk, body FROM notes")\n')
    assert message.startswith("column notes.body is dropped: its data is lost, and"), message


@pytest.mark.parametrize("select", ["SELECT pk, body FROM notes", "SELECT n.pk, n.body AS text FROM notes n",
                                    "SELECT * FROM notes"])
def test_a_select_of_the_column_still_counts_as_written(tmp_path: Path, select: str) -> None:
    message = _drop_message(tmp_path, select)
    assert message.startswith("column notes.body is dropped: its values were written into note_contents by "
                              "revision n1 (line 12)"), message


_RENAMED_FUNC = '''
conn = op.get_bind()
conn.execute(sa.select(fn.refresh_totals()))
f = sa.func.recount
conn.execute(sa.select(f()))
conn.execute(sa.select(getattr(sa.func, "rebuild")()))
conn.execute(sa.select(sa.Function("purge")))
conn.execute(sa.select(fn.count(), fn.now()))
'''


def test_a_select_of_an_unknown_function_under_another_name_is_reported(tmp_path: Path) -> None:
    text = revision_text("a1", None, _RENAMED_FUNC, head="from sqlalchemy import func as fn")
    write_files(tmp_path, {"versions/a1_func.py": text})
    code, found = lint_rules(tmp_path, "postgresql", "raw-sql-not-understood")
    assert code == 1
    assert where(found) == [("raw-sql-not-understood", "a1_func.py", line) for line in (11, 13, 14, 15)]
    for finding, name in zip(found, ("refresh_totals", "recount", "rebuild", "purge"), strict=True):
        assert f"calls {name}(), a function migcheck does not know" in finding["message"], finding["message"]
