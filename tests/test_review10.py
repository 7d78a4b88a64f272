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


def test_a_select_read_for_its_one_column_is_matched_in_linear_time(tmp_path: Path) -> None:
    """The one-column SELECT that fetched.py recognises ended in ``\\s*;?\\s*$``: two ``\\s*`` side by side,
    so ``SELECT id FROM t a`` followed by a long run of spaces and a word took quadratic time (20,000
    spaces: 3.4 s; 100,000 would be minutes). The fetched integer beside it is still recognised."""
    versions = tmp_path / "versions"
    versions.mkdir()
    padded = "SELECT id FROM t a" + " " * 100_000 + "x"
    (versions / "0001_fill.py").write_text(
        'import sqlalchemy as sa\nfrom alembic import op\n\nrevision = "0001"\ndown_revision = None\n\n\n'
        "def upgrade():\n"
        '    op.create_table("t", sa.Column("id", sa.Integer(), primary_key=True))\n'
        "    conn = op.get_bind()\n"
        f"    odd = conn.execute(sa.text({padded!r})).scalar()\n"
        '    first = conn.execute(sa.text("SELECT id FROM t ORDER BY id")).scalar()\n'
        '    conn.execute(sa.text(f"UPDATE t SET id = {first} WHERE id = {odd}"))\n\n\n'
        "def downgrade():\n    pass\n",
        encoding="utf-8")
    with hang_guard(20, "the one-column SELECT pattern is not linear in the statement's length"):
        run = run_cli("lint", versions, "--format", "json", "--fail-on", "never", "--no-config",
                      "--select", "unsafe-sql-interpolation")
    found = [f["message"] for f in run.json()["findings"]]
    # the fetched integer is shown as written (a known value); the padded SELECT is no one-column read
    assert len(found) == 1 and "SET id = {first} WHERE id = {…}" in found[0], found
