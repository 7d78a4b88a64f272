"""Helpers for tests that run ``migcheck verify`` as a real subprocess and signal it.

They only ever look at what their own subprocess created: the servers are
shared with other test runs, which create ``migcheck_*`` databases of their own.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import ROOT


def start_verify(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """``python -m migcheck verify ARGS`` with SIGINT handled normally in the child.

    A test runner started as a background job ignores SIGINT, and children
    inherit that (POSIX); migcheck respects an inherited SIG_IGN like any CLI,
    so the test puts the default disposition back for the child it signals.
    """
    return subprocess.Popen(
        [sys.executable, "-m", "migcheck", "verify", *args],
        env={**os.environ, "PYTHONPATH": str(ROOT / "src"), **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def wait_for(predicate: object, proc: subprocess.Popen[str], timeout: float = 60.0) -> None:
    """Poll ``predicate()`` until true; fail with the process output if it exits or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        if proc.poll() is not None:
            out, err = proc.communicate()
            raise AssertionError(f"verify ended early ({proc.returncode}): {err}{out}")
        time.sleep(0.05)
    proc.kill()
    out, err = proc.communicate()
    raise AssertionError(f"timed out waiting; verify said: {err}{out}")


def own_scratch_databases(url: str, pid: int) -> set[str]:
    """The scratch databases the migcheck process ``pid`` made on a shared server.

    PostgreSQL: migcheck's database comment names its pid. MariaDB: the sessions
    whose client port belongs to that process.
    """
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "postgresql":
                rows = conn.exec_driver_sql(
                    "SELECT datname, shobj_description(oid, 'pg_database') FROM pg_database "
                    "WHERE left(datname, 9) = 'migcheck_'"
                ).all()
                found = set()
                for name, comment in rows:
                    try:
                        mark = json.loads(comment or "{}")
                    except ValueError:
                        continue
                    if str(mark.get("migcheck", "")).split()[:1] == [str(pid)]:
                        found.add(name)
                return found
            import psutil

            ports = {c.laddr.port for c in psutil.Process(pid).net_connections("tcp") if c.laddr}
            rows = conn.exec_driver_sql(
                "SELECT db, host FROM information_schema.processlist WHERE db LIKE 'migcheck%%'"
            ).all()
            return {db for db, host in rows if host and host.rsplit(":", 1)[-1].isdigit()
                    and int(host.rsplit(":", 1)[-1]) in ports}
    finally:
        engine.dispose()


def database_exists(url: str, name: str) -> bool:
    from migcheck.live.provision import list_scratch_databases, parse_url

    return name in list_scratch_databases(parse_url(url))


def postgres_under(path: Path) -> list[int]:
    """Pids of ``postgres`` processes whose command line or working directory is under ``path``."""
    import psutil

    pids = []
    for proc in psutil.process_iter(attrs=["name", "cmdline", "cwd"], ad_value=None):
        if proc.info["name"] != "postgres":
            continue
        parts = [*(proc.info["cmdline"] or []), proc.info["cwd"] or ""]
        if any(str(path) in part for part in parts):
            pids.append(proc.pid)
    return pids


def slow_revision(tmp_path: Path, upgrade_sql: str | None = None) -> Path:
    """A versions dir whose one revision writes ``$MIGCHECK_TEST_MARKER`` and then takes a minute.

    With ``upgrade_sql`` the minute is spent in the server (``SELECT pg_sleep(60)``), else in Python.
    """
    versions = tmp_path / "versions"
    versions.mkdir()
    wait = f"op.execute({upgrade_sql!r})" if upgrade_sql else "time.sleep(60)"
    (versions / "0001_slow.py").write_text(
        "import os\nimport time\nfrom pathlib import Path\n\nfrom alembic import op\n\n"
        'revision = "0001"\ndown_revision = None\n\n\n'
        "def upgrade():\n"
        '    op.execute("CREATE TABLE slow (id integer)")\n'
        '    Path(os.environ["MIGCHECK_TEST_MARKER"]).write_text("started")\n'
        f"    {wait}\n\n\n"
        "def downgrade():\n"
        '    op.execute("DROP TABLE slow")\n',
        encoding="utf-8",
    )
    return versions
