"""Held-out-27 (precision), helper fix27a: findings a real history showed wrong, each next to its risky twin.

* #136 set-not-null: a type change that restates ``nullable=False``, whose downgrade restates it too, on a table
  the history never made: the revision itself says the column was NOT NULL, and SET NOT NULL does nothing then
  (cases in ``fixtures/rules/set-not-null/*downgrade*``).
* #22 add-primary-key-to-existing-table: kept, with a true message: where the history does not say whether the
  key's columns allow NULL (a table made outside it, a key dropped without its columns known), the NOT NULL scan
  is a possibility, not a fact.
* #47 downgrade-not-inverse: kept (the history starts from a schema made elsewhere, so the constraint may be
  there), with a true message: DROP CONSTRAINT IF EXISTS may drop nothing, and then the downgrade leaves it behind.
* #45 downgrade-not-inverse: fixed, fixtures ``*mysql_named_primary_key*``.
* #128 rename-column: kept, with a true message: where the column of the old name comes back in a statement that
  commits apart (MySQL), the running release fails only in the moment between, then reads NULL until it is filled.
* #43 downgrade-not-inverse: fixed, fixtures ``*guard_on_listed_columns*``.
* #59 drop-not-null: kept (the running release reads the column as never NULL), with a true message: the
  downgrade's ``models.Event.__table__.delete().where(... .is_(None))`` clears the NULL rows before SET NOT NULL.
* #13 add-not-null-column-without-default (MySQL): fixed, fixtures ``*mysql_backfilled_row_by_row*``.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from conftest import run_cli, write_files


def _messages(root: Path, rule: str, dialect: str = "postgresql") -> list[tuple[int, str]]:
    run = run_cli("lint", root, "--no-config", "--no-cache", "--format", "json", "--dialect", dialect,
                  "--select", rule, "--fail-on", "never")
    assert run.exit_code == 0, run.stderr
    return sorted((int(f["line"]), str(f["message"])) for f in run.json()["findings"])


def _revision(rid: str, down: str | None, upgrade: str, downgrade: str = "pass") -> str:
    up = textwrap.indent(textwrap.dedent(upgrade).strip(), "    ")
    dn = textwrap.indent(textwrap.dedent(downgrade).strip(), "    ")
    return (f"import sqlalchemy as sa\nfrom alembic import op\n\nrevision = {rid!r}\ndown_revision = {down!r}\n\n\n"
            f"def upgrade():\n{up}\n\n\ndef downgrade():\n{dn}\n")


# --- #22: the NOT NULL scan of a new primary key, said only as far as the history knows ----------------------------

_KEYS = _revision("0001", None, """
    op.drop_constraint("links_pkey", "links", type_="primary")
    op.create_primary_key("links_pkey", "links", ["owner_id", "target_id"])
    op.add_column("tags", sa.Column("code", sa.Integer(), nullable=True))
    op.create_primary_key("tags_pkey", "tags", ["code"])
    """)


def test_a_key_on_columns_of_unknown_nullability_does_not_claim_the_scan(tmp_path: Path) -> None:
    """On main the first message said "and sets its columns NOT NULL with a scan" although nothing says they allow
    NULL (PostgreSQL keeps NOT NULL when the old key is dropped); the column added nullable keeps the claim."""
    root = write_files(tmp_path / "v", {"0001_keys.py": _KEYS})
    (first, unknown), (second, nullable) = _messages(root, "add-primary-key-to-existing-table")
    assert (first, second) == (10, 12)
    assert unknown == ("primary key links_pkey on existing table links builds its unique index, and scans the "
                       "table to set NOT NULL on any of owner_id, target_id that still allows NULL (the history does "
                       "not say), while an ACCESS EXCLUSIVE lock blocks every read and write")
    assert "builds its unique index, and sets its columns NOT NULL with a scan, while" in nullable


# --- #47: a constraint dropped IF EXISTS and made again, on a history that starts from a schema made elsewhere ------

_REPAIRED_FK = _revision("0002", "0001", """
    op.execute("ALTER TABLE members DROP CONSTRAINT IF EXISTS members_role_id_fkey; "
               "ALTER TABLE members ADD CONSTRAINT members_role_id_fkey FOREIGN KEY (role_id) REFERENCES roles (id)")
    """, 'op.execute("UPDATE members SET role_id = NULL WHERE role_id = 0")')


def test_a_redefinition_through_drop_if_exists_says_the_drop_may_find_nothing(tmp_path: Path) -> None:
    """Reviewer half wrong: the history alters ``members`` it never made (the schema came from elsewhere), so the
    constraint may exist with another definition, and the finding stays; on main the message said the upgrade
    drops it, where DROP ... IF EXISTS may find nothing and then the downgrade leaves a new constraint behind."""
    base = _revision("0001", None, 'op.add_column("members", sa.Column("role_id", sa.Integer()))',
                     'op.drop_column("members", "role_id")')
    root = write_files(tmp_path / "v", {"0001_base.py": base, "0002_fk.py": _REPAIRED_FK})
    ((line, message),) = _messages(root, "downgrade-not-inverse")
    assert line == 9
    assert message.startswith("the upgrade redefines constraint members_role_id_fkey (drops it if it exists at line "
                              "9 and creates it again) (line 9)")
    assert message.endswith("so nothing fails); where it did not exist before the upgrade, the downgrade leaves it "
                            "behind")


# --- #128: on MySQL a column renamed away and added again under its old name: a moment, not a whole deploy -------

_RENAMED_AWAY = _revision("0001", None, """
    op.execute("ALTER TABLE readings CHANGE `payload` `old_payload` longblob")
    op.add_column("readings", sa.Column("payload", sa.JSON(), nullable=True))
    op.execute("UPDATE readings SET payload = CAST(old_payload AS CHAR(10000))")
    op.execute("ALTER TABLE notes CHANGE `body` `old_body` text")
    """)


def test_a_column_added_back_in_its_own_statement_is_a_window_on_mysql(tmp_path: Path) -> None:
    """On main both said "selects and writes payload and fails until the new code is out"; the column of the old
    name comes back two statements later, so it fails only in the moment between (each DDL commits on MySQL),
    then reads NULL until the UPDATE fills it. The column nobody adds back keeps the old message."""
    root = write_files(tmp_path / "v", {"0001_rename.py": _RENAMED_AWAY})
    (line, window), (other, plain) = _messages(root, "rename-column", dialect="mysql")
    assert (line, other) == (9, 12)
    assert window == ("column readings.payload is renamed to old_payload and a new payload column is added in its "
                      "place (line 10), but each DDL statement commits on its own: in the moment between them the "
                      "application version still running finds no payload and its queries fail, and until the "
                      "UPDATE at line 11 fills it, it reads NULL where it had values")
    assert plain.startswith("column notes.body is renamed to old_body: the application version still running during "
                            "the deploy selects and writes body and fails until the new code is out")


# --- #59: a downgrade that deletes the NULL rows through a model's __table__ before SET NOT NULL ------------------

_MODELS = '''
import sqlalchemy as sa
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class Event(Base):
    __tablename__ = "events"
    id = sa.Column(sa.Integer, primary_key=True)
    run_id = sa.Column(sa.Integer, nullable=True)


class Log(Base):
    __tablename__ = "logs"
    id = sa.Column(sa.Integer, primary_key=True)
    run_id = sa.Column(sa.Integer, nullable=True)
'''

_ENV = '''
from alembic import context

from tracker.models import Base

target_metadata = Base.metadata
'''

_BASE = _revision("0001", None, """
    op.create_table("events", sa.Column("id", sa.Integer(), primary_key=True),
                    sa.Column("run_id", sa.Integer(), nullable=False))
    op.create_table("logs", sa.Column("id", sa.Integer(), primary_key=True),
                    sa.Column("run_id", sa.Integer(), nullable=False))
    """, 'op.drop_table("logs")\nop.drop_table("events")')

_NULLABLE = _revision("0002", "0001", """
    op.alter_column("events", "run_id", existing_type=sa.Integer(), nullable=True)
    op.alter_column("logs", "run_id", existing_type=sa.Integer(), nullable=True)
    """, """
    op.execute(models.Event.__table__.delete().where(models.Event.__table__.c.run_id.is_(None)))
    op.execute(models.Event.__table__.delete().where(models.Log.__table__.c.run_id.is_(None)))
    op.alter_column("events", "run_id", existing_type=sa.Integer(), nullable=False)
    op.alter_column("logs", "run_id", existing_type=sa.Integer(), nullable=False)
    """).replace("from alembic import op\n", "from alembic import op\n\nfrom tracker import models\n")


def test_a_downgrade_that_deletes_the_null_rows_through_a_model_cannot_fail(tmp_path: Path) -> None:
    """Kept (the running release reads the column as never NULL), with a true message: on main it added "and once
    NULLs are written the downgrade's SET NOT NULL fails" for events too, whose NULL rows the downgrade deletes
    first through ``models.Event.__table__``. The DELETE of events rows tested on another model's column clears
    nothing of logs, which keeps the clause."""
    root = write_files(tmp_path / "p", {
        "alembic.ini": "[alembic]\nscript_location = migrations\nprepend_sys_path = src\n",
        "pyproject.toml": '[project]\nname = "tracker"\nversion = "1.0"\n',
        "src/tracker/__init__.py": "",
        "src/tracker/models.py": _MODELS,
        "migrations/env.py": _ENV,
        "migrations/versions/0001_base.py": _BASE,
        "migrations/versions/0002_nullable.py": _NULLABLE,
    })
    (first, events), (second, logs) = _messages(root, "drop-not-null")
    assert (first, second) == (11, 12)
    assert events == "events.run_id becomes nullable: the application version still running reads it as never NULL"
    assert logs == ("logs.run_id becomes nullable: the application version still running reads it as never NULL, "
                    "and once NULLs are written the downgrade's SET NOT NULL fails")
