"""Shared test helpers: run the real CLI, find fixtures, write small revision files."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from migcheck.cli import app

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
SHARED = ROOT.parent / "shared"


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)

    def rules(self) -> list[str]:
        """Rule ids of the unsuppressed findings, from JSON output."""
        return [f["rule"] for f in self.json()["findings"] if not f["suppressed"]]


def run_cli(*args: str | Path, env: dict[str, str] | None = None) -> Run:
    """Run ``migcheck ARGS`` in-process, as a user would type it."""
    result = CliRunner().invoke(app, [str(a) for a in args], env=env, catch_exceptions=False)
    return Run(result.exit_code, result.stdout, result.stderr)


@pytest.fixture(autouse=True)
def _run_from_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    """Paths in reports are relative to the working directory: make it the same for every test."""
    monkeypatch.chdir(ROOT)


@pytest.fixture(autouse=True)
def _private_cache(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Each test gets its own empty cache: none reads another's entries or writes to the user's home."""
    directory = tmp_path_factory.mktemp("migcheck-cache")
    monkeypatch.setenv("MIGCHECK_CACHE_DIR", str(directory))
    return directory


@pytest.fixture
def cli() -> Callable[..., Run]:
    return run_cli


@pytest.fixture
def write_revision(tmp_path: Path) -> Callable[..., Path]:
    """Write a revision file into ``tmp_path/versions``; ``body`` is dedented."""

    def write(name: str, body: str, directory: Path | None = None) -> Path:
        folder = directory or tmp_path / "versions"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / name
        path.write_text(textwrap.dedent(body).lstrip(), encoding="utf-8")
        return path

    return write


def findings_of(run: Run, rule: str) -> list[dict[str, Any]]:
    return [f for f in run.json()["findings"] if f["rule"] == rule]
