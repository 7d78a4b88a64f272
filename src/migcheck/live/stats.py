"""``migcheck stats``: a snapshot of table sizes from a database's catalog, to commit.

Read from the catalog only (``pg_class``, ``information_schema.TABLES``): no table is scanned
and no lock beyond a catalog read is taken, so it is safe on a production replica, with a
read-only role. It stores names and numbers, never data. Lint reads the file offline
(``migcheck.run.tablesizes``) and never connects to anything.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from migcheck.live import LiveError
from migcheck.run.tablesizes import FORMAT_KEY, FORMAT_VERSION

_PASSWORD = re.compile(r"(://[^:/@\s]*:)[^@\s]*@")

_POSTGRES_TABLES = """
SELECT n.nspname, c.relname, c.reltuples::bigint, pg_table_size(c.oid), pg_indexes_size(c.oid)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'm')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\\_toast%%' AND n.nspname NOT LIKE 'pg\\_temp\\_%%'
ORDER BY 1, 2
"""

_MYSQL_TABLES = """
SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_ROWS, DATA_LENGTH, INDEX_LENGTH
FROM information_schema.TABLES
WHERE TABLE_TYPE = 'BASE TABLE' AND TABLE_SCHEMA = DATABASE()
ORDER BY 1, 2
"""


def masked(text: str) -> str:
    """A URL as it may be shown: the password replaced by ``***``."""
    return _PASSWORD.sub(r"\1***@", text)


def _engine(db_url: str) -> Any:
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        url = make_url(db_url)
    except (ArgumentError, ValueError):
        raise LiveError(f"not a database URL: {masked(db_url)!r} (expected e.g. "
                        "postgresql://reader@replica/app)") from None
    if url.drivername in ("postgres", "postgresql"):
        url = url.set(drivername="postgresql+psycopg2")
    elif url.drivername in ("mysql", "mariadb"):
        url = url.set(drivername="mysql+pymysql")
    if url.get_backend_name() not in ("postgresql", "mysql", "mariadb"):
        raise LiveError(f"stats reads PostgreSQL and MySQL/MariaDB catalogs, not {url.get_backend_name()!r}")
    if not url.database:
        raise LiveError(f"name the database whose tables to measure in the URL: {masked(db_url)}")
    try:
        return create_engine(url, poolclass=_null_pool(), connect_args=_connect_args(url))
    except NoSuchModuleError as exc:
        raise LiveError(f"no driver for {url.drivername}: {exc}") from None


def _null_pool() -> Any:
    from sqlalchemy.pool import NullPool

    return NullPool


def _connect_args(url: Any) -> dict[str, Any]:
    if url.get_backend_name() == "postgresql":
        # Never wait on a lock, never run long: this may be production's replica.
        return {"connect_timeout": 10, "options": "-c lock_timeout=2s -c statement_timeout=60s"}
    return {"connect_timeout": 10, "read_timeout": 60}


def _db_error(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    args = tuple(getattr(orig, "args", ()))
    text = f"({args[0]}) {args[1]}" if len(args) == 2 and isinstance(args[0], int) else str(orig)
    first = next((line.strip() for line in text.splitlines() if line.strip()), type(orig).__name__)
    return masked(first)


def take(db_url: str, now: datetime | None = None) -> dict[str, Any]:
    """The snapshot document: server, time, alembic heads, and per table rows and bytes."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError, SQLAlchemyError

    engine = _engine(db_url)
    dialect = "postgresql" if engine.dialect.name == "postgresql" else "mysql"
    try:
        with engine.connect() as conn:
            if dialect == "postgresql":
                conn.execute(text("SET TRANSACTION READ ONLY"))
                version = conn.execute(text("SHOW server_version")).scalar()
                server = f"PostgreSQL {str(version).split()[0]}"
                default_schema = conn.execute(text("SELECT current_schema()")).scalar()
                rows = conn.execute(text(_POSTGRES_TABLES)).all()
            else:
                version = str(conn.execute(text("SELECT VERSION()")).scalar())
                server = f"MariaDB {version.split('-')[0]}" if "mariadb" in version.lower() else f"MySQL {version}"
                default_schema = conn.execute(text("SELECT DATABASE()")).scalar()
                rows = conn.execute(text(_MYSQL_TABLES)).all()
            heads = _alembic_heads(conn, rows)
    except DBAPIError as exc:
        raise LiveError(f"cannot read the catalog of {masked(db_url)}: {_db_error(exc)}") from None
    except SQLAlchemyError as exc:
        raise LiveError(f"cannot read the catalog of {masked(db_url)}: {masked(str(exc).splitlines()[0])}") from None
    finally:
        engine.dispose()
    tables = []
    for schema, name, estimated, table_bytes, index_bytes in rows:
        # PostgreSQL 14+: reltuples = -1 until the table is first vacuumed or analysed.
        estimate = None if estimated is None or int(estimated) < 0 else int(estimated)
        tables.append({
            "schema": schema, "name": name, "rows": estimate,
            "table_bytes": None if table_bytes is None else int(table_bytes),
            "index_bytes": None if index_bytes is None else int(index_bytes),
        })
    taken = (now or datetime.now(timezone.utc)).replace(microsecond=0)
    return {
        FORMAT_KEY: FORMAT_VERSION,
        "taken_at": taken.isoformat().replace("+00:00", "Z"),
        "server": server,
        "dialect": dialect,
        "default_schema": default_schema,
        "alembic_heads": heads,
        "tables": tables,
    }


def _alembic_heads(conn: Any, rows: list[Any]) -> list[str] | None:
    """The database's ``alembic_version`` rows, which tell lint what the snapshot had run."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    names = {(schema, name) for schema, name, *_ in rows if name == "alembic_version"}
    if not names:
        return None
    schema, name = sorted(names, key=lambda n: n[0] != "public")[0]
    quote = "`" if conn.dialect.name != "postgresql" else '"'
    try:
        found = conn.execute(text(f"SELECT version_num FROM {quote}{schema}{quote}.{quote}{name}{quote}")).all()
    except DBAPIError:  # no privilege on it: the sizes are still worth having
        return None
    return sorted(str(r[0]) for r in found)


def write(document: dict[str, Any], path: Path) -> None:
    """Write the snapshot; an existing file is replaced only once the new one is complete."""
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise LiveError(f"cannot write {path}: {exc.strerror or exc}") from None
