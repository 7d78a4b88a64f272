"""The INSTANT / INPLACE / COPY facts of migcheck.facts.mysql, checked on the MariaDB 10.11 service.

Each case runs its ALTER with the algorithm the table claims (MariaDB must accept it) and with the
next cheaper one (MariaDB must refuse it), on a table in a database this test creates and drops.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from migcheck.facts.mysql import (
    Algorithm,
    Operation,
    algorithm,
    classify_type_change,
    parse_mysql_type,
    stored_mysql_type,
)
from migcheck.rules.versions import version_tuple

pytest.importorskip("pymysql")
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

CHEAPER: dict[Algorithm, Algorithm | None] = {"INSTANT": None, "INPLACE": "INSTANT", "COPY": "INPLACE"}


class _Members:
    """``_MEMBERS[:n]``: n ENUM members 'v0', 'v1', ... as SQL."""

    def __getitem__(self, cut: slice) -> str:
        return ", ".join(f"'v{i}'" for i in range(cut.stop))


_MEMBERS = _Members()

#: (operation, column definitions of table t, the ALTER without its ALGORITHM clause)
CASES: list[tuple[Operation, str, str]] = [
    ("change-column-type", "d DATETIME", "MODIFY d DATETIME(6)"),
    ("change-column-type", "b TEXT", "MODIFY b MEDIUMTEXT"),
    ("change-column-type", "n INT", "MODIFY n BIGINT"),
    ("widen-varchar", "v VARCHAR(100)", "MODIFY v VARCHAR(200)"),
    ("widen-varchar", "v VARCHAR(10)", "MODIFY v VARCHAR(20)"),
    ("widen-varchar-past-255-bytes", "v VARCHAR(50)", "MODIFY v VARCHAR(100)"),
    # the collation the new type leaves out is the table's default: the length alone copies (held-out-8 #107)
    ("widen-varchar-past-255-bytes", "v VARCHAR(50) COLLATE utf8mb4_general_ci", "MODIFY v VARCHAR(255)"),
    ("change-charset", "b TEXT", "MODIFY b TEXT CHARACTER SET latin1"),
    ("add-foreign-key", "pid INT", "ADD CONSTRAINT fk_t_p FOREIGN KEY (pid) REFERENCES p (id)"),
    ("drop-primary-key", "n INT", "DROP PRIMARY KEY"),
    ("change-nullability", "n INT DEFAULT 0", "MODIFY n INT NOT NULL"),
    # ENUM / SET members appended at the end, storage size kept: metadata only (held-out-18 #88)
    ("append-enum-members", "e ENUM('a', 'b') NOT NULL DEFAULT 'a'", "MODIFY e ENUM('a', 'b', 'c') NOT NULL DEFAULT 'a'"),
    ("append-enum-members", "e ENUM('a', 'b')", "ADD n INT AFTER id, MODIFY e ENUM('a', 'b', 'c')"),
    ("append-enum-members", "s SET('a', 'b')", "MODIFY s SET('a', 'b', 'c')"),
    ("append-enum-members", f"e ENUM({_MEMBERS[:254]})", f"MODIFY e ENUM({_MEMBERS[:255]})"),
    # anywhere else, or past a storage size (256 ENUM members take 2 bytes, 9 SET members 2): every row rewritten
    ("change-enum-members", "e ENUM('a', 'b')", "MODIFY e ENUM('c', 'a', 'b')"),
    ("change-enum-members", "e ENUM('a', 'b')", "MODIFY e ENUM('a', 'c')"),
    ("change-enum-members", f"e ENUM({_MEMBERS[:255]})", f"MODIFY e ENUM({_MEMBERS[:256]})"),
    ("change-enum-members", f"s SET({_MEMBERS[:8]})", f"MODIFY s SET({_MEMBERS[:9]})"),
]


@pytest.fixture
def mariadb(mariadb_service_url: str) -> Iterator[tuple[Any, tuple[int, ...]]]:
    """A scratch database on the service (dropped afterwards) and the server's version."""
    name = f"mc_ddl_{uuid.uuid4().hex[:12]}"
    admin = create_engine(mariadb_service_url, poolclass=NullPool)
    with admin.connect() as conn:
        version = conn.execute(text("SELECT VERSION()")).scalar_one()
        conn.execute(text(f"CREATE DATABASE {name}"))
    if "mariadb" not in str(version).lower():
        pytest.skip(f"the service is not MariaDB: {version}")
    engine = create_engine(mariadb_service_url.rsplit("/", 1)[0] + f"/{name}", poolclass=NullPool)
    try:
        yield engine, version_tuple(str(version))
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE {name}"))
        admin.dispose()


def _accepts(engine: Any, columns: str, alter: str, algo: Algorithm) -> str | None:
    """None when MariaDB runs ``alter`` with ALGORITHM=algo on a fresh table, else its refusal."""
    with engine.connect() as conn:
        conn.execute(text("DROP TABLE IF EXISTS t"))
        conn.execute(text("CREATE TABLE IF NOT EXISTS p (id INT PRIMARY KEY) ENGINE=InnoDB"))
        conn.execute(text(f"CREATE TABLE t (id INT PRIMARY KEY, {columns}) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"))
        conn.execute(text("INSERT INTO t (id) VALUES (1)"))
        try:
            conn.execute(text(f"ALTER TABLE t {alter}, ALGORITHM={algo}"))
        except OperationalError as exc:
            return str(exc.orig)
    return None


@pytest.mark.parametrize(("operation", "columns", "alter"), CASES, ids=[c[2][:60] for c in CASES])
def test_mariadb_accepts_the_claimed_algorithm_and_refuses_a_cheaper_one(
    mariadb: tuple[Any, tuple[int, ...]], operation: Operation, columns: str, alter: str,
) -> None:
    engine, version = mariadb
    claimed = algorithm(operation, version, mariadb=True)
    assert _accepts(engine, columns, alter, claimed) is None
    cheaper = CHEAPER[claimed]
    if cheaper is not None:
        refusal = _accepts(engine, columns, alter, cheaper)
        assert refusal is not None and "is not supported" in refusal, refusal


@pytest.mark.parametrize(("old", "new", "operation"), [
    ("DateTime()", "mysql.DATETIME(fsp=6)", "change-column-type"),
    ("Text()", "mysql.MEDIUMTEXT()", "change-column-type"),
    ("Integer()", "BigInteger()", "change-column-type"),
    ("String(length=100)", "String(200)", "widen-varchar"),
    ("String(10)", "String(20)", "widen-varchar"),
    ("String(50)", "String(100)", "widen-varchar-past-255-bytes"),
    ("Text()", "mysql.TEXT(charset='latin1')", "change-charset"),
    ("mysql.VARCHAR(collation='utf8mb4_general_ci', length=50)", "String(length=255)",
     "widen-varchar-past-255-bytes"),
    ("mysql.VARCHAR(charset='latin1', length=50)", "String(length=60)", "change-charset"),
    ("mysql.VARCHAR(charset='latin1', length=50)", "mysql.VARCHAR(charset='utf8mb4', length=255)", "change-charset"),
    ("sa.Enum('a', 'b', name='e')", "sa.Enum(u'a', u'b', u'c', name='e')", "append-enum-members"),
    ("ENUM('a', 'b')", "sa.Enum('a', 'b', 'c')", "append-enum-members"),
    ("mysql.SET('a', 'b')", "mysql.SET('a', 'b', 'c')", "append-enum-members"),
    ("ENUM('a,b', 'it''s')", "sa.Enum('a,b', \"it's\", 'c')", "append-enum-members"),
    ("ENUM('a', 'b')", "ENUM('c', 'a', 'b')", "change-enum-members"),
    ("ENUM('a', 'b')", "ENUM('a', 'c')", "change-enum-members"),
    (f"ENUM({_MEMBERS[:255]})", f"ENUM({_MEMBERS[:256]})", "change-enum-members"),
    (f"SET({_MEMBERS[:8]})", f"SET({_MEMBERS[:9]})", "change-enum-members"),
])
def test_alembic_type_spellings_map_to_the_verified_operations(old: str, new: str, operation: str) -> None:
    # The same pairs as CASES, written as migrations write them.
    old_type, new_type = parse_mysql_type(old), parse_mysql_type(new)
    assert old_type is not None and new_type is not None
    assert classify_type_change(old_type, new_type) == operation


def test_unchanged_type_is_no_operation() -> None:
    same = parse_mysql_type("sa.DateTime()")
    assert same is not None and classify_type_change(same, same) is None
    old, new = parse_mysql_type("ENUM('a', 'b')"), parse_mysql_type("sa.Enum('a', 'b', name='e')")
    assert old is not None and new is not None and classify_type_change(old, new) is None


def test_enum_members_migcheck_cannot_read_decide_nothing() -> None:
    # sa.Enum(Status) names a Python enum, native_enum=False makes a VARCHAR: the members are not known
    for written in ("sa.Enum(Status)", "sa.Enum('a', 'b', native_enum=False)"):
        parsed = parse_mysql_type(written)
        assert parsed is not None and parsed.members == ()


#: (the type as a migration writes it, the same in DDL): TEXT(M) and BLOB(M) become a type of their family
SIZED = [
    ("TEXT(65535)", "TEXT(65535)"),
    ("TEXT(65535, charset='latin1')", "TEXT(65535) CHARACTER SET latin1"),
    ("TEXT(60)", "TEXT(60)"),
    ("TEXT(100)", "TEXT(100)"),
    ("TEXT(5000000)", "TEXT(5000000)"),
    ("BLOB(300)", "BLOB(300)"),
    ("BLOB(70000)", "BLOB(70000)"),
]


def test_sized_text_and_blob_are_created_as_migcheck_says(mariadb: tuple[Any, tuple[int, ...]]) -> None:
    """TEXT(65535) on a utf8mb4 table is a MEDIUMTEXT, so changing it to MEDIUMTEXT changes no type
    (held-out-4: tacker 70df18f71ba2); on latin1 it is a TEXT."""
    engine, _ = mariadb
    with engine.connect() as conn:
        for i, (_, ddl) in enumerate(SIZED):
            conn.execute(text(f"CREATE TABLE s{i} (b {ddl}) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"))
        for i, (spelled, _) in enumerate(SIZED):
            created = conn.execute(text(
                "SELECT DATA_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() "
                f"AND TABLE_NAME = 's{i}' AND COLUMN_NAME = 'b'")).scalar_one()
            parsed = parse_mysql_type(spelled)
            assert parsed is not None
            assert stored_mysql_type(parsed).name == str(created).lower(), spelled


def test_sized_text_equal_to_its_family_member_is_no_type_change() -> None:
    old, medium, text_ = (parse_mysql_type(t) for t in ("TEXT(length=65535)", "mediumtext", "Text()"))
    latin = parse_mysql_type("TEXT(65535, charset='latin1')")
    assert old is not None and medium is not None and text_ is not None and latin is not None
    assert classify_type_change(old, medium) is None
    assert classify_type_change(old, text_) == "change-column-type"  # MEDIUMTEXT to TEXT still copies


def test_foreign_key_runs_inplace_with_checks_off_as_the_fix_says(mariadb: tuple[Any, tuple[int, ...]]) -> None:
    engine, _ = mariadb
    with engine.connect() as conn:
        conn.execute(text("CREATE TABLE p (id INT PRIMARY KEY) ENGINE=InnoDB"))
        conn.execute(text("CREATE TABLE t (id INT PRIMARY KEY, pid INT) ENGINE=InnoDB"))
        conn.execute(text("SET SESSION foreign_key_checks = 0"))
        conn.execute(text("ALTER TABLE t ADD CONSTRAINT fk_t_p FOREIGN KEY (pid) REFERENCES p (id), ALGORITHM=INPLACE"))
