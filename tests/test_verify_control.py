"""verify is under the user's control like lint: config, --select/--ignore/--fail-on, inline comments, quiet env.py."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import FIXTURES, Run, findings_of, run_cli

LOCK_REWRITE = FIXTURES / "verify" / "lock_rewrite"


def copy_project(tmp_path: Path, name: str = "lock_rewrite") -> Path:
    target = tmp_path / name
    shutil.copytree(FIXTURES / "verify" / name, target)
    return target


def verify_json(project: Path, url: str, *args: str) -> Run:
    run = run_cli("verify", project, "--db-url", url, "-f", "json", *args)
    assert run.exit_code in (0, 1), run.stderr
    return run


def test_config_ignore_severity_and_fail_on(postgres_service_url: str, tmp_path: Path) -> None:
    project = copy_project(tmp_path)
    (project / "pyproject.toml").write_text(
        '[tool.migcheck]\nignore = ["missing-lock-timeout"]\nfail-on = "never"\n'
        '[tool.migcheck.severity]\ntable-rewrite = "warning"\n',
        encoding="utf-8",
    )
    run = verify_json(project, postgres_service_url)
    assert run.exit_code == 0  # fail-on never
    assert run.rules() == ["table-rewrite"]
    assert findings_of(run, "table-rewrite")[0]["severity"] == "warning"
    # the command line wins over the config
    strict = verify_json(project, postgres_service_url, "--fail-on", "warning")
    assert strict.exit_code == 1
    only = verify_json(project, postgres_service_url, "--no-config", "--select", "missing-lock-timeout")
    assert only.rules() == ["missing-lock-timeout"]


def test_unknown_rule_in_select_is_one_line(postgres_service_url: str) -> None:
    run = run_cli("verify", LOCK_REWRITE, "--db-url", postgres_service_url, "--select", "table-rewrit")
    assert run.exit_code == 2
    assert run.stderr.startswith("migcheck: error:") and "table-rewrite" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1


def test_inline_suppression_on_the_op_line_and_lint_does_not_call_it_unused(
    postgres_service_url: str, tmp_path: Path
) -> None:
    project = copy_project(tmp_path)
    revision = project / "migrations" / "versions" / "0002_amount_bigint.py"
    text = revision.read_text(encoding="utf-8")
    text = text.replace(
        "existing_nullable=False)\n\n\ndef downgrade",
        "existing_nullable=False)  # migcheck: ignore[table-rewrite] -- orders has 40 rows\n\n\ndef downgrade",
        1,
    )
    revision.write_text(text, encoding="utf-8")
    run = verify_json(project, postgres_service_url)
    rewrite = findings_of(run, "table-rewrite")[0]
    assert rewrite["suppressed"] is True and rewrite["suppression_reason"] == "orders has 40 rows"
    assert "table-rewrite" not in run.rules()
    lint = run_cli("lint", project, "-f", "json", "--no-config")
    assert "unused-suppression" not in lint.rules()


def test_use_env_output_goes_to_the_log_file_or_nowhere_under_quiet(
    postgres_service_url: str, tmp_path: Path
) -> None:
    project = copy_project(tmp_path, "clean")
    ini = project / "alembic.ini"
    text = ini.read_text(encoding="utf-8").replace("[loggers]\nkeys = root", "[loggers]\nkeys = root,alembic")
    ini.write_text(text + "\n[logger_alembic]\nlevel = INFO\nhandlers =\nqualname = alembic\n", encoding="utf-8")
    log = tmp_path / "env.log"
    run = run_cli("verify", project, "--use-env", "--db-url", postgres_service_url, "--env-log", log)
    assert run.exit_code == 0, run.stderr
    assert "Running upgrade" not in run.stderr and "INFO" not in run.stderr
    assert "Running upgrade  -> 0001" in log.read_text(encoding="utf-8")
    assert f"note: the output of env.py and the migrations (--use-env) is in {log}" in run.stdout
    quiet = run_cli("verify", project, "--use-env", "--db-url", postgres_service_url, "-q")
    assert quiet.stderr == ""
    assert quiet.stdout.strip() == "No problems found (5 revisions: 5 checked, 0 failed, 0 skipped)."


@pytest.mark.parametrize("seed", ["0", "3"])
def test_no_sqlalchemy_warning_leaks(postgres_service_url: str, seed: str) -> None:
    run = run_cli("verify", FIXTURES / "verify" / "full_cycle", "--db-url", postgres_service_url, "-q",
                  "--seed-rows", seed)
    assert "Warning" not in run.stderr, run.stderr
