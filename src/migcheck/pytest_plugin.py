"""migcheck inside the test suite: lint and verify as test items, and fixtures for data migrations.

Enabled per run with ``pytest --migcheck`` (``--migcheck-verify`` adds the live cycle) or for
the project with ``[tool.pytest.ini_options] migcheck = true``. Items:

- ``migcheck::test_migcheck[lint:<rev>]``: one per revision; fails with migcheck's message and
  fix when a finding at or above ``fail-on`` remains (``[tool.migcheck]`` and inline
  suppressions apply, as on the command line); ``[lint:project]`` holds the findings that
  belong to no revision (the graph, env.py, unreadable files).
- ``migcheck::test_migcheck[verify:<rev>]``: one per revision of the live upgrade -> downgrade ->
  upgrade cycle, each failure reported on its own; ``[verify:project]`` holds verify's findings
  that belong to no revision (env.py's missing lock timeout); ``[verify:models]`` with
  ``migcheck_check_models``.

The fixtures (``migcheck_database``, ``migcheck_migrate``) are there whether or not the items
are collected: the plugin is loaded for every test suite of an environment that has migcheck
installed, so importing it costs nothing and it collects nothing unless asked.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from migcheck.guard.escape import one_line, terminal

ITEM = "test_migcheck"
_STATE = pytest.StashKey["_State"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("migcheck", "migcheck: Alembic migration safety checks")
    group.addoption("--migcheck", action="store_true", default=None,
                    help="Collect migcheck lint items, one per revision (ini: migcheck = true).")
    group.addoption("--migcheck-verify", action="store_true", default=None,
                    help="Also collect the live upgrade/downgrade/upgrade cycle, one item per revision.")
    group.addoption("--migcheck-db-url", default=None,
                    help="Server for verify items and the migcheck_database fixture (default: embedded PostgreSQL).")
    parser.addini("migcheck", type="bool", default=False, help="Collect migcheck lint items.")
    parser.addini("migcheck_verify", type="bool", default=False, help="Collect migcheck verify items.")
    parser.addini("migcheck_paths", type="linelist", default=[],
                  help="What migcheck checks (default: paths in [tool.migcheck], else the rootdir).")
    parser.addini("migcheck_db_url", default="", help="Server URL for verify items and migcheck_database.")
    parser.addini("migcheck_engine", default="embedded", help="embedded (default) or docker.")
    parser.addini("migcheck_allow_remote", type="bool", default=False,
                  help="Allow a migcheck_db_url whose host is not this machine (as --allow-remote).")
    parser.addini("migcheck_image", default="", help="Image for migcheck_engine = docker.")
    parser.addini("migcheck_use_env", type="bool", default=False,
                  help="Run revisions through the project's env.py (verify items, migcheck_migrate).")
    parser.addini("migcheck_check_models", default="",
                  help="module:attribute of the models' MetaData: adds a verify:models item.")


@dataclass
class _State:
    """What one pytest session computed once and every item reads."""

    lint: Any = None
    lint_error: str | None = None
    verify: Any = None
    verify_error: str | None = None
    notes: list[str] = field(default_factory=list)


def _enabled(config: pytest.Config, option: str, ini: str) -> bool:
    value = config.getoption(option)
    return bool(value) if value is not None else bool(config.getini(ini))


def _paths(config: pytest.Config) -> list[Path] | None:
    """``migcheck_paths`` from the ini file, relative to the rootdir; None: migcheck's own config decides."""
    listed = [p for p in config.getini("migcheck_paths") if p.strip()]
    base = Path(config.rootpath)
    return [base / p for p in listed] if listed else None


def _project_paths(config: pytest.Config) -> list[Path]:
    """What verify and migcheck_migrate run: ``migcheck_paths``, else ``[tool.migcheck] paths``, else the rootdir."""
    paths = _paths(config)
    if paths:
        return paths
    from migcheck.run.config import ConfigError, load_settings

    with _cwd(Path(config.rootpath)):
        try:
            return load_settings(None).paths or [Path(config.rootpath)]
        except ConfigError:
            return [Path(config.rootpath)]


def _db_url(config: pytest.Config) -> str | None:
    return config.getoption("--migcheck-db-url") or config.getini("migcheck_db_url") or None


def _run_lint(config: pytest.Config) -> _State:
    state = config.stash.get(_STATE, None)
    if state is None:
        state = config.stash[_STATE] = _State()
    if state.lint is None and state.lint_error is None:
        import migcheck

        with _cwd(Path(config.rootpath)):
            try:
                state.lint = migcheck.lint(_paths(config))
            except migcheck.UsageError as exc:
                state.lint_error = str(exc)
    return state


def _run_verify(config: pytest.Config) -> _State:
    state = _run_lint(config)
    if state.verify is None and state.verify_error is None:
        import migcheck

        engine = None if _db_url(config) else config.getini("migcheck_engine") or None
        with _cwd(Path(config.rootpath)):
            try:
                state.verify = migcheck.verify(
                    _project_paths(config), db_url=_db_url(config), engine=engine,
                    image=config.getini("migcheck_image") or None,
                    allow_remote=config.getini("migcheck_allow_remote"), use_env=config.getini("migcheck_use_env"),
                    check_models=config.getini("migcheck_check_models") or None,
                )
            except migcheck.UsageError as exc:
                state.verify_error = str(exc)
    return state


@contextlib.contextmanager
def _cwd(path: Path) -> Iterator[None]:
    """Paths in messages are relative to the rootdir, as on the command line run from there."""
    with contextlib.chdir(path) if hasattr(contextlib, "chdir") else _chdir(path):
        yield


@contextlib.contextmanager
def _chdir(path: Path) -> Iterator[None]:  # Python 3.10
    import os

    before = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


class MigcheckFailure(Exception):
    """A migcheck item failed: its findings, as the text report shows them."""


class MigcheckItem(pytest.Item):
    """One revision's lint or verify findings, as a test."""

    def __init__(self, *, kind: str, revision: str | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.kind, self.revision = kind, revision
        self.add_marker(pytest.mark.migcheck)

    def runtest(self) -> None:
        state = _run_verify(self.config) if self.kind == "verify" else _run_lint(self.config)
        error = state.verify_error if self.kind == "verify" else state.lint_error
        if error:
            raise MigcheckFailure(f"migcheck {self.kind}: {one_line(error)}")
        result = state.verify if self.kind == "verify" else state.lint
        if self.kind == "verify" and self.revision not in (None, "models"):
            step = next((s for s in result.raw.steps if s.revision == self.revision), None)
            if step is None or not step.checked:
                pytest.skip("not part of the verify plan (--from/--to)")
            if step.status == "skipped":
                pytest.skip(one_line(f"verify skipped {self.revision}: {step.note or 'an earlier revision failed'}"))
        failing = self._failing(result)
        if failing:
            raise MigcheckFailure(_describe(failing))

    def _failing(self, result: Any) -> list[Any]:
        """This item's findings at or above ``fail-on``; ``models`` and ``project`` take the rest."""
        chosen = []
        for finding in result.failing():
            if self.revision == "models":
                belongs = finding.rule == "model-drift"
            elif self.revision is None:
                belongs = finding.revision is None and finding.rule != "model-drift"
            else:
                belongs = finding.revision == self.revision
            if belongs:
                chosen.append(finding)
        return chosen

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, MigcheckFailure):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo, style))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"migcheck {self.kind}: {one_line(self.revision or 'project')}"


def _describe(findings: list[Any]) -> str:

    lines = []
    for f in findings:
        lines.append(f"{one_line(f.path)}:{f.line}  {f.rule}  {f.severity.label}: {one_line(f.message)}")
        if f.fix:
            first, *rest = terminal(f.fix).split("\n")
            lines += ["    fix: " + first, *("         " + line for line in rest)]
    return "\n".join(lines)


class MigcheckCollector(pytest.Collector):
    def collect(self) -> list[pytest.Item]:
        config = self.config
        state = _run_lint(config)
        items: list[pytest.Item] = []
        revisions: list[str] = []
        if state.lint is not None:
            graph = state.lint.raw.graph
            revisions = [m.revision for m in graph.upgrade_order()]
            revisions += sorted({m.revision for m in state.lint.raw.migrations} - set(revisions))
        lint_targets: list[str | None] = [None, *revisions]
        for rev in lint_targets:
            items.append(MigcheckItem.from_parent(
                self, name=f"{ITEM}[lint:{one_line(rev or 'project')}]", kind="lint", revision=rev))
        if _enabled(config, "--migcheck-verify", "migcheck_verify"):
            verify_targets: list[str | None] = [None, *revisions]  # project: what belongs to no revision (env.py)
            for rev in verify_targets:
                items.append(MigcheckItem.from_parent(
                    self, name=f"{ITEM}[verify:{one_line(rev or 'project')}]", kind="verify", revision=rev))
            if config.getini("migcheck_check_models"):
                items.append(MigcheckItem.from_parent(self, name=f"{ITEM}[verify:models]", kind="verify",
                                                      revision="models"))
        return items


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "migcheck: migcheck lint and verify items")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """Add the items before -k/-m select: ``pytest --migcheck -k lint`` runs only lint items."""
    if not (_enabled(config, "--migcheck", "migcheck") or _enabled(config, "--migcheck-verify", "migcheck_verify")):
        return
    collector = MigcheckCollector.from_parent(session, name="migcheck", nodeid="migcheck", path=session.path)
    added: list[pytest.Item | pytest.Collector] = list(collector.collect())
    # Reported like any collected node, so "collected N items" and -k/-m counts include them.
    config.hook.pytest_collectreport(report=pytest.CollectReport(collector.nodeid, "passed", None, list(added)))
    items[:0] = [item for item in added if isinstance(item, pytest.Item)]


# --- fixtures --------------------------------------------------------------------------------------


@dataclass
class MigcheckDatabase:
    """A scratch database of this test's own, dropped after it."""

    url: str
    dialect: str
    name: str
    _engines: list[Any] = field(default_factory=list)

    def engine(self, **kwargs: Any) -> Any:
        """A SQLAlchemy engine on the scratch database (disposed when the test ends)."""
        from sqlalchemy import create_engine

        engine = create_engine(self.url, **kwargs)
        self._engines.append(engine)
        return engine

    def url_for(self, driver: str) -> str:
        """The URL with another driver, e.g. ``asyncpg`` for ``create_async_engine``."""
        from sqlalchemy.engine import make_url

        url = make_url(self.url)
        return url.set(drivername=f"{url.get_backend_name()}+{driver}").render_as_string(hide_password=False)

    @property
    def async_url(self) -> str:
        """``postgresql+asyncpg://`` or ``mysql+aiomysql://``: the async driver must be installed."""
        return self.url_for("asyncpg" if self.dialect == "postgresql" else "aiomysql")


@pytest.fixture(scope="session")
def migcheck_server(pytestconfig: pytest.Config) -> Iterator[Any]:
    """The server scratch databases are made on: ``migcheck_db_url``, docker, or embedded PostgreSQL."""
    from migcheck.live import LiveError, provision

    db_url = _db_url(pytestconfig)
    try:
        if db_url:
            url = provision.parse_url(db_url)
            provision.refuse_remote(url, pytestconfig.getini("migcheck_allow_remote"))
            yield url
        elif pytestconfig.getini("migcheck_engine") == "docker":
            with provision.docker_server(pytestconfig.getini("migcheck_image") or provision.DEFAULT_IMAGE) as (url, _):
                yield url
        else:
            with provision.embedded_server() as url:
                yield url
    except LiveError as exc:
        pytest.fail(f"migcheck: {exc}", pytrace=False)


@pytest.fixture
def migcheck_database(migcheck_server: Any) -> Iterator[MigcheckDatabase]:
    """A scratch database on ``migcheck_server``, created for this test and dropped after it."""
    from migcheck.live.provision import scratch_database

    with scratch_database(migcheck_server, "pytest") as scratch:
        database = MigcheckDatabase(scratch.url.render_as_string(hide_password=False), scratch.dialect, scratch.name)
        try:
            yield database
        finally:
            for engine in database._engines:
                engine.dispose()


@pytest.fixture
def migcheck_migrate(pytestconfig: pytest.Config, migcheck_database: MigcheckDatabase) -> Iterator[Any]:
    """Upgrade or downgrade the scratch database to any revision: ``migcheck_migrate.upgrade("ab12")``."""
    from migcheck.live import LiveError
    from migcheck.live.migrate import Migrator

    with _cwd(Path(pytestconfig.rootpath)):
        paths = _project_paths(pytestconfig)
        try:
            migrator = Migrator(paths, migcheck_database.url, use_env=pytestconfig.getini("migcheck_use_env"))
        except LiveError as exc:
            pytest.fail(f"migcheck: {exc}", pytrace=False)
    try:
        yield migrator
    finally:
        migrator.dispose()
