"""The ``migcheck`` command: lint, verify, rules, explain.

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


class LiveEngine(str, Enum):
    embedded = "embedded"
    docker = "docker"


@app.command()
def verify(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="The project: alembic.ini, its directory, or the versions directory. Default: .",
                       show_default=False),
    ] = None,
    db_url: Annotated[
        str | None,
        typer.Option("--db-url", help="An existing server; a scratch database is created on it and dropped.",
                     show_default=False),
    ] = None,
    engine: Annotated[
        LiveEngine | None,
        typer.Option("--engine", help="Where the server comes from: embedded (default) or docker.",
                     show_default=False),
    ] = None,
    image: Annotated[
        str | None, typer.Option("--image", help="Docker image for --engine docker (postgres:16, mysql:8).",
                                 show_default=False)
    ] = None,
    allow_remote: Annotated[
        bool, typer.Option("--allow-remote", help="Allow a --db-url whose host is not this machine.")
    ] = False,
    use_env: Annotated[
        bool, typer.Option("--use-env", help="Run the project's env.py, its URL set to the scratch database.")
    ] = False,
    from_rev: Annotated[
        str | None, typer.Option("--from", help="Start the cycle at this revision (ancestors applied once).",
                                 show_default=False)
    ] = None,
    to_rev: Annotated[
        str | None, typer.Option("--to", help="Stop the cycle at this revision.", show_default=False)
    ] = None,
    seed_rows: Annotated[
        int, typer.Option("--seed-rows", help="Fill every existing table to N rows before each step.", min=0)
    ] = 0,
    check_models: Annotated[
        str | None,
        typer.Option("--check-models", help="module:attribute (a MetaData or declarative Base) to compare "
                     "with the database at the heads.", show_default=False),
    ] = None,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="Output format.")
    ] = OutputFormat.text,
    fail_on: Annotated[
        FailOn, typer.Option("--fail-on", help="Exit 1 when a finding at or above this severity remains.")
    ] = FailOn.error,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Findings and the summary only.")] = False,
) -> None:
    """Run every migration up, down and up again on a throwaway database; report what breaks and locks."""
    from migcheck.live import LiveError
    from migcheck.live.cycle import VerifyOptions
    from migcheck.live.cycle import verify as run_verify

    options = VerifyOptions(
        paths=paths or [Path(".")], db_url=db_url, engine=engine.value if engine else None, image=image,
        allow_remote=allow_remote, use_env=use_env, from_rev=from_rev, to_rev=to_rev, seed_rows=seed_rows,
        check_models=check_models, progress=sys.stderr.isatty() and output_format is OutputFormat.text,
    )
    try:
        result = run_verify(options)
    except LiveError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        typer.echo("migcheck: interrupted; the scratch database was dropped", err=True)
        raise typer.Exit(130) from None
    threshold = None if fail_on is FailOn.never else Severity.parse(fail_on.value)
    worst = result.worst()
    code = EXIT_FINDINGS if threshold is not None and worst is not None and worst >= threshold else EXIT_OK
    from migcheck.report import verify as verify_report

    if output_format is OutputFormat.json:
        sys.stdout.write(verify_report.render_json(result, code))
    else:
        verify_report.write_text(result, quiet=quiet)
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
