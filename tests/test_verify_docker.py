"""``verify --engine docker`` against a real Docker engine and locally built images.

`scripts/docker-test-env.sh start` starts a private dockerd and builds the images from Debian
packages (no registry); `.ci/run` does so before the tests. Without an engine or the images these
tests skip with the reason. Each run is a real ``migcheck verify`` subprocess; the assertions are
what a user sees (rule ids, lines, exit codes, the server named in the report) and what the
engine holds afterwards (no migcheck container left, whatever way the run ended).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import FIXTURES, ROOT
from migcheck.live import docker as mdocker

VERIFY = FIXTURES / "verify"
PG15 = "migcheck-local/postgres:15"
PG13 = "migcheck-local/postgres:13"
IP4R = "migcheck-local/ip4r:15"
MARIADB = "migcheck-local/mariadb:10.11"
SETUP = "bash scripts/docker-test-env.sh start"


@pytest.fixture(scope="module")
def engine() -> Iterator[Any]:
    """A client of the Docker engine that DOCKER_HOST names, or a skip that says why there is none."""
    if os.environ.get("MIGCHECK_DOCKER_UNAVAILABLE"):  # set by .ci/run when the engine could not start
        pytest.skip(os.environ["MIGCHECK_DOCKER_UNAVAILABLE"])
    try:
        import docker
    except ImportError:
        pytest.skip("the docker extra is not installed")
    try:
        client = docker.from_env()
        client.ping()
    except Exception as exc:
        pytest.skip(f"no Docker engine answers ({str(exc).splitlines()[0][:120]}); run `{SETUP}`")
    yield client
    client.close()


def need(engine: Any, *images: str) -> None:
    import docker

    for image in images:
        try:
            engine.images.get(image)
        except docker.errors.ImageNotFound:
            pytest.skip(f"image {image} is not on the Docker engine; run `{SETUP}`")


def ours(engine: Any, pid: int | None = None) -> set[str]:
    """migcheck's containers on the engine (of one process when ``pid`` is given)."""
    label = mdocker.LABEL_OWNER if pid is None else f"{mdocker.LABEL_PID}={pid}"
    return {c.id for c in engine.containers.list(all=True, filters={"label": label})}


def verify(project: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``migcheck verify`` as a user runs it, in its own process (its pid labels its container).

    The reaper is left enabled: with no registry to pull it from, migcheck must run without it.
    """
    return subprocess.run(
        [sys.executable, "-m", "migcheck", "verify", str(project), *args],
        env={**without_reaper_setting(), "PYTHONPATH": str(ROOT / "src"), **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )


def without_reaper_setting() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "TESTCONTAINERS_RYUK_DISABLED"}


def write_project(root: Path, revisions: dict[str, str]) -> Path:
    """A versions directory with one file per revision body (header added here)."""
    versions = root / "versions"
    versions.mkdir(parents=True)
    previous = None
    for number, (name, body) in enumerate(revisions.items(), start=1):
        revision = f"{number:04d}"
        header = f'import sqlalchemy as sa\nfrom alembic import op\n\nrevision = "{revision}"\n'
        header += f"down_revision = {previous!r}\n\n"
        (versions / f"{revision}_{name}.py").write_text(header + textwrap.dedent(body), encoding="utf-8")
        previous = revision
    return versions


# --- findings, exit codes and the server that ran --------------------------------------------------


def test_postgres_container_finds_rewrites(engine: Any) -> None:
    need(engine, PG15)
    before = ours(engine)
    run = verify(VERIFY / "lock_rewrite", "--engine", "docker", "--image", PG15, "--format", "json")
    assert run.returncode == 1, run.stderr
    report = json.loads(run.stdout)
    found = {(f["rule"], Path(f["path"]).name, f["line"]) for f in report["findings"]}
    assert ("table-rewrite", "0002_amount_bigint.py", 10) in found
    assert ("table-rewrite", "0003_note_text.py", 10) not in found  # varchar -> text: no rewrite, measured
    assert report["verify"]["server"].startswith(f"docker {PG15} (PostgreSQL 15.")
    assert ours(engine) == before


def test_the_server_version_decides_not_the_default(engine: Any, tmp_path: Path) -> None:
    """UNIQUE NULLS NOT DISTINCT is PostgreSQL 15 syntax: the 13 container fails it, the 15 one runs it."""
    need(engine, PG13, PG15)
    project = write_project(
        tmp_path,
        {
            "accounts": """
            def upgrade():
                op.create_table("accounts", sa.Column("id", sa.Integer, primary_key=True),
                                sa.Column("email", sa.Text))


            def downgrade():
                op.drop_table("accounts")
            """,
            "unique_email": """
            def upgrade():
                op.execute("ALTER TABLE accounts ADD CONSTRAINT uq_email UNIQUE NULLS NOT DISTINCT (email)")


            def downgrade():
                op.drop_constraint("uq_email", "accounts")
            """,
        },
    )
    before = ours(engine)
    old = verify(project, "--engine", "docker", "--image", PG13)
    assert old.returncode == 1, old.stderr
    assert f"Verified on docker {PG13} (PostgreSQL 13." in old.stdout
    assert "0002_unique_email.py:9  upgrade-failed" in old.stdout
    assert 'syntax error at or near "NULLS"' in old.stdout

    new = verify(project, "--engine", "docker", "--image", PG15)
    assert new.returncode == 0, new.stdout + new.stderr
    assert f"Verified on docker {PG15} (PostgreSQL 15." in new.stdout
    assert "upgrade-failed" not in new.stdout
    assert ours(engine) == before


def test_mariadb_container_runs_the_mysql_cycle(engine: Any) -> None:
    need(engine, MARIADB)
    before = ours(engine)
    run = verify(VERIFY / "forgets_drop", "--engine", "docker", "--image", MARIADB)
    assert run.returncode == 1, run.stderr
    assert f"Verified on docker {MARIADB} (MariaDB 10.11" in run.stdout
    assert "0002_note.py:14  downgrade-not-inverse" in run.stdout
    assert "0002_note.py:10  upgrade-not-repeatable" in run.stdout
    assert "(1060) Duplicate column name 'note'" in run.stdout
    assert "locks and rewrites are measured on PostgreSQL only" in run.stdout
    assert ours(engine) == before


def test_an_image_named_after_its_extension_is_postgresql(engine: Any, tmp_path: Path) -> None:
    """Like postgis/postgis or pgvector/pgvector: the name does not say postgres, the server does."""
    need(engine, IP4R)
    project = write_project(
        tmp_path,
        {
            "hosts": """
            def upgrade():
                op.execute("CREATE EXTENSION ip4r")
                op.execute("CREATE TABLE hosts (id serial PRIMARY KEY, addr ip4 NOT NULL)")


            def downgrade():
                op.execute("DROP TABLE hosts")
                op.execute("DROP EXTENSION ip4r")
            """,
        },
    )
    run = verify(project, "--engine", "docker", "--image", IP4R)
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"Verified on docker {IP4R} (PostgreSQL 15." in run.stdout


def test_a_mirror_prefix_finds_the_image_under_the_mirror_name(engine: Any) -> None:
    """TESTCONTAINERS_HUB_IMAGE_NAME_PREFIX: postgres:15 is looked for as PREFIX + postgres:15."""
    need(engine, PG15)
    run = verify(VERIFY / "clean", "--engine", "docker", "--image", "postgres:15",
                 env={"TESTCONTAINERS_HUB_IMAGE_NAME_PREFIX": "migcheck-local/"})
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"Verified on docker {PG15} (PostgreSQL 15." in run.stdout


# --- errors that name the real cause ----------------------------------------------------------------


def test_no_engine_is_one_line_that_names_the_other_engines(tmp_path: Path) -> None:
    run = verify(VERIFY / "clean", "--engine", "docker", "--image", PG15,
                 env={"DOCKER_HOST": f"unix://{tmp_path}/no-docker.sock"})
    assert run.returncode == 2
    assert run.stderr.startswith("migcheck: error: --engine docker: no Docker engine answers (")
    assert "use --engine embedded" in run.stderr and "--db-url URL" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1, run.stderr


def test_a_start_timeout_that_is_not_a_number() -> None:
    run = verify(VERIFY / "clean", "--engine", "docker", "--image", PG15,
                 env={"MIGCHECK_DOCKER_START_TIMEOUT": "soon"})
    assert run.returncode == 2
    assert run.stderr.strip() == "migcheck: error: MIGCHECK_DOCKER_START_TIMEOUT must be a number of seconds, not 'soon'"


def test_an_image_name_the_engine_cannot_read(engine: Any) -> None:
    run = verify(VERIFY / "clean", "--engine", "docker", "--image", "Not A:Name")
    assert run.returncode == 2
    assert len(run.stderr.strip().splitlines()) == 1, run.stderr
    assert run.stderr.startswith("migcheck: error: --image Not A:Name")


def test_an_image_that_is_not_there_and_no_registry(engine: Any) -> None:
    run = verify(VERIFY / "clean", "--engine", "docker", "--image", "migcheck-local/no-such-image:1")
    assert run.returncode == 2
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert "image migcheck-local/no-such-image:1 is not on this Docker engine and pulling" in lines[0]
    assert "TESTCONTAINERS_HUB_IMAGE_NAME_PREFIX" in lines[0]


@pytest.fixture
def derived(engine: Any) -> Iterator[Any]:
    """Images made from the PostgreSQL 15 image with another entrypoint (removed afterwards)."""
    made: list[str] = []

    def make(name: str, entrypoint: list[str]) -> str:
        need(engine, PG15)
        container = engine.containers.create(PG15)
        try:
            container.commit(
                repository="migcheck-test/derived", tag=name,
                changes=[f"ENTRYPOINT {json.dumps(entrypoint)}", "CMD []"],
            )
        finally:
            container.remove(force=True)
        made.append(f"migcheck-test/derived:{name}")
        return made[-1]

    yield make
    for image in made:
        engine.images.remove(image, force=True)


def test_a_container_that_exits_says_why(engine: Any, derived: Any) -> None:
    image = derived("exits", ["sh", "-c", "echo 'FATAL: bad setting: shared_buffers' >&2; exit 3"])
    before = ours(engine)
    run = verify(VERIFY / "clean", "--engine", "docker", "--image", image)
    assert run.returncode == 2
    assert run.stderr.strip() == (
        f"migcheck: error: --engine docker: the container of {image} exited (code 3) before its server "
        "answered: FATAL: bad setting: shared_buffers"
    )
    assert ours(engine) == before


def test_a_port_that_never_answers_says_so(engine: Any, derived: Any) -> None:
    image = derived("silent", ["sleep", "600"])
    before = ours(engine)
    run = verify(VERIFY / "clean", "--engine", "docker", "--image", image,
                 env={"MIGCHECK_DOCKER_START_TIMEOUT": "3"})
    assert run.returncode == 2
    assert len(run.stderr.strip().splitlines()) == 1, run.stderr
    # the deadline it gave up at is the one set (not the default 120 s): said, not timed
    assert f"port 5432 of {image} never answered within 3 s" in run.stderr
    assert ours(engine) == before


# --- no container outlives its run ---------------------------------------------------------------------


@pytest.fixture
def slow_project(tmp_path: Path) -> Path:
    """A revision that says when it started and then takes a minute: time to interrupt it."""
    return write_project(
        tmp_path / "project",
        {
            "slow": """
            import os
            import time
            from pathlib import Path


            def upgrade():
                op.execute("CREATE TABLE slow (id integer)")
                Path(os.environ["MIGCHECK_TEST_MARKER"]).write_text("started")
                time.sleep(60)


            def downgrade():
                op.execute("DROP TABLE slow")
            """,
        },
    )


def start_slow(project: Path, marker: Path) -> subprocess.Popen[str]:
    """A verify run on a PostgreSQL 15 container, returned once its slow revision is running."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "migcheck", "verify", str(project), "--engine", "docker", "--image", PG15],
        env={**without_reaper_setting(), "PYTHONPATH": str(ROOT / "src"), "MIGCHECK_TEST_MARKER": str(marker)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    for _ in range(1200):  # the container is up and the revision started within two minutes
        if marker.exists() or proc.poll() is not None:
            break
        time.sleep(0.1)
    if not marker.exists():
        proc.kill()
        raise AssertionError(proc.communicate(timeout=30))
    return proc


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_an_interrupted_run_removes_its_container(
    engine: Any, slow_project: Path, tmp_path: Path, sig: int
) -> None:
    need(engine, PG15)
    proc = start_slow(slow_project, tmp_path / "started")
    try:
        assert len(ours(engine, proc.pid)) == 1, "the run's container should exist while it runs"
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    assert "the container was removed" in err
    assert "Traceback" not in err
    assert ours(engine, proc.pid) == set()


def test_the_next_run_removes_the_container_of_a_killed_run(
    engine: Any, slow_project: Path, tmp_path: Path
) -> None:
    need(engine, PG15)
    proc = start_slow(slow_project, tmp_path / "started")
    proc.kill()  # SIGKILL: no cleanup runs
    proc.communicate(timeout=60)
    left = ours(engine, proc.pid)
    assert len(left) == 1, "a killed run cannot remove its own container"

    run = verify(VERIFY / "clean", "--engine", "docker", "--image", PG15)
    assert run.returncode == 0, run.stdout + run.stderr
    assert ours(engine, proc.pid) == set()


# --- labels without an engine ---------------------------------------------------------------------


def test_owner_labels_tell_a_live_run_from_a_dead_one() -> None:
    labels = mdocker.owner_labels("abc")
    assert labels[mdocker.LABEL_OWNER] == "migcheck"
    assert labels[mdocker.LABEL_PID] == str(os.getpid())
    assert mdocker.owner_alive(labels)

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    assert not mdocker.owner_alive({**labels, mdocker.LABEL_PID: str(dead.pid)})
    if mdocker.LABEL_PID_START in labels:  # Linux: a reused pid is not the run that started it
        assert not mdocker.owner_alive({**labels, mdocker.LABEL_PID_START: "1"})
    other_host = {**labels, mdocker.LABEL_HOST: socket.gethostname() + "-elsewhere", mdocker.LABEL_PID: str(dead.pid)}
    assert mdocker.owner_alive(other_host), "another machine's container is not ours to remove"


# --- the local images keep the official images' contract ------------------------------------------


@pytest.fixture
def container(engine: Any) -> Iterator[Any]:
    """Start a container of a local image with the given environment; its server URL once it answers."""
    started: list[Any] = []

    def run(image: str, environment: dict[str, str], port: int) -> tuple[str, int]:
        need(engine, image)
        box = engine.containers.run(image, detach=True, environment=environment,
                                    ports={f"{port}/tcp": ("127.0.0.1", None)},
                                    labels={"migcheck.test": "contract"})
        started.append(box)
        box.reload()
        return "127.0.0.1", int(box.attrs["NetworkSettings"]["Ports"][f"{port}/tcp"][0]["HostPort"])

    yield run
    for box in started:
        box.remove(force=True)


def first_answer(url: str, sql: str) -> list[Any]:
    """Rows of ``sql`` once the server accepts the connection (a fresh container initialises first)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    engine = create_engine(url, poolclass=NullPool)
    last: Exception | None = None
    try:
        for _ in range(240):
            try:
                with engine.connect() as conn:
                    return list(conn.execute(text(sql)))
            except Exception as exc:
                last = exc
                if "password authentication failed" in str(exc) or "Access denied" in str(exc):
                    raise
                time.sleep(0.5)
        raise AssertionError(f"no answer: {last}")
    finally:
        engine.dispose()


def test_local_postgres_image_keeps_the_official_contract(container: Any) -> None:
    host, port = container(PG13, {"POSTGRES_USER": "app", "POSTGRES_PASSWORD": "s3cret", "POSTGRES_DB": "shop"},
                           5432)
    rows = first_answer(f"postgresql+psycopg2://app:s3cret@{host}:{port}/shop",
                        "SELECT current_user, current_database(), current_setting('server_version_num')")
    assert rows[0][:2] == ("app", "shop")
    assert rows[0][2].startswith("13")
    with pytest.raises(Exception, match="password authentication failed"):
        first_answer(f"postgresql+psycopg2://app:wrong@{host}:{port}/shop", "SELECT 1")


def test_local_mariadb_image_keeps_the_official_contract(container: Any) -> None:
    host, port = container(MARIADB, {"MARIADB_ROOT_PASSWORD": "s3cret", "MARIADB_DATABASE": "shop"}, 3306)
    rows = first_answer(f"mysql+pymysql://root:s3cret@{host}:{port}/shop", "SELECT DATABASE(), VERSION()")
    assert rows[0][0] == "shop"
    assert rows[0][1].startswith("10.11")
    with pytest.raises(Exception, match="Access denied"):
        first_answer(f"mysql+pymysql://root:wrong@{host}:{port}/shop", "SELECT 1")
