"""The Python API: ``migcheck.lint(...)`` and ``migcheck.verify(...)``, as the CLI runs them.

For test suites (the pytest plugin is built on it), scripts and editors. Settings are the
``[tool.migcheck]`` keys as keyword arguments (``fail_on="warning"``, ``select=["drop-table"]``),
layered over the project's config exactly like command-line options. The result carries the
same document as ``--format json`` (``schemas/report-v1.json``), so code written against the JSON
report and code written against the API read the same fields.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

from migcheck.vocabulary.findings import Finding, Severity

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


class UsageError(ValueError):
    """Bad input (a path, a setting, a database URL): what the CLI prints as one line with exit 2."""


@dataclass
class Result:
    """One run's outcome: findings, the exit code the CLI would give, and the JSON report."""

    findings: list[Finding]
    exit_code: int
    #: The ``--format json`` document (report schema v1); verify adds its ``verify`` key.
    document: dict[str, Any]
    #: Notes the CLI prints on standard error (skipped files, stale table stats, ...).
    notes: list[str] = field(default_factory=list)
    #: The internal result (``LintResult`` / ``VerifyResult``), for reporters.
    raw: Any = None
    #: The ``fail-on`` threshold the exit code was decided with (None: never fails).
    fail_on: Severity | None = Severity.ERROR

    def failing(self) -> list[Finding]:
        """The unsuppressed findings at or above ``fail_on``: the ones that make the exit code 1."""
        if self.fail_on is None:
            return []
        return [f for f in self.active if f.severity >= self.fail_on]

    @property
    def ok(self) -> bool:
        return self.exit_code == EXIT_OK

    @property
    def active(self) -> list[Finding]:
        """Findings not suppressed inline or by configuration."""
        return [f for f in self.findings if not f.suppressed]

    def report(self, output_format: str = "text") -> str:
        """The report as the CLI would print it: text, json, sarif, github or markdown."""
        from migcheck.report import outputs

        return outputs.render(outputs.Output(output_format), self.raw, self.exit_code, quiet=False, color=False)


Paths = Sequence[str | PathLike[str]] | str | PathLike[str] | None


def _paths(paths: Paths) -> list[Path] | None:
    if paths is None:
        return None
    if isinstance(paths, str | PathLike):
        return [Path(paths)]
    return [Path(p) for p in paths]


def _exit_code(worst: Severity | None, fail_on: Severity | None) -> int:
    return EXIT_FINDINGS if fail_on is not None and worst is not None and worst >= fail_on else EXIT_OK


def lint(paths: Paths = None, *, config: str | PathLike[str] | None = None, isolated: bool = False,
         base: str | None = None, cache: bool = True, **settings: Any) -> Result:
    """Lint like ``migcheck lint``: nothing is imported or executed.

    ``settings`` are ``[tool.migcheck]`` keys with ``_`` for ``-`` (``fail_on``, ``select``,
    ``ignore``, ``baseline``, ``dialect``, ``table_stats``, ...); ``isolated`` ignores config files.
    Raises :class:`UsageError` for what the CLI reports as one line and exit 2.
    """
    from migcheck.report import json as json_report
    from migcheck.run.config import ConfigError
    from migcheck.run.engine import lint_paths
    from migcheck.run.pullrequest import GitBaseError
    from migcheck.sources.discovery import DiscoveryError

    wanted = _paths(paths)
    resolved = _settings(wanted, config, isolated, settings, "lint")
    try:
        resolved.base = base
        resolved.cache = cache
        result = lint_paths(wanted or resolved.paths or [Path(".")], resolved)
    except (ConfigError, DiscoveryError, GitBaseError) as exc:
        raise UsageError(str(exc)) from None
    code = _exit_code(result.worst(), resolved.fail_on)
    return Result(result.findings, code, json_report.document(result, code), list(result.sources.notes), result,
                  resolved.fail_on)


def verify(paths: Paths = None, *, db_url: str | None = None, engine: str | None = None,
           image: str | None = None, allow_remote: bool = False, use_env: bool = False,
           from_rev: str | None = None, to_rev: str | None = None, seed_rows: int = 0,
           check_models: str | None = None, config: str | PathLike[str] | None = None, isolated: bool = False,
           **settings: Any) -> Result:
    """Run the live upgrade -> downgrade -> upgrade cycle like ``migcheck verify``.

    Needs the ``live`` extra. ``engine`` is ``"embedded"`` (default) or ``"docker"``; ``db_url``
    names an existing server on which a scratch database is created and dropped. ``settings`` are
    ``[tool.migcheck]`` keys (``fail_on``, ``select``, ``ignore``, ``severity``, ``table_stats``,
    ``verify_data``),
    layered over the project's config; inline suppressions apply, as on the command line.
    """
    try:
        from migcheck.live import LiveError, control
        from migcheck.live.cycle import VerifyOptions
        from migcheck.live.cycle import verify as run_verify
        from migcheck.report import verify as verify_report
    except ImportError as exc:
        raise UsageError(f"verify needs the live extra ({exc.name} is missing): "
                         "pip install 'alembic-migcheck[live]'") from None
    import json

    from migcheck.run.config import ConfigError
    from migcheck.run.engine import load_table_stats

    wanted = _paths(paths)
    resolved = _settings(wanted, config, isolated, settings, "verify")
    options = VerifyOptions(
        paths=wanted or resolved.paths or [Path(".")], db_url=db_url, engine=engine, image=image, allow_remote=allow_remote,
        use_env=use_env, from_rev=from_rev, to_rev=to_rev, seed_rows=seed_rows, check_models=check_models,
        verify_data=resolved.verify_data, quiet=True,
    )
    try:
        snapshot = load_table_stats(resolved) if resolved.table_stats is not None else None
        result = run_verify(options)
        code = control.finish(result, resolved, snapshot)
    except (LiveError, ConfigError) as exc:
        raise UsageError(str(exc)) from None
    document = json.loads(verify_report.render_json(result, code))
    return Result(result.findings, code, document, list(result.notes), result, resolved.fail_on)


def _settings(paths: list[Path] | None, config: str | PathLike[str] | None, isolated: bool,
              settings: dict[str, Any], caller: str) -> Any:
    """``[tool.migcheck]`` keys given as keyword arguments, over the project's config."""
    from migcheck.run.config import KEY_NAMES, ConfigError, load_settings

    cli: dict[str, tuple[Any, str]] = {}
    for name, value in settings.items():
        key = name.replace("_", "-")
        if key not in KEY_NAMES:
            raise UsageError(f"migcheck.{caller}() has no setting {name!r} (settings: "
                             f"{', '.join(k.replace('-', '_') for k in KEY_NAMES)})")
        if isinstance(value, Path):
            value = str(value)
        if isinstance(value, set | tuple):
            value = sorted(value)
        cli[key] = (value, f"migcheck.{caller}({name}=...)")
    try:
        return load_settings(paths, Path(config) if config is not None else None, isolated=isolated, cli=cli)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
