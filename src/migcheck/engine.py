"""The static pipeline: sources -> migrations -> graph -> rules -> findings.

One direction only. Loading never executes a migration; rules never see
files; reporters never decide anything.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from migcheck import suppress
from migcheck.changes import target_table
from migcheck.config import ConfigError, Settings
from migcheck.discovery import Sources, discover
from migcheck.envinfo import read_env
from migcheck.findings import Finding, Severity
from migcheck.graph import RevisionGraph
from migcheck.load import LoadError, load_python, load_sql
from migcheck.parallel import load_python_files
from migcheck.revision import Migration
from migcheck.rules.context import ProjectContext, RevisionContext
from migcheck.rules.files import INVALID_MIGRATION_FILE
from migcheck.rules.registry import Hit, Rule, all_rules
from migcheck.scope import Scope


@dataclass
class LintResult:
    findings: list[Finding]
    migrations: list[Migration]
    graph: RevisionGraph
    sources: Sources
    files_checked: int = 0
    rules_run: list[Rule] = field(default_factory=list)
    #: Revisions the per-revision rules ran on (fewer than ``migrations`` under a baseline or --base).
    linted: int | None = None

    def count(self, severity: Severity, suppressed: bool = False) -> int:
        return sum(1 for f in self.findings if f.severity == severity and f.suppressed == suppressed)

    def worst(self) -> Severity | None:
        active = [f.severity for f in self.findings if not f.suppressed]
        return max(active) if active else None


def display_path(path: Path) -> str:
    """Relative to the working directory when below it, so output is stable and clickable."""
    return _display_path(path, os.getcwd())


@functools.lru_cache(maxsize=4096)
def _display_path(path: Path, cwd: str) -> str:
    # abspath, not resolve(): no system call per path component, and symlinked checkouts are
    # shown as the user reached them. Cached: a run asks again for every finding.
    absolute = os.path.abspath(path)
    if absolute == cwd or absolute.startswith(cwd.rstrip(os.sep) + os.sep):
        return Path(os.path.relpath(absolute, cwd)).as_posix()
    return absolute


def selected_rules(settings: Settings) -> list[Rule]:
    rules = []
    for rule in all_rules():
        chosen = rule.id in settings.select if settings.select is not None else rule.enabled_by_default
        chosen = chosen or rule.id in settings.extend_select
        applies = rule.applies_to(settings.dialect, settings.postgres_version)
        if chosen and rule.id not in settings.ignore and applies:
            rules.append(rule)
    return rules


def lint_paths(paths: list[Path], settings: Settings) -> LintResult:
    return lint_sources(discover(paths), settings)


def lint_sources(sources: Sources, settings: Settings) -> LintResult:
    if settings.exclude:
        sources.python = [p for p in sources.python if not settings.excluded(p)]
        sources.sql = [p for p in sources.sql if not settings.excluded(p)]
    # Under a baseline or --base most revisions are not linted: read their headers only, and
    # extract changes just for the ones that will be (extraction is most of the time of a run).
    headers_first = bool(settings.baseline or settings.base)
    if headers_first:
        migrations, errors = _load_headers(sources.python, settings.dialect)
    else:
        # from the cache when unchanged, across processes when many; the output is the same either way
        migrations, errors = load_python_files(sources.python, settings.dialect, settings.jobs, settings.cache)
    sql_migrations: list[Migration] = []
    for path in sources.sql:
        try:
            sql_migrations.extend(load_sql(path, settings.dialect))
        except LoadError as exc:
            errors.append(exc)
    scope = None
    if headers_first:
        scope = Scope.build(migrations, sql_migrations, sources, settings)
        migrations = [_extracted(m, settings) if scope.lints(m) else m for m in migrations]
    return check(migrations, sql_migrations, errors, sources, settings, scope, _load_context(sources, settings))


def _load_headers(paths: list[Path], dialect: str) -> tuple[list[Migration], list[LoadError]]:
    """Headers only, in-process: cheap enough that neither the pool nor the cache pays."""
    migrations: list[Migration] = []
    errors: list[LoadError] = []
    for path in paths:
        try:
            migration = load_python(path, dialect, extract=False)
        except LoadError as exc:
            errors.append(exc)
            continue
        except RecursionError:
            errors.append(LoadError(path, "the file is nested too deeply to analyse"))
            continue
        if migration is not None:
            migrations.append(migration)
    return migrations, errors


def _extracted(migration: Migration, settings: Settings) -> Migration:
    try:
        return load_python(migration.path, settings.dialect) or migration
    except LoadError:  # the file changed under us; keep the header-only reading
        return migration


def _load_context(sources: Sources, settings: Settings) -> list[Migration]:
    """Graph-only revisions; a sibling that cannot be read is not what the user asked about."""
    context = []
    for path in sources.context:
        try:
            migration = load_python(path, settings.dialect)
        except LoadError:
            continue
        if migration is not None:
            context.append(migration)
    return context


def check(
    migrations: list[Migration],
    sql_migrations: list[Migration],
    errors: list[LoadError],
    sources: Sources,
    settings: Settings,
    scope: Scope | None = None,
    context: list[Migration] | None = None,
) -> LintResult:
    """Run the selected rules over loaded migrations; the graph is built from ``.py`` revisions only.

    ``context`` revisions complete the graph but get no findings of their own.
    """
    rules = selected_rules(settings)
    by_kind: dict[str, list[Rule]] = {"change": [], "revision": [], "graph": [], "project": [], "engine": []}
    for rule in rules:
        by_kind[rule.kind].append(rule)
    enabled = {r.id: r for r in rules}
    findings: list[Finding] = []
    # Baseline and pull-request mode: which revisions the per-revision rules look at.
    scope = scope or Scope.build(migrations, sql_migrations, sources, settings)

    if INVALID_MIGRATION_FILE in enabled:
        invalid = enabled[INVALID_MIGRATION_FILE]
        for error in errors:
            if scope.reports(error.path):
                hit = Hit(error.message, line=error.line)
                findings.append(_finding(invalid, settings, hit, error.path, None))

    graph = RevisionGraph.build([*migrations, *(context or [])])
    focus = {m.path.resolve() for m in migrations} if context else None
    for rule in by_kind["graph"]:
        assert rule.check is not None
        for hit in rule.check(graph):
            if focus is not None and (hit.path is None or hit.path.resolve() not in focus):
                continue
            if hit.path is None or scope.reports(hit.path):
                findings.append(_finding(rule, settings, hit, hit.path or Path("."), hit.revision))

    env = read_env(sources.env_py[0] if sources.env_py else None)
    project = ProjectContext(settings, env, graph, [*migrations, *sql_migrations])
    for rule in by_kind["project"]:
        assert rule.check is not None
        for hit in rule.check(project):
            if hit.path is None or scope.reports(hit.path):
                findings.append(_finding(rule, settings, hit, hit.path or Path("."), hit.revision))
    # Offline files carry their own history (``-- Running upgrade a -> b``): rules that look back
    # through earlier revisions use it; graph rules still judge the .py revisions only.
    sql_graph = RevisionGraph.build(sql_migrations)
    linted = [m for m in [*migrations, *sql_migrations] if scope.lints(m)]
    for migration in linted:
        ctx = RevisionContext.build(migration, settings, graph if migration.origin == "python" else sql_graph, env)
        findings.extend(_check_migration(ctx, by_kind["change"], by_kind["revision"], settings))

    for rule_id, hit in scope.extra_hits(migrations):
        if rule_id in enabled:
            findings.append(_finding(enabled[rule_id], settings, hit, hit.path or Path("."), hit.revision))

    if settings.table_stats is not None:
        _apply_table_sizes(findings, linted, graph, sources, settings)
    in_pr = scope.pull_request is not None
    findings.extend(_suppress(findings, linted, enabled, settings, pull_request=in_pr))
    findings.sort(key=Finding.sort_key)
    return LintResult(
        findings=findings,
        migrations=[*migrations, *sql_migrations],
        graph=graph,
        sources=sources,
        files_checked=len(sources.python) + len(sources.sql),
        rules_run=rules,
        linted=len(linted),
    )


def _apply_table_sizes(findings: list[Finding], linted: list[Migration], graph: RevisionGraph, sources: Sources,
                       settings: Settings) -> None:
    """Severities from the committed snapshot of table sizes (``table-stats``)."""
    from migcheck import tablesizes

    assert settings.table_stats is not None
    try:
        snapshot = tablesizes.load(settings.table_stats)
    except tablesizes.StatsError as exc:
        raise ConfigError(str(exc)) from None
    limits = thresholds(settings)
    unknown, renamed = tablesizes.since_snapshot(linted, graph, snapshot.heads)
    tablesizes.apply(findings, snapshot, limits, overridden=settings.severity_overrides,
                     unknown_tables=unknown, renamed=renamed)
    note = tablesizes.stale_note(snapshot, limits)
    if note:
        sources.notes.append(note)


def thresholds(settings: Settings) -> Any:
    from migcheck.tablesizes import Thresholds

    return Thresholds(settings.small_table_rows, settings.small_table_bytes, settings.large_table_rows,
                      settings.large_table_bytes, settings.table_stats_max_age)


def _suppress(findings: list[Finding], linted: list[Migration], enabled: dict[str, Rule], settings: Settings,
              pull_request: bool) -> list[Finding]:
    """Mark findings covered by inline comments; return the findings about the comments themselves."""
    from migcheck.rules.history import PR_RULES

    display = {id(m): display_path(m.path) for m in linted}
    active = {r for r in enabled if pull_request or r not in PR_RULES}
    return suppress.apply(
        findings,
        suppress.suppressions_for(linted, display),
        active_rules=active,
        known_rules=[r.id for r in all_rules()],
        require_reason=settings.require_reason,
        make=enabled,
        severity_of=settings.severity_overrides,
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
                    finding = _finding(rule, settings, hit, migration.path, migration.revision)
                    finding.extra["table"] = target_table(change)
                    out.append(finding)
    return out


def _finding(rule: Rule, settings: Settings, hit: Hit, path: Path, revision: str | None) -> Finding:
    return Finding(
        rule=rule.id,
        severity=settings.severity_overrides.get(rule.id, hit.severity or rule.severity),
        message=hit.message,
        path=display_path(path),
        line=hit.line or 1,
        revision=revision,
        fix=hit.fix,
    )
