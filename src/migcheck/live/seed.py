"""``--seed-rows N``: rows in every table before each step, so data-dependent failures happen for real.

An empty table accepts anything: a NOT NULL column without a default, a unique
constraint over duplicates, a foreign key over orphans, a type change that
cannot cast. Production tables are not empty, and nothing but a constraint
keeps their data clean. Before each step every existing table, in every schema,
is topped up to N rows (not N more each time, so a long history stays fast)
with values generated from the column types, the way real data looks where no
constraint holds it:

- NULL in every second row of a nullable column;
- distinct values only where a primary key or a unique constraint/index asks
  for them; every other column repeats each value (a unique constraint added
  later fails over the duplicates);
- values of the referenced table in a single-column foreign key; integer
  columns without one hold numbers no table has as a key (a foreign key added
  later fails over the orphans);
- nothing at all where the database has a default (serials, identities,
  server defaults).

A table migcheck cannot fill (an unknown type in a NOT NULL column, a check
constraint the values break) is left as it is and named in a note.
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
import warnings
from typing import Any

_SKIP = object()


class _CannotSeed(Exception):
    pass


def top_up(engine: Any, rows: int, exclude: frozenset[str]) -> list[str]:
    """Fill every table of the scratch database up to ``rows`` rows; notes for tables left alone."""
    from sqlalchemy import MetaData, func, inspect, select

    notes: list[str] = []
    metadata = MetaData()
    with engine.connect() as conn:
        insp = inspect(conn)
        default = insp.default_schema_name
        others = [
            s for s in insp.get_schema_names()
            if s != default and s not in ("information_schema", "performance_schema", "mysql", "sys")
            and not s.startswith("pg_")
        ] if conn.dialect.name == "postgresql" else []
        with warnings.catch_warnings():
            # SQLAlchemy's PostgreSQL index reflection hands Index() a "dialect_options" key it then
            # warns about ("Can't validate argument 'dialect_options'"): its own quirk, not the user's.
            warnings.filterwarnings("ignore", message="Can't validate argument")
            metadata.reflect(bind=conn)
            for schema in others:
                metadata.reflect(bind=conn, schema=schema)
    for table in metadata.sorted_tables:
        if table.name in exclude and table.schema is None:
            continue
        try:
            with engine.begin() as conn:
                have = conn.execute(select(func.count()).select_from(table)).scalar_one()
                if have >= rows:
                    continue
                batch = _rows(conn, table, have, rows - have)
                if batch:
                    conn.execute(table.insert(), batch)
                else:
                    conn.execute(table.insert().values({}))
                    for _ in range(rows - have - 1):
                        conn.execute(table.insert().values({}))
        except _CannotSeed as exc:
            notes.append(f"table {table.name} not seeded: {exc}")
        except Exception as exc:  # the database refused the generated rows
            from migcheck.live.provision import db_error

            notes.append(f"table {table.name} not seeded: {db_error(exc)}")
    return notes


def _rows(conn: Any, table: Any, have: int, need: int) -> list[dict[str, Any]]:
    from sqlalchemy import func, select

    generators: dict[str, Any] = {}
    fk_values = _foreign_values(conn, table, need)
    unique = _unique_columns(table)
    for col in table.columns:
        if col.server_default is not None or col.identity is not None or col.computed is not None:
            continue
        if _autoincrement(col):
            continue
        if col.name in fk_values:
            generators[col.name] = ("fk", fk_values[col.name])
            continue
        base = have
        if _is_integer(col.type):
            base = max(have, conn.execute(select(func.max(col))).scalar() or 0)
            if col.name not in unique:
                base = max(base, ORPHAN_BASE)  # no table has these as keys
        generators[col.name] = ("value" if col.name in unique else "repeat", base)
    out: list[dict[str, Any]] = []
    for i in range(need):
        row: dict[str, Any] = {}
        for col in table.columns:
            if col.name not in generators:
                continue
            how, data = generators[col.name]
            if col.nullable and i % 2 == 1 and not col.primary_key:
                row[col.name] = None
            elif how == "fk":
                if data:
                    row[col.name] = data[i % len(data)]
                elif col.nullable:
                    row[col.name] = None
                else:
                    raise _CannotSeed(f"{col.name} references an empty table")
            else:
                # "repeat": each value twice among the rows that are not NULL (duplicates, as real data has)
                step = i if how == "value" else (i // 4 if col.nullable else i // 2)
                value = _value(col, data + step + 1)
                if value is _SKIP:
                    if col.nullable:
                        row[col.name] = None
                        continue
                    raise _CannotSeed(f"cannot generate values of type {col.type} for {col.name}")
                row[col.name] = value
        out.append(row)
    return out if generators else []


#: Integer columns outside a foreign key start here: values no primary key of a seeded table has.
ORPHAN_BASE = 1_000_000


def _unique_columns(table: Any) -> set[str]:
    """Columns a primary key, a unique constraint or a unique index needs distinct."""
    from sqlalchemy import UniqueConstraint

    out = {c.name for c in table.primary_key.columns}
    for constraint in table.constraints:
        if isinstance(constraint, UniqueConstraint):
            out |= {c.name for c in constraint.columns}
    for index in table.indexes:
        if index.unique:
            out |= {c.name for c in index.columns}
    return out


def _autoincrement(col: Any) -> bool:
    """An integer primary key the database numbers itself (AUTO_INCREMENT on MySQL, serial elsewhere)."""
    return bool(col.primary_key) and _is_integer(col.type) and col.autoincrement is True


def _foreign_values(conn: Any, table: Any, need: int) -> dict[str, list[Any]]:
    from sqlalchemy import select

    out: dict[str, list[Any]] = {}
    for fk in table.foreign_key_constraints:
        if len(fk.elements) != 1:
            continue
        element = fk.elements[0]
        target = element.column
        values = [r[0] for r in conn.execute(select(target).where(target.is_not(None)).limit(need))]
        out[element.parent.name] = values
    return out


def _is_integer(type_: Any) -> bool:
    from sqlalchemy import types

    return isinstance(type_, types.Integer)


def _value(col: Any, n: int) -> Any:
    from sqlalchemy import types

    t = col.type
    if isinstance(t, types.Boolean):
        return n % 2 == 0
    if isinstance(t, types.Integer):
        return n
    if isinstance(t, types.Numeric):
        return decimal.Decimal(n) if not isinstance(t, types.Float) else float(n) + 0.5
    if isinstance(t, types.Enum):
        return t.enums[n % len(t.enums)] if t.enums else _SKIP
    if isinstance(t, types.Uuid):
        ident = uuid.UUID(int=n)
        return ident if getattr(t, "as_uuid", True) else str(ident)
    if isinstance(t, types.String):
        text = f"{col.name[:12]}-{n}"
        length = getattr(t, "length", None)
        return text if not length or len(text) <= length else str(n)[-length:]
    if isinstance(t, types.DateTime):
        moment = dt.datetime(2000, 1, 1) + dt.timedelta(minutes=n)
        return moment.replace(tzinfo=dt.timezone.utc) if getattr(t, "timezone", False) else moment
    if isinstance(t, types.Date):
        return dt.date(2000, 1, 1) + dt.timedelta(days=n)
    if isinstance(t, types.Time):
        return dt.time(n % 24, n % 60)
    if isinstance(t, types.Interval):
        return dt.timedelta(seconds=n)
    if isinstance(t, types.JSON):
        return {"n": n}
    if isinstance(t, types.ARRAY):
        return []
    if isinstance(t, types._Binary):
        return str(n).encode()
    return _SKIP
