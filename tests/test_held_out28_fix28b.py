"""held-out-28's false positives fixed on fix28b: what a user sees (rule, line, message) on small revisions and
projects written for this test, next to the twin that must still be reported.

The Python 3.14 syntax (PEP 758's ``except A, B:``) stays inside strings: these tests import on Python 3.10."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from migcheck.extract.models.excepts import parenthesized_excepts
from migcheck.extract.models.typeparams import parse_module

PY314_MODULE = '''\
def url():
    try:
        return load()
    except TypeError, AttributeError:
        return None


target = 1
'''


def lint(path: Path, *args: str) -> list[dict[str, object]]:
    run = subprocess.run([sys.executable, "-m", "migcheck", "lint", str(path), "--format", "json", "--no-config",
                          "--dialect", "postgresql", "--fail-on", "never", *args],
                         capture_output=True, text=True, check=True)
    findings: list[dict[str, object]] = json.loads(run.stdout)["findings"]
    return findings


def test_pep758_except_is_read_with_its_lines_kept() -> None:
    tree = parse_module(PY314_MODULE)
    handler = next(n for n in ast.walk(tree) if isinstance(n, ast.ExceptHandler))
    assert isinstance(handler.type, ast.Tuple)
    assert [ast.unparse(e) for e in handler.type.elts] == ["TypeError", "AttributeError"]
    target = next(n for n in tree.body if isinstance(n, ast.Assign))
    assert target.lineno == 8


def test_pep758_rewrite_leaves_grouped_and_named_handlers() -> None:
    assert parenthesized_excepts("try:\n    x()\nexcept (A, B):\n    pass\n") is None
    assert parenthesized_excepts("try:\n    x()\nexcept A as e:\n    pass\n") is None
    # 3.14 refuses `except A, B as e:` too: left alone, so it stays a syntax error
    with pytest.raises(SyntaxError):
        parse_module("try:\n    x()\nexcept A, B as e:\n    pass\n")


def test_py314_env_keeps_naming_convention(tmp_path: Path) -> None:
    """held-out-28 #58-#60: an env.py with ``except A, B:`` lost its target_metadata, and with it the naming
    convention that makes a long check constraint name a conv name SQLAlchemy cuts (no IdentifierError)."""
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "models.py").write_text(
        "from sqlalchemy import MetaData\nfrom sqlalchemy.orm import DeclarativeBase\n\n\n"
        "class Base(DeclarativeBase):\n"
        "    metadata = MetaData(naming_convention={'ck': 'ck_%(table_name)s_%(constraint_name)s'})\n")
    (tmp_path / "alembic.ini").write_text("[alembic]\nscript_location = migrations\nprepend_sys_path = .\n")
    versions = tmp_path / "migrations" / "versions"
    versions.mkdir(parents=True)
    env = PY314_MODULE.replace("target = 1", "from app.models import Base\n\ntarget_metadata = Base.metadata")
    (tmp_path / "migrations" / "env.py").write_text("from alembic import context\n\n" + env)
    long_name = "ck_data_source_non_custom_requires_name_grant_collection_and_schema"
    (versions / "0001_ck.py").write_text(
        'from alembic import op\n\nrevision = "0001"\ndown_revision = None\n\n\n'
        "def upgrade():\n"
        f'    op.create_check_constraint("{long_name}", "data_source", "kind IS NOT NULL")\n\n\n'
        "def downgrade():\n"
        f'    op.drop_constraint("{long_name}", "data_source", type_="check")\n')
    assert [f for f in lint(tmp_path, "--select", "identifier-too-long")] == []
    # the twin: the convention has no "ck" template, so the plain long name fails the deploy, and is reported
    models = tmp_path / "app" / "models.py"
    models.write_text(models.read_text().replace("'ck':", "'uq':"))
    found = lint(tmp_path, "--select", "identifier-too-long")
    assert [(f["rule"], Path(str(f["path"])).name, f["line"]) for f in found] == [
        ("identifier-too-long", "0001_ck.py", 8)]
    assert "IdentifierError" in str(found[0]["message"])


def test_sync_enum_values_downgrade_reason_is_true(tmp_path: Path) -> None:
    """held-out-28 #92-#94: a literal downgrade call is read; one built at run time no longer says 'not modelled'."""
    revision = tmp_path / "a1_enum.py"
    revision.write_text(
        'from alembic import op\n\nrevision = "a1"\ndown_revision = None\n\n\n'
        "def upgrade():\n"
        '    op.sync_enum_values("public", "kind", ["A", "B"], [("t", "kind")])\n\n\n'
        "def downgrade():\n"
        '    op.sync_enum_values("public", "kind", ["A"], [("t", "kind")])\n'
        '    op.sync_enum_values("public", "kind", sorted(VALUES), [("t", "kind")])\n')
    found = lint(revision, "--select", "raw-sql-not-understood")
    assert [f["line"] for f in found] == [13]
    assert "built at run time" in str(found[0]["message"]) and "not modelled" not in str(found[0]["message"])
