"""Threat: a pull request's ``pyproject.toml`` that Python's TOML parser answers with a traceback.

``tomllib`` raises ``TOMLDecodeError`` for bad syntax, which every reader caught, but arrays or
inline tables nested a few thousand deep are a ``RecursionError`` in its recursive descent, and
an integer of more than 4,300 digits a plain ``ValueError`` from ``int()``. Before the fix either
ended ``migcheck lint`` in a traceback wherever the tree's ``pyproject.toml`` is parsed: the
``[tool.alembic]`` lookup of a bare ``migcheck lint``, the config lookup (any file that mentions
migcheck), and the models reader (package roots, the pydantic pin). Each is now "not valid TOML".
"""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

import pytest

from conftest import run_cli
from migcheck.guard import toml

PAYLOADS = {
    "deep-array": "x = " + "[" * 5000 + "]" * 5000 + "\n",
    "deep-inline-table": "x = " + "{a = " * 3000 + "1" + "}" * 3000 + "\n",
    "long-integer": "x = " + "9" * 5000 + "\n",
}
#: The same shapes within what the parser handles: still read, so the fix did not just stop reading.
TWINS = {
    "deep-array": "x = " + "[" * 50 + "]" * 50 + "\n",
    "deep-inline-table": "x = " + "{a = " * 50 + "1" + "}" * 50 + "\n",
    "long-integer": "x = " + "9" * 4000 + "\n",
}

REVISION = textwrap.dedent('''\
    revision = "a1"
    down_revision = None
    from alembic import op
    import sqlalchemy as sa


    def upgrade():
        op.create_table("orders", sa.Column("id", sa.Integer(), primary_key=True),
                        sa.Column("note", sa.String(), nullable=False))
        op.drop_table("accounts")


    def downgrade():
        op.drop_table("orders")
    ''')


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "alembic.ini").write_text("[alembic]\nscript_location = migrations\n")
    versions = tmp_path / "migrations" / "versions"
    versions.mkdir(parents=True)
    (versions / "a1_orders.py").write_text(REVISION)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("payload", sorted(PAYLOADS))
def test_loads_reports_what_the_parser_cannot_read(payload: str) -> None:
    with pytest.raises(toml.TomlError):
        toml.loads(PAYLOADS[payload])
    assert toml.loads(TWINS[payload])["x"] is not None


@pytest.mark.parametrize("payload", sorted(PAYLOADS))
def test_bare_lint_discovers_past_a_hostile_pyproject(project: Path, payload: str) -> None:
    """``migcheck lint`` with no path and no alembic.ini reads pyproject.toml for ``[tool.alembic]``."""
    (project / "alembic.ini").unlink()
    (project / "pyproject.toml").write_text(PAYLOADS[payload])
    run = run_cli("lint", "--no-cache", "--format", "json")
    assert run.exit_code == 1, run.stderr
    assert "drop-table" in run.rules()


@pytest.mark.parametrize("payload", sorted(PAYLOADS))
def test_a_hostile_config_file_is_one_error_line(project: Path, payload: str) -> None:
    (project / "pyproject.toml").write_text(PAYLOADS[payload] + "[tool.migcheck]\nfail-on = \"never\"\n")
    run = run_cli("lint", "migrations/versions", "--no-cache")
    assert run.exit_code == 2
    assert run.stderr.count("\n") == 1 and "pyproject.toml is not valid TOML" in run.stderr, run.stderr
    # --no-config does not read it at all
    assert run_cli("lint", "migrations/versions", "--no-cache", "--no-config").exit_code == 1


@pytest.mark.parametrize("payload", sorted(PAYLOADS))
def test_a_valid_twin_config_still_applies(project: Path, payload: str) -> None:
    (project / "pyproject.toml").write_text(TWINS[payload] + "[tool.migcheck]\nfail-on = \"never\"\n")
    run = run_cli("lint", "migrations/versions", "--no-cache")
    assert run.exit_code == 0, run.stderr
    assert "drop-table" in run.stdout


def _models(project: Path) -> None:
    """SQLModel models: ``note: str = None`` is nullable under pydantic 1, so the pin decides a finding."""
    (project / "migrations" / "env.py").write_text("from app.models import SQLModel\ntarget_metadata = SQLModel.metadata\n")
    (project / "app").mkdir()
    (project / "app" / "__init__.py").write_text("")
    (project / "app" / "models.py").write_text(textwrap.dedent('''\
        from sqlmodel import Field, SQLModel


        class Order(SQLModel, table=True):
            __tablename__ = "orders"
            id: int = Field(primary_key=True)
            note: str = None
        '''))


@pytest.mark.parametrize("payload", sorted(PAYLOADS))
def test_the_models_reader_reads_past_a_hostile_pyproject(project: Path, payload: str) -> None:
    """The models reader parses pyproject.toml for package roots and the pydantic pin (SQLModel)."""
    _models(project)
    (project / "pyproject.toml").write_text(PAYLOADS[payload])
    run = run_cli("lint", "migrations/versions", "--no-cache", "--format", "json")
    assert run.exit_code == 1, run.stderr
    rules = run.rules()
    assert "drop-table" in rules
    assert "models-not-readable" not in rules  # read, not "nested too deeply"
    assert "model-not-in-migrations" not in rules  # "orders" was found in the models


#: Valid TOML whose values are not the tables and arrays the readers expect: each was an AttributeError or
#: TypeError before the fix (``tool.hatch.build.targets``, ``project.dependencies``, ``tool`` itself).
WRONG_TYPES = {
    "hatch-build": "[tool.hatch]\nbuild = 1\n",
    "hatch-targets": "[tool.hatch.build]\ntargets = \"x\"\n",
    "dependencies": "[project]\ndependencies = 1\n",
    "tool": "tool = 1\n",
}


@pytest.mark.parametrize("payload", sorted(WRONG_TYPES))
def test_values_of_the_wrong_type_are_read_as_absent(project: Path, payload: str) -> None:
    _models(project)
    (project / "pyproject.toml").write_text(WRONG_TYPES[payload])
    run = run_cli("lint", "migrations/versions", "--no-cache", "--format", "json")
    assert run.exit_code == 1, run.stderr
    assert "drop-table" in run.rules() and "model-differs-from-migrations" not in run.rules()  # no pin: unknown
    (project / "alembic.ini").unlink()  # a bare ``migcheck lint`` looks for [tool.alembic] in pyproject.toml
    bare = run_cli("lint", "--no-cache", "--format", "json")
    assert bare.exit_code == 1, bare.stderr
    assert "drop-table" in bare.rules()


def test_the_pin_of_a_valid_twin_is_still_read(project: Path) -> None:
    """The bad twin: the same table written as it should be, so the pin reaches the rule."""
    _models(project)
    (project / "pyproject.toml").write_text("[project]\ndependencies = [\"pydantic<2\"]\n[tool.hatch]\nbuild = {}\n")
    run = run_cli("lint", "migrations/versions", "--no-cache", "--format", "json")
    assert "model-differs-from-migrations" in run.rules(), run.stdout
