"""Bad input: one clear line and a non-zero exit, never a traceback; and lint never runs a migration."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT, findings_of, run_cli


def test_broken_files_become_findings_and_the_rest_is_still_linted() -> None:
    run = run_cli("lint", FIXTURES / "broken", "--format", "json")
    assert run.exit_code == 1
    invalid = {f["path"].rsplit("/", 1)[-1]: f for f in findings_of(run, "invalid-migration-file")}
    assert invalid["b2_syntax_error.py"]["line"] == 8
    assert invalid["b2_syntax_error.py"]["message"].startswith("syntax error")
    assert "decode" in invalid["c3_latin1.py"]["message"]
    assert invalid["d4_computed_id.py"]["line"] == 2
    assert "string literal" in invalid["d4_computed_id.py"]["message"]
    # the good file next to them is still checked
    assert [f["path"].rsplit("/", 1)[-1] for f in findings_of(run, "drop-column")] == ["e5_fine.py"]


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="Python 3.12 (PEP 701) parses the nested quotes")
def test_an_f_string_of_a_newer_python_says_so(tmp_path: Path) -> None:
    """held-out-20 #77: an f-string nesting its own quotes is valid from Python 3.12; under 3.10-3.11 the
    message says the file needs a newer Python, not only that it is broken."""
    versions = tmp_path / "versions"
    versions.mkdir()
    (versions / "a1_new_python.py").write_text(
        'revision = "a1"\ndown_revision = None\n\n\ndef upgrade():\n'
        '    name = f"{",".join(["a", "b"])}"\n', encoding="utf-8")
    run = run_cli("lint", versions, "--format", "json")
    [finding] = findings_of(run, "invalid-migration-file")
    assert finding["message"].startswith("syntax error: f-string")
    assert "needs Python 3.12+ to parse" in finding["message"]


def test_missing_path_is_one_line_and_exit_2() -> None:
    run = run_cli("lint", "no/such/dir")
    assert run.exit_code == 2
    assert run.stderr.strip() == "migcheck: error: path not found: no/such/dir"
    assert run.stdout == ""


def test_alembic_ini_without_script_location() -> None:
    run = run_cli("lint", FIXTURES / "discovery" / "no-script-location")
    assert run.exit_code == 2
    assert "has no script_location" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1


def test_unknown_rule_names_the_closest(tmp_path: Path) -> None:
    run = run_cli("lint", tmp_path, "--select", "drop-colum")
    assert run.exit_code == 2
    assert "did you mean 'drop-column'?" in run.stderr


def test_not_a_migration_file(tmp_path: Path) -> None:
    target = tmp_path / "notes.txt"
    target.write_text("hello")
    run = run_cli("lint", target)
    assert run.exit_code == 2
    assert "not a migration file" in run.stderr


def test_lint_never_executes_a_migration(tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(FIXTURES / "never-executed", project)
    before = sorted(p.name for p in (project / "versions").iterdir())
    run = run_cli("lint", project, "--format", "json")
    # The module raises and writes EXECUTED.txt on import; linting must do neither.
    assert not (project / "versions" / "EXECUTED.txt").exists()
    assert sorted(p.name for p in (project / "versions").iterdir()) == before
    assert "drop-table" in run.rules()


def test_lint_path_imports_neither_alembic_nor_sqlalchemy() -> None:
    code = (
        "import sys\n"
        "from migcheck.cli import main\n"
        "sys.argv = ['migcheck', 'lint', {!r}, '--fail-on', 'never', '-q']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('alembic', 'sqlalchemy'))\n"
        "print('HEAVY', heavy)\n"
    ).format(str(FIXTURES / "demo"))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert "HEAVY []" in out.stdout


def test_lint_reads_the_application_models_without_importing_them(tmp_path: Path) -> None:
    """env.py and the models write a file and raise when imported; lint reads them by AST only."""
    project = tmp_path / "project"
    shutil.copytree(FIXTURES / "never-executed-app", project)
    code = (
        "import sys\n"
        "from migcheck.cli import main\n"
        f"sys.argv = ['migcheck', 'lint', {str(project)!r}, '--fail-on', 'never', '--format', 'json',"
        " '--extend-select', 'model-not-in-migrations']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('alembic', 'sqlalchemy', 'tripwire_app'))\n"
        "print('HEAVY', heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, check=True)
    assert "HEAVY []" in out.stdout
    assert not list(project.rglob("*EXECUTED.txt"))
    # the models were read all the same: the column dropped in 0001 is still mapped at HEAD
    assert '"still-mapped-at-head"' not in out.stdout  # created in the same revision: nothing runs on it
    assert '"model-not-in-migrations"' in out.stdout and "accounts.legacy_flag is mapped" in out.stdout


def test_real_entry_point_runs(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "migcheck", "lint", str(FIXTURES / "rules" / "drop-table" / "bad")],
        capture_output=True, text=True, cwd=tmp_path,
    )
    assert out.returncode == 1
    assert "drop-table" in out.stdout
    assert "Traceback" not in out.stderr


def test_a_broken_revision_in_a_version_location_of_any_name_is_reported(tmp_path: Path) -> None:
    """Review: a revision that names itself `revision, down_revision = "b1", "a1"` in `migrations/alpha/` (a
    version_locations folder not called versions) passed silently once non-revision files were skipped."""
    (tmp_path / "alembic.ini").write_text(
        "[alembic]\nscript_location = migrations\nversion_locations = %(here)s/migrations/alpha\n")
    alpha = tmp_path / "migrations" / "alpha"
    alpha.mkdir(parents=True)
    (tmp_path / "migrations" / "env.py").write_text("from alembic import context\n")
    (alpha / "b1.py").write_text('from alembic import op\nrevision, down_revision = "b1", None\n\n\n'
                                 'def upgrade():\n    op.drop_table("users")\n    op.execute("DROP TABLE orders"\n')
    run = run_cli("lint", tmp_path, "--format", "json", "--no-config")
    assert run.exit_code == 1
    [finding] = findings_of(run, "invalid-migration-file")
    assert finding["path"].endswith("b1.py")
