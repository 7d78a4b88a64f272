"""Steps that never run on the linted database: deployment guards (extract/python/deployment.py) and
``skip_if_<dialect>`` decorators (dialecttests.skipped_on), read by the Python front end."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from migcheck.sources.load import load_python

HEADER = ('import os\nfrom alembic import op\nfrom flask import current_app\nfrom app import utils, config, settings\n'
          'revision = "r1"\ndown_revision = None\nenvironment = os.environ["NOTIFY_ENVIRONMENT"]\n')


def upgrade_steps(tmp_path: Path, body: str, *, module: str = "", decorator: str = "",
                  dialect: str = "postgresql") -> list[tuple[str, bool]]:
    """(index, conditional) of every index the upgrade creates on production's database."""
    path = tmp_path / "r1.py"
    path.write_text(HEADER + module + decorator + "def upgrade():\n" + textwrap.indent(textwrap.dedent(body), "    "),
                    encoding="utf-8")
    migration = load_python(path, dialect)
    assert migration is not None
    return [(getattr(c, "name", ""), c.conditional) for c in migration.upgrade_changes if not c.off_in_production]


def off_production_steps(tmp_path: Path, body: str) -> list[tuple[str, bool]]:
    """(index, conditional) of every index the upgrade creates only off production (Change.off_in_production)."""
    upgrade_steps(tmp_path, body)
    migration = load_python(tmp_path / "r1.py", "postgresql")
    assert migration is not None
    return [(getattr(c, "name", ""), c.conditional) for c in migration.upgrade_changes if c.off_in_production]


@pytest.mark.parametrize("body", [
    'if environment not in ["live", "production"]:\n    op.create_index("ix_a", "t", ["a"])',
    'if environment not in ("LIVE",):\n    op.create_index("ix_a", "t", ["a"])',
    'if environment != "prod":\n    op.create_index("ix_a", "t", ["a"])',
    'if "production" != environment:\n    op.create_index("ix_a", "t", ["a"])',
    'if environment in {"live"}:\n    pass\nelse:\n    op.create_index("ix_a", "t", ["a"])',
    'if not environment == "production":\n    op.create_index("ix_a", "t", ["a"])',
    'if environment != "live" and flag:\n    op.create_index("ix_a", "t", ["a"])',
    'if environment == "live" or flag:\n    pass\nelse:\n    op.create_index("ix_a", "t", ["a"])',
    'if environment in ["live", "production"]:\n    return\nop.create_index("ix_a", "t", ["a"])',
    'env = os.getenv("APP_ENV", "dev").lower()\nif env != "production":\n    op.create_index("ix_a", "t", ["a"])',
    'if os.environ.get("FLASK_ENV") != "production":\n    op.create_index("ix_a", "t", ["a"])',
    'if current_app.config["NOTIFY_ENVIRONMENT"] != "live":\n    op.create_index("ix_a", "t", ["a"])',
    'if settings.DEPLOYMENT != "production":\n    op.create_index("ix_a", "t", ["a"])',
    'if config.get("deployEnv") != "production":\n    op.create_index("ix_a", "t", ["a"])',
])
def test_a_step_production_never_runs_is_kept_off_production(tmp_path: Path, body: str) -> None:
    """It runs on staging: walked as conditional, marked off production for the lock rules (review17)."""
    assert upgrade_steps(tmp_path, body) == []
    assert off_production_steps(tmp_path, body) == [("ix_a", True)]


def test_a_dialect_test_that_decides_alone_keeps_its_branch_out(tmp_path: Path) -> None:
    """On PostgreSQL, `dialect == "sqlite" and ...` is false on every deployment: nothing of it runs."""
    body = ('if op.get_bind().dialect.name == "sqlite" and environment != "production":\n'
            '    op.create_index("ix_a", "t", ["a"])')
    assert off_production_steps(tmp_path, body) == []


def test_the_branch_production_takes_stays_conditional(tmp_path: Path) -> None:
    body = 'if environment in ["live", "production"]:\n    op.create_index("ix_a", "t", ["a"])\n' \
           'else:\n    op.create_index("ix_b", "t", ["b"])'
    assert upgrade_steps(tmp_path, body) == [("ix_a", True)]
    assert off_production_steps(tmp_path, body) == [("ix_b", True)]


def test_a_module_name_the_function_binds_again_is_not_the_deployment(tmp_path: Path) -> None:
    body = 'environment = flag\nif environment != "production":\n    op.create_index("ix_a", "t", ["a"])'
    assert upgrade_steps(tmp_path, body) == [("ix_a", True)]


@pytest.mark.parametrize("body", [
    'if environment not in ["live", "staging"]:\n    op.create_index("ix_a", "t", ["a"])',  # another deployment
    'if environment != "production" or flag:\n    op.create_index("ix_a", "t", ["a"])',  # flag may hold
    'if environment != PRODUCTION:\n    op.create_index("ix_a", "t", ["a"])',  # not a literal
    'if environment not in "production":\n    op.create_index("ix_a", "t", ["a"])',  # a substring test
    'if status != "live":\n    op.create_index("ix_a", "t", ["a"])',  # not the deployment
    'if row.environment != "live":\n    op.create_index("ix_a", "t", ["a"])',  # a row's value
    'if os.environ["DATABASE_NAME"] != "production":\n    op.create_index("ix_a", "t", ["a"])',
    'if settings.STATUS != "live":\n    op.create_index("ix_a", "t", ["a"])',
    'if environment < "production":\n    op.create_index("ix_a", "t", ["a"])',
])
def test_anything_else_decides_nothing(tmp_path: Path, body: str) -> None:
    assert upgrade_steps(tmp_path, body) == [("ix_a", True)]


@pytest.mark.parametrize("decorator, dialect", [
    ("@utils.skip_if_sqlite\n", "sqlite"),
    ("@skip_on_sqlite()\n", "sqlite"),
    ("@utils.skip_for_postgres\n", "postgresql"),
    ("@utils.skip_if_postgresql\n", "postgresql"),
    ("@skip_if_mysql\n", "mysql"),
    ("@skip_if_mariadb\n", "mysql"),
    ("@other\n@utils.SKIP_IF_SQLITE\n", "sqlite"),
])
def test_a_skip_decorator_for_the_target_dialect_runs_nothing(tmp_path: Path, decorator: str, dialect: str) -> None:
    assert upgrade_steps(tmp_path, 'op.create_index("ix_a", "t", ["a"])', decorator=decorator, dialect=dialect) == []


@pytest.mark.parametrize("decorator, dialect", [
    ("@utils.skip_if_sqlite\n", "postgresql"),
    ("@utils.skip_if_postgres\n", "sqlite"),
    ("@utils.skip_if_sqlite_version(3)\n", "sqlite"),
    ("@utils.skip_if_sqlite(True)\n", "sqlite"),  # an argument may say when
    ("@skip_unless_sqlite\n", "sqlite"),
    ("@utils.skip_if_oracle\n", "sqlite"),
])
def test_any_other_decorator_leaves_the_function_walked(tmp_path: Path, decorator: str, dialect: str) -> None:
    assert upgrade_steps(tmp_path, 'op.create_index("ix_a", "t", ["a"])', decorator=decorator,
                         dialect=dialect) == [("ix_a", False)]
