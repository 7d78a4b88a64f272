"""Where the migrations run: a scratch database on an embedded, a Docker or an existing server.

Every path ends the same way: a uniquely named database ``migcheck_<random>``
that verify works in and drops at the end, on success, on failure, on Ctrl-C
and on SIGTERM. The database named in a ``--db-url`` is only used to issue
``CREATE DATABASE``/``DROP DATABASE``; nothing is written to it.

The name is chosen before ``CREATE DATABASE`` is sent and the cleanup always
runs ``DROP DATABASE IF EXISTS``, so a signal in any window leaves nothing. On
PostgreSQL the database carries a comment naming the migcheck process that
made it; a later run drops scratch databases whose process is gone (SIGKILL).
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from migcheck.guard.escape import one_line
from migcheck.live import LiveError, owner
from migcheck.live.cancel import cancel_on_interrupt
from migcheck.live.embedded import embedded_server
from migcheck.live.target import mask, url_target

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

__all__ = ["embedded_server"]

SCRATCH_PREFIX = "migcheck_"
SCRATCH_NAME = re.compile(r"migcheck_[0-9a-f]{12}")
DEFAULT_IMAGE = "postgres:16"


class Interrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM, after the cleanup; ``outcome`` says what the cleanup really did."""

    def __init__(self, outcome: str) -> None:
        super().__init__(outcome)
        self.outcome = outcome


@dataclass
class Scratch:
    """The scratch database verify works in."""

    url: URL
    dialect: str  # "postgresql", "mysql" or "sqlite"
    name: str
    #: What the user sees: "embedded PostgreSQL 18.6", "postgresql://postgres@127.0.0.1:5432".
    server: str
    #: Where CREATE/DROP DATABASE run: verify recreates the scratch database to restore a state.
    admin_url: URL | None = None


def dialect_of(url: URL) -> str:
    backend = url.get_backend_name()
    if backend in ("postgresql", "postgres"):
        return "postgresql"
    if backend in ("mysql", "mariadb"):
        return "mysql"
    if backend == "sqlite":
        return "sqlite"
    raise LiveError(f"verify supports PostgreSQL, MySQL/MariaDB and SQLite URLs, not {backend!r}")


def parse_url(text: str) -> URL:
    """A SQLAlchemy URL, with the drivers migcheck ships filled in (``postgres://`` accepted too)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        url = make_url(text)
    except (ArgumentError, ValueError):
        raise LiveError(
            f"not a database URL: {mask(text)!r} (expected e.g. postgresql://user@localhost/postgres)"
        ) from None
    if url.drivername in ("postgres", "postgresql"):
        url = url.set(drivername="postgresql+psycopg2")
    elif url.drivername in ("mysql", "mariadb"):
        url = url.set(drivername="mysql+pymysql")
    dialect_of(url)
    try:
        url.get_dialect()
    except NoSuchModuleError:
        raise LiveError(f"no SQLAlchemy driver {url.drivername!r} for {describe(url)}") from None
    return url


def refuse_remote(url: URL, allow_remote: bool) -> None:
    """A LiveError unless the host libpq or the driver will really use is this machine (or it is allowed)."""
    if allow_remote:
        return
    target = url_target(url)
    if not target.is_local():
        raise LiveError(
            "refusing to create a scratch database on the non-local host "
            f"{target.shown()!r}; pass --allow-remote if that server is meant for it"
        )


def is_local(url: URL) -> bool:
    """Does every address the driver will try (query ``host``/``hostaddr``, PG* variables) lie on this machine?"""
    return url_target(url).is_local()


def describe(url: URL) -> str:
    return url._replace(database=None).render_as_string(hide_password=True)


@contextlib.contextmanager
def provision(
    db_url: str | None, engine: str | None, image: str | None, allow_remote: bool
) -> Iterator[Scratch]:
    """The scratch database for one verify run, removed with everything provisioned for it.

    An interrupt comes out as :class:`Interrupted`, saying what the cleanup did.
    """
    if db_url is not None and engine is not None:
        raise LiveError("--db-url and --engine exclude each other: --db-url already names the server")
    outcome: list[str] = []
    _import_driver(db_url)
    try:
        with _signals_as_interrupt() as received, _scratch(db_url, engine, image, allow_remote, outcome) as scratch:
            if received:  # an interrupt whose KeyboardInterrupt library code swallowed: stop before the run
                raise KeyboardInterrupt
            yield scratch
            if received:  # ... or, swallowed during the run, stop with the interrupt all the same
                raise KeyboardInterrupt
    except Interrupted:
        raise
    except KeyboardInterrupt:
        raise Interrupted("; ".join(outcome) or "nothing had been created yet") from None


def _import_driver(db_url: str | None) -> None:
    """Import the database driver before interrupts are turned into KeyboardInterrupt.

    psycopg2's module initialisation (C code) clears an exception raised while it imports, so a
    SIGTERM that landed there was lost and the run went on (seen under load: issue #17's signal test).
    """
    from sqlalchemy.engine import make_url

    with contextlib.suppress(Exception):  # a bad URL or a missing driver is reported in one line later
        (parse_url(db_url) if db_url else make_url("postgresql+psycopg2://")).get_dialect().import_dbapi()


@contextlib.contextmanager
def _scratch(
    db_url: str | None, engine: str | None, image: str | None, allow_remote: bool, outcome: list[str]
) -> Iterator[Scratch]:
    """The scratch database on the engine asked for; ``outcome`` says what its cleanup did."""
    if db_url is not None and parse_url(db_url).get_backend_name() == "sqlite":
        with sqlite_scratch(outcome) as scratch:
            yield scratch
    elif db_url is not None:
        url = parse_url(db_url)
        refuse_remote(url, allow_remote)
        with scratch_database(url, describe(url), outcome) as scratch:
            yield scratch
    elif engine == "docker":
        running = False
        try:
            with docker_server(image or DEFAULT_IMAGE) as (url, label):
                running = True
                with scratch_database(url, label, outcome) as scratch:
                    yield scratch
        finally:
            outcome.append(
                "the container was removed" if running else "the container being started was removed"
            )
    elif engine in (None, "embedded"):
        if image is not None:
            raise LiveError(
                "--image is for --engine docker; the embedded engine is the wheel's PostgreSQL"
            )
        made = False
        try:
            with embedded_server() as url:
                made = True
                with scratch_database(url, "embedded server", outcome) as scratch:
                    yield scratch
        finally:
            outcome.append(
                "the embedded server was stopped and its files removed"
                if made
                else "the embedded server's unfinished files were removed"
            )
    else:
        raise LiveError(f"unknown engine {engine!r} (use embedded or docker)")


@contextlib.contextmanager
def sqlite_scratch(outcome: list[str] | None = None) -> Iterator[Scratch]:
    """A scratch SQLite file in a private temporary directory (0700), removed on every way out.

    The file the user's ``sqlite:///path`` names is never opened: like a server URL, it only says
    which engine to verify on.
    """
    import sqlite3

    from sqlalchemy.engine import URL

    folder = Path(tempfile.mkdtemp(prefix="migcheck-sqlite-"))
    try:
        path = folder / "scratch.sqlite"
        yield Scratch(URL.create("sqlite+pysqlite", database=str(path)), "sqlite", path.name,
                      f"SQLite {sqlite3.sqlite_version} (a scratch file)")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        if outcome is not None:
            outcome.append("the scratch SQLite file was removed")


@contextlib.contextmanager
def scratch_database(server_url: URL, label: str, outcome: list[str] | None = None) -> Iterator[Scratch]:
    """Create ``migcheck_<random>`` on the server, yield it, and drop it whatever happens.

    ``outcome`` receives one sentence saying what the cleanup did (for the interrupt message).
    """
    from sqlalchemy import create_engine
    from sqlalchemy.exc import DBAPIError

    outcome = [] if outcome is None else outcome
    dialect = dialect_of(server_url)
    name = SCRATCH_PREFIX + secrets.token_hex(6)  # chosen first: the cleanup drops it whatever happened
    # On MySQL the admin connection needs no database at all; on PostgreSQL it must name one, and
    # only CREATE/DROP DATABASE (cluster-level statements) run on it.
    admin_url = server_url._replace(database=None) if dialect == "mysql" else server_url
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=_null_pool())
    attempted = False
    failed: BaseException | None = None
    try:
        with cancel_on_interrupt(name) as canceller:
            try:
                with admin.connect() as conn:
                    version = conn.dialect.server_version_info or ()
                    for note in _drop_stale(conn, dialect):
                        print(f"migcheck: note: {one_line(note)}", file=sys.stderr)
                    charset = " CHARACTER SET utf8mb4" if dialect == "mysql" else ""
                    attempted = True
                    with canceller.watching(conn.connection.dbapi_connection):
                        conn.exec_driver_sql(f"CREATE DATABASE {_quote(dialect, name)}{charset}")
                    if dialect == "postgresql":
                        mark = json.dumps(_owner_comment())
                        conn.exec_driver_sql(
                            f"COMMENT ON DATABASE {_quote(dialect, name)} IS {_literal(mark)}"
                        )
            except DBAPIError as exc:
                if canceller.fired:
                    raise KeyboardInterrupt from None
                raise LiveError(
                    f"cannot create a scratch database on {describe(server_url)}: {db_error(exc)}"
                ) from None
            if dialect == "mysql":
                product = "MariaDB" if getattr(admin.dialect, "is_mariadb", False) else "MySQL"
            else:
                product = "PostgreSQL"
            server = f"{label} ({product} {'.'.join(str(v) for v in version[:2])})"
            yield Scratch(server_url.set(database=name), dialect, name, server, admin_url)
    except BaseException as exc:
        failed = exc
        raise
    finally:
        with shielded():
            try:
                if attempted:
                    outcome.append(_cleanup(admin, dialect, name))
            finally:
                admin.dispose()
        # A database that could not be dropped is an error of its own, unless the run already failed.
        if failed is None and outcome and "could not" in outcome[-1]:
            raise LiveError(outcome[-1])


def _cleanup(admin: Any, dialect: str, name: str) -> str:
    """Drop the scratch database if it exists; one sentence saying what happened."""
    from sqlalchemy.exc import DBAPIError

    try:
        existed = _drop(admin, dialect, name)
    except DBAPIError as exc:
        return (
            f"the scratch database {name} could not be dropped ({db_error(exc)}); "
            f"drop it by hand: DROP DATABASE {_quote(dialect, name)}"
        )
    if existed:
        return f"the scratch database {name} was dropped"
    return f"the scratch database {name} was never created"


def _drop(admin: Any, dialect: str, name: str) -> bool:
    """``DROP DATABASE IF EXISTS`` after ending every session in it; did it exist?"""
    from sqlalchemy.exc import DBAPIError

    quoted = _quote(dialect, name)
    with admin.connect() as conn:
        if dialect == "mysql":
            existed = bool(
                conn.exec_driver_sql(
                    "SELECT 1 FROM information_schema.schemata WHERE schema_name = %(name)s", {"name": name}
                ).first()
            )
            # A query still running there (the interrupted step) holds metadata locks DROP would wait for.
            sessions = conn.exec_driver_sql(
                "SELECT id FROM information_schema.processlist WHERE db = %(name)s AND id <> CONNECTION_ID()",
                {"name": name},
            ).all()
            for (session,) in sessions:
                with contextlib.suppress(DBAPIError):  # ended meanwhile
                    conn.exec_driver_sql(f"KILL {int(session)}")
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {quoted}")
            return existed
        existed = bool(
            conn.exec_driver_sql("SELECT 1 FROM pg_database WHERE datname = %(name)s", {"name": name}).first()
        )
        if (conn.dialect.server_version_info or (0,)) >= (13,):
            if existed:
                _wait_for_sessions_to_end(conn, name)
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)")
            return existed
        conn.exec_driver_sql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %(name)s "
            "AND pid <> pg_backend_pid()",
            {"name": name},
        )
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {quoted}")
        return existed


def _wait_for_sessions_to_end(conn: Any, name: str, limit: float = 0.5) -> None:
    """Let the sessions migcheck just closed finish exiting, so DROP does not wait for them.

    ``DROP DATABASE ... WITH (FORCE)`` ends the sessions still there, then checks every 100 ms
    until they are gone: a pool's connections, closed a moment ago, cost it a few of those
    sleeps. Polling here every few milliseconds is faster. A session still running a query
    (an interrupted step) is left to FORCE at once.
    """
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        row = conn.exec_driver_sql(
            "SELECT count(*), count(*) FILTER (WHERE state = 'active') FROM pg_stat_activity "
            "WHERE datname = %(name)s AND pid <> pg_backend_pid()",
            {"name": name},
        ).first()
        if row is None or not row[0] or row[1]:
            return
        time.sleep(0.005)


def _owner_comment() -> dict[str, Any]:
    """What the database comment records: which process on which machine made it."""
    return {"migcheck": owner.mark(), "host": owner.hostname(), "boot": owner.boot_id()}


def _drop_stale(conn: Any, dialect: str) -> list[str]:
    """Drop scratch databases whose comment names a migcheck process of this machine that is gone.

    Databases made elsewhere, by a live run, or without migcheck's comment are left alone.
    """
    if dialect != "postgresql":
        return _name_stale_mysql(conn)
    rows = conn.exec_driver_sql(
        "SELECT datname, shobj_description(oid, 'pg_database') FROM pg_database "
        "WHERE left(datname, 9) = 'migcheck_'"
    ).all()
    notes = []
    here = (owner.hostname(), owner.boot_id())
    for datname, comment in rows:
        if not SCRATCH_NAME.fullmatch(datname) or not comment:
            continue
        try:
            mark = json.loads(comment)
        except ValueError:
            continue
        if not isinstance(mark, dict) or (mark.get("host"), mark.get("boot")) != here:
            continue
        if owner.alive(str(mark.get("migcheck", ""))):
            continue
        try:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {_quote(dialect, datname)} WITH (FORCE)")
        except Exception as exc:  # an older server (no FORCE), or not the owner: say so, go on
            notes.append(f"scratch database {datname} of a killed migcheck run remains: {db_error(exc)}")
            continue
        pid = str(mark.get("migcheck", "?")).split()[0]
        notes.append(f"dropped {datname}, the scratch database of a migcheck run that was killed (pid {pid})")
    return notes


def _name_stale_mysql(conn: Any) -> list[str]:
    """MySQL has no database comments to tell whose a database is: name the idle ones, drop none."""
    rows = conn.exec_driver_sql(
        "SELECT schema_name FROM information_schema.schemata s WHERE schema_name LIKE 'migcheck!_%%' "
        "ESCAPE '!' AND NOT EXISTS (SELECT 1 FROM information_schema.processlist p WHERE p.db = s.schema_name)"
    ).all()
    idle = sorted(name for (name,) in rows if SCRATCH_NAME.fullmatch(name))
    if not idle:
        return []
    shown = ", ".join(idle[:5]) + (f" and {len(idle) - 5} more" if len(idle) > 5 else "")
    return [
        f"{len(idle)} scratch database(s) of earlier verify runs remain on this server with nobody "
        f"connected: {shown}; drop them if no verify is running there"
    ]


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


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


# --- Docker ---------------------------------------------------------------------------------------


@contextlib.contextmanager
def docker_server(image: str) -> Iterator[tuple[URL, str]]:
    """A PostgreSQL or MySQL/MariaDB container (``--engine docker``): see ``live/docker.py``."""
    from migcheck.live import docker

    with docker.docker_server(image) as server:
        yield server


# --- signals --------------------------------------------------------------------------------------


@contextlib.contextmanager
def shielded() -> Iterator[None]:
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
def _signals_as_interrupt() -> Iterator[list[int]]:
    """SIGTERM (a CI job cancelled, ``kill``) unwinds like Ctrl-C, so every cleanup runs.

    Both are also recorded in the list yielded: a KeyboardInterrupt raised inside library code can be
    swallowed there (C code that clears errors), and the record lets the caller stop anyway.
    """
    received: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield received
        return

    def interrupt(signum: int, frame: object) -> None:
        received.append(signum)
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield received
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
