"""Ctrl-C and SIGTERM cancel the statement the server is running, so an interrupt answers at once.

Python runs signal handlers only between bytecodes, and psycopg2 blocks inside
libpq until the server answers: without help, Ctrl-C during ``pg_sleep(600)``,
a lock wait or a slow ``CREATE DATABASE`` waits for the statement to end.
The C-level signal handler still writes to :func:`signal.set_wakeup_fd`; a
small thread reads that and calls ``connection.cancel()`` (libpq's
``PQcancel``, meant to be called from another thread) on the connections
registered here. The statement fails with "canceling statement due to user
request" and the pending KeyboardInterrupt then unwinds as usual.

PyMySQL needs none of this (pure Python: the interrupt arrives inside its
socket read); the cleanup kills the server-side query instead.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import threading
from collections.abc import Iterator
from typing import Any


class Canceller:
    """The connections an interrupt cancels, and whether one did."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._connections: list[Any] = []
        self.fired = False

    def add(self, dbapi_connection: Any) -> None:
        if hasattr(dbapi_connection, "cancel"):
            with self._lock:
                self._connections.append(dbapi_connection)

    def discard(self, dbapi_connection: Any) -> None:
        with self._lock:
            self._connections = [c for c in self._connections if c is not dbapi_connection]

    @contextlib.contextmanager
    def watching(self, dbapi_connection: Any) -> Iterator[None]:
        """Cancel this connection's statement on an interrupt while the block runs."""
        self.add(dbapi_connection)
        try:
            yield
        finally:
            self.discard(dbapi_connection)

    def cancel_all(self) -> None:
        self.fired = True
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(Exception):  # closed meanwhile, or not busy: nothing to cancel
                if not getattr(conn, "closed", 0):
                    conn.cancel()


@contextlib.contextmanager
def cancel_on_interrupt(database: str | None = None) -> Iterator[Canceller]:
    """Install the watcher; connections SQLAlchemy opens to ``database`` are registered automatically."""
    canceller = Canceller()
    if threading.current_thread() is not threading.main_thread():
        yield canceller
        return
    from sqlalchemy import event
    from sqlalchemy.pool import Pool

    def on_connect(dbapi_connection: Any, record: Any) -> None:
        info = getattr(dbapi_connection, "info", None)
        if database is None or getattr(info, "dbname", None) == database:
            canceller.add(dbapi_connection)

    def on_close(dbapi_connection: Any, record: Any) -> None:
        canceller.discard(dbapi_connection)

    reader, writer = socket.socketpair()
    writer.setblocking(False)
    previous = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)

    def watch() -> None:
        while True:
            try:
                data = reader.recv(64)
            except OSError:
                return
            if not data:
                return
            if any(byte in (signal.SIGINT, signal.SIGTERM) for byte in data):
                canceller.cancel_all()

    thread = threading.Thread(target=watch, name="migcheck-cancel", daemon=True)
    thread.start()
    event.listen(Pool, "connect", on_connect)
    event.listen(Pool, "close", on_close)
    try:
        yield canceller
    finally:
        event.remove(Pool, "connect", on_connect)
        event.remove(Pool, "close", on_close)
        signal.set_wakeup_fd(previous)
        writer.close()
        thread.join(timeout=2)
        reader.close()
