"""pytest-alembic parity items: empty history, async URLs, databases created by migrations, several heads."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from conftest import FIXTURES, run_cli


def test_empty_history_is_exit_0_with_a_note(tmp_path: Path) -> None:
    (tmp_path / "versions").mkdir()
    run = run_cli("verify", tmp_path / "versions", "--db-url", "postgresql://postgres@127.0.0.1:5432/postgres")
    assert run.exit_code == 0, run.stderr
    assert "nothing to verify" in run.stdout
    assert run.stdout.strip().endswith("No problems found (0 revisions: 0 checked, 0 failed, 0 skipped).")


def test_async_url_runs_on_the_sync_driver(postgres_service_url: str) -> None:
    url = postgres_service_url.replace("+psycopg2", "+asyncpg")
    run = run_cli("verify", FIXTURES / "verify" / "clean", "--db-url", url, "-f", "json")
    assert run.exit_code == 0, run.stderr
    assert any("async driver asyncpg" in n for n in run.json()["verify"]["notes"])


def test_async_env_py_under_use_env_is_refused_in_one_line(postgres_service_url: str, tmp_path: Path) -> None:
    import shutil

    project = tmp_path / "clean"
    shutil.copytree(FIXTURES / "verify" / "clean", project)
    env = project / "migrations" / "env.py"
    env.write_text("from sqlalchemy.ext.asyncio import async_engine_from_config\n" + env.read_text(), encoding="utf-8")
    run = run_cli("verify", project, "--use-env", "--db-url", postgres_service_url)
    assert run.exit_code == 2
    assert "async engine" in run.stderr and len(run.stderr.strip().splitlines()) == 1


def test_several_heads_get_a_note(postgres_service_url: str, write_revision: Any, tmp_path: Path) -> None:
    write_revision("a.py", 'revision = "a"\ndown_revision = None\ndef upgrade(): pass\ndef downgrade(): pass\n')
    write_revision("b.py", 'revision = "b"\ndown_revision = "a"\ndef upgrade(): pass\ndef downgrade(): pass\n')
    write_revision("c.py", 'revision = "c"\ndown_revision = "a"\ndef upgrade(): pass\ndef downgrade(): pass\n')
    run = run_cli("verify", tmp_path / "versions", "--db-url", postgres_service_url, "-f", "json")
    assert any("2 heads (b, c)" in n and "multiple-heads" in n for n in run.json()["verify"]["notes"])


def test_mariadb_drops_the_databases_the_migrations_created(
    mariadb_service_url: str, write_revision: Any, tmp_path: Path
) -> None:
    from sqlalchemy import create_engine, text

    name = "mc_side_" + secrets.token_hex(4)
    write_revision("a.py", f'''
        from alembic import op

        revision = "a"
        down_revision = None


        def upgrade():
            op.execute("CREATE DATABASE {name}")


        def downgrade():
            pass
    ''')
    run = run_cli("verify", tmp_path / "versions", "--db-url", mariadb_service_url, "-f", "json")
    assert run.exit_code == 1  # the downgrade leaves the database: the second upgrade fails
    engine = create_engine(mariadb_service_url)
    try:
        with engine.connect() as conn:
            names = {r[0] for r in conn.execute(text("SHOW DATABASES"))}
    finally:
        engine.dispose()
    assert name not in names


def _rev(rev: str, parent: str | None, extra: str = "", table: str = "t") -> str:
    return f'''
        import sqlalchemy as sa
        from alembic import op
        {extra}

        revision = "{rev}"
        down_revision = {parent!r}


        def upgrade():
            op.create_table("{table}", sa.Column("id", sa.Integer, primary_key=True))


        def downgrade():
            op.drop_table("{table}")
    '''


def test_revisions_that_import_the_application_are_named_and_the_rest_is_checked(
    postgres_service_url: str, write_revision: Any, tmp_path: Path
) -> None:
    write_revision("0001_a.py", _rev("0001", None, table="a"))
    write_revision("0002_app.py", _rev("0002", "0001", "from myapp_not_here.models import Base", table="b"))
    write_revision("0003_child.py", _rev("0003", "0002", table="c"))
    write_revision("0004_other.py", _rev("0004", "0001", table="d"))
    run = run_cli("verify", tmp_path / "versions", "--db-url", postgres_service_url, "-f", "json")
    assert run.exit_code == 0, run.stderr
    record = {s["revision"]: s for s in run.json()["verify"]["steps"]}
    assert record["0001"]["status"] == "ok" and record["0004"]["status"] == "ok"
    assert record["0002"]["status"] == "skipped"
    assert "0002_app.py:3: ModuleNotFoundError: No module named 'myapp_not_here'" in record["0002"]["note"]
    assert record["0003"]["note"] == "not run: 0002 cannot be imported here"
    notes = " ".join(run.json()["verify"]["notes"])
    assert "into the application's virtualenv" in notes
    counts = run.json()["summary"]["verify"]
    assert (counts["checked"], counts["skipped"]) == (2, 2)
