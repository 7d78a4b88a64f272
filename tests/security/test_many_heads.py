"""Threat: a pull request of thousands of two-line revisions that makes the report quadratic.

Every head of a forked history gets its own multiple-heads finding, and every file of a duplicated
revision id its own duplicate-revision-id finding; each message listed *all* of them (and the fix the
whole ``alembic merge`` command), so n files gave n² names: 8,000 heads on one revision (279 KB of
input) made 1.3 GB of JSON and took 4-5 GB of memory. The messages now name the first ten and "and N
more"; each head or file is still reported at its own path and line. The upgrade order the history rules
walk also looked for the unwalked revisions above a branch point once per branch (quadratic in the heads).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from conftest import ROOT

CLI_TIMEOUT = 120
HEADS = 3_200  # the old code: 325 MB of JSON, 1 GB of memory
DUPLICATES = 3_000  # the old code: 80 MB of JSON
LONGEST_MESSAGE = 1_000


def _project(tmp_path: Path, revisions: dict[str, str]) -> Path:
    versions = tmp_path / "migrations" / "versions"
    versions.mkdir(parents=True)
    (tmp_path / "alembic.ini").write_text("[alembic]\nscript_location = migrations\n")
    (tmp_path / "migrations" / "env.py").write_text("from alembic import context\ntarget_metadata = None\n")
    for name, text in revisions.items():
        (versions / name).write_text(text)
    return tmp_path


def _lint(project: Path) -> dict[str, Any]:
    run = subprocess.run(
        [sys.executable, "-m", "migcheck", "lint", ".", "--format", "json", "--no-cache"],
        cwd=project, capture_output=True, text=True, timeout=CLI_TIMEOUT,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src"), "MIGCHECK_CACHE_DIR": str(project / "cache")},
    )
    assert "Traceback" not in run.stderr, run.stderr
    assert run.returncode == 1, run.stderr
    document: dict[str, Any] = json.loads(run.stdout)
    return document


def _found(document: dict[str, Any], rule: str) -> list[dict[str, Any]]:
    found = [f for f in document["findings"] if f["rule"] == rule]
    for finding in found:
        assert len(finding["message"]) < LONGEST_MESSAGE, finding["message"][:300]
        assert len(finding["fix"] or "") < LONGEST_MESSAGE, finding["fix"][:300]
    return found


def test_thousands_of_heads_on_one_revision(tmp_path: Path) -> None:
    revisions = {"r0.py": "revision = 'r0'\ndown_revision = None\n"}
    revisions.update({f"h{i:05}.py": f"revision = 'h{i:05}'\ndown_revision = 'r0'\n" for i in range(1, HEADS)})
    document = _lint(_project(tmp_path, revisions))
    heads = _found(document, "multiple-heads")
    assert sorted((f["path"].rsplit("/", 1)[-1], f["line"]) for f in heads) == [
        (f"h{i:05}.py", 1) for i in range(1, HEADS)]
    last = next(f for f in heads if f["revision"] == f"h{HEADS - 1:05}")
    assert last["message"].startswith(f"revision h{HEADS - 1:05} is one of {HEADS - 1} heads: h00001 (h00001.py), ")
    assert f"h00010 (h00010.py) and {HEADS - 11} more; `alembic upgrade head` fails" in last["message"]
    assert last["fix"].endswith('alembic merge -m "merge heads" heads')  # Alembic's name for all of them
    assert len(document["graph"]["heads"]) == HEADS - 1


def test_thousands_of_files_declaring_one_revision_id(tmp_path: Path) -> None:
    revisions = {"r0.py": "revision = 'r0'\ndown_revision = None\n"}
    revisions.update({f"d{i:05}.py": "revision = 'r1'\ndown_revision = 'r0'\n" for i in range(1, DUPLICATES)})
    found = _found(_lint(_project(tmp_path, revisions)), "duplicate-revision-id")
    assert sorted(f["path"].rsplit("/", 1)[-1] for f in found) == [f"d{i:05}.py" for i in range(1, DUPLICATES)]
    assert f"declared by {DUPLICATES - 1} files (d00001.py, " in found[0]["message"]
    assert f"d00010.py and {DUPLICATES - 11} more); Alembic only warns" in found[0]["message"]


def test_thousands_of_heads_sharing_a_branch_label_beside_another_branch(tmp_path: Path) -> None:
    """Only the heads of the shared label are a fork: the command names the first ten and points at the rest
    (``alembic merge heads`` would also merge the other, deliberate branch)."""
    n = 2_000
    revisions = {
        "r0.py": "revision = 'r0'\ndown_revision = None\n",
        "other.py": "revision = 'other'\ndown_revision = None\nbranch_labels = ('other',)\n",
    }
    revisions.update({f"l{i:05}.py": f"revision = 'l{i:05}'\ndown_revision = 'r0'\nbranch_labels = ('L',)\n"
                      for i in range(n)})
    heads = _found(_lint(_project(tmp_path, revisions)), "multiple-heads")
    assert sorted(f["revision"] for f in heads) == [f"l{i:05}" for i in range(n)]
    command = heads[0]["fix"].splitlines()[-1].strip()
    assert command.startswith('alembic merge -m "merge heads" l00000 l00001 ')
    assert command.endswith(f"l00009 ... (and the other {n - 10} heads named by the other multiple-heads findings)")
