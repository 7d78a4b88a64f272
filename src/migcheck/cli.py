"""The ``migcheck`` command: lint, verify, rules, explain, config, init.

Exit codes: 0 no findings at or above ``--fail-on``; 1 findings; 2 usage or
input errors (a path that does not exist, an unreadable alembic.ini, an
unknown rule or format, a report file that cannot be written). Input errors
are one line on stderr, never a traceback.
"""

from __future__ import annotations

import copy
import json
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from migcheck.guard.escape import log_line, one_line, terminal
from migcheck.lintcmd import UsageError, cli_values, lint_command, load_settings_or_fail
from migcheck.vocabulary.settings import DEFAULT_POSTGRES_VERSION, Settings
from migcheck.vocabulary.version import VERSION

app = typer.Typer(
    name="migcheck",
    help="Find the Alembic migrations that would hurt production, before they get there.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
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
    typer.echo(f"migcheck: error: {one_line(message)}", err=True)
    raise typer.Exit(EXIT_USAGE)


def _version(value: bool) -> None:
    if value:
        # The distribution's name: `pip install migcheck` is an unrelated project with the same command.
        typer.echo(f"alembic-migcheck {VERSION}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", "-V", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Find the Alembic migrations that would hurt production, before they get there."""


def _check_rule_ids(ids: set[str], option: str) -> None:
    from migcheck.run.config import known_rule_ids, rule_hint

    known = known_rule_ids()
    for rule_id in sorted(ids):
        if rule_id not in known:
            fail(f"unknown rule {rule_id!r} in {option}{rule_hint(rule_id, known)}")


ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", help="Read settings from this file instead of the nearest pyproject.toml "
                 "with [tool.migcheck].", show_default=False),
]
NoConfigOpt = Annotated[bool, typer.Option("--no-config", help="Ignore every config file; defaults and "
                                           "command-line options only.")]
FormatOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--output-format", "--format", "-f", metavar="FORMAT[:PATH]",
        help="Output format: text (with the source line), concise (one line per finding), json, sarif, "
        "github or markdown; with :PATH it goes to that file. Repeatable; one format may go to stdout "
        "(text when none does). --format is the same option.",
        show_default=False,
    ),
]
FailOnOpt = Annotated[FailOn | None, typer.Option(
    "--fail-on", help="Exit 1 when a finding at or above this severity remains.", show_default="error")]
DialectOpt = Annotated[Dialect | None, typer.Option("--dialect", help="Target database.",
                                                    show_default="postgresql")]
PostgresOpt = Annotated[int | None, typer.Option(
    "--postgres-version", help="PostgreSQL major version of production.", min=9, max=99,
    show_default=str(DEFAULT_POSTGRES_VERSION))]
SelectOpt = Annotated[list[str] | None, typer.Option(
    "--select", help="Only these rules (comma-separated, repeatable); replaces the config's select.")]
ExtendSelectOpt = Annotated[list[str] | None, typer.Option(
    "--extend-select", help="Run these rules too (adds to the config's list).")]
IgnoreOpt = Annotated[list[str] | None, typer.Option(
    "--ignore", help="Leave out these rules (adds to the config's list).")]
ExcludeOpt = Annotated[list[str] | None, typer.Option(
    "--exclude", help="Glob patterns of files not to read (replaces the config's list).")]
BaselineOpt = Annotated[str | None, typer.Option(
    "--baseline", help="Trust this revision and its ancestors: per-revision rules skip them.",
    show_default=False)]
TableStatsOpt = Annotated[Path | None, typer.Option(
    "--table-stats", help="A `migcheck stats` snapshot: findings whose cost grows with the table follow its size.",
    show_default=False)]
BaseOpt = Annotated[str | None, typer.Option(
    "--base", help="Pull-request mode: lint only what changed since the merge base with this git ref "
    "(e.g. origin/main), and check edits to revisions the base already has.", show_default=False)]
QuietOpt = Annotated[
    bool, typer.Option("--quiet", "-q", help="Findings only; no fixes or headers, nothing when clean.")
]
JobsOpt = Annotated[
    int | None,
    typer.Option("--jobs", "-j", min=1, show_default=False,
                 help="Processes that read revision files. Default: more than one only for large histories."),
]
NoCacheOpt = Annotated[
    bool, typer.Option("--no-cache", help="Parse every file again instead of reusing unchanged ones.")
]
StatisticsOpt = Annotated[
    bool, typer.Option("--statistics", help="Print the number of findings per rule instead of the findings.")
]
MysqlVersionOpt = Annotated[
    str | None, typer.Option("--mysql-version", show_default=False,
                             help="MySQL or MariaDB server version, e.g. 8.0.32 or mariadb-10.11.")
]
StdinFilenameOpt = Annotated[
    Path | None,
    typer.Option("--stdin-filename", show_default=False,
                 help="With `-` as the path: the file the text on stdin is (findings are reported under it, "
                 "and the revisions beside it complete the graph)."),
]
PathsArg = Annotated[
    list[Path] | None,
    typer.Argument(
        help="Versions directories, alembic.ini / pyproject.toml files, project roots, revision files, "
        "or offline `alembic upgrade --sql` files. Default: `paths` from the config, else the current "
        "directory.",
        show_default=False,
    ),
]


def _settings(paths: list[Path] | None, config: Path | None, no_config: bool,
              cli: dict[str, tuple[object, str]]) -> Settings:
    """Defaults < config file < command line, or one clear error line."""
    try:
        settings: Settings = load_settings_or_fail(paths, config, no_config, cli)
    except UsageError as exc:
        fail(str(exc))
    return settings


def _cli_values(
    *, output_format: list[str] | None = None, fail_on: FailOn | None = None,
    dialect: Dialect | None = None,
    postgres_version: int | None = None, select: list[str] | None = None,
    extend_select: list[str] | None = None, ignore: list[str] | None = None, exclude: list[str] | None = None,
    baseline: str | None = None, table_stats: Path | None = None, mysql_version: str | None = None,
    verify_data: Path | None = None,
) -> dict[str, tuple[object, str]]:
    return cli_values(
        output_format=output_format, fail_on=fail_on.value if fail_on else None,
        dialect=dialect.value if dialect else None, postgres_version=postgres_version, select=select,
        extend_select=extend_select, ignore=ignore, exclude=exclude, baseline=baseline, table_stats=table_stats,
        mysql_version=mysql_version, verify_data=verify_data)


PrettyOpt = Annotated[
    bool, typer.Option("--pretty", help="Indent JSON and SARIF reports for reading (default: compact, one line).")
]


@app.command()
def lint(
    paths: PathsArg = None,
    output_format: FormatOpt = None,
    fail_on: FailOnOpt = None,
    dialect: DialectOpt = None,
    postgres_version: PostgresOpt = None,
    select: SelectOpt = None,
    extend_select: ExtendSelectOpt = None,
    ignore: IgnoreOpt = None,
    exclude: ExcludeOpt = None,
    baseline: BaselineOpt = None,
    base: BaseOpt = None,
    table_stats: TableStatsOpt = None,
    config: ConfigOpt = None,
    no_config: NoConfigOpt = False,
    quiet: QuietOpt = False,
    jobs: JobsOpt = None,
    no_cache: NoCacheOpt = False,
    statistics: StatisticsOpt = False,
    mysql_version: MysqlVersionOpt = None,
    pretty: PrettyOpt = False,
    stdin_filename: StdinFilenameOpt = None,
) -> None:
    """Check migrations statically; nothing is imported or executed. `-` reads one revision from stdin."""
    try:
        code = lint_command(
            paths, output_format, fail_on.value if fail_on else None, dialect.value if dialect else None,
            postgres_version, select, extend_select, ignore, exclude, baseline, base, table_stats, config, no_config,
            quiet, jobs, no_cache, statistics, mysql_version, pretty, stdin_filename)
    except UsageError as exc:
        fail(str(exc))
    raise typer.Exit(code)


@app.command("config")
def show_config(
    paths: PathsArg = None,
    output_format: FormatOpt = None,
    fail_on: FailOnOpt = None,
    dialect: DialectOpt = None,
    postgres_version: PostgresOpt = None,
    select: SelectOpt = None,
    extend_select: ExtendSelectOpt = None,
    ignore: IgnoreOpt = None,
    exclude: ExcludeOpt = None,
    baseline: BaselineOpt = None,
    table_stats: TableStatsOpt = None,
    base: BaseOpt = None,
    config: ConfigOpt = None,
    no_config: NoConfigOpt = False,
    quiet: QuietOpt = False,
    jobs: JobsOpt = None,
    no_cache: NoCacheOpt = False,
    statistics: StatisticsOpt = False,
    mysql_version: MysqlVersionOpt = None,
    pretty: PrettyOpt = False,
    stdin_filename: StdinFilenameOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the settings as JSON.")] = False,
) -> None:
    """Print the effective settings and where each one came from (default, config file, command line).

    It takes every option `lint` takes, so `lint` can be swapped for `config` on any command line.
    """
    from migcheck.report import outputs
    from migcheck.run.config import effective_json, render_effective

    settings = _settings(paths, config, no_config, _cli_values(
        output_format=output_format, fail_on=fail_on, dialect=dialect, postgres_version=postgres_version,
        select=select, extend_select=extend_select, ignore=ignore, exclude=exclude, baseline=baseline,
        table_stats=table_stats, mysql_version=mysql_version))
    try:
        outputs.parse(settings.output_format)
    except outputs.OutputError as exc:
        fail(str(exc))
    # Options of a single run, not settings: shown so the whole command line is accounted for.
    run_only = {"base": base, "quiet": quiet or None, "jobs": jobs, "no-cache": no_cache or None,
                "statistics": statistics or None, "pretty": pretty or None,
                "stdin-filename": str(stdin_filename) if stdin_filename else None}
    given = {name: value for name, value in run_only.items() if value is not None}
    if as_json:
        typer.echo(json.dumps({**effective_json(settings), "run_options": given}, indent=2))
        return
    # Values come from the project's pyproject.toml: shown as text, never as a workflow command.
    shown = "\n".join(log_line(line) for line in terminal(render_effective(settings)).split("\n"))
    typer.echo(shown, nl=False)
    if given:
        flags = " ".join(f"--{k}" if v is True else f"--{k} {v}" for k, v in given.items())
        typer.echo(one_line(f"# options of this run only (not settings): {flags}"))


ForceOpt = Annotated[bool, typer.Option("--force", help="Replace the [tool.migcheck] table if there is one.")]


@app.command()
def init(
    paths: PathsArg = None,
    config: Annotated[Path | None, typer.Option(
        "--config", help="Write here instead of the nearest pyproject.toml.", show_default=False)] = None,
    dialect: DialectOpt = None,
    force: ForceOpt = False,
) -> None:
    """Adopt migcheck in one step: write [tool.migcheck] with the baseline set to the current head(s)."""
    from migcheck.run.adopt import AdoptError, init_config

    try:
        message = init_config(paths or [Path(".")], target=config, dialect=dialect.value if dialect else None,
                              force=force)
    except AdoptError as exc:
        fail(str(exc))
    typer.echo(message)


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
        typer.Option("--db-url", help="An existing server; a scratch database is created on it and dropped. "
                     "sqlite:// (any path): a scratch SQLite file in a private temporary directory.",
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
    verify_data: Annotated[
        Path | None,
        typer.Option("--verify-data", metavar="DIR", help="A folder of <revision>.toml files: rows inserted "
                     "before that revision and checked after it (config: verify-data).", show_default=False),
    ] = None,
    check_models: Annotated[
        str | None,
        typer.Option("--check-models", help="module:attribute (a MetaData or declarative Base) to compare "
                     "with the database at the heads.", show_default=False),
    ] = None,
    output_format: FormatOpt = None,
    fail_on: FailOnOpt = None,
    select: SelectOpt = None,
    extend_select: ExtendSelectOpt = None,
    ignore: IgnoreOpt = None,
    table_stats: TableStatsOpt = None,
    config: ConfigOpt = None,
    no_config: NoConfigOpt = False,
    env_log: Annotated[
        Path | None,
        typer.Option("--env-log", help="With --use-env: write the output of env.py and the migrations "
                     "(Alembic's INFO lines, the application's logging) to this file. Default: a temporary "
                     "log file named in a note; nothing under -q.", show_default=False),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Findings and the summary only.")] = False,
    pretty: PrettyOpt = False,
) -> None:
    """Run every migration up, down and up again on a throwaway database; report what breaks and locks."""
    from migcheck.live import LiveError, import_alembic_plainly

    import_alembic_plainly()
    from migcheck.live.cycle import VerifyOptions
    from migcheck.live.cycle import verify as run_verify
    from migcheck.report import outputs

    settings = _settings(paths, config, no_config, _cli_values(
        fail_on=fail_on, select=select, extend_select=extend_select, ignore=ignore, table_stats=table_stats,
        verify_data=verify_data))
    from migcheck.run.config import ConfigError
    from migcheck.run.engine import load_table_stats

    snapshot = None
    if settings.table_stats is not None:  # a bad snapshot is one line before anything runs
        try:
            snapshot = load_table_stats(settings)
        except ConfigError as exc:
            fail(str(exc))
    try:
        wanted = outputs.parse(output_format or ["text"])
    except outputs.OutputError as exc:
        fail(str(exc))
    text_on_terminal = any(o.format == "text" and o.path is None for o in wanted)

    options = VerifyOptions(
        paths=paths or settings.paths or [Path(".")], db_url=db_url, engine=engine.value if engine else None,
        image=image,
        allow_remote=allow_remote, use_env=use_env, from_rev=from_rev, to_rev=to_rev, seed_rows=seed_rows,
        verify_data=settings.verify_data, check_models=check_models, progress=sys.stderr.isatty() and text_on_terminal,
        env_log=env_log, quiet=quiet,
    )
    try:
        result = run_verify(options)
    except LiveError as exc:
        fail(str(exc))
    except KeyboardInterrupt as exc:  # provision.Interrupted says what the cleanup did
        outcome = getattr(exc, "outcome", None) or "nothing had been created yet"
        typer.echo(f"migcheck: interrupted; {one_line(outcome)}", err=True)
        raise typer.Exit(130) from None
    from migcheck.live import control

    code = control.finish(result, settings, snapshot)
    try:
        outputs.write_all(wanted, result, code, quiet=quiet, pretty=pretty)
    except outputs.OutputError as exc:
        fail(str(exc))
    raise typer.Exit(code)


@app.command()
def stats(
    db_url: Annotated[str, typer.Option(
        "--db-url", help="The database to measure: a production read replica or staging (read-only role is enough).",
        show_default=False)],
    output: Annotated[Path, typer.Option(
        "--output", "-o", help="Where to write the snapshot (JSON, meant to be committed).")] = Path(
        "migcheck-stats.json"),
) -> None:
    """Snapshot table sizes from a database's catalog, so lint can rank findings by real table size."""
    try:
        from migcheck.live import LiveError
        from migcheck.live import stats as table_stats
    except ImportError as exc:
        fail(f"stats needs the live extra ({exc.name} is missing): pip install 'alembic-migcheck[live]'")
    try:
        document = table_stats.take(db_url)
        table_stats.write(document, output)
    except LiveError as exc:
        fail(str(exc))
    typer.echo(f"Wrote {output}: {len(document['tables'])} tables from {document['server']}, "
               f"taken {document['taken_at']}.")


@app.command()
def rules(
    output_format: Annotated[
        OutputFormat, typer.Option("--output-format", "--format", "-f", help="Output format.")
    ] = OutputFormat.text,
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
                "pull_request_only": r.pull_request_only,
                "min_postgres": r.min_postgres,
                "summary": r.summary,
            }
            for r in catalogue
        ]
        typer.echo(json.dumps(rows, indent=2))
        return
    width = max(len(r.id) for r in catalogue)
    dialects = max(len(r.dialect_label) for r in catalogue)
    for r in catalogue:
        default = f"  ({r.default_label})" if r.default_label else ""
        typer.echo(f"{r.id:<{width}}  {r.severity.label:<7}  {r.dialect_label:<{dialects}}  {r.summary}{default}")


@app.command()
def explain(rule_id: Annotated[str, typer.Argument(help="A rule id, e.g. create-index-not-concurrently.")]) -> None:
    """Print a rule's documentation: what it finds, why it hurts, an example, the safe way."""
    from migcheck.rules.docgen import rule_page
    from migcheck.rules.registry import get_rule

    _check_rule_ids({rule_id}, "explain")
    rule = get_rule(rule_id)
    assert rule is not None
    typer.echo(rule_page(rule).rstrip())


def main() -> None:
    app_for(sys.argv[1:])()


def app_for(args: list[str]) -> typer.Typer:
    """The app with only the command ``args`` name, when they start with one.

    Typer builds the click command of every registered command on each run (7 ms of a
    pre-commit run); the others cannot be reached from this command line anyway. Help,
    usage lines and errors of a command do not list its siblings, so the output is the same.
    Anything else (no command, an option first, a typo) gets the whole app.
    """
    name = args[0] if args else ""
    chosen = [c for c in app.registered_commands if _command_name(c) == name]
    if not chosen or app.registered_callback is None:  # without the callback typer would drop the group
        return app
    narrow = copy.copy(app)
    narrow.registered_commands = chosen
    return narrow


def _command_name(info: typer.models.CommandInfo) -> str:
    """The name typer gives a command: its own, else the function's with dashes."""
    from typer.main import get_command_name

    if info.name:
        return info.name
    return get_command_name(info.callback.__name__) if info.callback else ""
