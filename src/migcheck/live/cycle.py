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
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from migcheck.discovery import DiscoveryError, Sources, discover
from migcheck.engine import LintResult, display_path
from migcheck.findings import Finding
from migcheck.graph import RevisionGraph
from migcheck.live import LiveError, require_live
from migcheck.live import rules as live_rules
from migcheck.live.locks import Lock, Rewrite, mode_label, strength
from migcheck.live.schema import VERSION_TABLES, Difference, Snapshot, summarize
from migcheck.load import LoadError, load_python
from migcheck.revision import Migration
from migcheck.rules.registry import get_rule


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
    check_models: str | None = None
    progress: bool = False


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
    error: str | None = None
    note: str | None = None


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


class StepFailed(Exception):
    """A migration step raised; ``error`` is the database's (or Python's) message."""

    def __init__(self, error: str, line: int | None, cause: BaseException) -> None:
        super().__init__(error)
        self.error = error
        self.line = line
        self.cause = cause


# --- loading --------------------------------------------------------------------------------------


def load_history(paths: list[Path]) -> tuple[Sources, list[Migration], RevisionGraph]:
    """Discovery and the revision graph, as lint builds them; a broken graph cannot be verified."""
    try:
        sources = discover(paths)
    except DiscoveryError as exc:
        raise LiveError(str(exc)) from None
    if not sources.python:
        raise LiveError(f"no revision files found in {', '.join(str(p) for p in paths)}")
    migrations: list[Migration] = []
    for path in sources.python:
        try:
            migration = load_python(path, "postgresql")
        except LoadError as exc:
            raise LiveError(f"{display_path(exc.path)}:{exc.line}: {exc.message}") from None
        if migration is not None:
            migrations.append(migration)
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
        raise LiveError(f"{option} takes a revision id (leave it out for the {name})")
    migration = graph.resolve(name)
    if migration is None:
        raise LiveError(f"{option} {name!r}: no such revision (or an ambiguous prefix)")
    return migration.revision


# --- running one step -----------------------------------------------------------------------------


class Runner:
    """Runs exactly one revision up or down with Alembic, in one transaction."""

    def __init__(self, sources: Sources, scratch_url: Any, use_env: bool, config_file: Path | None) -> None:
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
            self.config = Config()
            self.config.set_main_option("script_location", str(script_dir))
            self.script = _guard_alembic(
                lambda: ScriptDirectory(str(script_dir), version_locations=locations)
            )
        _guard_alembic(lambda: self.script.revision_map.heads)  # imports every revision file now
        self.engine: Any = None

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

        def steps(rev: Any, context: Any) -> list[Any]:
            reached.append(True)
            if context is not None and getattr(context, "version_table", None):
                self.version_tables.add(context.version_table)
            return [step]

        try:
            if self.use_env:
                with (
                    _only_scratch(self.scratch_url),
                    EnvironmentContext(self.config, self.script, fn=steps, as_sql=False),
                ):
                    self.script.run_env()
            else:
                with (
                    EnvironmentContext(self.config, self.script, fn=steps) as env,
                    self.engine.connect() as conn,
                ):
                    env.configure(connection=conn)
                    with env.begin_transaction():
                        env.run_migrations()
        except LiveError:
            raise
        except Exception as exc:
            if not reached:
                raise LiveError(f"env.py failed before running any migration: {_error_text(exc)}") from None
            raise StepFailed(_error_text(exc), _line_in(exc, migration.path), exc) from exc
        if not reached:
            raise LiveError("env.py did not run the migrations (context.run_migrations() was never reached)")


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
        self.postgres = scratch.dialect == "postgresql"
        self.findings: list[Finding] = []
        self.steps: list[StepReport] = []
        self.notes: list[str] = []
        self.applied: set[str] = set()
        self.stopped: str | None = None

    # helpers -----------------------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        from migcheck.live import schema

        with self.engine.connect() as conn:
            return schema.take(conn, self.scratch.dialect, frozenset(self.runner.version_tables))

    def seed(self) -> None:
        if self.options.seed_rows <= 0:
            return
        from migcheck.live import seed

        for note in seed.top_up(self.engine, self.options.seed_rows, frozenset(self.runner.version_tables)):
            if note not in self.notes:
                self.notes.append(note)

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
    ) -> None:
        rule = get_rule(rule_id)
        assert rule is not None
        body = migration.upgrade if upgrade_side else migration.downgrade
        self.findings.append(
            Finding(
                rule=rule_id,
                severity=rule.severity,
                message=message,
                path=display_path(migration.path),
                line=line or (body.line if body else migration.line),
                revision=migration.revision,
                fix=fix,
            )
        )

    def settle(self, expected: Snapshot, migration: Migration, what: str) -> None:
        """After a failed step: the schema must be what it was, or nothing after can be trusted."""
        if self.snapshot() != expected:
            why = (
                "an autocommit block committed part of it"
                if self.postgres
                else "DDL is not transactional on MySQL/MariaDB"
            )
            self.stopped = (
                f"the failed {what} of {migration.revision} left the schema half-changed ({why}); "
                "the revisions after it were not run"
            )

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
            elif missing:
                report.status, report.note = "skipped", f"not run: {', '.join(missing)} is not applied"
            elif not checked:
                current = self.apply_only(migration, report, current)
            else:
                current = self.cycle(migration, report, current)
            if tick:
                tick(migration.revision)

    def apply_only(self, migration: Migration, report: StepReport, before: Snapshot) -> Snapshot:
        report.status = "applied"
        try:
            report.upgrade_ms = self.timed(migration, True)
        except StepFailed as exc:
            self.fail_upgrade(migration, report, exc, before)
            return before
        self.applied.add(migration.revision)
        return self.snapshot()

    def fail_upgrade(
        self, migration: Migration, report: StepReport, exc: StepFailed, before: Snapshot
    ) -> None:
        report.status, report.error = "failed", exc.error
        rows = f" (each table held {self.options.seed_rows} rows)" if self.options.seed_rows else ""
        fix = None
        if "null value" in exc.error or "contains null values" in exc.error or "cannot be null" in exc.error:
            fix = (
                "add the column with a server_default, or add it nullable, backfill it, then "
                "op.alter_column(..., nullable=False)"
            )
        self.finding(
            live_rules.UPGRADE_FAILED,
            migration,
            f"upgrade of {migration.revision} fails{rows}: {exc.error}",
            exc.line,
            fix,
        )
        self.settle(before, migration, "upgrade")

    def cycle(self, migration: Migration, report: StepReport, before: Snapshot) -> Snapshot:
        from migcheck.live import locks as lockmod
        from migcheck.live.schema import diff

        # 1. upgrade, watching locks and file nodes
        self.seed()
        recorder = None
        if self.postgres:
            with self.engine.connect() as conn:
                recorder = lockmod.Recorder(
                    self.scratch.name,
                    migration.path,
                    lockmod.relations(conn),
                    frozenset(self.runner.version_tables),
                )
        try:
            with recorder.listening() if recorder else contextlib.nullcontext():
                report.upgrade_ms = self.timed(migration, True)
        except StepFailed as exc:
            self.fail_upgrade(migration, report, exc, before)
            return before
        self.applied.add(migration.revision)
        if recorder is not None:
            result = recorder.result()
            report.locks, report.rewrites = result.locks, result.rewrites
            self.lock_findings(migration, report)
        after_up = self.snapshot()

        # 2. downgrade, compare with the schema from before the upgrade
        self.seed()
        try:
            report.downgrade_ms = self.timed(migration, False)
        except StepFailed as exc:
            report.status, report.error = "failed", exc.error
            rows = f" (each table held {self.options.seed_rows} rows)" if self.options.seed_rows else ""
            self.finding(
                live_rules.DOWNGRADE_FAILED,
                migration,
                f"downgrade of {migration.revision} fails{rows}: {exc.error}",
                exc.line,
                upgrade_side=False,
            )
            self.settle(after_up, migration, "downgrade")
            return after_up
        self.applied.discard(migration.revision)
        after_down = self.snapshot()
        report.downgrade_diff = diff(before, after_down)
        if report.downgrade_diff:
            report.status = "failed"
            self.finding(
                live_rules.DOWNGRADE_NOT_INVERSE,
                migration,
                f"downgrade of {migration.revision} does not restore the schema from before the upgrade: "
                f"{summarize(report.downgrade_diff)}",
                None,
                _inverse_fix(report.downgrade_diff),
                upgrade_side=False,
            )

        # 3. upgrade again, compare with the first upgrade
        self.seed()
        try:
            report.reupgrade_ms = self.timed(migration, True)
        except StepFailed as exc:
            report.status, report.error = "failed", exc.error
            self.finding(
                live_rules.UPGRADE_NOT_REPEATABLE,
                migration,
                f"upgrading {migration.revision} again after its downgrade fails: {exc.error}",
                exc.line,
                "make downgrade() remove everything upgrade() creates, so the upgrade can run again",
            )
            self.settle(after_down, migration, "second upgrade")
            return after_down
        self.applied.add(migration.revision)
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
        return after_up2

    def lock_findings(self, migration: Migration, report: StepReport) -> None:
        strongest: dict[str, Lock] = {}
        for lock in report.locks:
            if lock.existing and lock.kind == "table" and lock.blocks_writes:
                held = strongest.get(lock.relation)
                if held is None or strength(lock.mode) > strength(held.mode):
                    strongest[lock.relation] = lock
        for table, lock in sorted(strongest.items()):
            blocks = "reads and writes" if lock.mode == "AccessExclusiveLock" else "writes"
            by = f"; taken by `{lock.statement}`" if lock.statement else ""
            mode = mode_label(lock.mode)
            self.finding(
                live_rules.DANGEROUS_LOCK,
                migration,
                f"upgrade of {migration.revision} holds {mode} on existing table {table} until commit, "
                f"blocking {blocks} ({report.upgrade_ms} ms here, longer on a busy table){by}",
                lock.line,
                LOCK_FIX,
            )
        groups: dict[tuple[int | None, str | None], list[Rewrite]] = {}
        for rewrite in report.rewrites:
            groups.setdefault((rewrite.line, rewrite.statement), []).append(rewrite)
        for (line, statement), rewrites in groups.items():
            tables = [r for r in rewrites if r.kind != "index"] or rewrites
            indexes = [r.relation for r in rewrites if r.kind == "index" and r not in tables]
            by = f"; caused by `{statement}`" if statement else ""
            for rewrite in tables:
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
                )


LOCK_FIX = (
    "set a lock_timeout first (op.execute(\"SET lock_timeout = '5s'\")) so the migration gives up instead of "
    "queueing every query behind it, and keep the revision to that one change"
)
REWRITE_FIX = (
    "avoid the rewrite: add a new column, backfill it in batches and switch over, or change to a "
    "binary-compatible type (varchar(n) -> text, a longer varchar)"
)


def _inverse_fix(differences: list[Difference]) -> str | None:
    lines = []
    for d in differences:
        name = d.key.partition(" ")[2]
        if d.kind == "left behind" and d.key.startswith("table "):
            lines.append(f'op.drop_table("{name}")')
        elif d.kind == "left behind" and d.key.startswith("column "):
            table, _, column = name.rpartition(".")
            lines.append(f'op.drop_column("{table}", "{column}")')
        elif d.kind == "left behind" and d.key.startswith("index "):
            table, _, index = name.rpartition(".")
            lines.append(f'op.drop_index("{index}", table_name="{table}")')
        elif d.kind == "left behind" and d.key.startswith("enum type "):
            lines.append(f'op.execute("DROP TYPE {d.key.removeprefix("enum type ")}")')
    if not lines:
        return None
    return "add to downgrade():\n" + "\n".join(lines)


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

    sources, migrations, graph = load_history(options.paths)
    order = plan(graph, options.from_rev, options.to_rev)
    config_file = _config_file(options.paths)
    if options.use_env and config_file is None:
        raise LiveError("--use-env needs the project's alembic.ini (point PATH at it or at its directory)")
    roots = [p for p in [config_file.parent if config_file else None, Path.cwd()] if p is not None]
    target = drift.load_target(options.check_models, roots) if options.check_models else None

    with (
        _on_sys_path(roots),
        provision(options.db_url, options.engine, options.image, options.allow_remote) as scratch,
    ):
        engine = create_engine(scratch.url)  # pooled: a step and its snapshots reuse connections
        try:
            runner = Runner(sources, scratch.url, options.use_env, config_file)
            runner.engine = engine
            unknown = [m.revision for m, _ in order if not runner.known(m.revision)]
            if unknown:
                raise LiveError(
                    f"alembic does not see revision {unknown[0]} that migcheck found; "
                    "check version_locations in alembic.ini"
                )
            cycle = Cycle(options, runner, scratch, engine)
            with _progress(len(order), options.progress) as tick:
                cycle.run(order, graph, tick)
            if target is not None:
                if len(cycle.applied) == len(order):
                    with engine.connect() as conn:
                        for found in drift.compare(conn, target):
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
    notes = list(cycle.notes)
    if cycle.stopped:
        notes.insert(0, cycle.stopped)
    if not cycle.postgres:
        notes.append("locks and rewrites are measured on PostgreSQL only")
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


@contextlib.contextmanager
def _progress(total: int, enabled: bool) -> Iterator[Callable[[str], None] | None]:
    """A progress bar on stderr when it is a terminal; nothing otherwise."""
    if not enabled:
        yield None
        return
    import typer  # its progressbar: typer vendors click, so "import click" may not exist

    with typer.progressbar(
        length=total, label="verify", file=sys.stderr, item_show_func=lambda rev: rev or ""
    ) as bar:

        def tick(revision: str) -> None:
            bar.current_item = revision  # shown by item_show_func
            bar.update(1)

        yield tick
