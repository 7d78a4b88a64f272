"""Threat: a revision file crafted to crash the loader, so the report is lost (or the run passes).

Python's parser answers ``X = ------...1`` (7,000 minus signs) with MemoryError, and a deeply
nested expression makes migcheck's own AST walkers raise RecursionError. Before the fix these
escaped as tracebacks on several load paths: header-only loading (``--baseline``, which ``migcheck
init`` writes, and ``--base``), a file named alone (pre-commit), forked loader workers, the cache.
Each must become one ``invalid-migration-file`` finding on that file while every other file is
still linted.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from conftest import Run, run_cli

GOOD = textwrap.dedent('''\
    revision = "a"
    down_revision = None

    from alembic import op


    def upgrade():
        op.drop_table("accounts")


    def downgrade():
        pass
    ''')

#: The parser itself gives up: MemoryError ("s_push: parser stack overflow" in older Pythons).
MINUS_SIGNS = 'revision = "b"\ndown_revision = "a"\nX = ' + "-" * 7000 + "1\n"
#: Parses, but is too deep for a recursive walk of the tree: inside upgrade(), so the header reads fine.
DEEP_BODY = ('revision = "b"\ndown_revision = "a"\n\nfrom alembic import op\n\n\ndef upgrade():\n'
             "    op.execute(" + " + ".join(['"x"'] * 1500) + ")\n\n\ndef downgrade():\n    pass\n")
#: (SQL nested too deeply for sqlglot is not a crash: it is ``raw-sql-not-understood``.)
CRAFTED = {"minus-signs": MINUS_SIGNS, "deep-body": DEEP_BODY}


#: Loading every file in full already caught RecursionError before the fix; MemoryError it did not.
ONLY_MEMORY = pytest.mark.parametrize("versions", ["minus-signs"], indirect=True)
BOTH = pytest.mark.parametrize("versions", sorted(CRAFTED), indirect=True)


@pytest.fixture
def versions(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    folder = tmp_path / "versions"
    folder.mkdir()
    (folder / "a_good.py").write_text(GOOD)
    (folder / "b_crafted.py").write_text(CRAFTED[request.param])
    return folder


def assert_reported(run: Run) -> None:
    """The crafted file is one invalid-migration-file finding; the good one is still linted."""
    assert run.exit_code == 1, run.stderr
    assert "Traceback" not in run.stderr
    findings = {(Path(f["path"]).name, f["rule"]) for f in run.json()["findings"]}
    assert ("b_crafted.py", "invalid-migration-file") in findings


def lint(*args: str | Path) -> Run:
    return run_cli("lint", "--no-config", "--format", "json", *args)


@ONLY_MEMORY
def test_whole_history(versions: Path) -> None:
    run = lint(versions)
    assert_reported(run)
    assert "drop-table" in run.rules()


@BOTH
def test_with_a_baseline(versions: Path) -> None:
    """``migcheck init`` writes a baseline: headers first, then only revisions after it are extracted."""
    (versions / "0_root.py").write_text('revision = "r"\ndown_revision = None\n')
    (versions / "a_good.py").write_text(GOOD.replace("down_revision = None", 'down_revision = "r"'))
    run = lint(versions, "--baseline", "r")
    assert_reported(run)
    assert "drop-table" in run.rules()


@ONLY_MEMORY
def test_named_alone(versions: Path) -> None:
    """pre-commit passes the changed files one by one; their siblings complete the graph."""
    run = lint(versions / "b_crafted.py")
    assert_reported(run)


@ONLY_MEMORY
def test_in_forked_workers(versions: Path) -> None:
    run = lint(versions, "--jobs", "2", "--no-cache")
    assert_reported(run)
    assert "drop-table" in run.rules()


@ONLY_MEMORY
def test_through_the_cache(versions: Path) -> None:
    """Enough files for the cache to be used; the second run reads the first run's pack."""
    for index in range(25):
        (versions / f"c{index:02}.py").write_text(f'revision = "c{index}"\ndown_revision = None\n'
                                                  "branch_labels = ('c{index}',)\n")
    first, second = lint(versions), lint(versions)
    assert_reported(first)
    assert_reported(second)
    assert first.json()["findings"] == second.json()["findings"]


@BOTH
@pytest.mark.skipif(shutil.which("git") is None, reason="pull-request mode needs the git command")
def test_in_a_pull_request(versions: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = versions.parent
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@e", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    crafted = (versions / "b_crafted.py").read_bytes()
    (versions / "b_crafted.py").unlink()
    for argv in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "base"],
                 ["checkout", "-q", "-b", "pr"]):
        subprocess.run(["git", *argv], cwd=root, env=env, check=True)
    (versions / "b_crafted.py").write_bytes(crafted)
    monkeypatch.chdir(root)
    assert_reported(lint("versions", "--base", "main"))



def test_a_coding_cookie_naming_a_non_text_codec_is_a_finding_not_a_traceback(tmp_path: Path) -> None:
    """``# -*- coding: rot13 -*-`` passes PEP 263 detection but cannot decode: the text report
    still shows the finding and its source line."""
    import subprocess
    import sys

    versions = tmp_path / "versions"
    versions.mkdir()
    (versions / "a.py").write_bytes(b'# -*- coding: rot13 -*-\nrevision = "a"\n')
    run = subprocess.run([sys.executable, "-m", "migcheck", "lint", "--no-cache", str(versions)],
                         capture_output=True, text=True, check=False)
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stderr
    assert "invalid-migration-file" in run.stdout and "not a text encoding" in run.stdout


def test_lint_never_rebuilds_env_pys_include_object(tmp_path: Path) -> None:
    """Reading env.py for lint keeps what --check-models needs, and rebuilds nothing from it."""
    from migcheck.sources.envinfo import read_env

    env = tmp_path / "env.py"
    env.write_text(
        "def include_object(obj, name, type_, reflected, compare_to):\n"
        "    return not name.startswith('tmp_')\n"
        "def run_migrations_online():\n"
        "    context.configure(connection=c, target_metadata=m, include_object=include_object)\n",
        encoding="utf-8",
    )
    info = read_env(env)
    assert "compare" not in vars(info)  # not computed by reading
    assert info.compare.include_object is not None  # computed when verify asks
