"""Held-out-22 (issue #16, precision), helper fixH22b: environments, models and downgrade/idempotence reasoning.

Each case is a small project of this file's own, written to a temporary folder and linted through the CLI.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from conftest import findings_of, run_cli


def _write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def _lint(path: Path, *rules: str) -> tuple[int, list[dict[str, object]]]:
    run = run_cli("lint", path, "--no-config", "--format", "json", "--select", ",".join(rules), "--fail-on", "info")
    assert run.exit_code in (0, 1), run.stderr
    return run.exit_code, [f for rule in rules for f in findings_of(run, rule)]


def _where(found: list[dict[str, object]]) -> list[tuple[str, str, int]]:
    return sorted((str(f["rule"]), Path(str(f["path"])).name, int(str(f["line"]))) for f in found)


def _revision(rev: str, down: str | None, body: str = "pass") -> str:
    return (f'"""r {rev}"""\nfrom alembic import op\nimport sqlalchemy as sa\n\nrevision = "{rev}"\n'
            f"down_revision = {down!r}\n\n\ndef upgrade():\n    {body}\n\n\ndef downgrade():\n    pass\n")


# --- #101-#104: script locations side by side, each selected by its own ini, env.py lost ---------------------


def _environments(root: Path) -> Path:
    """Two script locations (a template beside versions/, no env.py), each run through its own ini sample."""
    files: dict[str, str] = {}
    for name, revs in (("config", ["c001", "c002"]), ("cdr", ["d001", "d002"])):
        files[f"{name}.ini.sample"] = f"[alembic]\nscript_location = {name}\n"
        files[f"{name}/script.py.mako"] = "${upgrades}\n"
        down = None
        for rev in revs:
            files[f"{name}/versions/{rev}_step.py"] = _revision(rev, down)
            down = rev
    return _write(root, files)


def test_script_locations_without_env_py_are_separate_histories(tmp_path: Path) -> None:
    root = _environments(tmp_path / "db-manage")
    assert _lint(root, "multiple-heads", "duplicate-revision-id") == (0, [])


def test_a_fork_inside_one_of_them_is_still_multiple_heads(tmp_path: Path) -> None:
    root = _environments(tmp_path / "db-manage")
    _write(root, {"cdr/versions/d003_fork.py": _revision("d003", "d001")})
    code, found = _lint(root, "multiple-heads")
    assert code == 1
    assert _where(found) == [("multiple-heads", "d002_step.py", 5), ("multiple-heads", "d003_fork.py", 5)]
    assert all("one of 2 heads" in str(f["message"]) for f in found)


def test_one_script_location_with_two_heads_is_still_a_fork(tmp_path: Path) -> None:
    root = _write(tmp_path / "app", {"migrations/script.py.mako": "${upgrades}\n",
                                     "migrations/versions/a001_start.py": _revision("a001", None),
                                     "migrations/versions/a002_one.py": _revision("a002", "a001"),
                                     "migrations/versions/a003_two.py": _revision("a003", "a001")})
    code, found = _lint(root, "multiple-heads")
    assert code == 1 and _where(found) == [("multiple-heads", "a002_one.py", 5), ("multiple-heads", "a003_two.py", 5)]
