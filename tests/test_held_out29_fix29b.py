"""Held-out-29 (precision), helper fix29b: findings a real history showed wrong, each next to its risky twin.

* #48 downgrade-not-inverse: fixed, fixtures ``*scratch_column_of_table*`` (a column dropped from a table the same
  upgrade made).
* #45 downgrade-not-inverse: fixed, fixtures ``*mysql_generated_fk_name*`` (MySQL's ``t_ibfk_n`` restored by a foreign
  key of the downgrade under a name of its own).
* #44 downgrade-not-inverse: kept as a note with a true message: a create left by the downgrade whose failure on the
  next upgrade a ``try`` swallows (MySQL, SQLite) makes nothing fail.
* #46 downgrade-not-inverse: fixed, fixtures ``*enum_check_remade_by_sqlalchemy_13`` (a non-native Enum's CHECK made
  again by the downgrade's ``alter_column``, SQLAlchemy pinned before 1.4 in a Pipfile).
* #49 drop-column: kept, with a true message: the rows were grouped into another table first.
* #62 drop-table: kept, with a true message: an INSERT written in SQL took the rows through its bound values.
* #85 mixed-schema-and-data-change (SQLite): fixed, fixtures ``*sqlite_delete_opens_the_transaction*``, and a real
  ``alembic upgrade`` in ``tests/test_sqlite_ddl_commits.py``.
* #102 orm-model-import-in-migration: fixed: an enum a models package re-exports.
* #141 unbatched-backfill: fixed, fixtures ``*fixup_of_column_with_python_default``.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from conftest import run_cli, write_files


def _findings(root: Path, rule: str, dialect: str) -> list[tuple[int, str, str]]:
    run = run_cli("lint", root, "--no-config", "--no-cache", "--format", "json", "--dialect", dialect,
                  "--select", rule, "--fail-on", "never")
    assert run.exit_code == 0, run.stderr
    return sorted((int(f["line"]), str(f["severity"]), str(f["message"])) for f in run.json()["findings"])


def _revision(rid: str, down: str | None, upgrade: str, downgrade: str = "pass") -> str:
    up = textwrap.indent(textwrap.dedent(upgrade).strip(), "    ")
    dn = textwrap.indent(textwrap.dedent(downgrade).strip(), "    ")
    return (f"import sqlalchemy as sa\nfrom alembic import op\n\nrevision = {rid!r}\ndown_revision = {down!r}\n\n\n"
            f"def upgrade():\n{up}\n\n\ndef downgrade():\n{dn}\n")


# --- #44: an index left behind whose re-create a try swallows ------------------------------------------------------

_SWALLOWED = _revision("0001", None, """
    try:
        op.create_index("ix_visits_seen", "visits", ["seen"])
    except Exception:
        pass
    op.create_index("ix_visits_kind", "visits", ["kind"])
    try:
        op.create_index("ix_visits_day", "visits", ["day"])
        op.add_column("visits", sa.Column("note", sa.Text(), nullable=True))
    except Exception:
        pass
    """, "op.drop_column('visits', 'note')")


def test_a_create_whose_rerun_failure_a_try_swallows_is_a_note_saying_nothing_fails(tmp_path: Path) -> None:
    """On main all three said the next upgrade fails with 'already exists'; on MySQL the swallowed failure of the
    lone create in its try stops nothing. The create outside a try, and the one whose failure skips the add_column
    after it in the same try, still warn that the next upgrade fails (or loses a step)."""
    root = write_files(tmp_path / "v", {"0001_visits.py": _SWALLOWED})
    (seen, seen_sev, seen_msg), (kind, kind_sev, kind_msg), (day, day_sev, day_msg) = _findings(
        root, "downgrade-not-inverse", "mysql")
    assert (seen, kind, day) == (10, 13, 15)
    assert seen_sev == "info"
    assert seen_msg.endswith("after `alembic downgrade` it is still there; the next upgrade's step fails with "
                             "'already exists' inside a try whose handler swallows the error, so the upgrade goes "
                             "on, but the downgraded schema is not the one before the upgrade")
    for severity, message in ((kind_sev, kind_msg), (day_sev, day_msg)):
        assert severity == "warning"
        assert message.endswith("the next `alembic upgrade` fails with 'already exists'")


def test_on_postgresql_the_swallowed_failure_still_aborts_the_transaction(tmp_path: Path) -> None:
    """PostgreSQL aborts the transaction at the failed CREATE INDEX, so the upgrade fails all the same."""
    root = write_files(tmp_path / "v", {"0001_visits.py": _SWALLOWED})
    found = _findings(root, "downgrade-not-inverse", "postgresql")
    assert [(line, severity) for line, severity, _ in found] == [(10, "warning"), (13, "warning"), (15, "warning")]


# --- #49: a column whose rows were grouped into another table first -------------------------------------------------

_GROUPED = """\
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None

members = sa.table("members", sa.column("id", sa.Integer), sa.column("team_name", sa.String),
                   sa.column("course_id", sa.Integer))
teams = sa.table("teams", sa.column("id", sa.Integer), sa.column("name", sa.String))


def upgrade():
    conn = op.get_bind()
    rows = conn.execute(members.select().where(members.c.team_name != None))
    by_course = {}
    for row in rows:
        names = by_course.setdefault(row.course_id, {})
        ids = names.setdefault(row.team_name, [])
        ids.append(row.id)
    for course_id, names in by_course.items():
        for team_name, ids in names.items():
            conn.execute(teams.insert().values(name=team_name))
    op.drop_column("members", "team_name")


def downgrade():
    pass
"""


_GROUPED_MAYBE = _GROUPED.replace("    for course_id, names in by_course.items():\n        for",
                                  "    for course_id, names in by_course.items():\n      if course_id > 1:\n        for")


def test_a_column_whose_rows_were_grouped_into_another_table_is_not_said_lost(tmp_path: Path) -> None:
    """On main the rows kept in ``by_course.setdefault(...)`` (through the name it returns) were not followed, so the
    insert into ``teams`` carried no rows and the drop said "its data is lost". Where the write may not run (under an
    ``if``), the claim is hedged: the select names the column, so its values may live on there (fix28c's message)."""
    root = write_files(tmp_path / "v", {"0001_teams.py": _GROUPED})
    ((line, _, grouped),) = _findings(root, "drop-column", "mysql")
    assert line == 23
    assert grouped.startswith("column members.team_name is dropped: rows read from members were first written into "
                              "teams (line 22); what that write does not carry over of its values is lost, and ")
    maybe = write_files(tmp_path / "m", {"0001_teams.py": _GROUPED_MAYBE})
    ((line, _, kept),) = _findings(maybe, "drop-column", "mysql")
    assert line == 24
    assert kept.startswith("column members.team_name is dropped: its values may live on in teams, written from rows read "
                           "from members (line 23); those that write does not carry over are lost, and ")


# --- #62: rows copied by an INSERT written in SQL, its values bound from the rows read ------------------------------

_CONVERTED = _revision("0001", None, """
    conn = op.get_bind()
    for share in conn.execute(sa.text("SELECT * FROM old_shares")).mappings():
        params = {"name": f"OLD_{share['name']}", "path": share["path"]}
        conn.execute(sa.text("INSERT INTO shares (name, path) VALUES (:name, :path)"), params)
    conn.execute(sa.text("INSERT INTO notes (body) VALUES (:body)"), {"body": "converted"})
    op.drop_table("old_shares")
    op.drop_table("old_services")
    """)


def test_a_table_whose_rows_an_sql_insert_took_with_bound_values_is_not_said_lost(tmp_path: Path) -> None:
    """On main the INSERT's bound values were not followed to the rows the loop read, so the drop of old_shares said
    "its rows are lost"; old_services, which no write read, still says so."""
    root = write_files(tmp_path / "v", {"0001_shares.py": _CONVERTED})
    (line, _, converted), (other_line, _, other) = _findings(root, "drop-table", "sqlite")
    assert (line, other_line) == (14, 15)
    assert converted.startswith("table old_shares is dropped: its data was first written into shares (line 12); what "
                                "that statement does not carry over is lost, and ")
    assert other.startswith("table old_services is dropped: its rows are lost, and ")


# --- #102: an enum a models package re-exports --------------------------------------------------------------------

def _enum_import(tmp_path: Path, names: str) -> list[tuple[int, str, str]]:
    root = write_files(tmp_path / "p", {
        "pyproject.toml": "[project]\nname = 'tally'\n",
        "tally/__init__.py": "",
        "tally/model/__init__.py": "from tally.model.entry import Entry\nfrom tally.model.enums import (\n"
                                   "    Delivery,\n)\n\n__all__ = ['Delivery', 'Entry']\n",
        "tally/model/enums.py": "import enum\n\n\n@enum.unique\nclass Delivery(enum.Enum):\n    SSL = 'SSL'\n"
                                "    START_TLS = 'StartTLS'\n\n    @classmethod\n    def default(cls) -> 'Delivery':\n"
                                "        return cls.START_TLS\n",
        "tally/model/entry.py": "import sqlalchemy as sa\nfrom sqlalchemy.orm import declarative_base\n\n"
                                "Base = declarative_base()\n\n\nclass Entry(Base):\n    __tablename__ = 'entry'\n"
                                "    id = sa.Column(sa.Integer, primary_key=True)\n",
        "migrations/env.py": "from alembic import context\n\ntarget_metadata = None\n",
        "migrations/versions/0001_delivery.py": _revision("0001", None, """
            op.add_column("users", sa.Column("delivery", sa.String(), nullable=False,
                                             server_default=Delivery.START_TLS.value))
            """).replace("from alembic import op\n", f"from alembic import op\n\nfrom tally.model import {names}\n"),
    })
    return _findings(root, "orm-model-import-in-migration", "postgresql")


def test_an_enum_a_models_package_re_exports_is_no_model_import(tmp_path: Path) -> None:
    """On main the enum was judged only where the package binds it (an import there, and ``@enum.unique`` on the
    class where it is made), so the revision was said to import the models; a model class beside it still is."""
    assert _enum_import(tmp_path / "a", "Delivery") == []
    ((line, severity, message),) = _enum_import(tmp_path / "b", "Delivery, Entry")
    assert (line, severity) == (4, "warning")
    assert message.startswith("the revision imports the application's models (module tally.model)")


def test_a_write_fed_by_a_select_of_other_columns_carries_none_of_the_dropped_ones(tmp_path: Path) -> None:
    """A select that names only other columns of the table (``members.c.id``) carries none of ``team_name``'s
    values: the drop says the data is lost, not that some was written elsewhere (the read-through of round 28)."""
    text = _GROUPED.replace("""    rows = conn.execute(members.select().where(members.c.team_name != None))
    by_course = {}
    for row in rows:
        names = by_course.setdefault(row.course_id, {})
        ids = names.setdefault(row.team_name, [])
        ids.append(row.id)
    for course_id, names in by_course.items():
        for team_name, ids in names.items():
            conn.execute(teams.insert().values(name=team_name))
""", """    for row in conn.execute(sa.select(members.c.id, members.c.course_id)):
        conn.execute(teams.insert().values(id=row.id, name=row.course_id))
""")
    assert "members.c.course_id" in text
    root = write_files(tmp_path / "v", {"0001_teams.py": text})
    ((_, _, message),) = _findings(root, "drop-column", "mysql")
    assert message.startswith("column members.team_name is dropped: its data is lost, and "), message
