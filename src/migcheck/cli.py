"""The ``migcheck`` command: lint, rules, explain.

Exit codes: 0 no findings at or above ``--fail-on``; 1 findings; 2 usage or
input errors (a path that does not exist, an unreadable alembic.ini, an
unknown rule). Input errors are one line on stderr, never a traceback.
"""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from migcheck import __version__
from migcheck.config import DEFAULT_POSTGRES_VERSION, Settings
from migcheck.findings import Severity

app = typer.Typer(
    name="migcheck",
    help="Find the Alembic migrations that would hurt production, before they get there.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


class OutputFormat(str, Enum):
    text = "text"
    json = "json"


class FailOn(str, Enum):
    error = "error"
    warning = "warning"
    info = "info"
    never = "never"


class Dialect(str, Enum):
    postgresql = "postgresql"
    mysql = "mysql"
    sqlite = "sqlite"


def fail(message: str) -> NoReturn:
    """One clear line on stderr and exit 2: bad input is never a traceback."""
    typer.echo(f"migcheck: error: {message}", err=True)
    raise typer.Exit(EXIT_USAGE)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"migcheck {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Find the Alembic migrations that would hurt production, before they get there."""


def _split_ids(values: list[str] | None) -> set[str]:
    return {part.strip() for value in values or [] for part in value.split(",") if part.strip()}


def _check_rule_ids(ids: set[str], option: str) -> None:
    from difflib import get_close_matches

    from migcheck.rules.registry import all_rules

    known = [r.id for r in all_rules()]
    for rule_id in sorted(ids):
        if rule_id not in known:
            close = get_close_matches(rule_id, known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else "; `migcheck rules` lists them"
            fail(f"unknown rule {rule_id!r} in {option}{hint}")


@app.command()
def lint(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Versions directories, alembic.ini / pyproject.toml files, project roots, revision files, "
            "or offline `alembic upgrade --sql` files. Default: the current directory.",
            show_default=False,
        ),
    ] = None,
    output_format: Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")] = OutputFormat.text,
    fail_on: Annotated[
        FailOn, typer.Option("--fail-on", help="Exit 1 when a finding at or above this severity remains.")
    ] = FailOn.error,
    dialect: Annotated[Dialect, typer.Option("--dialect", help="Target database.")] = Dialect.postgresql,
    postgres_version: Annotated[
        int, typer.Option("--postgres-version", help="PostgreSQL major version of production.", min=9, max=99)
    ] = DEFAULT_POSTGRES_VERSION,
    select: Annotated[
        list[str] | None, typer.Option("--select", help="Only these rules (comma-separated, repeatable).")
    ] = None,
    ignore: Annotated[list[str] | None, typer.Option("--ignore", help="Leave out these rules.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Findings and the summary only.")] = False,
    jobs: Annotated[
        int | None,
        typer.Option("--jobs", "-j", min=1, show_default=False,
                     help="Processes that read revision files. Default: more than one only for large histories."),
    ] = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Parse every file again instead of reusing unchanged ones.")
    ] = False,
) -> None:
    """Check migrations statically; nothing is imported or executed."""
    from migcheck.discovery import DiscoveryError
    from migcheck.engine import lint_paths

    selected = _split_ids(select) or None
    ignored = _split_ids(ignore)
    _check_rule_ids((selected or set()) | ignored, "--select/--ignore")
    settings = Settings(
        dialect=dialect.value,
        postgres_version=postgres_version,
        fail_on=None if fail_on is FailOn.never else Severity.parse(fail_on.value),
        select=selected,
        ignore=ignored,
        jobs=jobs,
        cache=not no_cache,
    )
    try:
        result = lint_paths(paths or [Path(".")], settings)
    except DiscoveryError as exc:
        fail(str(exc))
    worst = result.worst()
    code = EXIT_FINDINGS if settings.fail_on is not None and worst is not None and worst >= settings.fail_on \
        else EXIT_OK
    if output_format is OutputFormat.json:
        from migcheck.report import json as json_report

        sys.stdout.write(json_report.render(result, code))
    else:
        from migcheck.report import text

        text.write(result, quiet=quiet)
    raise typer.Exit(code)


@app.command()
def rules(
    output_format: Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")] = OutputFormat.text,
) -> None:
    """List every rule with its severity, dialects and summary."""
    from migcheck.rules.registry import all_rules

    catalogue = all_rules()
    if output_format is OutputFormat.json:
        rows = [
            {
                "id": r.id,
                "severity": r.severity.label,
                "family": r.family,
                "dialects": sorted(r.dialects) if r.dialects else None,
                "enabled_by_default": r.enabled_by_default,
                "summary": r.summary,
            }
            for r in catalogue
        ]
        typer.echo(json.dumps(rows, indent=2))
        return
    width = max(len(r.id) for r in catalogue)
    for r in catalogue:
        default = "" if r.enabled_by_default else "  (off by default)"
        typer.echo(f"{r.id:<{width}}  {r.severity.label:<7}  {r.dialect_label:<10}  {r.summary}{default}")


@app.command()
def explain(rule_id: Annotated[str, typer.Argument(help="A rule id, e.g. create-index-not-concurrently.")]) -> None:
    """Print a rule's documentation: what it finds, why it hurts, an example, the safe way."""
    from migcheck.rules.registry import get_rule

    _check_rule_ids({rule_id}, "explain")
    rule = get_rule(rule_id)
    assert rule is not None
    typer.echo(f"{rule.doc.rstrip()}\n\nSeverity: {rule.severity.label}. Dialects: {rule.dialect_label}.")


def main() -> None:
    app()
