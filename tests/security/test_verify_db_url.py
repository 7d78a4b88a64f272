"""verify --db-url on a shared server: only its own database, nothing left behind, honest messages.

Threat model (docs/security.md, "verify on a shared host"): the server and the
machine are shared; verify must never be steered to another host, never leak
the password it was given, and never leave a scratch database behind, whatever
signal arrives when.
"""

from __future__ import annotations

import json
import re
import secrets
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import FIXTURES, run_cli
from livehelpers import database_exists, own_scratch_databases, slow_revision, start_verify, wait_for

CLEAN = FIXTURES / "verify" / "clean"
REFUSED = "refusing to create a scratch database on the non-local host"


@pytest.mark.parametrize(
    ("url", "env"),
    [
        ("postgresql://postgres@127.0.0.1:5432/postgres?hostaddr=192.0.2.1&connect_timeout=1", {}),
        ("postgresql://postgres@localhost:5432/postgres?host=192.0.2.1&connect_timeout=1", {}),
        ("postgresql://postgres@/postgres?host=/tmp&host=192.0.2.1&connect_timeout=1", {}),
        ("postgresql://postgres@/postgres?host=127.0.0.1,192.0.2.1&connect_timeout=1", {}),
        ("postgresql://postgres@/postgres?connect_timeout=1", {"PGHOST": "192.0.2.1"}),
        ("postgresql://postgres@/postgres?connect_timeout=1", {"PGHOSTADDR": "192.0.2.1"}),
        ("postgresql://postgres@/postgres?service=prod&connect_timeout=1", {}),
        ("postgresql://postgres@/postgres?connect_timeout=1", {"PGSERVICE": "prod"}),
        ("mysql://root@127.0.0.1:3306/mysql?read_default_file=/nonexistent/my.cnf&connect_timeout=1", {}),
    ],
    ids=["hostaddr", "query-host", "two-host-params", "host-list", "PGHOST", "PGHOSTADDR", "service",
         "PGSERVICE", "mysql-option-file"],
)
def test_allow_remote_judges_where_the_driver_really_connects(url: str, env: dict[str, str]) -> None:
    run = run_cli("verify", CLEAN, "--db-url", url, env=env)
    assert run.exit_code == 2, run.stderr
    assert run.stderr.startswith(f"migcheck: error: {REFUSED}")
    assert len(run.stderr.strip().splitlines()) == 1


def test_local_conninfo_stays_allowed() -> None:
    from migcheck.live.provision import is_local, parse_url

    assert is_local(parse_url("postgresql://u@/db?host=/var/run/postgresql"))
    assert is_local(parse_url("postgresql://u@/db?host=127.0.0.1,localhost&hostaddr=127.0.0.1,::1"))
    assert is_local(parse_url("mysql://root@db.example.com/x?unix_socket=/run/mysqld/mysqld.sock"))
    assert not is_local(parse_url("mysql://root@db.example.com/x"))


@pytest.mark.parametrize(
    "url", ["postgresql://admin:s3cretPW@db.example.com:notaport/x", "postgres ql://admin:s3cretPW@h/x"]
)
def test_a_malformed_db_url_is_echoed_without_its_password(url: str) -> None:
    run = run_cli("verify", CLEAN, "--db-url", url)
    assert run.exit_code == 2
    assert run.stderr.startswith("migcheck: error: not a database URL:")
    assert "s3cretPW" not in run.stderr and "admin:***@" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1


def test_ctrl_c_cancels_the_running_statement(postgres_service_url: str, tmp_path: Path) -> None:
    """An interrupt during ``pg_sleep(60)`` answers at once instead of after the statement."""
    project = slow_revision(tmp_path, "SELECT pg_sleep(60)")
    marker = tmp_path / "started"
    proc = start_verify(str(project), "--db-url", postgres_service_url,
                        env={"MIGCHECK_TEST_MARKER": str(marker)})  # fmt: skip
    try:
        wait_for(marker.exists, proc)
        mine = own_scratch_databases(postgres_service_url, proc.pid)
        time.sleep(0.5)  # the statement is running in the server now
        proc.send_signal(signal.SIGINT)
        try:  # a deadline, not a timing: an interrupt that waited for the statement would answer after 60 s
            _, err = proc.communicate(timeout=50)
        except subprocess.TimeoutExpired:
            pytest.fail("the interrupt waited for the statement")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    (name,) = mine
    assert f"interrupted; the scratch database {name} was dropped" in err
    assert not database_exists(postgres_service_url, name)


def test_signal_during_create_database_leaves_nothing(embedded_pg_url: str, tmp_path: Path) -> None:
    """CREATE DATABASE blocked (a lock on the template): the interrupt cancels it and nothing remains.

    Runs on the test session's private embedded server: holding a lock on
    template1 of the shared server would stall everybody's CREATE DATABASE.
    """
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    blocker = create_engine(embedded_pg_url, poolclass=NullPool)
    with blocker.connect() as hold:
        hold.execute(text("COMMENT ON DATABASE template1 IS 'held by a test'"))  # lock held until rollback
        proc = start_verify(str(CLEAN), "--db-url", embedded_pg_url)
        waiting: list[str] = []

        def create_is_waiting() -> bool:
            with blocker.connect() as conn:
                rows = conn.execute(text(
                    "SELECT query FROM pg_stat_activity WHERE query LIKE 'CREATE DATABASE%' "
                    "AND wait_event_type = 'Lock'"
                )).all()  # fmt: skip
            waiting[:] = [r[0] for r in rows]
            return bool(rows)

        try:
            wait_for(create_is_waiting, proc)
            name = re.search(r'"(migcheck_[0-9a-f]{12})"', waiting[0]).group(1)  # type: ignore[union-attr]
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=10)  # while the lock is still held
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        hold.rollback()
    blocker.dispose()
    assert proc.returncode == 130, err
    assert f"interrupted; the scratch database {name} was never created" in err
    time.sleep(0.5)
    assert not database_exists(embedded_pg_url, name)


def test_after_sigkill_the_next_run_drops_the_marked_database(postgres_service_url: str, tmp_path: Path) -> None:
    project = slow_revision(tmp_path)
    marker = tmp_path / "started"
    proc = start_verify(str(project), "--db-url", postgres_service_url,
                        env={"MIGCHECK_TEST_MARKER": str(marker)})  # fmt: skip
    try:
        wait_for(marker.exists, proc)
        (name,) = own_scratch_databases(postgres_service_url, proc.pid)
        proc.kill()
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert database_exists(postgres_service_url, name)  # SIGKILL: nothing can clean up in that process
    run = run_cli("verify", CLEAN, "--db-url", postgres_service_url)
    assert run.exit_code == 0, run.stderr
    assert f"migcheck: note: dropped {name}, the scratch database of a migcheck run that was killed" in run.stderr
    assert not database_exists(postgres_service_url, name)


def test_a_live_run_s_database_is_never_swept(postgres_service_url: str, tmp_path: Path) -> None:
    project = slow_revision(tmp_path)
    marker = tmp_path / "started"
    proc = start_verify(str(project), "--db-url", postgres_service_url,
                        env={"MIGCHECK_TEST_MARKER": str(marker)})  # fmt: skip
    try:
        wait_for(marker.exists, proc)
        (name,) = own_scratch_databases(postgres_service_url, proc.pid)
        run = run_cli("verify", CLEAN, "--db-url", postgres_service_url)
        assert run.exit_code == 0, run.stderr
        assert name not in run.stderr
        assert database_exists(postgres_service_url, name)
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert not database_exists(postgres_service_url, name)


def test_ctrl_c_works_when_the_test_runner_ignores_sigint(postgres_service_url: str, tmp_path: Path) -> None:
    """A runner started in the background ignores SIGINT; the helper gives the child the default back."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        project = slow_revision(tmp_path)
        marker = tmp_path / "started"
        proc = start_verify(str(project), "--db-url", postgres_service_url,
                            env={"MIGCHECK_TEST_MARKER": str(marker)})  # fmt: skip
    finally:
        signal.signal(signal.SIGINT, previous)
    try:
        wait_for(marker.exists, proc)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err


def test_use_env_refuses_a_raw_dbapi_connection_elsewhere(postgres_service_url: str, tmp_path: Path) -> None:
    """env.py opening psycopg2.connect() to another database is stopped before it runs anything there."""
    import shutil

    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    project = tmp_path / "project"
    shutil.copytree(FIXTURES / "verify" / "env_var_url", project)
    table = f"raw_{secrets.token_hex(4)}"
    (project / "migrations" / "env.py").write_text(
        "import psycopg2\nfrom alembic import context\nfrom sqlalchemy import create_engine, pool\n\n"
        'raw = psycopg2.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres")\n'
        "raw.autocommit = True\n"
        f'raw.cursor().execute("CREATE TABLE {table} (id integer)")\n'
        'url = context.config.get_main_option("sqlalchemy.url")\n'
        "with create_engine(url, poolclass=pool.NullPool).connect() as connection:\n"
        "    context.configure(connection=connection)\n"
        "    with context.begin_transaction():\n"
        "        context.run_migrations()\n",
        encoding="utf-8",
    )
    run = run_cli("verify", project / "alembic.ini", "--db-url", postgres_service_url, "--use-env")
    engine = create_engine(postgres_service_url, poolclass=NullPool)
    with engine.connect() as conn:
        exists = conn.execute(text("SELECT to_regclass(:t) IS NOT NULL"), {"t": f"public.{table}"}).scalar()
        if exists:
            conn.execute(text(f"DROP TABLE {table}"))
            conn.commit()
    engine.dispose()
    assert run.exit_code == 2, run.stderr
    assert "--use-env: env.py connected to database 'postgres' on 127.0.0.1" in run.stderr
    assert not exists


def test_the_comment_names_the_process(postgres_service_url: str) -> None:
    """What the sweep relies on: the comment records pid, start time, host and boot id."""
    from migcheck.live.provision import parse_url, scratch_database

    with scratch_database(parse_url(postgres_service_url), "test") as scratch:
        from sqlalchemy import create_engine, text
        from sqlalchemy.pool import NullPool

        engine = create_engine(postgres_service_url, poolclass=NullPool)
        with engine.connect() as conn:
            comment = conn.execute(
                text("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = :n"),
                {"n": scratch.name},
            ).scalar()
        engine.dispose()
    import os

    mark = json.loads(comment)
    assert mark["migcheck"].split()[0] == str(os.getpid()) and mark["host"] and "boot" in mark


def test_after_sigkill_on_mariadb_the_next_run_names_the_database(mariadb_service_url: str, tmp_path: Path) -> None:
    """MySQL databases carry no comment: the leftover is named in one line, not dropped."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    project = slow_revision(tmp_path)
    marker = tmp_path / "started"
    proc = start_verify(str(project), "--db-url", mariadb_service_url,
                        env={"MIGCHECK_TEST_MARKER": str(marker)})  # fmt: skip
    try:
        wait_for(marker.exists, proc)
        (name,) = own_scratch_databases(mariadb_service_url, proc.pid)
        proc.kill()
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    try:
        engine = create_engine(mariadb_service_url, poolclass=NullPool)
        deadline = time.monotonic() + 10  # the server notices the dead client's session
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                if not conn.exec_driver_sql(
                    "SELECT 1 FROM information_schema.processlist WHERE db = %(n)s", {"n": name}
                ).first():
                    break
            time.sleep(0.2)
        engine.dispose()
        run = run_cli("verify", CLEAN, "--db-url", mariadb_service_url)
        assert run.exit_code == 0, run.stderr
        notes = [line for line in run.stderr.splitlines() if name in line]
        assert len(notes) == 1 and notes[0].startswith("migcheck: note: ")
        assert "remain on this server with nobody connected" in notes[0]
        assert database_exists(mariadb_service_url, name)  # named, never dropped: it may not be ours
    finally:
        engine = create_engine(mariadb_service_url, poolclass=NullPool)
        with engine.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")
        engine.dispose()
