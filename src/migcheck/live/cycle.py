"""``migcheck verify``: upgrade -> downgrade -> upgrade, revision by revision, on a real database.

For each revision r, in topological order from the base (or ``--from``) to the
heads (or ``--to``):

1. upgrade to r, recording (PostgreSQL) the locks it holds and the relations it
   rewrites, and snapshot the schema;
2. downgrade to r's parent(s) and compare with the snapshot from before r;
3. upgrade to r again and compare with the first snapshot.

Each step is one revision in one transaction (where the database has
transactional DDL). Alembic runs the steps: by default through migcheck's own
minimal environment (``ScriptDirectory`` + ``EnvironmentContext`` on
migcheck's connection, so an ``env.py`` that imports the application does not
matter), or with ``--use-env`` through the project's ``env.py``, its URL
pointed at the scratch database. A failed step on PostgreSQL rolls back, so
the revisions that do not depend on it still run; where the failed step left
the schema changed (MySQL/MariaDB, or an autocommit block), the run stops.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
import time
import traceback
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from migcheck.guard.escape import one_line
from migcheck.live import LiveError, require_live, roundtrips
from migcheck.live.fixes import inverse_fix, reupgrade_fix
from migcheck.live.locks import Cost, Lock, Rewrite, Unmeasured, mode_label, strength
from migcheck.live.schema import VERSION_TABLES, Difference, Snapshot, summarize
from migcheck.rules import live as live_rules
from migcheck.rules.live import MISSING_LOCK_TIMEOUT
from migcheck.rules.registry import get_rule
from migcheck.run.engine import LintResult, display_path, environments
from migcheck.sources.discovery import DiscoveryError, Sources, discover
from migcheck.sources.load import LoadError, load_python
from migcheck.vocabulary.findings import Finding
from migcheck.vocabulary.graph import RevisionGraph
from migcheck.vocabulary.revision import Migration


@dataclass
class VerifyOptions:
    paths: list[Path]
    db_url: str | None = None
    engine: str | None = None
    image: str | None = None
    allow_remote: bool = False
    use_env: bool = False
    from_rev: str | None = None
    to_rev: str | None = None
    seed_rows: int = 0
    #: verify-data: a folder of ``<revision>.toml`` files, rows inserted before a revision and checked after it.
    verify_data: Path | None = None
    check_models: str | None = None
    progress: bool = False
    #: --use-env: where env.py's output goes (None: a temporary log file, named in a note; discarded under -q).
    env_log: Path | None = None
    quiet: bool = False


@dataclass
class StepReport:
    """What happened to one revision: timings, locks, rewrites, schema differences."""

    revision: str
    path: str
    #: False for a revision only applied to reach ``--from`` (not cycled).
    checked: bool = True
    status: str = "ok"  # ok, failed, skipped, applied
    upgrade_ms: float | None = None
    downgrade_ms: float | None = None
    reupgrade_ms: float | None = None
    locks: list[Lock] = field(default_factory=list)
    rewrites: list[Rewrite] = field(default_factory=list)
    downgrade_diff: list[Difference] = field(default_factory=list)
    reupgrade_diff: list[Difference] = field(default_factory=list)
    costs: list[Cost] = field(default_factory=list)
    unmeasured: list[Unmeasured] = field(default_factory=list)
    #: Write-blocking locks on existing tables requested without lock_timeout.
    unbounded: list[Lock] = field(default_factory=list)
    error: str | None = None
    note: str | None = None
    #: The database was recreated and the applied revisions replayed after this revision.
    restored: bool = False


@dataclass
class VerifyResult(LintResult):
    """A LintResult (so every reporter prints it) plus the per-revision record of the cycle."""

    steps: list[StepReport] = field(default_factory=list)
    server: str = ""
    dialect: str = ""
    scratch_database: str = ""
    seed_rows: int = 0
    locks_measured: bool = False
    notes: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, Any]:
        """How many revisions were cycled, failed, skipped (and why) or only applied to reach --from."""
        cycled = [s for s in self.steps if s.checked and s.status in ("ok", "failed")]
        skipped = [s for s in self.steps if s.status == "skipped"]
        return {
            "checked": len(cycled),
            "failed": sum(1 for s in cycled if s.status == "failed"),
            "skipped": len(skipped),
            "applied_only": sum(1 for s in self.steps if s.status == "applied"),
            "skipped_because": [
                {"revision": s.revision, "reason": (s.note or "").removeprefix("not run: ")} for s in skipped
            ],
        }

    def revision_summary(self) -> str:
        """``22 revisions: 22 checked, 4 failed, 0 skipped``, with the reasons for the skipped ones."""
        c = self.counts()
        total = len(self.steps)
        text = (
            f"{total} revision{'s' if total != 1 else ''}: {c['checked']} checked, {c['failed']} failed, "
            f"{c['skipped']} skipped"
        )
        if c["applied_only"]:
            text += f", {c['applied_only']} only applied"
        reasons: dict[str, list[str]] = {}
        for item in c["skipped_because"]:
            reasons.setdefault(item["reason"], []).append(item["revision"])
        if reasons:
            text += " (" + "; ".join(
                f"{', '.join(revs[:3])}{f' and {len(revs) - 3} more' if len(revs) > 3 else ''}: {why}"
                for why, revs in reasons.items()
            ) + ")"
        return text


class StepFailed(Exception):
    """A migration step raised; ``error`` is the database's (or Python's) message."""

    def __init__(self, error: str, line: int | None, cause: BaseException) -> None:
        super().__init__(error)
        self.error = error
        self.line = line
        self.cause = cause


# --- loading --------------------------------------------------------------------------------------


def load_history(
    paths: list[Path], allow_empty: bool = False
) -> tuple[Sources, list[Migration], RevisionGraph]:
    """Discovery and the revision graph, as lint builds them; a broken graph cannot be verified.

    An empty history is an error unless ``allow_empty`` (verify reports it as nothing to check).
    """
    try:
        sources = discover(paths)
    except DiscoveryError as exc:
        raise LiveError(str(exc)) from None
    if not sources.python and not allow_empty:
        raise LiveError(f"no revision files found in {', '.join(str(p) for p in paths)}")
    migrations: list[Migration] = []
    for path in sources.python:
        try:
            migration = load_python(path, "postgresql")
        except LoadError as exc:
            raise LiveError(f"{display_path(exc.path)}:{exc.line}: {exc.message}") from None
        if migration is not None:
            migrations.append(migration)
    histories = environments(sources, migrations, [])
    if len(histories) > 1:  # as lint: each env.py with its versions/ is its own history, never one graph
        shown = ", ".join(display_path(env) for env, _, _ in histories if env is not None)
        raise LiveError(
            f"verify checks one Alembic environment at a time, and these paths hold {len(histories)} ({shown}): "
            "run `migcheck verify` once for each"
        )
    graph = RevisionGraph.build(migrations)
    for migration, parent in graph.missing_parents:
        raise LiveError(
            f"{display_path(migration.path)}: down_revision {parent!r} names no revision; "
            "verify needs the whole history (point it at the versions directory or alembic.ini)"
        )
    for rev_id, found in graph.declared.items():
        if len(found) > 1:
            raise LiveError(
                f"revision {rev_id} is declared in {len(found)} files; run `migcheck lint` for details"
            )
    cycles = graph.cycles()
    if cycles:
        raise LiveError(f"the revision graph has a cycle ({' -> '.join(cycles[0])}); run `migcheck lint`")
    return sources, migrations, graph


def _parents(graph: RevisionGraph, migration: Migration) -> list[str]:
    """down_revisions and depends_on: everything that must be applied before this revision."""
    out = [p for p in migration.down_revisions if p in graph.by_id]
    for dep in migration.depends_on:
        resolved = graph.resolve(dep)
        if resolved is not None and resolved.revision not in out:
            out.append(resolved.revision)
    return out


def plan(graph: RevisionGraph, from_rev: str | None, to_rev: str | None) -> list[tuple[Migration, bool]]:
    """The revisions to apply in order, each with whether it is cycled (True) or only applied."""
    ids = set(graph.by_id)
    checked = set(ids)
    from_rev = None if from_rev == "base" else from_rev
    to_rev = None if to_rev in ("head", "heads") else to_rev
    if to_rev is not None:
        target = _resolve(graph, to_rev, "--to")
        checked &= graph.ancestors(target) | {target}
    if from_rev is not None:
        start = _resolve(graph, from_rev, "--from")
        checked &= {r for r in ids if start in graph.ancestors(r)} | {start}
    if not checked:
        raise LiveError(f"nothing to verify between --from {from_rev} and --to {to_rev}")
    needed = set(checked)
    for rev in checked:
        needed |= graph.ancestors(rev)
    # Kahn's algorithm over down_revision and depends_on edges, ties by id for a stable order.
    import heapq

    parents = {r: _parents(graph, graph.by_id[r]) for r in needed}
    children: dict[str, list[str]] = {r: [] for r in needed}
    for rev, ps in parents.items():
        for p in ps:
            if p in children:
                children[p].append(rev)
    indegree = {r: sum(1 for p in ps if p in needed) for r, ps in parents.items()}
    ready = sorted(r for r, d in indegree.items() if d == 0)
    heapq.heapify(ready)
    order: list[tuple[Migration, bool]] = []
    while ready:
        rev = heapq.heappop(ready)
        order.append((graph.by_id[rev], rev in checked))
        for child in children[rev]:
            indegree[child] -= 1
            if indegree[child] == 0:
                heapq.heappush(ready, child)
    return order


def _resolve(graph: RevisionGraph, name: str, option: str) -> str:
    if name in ("base", "heads", "head"):
        raise LiveError(f"{option} {name} names no single revision (leave {option} out for the {name})")
    migration = graph.resolve(name)
    if migration is None:
        raise LiveError(
            f"{option} {name!r}: no such revision, branch label or label@head (or an ambiguous prefix, "
            "or a branch with several heads)"
        )
    return migration.revision


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
        from alembic.runtime.environment import EnvironmentContext
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

        try:
            if self.use_env:
                with (
                    _only_scratch(self.scratch_url),
                    _output_to(self.env_output),
                    EnvironmentContext(self.config, self.script, fn=steps, as_sql=False),
                ):
                    self.script.run_env()
            else:
                with (
                    EnvironmentContext(self.config, self.script, fn=steps) as env,
                    self.engine.connect() as conn,
                ):
                    env.configure(connection=conn, on_version_apply=heads.record)
                    if self.version_heads is not None:
                        roundtrips.known_heads(env.get_context(), self.version_heads)
                    with env.begin_transaction():
                        env.run_migrations()
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


# --- the cycle ------------------------------------------------------------------------------------


class Cycle:
    def __init__(self, options: VerifyOptions, runner: Runner, scratch: Any, engine: Any) -> None:
        self.options = options
        self.runner = runner
        self.scratch = scratch
        self.engine = engine
        #: Catalog reads (snapshots, relations) in autocommit on PostgreSQL: one round trip each.
        self.reader = roundtrips.reader(engine)
        self.postgres = scratch.dialect == "postgresql"
        self.findings: list[Finding] = []
        self.steps: list[StepReport] = []
        self.notes: list[str] = []
        #: The revisions applied now, in the order they were applied (a replay applies them again).
        self.applied: dict[str, Migration] = {}
        #: Revisions whose own upgrade failed: their descendants cannot run.
        self.broken: set[str] = set()
        self.skipped: set[str] = set()
        self.stopped: str | None = None
        self.restores = 0
        #: env.py sets lock_timeout (read statically): the locks of every revision are bounded.
        self.env_timeout = False
        #: MySQL/MariaDB: databases ("schemas") the migrations created on the server, dropped after the run.
        self.created_databases: set[str] = set()
        #: Revisions whose file cannot be imported here, with the reason (file, line, the import that failed).
        self.unimportable: dict[str, str] = {}
        #: verify-data: the rows and checks declared per revision (None without the option).
        self.data: Any = None

    # helpers -----------------------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        from migcheck.live import schema

        with self.reader.connect() as conn:
            return schema.take(conn, self.scratch.dialect, frozenset(self.runner.version_tables))

    def seed(self, enabled: bool = True) -> None:
        if self.options.seed_rows <= 0 or not enabled:
            return
        from migcheck.live import seed

        for note in seed.top_up(self.engine, self.options.seed_rows, frozenset(self.runner.version_tables)):
            if note not in self.notes:
                self.notes.append(note)

    def data_phase(self, phase: str, migration: Migration, report: StepReport) -> None:
        """verify-data: insert or check what the revision's data file declares for ``phase``."""
        if self.data is None:
            return
        for message in self.data.run(phase, migration.revision, self.engine):
            if report.checked:
                report.status = "failed"
            self.finding(live_rules.DATA_CHECK_FAILED, migration,
                         f"data check of {migration.revision}: {message}", None, upgrade_side=phase != "after_downgrade")

    def timed(self, migration: Migration, upgrade: bool) -> float:
        start = time.perf_counter()
        self.runner.step(migration, upgrade)
        return round((time.perf_counter() - start) * 1000, 1)

    def finding(
        self,
        rule_id: str,
        migration: Migration,
        message: str,
        line: int | None,
        fix: str | None = None,
        upgrade_side: bool = True,
        table: str | None = None,
    ) -> None:
        rule = get_rule(rule_id)
        assert rule is not None
        body = migration.upgrade if upgrade_side else migration.downgrade
        finding = Finding(
            rule=rule_id,
            severity=rule.severity,
            message=message,
            path=display_path(migration.path),
            line=line or (body.line if body else migration.line),
            revision=migration.revision,
            fix=fix,
        )
        if table:
            finding.extra["table"] = table  # table-stats: the size of this table decides the severity
        self.findings.append(finding)

    def restore(self, expected: Snapshot | None, report: StepReport) -> Snapshot:
        """Bring the scratch database back to the applied revisions, so the next revision starts clean.

        A failed step on PostgreSQL rolls back by itself; when the schema is still not what it
        should be (a half-applied step on MySQL/MariaDB, an autocommit block, a downgrade that
        is not the inverse), the database is recreated and the applied revisions replayed
        (upgrades only, no seed rows).
        """
        current = self.snapshot()
        if expected is not None and current == expected:
            return current
        admin_url = getattr(self.scratch, "admin_url", None)
        sqlite = self.scratch.dialect == "sqlite"
        if admin_url is None and not sqlite:
            self.stopped = f"the state after {report.revision} could not be restored; the revisions after it were not run"
            return current
        self.engine.dispose()
        self.runner.version_heads = None  # a new, empty database
        if sqlite:  # a scratch file: a new empty one is a new database
            Path(self.scratch.url.database).unlink(missing_ok=True)
        else:
            _recreate_database(admin_url, self.scratch.dialect, self.scratch.name)
            _drop_databases(admin_url, self.created_databases)
        self.restores += 1
        for migration in list(self.applied.values()):
            try:
                self.runner.step(migration, True)
            except StepFailed as exc:
                self.stopped = (
                    f"replaying the upgrades to restore the state after {report.revision} failed at "
                    f"{migration.revision} ({exc.error}); the revisions after it were not run"
                )
                break
        restored = self.snapshot()
        report.restored = True
        return restored

    # the run -----------------------------------------------------------------------------------

    def run(
        self,
        order: list[tuple[Migration, bool]],
        graph: RevisionGraph,
        tick: Callable[[str], None] | None = None,
    ) -> None:
        current = self.snapshot()
        for migration, checked in order:
            report = StepReport(migration.revision, display_path(migration.path), checked)
            self.steps.append(report)
            missing = [p for p in _parents(graph, migration) if p not in self.applied]
            if self.stopped:
                report.status, report.note = "skipped", "not run: the run stopped earlier"
            elif migration.revision in self.unimportable:
                self.skipped.add(migration.revision)
                report.status = "skipped"
                report.note = f"not run: cannot be imported here ({self.unimportable[migration.revision]})"
            elif missing:
                self.skipped.add(migration.revision)
                report.status, report.note = "skipped", f"not run: {self._why_missing(missing)}"
            elif not checked:
                current = self.apply_only(migration, report, current)
            else:
                current = self.cycle(migration, report, current)
            if tick:
                tick(migration.revision)

    def _why_missing(self, missing: list[str]) -> str:
        parts = []
        for parent in missing:
            if parent in self.broken:
                parts.append(f"the upgrade of {parent} failed")
            elif parent in self.unimportable:
                parts.append(f"{parent} cannot be imported here")
            elif parent in self.skipped:
                parts.append(f"{parent} was skipped")
            else:
                parts.append(f"{parent} is not applied")
        return "; ".join(parts)

    def apply_only(self, migration: Migration, report: StepReport, before: Snapshot) -> Snapshot:
        report.status = "applied"
        self.data_phase("before", migration, report)
        try:
            report.upgrade_ms = self.timed(migration, True)
        except StepFailed as exc:
            return self.fail_upgrade(migration, report, exc, before)
        self.applied[migration.revision] = migration
        after = self.snapshot()
        self.data_phase("at", migration, report)
        self.data_phase("after", migration, report)
        return after

    def fail_upgrade(self, migration: Migration, report: StepReport, exc: StepFailed, before: Snapshot) -> Snapshot:
        report.status, report.error = "failed", exc.error
        self.broken.add(migration.revision)
        rows = f" (each table held {self.options.seed_rows} rows)" if self.options.seed_rows else ""
        fix = None
        if "null value" in exc.error or "contains null values" in exc.error or "cannot be null" in exc.error:
            fix = (
                "add the column with a server_default, or add it nullable, backfill it, then "
                "op.alter_column(..., nullable=False)"
            )
        if self.scratch.dialect == "sqlite" and _needs_batch(exc.error):
            fix = (
                "SQLite cannot alter a column or a constraint in place: put these operations in "
                '`with op.batch_alter_table("table") as batch_op:` (Alembic\'s batch mode copies the table)'
            )
        self.finding(
            live_rules.UPGRADE_FAILED,
            migration,
            f"upgrade of {migration.revision} fails{rows}: {exc.error}",
            exc.line,
            fix,
        )
        return self.restore(before, report)

    def cycle(self, migration: Migration, report: StepReport, before: Snapshot) -> Snapshot:
        from migcheck.live.schema import diff

        # 1. upgrade, watching locks and file nodes
        self.data_phase("before", migration, report)  # declared rows first: seed rows number past them
        self.seed()
        try:
            report.upgrade_ms = self.upgrade_watched(migration, report)
        except StepFailed as exc:
            current = self.fail_upgrade(migration, report, exc, before)
            if not self.options.seed_rows or self.stopped:
                return current
            # The failure under seed rows is the finding; the history goes on from the unseeded state.
            current = self.restore(None, report)
            if self.stopped:
                return current
            try:
                report.upgrade_ms = self.upgrade_watched(migration, report)
            except StepFailed as again:
                report.note = f"fails on empty tables too: {again.error}"
                return self.restore(current, report)
            self.broken.discard(migration.revision)
            report.note = "upgrades on empty tables; checked on from there without seed rows"
            before = current
            seeding = False
        else:
            seeding = True
        self.applied[migration.revision] = migration
        after_up = self.snapshot()
        self.data_phase("at", migration, report)
        self.data_phase("after", migration, report)

        # 2. downgrade, compare with the schema from before the upgrade
        self.seed(seeding)
        try:
            report.downgrade_ms = self.timed(migration, False)
        except StepFailed as exc:
            report.status, report.error = "failed", exc.error
            rows = f" (each table held {self.options.seed_rows} rows)" if seeding and self.options.seed_rows else ""
            self.finding(
                live_rules.DOWNGRADE_FAILED,
                migration,
                f"downgrade of {migration.revision} fails{rows}: {exc.error}",
                exc.line,
                upgrade_side=False,
            )
            return self.restore(after_up, report)
        del self.applied[migration.revision]
        after_down = self.snapshot()
        self.data_phase("after_downgrade", migration, report)
        report.downgrade_diff = diff(before, after_down)
        if report.downgrade_diff:
            report.status = "failed"
            self.finding(
                live_rules.DOWNGRADE_NOT_INVERSE,
                migration,
                f"downgrade of {migration.revision} does not restore the schema from before the upgrade: "
                f"{summarize(report.downgrade_diff)}",
                None,
                inverse_fix(report.downgrade_diff),
                upgrade_side=False,
            )

        # 3. upgrade again, compare with the first upgrade
        self.seed(seeding)
        self.applied[migration.revision] = migration  # what the state must be after this step
        try:
            report.reupgrade_ms = self.timed(migration, True)
        except StepFailed as exc:
            report.status, report.error = "failed", exc.error
            self.finding(
                live_rules.UPGRADE_NOT_REPEATABLE,
                migration,
                f"upgrading {migration.revision} again after its downgrade fails: {exc.error}",
                exc.line,
                reupgrade_fix(report.downgrade_diff),
            )
            return self.restore(None, report)  # the version table says the parent: always rebuild
        after_up2 = self.snapshot()
        report.reupgrade_diff = diff(after_up, after_up2)
        if report.reupgrade_diff:
            report.status = "failed"
            self.finding(
                live_rules.UPGRADE_NOT_REPEATABLE,
                migration,
                f"upgrading {migration.revision} again after its downgrade gives a different schema: "
                f"{summarize(report.reupgrade_diff)}",
                None,
            )
            return self.restore(after_up, report)
        return after_up2

    def upgrade_watched(self, migration: Migration, report: StepReport) -> float:
        """The first upgrade of a revision: on PostgreSQL its locks, costs and rewrites are recorded."""
        from migcheck.live import locks as lockmod

        if not self.postgres:
            return self.timed(migration, True)
        with self.reader.connect() as conn:
            recorder = lockmod.Recorder(
                self.scratch.name, migration.path, lockmod.relations(conn), frozenset(self.runner.version_tables)
            )
        with recorder.listening():
            elapsed = self.timed(migration, True)
        result = recorder.result()
        if self.env_timeout:  # env.py sets lock_timeout for every migration (not run without --use-env)
            for lock in result.locks:
                lock.bounded = True
        report.locks, report.rewrites = result.locks, result.rewrites
        report.costs, report.unmeasured = result.costs, result.unmeasured
        report.unbounded = result.unbounded
        self.lock_findings(migration, report)
        return elapsed

    def lock_findings(self, migration: Migration, report: StepReport) -> None:
        for cost in report.costs:
            self.finding(
                live_rules.DANGEROUS_LOCK,
                migration,
                _cost_message(migration.revision, cost),
                cost.line,
                _cost_fix(cost),
                table=cost.relation,
            )
        groups: dict[tuple[int | None, str | None], list[Rewrite]] = {}
        for rewrite in report.rewrites:
            groups.setdefault((rewrite.line, rewrite.statement), []).append(rewrite)
        for (line, statement), rewrites in groups.items():
            tables = [r for r in rewrites if r.kind != "index"] or rewrites
            indexes = [r.relation for r in rewrites if r.kind == "index" and r not in tables]
            by = f"; caused by `{statement}`" if statement else ""
            for rewrite in tables:
                if rewrite.truncate:
                    self.finding(
                        live_rules.TABLE_REWRITE,
                        migration,
                        f"upgrade of {migration.revision} empties existing {rewrite.kind} {rewrite.relation}: "
                        f"TRUNCATE deletes every row at once (the table gets a new, empty file) under an "
                        f"ACCESS EXCLUSIVE lock{by}",
                        line,
                        "delete only the rows the migration means to remove (DELETE ... WHERE), in batches, "
                        "or move the data out first if it is still needed",
                        table=rewrite.relation,
                    )
                    continue
                also = (
                    f" and its index{'es' if len(indexes) > 1 else ''} {', '.join(indexes)}"
                    if indexes
                    else ""
                )
                what = f"{rewrite.kind} {rewrite.relation}{also}"
                self.finding(
                    live_rules.TABLE_REWRITE,
                    migration,
                    f"upgrade of {migration.revision} rewrites existing {what} (new relfilenode): "
                    f"every row is copied while an ACCESS EXCLUSIVE lock blocks all access{by}",
                    line,
                    REWRITE_FIX,
                    table=rewrite.relation,
                )

    def lock_timeout_finding(self, env_py: Path | None, env_sets_timeout: bool) -> None:
        """Strong locks requested without lock_timeout: one finding for the run, with the fix once."""
        unbounded = [(s, lk) for s in self.steps for lk in s.unbounded]
        if not unbounded or env_sets_timeout:
            return
        rule = get_rule(MISSING_LOCK_TIMEOUT)
        if rule is None:
            return
        strongest: dict[tuple[str, str], Lock] = {}
        for step, lock in unbounded:
            held = strongest.get((step.revision, lock.relation))
            if held is None or strength(lock.mode) > strength(held.mode):
                strongest[(step.revision, lock.relation)] = lock
        revisions = list(dict.fromkeys(revision for revision, _ in strongest))
        shown = ", ".join(revisions[:12]) + (f" and {len(revisions) - 12} more" if len(revisions) > 12 else "")
        n = len(strongest)
        first = next(s for s, _ in unbounded)
        path = env_py
        self.findings.append(
            Finding(
                rule=MISSING_LOCK_TIMEOUT,
                severity=rule.severity,
                message=(
                    f"verify: {n} write-blocking lock{'s' if n != 1 else ''} on existing tables "
                    f"{'were' if n != 1 else 'was'} requested with no lock_timeout set, by revision"
                    f"{'s' if len(revisions) != 1 else ''} {shown} (each revision's locks are in the verify table). "
                    "Each waits behind any long query on its table, and every query after it waits too"
                ),
                path=display_path(path) if path else first.path,
                line=1,
                revision=None if path else first.revision,
                fix=LOCK_FIX,
            )
        )


def _needs_batch(error: str) -> bool:
    """A SQLite error that Alembic's batch mode exists for: ALTER of a column or a constraint."""
    return 'near "ALTER"' in error or "SQLite dialect" in error or "batch mode" in error


def _cost_message(revision: str, cost: Cost) -> str:
    lock = cost.lock
    blocks = "reads and writes" if lock.mode == "AccessExclusiveLock" else "writes"
    taken = ""
    if lock.statement and lock.statement != cost.statement:
        taken = f" (taken by `{lock.statement}`{f', line {lock.line}' if lock.line else ''})"
    what = {
        "index build": "builds an index over the whole table",
        "scan": "scans the whole table",
    }[cost.work]
    by = f"`{cost.statement}`" if cost.statement else "the step"
    probed = " (measured in a probe transaction: it ran in an autocommit block)" if lock.probed else ""
    bounded = "" if lock.bounded else "; no lock_timeout was set"
    return (
        f"upgrade of {revision}: {by} {what} {cost.relation} while holding {mode_label(lock.mode)}{taken}, "
        f"blocking {blocks} for as long as the table is big{bounded}{probed}"
    )


def _cost_fix(cost: Cost) -> str:
    text = (cost.statement or "").upper()
    if cost.work == "index build":
        if "CONSTRAINT" in text or "PRIMARY KEY" in text:
            return (
                "build the unique index first with op.create_index(..., unique=True, postgresql_concurrently=True) "
                "inside op.get_context().autocommit_block(), then add the constraint USING INDEX"
            )
        return (
            "with op.get_context().autocommit_block():\n"
            "    op.create_index(..., postgresql_concurrently=True)"
        )
    if "NOT NULL" in text:
        return (
            "prove it first: add CHECK (col IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT it in a separate "
            "transaction, then SET NOT NULL (PostgreSQL 12+ skips the scan)"
        )
    if "CHECK" in text or "FOREIGN KEY" in text or "REFERENCES" in text:
        return (
            "add the constraint NOT VALID (postgresql_not_valid=True), then VALIDATE CONSTRAINT it in a "
            "separate transaction: that takes SHARE UPDATE EXCLUSIVE, and writes go on"
        )
    return "do the table-size work in its own transaction, without the schema change's lock (in batches)"


LOCK_FIX = (
    "set a lock_timeout once, in env.py, so every migration gives up instead of queueing:\n"
    "    context.configure(connection=connection, ...)\n"
    "    connection.execute(sa.text(\"SET lock_timeout = '5s'\"))  # before context.run_migrations()"
)
REWRITE_FIX = (
    "avoid the rewrite: add a new column, backfill it in batches and switch over, or change to a "
    "binary-compatible type (varchar(n) -> text, a longer varchar)"
)


_CREATE_DATABASE = re.compile(
    r"^\s*CREATE\s+(?:DATABASE|SCHEMA)\s+(?:IF\s+NOT\s+EXISTS\s+)?[`\"]?([A-Za-z0-9_$]+)", re.I
)


@contextlib.contextmanager
def _created_databases(scratch: Any) -> Iterator[set[str]]:
    """MySQL/MariaDB: the databases the migrations create with CREATE DATABASE/SCHEMA, dropped at the end.

    Only the names this run's statements created and that did not exist before are dropped:
    the server is shared, and other databases on it are none of verify's business.
    """
    created: set[str] = set()
    admin_url = getattr(scratch, "admin_url", None)
    if scratch.dialect != "mysql" or admin_url is None:
        yield created
        return
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    existing = _databases(admin_url)

    def watch(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        match = _CREATE_DATABASE.match(statement)
        if match and conn.engine.url.database == scratch.name and match.group(1) not in existing:
            created.add(match.group(1))

    event.listen(Engine, "after_cursor_execute", watch)
    try:
        yield created
    finally:
        event.remove(Engine, "after_cursor_execute", watch)
        _drop_databases(admin_url, created)


def _databases(admin_url: Any) -> set[str]:
    from sqlalchemy import create_engine

    from migcheck.live.provision import _null_pool

    admin = create_engine(admin_url, poolclass=_null_pool())
    try:
        with admin.connect() as conn:
            return {str(r[0]) for r in conn.exec_driver_sql("SHOW DATABASES")}
    finally:
        admin.dispose()


def _drop_databases(admin_url: Any, names: set[str]) -> None:
    if not names:
        return
    from sqlalchemy import create_engine

    from migcheck.live.provision import _null_pool

    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=_null_pool())
    try:
        with admin.connect() as conn:
            for name in sorted(names):
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")
    finally:
        admin.dispose()


#: Async drivers and the sync driver verify uses on the same server instead.
_SYNC_FOR = {"asyncpg": "psycopg2", "psycopg_async": "psycopg2", "aiomysql": "pymysql", "asyncmy": "pymysql"}


def _sync_driver(url_text: str) -> tuple[str, str | None]:
    """``postgresql+asyncpg://...`` -> the same URL with psycopg2, and a note saying so."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(url_text)
    except (ArgumentError, ValueError):
        return url_text, None  # provision says what is wrong with it
    driver = url.get_driver_name()
    if driver not in _SYNC_FOR:
        return url_text, None
    sync = url.set(drivername=f"{url.get_backend_name()}+{_SYNC_FOR[driver]}")
    note = f"--db-url names the async driver {driver}; verify connected to the same server with {_SYNC_FOR[driver]}"
    return sync.render_as_string(hide_password=False), note


def _async_env(env_py: Path) -> bool:
    """An env.py that migrates through an async engine (``async_engine_from_config``, ``run_sync``)."""
    try:
        text = env_py.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return "async_engine_from_config" in text or "create_async_engine" in text or ".run_sync(" in text


def _unimportable(migrations: list[Migration]) -> dict[str, str]:
    """Revisions whose file raises ImportError when imported here: revision -> ``file:line: error``."""
    from alembic.util.pyfiles import load_module_py

    out: dict[str, str] = {}
    for i, migration in enumerate(migrations):
        try:
            load_module_py(f"migcheck_import_probe_{i}", str(migration.path))
        except ImportError as exc:
            line = _line_in(exc, migration.path)
            where = f"{display_path(migration.path)}:{line}" if line else display_path(migration.path)
            out[migration.revision] = f"{where}: {type(exc).__name__}: {exc}"
        except Exception:  # any other error: alembic's own message says it when the map is built
            continue
        finally:
            sys.modules.pop(f"migcheck_import_probe_{i}", None)
    return out


def _with_descendants(graph: RevisionGraph, revisions: dict[str, str] | set[str]) -> set[str]:
    if not revisions:
        return set()
    roots = set(revisions)
    return roots | {r for r in graph.by_id if graph.ancestors(r) & roots}


def _recreate_database(admin_url: Any, dialect: str, name: str) -> None:
    """Drop the scratch database and create it empty again, under the same name."""
    import json

    from sqlalchemy import create_engine

    from migcheck.live.provision import _drop, _literal, _null_pool, _owner_comment, _quote

    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=_null_pool())
    try:
        _drop(admin, dialect, name)
        with admin.connect() as conn:
            charset = " CHARACTER SET utf8mb4" if dialect == "mysql" else ""
            conn.exec_driver_sql(f"CREATE DATABASE {_quote(dialect, name)}{charset}")
            if dialect == "postgresql":  # the owner mark provision puts on it, so a killed run's copy is swept
                conn.exec_driver_sql(
                    f"COMMENT ON DATABASE {_quote(dialect, name)} IS {_literal(json.dumps(_owner_comment()))}"
                )
    finally:
        admin.dispose()


# --- entry point ----------------------------------------------------------------------------------


@contextlib.contextmanager
def _on_sys_path(paths: list[Path]) -> Iterator[None]:
    """The project's root on sys.path, as alembic's own command line does, so revisions can import it."""
    added = [str(p) for p in paths if str(p) not in sys.path]
    sys.path[:0] = added
    try:
        yield
    finally:
        for p in added:
            with contextlib.suppress(ValueError):
                sys.path.remove(p)


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


def verify(options: VerifyOptions) -> VerifyResult:
    """Provision, cycle every revision, compare with the models, drop everything; findings as a result."""
    require_live()
    from sqlalchemy import create_engine
    from sqlalchemy.exc import DBAPIError

    from migcheck.live import drift
    from migcheck.live.provision import provision
    from migcheck.sources.envinfo import read_env

    sources, migrations, graph = load_history(options.paths, allow_empty=True)
    async_note = None
    if options.db_url:
        options.db_url, async_note = _sync_driver(options.db_url)
    if options.use_env and sources.env_py and _async_env(sources.env_py[0]):
        raise LiveError(
            f"--use-env: {display_path(sources.env_py[0])} runs the migrations through an async engine, which "
            "verify cannot watch; run verify without --use-env (the revisions run on a sync driver)"
        )
    if not migrations:  # as lint: an empty history is nothing to check, not an error
        shown = ", ".join(str(p) for p in options.paths)
        return VerifyResult(findings=[], migrations=[], graph=graph, sources=sources,
                            notes=[f"no revision files found in {shown}: nothing to verify"])
    order = plan(graph, options.from_rev, options.to_rev)
    hooks = _data_hooks(options, graph)  # a bad data file is one line before anything is provisioned
    env = read_env(sources.env_py[0] if sources.env_py else None)
    config_file = _config_file(options.paths)
    if options.use_env and config_file is None:
        raise LiveError("--use-env needs the project's alembic.ini (point PATH at it or at its directory)")
    roots = [p for p in [config_file.parent if config_file else None, Path.cwd()] if p is not None]
    target = drift.load_target(options.check_models, roots) if options.check_models else None

    with (
        _on_sys_path(roots),
        _env_log(options) as (env_output, env_note),
        provision(options.db_url, options.engine, options.image, options.allow_remote) as scratch,
    ):
        engine = create_engine(scratch.url)  # pooled: a step and its snapshots reuse connections
        roundtrips.own_connections(engine)
        stack = contextlib.ExitStack()
        try:
            unimportable: dict[str, str] = {}
            with _output_to(env_output):  # importing the revisions may log or print too
                try:
                    runner = Runner(sources, scratch.url, options.use_env, config_file)
                except LiveError:
                    unimportable = {} if options.use_env else _unimportable(migrations)
                    if not unimportable:
                        raise
                    leave_out = _with_descendants(graph, unimportable)
                    runner = Runner(
                        sources, scratch.url, False, config_file,
                        frozenset(graph.by_id[r].path for r in leave_out),
                    )
            stack.callback(runner.close)
            runner.engine = engine
            runner.env_output = env_output
            skipped_here = _with_descendants(graph, unimportable)
            unknown = [m.revision for m, _ in order if m.revision not in skipped_here and not runner.known(m.revision)]
            if unknown:
                raise LiveError(
                    f"alembic does not see revision {unknown[0]} that migcheck found; "
                    "check version_locations in alembic.ini"
                )
            cycle = Cycle(options, runner, scratch, engine)
            cycle.env_timeout = env.sets_lock_timeout
            cycle.unimportable = unimportable
            cycle.data = hooks
            if unimportable:
                first = next(iter(unimportable.values()))
                cycle.notes.append(
                    f"{len(unimportable)} revision{'s' if len(unimportable) != 1 else ''} cannot be imported here "
                    f"(first: {first}); they and their descendants were skipped, every other revision was "
                    "checked. Run verify where the application is importable: install alembic-migcheck[live] "
                    "into the application's virtualenv and run `migcheck verify` there (or put the "
                    "application's root on PYTHONPATH)"
                )
            with _progress(len(order), options.progress) as tick, _created_databases(scratch) as created:
                cycle.created_databases = created
                cycle.run(order, graph, tick)
            if cycle.postgres:
                cycle.lock_timeout_finding(env.path, env.sets_lock_timeout)
            if target is not None:
                if len(cycle.applied) == len(order) and not cycle.stopped:
                    cycle.notes.extend(env.compare.notes)
                    with engine.connect() as conn:
                        for found in drift.compare(conn, target, env.compare):
                            rule = get_rule(live_rules.MODEL_DRIFT)
                            assert rule is not None
                            cycle.findings.append(
                                Finding(
                                    live_rules.MODEL_DRIFT,
                                    rule.severity,
                                    found.message,
                                    display_path(found.path),
                                    found.line,
                                )
                            )
                else:
                    cycle.notes.append("--check-models: not compared, the heads were not reached")
        except DBAPIError as exc:  # the server went away, or a snapshot query failed: not a finding
            raise LiveError(f"database error outside a migration step: {_error_text(exc)}") from None
        finally:
            engine.dispose()
            stack.close()
    notes = list(cycle.notes)
    if async_note:
        notes.append(async_note)
    if len(graph.heads) > 1:
        heads = ", ".join(h.revision for h in graph.heads)
        notes.append(f"the history has {len(graph.heads)} heads ({heads}): verify cycled every branch; "
                     "whether that is a fault is for `migcheck lint` (multiple-heads)")
    if env_note:
        notes.append(env_note)
    if hooks is not None:
        notes.extend(n for n in (hooks.summary_note(), hooks.unused_note()) if n)
    if cycle.stopped:
        notes.insert(0, cycle.stopped)
    if cycle.restores:
        notes.append(
            f"the scratch database was recreated and the applied upgrades replayed {cycle.restores} "
            f"time{'s' if cycle.restores != 1 else ''} after a failure, so every revision started from a clean state"
        )
    if scratch.dialect == "sqlite":
        notes.append(
            "locks and rewrites are measured on PostgreSQL only: on SQLite (one lock on the whole file per "
            "write; batch mode copies a table to alter it) they were not measured for any revision"
        )
    elif not cycle.postgres:
        notes.append(
            "locks and rewrites are measured on PostgreSQL only: metadata locks and table copies on "
            "MySQL/MariaDB were not measured for any revision"
        )
    cycle.findings.sort(key=Finding.sort_key)
    return VerifyResult(
        findings=cycle.findings,
        migrations=migrations,
        graph=graph,
        sources=sources,
        files_checked=len(sources.python),
        steps=cycle.steps,
        server=scratch.server,
        dialect=scratch.dialect,
        scratch_database=scratch.name,
        seed_rows=options.seed_rows,
        locks_measured=cycle.postgres,
        notes=notes,
    )


def _data_hooks(options: VerifyOptions, graph: RevisionGraph) -> Any:
    """The verify-data folder read and checked against the history (None without the option)."""
    if options.verify_data is None:
        return None
    from migcheck.live import datachecks

    return datachecks.DataHooks(datachecks.load(options.verify_data, graph), options.seed_rows)


def _shown_revision(rev: str | None) -> str:
    """A revision id from the project, as the progress bar may print it on a terminal."""
    return one_line(rev or "")


@contextlib.contextmanager
def _progress(total: int, enabled: bool) -> Iterator[Callable[[str], None] | None]:
    """A progress bar on stderr when it is a terminal; nothing otherwise."""
    if not enabled:
        yield None
        return
    import typer  # its progressbar: typer vendors click, so "import click" may not exist

    with typer.progressbar(
        length=total, label="verify", file=sys.stderr, item_show_func=_shown_revision
    ) as bar:

        def tick(revision: str) -> None:
            bar.current_item = revision  # shown by item_show_func
            bar.update(1)

        yield tick
