"""One revision up or down with Alembic, in one transaction: the ``Runner`` and what it needs.

By default through migcheck's own minimal environment (``ScriptDirectory`` +
``EnvironmentContext`` on migcheck's connection); with ``--use-env`` through the project's
env.py, its connections held to the scratch database and its output sent to a log. A step that
raises becomes ``StepFailed`` with the database's message and the line of the revision file.
Also used by the ``migcheck_migrate`` fixture (migrate.py).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import traceback
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

from migcheck.live import LiveError, roundtrips
from migcheck.live.results import StepFailed, VerifyOptions
from migcheck.live.schema import VERSION_TABLES
from migcheck.sources.discovery import Sources
from migcheck.vocabulary.revision import Migration

# --- running one step -----------------------------------------------------------------------------


class Runner:
    """Runs exactly one revision up or down with Alembic, in one transaction."""

    def __init__(
        self,
        sources: Sources,
        scratch_url: Any,
        use_env: bool,
        config_file: Path | None,
        leave_out: frozenset[Path] = frozenset(),
    ) -> None:
        from alembic.config import Config
        from alembic.script import ScriptDirectory

        self.use_env = use_env
        self.scratch_url = scratch_url
        self.version_tables = set(VERSION_TABLES)
        if use_env:
            assert config_file is not None
            url_text = scratch_url.render_as_string(hide_password=False)
            if config_file.name == "pyproject.toml":
                try:
                    self.config = Config(toml_file=str(config_file))
                except TypeError:  # alembic < 1.16 reads no pyproject.toml
                    raise LiveError("--use-env with pyproject.toml needs alembic >= 1.16") from None
            else:
                self.config = Config(str(config_file))
            self.config.set_main_option("sqlalchemy.url", url_text.replace("%", "%%"))
            self.script = _guard_alembic(lambda: ScriptDirectory.from_config(self.config))
        else:
            script_dir = sources.env_py[0].parent if sources.env_py else _common_parent(sources.python)
            locations = sorted({str(p.parent) for p in sources.python})
            self._links: tempfile.TemporaryDirectory[str] | None = None
            if leave_out:  # revisions that cannot be imported: alembic sees the others only
                self._links = tempfile.TemporaryDirectory(prefix="migcheck-versions-")
                by_folder: dict[Path, list[Path]] = {}
                for path in sources.python:
                    if path not in leave_out:
                        by_folder.setdefault(path.parent, []).append(path)
                locations = []
                for i, (_, files) in enumerate(sorted(by_folder.items())):
                    folder = Path(self._links.name) / str(i)
                    folder.mkdir()
                    for path in files:
                        (folder / path.name).symlink_to(path.resolve())
                    locations.append(str(folder))
            self.config = Config()
            self.config.set_main_option("script_location", str(script_dir))
            self.script = _guard_alembic(
                lambda: ScriptDirectory(str(script_dir), version_locations=locations)
            )
        _guard_alembic(lambda: self.script.revision_map.heads)  # imports every revision file now
        self.engine: Any = None
        #: The version table's rows after the last step that succeeded (None: unknown, Alembic reads them).
        self.version_heads: tuple[str, ...] | None = None
        #: --use-env: where env.py's output (logging, prints, warnings) goes; None leaves it alone.
        self.env_output: TextIO | None = None

    def close(self) -> None:
        links = getattr(self, "_links", None)
        if links is not None:
            links.cleanup()

    def known(self, rev_id: str) -> bool:
        try:
            return self.script.get_revision(rev_id) is not None
        except Exception:
            return False

    def step(self, migration: Migration, upgrade: bool) -> None:
        from alembic.runtime.migration import RevisionStep

        revision = self.script.get_revision(migration.revision)
        assert revision is not None
        step = RevisionStep(self.script.revision_map, revision, upgrade)
        reached: list[bool] = []
        heads = roundtrips.Heads()

        def steps(rev: Any, context: Any) -> list[Any]:
            reached.append(True)
            if context is not None and getattr(context, "version_table", None):
                self.version_tables.add(context.version_table)
            return [step]

        def configured(env: Any) -> None:
            if self.version_heads is not None:
                roundtrips.known_heads(env.get_context(), self.version_heads)

        try:
            run_migrations(self.config, self.script, steps, engine=self.engine, use_env=self.use_env,
                           scratch_url=self.scratch_url, env_output=self.env_output,
                           on_version_apply=heads.record, configured=configured)
        except LiveError:
            raise
        except Exception as exc:
            self.version_heads = None
            if not reached:
                raise LiveError(f"env.py failed before running any migration: {_error_text(exc)}") from None
            raise StepFailed(_error_text(exc), _line_in(exc, migration.path), exc) from exc
        if not reached:
            raise LiveError("env.py did not run the migrations (context.run_migrations() was never reached)")
        self.version_heads = None if self.use_env else heads.after



def run_migrations(config: Any, script: Any, fn: Callable[[Any, Any], list[Any]], *, engine: Any, use_env: bool,
                   scratch_url: Any, destination: str | None = None, env_output: TextIO | None = None,
                   on_version_apply: Callable[..., None] | None = None,
                   configured: Callable[[Any], None] | None = None) -> None:
    """Run Alembic's ``fn`` (the steps to take) in one transaction on the scratch database: through the
    project's env.py under ``--use-env`` (held to the scratch database, its output to ``env_output``),
    else in migcheck's minimal environment on ``engine``. verify's ``Runner`` and the pytest plugin's
    ``Migrator`` both run migrations here."""
    from alembic.runtime.environment import EnvironmentContext

    if use_env:
        with (
            _only_scratch(scratch_url),
            _output_to(env_output),
            EnvironmentContext(config, script, fn=fn, destination_rev=destination, as_sql=False),
        ):
            script.run_env()
        return
    with EnvironmentContext(config, script, fn=fn, destination_rev=destination) as env, engine.connect() as conn:
        if on_version_apply is not None:
            env.configure(connection=conn, on_version_apply=on_version_apply)
        else:
            env.configure(connection=conn)
        if configured is not None:
            configured(env)
        with env.begin_transaction():
            env.run_migrations()


def _guard_alembic(fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except LiveError:
        raise
    except Exception as exc:
        raise LiveError(f"alembic cannot load the revisions: {_error_text(exc)}") from None


def _only_scratch(scratch_url: Any) -> contextlib.AbstractContextManager[None]:
    """``--use-env``: refuse any connection env.py opens to a database other than the scratch one."""
    from migcheck.live.envguard import only_scratch

    return only_scratch(scratch_url)


@contextlib.contextmanager
def _output_to(stream: TextIO | None) -> Iterator[None]:
    """--use-env: env.py's stdout, stderr, Python warnings and logging go to ``stream``, not the terminal.

    ``fileConfig`` in env.py binds its handlers to ``sys.stderr`` as it is while env.py runs,
    so redirecting the streams catches Alembic's INFO lines and the application's logging too.
    """
    if stream is None:
        yield
        return
    with contextlib.redirect_stdout(stream), contextlib.redirect_stderr(stream), warnings.catch_warnings():
        warnings.simplefilter("default")

        def show(message: Any, category: Any, filename: str, lineno: int, file: Any = None, line: Any = None) -> None:
            stream.write(warnings.formatwarning(message, category, filename, lineno, line))

        warnings.showwarning = show
        yield


@contextlib.contextmanager
def _logging_kept() -> Iterator[None]:
    """Undo what env.py's ``fileConfig`` did to logging once the run is over (its handlers hold our log file)."""
    import logging

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    named = {name: (lg.handlers[:], lg.level, lg.disabled, lg.propagate)
             for name, lg in logging.Logger.manager.loggerDict.items() if isinstance(lg, logging.Logger)}
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        for name, lg in list(logging.Logger.manager.loggerDict.items()):
            if not isinstance(lg, logging.Logger):
                continue
            if name in named:
                lg.handlers[:], lg.level, lg.disabled, lg.propagate = named[name]
            else:
                lg.handlers[:] = []


@contextlib.contextmanager
def _env_log(options: VerifyOptions) -> Iterator[tuple[TextIO | None, str | None]]:
    """The stream env.py's output goes to under --use-env, and the note that says where it went."""
    if not options.use_env:
        yield None, None
        return
    if options.env_log is None and options.quiet:
        with open(os.devnull, "w", encoding="utf-8") as sink, _logging_kept():
            yield sink, None
        return
    if options.env_log is not None:
        path = options.env_log
    else:
        handle, name = tempfile.mkstemp(prefix="migcheck-env-", suffix=".log")
        os.close(handle)
        path = Path(name)
    try:
        log = path.open("w", encoding="utf-8")
    except OSError as exc:
        raise LiveError(f"cannot write --env-log {path}: {exc.strerror or exc}") from None
    with log, _logging_kept():
        yield log, f"the output of env.py and the migrations (--use-env) is in {path}"


def _common_parent(paths: list[Path]) -> Path:
    return Path(os.path.commonpath([str(p.parent.resolve()) for p in paths]))


def _error_text(exc: BaseException) -> str:
    from migcheck.live.provision import db_error

    if hasattr(exc, "orig") and getattr(exc, "orig", None) is not None:
        return db_error(exc)
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _line_in(exc: BaseException, path: Path) -> int | None:
    """The deepest line of the revision file in the traceback: the op.* call that failed."""
    target = os.path.realpath(path)
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if os.path.realpath(frame.filename) == target:
            line = frame.lineno
    return line


def _config_file(paths: list[Path]) -> Path | None:
    for raw in paths:
        path = raw.expanduser()
        if path.is_file() and (path.suffix == ".ini" or path.name == "pyproject.toml"):
            return path.resolve()
        if path.is_dir() and (path / "alembic.ini").is_file():
            return (path / "alembic.ini").resolve()
        if (
            path.is_dir()
            and (path / "pyproject.toml").is_file()
            and "[tool.alembic]" in (path / "pyproject.toml").read_text(encoding="utf-8", errors="replace")
        ):
            return (path / "pyproject.toml").resolve()
    return None
