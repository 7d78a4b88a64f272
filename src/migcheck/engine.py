"""The static pipeline: sources -> migrations -> graph -> rules -> findings.

One direction only. Loading never executes a migration; rules never see
files; reporters never decide anything.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from migcheck.config import Settings
from migcheck.discovery import Sources, discover
from migcheck.envinfo import read_env
from migcheck.findings import Finding, Severity
from migcheck.graph import RevisionGraph
from migcheck.load import LoadError, load_sql
from migcheck.parallel import load_python_files
from migcheck.revision import Migration
from migcheck.rules.context import RevisionContext
from migcheck.rules.files import INVALID_MIGRATION_FILE
from migcheck.rules.registry import Hit, Rule, all_rules


@dataclass
class LintResult:
    findings: list[Finding]
    migrations: list[Migration]
    graph: RevisionGraph
    sources: Sources
    files_checked: int = 0
    rules_run: list[Rule] = field(default_factory=list)

    def count(self, severity: Severity, suppressed: bool = False) -> int:
        return sum(1 for f in self.findings if f.severity == severity and f.suppressed == suppressed)

    def worst(self) -> Severity | None:
        active = [f.severity for f in self.findings if not f.suppressed]
        return max(active) if active else None


def display_path(path: Path) -> str:
    """Relative to the working directory when below it, so output is stable and clickable."""
    resolved = path.resolve()
    try:
        return resolved.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:  # outside the working directory
        return str(resolved)


def selected_rules(settings: Settings) -> list[Rule]:
    rules = []
    for rule in all_rules():
        chosen = rule.id in settings.select if settings.select is not None else rule.enabled_by_default
        chosen = chosen or rule.id in settings.extend_select
        if chosen and rule.id not in settings.ignore and rule.applies_to(settings.dialect):
            rules.append(rule)
    return rules


def lint_paths(paths: list[Path], settings: Settings) -> LintResult:
    return lint_sources(discover(paths), settings)


def lint_sources(sources: Sources, settings: Settings) -> LintResult:
    # from the cache when unchanged, across processes when many; the output is the same either way
    migrations, errors = load_python_files(sources.python, settings.dialect, settings.jobs, settings.cache)
    sql_migrations: list[Migration] = []
    for path in sources.sql:
        try:
            sql_migrations.extend(load_sql(path, settings.dialect))
        except LoadError as exc:
            errors.append(exc)
    return check(migrations, sql_migrations, errors, sources, settings)


def check(
    migrations: list[Migration],
    sql_migrations: list[Migration],
    errors: list[LoadError],
    sources: Sources,
    settings: Settings,
) -> LintResult:
    """Run the selected rules over loaded migrations; the graph is built from ``.py`` revisions only."""
    rules = selected_rules(settings)
    by_kind: dict[str, list[Rule]] = {"change": [], "revision": [], "graph": [], "engine": []}
    for rule in rules:
        by_kind[rule.kind].append(rule)
    enabled_ids = {r.id for r in rules}
    findings: list[Finding] = []

    if INVALID_MIGRATION_FILE in enabled_ids:
        invalid = next(r for r in rules if r.id == INVALID_MIGRATION_FILE)
        for error in errors:
            findings.append(_finding(invalid, settings, Hit(error.message, line=error.line), error.path, None))

    graph = RevisionGraph.build(migrations)
    for rule in by_kind["graph"]:
        assert rule.check is not None
        for hit in rule.check(graph):
            findings.append(_finding(rule, settings, hit, hit.path or Path("."), hit.revision))

    env = read_env(sources.env_py[0] if sources.env_py else None)
    for migration in [*migrations, *sql_migrations]:
        ctx = RevisionContext.build(migration, settings, graph if migration.origin == "python" else None, env)
        findings.extend(_check_migration(ctx, by_kind["change"], by_kind["revision"], settings))

    findings.sort(key=Finding.sort_key)
    return LintResult(
        findings=findings,
        migrations=[*migrations, *sql_migrations],
        graph=graph,
        sources=sources,
        files_checked=len(sources.python) + len(sources.sql),
        rules_run=rules,
    )


def _check_migration(
    ctx: RevisionContext, change_rules: Iterable[Rule], revision_rules: Iterable[Rule], settings: Settings
) -> list[Finding]:
    migration = ctx.migration
    out: list[Finding] = []
    for rule in revision_rules:
        assert rule.check is not None
        for hit in rule.check(ctx):
            out.append(_finding(rule, settings, hit, migration.path, migration.revision))
    for phase, changes in (("upgrade", migration.upgrade_changes), ("downgrade", migration.downgrade_changes)):
        for change in changes:
            for rule in change_rules:
                if phase not in rule.phases or not isinstance(change, rule.on):
                    continue
                assert rule.check is not None
                for hit in rule.check(ctx, change):
                    if hit.line is None:
                        hit.line = change.line
                    out.append(_finding(rule, settings, hit, migration.path, migration.revision))
    return out


def _finding(rule: Rule, settings: Settings, hit: Hit, path: Path, revision: str | None) -> Finding:
    return Finding(
        rule=rule.id,
        severity=settings.severity_overrides.get(rule.id, rule.severity),
        message=hit.message,
        path=display_path(path),
        line=hit.line or 1,
        revision=revision,
        fix=hit.fix,
    )
