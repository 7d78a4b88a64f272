"""Fewer round trips per revision, the same readings: where verify's time goes on a busy machine.

A verify of a 100-revision history is some 3,000 statements, each a round trip
to the server; on two busy cores a round trip costs more than most of the
statements themselves. So verify spends none that tell it nothing:

- **catalog reads in autocommit** (PostgreSQL): a schema snapshot or the list
  of relations before an upgrade is one query; in a transaction it is the query
  and a ``ROLLBACK`` when the connection goes back to the pool. psycopg2 sets
  autocommit on the client, so the read becomes one round trip.
- **the snapshot query is prepared** (PostgreSQL): planning the one catalog
  query of a snapshot costs about as much as running it, three times per
  revision; it is planned once per server connection (``PREPARE``) and then only
  executed. The same query, the same rows.
- **the version table's rows are known**: before every step Alembic asks the
  catalog whether its version table exists, then reads its rows (two round
  trips). verify runs every step itself, so it knows them: the rows Alembic
  reported after the last step that succeeded (``on_version_apply``). They are
  forgotten after a failed step and when the scratch database is recreated, and
  then Alembic reads them again; with ``--use-env`` env.py configures Alembic and
  it always reads them.

- **the lock reading is prepared** on migcheck's own connections (PostgreSQL):
  the one query run after each statement of a first upgrade is planned once
  per connection. Only connections of migcheck's engine (``own_connections``)
  get it; ``--use-env`` runs env.py's engine, which reads as before.

The prepared statements are named ``migcheck_<kind>_<random>``, the random part new in every
run (``statement_name``): a migration runs on the same server session, and with a fixed name
its SQL could DEALLOCATE the statement and PREPARE another under that name, changing what
verify reads (a snapshot or a lock reading that sees nothing).

The lock readings after Alembic's own version-table statements are skipped in
``live/locks.py`` (``Recorder.bookkeeping``): they take no lock on a user table
and scan none, and the reading after the revision's last statement and the one
before its commit see everything that was held.
"""

from __future__ import annotations

import contextlib
import secrets
import weakref
from typing import Any

#: The random part of this run's statement names: a migration cannot guess them.
_RUN = secrets.token_hex(8)


def statement_name(kind: str) -> str:
    """``migcheck_<kind>_<random>``: the name of one of verify's prepared statements in this run."""
    return f"migcheck_{kind}_{_RUN}"


#: DBAPI connections of migcheck's own engine: a statement prepared there stays for the session.
OWN: weakref.WeakSet[Any] = weakref.WeakSet()
#: Per DBAPI connection: the names of the statements prepared on it.
PREPARED: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()


def own_connections(engine: Any) -> None:
    """Remember every DBAPI connection ``engine`` opens (see OWN)."""
    from sqlalchemy import event

    def connected(dbapi_connection: Any, record: Any) -> None:
        with contextlib.suppress(TypeError):  # a driver whose connections take no weak reference
            OWN.add(dbapi_connection)

    event.listen(engine, "connect", connected)


def reader(engine: Any) -> Any:
    """The engine for catalog reads: on PostgreSQL the same pool in autocommit (no ROLLBACK round trip)."""
    if engine.dialect.name != "postgresql":  # pymysql sets autocommit with a statement: nothing to gain
        return engine
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def execute_prepared(conn: Any, name: str, sql: str) -> list[Any]:
    """The rows of ``sql`` (no parameters): a prepared statement on an autocommit PostgreSQL connection, else as it is.

    A prepared statement lives as long as the server connection, so it is prepared once per
    pooled connection (remembered in the pool's per-connection ``info``). Inside a transaction
    the plain query runs: a failed PREPARE must not abort the caller's transaction. The
    ``EXECUTE`` goes through the driver's own cursor: its rows are plain tuples, without
    SQLAlchemy's result objects (about 0.15 ms less client CPU per snapshot of 250 rows).
    """
    record = conn.connection
    if conn.dialect.name != "postgresql" or not getattr(record.dbapi_connection, "autocommit", False):
        return conn.exec_driver_sql(sql).fetchall()
    statement = statement_name(name)
    if record.info.get(statement) != sql:
        if statement in record.info:
            conn.exec_driver_sql(f"DEALLOCATE {statement}")
        conn.exec_driver_sql(f"PREPARE {statement} AS {sql}")
        record.info[statement] = sql
    cursor = record.dbapi_connection.cursor()
    try:
        cursor.execute(f"EXECUTE {statement}")
        return cursor.fetchall()
    except conn.dialect.loaded_dbapi.Error:  # the server forgot it (a pooler, DISCARD ALL): the plain query
        record.info.pop(statement, None)
    finally:
        cursor.close()
    return conn.exec_driver_sql(sql).fetchall()


class Heads:
    """The version table's rows after a step, as Alembic reports them to ``on_version_apply``."""

    def __init__(self) -> None:
        self.after: tuple[str, ...] | None = None

    def record(self, ctx: Any = None, step: Any = None, heads: Any = (), run_args: Any = None) -> None:
        self.after = tuple(sorted(heads))


def known_heads(context: Any, heads: tuple[str, ...]) -> None:
    """Give Alembic the version table's rows instead of its has-table query and SELECT."""
    if callable(getattr(context, "get_current_heads", None)):
        context.get_current_heads = lambda: heads
