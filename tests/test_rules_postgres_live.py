"""The PostgreSQL facts migcheck hard-codes, checked against a real server.

Rewrites are observed through ``pg_class.relfilenode`` (a rewritten table gets a new file), locks
through ``pg_locks`` inside an open transaction, and transaction-block refusals through the
server's own error. Runs in a scratch database that is dropped afterwards; skipped when no
PostgreSQL answers at MIGCHECK_TEST_PG (default: 127.0.0.1:5432, user postgres).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from migcheck.facts.postgres import (
    UTC_ZONES,
    classify_type_change,
    declares_not_volatile,
    is_serial,
    parse_type,
    refused_in_transaction,
    timezone_set,
    unknown_call,
    using_computes,
    volatile_call,
)

DSN = os.environ.get("MIGCHECK_TEST_PG", "host=127.0.0.1 port=5432 user=postgres dbname=postgres connect_timeout=3")


@pytest.fixture(scope="module")
def pg() -> Iterator[Any]:
    psycopg2 = pytest.importorskip("psycopg2")
    try:
        admin = psycopg2.connect(DSN)
    except psycopg2.OperationalError as exc:
        pytest.skip(f"no PostgreSQL server for the live checks ({DSN}): {str(exc).strip()}")
    admin.autocommit = True
    name = f"migcheck_facts_{uuid.uuid4().hex[:10]}"
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE {name}")
    conn = psycopg2.connect(DSN.replace("dbname=postgres", f"dbname={name}"))
    conn.autocommit = True
    try:
        yield conn
    finally:
        conn.close()
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE {name}")
        admin.close()


def server_major(pg: Any) -> int:
    with pg.cursor() as cur:
        cur.execute("SHOW server_version_num")
        return int(cur.fetchone()[0]) // 10000


def _relfilenode(cur: Any, table: str) -> int:
    cur.execute("SELECT relfilenode FROM pg_class WHERE relname = %s", (table,))
    return int(cur.fetchone()[0])


def rewrites(pg: Any, column_type: str, statement: str, timezone: str = "UTC") -> bool:
    """Whether ``statement`` on a 20-row table with a column ``c`` of ``column_type`` rewrites it."""
    with pg.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS probe; DROP SEQUENCE IF EXISTS probe_seq; CREATE SEQUENCE probe_seq")
        cur.execute(f"CREATE TABLE probe (id int, c {column_type})")
        cur.execute("INSERT INTO probe (id) SELECT g FROM generate_series(1, 20) g")
        before = _relfilenode(cur, "probe")
        cur.execute(f"SET TimeZone = '{timezone}'")
        cur.execute(statement)
        cur.execute("RESET TimeZone")
        return _relfilenode(cur, "probe") != before


TYPE_PAIRS = [
    ("varchar(10)", "varchar(20)"), ("varchar(20)", "varchar(10)"), ("varchar(10)", "varchar"),
    ("varchar(10)", "text"), ("text", "varchar"), ("text", "varchar(10)"),
    ("numeric(10,2)", "numeric(12,2)"), ("numeric(10,2)", "numeric(12,3)"), ("numeric(10,2)", "numeric"),
    ("numeric", "numeric(10,2)"), ("numeric(10,2)", "numeric(8,2)"),
    ("timestamp(3)", "timestamp(6)"), ("timestamp(3)", "timestamp"), ("timestamp", "timestamp(3)"),
    ("timestamp", "timestamp(6)"), ("timestamptz(3)", "timestamptz"), ("time(3)", "time"),
    ("interval", "interval"), ("cidr", "inet"), ("inet", "cidr"), ("varbit(5)", "varbit(10)"),
    ("varbit(5)", "varbit"), ("bit(5)", "bit(10)"), ("int", "bigint"), ("smallint", "int"), ("bigint", "int"),
    ("json", "jsonb"), ("float4", "float8"), ("uuid", "text"), ("char(5)", "char(10)"), ("char(5)", "text"),
    ("int", "int"), ("xml", "text"),
]


@pytest.mark.parametrize(("old", "new"), TYPE_PAIRS)
def test_type_change_classification_matches_the_server(pg: Any, old: str, new: str) -> None:
    old_type, new_type = parse_type(old), parse_type(new)
    assert old_type is not None and new_type is not None
    verdict = classify_type_change(old_type, new_type, server_major(pg))
    rewrote = rewrites(pg, old, f"ALTER TABLE probe ALTER COLUMN c TYPE {new}")
    assert rewrote == (verdict == "rewrite"), f"{old} -> {new}: migcheck says {verdict}"


@pytest.mark.parametrize(("old", "new"), [("timestamp", "timestamptz"), ("timestamptz", "timestamp")])
def test_timestamptz_is_rewrite_free_only_under_utc(pg: Any, old: str, new: str) -> None:
    old_type, new_type = parse_type(old), parse_type(new)
    assert old_type is not None and new_type is not None
    assert classify_type_change(old_type, new_type, server_major(pg)) == "utc"
    assert not rewrites(pg, old, f"ALTER TABLE probe ALTER COLUMN c TYPE {new}", timezone="UTC")
    assert rewrites(pg, old, f"ALTER TABLE probe ALTER COLUMN c TYPE {new}", timezone="Europe/Berlin")



def _timezone_probe(pg: Any, statements: list[str]) -> dict[str, bool]:
    """Which of the table ``tzprobe`` and its indexes (one on ``c``, one on ``id``) got a new file when
    ``statements`` run in one transaction, from a session whose TimeZone is not UTC (the server's may be)."""
    with pg.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS tzprobe")
        cur.execute("CREATE TABLE tzprobe (id int, c timestamp)")
        cur.execute("INSERT INTO tzprobe SELECT g, now() FROM generate_series(1, 20) g")
        cur.execute("CREATE INDEX tzprobe_c ON tzprobe (c); CREATE INDEX tzprobe_id ON tzprobe (id)")
        names = ("tzprobe", "tzprobe_c", "tzprobe_id")
        before = {n: _relfilenode(cur, n) for n in names}
        cur.execute("SET TimeZone = 'America/New_York'")
        cur.execute("BEGIN")
        for statement in statements:
            cur.execute(statement)
        cur.execute("COMMIT")
        cur.execute("RESET TimeZone")
        return {n: _relfilenode(cur, n) != before[n] for n in names}


UTC_SETS = [f"SET TIME ZONE '{zone}'" for zone in sorted(UTC_ZONES)] + [
    "SET TIME ZONE 'utc'", "SET timezone = 'UTC'", "SET TIME ZONE UTC", "SET SESSION TIME ZONE 'UTC'",
    "SET timezone TO 'UTC'", "SET LOCAL TIME ZONE 'UTC'", "SET LOCAL timezone = 'Etc/UTC'", 'SET "TimeZone" = \'UTC\'',
    "SET TIME ZONE 0", "SET TIME ZONE '+00:00'", "SET TIME ZONE INTERVAL '+00:00' HOUR TO MINUTE",
    "SELECT set_config('TimeZone', 'UTC', true)",
]


@pytest.mark.parametrize("statement", UTC_SETS)
def test_a_utc_set_keeps_the_table_and_rebuilds_only_the_columns_index(pg: Any, statement: str) -> None:
    """held-out-14 #22-#25: what alter-column-type takes as a UTC session (facts.timezone_set)."""
    if server_major(pg) < 12:
        pytest.skip("timestamp -> timestamptz is rewrite-free under UTC from PostgreSQL 12")
    assert timezone_set(statement) is True
    rebuilt = _timezone_probe(pg, [statement, "ALTER TABLE tzprobe ALTER COLUMN c TYPE timestamptz"])
    assert rebuilt == {"tzprobe": False, "tzprobe_c": True, "tzprobe_id": False}


@pytest.mark.parametrize("statement", [
    "SET TIME ZONE 'Europe/London'", "SET TIME ZONE 'Africa/Abidjan'", "SET TIME ZONE 'Etc/GMT-1'",
])
def test_a_zone_with_another_offset_ever_rewrites(pg: Any, statement: str) -> None:
    assert timezone_set(statement) is False
    rebuilt = _timezone_probe(pg, [statement, "ALTER TABLE tzprobe ALTER COLUMN c TYPE timestamptz"])
    assert rebuilt == {"tzprobe": True, "tzprobe_c": True, "tzprobe_id": True}


def test_set_local_ends_with_its_transaction(pg: Any) -> None:
    """Why a COMMIT between the SET and the change ends it for the rule (a plain SET would outlive it)."""
    rebuilt = _timezone_probe(pg, ["SET LOCAL TIME ZONE 'UTC'", "COMMIT", "BEGIN",
                                   "ALTER TABLE tzprobe ALTER COLUMN c TYPE timestamptz"])
    assert rebuilt["tzprobe"]

ADDED_COLUMNS = [
    "int DEFAULT 0", "text DEFAULT 'x'", "timestamptz DEFAULT now()", "timestamptz DEFAULT CURRENT_TIMESTAMP",
    "timestamptz DEFAULT now() - interval '100 years'", "int[] DEFAULT ARRAY[]::int[]",
    "timestamptz DEFAULT statement_timestamp()", "bigint DEFAULT txid_current()", "boolean NOT NULL DEFAULT false",
    "uuid DEFAULT gen_random_uuid()", "float8 DEFAULT random()", "timestamptz DEFAULT clock_timestamp()",
    "text DEFAULT timeofday()", "bigint DEFAULT nextval('probe_seq')", "text DEFAULT md5(random()::text)",
    "serial", "bigserial",
]


@pytest.mark.parametrize("definition", ADDED_COLUMNS)
def test_volatile_default_list_matches_the_server(pg: Any, definition: str) -> None:
    column_type, _, default = definition.partition(" DEFAULT ")
    predicted = volatile_call(default or None) is not None or is_serial(column_type)
    assert rewrites(pg, "int", f"ALTER TABLE probe ADD COLUMN n {definition}") == predicted, definition


@pytest.mark.parametrize("definition", [
    "varchar(20) DEFAULT 'x'::character varying(20)", "numeric(10,2) DEFAULT CAST(0 AS numeric(10, 2))",
    "timestamp DEFAULT timezone('utc'::text, now())", "text DEFAULT coalesce(current_setting('a.b', true), '')",
    "jsonb DEFAULT jsonb_build_object('v', 1)", "timestamptz DEFAULT date_trunc('day', CURRENT_TIMESTAMP(0))",
])
def test_syntax_and_builtin_calls_are_not_taken_for_project_functions(pg: Any, definition: str) -> None:
    """No rewrite on the server, and migcheck sees no function of the project's in these defaults."""
    _, _, default = definition.partition(" DEFAULT ")
    assert unknown_call(default) is None and volatile_call(default) is None
    assert not rewrites(pg, "int", f"ALTER TABLE probe ADD COLUMN n {definition}"), definition


@pytest.mark.parametrize(("volatility", "language", "body", "rewritten"), [
    ("", "plpgsql", "BEGIN RETURN 'x'; END", True),
    ("VOLATILE", "plpgsql", "BEGIN RETURN 'x'; END", True),
    ("", "sql", "SELECT md5(random()::text)", True),
    ("STABLE", "plpgsql", "BEGIN RETURN 'x'; END", False),
    ("IMMUTABLE", "sql", "SELECT 'x'", False),
    # why the finding is a warning: PostgreSQL inlines a one-line SQL function over non-volatile calls
    ("", "sql", "SELECT 'x'", False),
])
def test_a_project_function_is_volatile_unless_declared_otherwise(
    pg: Any, volatility: str, language: str, body: str, rewritten: bool
) -> None:
    """A function PostgreSQL does not ship defaults to VOLATILE: the ADD COLUMN then rewrites the table."""
    create = f"CREATE OR REPLACE FUNCTION probe_code() RETURNS text LANGUAGE {language} {volatility} AS $$ {body} $$"
    with pg.cursor() as cur:
        cur.execute(create)
    try:
        assert rewrites(pg, "int", "ALTER TABLE probe ADD COLUMN n text DEFAULT probe_code()") == rewritten
        reported = unknown_call("probe_code()") == "probe_code" and not declares_not_volatile(create, "probe_code")
        assert reported == (volatility not in ("STABLE", "IMMUTABLE"))
    finally:
        with pg.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS probe; DROP FUNCTION probe_code()")


def test_pg_functions_are_named_as_calls_are_read() -> None:
    """scripts/pg_functions.py lower-cases pg_catalog's names: RI_FKey_check_ins is read as ri_fkey_check_ins
    from a default, and a mixed-case name in the list could never match it."""
    from migcheck.facts.pg_functions import NOT_VOLATILE, VOLATILE

    assert all(name == name.lower() for name in VOLATILE | NOT_VOLATILE)
    assert volatile_call("RI_FKey_check_ins()") == "ri_fkey_check_ins"


@pytest.mark.parametrize(("sql", "declared"), [
    ("CREATE FUNCTION probe_code() RETURNS text LANGUAGE sql STABLE AS $$ SELECT 'x' $$", True),
    ("CREATE FUNCTION probe_code() RETURNS text LANGUAGE sql VOLATILE -- of the stable channel\n"
     "AS $$ SELECT 'x' $$", False),
    ("CREATE FUNCTION probe_code() RETURNS text LANGUAGE plpgsql AS $b$ BEGIN RETURN 'IMMUTABLE'; END $b$", False),
    ("CREATE FUNCTION probe_code() RETURNS text LANGUAGE sql AS 'SELECT 1 /* STABLE */'", False),
    ("CREATE FUNCTION probe_code(stable boolean) RETURNS text LANGUAGE sql AS $$ SELECT 'x' $$", False),
    ("CREATE FUNCTION probe_code() RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT 'x' $$;\n"
     "CREATE OR REPLACE FUNCTION probe_code() RETURNS text LANGUAGE sql VOLATILE AS $$ SELECT 'x' $$", False),
    ("CREATE FUNCTION probe_code() RETURNS text LANGUAGE sql VOLATILE AS $$ SELECT 'x' $$;\n"
     "CREATE OR REPLACE FUNCTION \"probe_code\"() RETURNS text LANGUAGE sql /* was volatile */ STABLE AS 'SELECT 1'", True),
])
def test_only_the_last_create_functions_own_clauses_declare_it(pg: Any, sql: str, declared: bool) -> None:
    """A volatility word in a comment, a string or the body declares nothing; a later CREATE OR REPLACE wins.
    The server agrees: what it records in pg_proc is what migcheck reads."""
    with pg.cursor() as cur:
        cur.execute(sql)
        cur.execute("SELECT provolatile FROM pg_proc WHERE proname = 'probe_code'")
        on_server = cur.fetchone()[0] in ("i", "s")
    try:
        assert declares_not_volatile(sql, "probe_code") == declared == on_server
    finally:
        with pg.cursor() as cur:
            cur.execute("DROP FUNCTION probe_code")


@pytest.mark.parametrize("definition", ["bigint GENERATED BY DEFAULT AS IDENTITY",
                                        "int GENERATED ALWAYS AS (id + 1) STORED"])
def test_identity_and_stored_generated_columns_rewrite(pg: Any, definition: str) -> None:
    assert rewrites(pg, "int", f"ALTER TABLE probe ADD COLUMN n {definition}")


SETUP = """
DROP TABLE IF EXISTS probe, ref, parted, parted_2 CASCADE; DROP MATERIALIZED VIEW IF EXISTS mv;
CREATE TABLE ref (id int PRIMARY KEY); INSERT INTO ref VALUES (1);
CREATE TABLE probe (id int, c int, r int); INSERT INTO probe VALUES (1, 1, 1);
CREATE INDEX probe_c ON probe (c);
CREATE MATERIALIZED VIEW mv AS SELECT id FROM probe; CREATE UNIQUE INDEX mv_id ON mv (id);
CREATE TABLE parted (id int) PARTITION BY RANGE (id);
CREATE TABLE parted_1 PARTITION OF parted FOR VALUES FROM (0) TO (10);
CREATE TABLE parted_default PARTITION OF parted DEFAULT; CREATE TABLE parted_2 (id int);
"""

#: statement -> (relation, the lock mode migcheck's message names)
LOCKS = {
    "ALTER TABLE probe ADD CONSTRAINT fk FOREIGN KEY (r) REFERENCES ref (id)": [
        ("probe", "ShareRowExclusiveLock"), ("ref", "ShareRowExclusiveLock")],
    "ALTER TABLE probe ADD CONSTRAINT ck CHECK (c > 0)": [("probe", "AccessExclusiveLock")],
    "ALTER TABLE probe ADD CONSTRAINT uq UNIQUE (c)": [("probe", "AccessExclusiveLock")],
    "ALTER TABLE probe ALTER COLUMN c SET NOT NULL": [("probe", "AccessExclusiveLock")],
    "REINDEX TABLE probe": [("probe", "ShareLock"), ("probe_c", "AccessExclusiveLock")],
    "CLUSTER probe USING probe_c": [("probe", "AccessExclusiveLock")],
    "REFRESH MATERIALIZED VIEW mv": [("mv", "AccessExclusiveLock")],
    "ALTER TABLE parted DETACH PARTITION parted_1": [("parted", "AccessExclusiveLock")],
    "TRUNCATE probe": [("probe", "AccessExclusiveLock")],
    # missing-lock-timeout names the partition and the default partition, not the parent
    "ALTER TABLE parted ATTACH PARTITION parted_2 FOR VALUES FROM (10) TO (20)": [
        ("parted", "ShareUpdateExclusiveLock"), ("parted_2", "AccessExclusiveLock"),
        ("parted_default", "AccessExclusiveLock")],
}


@pytest.mark.parametrize("statement", sorted(LOCKS))
def test_lock_modes_named_in_messages(pg: Any, statement: str) -> None:
    with pg.cursor() as cur:
        cur.execute(SETUP)
        cur.execute("BEGIN")
        try:
            cur.execute(statement)
            cur.execute("SELECT c.relname, l.mode FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                        "WHERE l.pid = pg_backend_pid()")
            held = set(cur.fetchall())
        finally:
            cur.execute("ROLLBACK")
    for expected in LOCKS[statement]:
        assert expected in held, f"{statement}: {sorted(held)}"


def test_validate_takes_share_update_exclusive_but_keeps_the_add_lock_in_one_transaction(pg: Any) -> None:
    with pg.cursor() as cur:
        cur.execute(SETUP)
        cur.execute("BEGIN")
        try:
            cur.execute("ALTER TABLE probe ADD CONSTRAINT ck CHECK (c > 0) NOT VALID")
            cur.execute("ALTER TABLE probe VALIDATE CONSTRAINT ck")
            cur.execute("SELECT l.mode FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                        "WHERE l.pid = pg_backend_pid() AND c.relname = 'probe'")
            modes = {row[0] for row in cur.fetchall()}
        finally:
            cur.execute("ROLLBACK")
    assert {"ShareUpdateExclusiveLock", "AccessExclusiveLock"} <= modes


IN_TRANSACTION = [
    "VACUUM probe", "VACUUM FULL probe", "REINDEX TABLE CONCURRENTLY probe", "REINDEX (CONCURRENTLY) TABLE probe",
    "REINDEX SCHEMA public", "REINDEX TABLE probe", "CLUSTER", "CLUSTER probe USING probe_c",
    "ALTER TABLE parted DETACH PARTITION parted_1 CONCURRENTLY", "ALTER TABLE parted DETACH PARTITION parted_1",
    "REFRESH MATERIALIZED VIEW CONCURRENTLY mv", "ALTER SYSTEM SET work_mem = '4MB'",
    "DROP DATABASE IF EXISTS migcheck_never_created", "TRUNCATE probe",
]


@pytest.mark.parametrize("statement", IN_TRANSACTION)
def test_statements_refused_in_a_transaction_block(pg: Any, statement: str) -> None:
    from migcheck.extract.sql import leading_keyword

    with pg.cursor() as cur:
        cur.execute(SETUP)
        cur.execute("BEGIN")
        try:
            cur.execute(statement)
            refused = None
        except Exception as exc:  # psycopg2.errors.ActiveSqlTransaction
            refused = str(exc).splitlines()[0]
        finally:
            cur.execute("ROLLBACK")
    predicted = refused_in_transaction(statement, leading_keyword(statement))
    if predicted is None:
        assert refused is None, refused
    else:
        assert refused == f"{predicted} cannot run inside a transaction block"


def test_new_enum_value_is_unusable_until_commit(pg: Any) -> None:
    if server_major(pg) < 12:
        pytest.skip("before PostgreSQL 12 ADD VALUE is refused in a transaction block altogether")
    with pg.cursor() as cur:
        cur.execute("DROP TYPE IF EXISTS mood; CREATE TYPE mood AS ENUM ('sad', 'ok')")
        cur.execute("BEGIN")
        try:
            cur.execute("ALTER TYPE mood ADD VALUE 'happy'")
            with pytest.raises(Exception, match='unsafe use of new value "happy"'):
                cur.execute("SELECT 'happy'::mood")
        finally:
            cur.execute("ROLLBACK")


def test_an_enum_swap_using_a_cast_through_text_rewrites(pg: Any) -> None:
    """alter-column-type reports USING col::text::new_enum as a rewrite whatever it knows of the types."""
    with pg.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS probe CASCADE; DROP TYPE IF EXISTS probe_kind, probe_kind_old CASCADE; "
                    "CREATE TYPE probe_kind AS ENUM ('a', 'b')")
    try:
        assert rewrites(pg, "probe_kind", "ALTER TYPE probe_kind RENAME TO probe_kind_old; "
                        "CREATE TYPE probe_kind AS ENUM ('a', 'b', 'c'); "
                        "ALTER TABLE probe ALTER COLUMN c TYPE probe_kind USING c::text::probe_kind")
        assert using_computes("c::text::probe_kind", "c") and using_computes("CAST(CAST(c AS TEXT) AS probe_kind)", "c")
        assert not using_computes("c::probe_kind", "c") and not using_computes("c", "c")
    finally:
        with pg.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS probe; DROP TYPE IF EXISTS probe_kind, probe_kind_old CASCADE")


@pytest.mark.parametrize("empty", ["DELETE FROM probe", "TRUNCATE probe"])
def test_a_not_null_column_goes_onto_a_table_emptied_in_the_same_transaction(pg: Any, empty: str) -> None:
    """add-not-null-column-without-default stays silent after a DELETE without WHERE or a TRUNCATE."""
    with pg.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS probe CASCADE; CREATE TABLE probe (id int); INSERT INTO probe VALUES (1)")
        cur.execute("BEGIN")
        cur.execute(empty)
        cur.execute("ALTER TABLE probe ADD COLUMN region text NOT NULL")  # no NOT NULL violation
        cur.execute("ROLLBACK")
        cur.execute("DROP TABLE probe")


def test_a_delete_without_where_leaves_its_rows_to_the_next_scan(pg: Any) -> None:
    """rules/emptied.py keeps a scan rule's finding after ``DELETE FROM t`` in the same transaction and silences
    it after TRUNCATE: the deleted rows stay in the table's pages (no VACUUM before the COMMIT), and a unique
    index built then reads and indexes every one of them; after TRUNCATE the table's file is empty."""
    def sizes(empty: str) -> tuple[int, int]:
        with pg.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS probe CASCADE; CREATE TABLE probe (id int, y text)")
            cur.execute("INSERT INTO probe SELECT g, 'v' || g FROM generate_series(1, 20000) g")
            cur.execute("BEGIN")
            cur.execute(empty)
            cur.execute("ALTER TABLE probe ADD CONSTRAINT probe_y_key UNIQUE (y)")
            cur.execute("SELECT pg_relation_size('probe'), pg_relation_size('probe_y_key')")
            heap, index = cur.fetchone()
            cur.execute("ROLLBACK")
            cur.execute("DROP TABLE probe")
        return heap, index

    heap, index = sizes("DELETE FROM probe")
    assert heap > 100 * 8192 and index > 50 * 8192  # every deleted row is still read, and indexed
    assert sizes("TRUNCATE probe") == (0, 8192)  # a new, empty file; the index holds its metapage only


def test_create_table_does_not_reuse_an_enum_type_left_behind(pg: Any) -> None:
    """downgrade-not-inverse says a type left behind makes the next upgrade's create_table fail: Alembic's
    create_table creates an ``sa.Enum`` / ``postgresql.ENUM`` column's type without checking for it first."""
    sa = pytest.importorskip("sqlalchemy")
    from alembic.migration import MigrationContext
    from alembic.operations import Operations
    from sqlalchemy.dialects import postgresql

    with pg.cursor() as cur:
        cur.execute("CREATE TYPE left_behind AS ENUM ('a')")
    dbname = pg.get_dsn_parameters()["dbname"]
    engine = sa.create_engine(f"postgresql+psycopg2://postgres@127.0.0.1:5432/{dbname}", poolclass=sa.pool.NullPool)
    try:
        for typ in (sa.Enum("a", "b", name="left_behind"), postgresql.ENUM("a", "b", name="left_behind")):
            with pytest.raises(sa.exc.ProgrammingError, match='type "left_behind" already exists'), \
                    engine.begin() as conn:
                Operations(MigrationContext.configure(conn)).create_table("t_enum", sa.Column("m", typ))
    finally:
        engine.dispose()
