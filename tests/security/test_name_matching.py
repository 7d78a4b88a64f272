"""Threat: names a pull request writes that make migcheck's name matching exponential or polynomial.

To decide whether a DROP INDEX IF EXISTS could find anything, migcheck asks whether some step, default naming or
env.py's naming convention could have given that name. Two of those questions were super-linear in what the
linted tree writes: a constraint name split into columns by a recursion over every ``_`` (exponential when
columns are prefixes of each other: ``a``, ``a_a``, ``a_a_a``...), and a naming convention with many
``%(...)s`` turned into ``[\\w$]+_[\\w$]+_...`` (polynomial). Each lint below ran for more than a minute
(killed at 60 s) and takes about a second now (vocabulary/fit.py, lookback/names._columns_chain).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

CLI_TIMEOUT = 20
ENV = "from alembic import context\n\nfrom app.models import Base\n\ntarget_metadata = Base.metadata\n"


def _lint(project: Path, target: str) -> list[tuple[str, str, int]]:
    run = subprocess.run(
        [sys.executable, "-m", "migcheck", "lint", target, "--dialect", "postgresql", "--format", "json"],
        cwd=project, capture_output=True, text=True, timeout=CLI_TIMEOUT,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src"), "MIGCHECK_CACHE_DIR": str(project / ".cache")},
    )
    assert "Traceback" not in run.stderr and run.returncode in (0, 1), run.stderr
    return [(f["rule"], f["path"], f["line"]) for f in json.loads(run.stdout)["findings"]]


def _revision(revision: str, down: str | None, upgrade: str, downgrade: str) -> str:
    return (f'from alembic import op\nimport sqlalchemy as sa\n\nrevision = "{revision}"\n'
            f'down_revision = {down!r}\n\n\ndef upgrade():\n    {upgrade}\n\n\ndef downgrade():\n    {downgrade}\n')


def test_index_name_split_into_columns_that_prefix_each_other(tmp_path: Path) -> None:
    versions = tmp_path / "versions"
    versions.mkdir()
    columns = ", ".join(f'sa.Column("{"_".join(["a"] * k)}", sa.Integer())' for k in range(1, 31))
    (versions / "0001_base.py").write_text(_revision(
        "0001", None, f'op.create_table("t", sa.Column("id", sa.Integer(), primary_key=True), {columns})',
        'op.drop_table("t")'))
    name = "t_" + "_".join(["a"] * 30) + "_b_check"
    (versions / "0002_drop.py").write_text(_revision(
        "0002", "0001", f'op.drop_index("{name}", if_exists=True)', 'op.execute("SELECT 1")'))
    assert ("drop-index-not-concurrently", "versions/0002_drop.py", 9) in _lint(tmp_path, "versions")


def test_naming_convention_with_many_placeholders(tmp_path: Path) -> None:
    (tmp_path / "alembic.ini").write_text("[alembic]\nscript_location = migrations\nprepend_sys_path = .\n")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    template = "_".join(["%(table_name)s"] * 8) + "_x"
    (tmp_path / "app" / "models.py").write_text(
        "from sqlalchemy import MetaData\nfrom sqlalchemy.orm import DeclarativeBase\n\n\n"
        f'class Base(DeclarativeBase):\n    metadata = MetaData(naming_convention={{"ix": "{template}"}})\n')
    versions = tmp_path / "migrations" / "versions"
    versions.mkdir(parents=True)
    (tmp_path / "migrations" / "env.py").write_text(ENV)
    (versions / "0001_base.py").write_text(_revision(
        "0001", None, 'op.create_table("t", sa.Column("id", sa.Integer(), primary_key=True))', 'op.drop_table("t")'))
    (versions / "0002_drop.py").write_text(_revision(
        "0002", "0001", f'op.drop_index("{"a_" * 60}b", if_exists=True)', 'op.execute("SELECT 1")'))
    assert ("drop-index-not-concurrently", "migrations/versions/0002_drop.py", 9) in _lint(tmp_path, ".")
