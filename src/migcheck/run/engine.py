"""The static pipeline: sources -> migrations -> graph -> rules -> findings.

One direction only. Loading never executes a migration; rules never see
files; reporters never decide anything.
"""

from __future__ import annotations

import ast
import dataclasses
import gc
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from migcheck.extract.models.model import Application, AppView
from migcheck.rules.autogen import APP_PROJECT_RULES
from migcheck.rules.context import ProjectContext, RevisionContext
from migcheck.rules.files import INVALID_MIGRATION_FILE, PYTHON2_MIGRATION_FILE
from migcheck.rules.lookback import may_skip, never_runs
from migcheck.rules.registry import Hit, Rule, all_rules
from migcheck.rules.rolling import ROLLING_RULES
from migcheck.run import suppress
from migcheck.run.config import ConfigError
from migcheck.run.scope import Scope
from migcheck.sources.discovery import DiscoveryError, Sources, discover, linted_tree
from migcheck.sources.envinfo import EnvInfo, read_env
from migcheck.sources.load import LoadError, load_python, load_sql
from migcheck.sources.parallel import load_python_files, load_with_context
from migcheck.vocabulary.changes import LIMIT_KEYWORD, Change, RawSQL, shown_runtime, target_table
from migcheck.vocabulary.findings import Finding, Severity
from migcheck.vocabulary.graph import RevisionGraph
from migcheck.vocabulary.revision import Migration
from migcheck.vocabulary.settings import Settings

if TYPE_CHECKING:
    from migcheck.extract.models.constants import AppConstants


@dataclass(eq=False, repr=False)
class LintResult:
    """What one lint found, and what it read to find it."""

    findings: list[Finding]
    migrations: list[Migration]
    graph: RevisionGraph
    sources: Sources
    files_checked: int = 0
    rules_run: list[Rule] = field(default_factory=list)
    #: Revisions the per-revision rules ran on (fewer than ``migrations`` under a baseline or --base).
    linted: int | None = None
    #: The git ref of pull-request mode (`--base`), None for a run over the whole history.
    base: str | None = None
    #: Pull-request mode with the base's models read: revision id -> rolling-deploy safe (no finding
    #: of migcheck.rules.rolling.ROLLING_RULES at error, nor a rename warning).
    rolling_safe: dict[str, bool] | None = None

    def count(self, severity: Severity, suppressed: bool = False) -> int:
        return sum(1 for f in self.findings if f.severity == severity and f.suppressed == suppressed)

    def worst(self) -> Severity | None:
        active = [f.severity for f in self.findings if not f.suppressed]
        return max(active) if active else None


def display_path(path: Path) -> str:
    """Relative to the working directory when below it, so output is stable and clickable."""
    return _display_path(path, os.getcwd())


_DISPLAYED: dict[tuple[str, str], str] = {}


def _display_path(path: Path, cwd: str) -> str:
    # abspath, not resolve(): no system call per path component, and symlinked checkouts are
    # shown as the user reached them. Cached without a bound: a run asks again for every finding
    # and every revision, and a bounded cache thrashed above its size (4,096 files). Keyed by the
    # path's text (hashing a Path is slower than computing it), and below the working directory the
    # relative path is the absolute one without the prefix (what relpath computes, without its
    # two more abspath calls).
    name = os.fspath(path)
    shown = _DISPLAYED.get((name, cwd))
    if shown is None:
        absolute = os.path.abspath(name)
        prefix = cwd.rstrip(os.sep) + os.sep
        if absolute == cwd:
            shown = "."
        elif absolute.startswith(prefix):
            shown = absolute[len(prefix):].replace(os.sep, "/")
        else:
            shown = absolute
        _DISPLAYED[(name, cwd)] = shown
    return shown


#: Rules that read the application's models (drop-column and friends defer to the rolling-deploy ones;
#: downgrade-not-inverse and identifier-too-long read the naming convention, json-instead-of-jsonb and
#: alter-column-type the type decorators, drop-not-null the table of a model whose rows a downgrade deletes).
APP_RULES = ({*ROLLING_RULES, *APP_PROJECT_RULES, "downgrade-not-inverse", "json-instead-of-jsonb", "alter-column-type",
              "orm-model-import-in-migration", "identifier-too-long",
              "add-not-null-column-without-default", "drop-not-null"}
             - {"rename-as-drop-and-add"})


#: Kept by any ``select``: a file no rule could read would otherwise pass green. Only ``ignore`` drops it.
ALWAYS_SELECTED = frozenset({INVALID_MIGRATION_FILE})


def chosen(rule_id: str, enabled_by_default: bool, settings: Settings) -> bool:
    """Whether ``select`` / ``extend-select`` / ``ignore`` keep a rule (lint and verify alike)."""
    if settings.select is not None:
        picked = rule_id in settings.select or rule_id in ALWAYS_SELECTED
    else:
        picked = enabled_by_default
    return (picked or rule_id in settings.extend_select) and rule_id not in settings.ignore


def selected_rules(settings: Settings) -> list[Rule]:
    """The rules a lint run checks: chosen, and applying to the dialect and PostgreSQL version."""
    return [rule for rule in all_rules() if chosen(rule.id, rule.on_by_default(settings.base), settings)
            and rule.applies_to(settings.dialect, settings.postgres_version)]


def lint_paths(paths: list[Path], settings: Settings) -> LintResult:
    return lint_sources(discover(paths), settings)


class NothingToLint(DiscoveryError):
    """The run would check nothing: an exit-2 error, never a green "No problems found"."""


def _asked_for(rule_id: str, settings: Settings) -> bool:
    """Whether a kept rule is there by the settings' own choice, not only because every selection keeps it."""
    return (rule_id not in ALWAYS_SELECTED or settings.select is None or rule_id in settings.select
            or rule_id in settings.extend_select)


def lint_sources(sources: Sources, settings: Settings) -> LintResult:
    if not any(_asked_for(rule.id, settings) for rule in selected_rules(settings)):
        raise NothingToLint(_no_rules(settings))
    found = len(sources.python) + len(sources.sql) + len(sources.refused)
    if settings.exclude:
        sources.python = [p for p in sources.python if not settings.excluded(p)]
        sources.sql = [p for p in sources.sql if not settings.excluded(p)]
        sources.refused = [(p, why) for p, why in sources.refused if not settings.excluded(p)]
    if not sources.python and not sources.sql and not sources.refused:
        raise NothingToLint(_no_files(sources, settings, found))
    # Under a baseline or --base most revisions are not linted: read their headers only, and
    # extract changes just for the ones that will be (extraction is most of the time of a run).
    headers_first = bool(settings.baseline or settings.base)
    if headers_first:
        migrations, errors = _load_headers(sources.python, settings.dialect)
    else:
        # from the cache when unchanged, across processes when many; the output is the same either way
        migrations, errors, context = load_with_context(sources.python, sources.context, settings.dialect,
                                                        settings.jobs, settings.cache, sources.notes)
    errors.extend(LoadError(path, why) for path, why in sources.refused)
    sql_migrations: list[Migration] = []
    for path in sources.sql:
        try:
            sql_migrations.extend(load_sql(path, settings.dialect))
        except LoadError as exc:
            errors.append(exc)
    if not migrations and not sql_migrations and not errors and sources.version_dirs:
        raise NothingToLint(f"no Alembic revision in {_where(sources)}: {len(sources.python)} .py "
                            f"file{'s' if len(sources.python) != 1 else ''}, none sets `revision` "
                            f"(is this the versions directory?)")
    scope = None
    head: tuple[Path, Application | None] | None = None
    if headers_first:
        scope = Scope.build(migrations, sql_migrations, sources, settings)
        migrations = [_extracted(m, settings, errors) if scope.lints(m) else m for m in migrations]
        head = _read_head(sources, settings)
        if _needs_history(migrations, scope, head, settings):
            # the drift and rename rules fold the whole history: read the bodies of the rest too
            migrations = [m if scope.lints(m) else _extracted(m, settings, errors) for m in migrations]
        context = _load_context(sources, settings)
    # The check phase allocates findings and contexts, hardly any cycles, while millions of loaded objects
    # are alive: each automatic collection would walk them all (a quarter of the phase at 10,000 revisions).
    paused = gc.isenabled()
    gc.disable()
    try:
        return check(migrations, sql_migrations, errors, sources, settings, scope, context, head)
    finally:
        if paused:
            gc.enable()


def _where(sources: Sources) -> str:
    return ", ".join(display_path(p) for p in sources.version_dirs) or "the files named"


def _no_files(sources: Sources, settings: Settings, found: int) -> str:
    if found:
        origin = settings.origins.get("exclude", "the config")
        return (f"all {found} file{'s' if found != 1 else ''} found in {_where(sources)} "
                f"{'are' if found != 1 else 'is'} excluded by exclude = {settings.exclude!r} ({origin}): nothing to lint")
    return f"no revision files (.py) or offline SQL (.sql) in {_where(sources)}: nothing to lint"


def _no_rules(settings: Settings) -> str:
    parts = [f"select = {sorted(settings.select)!r} ({settings.origins.get('select', 'the config')})"
             if settings.select is not None else "the default rules"]
    if settings.ignore:
        parts.append(f"ignore = {sorted(settings.ignore)!r} ({settings.origins.get('ignore', 'the config')})")
    return (f"no rule is selected: {', '.join(parts)} leave nothing to run for {settings.dialect}"
            f"{f' {settings.postgres_version}' if settings.dialect == 'postgresql' else ''}; nothing would be checked")


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
        if migration is not None:
            migrations.append(migration)
    return migrations, errors


def _read_head(sources: Sources, settings: Settings) -> tuple[Path, Application | None] | None:
    """The models at HEAD, once per run, when a rule that judges against them is on."""
    if not sources.env_py or not {r.id for r in selected_rules(settings)} & APP_RULES:
        return None
    from migcheck.run.appview import read_head

    return read_head(sources.env_py[0], settings)


def _needs_history(migrations: list[Migration], scope: Scope, head: tuple[Path, Application | None] | None,
                   settings: Settings) -> bool:
    """Whether the drift or rename rules will fold the history (then untouched revisions need bodies)."""
    from migcheck.rules.autogen import (
        MODEL_DIFFERS_FROM_MIGRATIONS,
        MODEL_NOT_IN_MIGRATIONS,
        RENAME_AS_DROP_AND_ADD,
        has_drop_and_add,
    )

    ids = {r.id for r in selected_rules(settings)}
    if head is not None and head[1] is not None and ids & {MODEL_NOT_IN_MIGRATIONS, MODEL_DIFFERS_FROM_MIGRATIONS}:
        return True
    return RENAME_AS_DROP_AND_ADD in ids and any(scope.lints(m) and has_drop_and_add(m) for m in migrations)


def _extracted(migration: Migration, settings: Settings, errors: list[LoadError]) -> Migration:
    """The revision with its changes; when its body cannot be read, the header-only reading and an error.

    The header alone keeps the graph whole; the error makes sure the unread body is reported, not
    passed as a revision without changes.
    """
    try:
        return load_python(migration.path, settings.dialect) or migration
    except LoadError as exc:
        errors.append(exc)
        return migration


def _load_context(sources: Sources, settings: Settings) -> list[Migration]:
    """Graph-only revisions; a sibling that cannot be read is not what the user asked about.

    Through the cache, like a whole-history run (pre-commit names the changed files; their siblings are
    mostly unchanged since the last run), and in-process: the pool's start-up costs more than it saves
    for revisions that only complete the graph.
    """
    context, _ = load_python_files(sources.context, settings.dialect, 1, settings.cache)
    return context


def check(
    migrations: list[Migration],
    sql_migrations: list[Migration],
    errors: list[LoadError],
    sources: Sources,
    settings: Settings,
    scope: Scope | None = None,
    context: list[Migration] | None = None,
    head: tuple[Path, Application | None] | None = None,
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

    constants = _app_constants(sources, settings, [*migrations, *(context or [])])  # one reader per run
    if constants is not None:  # before the checks of what was read: a helper's body can spend the budgets too
        _follow_helpers([*migrations, *(context or [])], constants, settings.dialect)
    if INVALID_MIGRATION_FILE in enabled:
        invalid = enabled[INVALID_MIGRATION_FILE]
        for error in errors:
            if scope.reports(error.path):
                hit = Hit(error.message, line=error.line)
                findings.append(_finding(invalid, settings, hit, error.path, None))
    if INVALID_MIGRATION_FILE in enabled:
        findings.extend(_finding(enabled[INVALID_MIGRATION_FILE], settings, hit, m.path, m.revision)
                        for m in [*migrations, *sql_migrations] if scope.reports(m.path) for hit in _reading_stopped(m))
    # Python 2 files are read for the history and checked by no rule; one refused by Python 3 only for its tabs, in
    # a history that shows no Python 2, is invalid for the Python 3 that runs it (sources/python2.tab_errors).
    unloadable = _tab_errors(migrations, context or [])
    if INVALID_MIGRATION_FILE in enabled:
        findings.extend(_finding(enabled[INVALID_MIGRATION_FILE], settings, _tab_error_hit(m), m.path, m.revision)
                        for m in migrations if id(m) in unloadable and scope.reports(m.path))
    if PYTHON2_MIGRATION_FILE in enabled:
        findings.extend(_finding(enabled[PYTHON2_MIGRATION_FILE], settings, _python2_hit(m), m.path, m.revision)
                        for m in migrations
                        if m.python2 is not None and id(m) not in unloadable and scope.reports(m.path))

    if constants is not None:
        _drop_untaken([*migrations, *(context or [])], constants, settings.dialect)
    graph = RevisionGraph.build([*migrations, *(context or [])])
    app = _app_view(sources, settings, scope, migrations, set(enabled), head)
    # Several Alembic environments under one root (each env.py with its own versions/): each one is a
    # history of its own, with its own env.py; judged together, they would share heads and ids.
    groups = environments(sources, migrations, context or [])
    dispatch = _Dispatch(by_kind["change"])
    for number, (env_path, group, group_context) in enumerate(groups):
        findings.extend(_check_environment(
            rules=by_kind, dispatch=dispatch, settings=settings, scope=scope,
            graph=graph if len(groups) == 1 else RevisionGraph.build([*group, *group_context]),
            env=read_env(env_path, linted_tree(sources, env_path) if env_path else None),
            app=app if len(groups) == 1 or env_path == _first(sources) else None if env_path is None else
            _app_view(sources, settings, scope, group, set(enabled), None, env_path),
            constants=constants,
            migrations=group,
            sql_migrations=sql_migrations if number == 0 else [],  # offline files: judged once
            focus={m.path.resolve() for m in group} if context else None,
        ))
    linted = [m for m in [*migrations, *sql_migrations] if scope.lints(m) and m.python2 is None]

    for rule_id, hit in scope.extra_hits(migrations):
        if rule_id in enabled:
            findings.append(_finding(enabled[rule_id], settings, hit, hit.path or Path("."), hit.revision))

    if settings.table_stats is not None:
        apply_table_sizes(findings, linted, graph, sources.notes, settings)
    in_pr = scope.pull_request is not None
    python2 = [m for m in migrations if m.python2 is not None and scope.lints(m)]
    findings.extend(_suppress(findings, linted, enabled, settings, pull_request=in_pr, python2=python2,
                              unloadable=unloadable))
    findings.sort(key=Finding.sort_key)
    rolling_safe = None
    if app is not None and app.base is not None:
        rolling_safe = _rolling_safe(findings, [m for m in linted if m.origin == "python"])
    return LintResult(
        findings=findings,
        migrations=[*migrations, *sql_migrations],
        graph=graph,
        sources=sources,
        files_checked=len(sources.python) + len(sources.sql) + len(sources.refused),
        rules_run=rules,
        linted=len(linted),
        base=settings.base,
        rolling_safe=rolling_safe,
    )


def _first(sources: Sources) -> Path | None:
    return sources.env_py[0] if sources.env_py else None


def environments(sources: Sources, migrations: list[Migration],
                  context: list[Migration]) -> list[tuple[Path | None, list[Migration], list[Migration]]]:
    """(env.py, revisions, context revisions) per Alembic environment. One group, with the first env.py,
    unless the run holds several script locations (an env.py, or a template script.py.mako where env.py is
    missing, beside versions/), or an alembic.ini's several named environments (each version location its own,
    ``Sources.version_homes``), that each hold some revisions; a group without env.py has None."""
    homes: dict[Path, Path | None] = {env.parent.resolve(): env for env in sources.env_py}
    for script in sources.script_dirs:
        homes.setdefault(script.resolve(), None)
    # a script location inside another one's versions/ is a folder of its revisions (Alembic reads it with
    # recursive_version_locations): a template or env.py put there splits no history (a fork would hide)
    versions = {path / "versions" for path in homes}
    homes = {path: env for path, env in homes.items() if versions.isdisjoint(path.parents)}
    homes.update(sources.version_homes)  # nearer to each revision than its script location: they decide
    # a version location inside another environment's is also read by that one (recursive_version_locations):
    # split off, a second base or a fork across the two would hide (attack23); judged with the outer one
    for nested in [path for path in sources.version_homes if any(p in sources.version_homes for p in path.parents)]:
        del homes[nested]
    if len(homes) < 2:
        return [(_first(sources), migrations, context)]

    def home(migration: Migration) -> Path | None:
        for parent in migration.path.resolve().parents:
            if parent in homes:
                return parent
        return None

    grouped: dict[Path | None, tuple[list[Migration], list[Migration]]] = {}
    for migration in migrations:
        grouped.setdefault(home(migration), ([], []))[0].append(migration)
    for migration in context:
        grouped.setdefault(home(migration), ([], []))[1].append(migration)
    if len(grouped) < 2 or None in grouped:
        return [(_first(sources), migrations, context)]  # not one script location per history: judge them together
    return [(homes[script], group, extra) for script, (group, extra) in grouped.items() if script is not None]


def _check_environment(*, rules: dict[str, list[Rule]], dispatch: _Dispatch, settings: Settings, scope: Scope,
                       graph: RevisionGraph,
                       env: EnvInfo, app: AppView | None, migrations: list[Migration],
                       sql_migrations: list[Migration], focus: set[Path] | None,
                       constants: AppConstants | None = None) -> list[Finding]:
    """Graph, project and per-revision rules over one Alembic environment."""
    findings: list[Finding] = []
    for rule in rules["graph"]:
        assert rule.check is not None
        for hit in rule.check(graph):
            if focus is not None and (hit.path is None or hit.path.resolve() not in focus):
                continue
            if hit.path is None or scope.reports(hit.path):
                findings.append(_finding(rule, settings, hit, hit.path or Path("."), hit.revision))

    # A Python 2 revision (python2-migration-file) is read for the history, never checked itself.
    linted = [m for m in [*migrations, *sql_migrations] if scope.lints(m) and m.python2 is None]
    project = ProjectContext(settings, env, graph, [*migrations, *sql_migrations], app, in_scope=linted,
                             env_reported=env.path is not None and scope.reports(env.path),
                             template_reported=env.template is not None and scope.reports(env.template),
                             constants=constants)
    for rule in rules["project"]:
        assert rule.check is not None
        for hit in rule.check(project):
            if hit.path is None or scope.reports(hit.path) or rule.id in APP_PROJECT_RULES:
                findings.append(_finding(rule, settings, hit, hit.path or Path("."), hit.revision))
    # Offline files carry their own history (``-- Running upgrade a -> b``): rules that look back
    # through earlier revisions use it; graph rules still judge the .py revisions only.
    sql_graph = RevisionGraph.build(sql_migrations)
    for migration in linted:
        ctx = RevisionContext.build(migration, settings, graph if migration.origin == "python" else sql_graph, env,
                                    app, constants)
        findings.extend(_check_migration(ctx, dispatch, rules["revision"], settings))
    return findings


def _reading_stopped(migration: Migration) -> Iterator[Hit]:
    """Where migcheck stopped reading a function of ``migration`` (extract/limits.py): an error, since nothing after
    that line was checked (review: a DROP TABLE after 2,000 steps passed as one info finding)."""
    for change in (*migration.upgrade_changes, *migration.downgrade_changes):
        if isinstance(change, RawSQL) and change.keyword == LIMIT_KEYWORD:
            yield Hit(f"{change.reason}; nothing from this line on was checked: split the function, or review it "
                      f"by hand", line=change.line)


def _app_constants(sources: Sources, settings: Settings, migrations: list[Migration]) -> AppConstants | None:
    """The reader of the application's constants, when a revision formats one into SQL (Change.app_values), calls an
    application function (RawSQL.called) or imports a name it uses only as a column type (ImportInfo.type_only), and
    env.py places the project; it reads a module only when ``unsafe-sql-interpolation``, ``raw-sql-not-understood``
    or a type rule (design.stored_type) asks about it."""
    asks = any(c.app_values or c.app_dialect_guards or (isinstance(c, RawSQL) and c.called)
               for m in migrations for c in (*m.upgrade_changes, *m.downgrade_changes))
    from migcheck.rules.alembic_specific import model_import

    # an import named like the models' (orm-model-import-in-migration asks what the names are when no models are read)
    if not sources.env_py or not (asks or any(imp.type_only or (imp.names and model_import(imp))
                                              for m in migrations for imp in m.imports)):
        return None
    from migcheck.extract.models.constants import AppConstants
    from migcheck.run.appview import project_root

    env_py = sources.env_py[0]
    root = project_root(env_py, settings)
    return AppConstants(root, env_py.resolve().relative_to(root).as_posix(), rescue=_python2_tree)


def _follow_helpers(migrations: list[Migration], constants: AppConstants, dialect: str) -> None:
    """Read the steps each call of a helper of the project's own package takes (RawSQL.handed), from the project's
    source as it is now (extract/python/imported.py): never from the load cache, so a changed helper is read anew."""
    if not any(type(c) is RawSQL and c.handed is not None
               for m in migrations for c in (*m.upgrade_changes, *m.downgrade_changes)):
        return
    from migcheck.extract.python.imported import ImportedHelpers

    helpers = ImportedHelpers(constants, dialect)
    for migration in migrations:
        helpers.expand(migration)


def _drop_untaken(migrations: list[Migration], constants: AppConstants, dialect: str) -> None:
    """Leave out the changes of branches the target dialect never takes, by what the application's helper that
    decides them returns there (``if is_postgresql(bind):``; Change.app_dialect_guards); unknown keeps them."""
    from migcheck.extract.models.dialects import helper_result_on

    results: dict[tuple[str, str, int, tuple[str, ...]], bool | None] = {}

    def result(module: str, name: str, positional: int, keywords: tuple[str, ...]) -> bool | None:
        key = (module, name, positional, keywords)
        if key not in results:
            fn = constants.function(module, name)
            results[key] = None if fn is None else helper_result_on(
                fn, dialect, (positional, keywords), lambda other: constants.function(module, other))
        return results[key]

    def runs(change: Change) -> bool:
        return all(result(*guard[:4]) in (None, guard[4]) for guard in change.app_dialect_guards)

    for migration in migrations:
        if any(c.app_dialect_guards for c in (*migration.upgrade_changes, *migration.downgrade_changes)):
            migration.upgrade_changes[:] = [c for c in migration.upgrade_changes if runs(c)]
            migration.downgrade_changes[:] = [c for c in migration.downgrade_changes if runs(c)]


def _python2_tree(text: str) -> ast.Module | None:
    """An application module in Python 2, rewritten the way revisions are (sources/python2.py) and parsed."""
    from migcheck.sources.python2 import python3_tree

    rescued = python3_tree(text)
    return rescued[0] if rescued is not None else None


def _app_view(sources: Sources, settings: Settings, scope: Scope, migrations: list[Migration],
              enabled: set[str], head_read: tuple[Path, Application | None] | None,
              env_path: Path | None = None) -> AppView | None:
    """The application's models at HEAD (and on the base in pull-request mode), when a rule that
    judges against them is on and env.py (or ``models``) leads to them: those of ``env_path`` (an environment
    of its own, held-out-22 #111), else of the first env.py."""
    declared = "alter-column-without-existing-type" in enabled and settings.dialect == "mysql"
    if not (enabled & APP_RULES or declared) or not (env_path or sources.env_py):
        return None
    from migcheck.run.appview import read_base, read_declared, read_head

    env_py = env_path or sources.env_py[0]
    root, head = head_read or read_head(env_py, settings)
    if head is None:
        # no target_metadata: the models that declare a column, read only if the MODIFY rule asks
        return AppView(None, enabled=enabled, find=lambda: read_declared(env_py, settings, sources.named)) if declared else None
    view = AppView(head, enabled=enabled)
    pr = scope.pull_request
    if pr is not None:
        view.base_ref = settings.base
        view.base = read_base(root, env_py, settings, pr)
        view.base_revisions = {m.revision for m in migrations if not pr.touches(m.path)}
    return view


def _rolling_safe(findings: list[Finding], linted: list[Migration]) -> dict[str, bool]:
    unsafe = {f.revision for f in findings if not f.suppressed and f.rule in ROLLING_RULES
              and (f.severity >= Severity.ERROR or f.rule.startswith("rename-"))}
    return {m.revision: m.revision not in unsafe for m in linted}


def load_table_stats(settings: Settings) -> Any:
    """The ``table-stats`` snapshot (a ``tablesizes.Snapshot``), or a ConfigError naming what is wrong."""
    from migcheck.run import tablesizes

    assert settings.table_stats is not None
    try:
        return tablesizes.load(settings.table_stats)
    except tablesizes.StatsError as exc:
        raise ConfigError(str(exc)) from None


def apply_table_sizes(findings: list[Finding], linted: list[Migration], graph: RevisionGraph, notes: list[str],
                      settings: Settings, snapshot: Any = None) -> None:
    """Severities from the committed snapshot of table sizes (``table-stats``); lint and verify alike.
    ``snapshot``: already loaded (verify reads it before anything runs, so a bad one costs nothing)."""
    from migcheck.run import tablesizes

    snapshot = snapshot if snapshot is not None else load_table_stats(settings)
    limits = thresholds(settings)
    unknown, renamed = tablesizes.since_snapshot(linted, graph, snapshot.heads)
    tablesizes.apply(findings, snapshot, limits, overridden=settings.severity_overrides,
                     unknown_tables=unknown, renamed=renamed)
    note = tablesizes.stale_note(snapshot, limits)
    if note:
        notes.append(note)


def thresholds(settings: Settings) -> Any:
    from migcheck.run.tablesizes import Thresholds

    return Thresholds(settings.small_table_rows, settings.small_table_bytes, settings.large_table_rows,
                      settings.large_table_bytes, settings.table_stats_max_age)


def _suppress(findings: list[Finding], linted: list[Migration], enabled: dict[str, Rule], settings: Settings,
              pull_request: bool, python2: list[Migration] | None = None,
              unloadable: frozenset[int] = frozenset()) -> list[Finding]:
    """Mark findings covered by inline comments; return the findings about the comments themselves.

    In a Python 2 revision (not checked) only the comments naming ``python2-migration-file`` count (those naming
    ``invalid-migration-file`` in one of ``unloadable``, refused by Python 3 for its tabs): the others are for rules
    that did not run there, neither used nor unused."""
    from migcheck.rules.history import PR_RULES
    from migcheck.rules.live import LINT_SKIPS_UNUSED

    python2 = python2 or []
    display = {id(m): display_path(m.path) for m in [*linted, *python2]}
    # A comment for a rule that verify reports is verify's to use: lint cannot call it unused.
    active = {r for r in enabled if (pull_request or r not in PR_RULES) and r not in LINT_SKIPS_UNUSED}
    directives = suppress.suppressions_for(linted, display)
    for rule, group in ((PYTHON2_MIGRATION_FILE, [m for m in python2 if id(m) not in unloadable]),
                        (INVALID_MIGRATION_FILE, [m for m in python2 if id(m) in unloadable])):
        for path, found in suppress.suppressions_for(group, display).items():
            directives[path] = [dataclasses.replace(d, rules=(rule,)) for d in found if rule in d.rules]
    return suppress.apply(
        findings,
        directives,
        active_rules=active,
        known_rules=[r.id for r in all_rules()],
        require_reason=settings.require_reason,
        make=enabled,
        severity_of=settings.severity_overrides,
    )


class _Dispatch:
    """The change rules that apply to each (phase, kind of change), worked out once per kind in a run
    instead of matching every change against every rule (5 million isinstance calls at 10,000 revisions).
    Rules keep their order, so findings come out as before."""

    def __init__(self, rules: Iterable[Rule]) -> None:
        self.rules = list(rules)
        self.table: dict[tuple[str, type], list[Rule]] = {}

    def __call__(self, phase: str, kind: type) -> list[Rule]:
        found = self.table.get((phase, kind))
        if found is None:
            found = [r for r in self.rules if phase in r.phases and issubclass(kind, r.on)]
            self.table[(phase, kind)] = found
        return found


def _check_migration(
    ctx: RevisionContext, dispatch: _Dispatch, revision_rules: Iterable[Rule], settings: Settings
) -> list[Finding]:
    migration = ctx.migration
    out: list[Finding] = []
    #: (rule, line, message) already reported: a loop over literals that migcheck unrolls repeats a statement
    #: per pass, and a finding that reads the same on the same line says nothing new (tracecat c76f9b01fad7:
    #: 36 passes of one ``op.execute(helper(table))``, 36 identical findings).
    said: set[tuple[str, int | None, str]] = set()
    for rule in revision_rules:
        assert rule.check is not None
        for hit in rule.check(ctx):
            out.append(_finding(rule, settings, hit, migration.path, migration.revision))
    for phase, changes in (("upgrade", migration.upgrade_changes), ("downgrade", migration.downgrade_changes)):
        for change in changes:
            if may_skip(change) and never_runs(ctx, change):
                continue  # a step a caught failure skips, or one its existence guard skips (lookback.never_runs)
            for rule in dispatch(phase, type(change)):
                assert rule.check is not None
                for hit in rule.check(ctx, change):
                    if hit.line is None:
                        hit.line = change.line
                    if change.via is not None and hit.line == change.line:
                        hit.message = f"{hit.message} (via `{change.via[1]}()` of `{change.via[0]}`)"
                    key = (rule.id, hit.line, hit.message)
                    if key in said:
                        continue
                    said.add(key)
                    finding = _finding(rule, settings, hit, migration.path, migration.revision)
                    finding.extra["table"] = target_table(change)
                    out.append(finding)
    return out


def _tab_errors(migrations: list[Migration], context: list[Migration]) -> frozenset[int]:
    """The ids of the revisions Python 3 refuses only for their tabs, in a history that shows no Python 2."""
    if not any(m.python2 is not None for m in migrations):
        return frozenset()
    from migcheck.sources.python2 import tab_errors

    return frozenset(id(m) for m in tab_errors([*migrations, *context]))


def _tab_error_hit(migration: Migration) -> Hit:
    """A file Python 3 refuses for its tabs, in a project that runs Python 3."""
    assert migration.python2 is not None
    return Hit("TabError: inconsistent use of tabs and spaces in indentation: Python 3 cannot load this file, and no "
               "other revision of this history is written for Python 2 (Python 2 syntax, `.iteritems()`, `xrange`, a "
               "Python 2 module), so alembic, run by Python 3, fails on it; migcheck read it with Python 2's 8-column "
               "tabs for the history, but checked none of its operations",
               line=migration.python2.line,
               fix="indent with spaces only (`expand -t 8` keeps what Python 2 read)")


def _python2_hit(migration: Migration) -> Hit:
    """What is true of a Python 2 revision whichever interpreter the project runs."""
    assert migration.python2 is not None
    what = ", ".join(migration.python2.constructs)
    return Hit(f"Python 2 syntax ({what}): Python 3 cannot load this file, so alembic fails on it unless the "
               "project runs Python 2; migcheck read it through a Python 3 spelling of these constructs, so its "
               "place in the history and its changes count for the revisions after it, but checked none of "
               "its operations", line=migration.python2.line)


def _finding(rule: Rule, settings: Settings, hit: Hit, path: Path, revision: str | None) -> Finding:
    return Finding(
        rule=rule.id,
        severity=settings.severity_overrides.get(rule.id, hit.severity or rule.severity),
        message=shown_runtime(hit.message),
        path=display_path(path),
        line=hit.line or 1,
        revision=revision,
        fix=None if hit.fix is None else shown_runtime(hit.fix),
    )
