"""What users see for branch left26's fixes (issue 16's remaining gaps): a column bulk-inserted elsewhere by an
earlier revision, PostgreSQL's case of quoted names, a column named ``values``, a call of an unknown function."""

from __future__ import annotations

from pathlib import Path

from conftest import lint_rules, revision_text, where, write_files

_BASE = ("op.create_table('notes', sa.Column('pk', sa.Integer), sa.Column('body', sa.Text), "
         "sa.Column('title', sa.Text))")
_COPY = '''
notes = op.create_table("note_contents", sa.Column("pk", sa.Integer), sa.Column("body", sa.Text))
rows = op.get_bind().execute(sa.text("SELECT pk, {column} FROM notes"))
op.bulk_insert(notes, [{{"pk": pk, "body": body}} for pk, body in rows])
'''
_LITERAL = '''
notes = op.create_table("note_contents", sa.Column("pk", sa.Integer), sa.Column("body", sa.Text))
op.bulk_insert(notes, [{"pk": 1, "body": "x"}])
'''


def _drop_after(tmp_path: Path, copy: str) -> str:
    write_files(tmp_path, {
        "versions/n0_base.py": revision_text("n0", None, _BASE),
        "versions/n1_copy.py": revision_text("n1", "n0", copy),
        "versions/n2_drop.py": revision_text("n2", "n1", "op.drop_column('notes', 'body')")})
    code, found = lint_rules(tmp_path, "postgresql", "drop-column")
    assert code == 1
    assert where(found) == [("drop-column", "n2_drop.py", 10)]
    return str(found[0]["message"])


def test_a_column_bulk_inserted_elsewhere_by_an_earlier_revision_is_not_said_to_be_lost(tmp_path: Path) -> None:
    message = _drop_after(tmp_path, _COPY.format(column="body"))
    assert message.startswith("column notes.body is dropped: its values were written into note_contents by revision "
                              "n1 (line 12); rows that statement left out, and values written to it after that copy, "
                              "are not carried over, and the application version still running"), message
    assert "its data is lost" not in message


def test_a_bulk_insert_that_does_not_take_the_column_copies_nothing(tmp_path: Path) -> None:
    # the earlier SELECT read another column, or the rows written are literals: the drop loses the data
    assert "its data is lost" in _drop_after(tmp_path / "other", _COPY.format(column="title"))
    assert "its data is lost" in _drop_after(tmp_path / "literal", _LITERAL)


_CASES = '''
op.create_table("Events", sa.Column("id", sa.Integer, primary_key=True))
op.execute("CLUSTER events USING events_pkey")
op.execute('CLUSTER "Events" USING events_pkey')
op.execute("CLUSTER Events USING events_pkey")
op.execute('VACUUM FULL "Events"')
op.create_table("logs", sa.Column("id", sa.Integer, primary_key=True))
op.execute('CLUSTER "logs" USING logs_pkey')
op.execute("CLUSTER LOGS USING logs_pkey")
op.add_column("events", sa.Column("x", sa.Integer, nullable=False))
op.add_column("Events", sa.Column("y", sa.Integer, nullable=False))
op.execute("CREATE TABLE Things (id int)")
op.execute("CLUSTER things USING things_pkey")
op.execute('CLUSTER "Things" USING things_pkey')
'''


def test_a_quoted_new_table_is_not_the_unquoted_name_on_postgresql(tmp_path: Path) -> None:
    # op.create_table("Events") makes "Events"; unquoted SQL `events` folds to lower case: another, existing table.
    # A name in lower case, a SQL name whose quotes are not known (Things) and "Events" itself stay the new tables
    write_files(tmp_path, {"versions/a1_case.py": revision_text("a1", None, _CASES)})
    code, found = lint_rules(tmp_path, "postgresql", "vacuum-full-or-cluster", "add-not-null-column-without-default")
    assert code == 1
    assert where(found) == [("add-not-null-column-without-default", "a1_case.py", 18),
                            ("vacuum-full-or-cluster", "a1_case.py", 11),
                            ("vacuum-full-or-cluster", "a1_case.py", 13)]
    assert found[0]["message"].startswith("CLUSTER events rewrites the table")


def test_table_names_stay_case_insensitive_on_mysql_and_sqlite(tmp_path: Path) -> None:
    body = 'op.create_table("Events", sa.Column("id", sa.Integer))\nop.add_column("events", sa.Column("x", sa.Integer, ' \
           'nullable=False))'
    write_files(tmp_path, {"versions/a1_case.py": revision_text("a1", None, body)})
    for dialect in ("mysql", "sqlite"):
        assert lint_rules(tmp_path, dialect, "add-not-null-column-without-default") == (0, [])


_VALUES = '''
op.execute("ALTER TABLE t ADD COLUMN values jsonb NOT NULL")
op.execute("UPDATE t SET values = '{}'")
op.execute("ALTER TABLE u DROP COLUMN values")
'''


def test_a_column_named_values_is_read_on_postgresql(tmp_path: Path) -> None:
    # `values` is a column name PostgreSQL accepts unquoted: each statement is read, none is "not understood"
    write_files(tmp_path, {"versions/a1_values.py": revision_text("a1", None, _VALUES)})
    code, found = lint_rules(tmp_path, "postgresql", "raw-sql-not-understood", "add-not-null-column-without-default",
                             "unbatched-backfill", "drop-column")
    assert code == 1
    assert where(found) == [("add-not-null-column-without-default", "a1_values.py", 10),
                            ("drop-column", "a1_values.py", 12), ("unbatched-backfill", "a1_values.py", 11)]
    assert found[0]["message"].startswith("column t.values is added NOT NULL")


_FUNCTIONS = '''
conn = op.get_bind()
conn.execute(sa.select(sa.func.refresh_totals()))
op.execute(sa.select(sa.func.audit.rebuild(1)))
query = sa.select(sa.func.recount())
conn.execute(query)
conn.execute(sa.select(sa.func.count()).select_from(sa.table("t")))
conn.execute(sa.select(sa.func.now()))
conn.execute(sa.select(sa.func.setval("t_id_seq", 5)))
'''


def test_a_select_of_an_unknown_function_is_not_a_silent_pass(tmp_path: Path) -> None:
    # the project's own function may write, lock or drop anything: reported as not read, and as nothing else;
    # a SELECT of a built-in (count, now, setval) stays silent here
    write_files(tmp_path, {"versions/a1_func.py": revision_text("a1", None, _FUNCTIONS)})
    for dialect in ("postgresql", "mysql", "sqlite"):
        code, found = lint_rules(tmp_path, dialect, "raw-sql-not-understood")
        assert code == 1
        assert where(found) == [("raw-sql-not-understood", "a1_func.py", line) for line in (11, 12, 14)]
        assert "`sa.select(sa.func.refresh_totals())` calls refresh_totals(), a function migcheck does not know" \
            in found[0]["message"]
        assert "calls audit.rebuild()" in found[1]["message"]
