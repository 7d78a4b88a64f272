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

The parts: results.py (options, per-revision record, result), history.py (loading, order,
--from/--to), runner.py (one Alembic step), state.py (the run's state, recreate-and-replay),
steps.py (the cycle per revision, its findings); this module provisions and runs them.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from migcheck.guard.escape import one_line
from migcheck.live import LiveError, require_live, roundtrips
from migcheck.live.history import load_history, plan
from migcheck.live.results import VerifyOptions, VerifyResult
from migcheck.live.runner import Runner, _config_file, _env_log, _error_text, _line_in, _output_to
from migcheck.live.state import _created_databases
from migcheck.live.steps import Cycle
from migcheck.rules import live as live_rules
from migcheck.rules.registry import get_rule
from migcheck.run.engine import display_path
from migcheck.vocabulary.findings import Finding
from migcheck.vocabulary.graph import RevisionGraph
from migcheck.vocabulary.revision import Migration

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


def verify(options: VerifyOptions) -> VerifyResult:
    """Provision, cycle every revision, compare with the models, drop everything; findings as a result."""
    require_live()
    from sqlalchemy import create_engine
    from sqlalchemy.exc import DBAPIError

    from migcheck.live import drift
    from migcheck.live.provision import provision
    from migcheck.sources.envinfo import read_env

    sources, migrations, graph = load_history(options.paths, allow_empty=True, bodies=False)
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
