"""Habits users bring from ruff and friends: -h, -V, completion, `lint -`, `config` taking lint's
options, one clear note for a [migcheck] section in alembic.ini, and "did you mean" for --base."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from conftest import FIXTURES, ROOT, run_cli
from gitrepo import git, make_repo
from migcheck.cli import app

DEMO_VERSIONS = FIXTURES / "demo" / "migrations" / "versions"
INDEX_REVISION = DEMO_VERSIONS / "3c4d5e6f7a8b_index_orders_user_id.py"


def migcheck(*args: str, stdin: str = "", cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """The installed command in a process of its own, with a real stdin."""
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "migcheck", *args], input=stdin, capture_output=True,
                          text=True, cwd=cwd, env=env, timeout=120)


def test_short_help_and_version() -> None:
    assert run_cli("-V").stdout == "alembic-migcheck 0.1.0\n"
    assert run_cli("-h").stdout.startswith("Usage: migcheck [OPTIONS] COMMAND")
    assert run_cli("lint", "-h").stdout.startswith("Usage: migcheck lint [OPTIONS]")


def test_shell_completion_is_offered_and_completes_commands() -> None:
    assert "--install-completion" in run_cli("--help").stdout
    command = Path(sys.executable).parent / "migcheck"  # the console script pip installed
    if not command.is_file():
        pytest.skip("migcheck is not installed as a command beside this Python")
    script = subprocess.run([str(command), "--show-completion", "bash"], capture_output=True, text=True)
    assert script.returncode == 0 and "_MIGCHECK_COMPLETE=complete_bash" in script.stdout
    assert script.stdout.rstrip().endswith("complete -o default -F _migcheck_completion migcheck")
    env = {**os.environ, "_MIGCHECK_COMPLETE": "complete_bash", "COMP_WORDS": "migcheck li", "COMP_CWORD": "1"}
    done = subprocess.run([str(command)], capture_output=True, text=True, env=env, cwd=ROOT)
    assert done.stdout.split() == ["lint"]


def test_config_takes_every_option_lint_takes() -> None:
    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    def options(name: str) -> set[str]:
        return {opt for p in commands[name].params for opt in p.opts if opt.startswith("-")}
    assert options("lint") <= options("config")
    run = run_cli("config", DEMO_VERSIONS, "--format", "json", "--base", "main", "--quiet", "--jobs", "2")
    assert run.exit_code == 0, run.stderr
    assert 'output-format = ["json"]' in run.stdout and "command line (--output-format)" in run.stdout
    assert run.stdout.splitlines()[-1] == "# options of this run only (not settings): --base main --quiet --jobs 2"
    bad = run_cli("config", "--output-format", "yaml")
    assert bad.exit_code == 2 and "unknown format 'yaml'" in bad.stderr


def test_lint_reads_one_revision_from_stdin_under_its_filename() -> None:
    """An editor sends its buffer: the findings are the file's, at its path, its siblings complete the graph."""
    text = INDEX_REVISION.read_text()
    done = migcheck("lint", "-", "--stdin-filename", str(INDEX_REVISION.relative_to(ROOT)), stdin=text)
    assert done.returncode == 1, done.stderr
    shown = "fixtures/demo/migrations/versions/3c4d5e6f7a8b_index_orders_user_id.py"
    assert done.stdout.startswith(f"{shown}:17  create-index-not-concurrently  error:")
    assert '  17 |     op.create_index("ix_orders_user_id", "orders", ["user_id"])' in done.stdout
    assert "missing-down-revision" not in done.stdout  # the parent is beside it on disk
    # the text comes from stdin, not from the file on disk
    edited = text.replace('["user_id"])', '["user_id"], postgresql_concurrently=True)')
    clean = migcheck("lint", "-", "--stdin-filename", str(INDEX_REVISION), "--select",
                     "create-index-not-concurrently", stdin=edited)
    assert clean.returncode == 0, clean.stdout
    assert clean.stdout == "No problems found (1 revision in 1 file).\n"


def test_lint_stdin_without_a_filename_reports_under_dash() -> None:
    done = migcheck("lint", "-", "--output-format", "concise", "--select", "create-index-not-concurrently",
                    stdin=INDEX_REVISION.read_text())
    assert done.returncode == 1
    assert done.stdout.splitlines()[0].startswith("-:17  create-index-not-concurrently  error:")


@pytest.mark.parametrize(("args", "message"), [
    (["lint", "--stdin-filename", "x.py"], "--stdin-filename names the text read from stdin: give `-`"),
    (["lint", "-", str(DEMO_VERSIONS)], "`-` (read stdin) cannot be combined with other paths"),
    (["lint", "-", "--stdin-filename", "notes.txt"], "--stdin-filename must name a .py revision or a .sql file"),
    (["lint", "-", "--base", "main"], "--base compares files in git; it cannot apply to text read from stdin"),
])
def test_stdin_usage_errors_are_one_line(args: list[str], message: str) -> None:
    done = migcheck(*args, stdin="revision = '1'\n")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.startswith(f"migcheck: error: {message}")
    assert len(done.stderr.splitlines()) == 1


def test_a_migcheck_section_in_alembic_ini_is_said_not_to_be_read(tmp_path: Path) -> None:
    project = tmp_path / "project"
    import shutil

    shutil.copytree(FIXTURES / "demo", project)
    ini = project / "alembic.ini"
    ini.write_text(ini.read_text() + "\n[migcheck]\ndialect = mysql\n")
    run = run_cli("lint", ini, "--output-format", "concise")
    notes = [line for line in run.stderr.splitlines() if "[migcheck]" in line]
    assert notes == [f"migcheck: note: {ini} has a [migcheck] section, which migcheck does not read: its settings "
                     "go in the [tool.migcheck] table of pyproject.toml"]
    assert run.exit_code == 1  # linted all the same, on the default dialect
    assert "create-index-not-concurrently" in run.stdout
    assert "[migcheck]" not in run_cli("lint", FIXTURES / "demo" / "alembic.ini").stderr


def test_a_misspelt_base_gets_did_you_mean(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo(tmp_path / "repo", copy=FIXTURES / "integrations")
    git(repo, "checkout", "-q", "-b", "feature")
    monkeypatch.chdir(repo)
    run = run_cli("lint", ".", "--base", "mian")
    assert run.exit_code == 2
    assert run.stderr == "migcheck: error: base ref 'mian' not found in this clone; did you mean 'main'?\n"
    far = run_cli("lint", ".", "--base", "release-2019")
    assert far.exit_code == 2 and "did you mean" not in far.stderr and "fetch it first" in far.stderr


def test_stdin_siblings_through_a_symlink_out_of_the_project_are_not_read(tmp_path: Path) -> None:
    """`lint - --stdin-filename` gathered the siblings itself and read a symlink leading out of the
    project; discovery's sibling listing (the one pre-commit uses) refuses it."""
    project = tmp_path / "project"
    versions = project / "migrations" / "versions"
    versions.mkdir(parents=True)
    (project / "alembic.ini").write_text("[alembic]\nscript_location = migrations\n", encoding="utf-8")
    (versions / "a1.py").write_text('revision = "a1"\ndown_revision = None\n\ndef upgrade():\n    pass\n\n'
                                    'def downgrade():\n    pass\n', encoding="utf-8")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "evil.py").write_text('revision = "e1"\ndown_revision = "a1"\n', encoding="utf-8")
    (versions / "evil.py").symlink_to(outside / "evil.py")
    text = 'revision = "b2"\ndown_revision = "e1"\n\ndef upgrade():\n    pass\n\ndef downgrade():\n    pass\n'
    done = migcheck("lint", "-", "--stdin-filename", str(versions / "b2.py"), "--format", "json",
                    "--fail-on", "never", stdin=text)
    assert done.returncode == 0, done.stderr
    rules = {f["rule"] for f in json.loads(done.stdout)["findings"]}
    assert "missing-down-revision" in rules  # its parent lives only in evil.py, which was never read
