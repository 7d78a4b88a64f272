"""review10: what a hostile requirements file costs the pinned-pydantic reader (extract/models/pins.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import FIXTURES, hang_guard, run_cli

CASES = FIXTURES / "rules" / "model-differs-from-migrations"


def _nullability_findings(project: Path) -> list[tuple[str, int]]:
    run = run_cli("lint", project, "--format", "json", "--no-config", "--select", "model-differs-from-migrations",
                  "--fail-on", "never")
    assert run.exit_code == 0
    return [(Path(f["path"]).name, f["line"]) for f in run.json()["findings"]]


def test_a_pin_of_thousands_of_digits_reads_as_no_pin(tmp_path: Path) -> None:
    """``int()`` refuses a string of over 4,300 digits: ``pydantic = "^111…"`` (5,000 ones) was a ValueError
    traceback on main. Such a pin says nothing, so ``x: str = None`` is not compared, as when nothing is pinned."""
    project = tmp_path / "app"
    shutil.copytree(CASES / "safe_sqlmodel_none_default_pydantic1", project)
    (project / "pyproject.toml").write_text(
        '[tool.poetry]\nname = "x"\n\n[tool.poetry.dependencies]\npydantic = "^' + "1" * 5_000 + '"\n',
        encoding="utf-8")
    assert _nullability_findings(project) == []


def test_a_requirement_of_many_spaces_is_read_in_linear_time(tmp_path: Path) -> None:
    """The specifier was searched with ``(op)?\\s*v?(\\d+)``, which runs ``\\s*`` from every space: a requirement
    part of 20,000 spaces took 21 s on main (40,000: 75 s). The pydantic 2 pin beside it is still read, and the
    twin's ``x: str = None`` fields (NOT NULL under pydantic 2) are still reported."""
    project = tmp_path / "app"
    shutil.copytree(CASES / "bad_sqlmodel_none_default_pydantic2", project)
    (project / "requirements.txt").write_text("pydantic>=2.7,<3," + " " * 40_000 + "\n", encoding="utf-8")
    with hang_guard(20, "the pinned-pydantic reader is not linear in a requirement's length"):
        findings = _nullability_findings(project)
    assert findings == [("models.py", 11), ("models.py", 12), ("models.py", 13)]
