"""The simple ``migcheck lint`` command lines run without typer, and say exactly what typer's command says."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT
from migcheck import lintcmd
from migcheck.sources import parallel

DEMO = ROOT / "fixtures" / "demo"
VERSIONS = DEMO / "migrations" / "versions"
ONE = sorted(VERSIONS.glob("*.py"))[-1]

RUN = (
    "import sys\n"
    "sys.argv = ['migcheck', *sys.argv[1:]]\n"
    "from migcheck.{module} import main\n"
    "try:\n    main()\n"
    "finally:\n    sys.stderr.write('TYPER %s\\n' % ('typer' in sys.modules))\n"
)


def _run(module: str, args: list[str], cache: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MIGCHECK_CACHE_DIR": str(cache)}
    return subprocess.run([sys.executable, "-c", RUN.format(module=module), *args], capture_output=True,
                          text=True, env=env, cwd=ROOT, check=False)


@pytest.mark.parametrize("args", [
    [str(ONE), "--format", "json"],
    [str(VERSIONS), "-q"],
    [str(ONE), str(VERSIONS / "nothing.py"), "--format=sarif", "--pretty", "--no-cache"],
    [str(VERSIONS), "-f", "concise", "--output-format", "json:/dev/null"],
    [str(ONE), "--format", "bogus"],  # refused after the arguments are read: one error line, exit 2
    [str(ROOT / "no-such-dir")],
    [str(ONE), "--format", "github:/dev/stdout", "--format", "json:/dev/null"],
    [str(ONE), "--format", "json", "--format", "json"],  # two reports to stdout: refused the same way
    [str(ONE), "-q", "--quiet", "--format", "text", "--pretty"],
    [str(ONE), "--format", "json:" + str(VERSIONS)],  # a report path that is a folder
    # what the issue-13 benchmark and a CI job run (speed27): one typer import fewer
    [str(VERSIONS), "--no-cache", "--no-config", "--format", "json", "-q", "--jobs", "1", "--fail-on", "never"],
    [str(ONE), "--fail-on=info", "-j", "2"],
    [str(VERSIONS), "--jobs=3", "--fail-on", "warning"],
])
def test_a_simple_command_line_runs_without_typer_and_says_the_same(args: list[str], _private_cache: Path) -> None:
    typer_run = _run("cli", ["lint", *args], _private_cache)
    simple = _run("launch", ["lint", *args], _private_cache)
    assert "TYPER True" in typer_run.stderr and "TYPER False" in simple.stderr
    assert (simple.returncode, simple.stdout, simple.stderr.replace("TYPER False", "")) == (
        typer_run.returncode, typer_run.stdout, typer_run.stderr.replace("TYPER True", ""))
    assert simple.stdout or simple.returncode == 2


@pytest.mark.parametrize("args", [
    [str(ONE), "--select", "missing-downgrade"],  # an option the simple reading does not know
    [str(ONE), "--fail-on", "NEVER"],  # click's choice is case-sensitive: its own message
    [str(ONE), "--fail-on", "never", "--fail-on", "info"],  # given twice: click keeps the last
    [str(ONE), "--jobs", "0"],  # below click's minimum
    [str(ONE), "--jobs", "+1"], [str(ONE), "--jobs", "01"], [str(ONE), "-j=2"], [str(ONE), "--jobs"],
    [str(ONE), "-fjson"],
    [str(ONE), "--format"],  # click says the value is missing
    ["--help"],
    [str(ONE), "--quiet=1"],
    [str(ONE), "--", "-x.py"],
    [str(ONE), "--format", "--pretty"],
])
def test_any_other_command_line_is_typers(args: list[str], _private_cache: Path) -> None:
    """The twin: these go to typer through the entry point, with typer's own answer."""
    typer_run = _run("cli", ["lint", *args], _private_cache)
    launched = _run("launch", ["lint", *args], _private_cache)
    assert "TYPER True" in launched.stderr
    assert (launched.returncode, launched.stdout, launched.stderr) == (
        typer_run.returncode, typer_run.stdout, typer_run.stderr)


@pytest.mark.parametrize(("args", "keywords"), [
    (["a.py", "--format", "json"], {"paths": [Path("a.py")], "output_format": ["json"]}),
    (["--format=json", "-q", "a.py", "--no-cache", "--pretty", "--output-format", "text:r.txt"],
     {"paths": [Path("a.py")], "output_format": ["json", "text:r.txt"], "quiet": True, "no_cache": True,
      "pretty": True}),
    (["a=b.py"], {"paths": [Path("a=b.py")], "output_format": None}),
    ([], {"paths": None, "output_format": None}),
    (["a.py", "--no-config", "--fail-on", "never", "-j", "12"],
     {"paths": [Path("a.py")], "output_format": None, "no_config": True, "fail_on": "never", "jobs": 12}),
    (["--fail-on=error", "--jobs=1"], {"paths": None, "output_format": None, "fail_on": "error", "jobs": 1}),
])
def test_what_a_simple_command_line_is(args: list[str], keywords: dict[str, object]) -> None:
    assert lintcmd.simple_args(args) == keywords


@pytest.mark.parametrize("args", [
    ["a.py", "--fail-on", "Never"], ["--fail-on"], ["--jobs", "0"], ["--jobs", "1_0"], ["--jobs", " 1"],
    ["--jobs", "\u0661"], ["-j", "1", "--jobs", "2"], ["--fail-on=never", "--fail-on=info"], ["-j=1"], ["-fjson"], ["-f=json"], ["--format"], ["--format", "-q"], ["--format="],
    ["--", "a.py"], ["-"], [""], ["-h"], ["--quiet=1"], ["a.py", "--stdin-filename", "x.py"],
])
def test_what_is_not(args: list[str]) -> None:
    assert lintcmd.simple_args(args) is None


def test_an_existing_path_this_user_cannot_read_is_typers(monkeypatch: pytest.MonkeyPatch) -> None:
    """typer refuses it ("is not readable", exit 2) before the command runs: the simple reading leaves it to
    typer (os.access faked: root reads everything)."""
    monkeypatch.setattr(lintcmd.os, "access", lambda path, mode: path != str(ONE))
    assert lintcmd.simple_args([str(ONE)]) is None
    assert lintcmd.simple_args([str(VERSIONS)]) == {"paths": [VERSIONS], "output_format": None}
    assert lintcmd.simple_args([str(VERSIONS / "missing.py")]) is not None


def test_pre_commit_parses_only_what_changed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Through the command: after a whole-history lint, naming an unchanged revision parses nothing (its
    siblings' pack, read anyway, holds it)."""
    from conftest import run_cli

    history = tmp_path / "versions"
    history.mkdir()
    for index in range(25):
        (history / f"r{index:02}.py").write_text(
            f'revision = "r{index:02}"\ndown_revision = {f"{chr(34)}r{index - 1:02}{chr(34)}" if index else None}\n'
            'from alembic import op\n\n\ndef upgrade():\n    op.drop_column("t", "c")\n\n\ndef downgrade():\n'
            '    pass\n')
    whole = run_cli("lint", history, "--format", "json")
    parsed: list[Path] = []
    real = parallel.load_python
    monkeypatch.setattr(parallel, "load_python", lambda path, *a: parsed.append(path) or real(path, *a))
    named = run_cli("lint", history / "r24.py", "--format", "json")
    assert parsed == []
    assert named.exit_code == whole.exit_code == 1
    assert named.json()["findings"] == [f for f in whole.json()["findings"] if f["path"].endswith("r24.py")]


def test_never_on_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    """click expands wildcards in the arguments on Windows (no shell does): there every line is typer's."""
    import types

    monkeypatch.setattr(lintcmd, "os", types.SimpleNamespace(name="nt"))
    assert lintcmd.simple_args(["a.py"]) is None


def test_hostile_paths_say_the_same_through_both_doors(tmp_path: Path, _private_cache: Path) -> None:
    """A path that is not UTF-8, a FIFO and a symlink out of the tree: the simple reading takes each, and the
    answer (stdout, stderr, exit code) is typer's, byte for byte."""
    project = tmp_path / "project"
    project.mkdir()
    os.mkfifo(project / "0001_fifo.py")
    (project / "0002_out.py").symlink_to(ONE)
    env = {**os.environ, "MIGCHECK_CACHE_DIR": str(_private_cache)}
    for path in (os.fsencode(project) + b"/\xff\xfe.py", os.fsencode(project / "0001_fifo.py"),
                 os.fsencode(project / "0002_out.py"), os.fsencode(project)):
        runs = [subprocess.run([sys.executable, "-c", RUN.format(module=module), "lint", path], capture_output=True,
                               env=env, cwd=ROOT, check=False, timeout=60) for module in ("cli", "launch")]
        typer_run, simple = runs
        assert b"TYPER True" in typer_run.stderr and b"TYPER False" in simple.stderr
        assert b"Traceback" not in typer_run.stderr
        assert (simple.returncode, simple.stdout, simple.stderr.replace(b"TYPER False", b"")) == (
            typer_run.returncode, typer_run.stdout, typer_run.stderr.replace(b"TYPER True", b""))
