"""What the cycle holds and the moves every step makes: ``CycleState``, and recreate-and-replay.

The scratch database, the revisions applied so far, the findings and notes; a schema snapshot,
seed rows, a timed step, a finding. ``restore`` brings the database back to the applied
revisions after a failure (recreating it and replaying the upgrades when a rollback was not
enough); the helpers below it drop and recreate databases on the server, and track the ones
the migrations created on MySQL/MariaDB.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from migcheck.live import roundtrips
from migcheck.live.results import StepFailed, StepReport, VerifyOptions
from migcheck.live.runner import Runner
from migcheck.live.schema import Snapshot
from migcheck.rules.registry import get_rule
from migcheck.run.engine import display_path
from migcheck.vocabulary.findings import Finding
from migcheck.vocabulary.revision import Migration


class CycleState:
    """The state of one verify run and the steps it is made of; ``Cycle`` (steps.py) runs them."""

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
        from migcheck.rules import live as live_rules

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
        if not line and migration.upgrade is None and migration.downgrade is None:  # loaded header-only
            from migcheck.live.history import with_bodies

            with_bodies([migration])
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
