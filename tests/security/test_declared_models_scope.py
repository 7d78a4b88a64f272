"""The models searched for a MySQL restate (env.py without target_metadata) are never read from above the folder
named to lint (review: the jump to env.py's parent folder, or an ancestor's pyproject.toml, read a file outside)."""

from __future__ import annotations

from pathlib import Path

from conftest import run_cli

MODELS = '''from sqlalchemy import Column, Integer, String
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class User(Base):
    __tablename__ = "users"
    id = Column(Integer, primary_key=True)
    name = Column(String(50), nullable=False, server_default="x")
'''
REVISION = '''import sqlalchemy as sa
from alembic import op

revision = "r1"
down_revision = None


def upgrade():
    op.alter_column("users", "name", type_=sa.String(100))


def downgrade():
    op.alter_column("users", "name", type_=sa.String(50))
'''


def _project(root: Path) -> Path:
    project = root / "proj"
    (project / "versions").mkdir(parents=True)
    (project / "alembic.ini").write_text("[alembic]\nscript_location = .\n")
    (project / "env.py").write_text("from alembic import context\n")
    (project / "versions" / "r1.py").write_text(REVISION)
    return project


def _messages(project: Path) -> list[str]:
    run = run_cli("lint", project, "--no-config", "--dialect", "mysql", "--format", "json", "--fail-on", "never",
                  "--select", "alter-column-without-existing-type")
    assert run.exit_code == 0, run.stderr
    return [f["message"] for f in run.json()["findings"]]


def test_models_beside_the_linted_folder_are_not_read(tmp_path: Path) -> None:
    project = _project(tmp_path)
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret_models.py").write_text(MODELS)
    messages = _messages(project)
    assert messages and not any("User.name" in m for m in messages)


def test_models_under_an_ancestors_pyproject_are_not_read(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'outer'\n")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "secret_models.py").write_text(MODELS)
    messages = _messages(_project(tmp_path / "ci"))
    assert messages and not any("User.name" in m for m in messages)


def test_models_inside_the_linted_folder_are_read(tmp_path: Path) -> None:
    project = _project(tmp_path)
    (project / "app").mkdir()
    (project / "app" / "__init__.py").write_text("")
    (project / "app" / "models.py").write_text(MODELS)
    messages = _messages(project)
    assert any("User.name" in m for m in messages), messages
