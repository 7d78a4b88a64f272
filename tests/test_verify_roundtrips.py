"""The round trips verify saves (live/roundtrips.py) read exactly what the plain queries read.

Each test works on a database it creates on the PostgreSQL service and drops it.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import FIXTURES, run_cli


@pytest.fixture
def own_database(postgres_service_url: str) -> Iterator[Any]:
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    name = f"migcheck_rt_{secrets.token_hex(4)}"
    admin = create_engine(postgres_service_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine = create_engine(make_url(postgres_service_url).set(database=name))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def test_the_prepared_snapshot_is_the_plain_snapshot(own_database: Any) -> None:
    from migcheck.live import roundtrips, schema

    with own_database.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE t (id serial PRIMARY KEY, name varchar(20) NOT NULL DEFAULT 'x');"
            "CREATE INDEX ix_t_name ON t (name); COMMENT ON TABLE t IS 'a table';"
            "COMMENT ON COLUMN t.name IS 'it''s a name'"
        )
    reader = roundtrips.reader(own_database)
    with own_database.connect() as conn:  # in a transaction: the plain query
        plain = schema.take(conn, "postgresql")
    with reader.connect() as conn:
        first = schema.take(conn, "postgresql")
        again = schema.take(conn, "postgresql")  # EXECUTE of the statement PREPAREd above
        assert conn.connection.info.get(roundtrips.statement_name("snapshot"))
        conn.exec_driver_sql("DEALLOCATE ALL")  # the server forgot it: the plain query answers
        forgotten = schema.take(conn, "postgresql")
    assert plain == first == again == forgotten
    assert plain["table comment t"] == "a table"
    assert plain["column t.name"].endswith("COMMENT 'it''s a name'")


def test_version_table_statements_outside_the_revision_are_bookkeeping(tmp_path: Path) -> None:
    from migcheck.live.locks import Recorder

    revision = tmp_path / "0001_x.py"
    revision.write_text("", encoding="utf-8")
    recorder = Recorder("db", revision, {}, frozenset({"alembic_version", "my_versions"}))
    assert recorder.bookkeeping("UPDATE alembic_version SET version_num='2' WHERE alembic_version.version_num = '1'")
    assert recorder.bookkeeping("SELECT my_versions.version_num FROM my_versions")
    assert not recorder.bookkeeping("ALTER TABLE alembic_version ADD COLUMN x int")
    assert not recorder.bookkeeping("UPDATE orders SET status = 'x'")
    # the revision's own statement on the version table is measured like any other
    seen: dict[str, Any] = {"recorder": recorder}
    exec(compile("result = recorder.bookkeeping('DELETE FROM alembic_version')", str(revision), "exec"), seen)
    assert seen["result"] is False


def test_a_failed_step_and_a_rebuild_still_verify_the_rest(postgres_service_url: str) -> None:
    """After a failure the version rows are read from the database again (known heads are forgotten)."""
    run = run_cli("verify", FIXTURES / "verify" / "full_cycle", "--db-url", postgres_service_url, "--format", "json")
    assert run.exit_code == 1, run.stderr
    steps = run.json()["verify"]["steps"]
    assert any(s.get("restored") for s in steps)
    assert all(s["status"] in ("ok", "failed") for s in steps)  # nothing skipped: every revision ran


def test_a_migration_cannot_replace_the_statements_verify_reads_with(postgres_service_url: str) -> None:
    """A revision that DEALLOCATEs and PREPAREs verify's statement names (the fixed ones of old) changes
    nothing: the statements are named per run, so the forged ones are never executed; a revision
    that runs DEALLOCATE ALL does not fail for it."""
    run = run_cli(
        "verify", FIXTURES / "verify" / "forged_statements", "--db-url", postgres_service_url, "--format", "json"
    )
    assert run.exit_code == 1, run.stderr
    found = {(f["rule"], f["revision"]): f["message"] for f in run.json()["findings"]}
    not_inverse = found[("downgrade-not-inverse", "0002")]
    assert "left behind: table tags" in not_inverse  # the real snapshot, not the forged one
    assert "left behind: index items.ix_items_name" in not_inverse
    assert "lost" not in not_inverse
    assert "CREATE INDEX ix_items_name ON items (name)" in found[("dangerous-lock", "0002")]  # the real reading
    # DEALLOCATE ALL in a step: the reading is prepared again (an EXECUTE of the lost statement
    # would abort the step's transaction and report a sound upgrade as failed)
    statuses = {s["revision"]: s["status"] for s in run.json()["verify"]["steps"]}
    assert statuses["0003"] == "ok", run.json()["verify"]["steps"]
    assert "CREATE INDEX ix_items_flag ON items (flag)" in found[("dangerous-lock", "0003")]


def test_sequence_owners_read_through_the_catalog_as_before(own_database: Any) -> None:
    """The owner of a sequence (OWNED BY, identity, serial), in this schema and another, and none: the same
    text whether the owner is found through the query's relation list (before) or the catalog's indexes."""
    from migcheck.live import roundtrips, schema

    with own_database.begin() as conn:
        conn.exec_driver_sql(
            "CREATE SCHEMA other; CREATE TABLE t (id serial PRIMARY KEY, n int GENERATED BY DEFAULT AS IDENTITY);"
            "CREATE TABLE other.u (id int); CREATE SEQUENCE other.useq OWNED BY other.u.id;"
            "CREATE SEQUENCE loose"
        )
    with roundtrips.reader(own_database).connect() as conn:
        snap = schema.take(conn, "postgresql")
        again = schema.take(conn, "postgresql")
    assert snap == again
    assert snap["sequence t_id_seq"].endswith(" OWNED BY t.id")
    assert snap["sequence t_n_seq"].endswith(" OWNED BY t.n")
    assert snap["sequence other.useq"].endswith(" OWNED BY other.u.id")
    assert "OWNED BY" not in snap["sequence loose"]
