"""Attacker review of held-out-26's fix26a: each test is a pull request a stranger could send, imitating a pattern one
of that round's exemptions trusts while it really does the dangerous thing, which the report must not lose.

* drop-table: "a LEFT JOIN copy reading ``t.*`` keeps the rows" when ``t`` is the alias of the joined table.
* add-primary-key-to-existing-table / set-not-null / create-index-not-concurrently: "the copy and swap's new table is
  seen by no one" after a COMMIT sent as SQL, or when the table created (quoted ``"Runs_Old"``) is not the one renamed.
* add-not-null-column-without-default (MySQL): "a NOT NULL ENUM's rows get its first label" when the Enum is
  ``native_enum=False`` (a VARCHAR: the rows get ``''``) or is not the column's type.
* alter-column-without-existing-type (MySQL): "the models map the column under its later name" when the later rename
  is of another schema's table, or SQL renames the table away.
* downgrade-not-inverse: "DROP TABLE IF EXISTS of a table an ancestor dropped" when that drop may not have run (a loop
  of no pass, a ``try``), dropped another spelling (the quoted "Legacy_Notes"), or a sibling branch makes it again.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from conftest import run_cli, where, write_files


def _revision(rid: str, down: str | tuple[str, ...] | None, upgrade: str, downgrade: str = "pass",
              head: str = "") -> str:
    up = textwrap.indent(textwrap.dedent(upgrade).strip(), "    ")
    dn = textwrap.indent(textwrap.dedent(downgrade).strip(), "    ")
    # line 9: the first step of the upgrade (without ``head``)
    return (f"import sqlalchemy as sa\nfrom alembic import op\n\nrevision = {rid!r}\ndown_revision = {down!r}\n{head}"
            f"\n\ndef upgrade():\n{up}\n\n\ndef downgrade():\n{dn}\n")


def _lint(root: Path, *rules: str, dialect: str = "postgresql") -> list[tuple[str, str, int]]:
    run = run_cli("lint", root, "--no-config", "--no-cache", "--format", "json", "--dialect", dialect,
                  "--select", ",".join(rules), "--fail-on", "never")
    assert run.exit_code == 0, run.stderr
    return where(run.json()["findings"])


# --- drop-table: a LEFT JOIN copy whose ``t.*`` is another table's ---------------------------------------------------

_RUNS = _revision("0001", None, """
    op.create_table("runs", sa.Column("id", sa.Integer()), sa.Column("host_id", sa.Integer()),
                    sa.Column("url", sa.Text()))
    op.create_table("hosts", sa.Column("id", sa.Integer(), primary_key=True), sa.Column("digest", sa.Text()))
    """, 'op.drop_table("hosts")\nop.drop_table("runs")')


def _copied(tmp_path: Path, copy: str) -> Path:
    # 0002 line 9: the copy, line 10: DROP TABLE runs, line 11: the rename
    return write_files(tmp_path, {"versions/0001_a.py": _RUNS, "versions/0002_b.py": _revision("0002", "0001", f"""
        op.execute('{copy}')
        op.execute("DROP TABLE runs")
        op.execute("ALTER TABLE runs_next RENAME TO runs")
        """)})


def test_a_left_join_copy_of_the_joined_tables_columns_under_the_tables_name_stays_reported(tmp_path: Path) -> None:
    # runs is the alias of hosts: runs.* are the hosts' columns; the runs' own (r) are not copied
    aliased = _copied(tmp_path / "aliased", "CREATE TABLE runs_next AS SELECT runs.* FROM runs AS r "
                                            "LEFT JOIN hosts AS runs ON r.host_id = runs.id")
    quoted = _copied(tmp_path / "quoted", 'CREATE TABLE runs_next AS SELECT "Runs".* FROM runs '
                                          'LEFT JOIN hosts AS "Runs" ON runs.host_id = "Runs".id')
    for root in (aliased, quoted):
        assert _lint(root, "drop-table") == [("drop-table", "0002_b.py", 10)]
    own = _copied(tmp_path / "own", "CREATE TABLE runs_next AS SELECT r.*, h.digest FROM runs AS r "
                                    "LEFT JOIN hosts AS h ON r.host_id = h.id")
    assert _lint(own, "drop-table") == []


# --- the copy and swap's new table, after a COMMIT or when another table is renamed ----------------------------------

_LOCKS = ("add-primary-key-to-existing-table", "create-index-not-concurrently", "set-not-null")
_TAIL = """
    op.create_primary_key("pk_runs", "runs", ["id"])
    op.alter_column("runs", "url", nullable=False)
    op.create_index("ix_runs_url", "runs", ["url"])
    """


def _swapped(tmp_path: Path, swap: str) -> Path:
    made = _revision("0001", None, """
        op.create_table("runs", sa.Column("id", sa.Integer()), sa.Column("url", sa.Text()))
        op.create_table("runs_old", sa.Column("id", sa.Integer()), sa.Column("url", sa.Text()))
        """)
    return write_files(tmp_path, {"versions/0001_a.py": made,
                                  "versions/0002_b.py": _revision("0002", "0001", textwrap.dedent(swap) + textwrap.dedent(_TAIL))})


def _at(first: int) -> list[tuple[str, str, int]]:
    return [(_LOCKS[0], "0002_b.py", first), (_LOCKS[1], "0002_b.py", first + 2), (_LOCKS[2], "0002_b.py", first + 1)]


def test_a_swapped_table_committed_before_its_key_and_index_stays_reported(tmp_path: Path) -> None:
    # the COMMIT publishes the new runs: the key, the NOT NULL scan and the index then lock what others use
    after = _swapped(tmp_path / "after", """
        op.create_table("runs_next", sa.Column("id", sa.Integer()), sa.Column("url", sa.Text()))
        op.drop_table("runs")
        op.rename_table("runs_next", "runs")
        op.execute("COMMIT")
        """)
    assert _lint(after, *_LOCKS) == _at(14)
    # psycopg2 runs what follows a COMMIT sent as SQL in autocommit: each step is seen at once
    before = _swapped(tmp_path / "before", """
        op.execute("COMMIT")
        op.create_table("runs_next", sa.Column("id", sa.Integer()), sa.Column("url", sa.Text()))
        op.drop_table("runs")
        op.rename_table("runs_next", "runs")
        """)
    assert _lint(before, *_LOCKS) == _at(14)
    kept = _swapped(tmp_path / "kept", """
        op.create_table("runs_next", sa.Column("id", sa.Integer()), sa.Column("url", sa.Text()))
        op.drop_table("runs")
        op.rename_table("runs_next", "runs")
        """)
    assert _lint(kept, *_LOCKS) == []


def test_a_swap_renaming_another_spelling_than_the_table_created_stays_reported(tmp_path: Path) -> None:
    # "Runs_Old" (quoted by Alembic) is created; the live runs_old is what becomes runs
    root = _swapped(tmp_path, """
        op.drop_table("runs")
        op.create_table("Runs_Old", sa.Column("id", sa.Integer()), sa.Column("url", sa.Text()))
        op.rename_table("runs_old", "runs")
        """)
    assert _lint(root, *_LOCKS) == _at(13)


# --- MySQL: a NOT NULL "ENUM" that is no native ENUM ------------------------------------------------------------------

def _enum_column(tmp_path: Path, column: str) -> Path:
    # 0002 line 9: the op.add_column
    made = _revision("0001", None, 'op.create_table("jobs", sa.Column("id", sa.Integer(), primary_key=True))')
    return write_files(tmp_path, {"versions/0001_a.py": made,
                                  "versions/0002_b.py": _revision("0002", "0001", f'op.add_column("jobs", {column})')})


def test_a_not_null_enum_stored_as_varchar_or_not_the_columns_type_stays_reported_on_mysql(tmp_path: Path) -> None:
    rule = "add-not-null-column-without-default"
    varchar = _enum_column(tmp_path / "varchar", 'sa.Column("engine", sa.Enum("batch", "stream", native_enum=False), '
                                                 'nullable=False, default="batch")')
    options = _enum_column(tmp_path / "options", 'sa.Column("engine", sa.Enum("batch", "stream", **OPTIONS), '
                                                 'nullable=False, default="batch")')
    string = _enum_column(tmp_path / "string", 'sa.Column("engine", sa.String(9), sa.Enum("batch"), nullable=False, '
                                               'default="batch")')
    for root in (varchar, options, string):
        assert _lint(root, rule, dialect="mysql") == [(rule, "0002_b.py", 9)]
    native = _enum_column(tmp_path / "native", 'sa.Column("engine", sa.Enum("batch", "stream", native_enum=True), '
                                               'nullable=False, default="batch")')
    assert _lint(native, rule, dialect="mysql") == []


# --- MySQL: the models' column under a name a later revision does not give it ------------------------------------------

_MODELS = """from datetime import datetime

from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Sample(Base):
    __tablename__ = "sample"
    id: Mapped[int] = mapped_column(primary_key=True)
    last_seen_at: Mapped[datetime]


class History(Base):
    __tablename__ = "sample_hist"
    id: Mapped[int] = mapped_column(primary_key=True)
    updated_at: Mapped[datetime | None]
"""


def _renamed_later(tmp_path: Path, between: str) -> Path:
    # 0002 line 9: the rename of seen_at without existing_nullable; sample.last_seen_at is NOT NULL in the models
    rename = _revision("0002", None, """
        op.alter_column("sample", "seen_at", new_column_name="updated_at", existing_type=sa.DateTime())
        """)
    later = _revision("0003", "0002", between + textwrap.dedent("""
        op.alter_column("sample", "updated_at", new_column_name="last_seen_at", existing_type=sa.DateTime(),
                        existing_nullable=False)
        """))
    return write_files(tmp_path, {
        "pyproject.toml": '[project]\nname = "app"\n',
        "app/__init__.py": "",
        "app/models.py": _MODELS,
        "migrations/env.py": "from app.models import Base\n\ntarget_metadata = Base.metadata\n",
        "migrations/versions/0002_b.py": rename,
        "migrations/versions/0003_c.py": later,
    })


def test_a_later_rename_of_another_schemas_table_or_in_sql_is_not_followed(tmp_path: Path) -> None:
    rule = "alter-column-without-existing-type"
    schema = _renamed_later(tmp_path / "schema", 'op.rename_table("sample", "sample_hist", schema="archive")\n')
    sql = _renamed_later(tmp_path / "sql", 'op.execute("RENAME TABLE sample TO sample_hist")\n'
                                           'op.execute("RENAME TABLE sample_next TO sample")\n')
    for root in (schema, sql):
        assert (rule, "0002_b.py", 9) in _lint(root / "migrations", rule, dialect="mysql")


# --- downgrade-not-inverse: DROP TABLE IF EXISTS of a table maybe still there -----------------------------------------

def _cleanup(tmp_path: Path, drop: str, extra: dict[str, str] | None = None) -> Path:
    # 0004 line 9: DROP TABLE IF EXISTS legacy_notes, its downgrade restoring only flags
    made = _revision("0001", None, 'op.create_table("legacy_notes", sa.Column("id", sa.Integer(), primary_key=True))')
    cleanup = _revision("0004", "0003", """
        op.execute("DROP TABLE IF EXISTS legacy_notes")
        op.create_table("flags", sa.Column("id", sa.Integer()))
        """, 'op.drop_table("flags")')
    return write_files(tmp_path, {"versions/0001_a.py": made, "versions/0002_b.py": _revision("0002", "0001", drop),
                                  "versions/0003_c.py": _revision("0003", "0002", "pass"),
                                  "versions/0004_d.py": cleanup, **(extra or {})})


def test_drop_if_exists_of_a_table_an_ancestor_may_not_have_dropped_stays_reported(tmp_path: Path) -> None:
    rule = "downgrade-not-inverse"
    roots = [
        _cleanup(tmp_path / "loop", 'for table in []:\n    op.drop_table("legacy_notes")'),
        _cleanup(tmp_path / "try", 'try:\n    op.drop_table("legacy_notes")\nexcept Exception:\n    pass'),
        _cleanup(tmp_path / "quoted", 'op.drop_table("Legacy_Notes")'),
        # 0005, a sibling of 0003, makes it again: `alembic upgrade heads` may run it before 0004
        _cleanup(tmp_path / "sibling", 'op.drop_table("legacy_notes")', {"versions/0005_e.py": _revision(
            "0005", "0002", 'op.create_table("legacy_notes", sa.Column("id", sa.Integer()))')}),
    ]
    for root in roots:
        assert _lint(root, rule) == [(rule, "0004_d.py", 9)]
    assert _lint(_cleanup(tmp_path / "dropped", 'op.drop_table("legacy_notes")'), rule) == []
