"""The GitHub Action: action.yml's structure, and its shell steps run here as the runner would run them.

The runner turns a composite step into ``bash -c RUN`` with the step's ``env:``
evaluated; ``run_step`` does the same for the expressions action.yml uses
(``inputs.*``, ``steps.*.outputs.*``, ``github.*``), with ``GITHUB_OUTPUT``,
``GITHUB_STEP_SUMMARY`` and the event payload in temp files.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import FIXTURES, ROOT
from gitrepo import SNAPSHOT_IGNORE, git, make_repo, tagless_commit

ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
PROJECT = FIXTURES / "integrations"
FAILING = "migrations/versions/0002_orders_status.py"
EXPRESSION = re.compile(r"\$\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}")
SHA = "0123456789abcdef0123456789abcdef01234567"


def step(step_id: str) -> dict[str, Any]:
    return next(s for s in ACTION["runs"]["steps"] if s.get("id") == step_id)


def evaluate(value: str, context: dict[str, Any]) -> str:
    def lookup(match: re.Match[str]) -> str:
        node: Any = context
        for part in match.group(1).split("."):
            node = node.get(part, "") if isinstance(node, dict) else ""
        return str(node)

    return EXPRESSION.sub(lookup, value)


@dataclass
class StepRun:
    code: int
    stdout: str
    outputs: dict[str, str]
    summary: str


@pytest.fixture
def runner_files(tmp_path: Path) -> dict[str, Path]:
    files = {name: tmp_path / "runner" / name for name in ("output", "summary", "event.json", "temp")}
    files["temp"].mkdir(parents=True)
    for name in ("output", "summary"):
        files[name].write_text("")
    return files


@pytest.fixture
def migcheck_bin(tmp_path: Path) -> Path:
    """``migcheck`` as the install step would leave it: an executable, here running this checkout."""
    path = tmp_path / "bin" / "migcheck"
    path.parent.mkdir()
    path.write_text(
        f'#!/bin/sh\nPYTHONPATH={ROOT / "src"} exec {sys.executable} -m migcheck "$@"\n', encoding="utf-8"
    )
    path.chmod(0o755)
    return path


@pytest.fixture
def recorder(tmp_path: Path) -> Path:
    """A stand-in that records the command line it was given, for options this branch cannot run yet."""
    path = tmp_path / "bin-rec" / "migcheck"
    path.parent.mkdir()
    path.write_text(
        f"#!{sys.executable}\nimport json, os, sys\n"
        "open(os.environ['RECORD_ARGV'], 'w').write(json.dumps(sys.argv[1:]))\n",
        encoding="utf-8",
    )
    path.chmod(0o755)
    return path


def run_step(
    step_id: str,
    cwd: Path,
    files: dict[str, Path],
    inputs: dict[str, str] | None = None,
    *,
    event: str = "push",
    step_outputs: dict[str, dict[str, str]] | None = None,
    extra_env: dict[str, str] | None = None,
    action_path: Path = ROOT,
) -> StepRun:
    payload: dict[str, Any] = {"repository": {"full_name": "acme/shop"}}
    if event == "pull_request":
        payload["pull_request"] = {
            "number": 7,
            "base": {"ref": "main", "sha": SHA},
            "head": {"ref": "feature"},
        }
    files["event.json"].write_text(json.dumps(payload))
    github = {
        "event_name": event,
        "event": payload,
        "base_ref": payload.get("pull_request", {}).get("base", {}).get("ref", ""),
        "action_path": str(action_path),
        "repository": "acme/shop",
        "sha": SHA,
    }
    given = inputs or {}
    resolved = {
        name: given.get(name, evaluate(str(spec.get("default", "")), {"github": github}))
        for name, spec in ACTION["inputs"].items()
    }
    context = {
        "inputs": resolved,
        "github": github,
        "steps": {k: {"outputs": v} for k, v in (step_outputs or {}).items()},
    }
    spec = step(step_id)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_", "RUNNER_"))}
    env.update(
        GITHUB_ACTIONS="true",
        GITHUB_EVENT_NAME=event,
        GITHUB_EVENT_PATH=str(files["event.json"]),
        GITHUB_BASE_REF=github["base_ref"],
        GITHUB_OUTPUT=str(files["output"]),
        GITHUB_STEP_SUMMARY=str(files["summary"]),
        GITHUB_ACTION_PATH=str(action_path),
        GITHUB_WORKSPACE=str(cwd),
        GITHUB_SERVER_URL="https://github.com",
        GITHUB_REPOSITORY="acme/shop",
        GITHUB_SHA=SHA,
        RUNNER_TEMP=str(files["temp"]),
    )
    env.update({name: evaluate(str(value), context) for name, value in spec.get("env", {}).items()})
    env.update(extra_env or {})
    assert spec["shell"] == "bash"
    script = files["temp"] / f"step-{step_id}.sh"
    script.write_text(spec["run"])
    # what the runner runs for `shell: bash`
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
    )
    outputs = dict(line.split("=", 1) for line in files["output"].read_text().splitlines() if "=" in line)
    return StepRun(done.returncode, done.stdout + done.stderr, outputs, files["summary"].read_text())


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "workspace", copy=PROJECT)


def lint(workspace: Path, files: dict[str, Path], bin_path: Path, **inputs: str) -> StepRun:
    outputs = {"install": {"migcheck": str(bin_path), "python": sys.executable}}
    return run_step("lint", workspace, files, inputs, step_outputs=outputs)


# -- action.yml ------------------------------------------------------------------------------------


def test_action_yml_structure() -> None:
    assert ACTION["name"] == "migcheck" and ACTION["description"]
    assert ACTION["runs"]["using"] == "composite"
    assert set(ACTION["inputs"]) >= {
        "path",
        "args",
        "python-version",
        "version",
        "fail-on",
        "base",
        "sarif-file",
        "summary",
    }
    for name, spec in ACTION["inputs"].items():
        assert spec.get("description"), name
        assert isinstance(spec.get("default", ""), str), name
    assert ACTION["inputs"]["base"]["default"] == "${{ github.base_ref }}"
    assert ACTION["inputs"]["summary"]["default"] == "true"
    assert ACTION["inputs"]["fail-on"]["default"] == "error"
    run_script = (ROOT / "action" / "run.sh").read_text()
    for name, spec in ACTION["outputs"].items():
        assert spec["value"] == f"${{{{ steps.lint.outputs.{name} }}}}"
        assert f"{name}=" in run_script, f"run.sh never writes output {name}"
    setup = ACTION["runs"]["steps"][0]
    assert setup["uses"].startswith("actions/setup-python@v")
    assert setup["with"]["update-environment"] is False  # the job's own Python stays as it was
    assert ACTION["inputs"]["version"]["default"] == ""  # the action's own checkout, no registry
    cache = next(s for s in ACTION["runs"]["steps"] if str(s.get("uses", "")).startswith("actions/cache@"))
    assert cache["with"] == {"path": "${{ steps.key.outputs.venv }}", "key": "${{ steps.key.outputs.key }}"}
    assert step("install")["env"]["MIGCHECK_CACHE_KEY"] == "${{ steps.key.outputs.key }}"
    for s in ACTION["runs"]["steps"]:
        if "run" in s:
            assert s["shell"] == "bash"
            script = re.search(r'"\$GITHUB_ACTION_PATH/(action/[a-z-]+\.sh)"', s["run"])
            assert script and (ROOT / script.group(1)).is_file()
            read = (ROOT / script.group(1)).read_text()
            for var in s.get("env", {}):
                assert f"${{{var}" in read or f"${var}" in read, f"{script.group(1)} ignores {var}"
        for value in [*s.get("env", {}).values(), *s.get("with", {}).values()]:
            for expr in EXPRESSION.findall(str(value)):
                root, _, rest = expr.partition(".")
                if root == "inputs":
                    assert rest in ACTION["inputs"], expr
                elif root == "steps":
                    assert rest.split(".")[0] in {x.get("id") for x in ACTION["runs"]["steps"]}, expr


def test_scripts_are_valid_bash() -> None:
    for script in ("cache-key.sh", "install.sh", "run.sh"):
        assert subprocess.run(["bash", "-n", str(ROOT / "action" / script)]).returncode == 0


# -- the lint step ---------------------------------------------------------------------------------


def test_push_run_annotates_counts_and_summarises(
    workspace: Path, runner_files: dict[str, Path], migcheck_bin: Path
) -> None:
    run = lint(workspace, runner_files, migcheck_bin)
    assert run.code == 1, run.stdout
    assert run.outputs == {
        "findings": "3",
        "errors": "2",
        "warnings": "1",
        "info": "0",
        "suppressed": "0",
        "exit-code": "1",
    }
    annotations = [line for line in run.stdout.splitlines() if line.startswith("::")]
    assert [a.split(",")[0] for a in annotations] == [
        f"::error file={FAILING}",
        f"::warning file={FAILING}",
        f"::error file={FAILING}",
    ]
    assert run.summary.startswith("### migcheck\n\n❌ **Found 2 errors, 1 warning**")
    assert f"(https://github.com/acme/shop/blob/{SHA}/{FAILING}#L18)" in run.summary
    assert "--base" not in run.stdout  # a push has no base: everything is linted


def test_summary_is_appended_not_overwritten(
    workspace: Path, runner_files: dict[str, Path], migcheck_bin: Path
) -> None:
    runner_files["summary"].write_text("## Earlier step\n")
    run = lint(workspace, runner_files, migcheck_bin)
    assert run.summary.startswith("## Earlier step\n### migcheck\n")


def test_sarif_file_and_fail_on_never(
    workspace: Path, runner_files: dict[str, Path], migcheck_bin: Path
) -> None:
    run = lint(workspace, runner_files, migcheck_bin, **{"sarif-file": "results.sarif", "fail-on": "never"})
    assert run.code == 0
    assert run.outputs["exit-code"] == "0" and run.outputs["errors"] == "2"
    assert run.outputs["sarif-file"] == "results.sarif"
    log = json.loads((workspace / "results.sarif").read_text())
    assert (
        log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == FAILING
    )


def test_summary_and_annotations_can_be_turned_off(
    workspace: Path, runner_files: dict[str, Path], migcheck_bin: Path
) -> None:
    run = lint(workspace, runner_files, migcheck_bin, summary="false", annotations="false")
    assert run.code == 1
    assert run.summary == ""
    assert not any(line.startswith("::") for line in run.stdout.splitlines())
    assert f"{FAILING}:18  create-index-not-concurrently" in run.stdout  # the text report instead
    assert run.outputs["findings"] == "3"


def test_args_are_split_like_a_shell_and_path_is_honoured(
    workspace: Path, runner_files: dict[str, Path], migcheck_bin: Path
) -> None:
    run = lint(
        workspace,
        runner_files,
        migcheck_bin,
        path="migrations/versions",
        args="--ignore 'drop-index-not-concurrently' --ignore=add-not-null-column-without-default",
    )
    assert run.outputs["findings"] == "1" and run.outputs["warnings"] == "0"
    assert "lint migrations/versions --fail-on error" in run.stdout


def test_clean_project(workspace: Path, runner_files: dict[str, Path], migcheck_bin: Path) -> None:
    run = lint(workspace, runner_files, migcheck_bin, path="migrations/versions/0001_create_orders.py")
    assert run.code == 0
    assert run.outputs["findings"] == "0" and run.outputs["exit-code"] == "0"
    assert "✅ **No problems found** (1 revision in 1 file)." in run.summary


def test_bad_input_fails_with_one_error_and_says_so_in_the_summary(
    workspace: Path, runner_files: dict[str, Path], migcheck_bin: Path
) -> None:
    run = lint(workspace, runner_files, migcheck_bin, path="no/such/dir")
    assert run.code == 2
    assert run.outputs == {"exit-code": "2"}
    assert "migcheck: error: path not found: no/such/dir" in run.stdout
    assert "::error title=migcheck::migcheck could not run (exit code 2)" in run.stdout
    assert "migcheck could not run (exit code 2)" in run.summary


def test_unbalanced_quote_in_args_is_a_clear_error(
    workspace: Path, runner_files: dict[str, Path], migcheck_bin: Path
) -> None:
    run = lint(workspace, runner_files, migcheck_bin, args="--ignore 'drop-column")
    assert run.code == 2 and "cannot split args" in run.stdout


# -- base: the command line the step builds --------------------------------------------------------


def _argv(recorded: Path) -> list[str]:
    return list(json.loads(recorded.read_text()))


def _checkout(tmp_path: Path) -> Path:
    """Like actions/checkout with fetch-depth 0: a clone on a detached HEAD, main only as origin/main."""
    upstream = make_repo(tmp_path / "upstream", copy=PROJECT)
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(upstream), str(clone))
    git(clone, "checkout", "-q", "--detach")
    git(clone, "branch", "-q", "-D", "main")
    return clone


def test_pull_request_defaults_base_to_the_base_branch(
    tmp_path: Path, runner_files: dict[str, Path], recorder: Path
) -> None:
    clone = _checkout(tmp_path)
    record = tmp_path / "argv.json"
    run = run_step(
        "lint",
        clone,
        runner_files,
        {"sarif-file": "out.sarif"},
        event="pull_request",
        step_outputs={"install": {"migcheck": str(recorder), "python": sys.executable}},
        extra_env={"RECORD_ARGV": str(record)},
    )
    assert run.code == 0, run.stdout
    argv = _argv(record)
    report = next(a for a in argv if a.startswith("json:"))
    summary = next(a for a in argv if a.startswith("markdown:"))
    assert argv == [
        "lint",
        ".",
        "--fail-on",
        "error",
        "--format",
        report,
        "--format",
        "github",
        "--format",
        summary,
        "--format",
        "sarif:out.sarif",
        "--base",
        "origin/main",
    ]


def test_explicit_base_and_push_without_base(
    tmp_path: Path, runner_files: dict[str, Path], recorder: Path
) -> None:
    clone = _checkout(tmp_path)
    record = tmp_path / "argv.json"
    head = git(clone, "rev-parse", "HEAD")
    common = {
        "step_outputs": {"install": {"migcheck": str(recorder), "python": sys.executable}},
        "extra_env": {"RECORD_ARGV": str(record)},
    }
    run_step("lint", clone, runner_files, {"base": head, "args": "--dialect mysql"}, **common)
    argv = _argv(record)
    assert argv[-4:] == ["--base", head, "--dialect", "mysql"]
    run_step("lint", clone, runner_files, {"base": "release/9"}, **common)
    assert _argv(record)[-2:] == ["--base", "release/9"]  # unknown: passed on, migcheck explains
    run_step("lint", clone, runner_files, {}, event="push", **common)
    assert "--base" not in _argv(record)


# -- the install step ------------------------------------------------------------------------------


def test_install_rejects_a_version_it_cannot_read(tmp_path: Path, runner_files: dict[str, Path]) -> None:
    run = run_step(
        "install",
        tmp_path,
        runner_files,
        {"version": "latest-please"},
        step_outputs={"python": {"python-path": sys.executable}},
    )
    assert run.code == 2
    assert "version 'latest-please' is neither a release" in run.stdout
    assert run.stdout.count("::error") == 1
    assert not (runner_files["temp"] / "migcheck-venv").exists()


def _source_copy(tmp_path: Path) -> Path:
    """The action's checkout as `uses:` would get it (without tests and fixtures, to keep it quick)."""
    copy = tmp_path / "action-src"
    shutil.copytree(ROOT, copy, ignore=SNAPSHOT_IGNORE)
    return copy


def _pinned_commit_download(tmp_path: Path) -> tuple[Path, str]:
    """The action as `uses: OWNER/migcheck@<sha>` gets it: a tag-less commit, downloaded as its tree.

    The runner fetches the commit's archive (no .git) into a directory of its own; here the
    action's files are committed to a fresh repository without tags and `git archive`d.
    """
    repo, sha = tagless_commit(ROOT, tmp_path / "action-repo")
    download = tmp_path / "_actions" / "acme" / "migcheck" / sha
    download.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(repo), "archive", "--format=tar", sha],
                             check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(download)], input=archive, check=True)
    return download, sha


@pytest.mark.slow
def test_action_runs_from_a_tagless_pinned_commit_without_a_release(
    tmp_path: Path, runner_files: dict[str, Path], workspace: Path
) -> None:
    """Default inputs (`version` empty): key, install and lint steps of a copy of the action, run
    from where the runner puts a pinned commit; only the package registry is used, for dependencies."""
    action, _sha = _pinned_commit_download(tmp_path)
    python = {"python": {"python-path": sys.executable}}
    keyed = run_step("key", workspace, runner_files, step_outputs=python, action_path=action)
    assert keyed.code == 0, keyed.stdout
    key, venv = keyed.outputs["key"], keyed.outputs["venv"]
    assert key.startswith("migcheck-venv-") and venv == str(runner_files["temp"] / "migcheck-venv")

    steps = {**python, "key": {"key": key, "venv": venv}}
    installed = run_step("install", workspace, runner_files, step_outputs=steps, action_path=action)
    assert installed.code == 0, installed.stdout
    assert f"Installing {action} (from the action's checkout)" in installed.stdout
    assert "alembic-migcheck 0.1.0" in installed.stdout  # `migcheck --version` names the distribution
    assert Path(installed.outputs["migcheck"]).parent.parent == Path(venv)

    ran = run_step("lint", workspace, runner_files, action_path=action, step_outputs={
        "install": {"migcheck": installed.outputs["migcheck"], "python": installed.outputs["python"]}})
    assert ran.code == 1, ran.stdout
    assert ran.outputs["findings"] == "3" and ran.outputs["exit-code"] == "1"
    assert any(line.startswith("::error file=" + FAILING) for line in ran.stdout.splitlines()), ran.stdout
    assert "migcheck" in ran.summary

    # The next run of the same pinned commit restores the virtualenv (actions/cache) and installs nothing.
    again = run_step("install", workspace, runner_files, step_outputs=steps, action_path=action)
    assert again.code == 0, again.stdout
    assert f"Using the cached virtualenv ({key})" in again.stdout and "Installing" not in again.stdout


def test_cache_key_follows_the_actions_code(tmp_path: Path, runner_files: dict[str, Path]) -> None:
    """Same code, same key; changed code or a PyPI install: another key or none."""
    action = _source_copy(tmp_path)
    python = {"python": {"python-path": sys.executable}}

    def key(**inputs: str) -> str:
        runner_files["output"].write_text("")
        run = run_step("key", tmp_path, runner_files, inputs, step_outputs=python, action_path=action)
        assert run.code == 0, run.stdout
        return run.outputs["key"]

    first = key()
    assert first == key() and first.startswith("migcheck-venv-")
    (action / "src" / "migcheck" / "cli.py").write_text(
        (action / "src" / "migcheck" / "cli.py").read_text() + "\n# changed\n")
    assert key() not in ("", first)
    assert key(version="0.1.0") == ""  # a PyPI requirement is not cached under the action's code


def test_a_release_missing_from_the_registry_is_one_clear_error(
    tmp_path: Path, runner_files: dict[str, Path]
) -> None:
    """`version: 99.0.0` when no such release exists: one `::error` line that says what to do."""
    empty = tmp_path / "empty-index"
    empty.mkdir()
    run = run_step(
        "install", tmp_path, runner_files, {"version": "99.0.0"},
        step_outputs={"python": {"python-path": sys.executable}},
        extra_env={"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(empty)},  # a registry without the release
    )
    assert run.code == 2
    errors = [line for line in run.stdout.splitlines() if line.startswith("::error")]
    assert errors == ["::error title=migcheck::alembic-migcheck has no release matching '99.0.0' on PyPI; "
                      "leave version: empty to run the action's own checkout (the commit you pinned)"]
    assert "Traceback" not in run.stdout
    assert not (runner_files["temp"] / "migcheck-venv").exists()


@pytest.mark.slow
def test_install_pins_the_pypi_package_to_the_version_input(
    tmp_path: Path, runner_files: dict[str, Path]
) -> None:
    """``version: 0.1.0`` installs ``alembic-migcheck==0.1.0``; a wheel built here stands in for PyPI's."""
    wheels = tmp_path / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "-w",
            str(wheels),
            str(_source_copy(tmp_path)),
        ],
        check=True,
    )
    (wheel,) = wheels.glob("alembic_migcheck-*.whl")
    version = wheel.name.split("-")[1]
    links = " ".join(filter(None, [str(wheels), os.environ.get("PIP_FIND_LINKS", "")]))
    run = run_step(
        "install",
        tmp_path,
        runner_files,
        {"version": f"v{version}"},
        step_outputs={"python": {"python-path": sys.executable}},
        extra_env={"PIP_FIND_LINKS": links},
    )
    assert run.code == 0, run.stdout
    assert f"Installing alembic-migcheck=={version}" in run.stdout
    assert f"migcheck {version}" in run.stdout


def test_pull_request_run_with_the_real_base_lints_only_what_the_branch_adds(
    tmp_path: Path, runner_files: dict[str, Path], migcheck_bin: Path
) -> None:
    """End to end: the action's lint step, the real migcheck, a real clone whose base is origin/main."""
    upstream = make_repo(tmp_path / "upstream", copy=PROJECT)  # main already holds 0002's old findings
    git(upstream, "checkout", "-q", "-b", "feature")
    (upstream / "migrations" / "versions" / "0003_drop_note.py").write_text(
        '"""drop orders.note"""\nfrom alembic import op\n\nrevision = "0003"\ndown_revision = "0002"\n\n\n'
        'def upgrade():\n    op.drop_column("orders", "note")\n\n\ndef downgrade():\n    pass\n'
    )
    git(upstream, "add", "-A")
    git(upstream, "commit", "-q", "-m", "drop note")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--branch", "feature", str(upstream), str(clone))
    git(clone, "checkout", "-q", "--detach")

    run = run_step(
        "lint", clone, runner_files, event="pull_request",
        step_outputs={"install": {"migcheck": str(migcheck_bin), "python": sys.executable}},
    )
    assert run.code == 1, run.stdout
    annotations = [line for line in run.stdout.splitlines() if line.startswith("::")]
    files = {a.split("file=")[1].split(",")[0] for a in annotations}
    assert files == {"migrations/versions/0003_drop_note.py"}  # 0002's findings are main's, not the PR's
    assert any(a.startswith("::error") and "drop-column" in a for a in annotations)
    assert run.outputs["errors"] == "1"
