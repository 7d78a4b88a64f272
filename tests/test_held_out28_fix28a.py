"""Held-out-28 (precision), helper fix28a: the application reader, each case next to its risky twin.

* #78-#82 model-differs-from-migrations: SQLModel's ``Field(sa_column=created_column())`` maps the column the
  helper returns (``TIMESTAMP(timezone=True)``), not the annotation's ``datetime``; the rule fixtures
  ``*_sqlmodel_sa_column_from_helper`` hold the pair. Here: an ``sa_column`` that cannot be followed says nothing of
  the column's type or nullability, and a plain declarative attribute made by such a helper is that column.
* #85 models-not-readable: ``from app.models import *`` imports the submodules the package's literal ``__all__``
  names (mavedb's ``models/__init__.py`` is only ``__all__ = [...]``); the fixtures
  ``*_star_import_of_package_all`` / ``*_computed_all`` hold the pair. Here: the models found that way are judged
  (a drop of a column still mapped is reported), and a submodule ``__all__`` does not name is not read.
"""

from __future__ import annotations

from pathlib import Path

from conftest import run_cli, where, write_files


def _lint(root: Path, *rules: str) -> list[tuple[str, str, int]]:
    run = run_cli("lint", root, "--no-config", "--no-cache", "--format", "json", "--dialect", "postgresql",
                  "--select", ",".join(rules), "--fail-on", "never")
    assert run.exit_code == 0, run.stderr
    return where(run.json()["findings"])


_INI = "[alembic]\nscript_location = migrations\n"

_REVISION = '''\
import sqlalchemy as sa
from alembic import op

revision = {rid!r}
down_revision = {down!r}


def upgrade():
{body}


def downgrade():
    pass
'''


def _revision(rid: str, down: str | None, *body: str) -> str:
    return _REVISION.format(rid=rid, down=down, body="\n".join(f"    {line}" for line in body))


# --- #85: ``from pkg import *`` loads the submodules __all__ names -------------------------------------------------

def _star_project(tmp_path: Path, *, drop: bool) -> Path:
    root = write_files(tmp_path, {
        "alembic.ini": _INI,
        "app/__init__.py": "",
        "app/db.py": """\
            from sqlalchemy.orm import as_declarative


            @as_declarative()
            class Base:
                pass
            """,
        "app/models/__init__.py": '__all__ = ["account"]\n',
        "app/models/account.py": """\
            from sqlalchemy import Column, Integer, String

            from app.db import Base


            class Account(Base):
                __tablename__ = "accounts"

                id = Column(Integer, primary_key=True)
                email = Column(String(255))
            """,
        "app/models/draft.py": """\
            from sqlalchemy import Column, Integer

            from app.db import Base


            class Draft(Base):
                __tablename__ = "drafts"

                id = Column(Integer, primary_key=True)
            """,
        "migrations/env.py": """\
            from alembic import context

            from app.db import Base
            from app.models import *  # noqa: F401,F403

            target_metadata = Base.metadata
            """,
        "migrations/versions/0001_init.py": _revision(
            "0001", None,
            'op.create_table("accounts", sa.Column("id", sa.Integer(), primary_key=True),',
            '                sa.Column("email", sa.String(255)))'),
    })
    if drop:
        write_files(root, {"migrations/versions/0002_drop.py": _revision(
            "0002", "0001", 'op.drop_column("accounts", "email")')})
    return root


def test_models_of_a_star_imported_package_are_judged(tmp_path: Path) -> None:
    """account.py, named by __all__, is read: the email column it still maps is dropped (main: no models found, a
    models-not-readable note and no drop judged against them)."""
    root = _star_project(tmp_path, drop=True)
    assert _lint(root, "still-mapped-at-head", "models-not-readable") == [
        ("still-mapped-at-head", "0002_drop.py", 9)]


def test_a_submodule_all_does_not_name_is_not_read(tmp_path: Path) -> None:
    """draft.py is not imported by the star import: its table is not mapped, so no revision needs to create it; the
    twin, a table account.py maps that no revision creates, is reported."""
    root = _star_project(tmp_path, drop=False)
    assert _lint(root, "model-not-in-migrations") == []
    models = root / "app/models/account.py"
    models.write_text(models.read_text() + "\n\nclass Audit(Base):\n    __tablename__ = 'audits'\n\n"
                      "    id = Column(Integer, primary_key=True)\n")
    assert _lint(root, "model-not-in-migrations") == [("model-not-in-migrations", "account.py", 13)]


# --- #78-#82: SQLModel's sa_column -----------------------------------------------------------------------------

def _sqlmodel_project(tmp_path: Path, field: str, column: str) -> Path:
    return write_files(tmp_path, {
        "alembic.ini": _INI,
        "app/__init__.py": "",
        "app/models.py": f"""\
            from datetime import datetime
            from typing import Optional

            from sqlalchemy import Column, DateTime
            from sqlmodel import Field, SQLModel

            import app.stamps as stamps


            class Event(SQLModel, table=True):
                id: Optional[int] = Field(default=None, primary_key=True)
                created: datetime = {field}
            """,
        "app/stamps.py": """\
            from sqlalchemy import Column, Integer

            def pick(kind):
                return Column(Integer, nullable=kind)
            """,
        "migrations/env.py": """\
            from alembic import context
            from sqlmodel import SQLModel

            import app.models

            target_metadata = SQLModel.metadata
            """,
        "migrations/versions/0001_init.py": _revision(
            "0001", None,
            'op.create_table("event", sa.Column("id", sa.Integer(), primary_key=True),',
            f'                {column})'),
    })


def test_an_sa_column_migcheck_cannot_follow_is_unknown(tmp_path: Path) -> None:
    """``sa_column=stamps.pick(True)``: a helper given arguments; the column it returns is not known, so neither
    the annotation's DateTime nor pydantic's NOT NULL is compared (main: both reported)."""
    root = _sqlmodel_project(tmp_path, "Field(sa_column=stamps.pick(True))",
                             'sa.Column("created", sa.Integer(), nullable=True)')
    assert _lint(root, "model-differs-from-migrations") == []


def test_an_sa_column_written_in_place_is_still_compared(tmp_path: Path) -> None:
    """The twin: ``sa_column=Column(DateTime, nullable=False)`` is read as written, and differs from the
    migration's nullable Integer twice."""
    root = _sqlmodel_project(tmp_path, "Field(sa_column=Column(DateTime, nullable=False))",
                             'sa.Column("created", sa.Integer(), nullable=True)')
    assert _lint(root, "model-differs-from-migrations") == [
        ("model-differs-from-migrations", "models.py", 12), ("model-differs-from-migrations", "models.py", 12)]
