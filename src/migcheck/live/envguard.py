"""``--use-env``: the project's env.py may connect to the scratch database and nowhere else.

Many env.py files take their URL from an environment variable instead of
``sqlalchemy.url``; without a guard they would migrate that database. Guarded
while env.py runs (best effort, in this process):

- every SQLAlchemy engine (``engine_connect``), whatever the driver;
- psycopg2 connections however they are opened through the module
  (``psycopg2.connect``, ``from psycopg2 import connect``): ``psycopg2._connect``;
- PyMySQL connections (``pymysql.connections.Connection.connect``).

Not guarded: subprocesses (``psql``, ``alembic`` in a shell), other drivers
(psycopg 3, asyncpg, mysqlclient) used outside SQLAlchemy, connections made
before env.py runs, and code that reaches libpq directly.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from migcheck.live import LiveError
from migcheck.live.target import Target, libpq_target, mysql_target, url_target


def _refuse(shown: str) -> LiveError:
    return LiveError(
        f"--use-env: env.py connected to {shown}, not to the scratch database; it must take its URL "
        "from config.get_main_option('sqlalchemy.url') (nothing was run there)"
    )


def _same(a: Target, b: Target) -> bool:
    """Same database on the same server (``localhost`` and loopback addresses count as one host)."""
    if a.unknown or b.unknown or a.database != b.database or a.port != b.port:
        return False
    if a.hosts == b.hosts:
        return True
    return a.is_local() and b.is_local() and not any(h.startswith("/") for h in a.hosts + b.hosts)


@contextlib.contextmanager
def only_scratch(scratch_url: Any) -> Iterator[None]:
    """Refuse, while the block runs, any connection to a database other than the scratch one."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    scratch = url_target(scratch_url)

    def engine_guard(conn: Any) -> None:
        url = conn.engine.url
        if (url.database, url.host, url.port) == (scratch_url.database, scratch_url.host, scratch_url.port):
            return
        try:
            same = _same(url_target(url), scratch)
        except Exception:  # a driver migcheck cannot judge: the URL itself must match
            same = False
        if not same:
            raise _refuse(url.render_as_string(hide_password=True))

    def check_libpq(params: dict[str, Any]) -> None:
        target = libpq_target(params)
        if not _same(target, scratch):
            raise _refuse(f"database {target.database!r} on {target.shown()}")

    def check_mysql(params: dict[str, Any]) -> None:
        target = mysql_target(params)
        if not _same(target, scratch):
            raise _refuse(f"database {target.database!r} on {target.shown()}")

    event.listen(Engine, "engine_connect", engine_guard)
    with contextlib.ExitStack() as stack:
        stack.callback(event.remove, Engine, "engine_connect", engine_guard)
        _patch_psycopg2(stack, check_libpq)
        _patch_pymysql(stack, check_mysql)
        yield


def _patch(stack: contextlib.ExitStack, owner: Any, name: str, wrapper: Callable[..., Any]) -> None:
    original = getattr(owner, name)
    setattr(owner, name, wrapper(original))
    stack.callback(setattr, owner, name, original)


def _patch_psycopg2(stack: contextlib.ExitStack, check: Callable[[dict[str, Any]], None]) -> None:
    try:
        import psycopg2
    except ImportError:
        return

    def wrapper(original: Callable[..., Any]) -> Callable[..., Any]:
        def _connect(dsn: str, *args: Any, **kwargs: Any) -> Any:
            check({"dsn": dsn})  # psycopg2.connect has already folded every keyword into dsn
            return original(dsn, *args, **kwargs)

        return _connect

    _patch(stack, psycopg2, "_connect", wrapper)


def _patch_pymysql(stack: contextlib.ExitStack, check: Callable[[dict[str, Any]], None]) -> None:
    try:
        from pymysql.connections import Connection
    except ImportError:
        return

    def wrapper(original: Callable[..., Any]) -> Callable[..., Any]:
        def connect(self: Any, *args: Any, **kwargs: Any) -> Any:
            db = self.db.decode() if isinstance(self.db, bytes) else self.db
            check({"host": self.host, "port": self.port, "db": db, "unix_socket": self.unix_socket})
            return original(self, *args, **kwargs)

        return connect

    _patch(stack, Connection, "connect", wrapper)
