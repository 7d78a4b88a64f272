"""``--seed-rows N``: rows in every table before each step, so data-dependent failures happen for real.

An empty table accepts anything: a NOT NULL column without a default, a unique
constraint over duplicates, a type change that cannot cast. Production tables
are not empty. Before each step every existing table is topped up to N rows
(not N more each time, so a long history stays fast) with values generated from
the column types: distinct where a type allows it, NULL in every second row of
a nullable column (real data has NULLs), values of the referenced table in a
single-column foreign key, and nothing at all where the database has a default
(serials, identities, server defaults).

A table migcheck cannot fill (an unknown type in a NOT NULL column, a check
constraint the values break) is left as it is and named in a note.
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from typing import Any

_SKIP = object()


class _CannotSeed(Exception):
    pass


def top_up(engine: Any, rows: int, exclude: frozenset[str]) -> list[str]:
    """Fill every table of the scratch database up to ``rows`` rows; notes for tables left alone."""
    from sqlalchemy import MetaData, func, select

    notes: list[str] = []
    metadata = MetaData()
    with engine.connect() as conn:
        metadata.reflect(bind=conn)
    for table in metadata.sorted_tables:
        if table.name in exclude:
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
        generators[col.name] = ("value", base)
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
                value = _value(col, data + i + 1)
                if value is _SKIP:
                    if col.nullable:
                        row[col.name] = None
                        continue
                    raise _CannotSeed(f"cannot generate values of type {col.type} for {col.name}")
                row[col.name] = value
        out.append(row)
    return out if generators else []


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
