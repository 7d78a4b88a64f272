"""Threat: an alembic.ini whose interpolation expands without bound (sources/inifile.py).

configparser expands ``%(name)s`` recursively with no bound on the references per level: an 807-byte file
(twenty references per level, seven levels) expands to 20**6 copies; the lint ran for more than five minutes,
its memory still growing. A value may expand to 16,384 characters now; past that the file is refused with one
line. Interpolation as Alembic reads it (``%(here)s``, other keys) still works.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

CLI_TIMEOUT = 20
REVISION = "revision = 'a1'\ndown_revision = None\n\n\ndef upgrade():\n    pass\n\n\ndef downgrade():\n    pass\n"


def _project(tmp_path: Path, ini: str) -> Path:
    (tmp_path / "migrations" / "versions").mkdir(parents=True)
    (tmp_path / "migrations" / "env.py").write_text("from alembic import context\ntarget_metadata = None\n")
    (tmp_path / "migrations" / "versions" / "a1_start.py").write_text(REVISION)
    (tmp_path / "alembic.ini").write_text(ini)
    return tmp_path


def _lint(project: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "migcheck", "lint", ".", "--format", "json"],
        cwd=project, capture_output=True, text=True, timeout=CLI_TIMEOUT,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src"), "MIGCHECK_CACHE_DIR": str(project / ".cache")},
    )


def test_interpolation_that_expands_without_bound_is_refused(tmp_path: Path) -> None:
    lines = ["[alembic]", "x0 = migrations", *(f"x{d} = " + f"%(x{d - 1})s" * 20 for d in range(1, 7)),
             "script_location = %(x6)s"]
    run = _lint(_project(tmp_path, "\n".join(lines) + "\n"))
    assert run.returncode == 2, run.stderr
    assert run.stdout == ""
    assert run.stderr.strip().splitlines() == [
        "migcheck: error: cannot read alembic.ini: the value of 'script_location' expands past 16,384 characters"]


def test_a_long_location_is_one_short_error_line(tmp_path: Path) -> None:
    """A folder name longer than the file system takes was a traceback (ENAMETOOLONG from is_dir); the path,
    thousands of characters, is cut in the line."""
    lines = ["[alembic]", "x0 = nowhere", *(f"x{d} = " + f"%(x{d - 1})s" * 3 for d in range(1, 7)),
             "script_location = migrations", "version_locations = %(here)s/%(x6)s"]
    run = _lint(_project(tmp_path, "\n".join(lines) + "\n"))
    assert run.returncode == 2, run.stderr
    (line,) = run.stderr.strip().splitlines()
    assert line.startswith("migcheck: error: cannot read version location ") and len(line) < 500, line
    assert "characters): File name too long" in line


def test_a_long_missing_location_is_cut_in_the_error(tmp_path: Path) -> None:
    lines = ["[alembic]", "x0 = a/", *(f"x{d} = " + f"%(x{d - 1})s" * 3 for d in range(1, 6)),
             "script_location = migrations", "version_locations = %(here)s/%(x5)s"]
    run = _lint(_project(tmp_path, "\n".join(lines) + "\n"))
    assert run.returncode == 2, run.stderr
    (line,) = run.stderr.strip().splitlines()
    assert line.startswith("migcheck: error: version location does not exist: ") and len(line) < 500, line
    assert line.endswith("characters)")


def test_interpolation_as_alembic_reads_it(tmp_path: Path) -> None:
    ini = "[alembic]\nfolder = migrations\nscript_location = %(here)s/%(folder)s\n"
    run = _lint(_project(tmp_path, ini))
    assert run.returncode == 0, run.stderr
