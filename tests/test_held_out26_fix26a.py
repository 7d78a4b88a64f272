"""Held-out-26 (precision), helper fix26a: findings a real history showed wrong, each next to its risky twin.

* #68 drop-table / #21 add-primary-key-to-existing-table: a copy and swap whose copy LEFT JOINs another table for
  a derived column (``CREATE TABLE t_new AS SELECT t.*, md5(...) FROM t LEFT JOIN h ON ...``), then ``DROP TABLE
  t`` and ``ALTER TABLE t_new RENAME TO t`` in the transaction: the rows live on, and the key added to the new
  ``t`` locks a table nobody else sees yet (so do SET NOT NULL and CREATE INDEX on it, same pattern).
* #20 add-not-null-column-without-default (MySQL): a NOT NULL ENUM's implicit default is its first label; when
  the Python-side ``default=`` is that label, the rows already there get the value the code gives new rows.
* #37 alter-column-without-existing-type (MySQL): a column renamed here and again by a later revision is found in
  the models under its last name; mapped nullable without a server default, the CHANGE loses nothing.
* #46 downgrade-not-inverse: kept, with a true message: ``op.drop_column("t", sa.Column(...))`` raises TypeError
  before any SQL, so the downgrade stops there (it does not complete and leave the column for 'already exists').
* #49 downgrade-not-inverse: ``DROP TABLE IF EXISTS`` of a table an ancestor dropped (and nothing made since, as
  far as the history can tell) does nothing; the downgrade need not restore it.
* #124 rename-column: kept, with a true message. The column renamed NOT NULL without a default, and a new column of
  the old name added in its place: the running release's SELECTs work, its INSERTs fail.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from conftest import run_cli, where, write_files


def _lint(root: Path, *rules: str, dialect: str = "postgresql") -> list[tuple[str, str, int]]:
    run = run_cli("lint", root, "--no-config", "--no-cache", "--format", "json", "--dialect", dialect,
                  "--select", ",".join(rules), "--fail-on", "never")
    assert run.exit_code == 0, run.stderr
    return where(run.json()["findings"])


def _messages(root: Path, rule: str, dialect: str = "postgresql") -> list[str]:
    run = run_cli("lint", root, "--no-config", "--no-cache", "--format", "json", "--dialect", dialect,
                  "--select", rule, "--fail-on", "never")
    assert run.exit_code == 0, run.stderr
    return [f["message"] for f in run.json()["findings"]]


def _revision(rid: str, down: str | None, upgrade: str, downgrade: str = "pass") -> str:
    up = textwrap.indent(textwrap.dedent(upgrade).strip(), "    ")
    dn = textwrap.indent(textwrap.dedent(downgrade).strip(), "    ")
    return (f"import sqlalchemy as sa\nfrom alembic import op\n\nrevision = {rid!r}\ndown_revision = {down!r}\n\n\n"
            f"def upgrade():\n{up}\n\n\ndef downgrade():\n{dn}\n")


# --- #68 / #21: a copy and swap whose copy LEFT JOINs a lookup table ---------------------------------------------

_TABLES = _revision("0001", None, """
    op.create_table("runs", sa.Column("id", sa.Integer()), sa.Column("host_id", sa.Integer()),
                    sa.Column("url", sa.Text()))
    op.create_table("hosts", sa.Column("id", sa.Integer(), primary_key=True), sa.Column("digest", sa.Text()))
    """, 'op.drop_table("hosts")\nop.drop_table("runs")')

_SWAP = """
    op.execute("CREATE TABLE runs_next AS SELECT {columns}, md5(runs.url || hosts.digest) AS fingerprint "
               "FROM runs {join} hosts ON runs.host_id = hosts.id")
    op.execute("DROP TABLE runs")
    op.execute("ALTER TABLE runs_next RENAME TO runs")
    op.execute("ALTER TABLE runs ADD PRIMARY KEY (id)")
    op.alter_column("runs", "url", nullable=False)
    op.create_index("ix_runs_url", "runs", ["url"])
    """


def _swap(tmp_path: Path, columns: str = "runs.*", join: str = "LEFT JOIN") -> Path:
    # lines: 9 CREATE TABLE AS, 11 DROP TABLE, 12 RENAME, 13 ADD PRIMARY KEY
    return write_files(tmp_path, {"versions/0001_a.py": _TABLES, "versions/0002_b.py": _revision(
        "0002", "0001", _SWAP.format(columns=columns, join=join))})


def test_a_copy_and_swap_through_a_left_join_keeps_the_rows_and_locks_no_one(tmp_path: Path) -> None:
    assert _lint(_swap(tmp_path), "drop-table", "add-primary-key-to-existing-table", "set-not-null",
                 "create-index-not-concurrently") == []
    assert _lint(_swap(tmp_path, "*", "LEFT OUTER JOIN"), "drop-table") == []


def test_an_inner_join_or_a_copy_of_the_other_tables_columns_is_no_copy_and_swap(tmp_path: Path) -> None:
    inner = _swap(tmp_path / "inner", join="JOIN")
    assert _lint(inner, "drop-table") == [("drop-table", "0002_b.py", 11)]
    assert _messages(inner, "drop-table")[0].startswith("table runs is dropped: its rows are lost")
    assert _lint(_swap(tmp_path / "other", "hosts.*"), "drop-table") == [("drop-table", "0002_b.py", 11)]


def test_a_primary_key_on_the_old_table_before_the_swap_stays_reported(tmp_path: Path) -> None:
    root = write_files(tmp_path, {"versions/0001_a.py": _TABLES, "versions/0002_b.py": _revision("0002", "0001", """
        op.execute("ALTER TABLE runs ADD PRIMARY KEY (id)")
        op.alter_column("runs", "url", nullable=False)
        op.create_index("ix_runs_url", "runs", ["url"])
        op.execute("CREATE TABLE runs_next AS SELECT runs.* FROM runs")
        op.execute("DROP TABLE runs")
        op.execute("ALTER TABLE runs_next RENAME TO runs")
        """)})
    assert _lint(root, "add-primary-key-to-existing-table", "set-not-null", "create-index-not-concurrently") == [
        ("add-primary-key-to-existing-table", "0002_b.py", 9), ("create-index-not-concurrently", "0002_b.py", 11),
        ("set-not-null", "0002_b.py", 10)]


def test_a_primary_key_after_a_swap_committed_outside_the_transaction_stays_reported(tmp_path: Path) -> None:
    root = write_files(tmp_path, {"versions/0001_a.py": _TABLES, "versions/0002_b.py": _revision("0002", "0001", """
        with op.get_context().autocommit_block():
            op.execute("CREATE TABLE runs_next AS SELECT runs.* FROM runs")
            op.execute("DROP TABLE runs")
            op.execute("ALTER TABLE runs_next RENAME TO runs")
        op.execute("ALTER TABLE runs ADD PRIMARY KEY (id)")
        """)})
    assert _lint(root, "add-primary-key-to-existing-table") == [
        ("add-primary-key-to-existing-table", "0002_b.py", 13)]


# --- #20: MySQL, a NOT NULL ENUM whose Python-side default is its first label -------------------------------------

_ORDERS = _revision("0001", None, """
    op.create_table("jobs", sa.Column("id", sa.Integer(), primary_key=True))
    """, 'op.drop_table("jobs")')


def _enum_column(tmp_path: Path, column: str) -> Path:
    # line 10: the op.add_column
    text = _revision("0002", "0001", f'op.add_column("jobs", {column})')
    text = text.replace("\n\n\ndef upgrade", '\nENGINES = ["batch", "stream"]\n\n\ndef upgrade', 1)
    return write_files(tmp_path, {"versions/0001_a.py": _ORDERS, "versions/0002_b.py": text})


def test_a_not_null_enum_defaulting_to_its_first_label_is_silent_on_mysql(tmp_path: Path) -> None:
    """MySQL gives the rows already there a NOT NULL ENUM's first label: the value default= gives new rows."""
    starred = _enum_column(tmp_path / "starred", 'sa.Column("engine", sa.Enum(*ENGINES), nullable=False, '
                                                 'default=ENGINES[0])')
    literal = _enum_column(tmp_path / "literal", 'sa.Column("engine", sa.Enum("batch", "stream", name="engine"), '
                                                 'nullable=False, default="batch")')
    for root in (starred, literal):
        assert _lint(root, "add-not-null-column-without-default", dialect="mysql") == []


def test_a_not_null_enum_defaulting_to_another_label_or_to_nothing_stays_reported(tmp_path: Path) -> None:
    rule = "add-not-null-column-without-default"
    other = _enum_column(tmp_path / "other", 'sa.Column("engine", sa.Enum(*ENGINES), nullable=False, '
                                             'default=ENGINES[1])')
    none = _enum_column(tmp_path / "none", 'sa.Column("engine", sa.Enum(*ENGINES), nullable=False)')
    for root in (other, none):
        assert _lint(root, rule, dialect="mysql") == [(rule, "0002_b.py", 10)]
    first = _enum_column(tmp_path / "pg", 'sa.Column("engine", sa.Enum(*ENGINES, name="engine"), nullable=False, '
                                          'default=ENGINES[0])')
    assert _lint(first, rule) == [(rule, "0002_b.py", 10)]  # PostgreSQL refuses it on a table with rows


# --- #37: MySQL, a column renamed here and again later, nullable in the models under its last name -----------------

_MODELS = """from datetime import datetime

from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Sample(Base):
    __tablename__ = "sample"
    id: Mapped[int] = mapped_column(primary_key=True)
    last_seen_at: Mapped[{kind}]
"""


def _renamed_twice(tmp_path: Path, kind: str = "datetime | None", between: str = "") -> Path:
    # 0002 line 9: the alter_column that renames seen_at to updated_at without existing_nullable
    rename = _revision("0002", None, """
        op.alter_column("sample", "seen_at", new_column_name="updated_at", existing_type=sa.DateTime())
        """)
    later = _revision("0003", "0002", between + """
        op.alter_column("sample", "updated_at", new_column_name="last_seen_at", existing_type=sa.DateTime())
        """)
    return write_files(tmp_path, {
        "pyproject.toml": '[project]\nname = "app"\n',
        "app/__init__.py": "",
        "app/models.py": _MODELS.format(kind=kind),
        "migrations/env.py": "from app.models import Base\n\ntarget_metadata = Base.metadata\n",
        "migrations/versions/0002_b.py": rename,
        "migrations/versions/0003_c.py": later,
    })


def test_a_rename_of_a_column_the_models_map_nullable_under_its_later_name_is_silent(tmp_path: Path) -> None:
    assert _lint(_renamed_twice(tmp_path) / "migrations", "alter-column-without-existing-type",
                 dialect="mysql") == []


def test_a_rename_whose_column_the_models_map_not_null_or_a_later_revision_alters_stays_reported(
        tmp_path: Path) -> None:
    rule = "alter-column-without-existing-type"
    not_null = _renamed_twice(tmp_path / "not_null", kind="datetime")
    altered = _renamed_twice(tmp_path / "altered", between=(
        'op.alter_column("sample", "updated_at", existing_type=sa.DateTime(), nullable=True, '
        'existing_server_default=None)\n'))
    for root in (not_null, altered):
        assert (rule, "0002_b.py", 9) in _lint(root / "migrations", rule, dialect="mysql")


# --- #46: a Column object where op.drop_column wants the name ------------------------------------------------------

def _dropped_by(tmp_path: Path, downgrade: str) -> Path:
    # line 9: the op.add_column; line 13: the downgrade's drop_column
    return write_files(tmp_path, {"versions/0001_a.py": _ORDERS, "versions/0002_b.py": _revision("0002", "0001", """
        op.add_column("jobs", sa.Column("price", sa.Integer(), nullable=True))
        """, downgrade)})


def test_a_column_object_given_to_drop_column_is_said_to_stop_the_downgrade(tmp_path: Path) -> None:
    """Alembic raises TypeError for ``op.drop_column("t", sa.Column("c", ...))`` before any SQL (checked with the
    installed Alembic and SQLAlchemy): main said the downgrade completes and the next upgrade fails."""
    root = _dropped_by(tmp_path, 'op.drop_column("jobs", sa.Column("price", sa.Integer(), nullable=True))')
    rule = "downgrade-not-inverse"
    assert _lint(root, rule) == [(rule, "0002_b.py", 9)]
    assert _messages(root, rule) == [
        "the upgrade adds column jobs.price (line 9), but downgrade() passes a Column object, not the column's name, "
        "to op.drop_column (line 13): it raises TypeError before any SQL, so `alembic downgrade` stops there with "
        "the column still in place"]


def test_a_downgrade_dropping_the_name_or_nothing_keeps_its_verdict(tmp_path: Path) -> None:
    rule = "downgrade-not-inverse"
    assert _lint(_dropped_by(tmp_path / "name", 'op.drop_column("jobs", "price")'), rule) == []
    other = _dropped_by(tmp_path / "other", 'op.drop_column("jobs", "cost")')
    assert _messages(other, rule)[0].endswith("the next `alembic upgrade` fails with 'already exists'")


# --- #49: DROP TABLE IF EXISTS of a table an ancestor already dropped -----------------------------------------------

def _cleanup(tmp_path: Path, between: str = "pass") -> Path:
    # 0004 line 10: DROP TABLE IF EXISTS legacy_notes (a clean-up list); 0003 runs between the drop and it
    made = _revision("0001", None, """
        op.create_table("legacy_notes", sa.Column("id", sa.Integer(), primary_key=True))
        op.create_table("flags", sa.Column("id", sa.Integer(), primary_key=True))
        """, 'op.drop_table("flags")\nop.drop_table("legacy_notes")')
    dropped = _revision("0002", "0001", 'op.drop_table("legacy_notes")',
                        'op.create_table("legacy_notes", sa.Column("id", sa.Integer(), primary_key=True))')
    cleanup = _revision("0004", "0003", """
        for table in ["legacy_notes", "flags"]:
            op.execute(f"DROP TABLE IF EXISTS {table}")
        """, 'op.create_table("flags", sa.Column("id", sa.Integer(), primary_key=True))')
    return write_files(tmp_path, {"versions/0001_a.py": made, "versions/0002_b.py": dropped,
                                  "versions/0003_c.py": _revision("0003", "0002", between),
                                  "versions/0004_d.py": cleanup})


def test_dropping_if_exists_a_table_an_ancestor_dropped_needs_no_restore(tmp_path: Path) -> None:
    assert _lint(_cleanup(tmp_path), "downgrade-not-inverse") == []


def test_a_table_made_again_or_maybe_made_since_the_drop_stays_reported(tmp_path: Path) -> None:
    rule = "downgrade-not-inverse"
    remade = _cleanup(tmp_path / "remade", 'op.create_table("legacy_notes", sa.Column("id", sa.Integer()))')
    unread = _cleanup(tmp_path / "unread", "op.execute(make_statement())")
    for root in (remade, unread):
        assert (rule, "0004_d.py", 10) in _lint(root, rule)


# --- #124: a column renamed, and a new column of the old name added and filled -------------------------------------

def _renamed_readded(tmp_path: Path, nullable: bool) -> Path:
    # 0002 line 9: the rename; line 10: the new column of the old name
    made = _revision("0001", None, f"""
        op.create_table("secrets", sa.Column("id", sa.Integer(), primary_key=True),
                        sa.Column("name", sa.String(99), nullable={nullable}))
        """, 'op.drop_table("secrets")')
    return write_files(tmp_path, {"versions/0001_a.py": made, "versions/0002_b.py": _revision("0002", "0001", """
        op.alter_column("secrets", "name", new_column_name="file_name")
        op.add_column("secrets", sa.Column("name", sa.String(99), nullable=True))
        op.execute(sa.table("secrets", sa.column("name")).update().values(name=sa.column("file_name")))
        """)})


def test_a_rename_with_the_old_name_added_back_says_what_fails(tmp_path: Path) -> None:
    """main said the running release's SELECTs of name fail; they find the new column. Its INSERTs give the
    renamed NOT NULL column no value: that is what still fails, and what the message says now."""
    root = _renamed_readded(tmp_path, nullable=False)
    rule = "rename-column"
    assert _lint(root, rule) == [(rule, "0002_b.py", 9)]
    assert _messages(root, rule) == [
        "column secrets.name is renamed to file_name and a new name column is added in its place (line 10): the "
        "application version still running finds name for its SELECTs, but its INSERTs, which do not name "
        "file_name, fail: it is NOT NULL without a default"]


def test_a_rename_of_a_nullable_column_with_the_old_name_added_back_is_no_failure(tmp_path: Path) -> None:
    root = _renamed_readded(tmp_path, nullable=True)
    messages = _messages(root, "rename-column")
    assert all("fail" not in m for m in messages)
