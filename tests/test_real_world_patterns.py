"""Patterns met in real Alembic histories (docs/real-world.md), each reproduced in a small fixture.

Every test here pins a false positive or a false negative found by reading migcheck's findings
on public projects by hand: the fixture is written from scratch to show the same pattern.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from conftest import FIXTURES, findings_of, run_cli

REAL = FIXTURES / "real-world"


def lint(path: Path, *args: str) -> list[dict[str, Any]]:
    run = run_cli("lint", path, "--format", "json", "--no-config", "--fail-on", "never", *args)
    assert run.exit_code == 0, run.stderr
    findings: list[dict[str, Any]] = run.json()["findings"]
    return findings


def of(findings: list[dict[str, Any]], rule: str) -> list[dict[str, Any]]:
    return [f for f in findings if f["rule"] == rule]


def where(findings: list[dict[str, Any]]) -> list[tuple[str, int]]:
    return sorted((Path(f["path"]).name, f["line"]) for f in findings)


# -- discovery ------------------------------------------------------------------------------------


def test_env_py_found_from_a_project_root_without_alembic_ini(tmp_path: Path) -> None:
    """Projects that build their Alembic config in code: env.py's lock_timeout still counts."""
    assert of(lint(REAL / "env-without-ini"), "missing-lock-timeout") == []
    # The same project whose env.py sets nothing: the ADD COLUMN is reported.
    copy = tmp_path / "project"
    shutil.copytree(REAL / "env-without-ini", copy)
    env = copy / "shop" / "migrations" / "env.py"
    env.write_text(env.read_text().replace("SET lock_timeout = '3s'", "SELECT 1"))
    assert where(of(lint(copy), "missing-lock-timeout")) == [("0002_order_note.py", 10)]
