"""The cycle itself: each revision upgraded, downgraded and upgraded again, with its findings.

``Cycle.run`` walks the planned order: a revision whose parent failed, was skipped or cannot be
imported is skipped with the reason; one only applied (before ``--from``) is upgraded once;
the others go through ``cycle`` (upgrade with locks watched, downgrade compared with the
schema before, upgrade again compared with the first). The findings' messages and fixes for
locks and rewrites are here too.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from migcheck.live.fixes import inverse_fix, reupgrade_fix
from migcheck.live.history import _parents
from migcheck.live.locks import Cost, Lock, Rewrite, mode_label, strength
from migcheck.live.results import StepFailed, StepReport
from migcheck.live.schema import Snapshot, summarize
from migcheck.live.state import CycleState
from migcheck.rules import live as live_rules
from migcheck.rules.live import MISSING_LOCK_TIMEOUT
from migcheck.rules.registry import get_rule
from migcheck.run.engine import display_path
from migcheck.vocabulary.findings import Finding
from migcheck.vocabulary.graph import RevisionGraph
from migcheck.vocabulary.revision import Migration


class Cycle(CycleState):
    """Runs the planned revisions one by one on the state ``CycleState`` holds."""

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
