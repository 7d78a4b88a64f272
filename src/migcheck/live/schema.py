"""Schema snapshots and their differences, in words a reviewer reads.

A snapshot is a flat mapping ``"column users.email" -> "VARCHAR(200) NOT NULL"``:
one entry per object, keyed by kind and qualified name, valued by everything
that matters about it. Comparing two snapshots is then a dictionary
comparison, and the difference reads as a list of sentences. Column order is
deliberately not part of it (a downgrade that re-adds a dropped column puts it
last, which is harmless).

SQLAlchemy's inspector supplies tables, columns, keys, constraints, indexes and
views on every dialect; on PostgreSQL catalog queries add what the inspector
misses: enum types, sequences, full index definitions (partial, expression,
method), exclusion constraints, triggers, functions, extensions and schemas.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Snapshot = dict[str, str]

PG_SYSTEM_SCHEMAS = ("pg_catalog", "information_schema", "pg_toast")
VERSION_TABLES = frozenset({"alembic_version"})


@dataclass
class Difference:
    """One object that is not what it was: ``kind`` is left-behind, lost or changed."""

    kind: str
    key: str
    before: str | None
    after: str | None

    def __str__(self) -> str:
        if self.kind == "left behind":
            return f"left behind: {self.key} ({self.after})" if self.after else f"left behind: {self.key}"
        if self.kind == "lost":
            return f"lost: {self.key} ({self.before})" if self.before else f"lost: {self.key}"
        return f"changed: {self.key}: {self.before} -> {self.after}"


def take(conn: Any, dialect: str, exclude: frozenset[str] = VERSION_TABLES) -> Snapshot:
    """Everything about the schema that a downgrade should restore, from one connection."""
    from sqlalchemy import inspect

    insp = inspect(conn)
    snap: Snapshot = {}
    schemas: list[str | None] = [None]
    if dialect == "postgresql":
        default = insp.default_schema_name
        extra = [s for s in insp.get_schema_names() if s != default and not s.startswith(PG_SYSTEM_SCHEMAS)]
        for schema in extra:
            snap[f"schema {schema}"] = ""
        schemas += extra
    for schema in schemas:
        prefix = f"{schema}." if schema else ""
        for table in insp.get_table_names(schema=schema):
            if table in exclude and schema is None:
                continue
            _table(snap, insp, conn, dialect, schema, table, prefix + table)
        for view in insp.get_view_names(schema=schema):
            snap[f"view {prefix}{view}"] = _squash(insp.get_view_definition(view, schema=schema))
        if dialect == "postgresql":
            for view in insp.get_materialized_view_names(schema=schema):
                snap[f"materialized view {prefix}{view}"] = _squash(
                    insp.get_view_definition(view, schema=schema)
                )
    if dialect == "postgresql":
        _postgres_catalog(snap, conn)
    return snap


def _table(
    snap: Snapshot, insp: Any, conn: Any, dialect: str, schema: str | None, table: str, qual: str
) -> None:
    snap[f"table {qual}"] = ""
    for col in insp.get_columns(table, schema=schema):
        snap[f"column {qual}.{col['name']}"] = _column(col, conn.dialect)
    pk = insp.get_pk_constraint(table, schema=schema)
    if pk.get("constrained_columns"):
        snap[f"primary key {qual}"] = f"({', '.join(pk['constrained_columns'])})" + (
            f" named {pk['name']}" if pk.get("name") and dialect == "postgresql" else ""
        )
    for fk in insp.get_foreign_keys(table, schema=schema):
        target = ".".join(filter(None, [fk.get("referred_schema"), fk["referred_table"]]))
        options = " ".join(f"{k.upper()} {v}" for k, v in sorted((fk.get("options") or {}).items()))
        name = fk.get("name") or ",".join(fk["constrained_columns"])
        snap[f"foreign key {qual}.{name}"] = (
            f"({', '.join(fk['constrained_columns'])}) REFERENCES {target} "
            f"({', '.join(fk['referred_columns'])}) {options}".rstrip()
        )
    for uq in insp.get_unique_constraints(table, schema=schema):
        name = uq.get("name") or ",".join(uq["column_names"])
        snap[f"unique constraint {qual}.{name}"] = f"({', '.join(uq['column_names'])})"
    try:
        checks = insp.get_check_constraints(table, schema=schema)
    except NotImplementedError:
        checks = []
    for ck in checks:
        snap[f"check constraint {qual}.{ck.get('name')}"] = _squash(ck.get("sqltext"))
    if dialect != "postgresql":  # PostgreSQL: full definitions from pg_indexes below
        for ix in insp.get_indexes(table, schema=schema):
            unique = "UNIQUE " if ix.get("unique") else ""
            cols = ", ".join(str(c) for c in ix.get("column_names") or ix.get("expressions") or [])
            snap[f"index {qual}.{ix['name']}"] = f"{unique}({cols})"
    comment = _table_comment(insp, table, schema)
    if comment:
        snap[f"table comment {qual}"] = comment


def _table_comment(insp: Any, table: str, schema: str | None) -> str | None:
    try:
        return insp.get_table_comment(table, schema=schema).get("text")
    except NotImplementedError:
        return None


def _column(col: dict[str, Any], dialect: Any) -> str:
    try:
        text = col["type"].compile(dialect=dialect)
    except Exception:  # a reflected type that cannot render (NullType): its repr still compares
        text = repr(col["type"])
    parts = [text, "NULL" if col.get("nullable", True) else "NOT NULL"]
    if col.get("default") is not None:
        parts.append(f"DEFAULT {col['default']}")
    identity = col.get("identity")
    if identity:
        parts.append(
            "GENERATED ALWAYS AS IDENTITY" if identity.get("always") else "GENERATED BY DEFAULT AS IDENTITY"
        )
    computed = col.get("computed")
    if computed:
        parts.append(f"GENERATED ALWAYS AS ({computed.get('sqltext')})")
    if col.get("comment"):
        parts.append(f"COMMENT {col['comment']!r}")
    return " ".join(parts)


def _squash(text: object) -> str:
    return " ".join(str(text or "").split())


_PG_QUERIES: list[tuple[str, str]] = [
    (
        "index",
        """SELECT schemaname || '.' || tablename || '.' || indexname, indexdef FROM pg_indexes
           WHERE schemaname NOT IN ('pg_catalog', 'information_schema') AND tablename <> 'alembic_version'""",
    ),
    (
        "enum type",
        """SELECT n.nspname || '.' || t.typname,
                  string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder)
           FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace
           GROUP BY n.nspname, t.typname""",
    ),
    (
        "domain",
        """SELECT n.nspname || '.' || t.typname, format_type(t.typbasetype, t.typtypmod)
                  || CASE WHEN t.typnotnull THEN ' NOT NULL' ELSE '' END
           FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
           WHERE t.typtype = 'd' AND n.nspname NOT IN ('pg_catalog', 'information_schema')""",
    ),
    (
        "composite type",
        """SELECT n.nspname || '.' || t.typname, '' FROM pg_type t
           JOIN pg_namespace n ON n.oid = t.typnamespace JOIN pg_class c ON c.oid = t.typrelid
           WHERE t.typtype = 'c' AND c.relkind = 'c'
             AND n.nspname NOT IN ('pg_catalog', 'information_schema')""",
    ),
    (
        "sequence",
        """SELECT s.schemaname || '.' || s.sequencename,
                  s.data_type::text || ' START ' || s.start_value || ' INCREMENT ' || s.increment_by
                  || ' MIN ' || s.min_value || ' MAX ' || s.max_value
                  || CASE WHEN s.cycle THEN ' CYCLE' ELSE '' END
                  || COALESCE(' OWNED BY ' || (
                      SELECT CASE WHEN tn.nspname = 'public' THEN '' ELSE tn.nspname || '.' END
                             || t.relname || '.' || a.attname
                      FROM pg_depend d JOIN pg_class t ON t.oid = d.refobjid
                      JOIN pg_namespace tn ON tn.oid = t.relnamespace
                      JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
                      WHERE d.objid = (quote_ident(s.schemaname) || '.'
                                       || quote_ident(s.sequencename))::regclass
                        AND d.classid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') LIMIT 1), '')
           FROM pg_sequences s""",
    ),
    (
        "exclusion constraint",
        """SELECT conrelid::regclass::text || '.' || conname, pg_get_constraintdef(oid)
           FROM pg_constraint WHERE contype = 'x'""",
    ),
    (
        "trigger",
        """SELECT tgrelid::regclass::text || '.' || tgname, pg_get_triggerdef(oid)
           FROM pg_trigger WHERE NOT tgisinternal""",
    ),
    (
        "function",
        """SELECT n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')',
                  md5(pg_get_functiondef(p.oid))
           FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
           LEFT JOIN pg_depend d ON d.objid = p.oid AND d.deptype = 'e'
           WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND p.prokind IN ('f', 'p')
                 AND d.objid IS NULL""",
    ),
    ("extension", "SELECT extname, extversion FROM pg_extension WHERE extname <> 'plpgsql'"),
]


def _postgres_catalog(snap: Snapshot, conn: Any) -> None:
    for kind, sql in _PG_QUERIES:
        for name, value in conn.exec_driver_sql(sql):
            snap[f"{kind} {_strip_public(name)}"] = _squash(value)


def _strip_public(name: str) -> str:
    return name[len("public.") :] if name.startswith("public.") else name


def diff(before: Snapshot, after: Snapshot) -> list[Difference]:
    """What ``after`` has that ``before`` had not (left behind), lacks (lost), or has otherwise.

    The parts of a table that is left behind or lost as a whole (its columns,
    keys, indexes, owned sequences) are folded into the table's entry.
    """
    whole = {key.removeprefix("table ") for key in before.keys() ^ after.keys() if key.startswith("table ")}
    out: list[Difference] = []
    for key in sorted(before.keys() | after.keys(), key=_order):
        if _part_of(key, before.get(key) or after.get(key) or "", whole):
            continue
        if key.startswith("table ") and key.removeprefix("table ") in whole:
            table = key.removeprefix("table ")
            source = after if key in after else before
            columns = [
                k.rpartition(".")[2]
                for k in source
                if k.startswith(f"column {table}.") and k.count(".") == table.count(".") + 1
            ]
            shown = f"columns {', '.join(columns)}" if columns else None
            out.append(
                Difference(
                    "left behind" if key in after else "lost",
                    key,
                    shown if key in before else None,
                    shown if key in after else None,
                )
            )
        elif key not in after:
            out.append(Difference("lost", key, before[key], None))
        elif key not in before:
            out.append(Difference("left behind", key, None, after[key]))
        elif before[key] != after[key]:
            out.append(Difference("changed", key, before[key], after[key]))
    return out


_TABLE_PARTS = (
    "column ",
    "primary key ",
    "foreign key ",
    "unique constraint ",
    "check constraint ",
    "index ",
    "table comment ",
    "exclusion constraint ",
    "trigger ",
)


def _part_of(key: str, value: str, tables: set[str]) -> bool:
    """Does this entry belong to one of ``tables`` (by its qualified name, or a sequence's owner)?"""
    if not tables:
        return False
    for prefix in _TABLE_PARTS:
        if key.startswith(prefix):
            name = key.removeprefix(prefix)
            if prefix in ("primary key ", "table comment "):
                return name in tables
            return name.rpartition(".")[0] in tables
    if key.startswith("sequence "):
        owner = value.partition(" OWNED BY ")[2].rpartition(".")[0]
        return owner in tables
    return False


_KIND_ORDER = (
    "schema",
    "table",
    "column",
    "primary key",
    "foreign key",
    "unique constraint",
    "check constraint",
    "index",
    "view",
    "materialized view",
    "enum type",
    "sequence",
)


def _order(key: str) -> tuple[int, str]:
    for i, kind in enumerate(_KIND_ORDER):
        if key.startswith(kind + " "):
            return (i, key)
    return (len(_KIND_ORDER), key)


def summarize(differences: list[Difference], limit: int = 4) -> str:
    shown = "; ".join(str(d) for d in differences[:limit])
    more = len(differences) - limit
    return shown + (f"; and {more} more" if more > 0 else "")
